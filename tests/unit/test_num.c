/* Unit tests of num: checked parsing accepts whole numbers only (what atoi,
 * atol and atof turned silently into 0 or a prefix is an error), honours
 * the range and leaves the output alone on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>

#include "num.h"

static void test_integers(void **state)
{
    (void)state;
    long long v = 0;
    assert_int_equal(num_parse_ll("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(num_parse_ll(" -7\n", -10, 10, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(num_parse_ll("+3", 0, 10, &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(num_parse_ll("9223372036854775807", LLONG_MIN, LLONG_MAX, &v), 0);
    assert_true(v == LLONG_MAX);
}

static void test_integer_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " ", "abc", "12abc", "1.5", "0x10", "- 1", "--1", "1 2",
        "99999999999999999999", /* overflows */
        NULL,
    };
    for (const char *const *s = bad; *s; s++) {
        long long v = 1234;
        assert_int_equal(num_parse_ll(*s, LLONG_MIN, LLONG_MAX, &v), -1);
        assert_int_equal(v, 1234); /* untouched */
    }
    long long v = 5;
    assert_int_equal(num_parse_ll(NULL, 0, 10, &v), -1);
    assert_int_equal(num_parse_ll("11", 0, 10, &v), -1); /* out of range */
    assert_int_equal(num_parse_ll("-1", 0, 10, &v), -1);
    assert_int_equal(v, 5);
}

static void test_doubles(void **state)
{
    (void)state;
    double d = 0;
    assert_int_equal(num_parse_double("1.5", &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(num_parse_double(" -2e3 ", &d), 0);
    assert_true(d == -2000.0);
    assert_int_equal(num_parse_double(".25", &d), 0);
    assert_true(d == 0.25);
    assert_int_equal(num_parse_double("1e-400", &d), 0); /* underflow is a (tiny) value */
    static const char *const bad[] = {"", "abc", "1.5x", "inf", "nan", "0x1p3", "1e999", "- 1",
                                      NULL};
    for (const char *const *s = bad; *s; s++) {
        d = 7;
        assert_int_equal(num_parse_double(*s, &d), -1);
        assert_true(d == 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_integer_rejects),
        cmocka_unit_test(test_doubles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
