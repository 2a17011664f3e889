/* Unit tests of buf: growth (a fresh buffer gets exactly what it is first
 * asked for, then doubles), the length limit, shrinking, and that resetting
 * an unused buffer never writes the shared empty string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "buf.h"

static void test_first_growth_is_exact(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(buf_grow(&b, 1000), 0);
    assert_int_equal(b.cap, 1001); /* a body of known length: its size, no more */
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    char chunk[1000];
    memset(chunk, 'x', sizeof chunk);
    assert_int_equal(buf_add(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.cap, 1001);
    assert_int_equal(buf_addc(&b, 'y'), 0); /* then it doubles */
    assert_int_equal(b.cap, 2002);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[1000], 'y');
    assert_int_equal(b.data[1001], '\0');
    buf_free(&b);

    struct buf small = BUF_INIT;
    assert_int_equal(buf_adds(&small, "ab"), 0);
    assert_int_equal(small.cap, 64);
    buf_free(&small);
}

static void test_shrink(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_shrink(&b); /* nothing allocated: nothing to do */
    assert_int_equal(b.cap, 0);
    for (int i = 0; i < 100; i++)
        buf_adds(&b, "0123456789");
    assert_true(b.cap > b.len + 1);
    buf_shrink(&b);
    assert_int_equal(b.cap, 1001);
    assert_int_equal(b.len, 1000);
    assert_int_equal(b.data[1000], '\0');
    assert_int_equal(buf_adds(&b, "more"), 0);
    assert_int_equal(memcmp(b.data + 1000, "more", 5), 0);
    buf_free(&b);
}

static void test_limit(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    b.limit = 8;
    assert_int_equal(buf_adds(&b, "12345678"), 0);
    assert_int_equal(buf_addc(&b, '9'), -1);
    assert_int_equal(buf_grow(&b, 1), -1);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_reset_unused(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_reset(&b);
    assert_ptr_equal(b.data, buf_empty_string);
    assert_string_equal(buf_empty_string, "");
    buf_adds(&b, "text");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_growth_is_exact),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_reset_unused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
