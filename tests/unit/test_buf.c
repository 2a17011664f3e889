/* Unit tests of buf: growth (a fresh buffer gets exactly what it is first
 * asked for, then doubles), the length limit, shrinking, and that resetting
 * an unused buffer never writes the shared empty string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
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

/* A failed append is remembered: the pieces after it are refused too, so a
 * string missing its middle is never handed out as if whole. */
static void test_failure_is_sticky(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    b.limit = 10;
    assert_int_equal(buf_adds(&b, "a=1"), 0);
    assert_false(buf_failed(&b));
    assert_int_equal(buf_adds(&b, "&b=too-long"), -1);
    assert_true(buf_failed(&b));
    assert_int_equal(buf_adds(&b, "&c"), -1); /* would fit, but the middle is missing */
    assert_int_equal(buf_addf(&b, "%d", 3), -1);
    assert_int_equal(buf_addc(&b, 'x'), -1);
    assert_string_equal(b.data, "a=1");
    assert_null(buf_detach(&b)); /* and cannot be taken as a whole string */
    assert_false(buf_failed(&b));
    assert_int_equal(b.limit, 10);
    assert_int_equal(buf_adds(&b, "fresh"), 0); /* detached: a new buffer */
    assert_int_equal(buf_adds(&b, "123456"), -1);
    buf_reset(&b); /* reset forgets the failure with the contents */
    assert_false(buf_failed(&b));
    assert_int_equal(buf_adds(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    buf_free(&b);
}

/* buf_grow only asks for room: a refusal is not a failed append (a writer
 * may then try a shorter piece). */
static void test_grow_refusal_is_not_sticky(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    b.limit = 4;
    assert_int_equal(buf_grow(&b, 5), -1);
    assert_false(buf_failed(&b));
    assert_int_equal(buf_adds(&b, "abcd"), 0);
    char *s = buf_detach(&b);
    assert_string_equal(s, "abcd");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_growth_is_exact),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_reset_unused),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_grow_refusal_is_not_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
