/* Unit tests of spill: pages of parts (bytes, empty or NULL) read back in
 * the order written, emptied and reused, and no file left beside the path
 * it was opened near. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spill.h"

struct fixture {
    char dir[64];
    char beside[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/hs-test-spill-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->beside, sizeof f->beside, "%s/health.sqlite", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rmdir(f->dir);
    free(f);
    return 0;
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void put_page(struct spill *s, const char *a, const void *b, size_t b_len)
{
    struct hs_error err = HS_ERROR_INIT;
    const struct spill_part parts[2] = {{a, a ? strlen(a) : 0}, {b, b_len}};
    assert_int_equal(spill_put(s, parts, 2, &err), 0);
}

static void expect_part(struct spill *s, struct buf *out, const void *data, size_t len)
{
    struct hs_error err = HS_ERROR_INIT;
    bool is_null = false;
    assert_int_equal(spill_get(s, out, &is_null, &err), 0);
    assert_int_equal(is_null, data == NULL);
    assert_int_equal(out->len, len);
    if (data)
        assert_memory_equal(out->data, data, len);
    assert_int_equal(out->data[out->len], '\0');
}

static void test_pages_come_back_in_order(void **state)
{
    struct fixture *f = *state;
    struct hs_error err = HS_ERROR_INIT;
    struct spill *s = spill_open(f->beside, &err);
    assert_non_null(s);
    assert_int_equal(entries(f->dir), 0); /* unlinked at once */
    static const char bytes[] = {'a', '\0', 'b', '\0'}; /* NULs inside a part */
    put_page(s, "watermark-1", bytes, sizeof bytes);
    put_page(s, NULL, "", 0);
    put_page(s, "", NULL, 0);
    assert_int_equal(spill_pages(s), 3);
    struct buf out = BUF_INIT;
    assert_int_equal(spill_rewind(s, &err), 0);
    expect_part(s, &out, "watermark-1", 11);
    expect_part(s, &out, bytes, sizeof bytes);
    expect_part(s, &out, NULL, 0);
    expect_part(s, &out, "", 0);
    expect_part(s, &out, "", 0);
    expect_part(s, &out, NULL, 0);
    bool is_null;
    assert_int_equal(spill_get(s, &out, &is_null, &err), -1); /* past the last page */
    assert_non_null(strstr(err.msg, f->beside));
    buf_free(&out);
    spill_close(s);
}

static void test_emptied_spill_is_reused(void **state)
{
    struct fixture *f = *state;
    struct hs_error err = HS_ERROR_INIT;
    struct spill *s = spill_open(f->beside, &err);
    assert_non_null(s);
    put_page(s, "old", "old page", 8);
    assert_int_equal(spill_empty(s, &err), 0);
    assert_int_equal(spill_pages(s), 0);
    put_page(s, "new", "new", 3);
    assert_int_equal(spill_pages(s), 1);
    struct buf out = BUF_INIT;
    assert_int_equal(spill_rewind(s, &err), 0);
    expect_part(s, &out, "new", 3);
    expect_part(s, &out, "new", 3);
    bool is_null;
    assert_int_equal(spill_get(s, &out, &is_null, &err), -1); /* the old page is gone */
    buf_free(&out);
    spill_close(s);
    assert_int_equal(entries(f->dir), 0);
}

static void test_unwritable_place_is_an_error(void **state)
{
    (void)state;
    struct hs_error err = HS_ERROR_INIT;
    assert_null(spill_open("/nonexistent-dir/health.sqlite", &err));
    assert_non_null(strstr(err.msg, "/nonexistent-dir/health.sqlite-held-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pages_come_back_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emptied_spill_is_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_place_is_an_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
