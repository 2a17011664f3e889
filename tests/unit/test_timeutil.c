/* Unit tests of timeutil: parsing the times providers send, UTC formatting,
 * the civil-date arithmetic, local dates in IANA zones and the pinned clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "tzfile.h"

/* Expected epochs: python3 -c 'from datetime import datetime;
 *   print(int(datetime.fromisoformat("2024-02-29T12:34:56+00:00").timestamp()))' */
#define T_2024_02_29 1709164800LL
#define T_2024_02_29_123456 1709210096LL

static void expect_parse(const char *s, long long expected)
{
    time_t t = 12345;
    if (time_parse(s, &t) != 0)
        fail_msg("time_parse rejected \"%s\"", s);
    if ((long long)t != expected)
        fail_msg("time_parse(\"%s\") = %lld, expected %lld", s, (long long)t, expected);
}

static void expect_reject(const char *s)
{
    time_t t = 12345;
    if (time_parse(s, &t) == 0)
        fail_msg("time_parse accepted \"%s\" as %lld", s, (long long)t);
    assert_int_equal((long long)t, 12345); /* untouched */
}

static void test_parse_epoch(void **state)
{
    (void)state;
    expect_parse("0", 0);
    expect_parse("1700000000", 1700000000LL);
    expect_parse("1700000000.75", 1700000000LL); /* fraction dropped */
    expect_parse("  1700000000", 1700000000LL);  /* leading blanks skipped */
    expect_parse("1700000000123", 1700000000LL); /* epoch milliseconds */
}

static void test_parse_dates_and_iso(void **state)
{
    (void)state;
    expect_parse("2024-02-29", T_2024_02_29);
    expect_parse("1970-01-01", 0);
    expect_parse("2024-02-29T12:34:56Z", T_2024_02_29_123456);
    expect_parse("2024-02-29t12:34:56z", T_2024_02_29_123456);
    expect_parse("2024-02-29 12:34:56", T_2024_02_29_123456); /* no offset = UTC */
    expect_parse("2024-02-29T12:34:56.123456Z", T_2024_02_29_123456);
    expect_parse("2024-02-29T12:34:56.5+00:00", T_2024_02_29_123456);
    expect_parse("2024-02-29T12:34:56+02:00", 1709202896LL);
    expect_parse("2024-02-29T12:34:56+0200", 1709202896LL);
    expect_parse("2024-02-29T12:34:56-05:30", 1709229896LL);
    expect_parse("2024-02-29T12:34:56.999-05:30", 1709229896LL);
    expect_parse("2024-02-29T12:34Z", T_2024_02_29_123456 - 56);         /* seconds optional */
    expect_parse("2024-03-01T01:00:00+02:00", T_2024_02_29 + 23 * 3600); /* crosses the day */
    expect_parse("1969-12-31T23:59:59Z", -1);
    expect_parse("2000-02-29T00:00:00Z", 951782400LL);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "   ",
        "abc",
        "12abc",
        "-5",
        "2024-1-01",
        "2024/01/01",
        "2024-01-01X",
        "2024-01-01T",
        "2024-01-01T12",
        "2024-01-01T1:00:00Z",
        "2024-01-01T12:00:00ZZ",
        "2024-01-01T12:00:00 junk",
        "2024-01-01T12:00:00.Z",
        "2024-01-01T12:00:00+2",
        "2024-01-01T12:00:00+25:00",
        "2024-01-01T12:00:00+05:60",
        "2024-01-01T24:00:00Z",
        "2024-01-01T12:60:00Z",
        "2023-02-29", /* not a leap year */
        "1900-02-29", /* century, not a leap year */
        "2024-02-30",
        "2024-04-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-32T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_reject(bad[i]);
    time_t t;
    assert_int_equal(time_parse(NULL, &t), -1);
}

static void test_parse_date_only(void **state)
{
    (void)state;
    time_t t = 0;
    assert_int_equal(time_parse_date("2024-02-29", &t), 0);
    assert_int_equal((long long)t, T_2024_02_29);
    assert_int_equal(time_parse_date("2024-02-29T00:00:00Z", &t), -1);
    assert_int_equal(time_parse_date("1700000000", &t), -1);
    assert_int_equal(time_parse_date(" 2024-02-29", &t), -1);
    assert_int_equal(time_parse_date(NULL, &t), -1);
    assert_true(time_is_valid_date("2000-02-29"));
    assert_true(time_is_valid_date("2010-01-01"));
    assert_false(time_is_valid_date("2100-02-29"));
    assert_false(time_is_valid_date("2024-06-31"));
    assert_false(time_is_valid_date("2024-06-1"));
    assert_false(time_is_valid_date(""));
}

static void test_format(void **state)
{
    (void)state;
    char iso[TIME_ISO_LEN], date[TIME_DATE_LEN];
    time_format_iso(0, iso);
    assert_string_equal(iso, "1970-01-01T00:00:00Z");
    time_format_iso((time_t)T_2024_02_29_123456, iso);
    assert_string_equal(iso, "2024-02-29T12:34:56Z");
    time_format_iso(-1, iso);
    assert_string_equal(iso, "1969-12-31T23:59:59Z");
    time_format_iso((time_t)1735689599LL, iso);
    assert_string_equal(iso, "2024-12-31T23:59:59Z");
    time_format_date((time_t)T_2024_02_29_123456, date);
    assert_string_equal(date, "2024-02-29");
    time_format_date(-1, date);
    assert_string_equal(date, "1969-12-31");

    /* Formatting then parsing gives the same instant. */
    for (long long t = -86400LL * 400; t < 86400LL * 365 * 80; t += 86400LL * 37 + 3671) {
        time_format_iso((time_t)t, iso);
        time_t back;
        assert_int_equal(time_parse(iso, &back), 0);
        assert_int_equal((long long)back, t);
    }
}

static void test_civil_days(void **state)
{
    (void)state;
    assert_int_equal(time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(time_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(time_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(time_days_from_civil(1600, 1, 1), -135140);
    assert_int_equal(time_days_from_civil(2400, 12, 31), 157419);

    /* Round trip over 1600..2400, and each day is the one after the previous. */
    int py = 1599;
    unsigned pm = 12, pd = 31;
    for (long long days = -135140; days <= 157419; days++) {
        int y;
        unsigned m, d;
        time_civil_from_days(days, &y, &m, &d);
        if (time_days_from_civil(y, m, d) != days)
            fail_msg("round trip failed at day %lld (%d-%u-%u)", days, y, m, d);
        bool next_day = y == py && m == pm && d == pd + 1;
        bool next_month = y == py && m == pm + 1 && d == 1;
        bool next_year = y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31;
        if (!next_day && !next_month && !next_year)
            fail_msg("%d-%u-%u does not follow %d-%u-%u", y, m, d, py, pm, pd);
        py = y, pm = m, pd = d;
    }
}

static void expect_local(long long t, const char *tz, const char *expected)
{
    char out[TIME_DATE_LEN] = "";
    if (time_local_date((time_t)t, tz, out) != 0)
        fail_msg("time_local_date(%lld, %s) failed", t, tz);
    if (strcmp(out, expected) != 0)
        fail_msg("time_local_date(%lld, %s) = %s, expected %s", t, tz, out, expected);
}

static void test_local_date(void **state)
{
    (void)state;
    /* A TZ of the caller's must not leak into the result, and must survive. */
    setenv("TZ", "Pacific/Kiritimati", 1);

    const long long tokyo_midnight = 1710082800LL; /* 2024-03-10T15:00:00Z */
    expect_local(tokyo_midnight - 1, "UTC", "2024-03-10");
    expect_local(tokyo_midnight - 1, "Asia/Tokyo", "2024-03-10");
    expect_local(tokyo_midnight, "Asia/Tokyo", "2024-03-11");
    expect_local(tokyo_midnight, "Etc/UTC", "2024-03-10");
    expect_local(tokyo_midnight, "", "2024-03-10");
    expect_local(tokyo_midnight, NULL, "2024-03-10");

    const long long la_winter = 1705305600LL; /* 2024-01-15T08:00:00Z = midnight PST */
    expect_local(la_winter - 1, "America/Los_Angeles", "2024-01-14");
    expect_local(la_winter, "America/Los_Angeles", "2024-01-15");
    const long long la_summer = 1719817200LL; /* 2024-07-01T07:00:00Z = midnight PDT */
    expect_local(la_summer - 1, "America/Los_Angeles", "2024-06-30");
    expect_local(la_summer, "America/Los_Angeles", "2024-07-01");
    expect_local(1735689599LL, "UTC", "2024-12-31");

    char out[TIME_DATE_LEN];
    assert_int_equal(time_local_date(0, "Mars/Olympus_Mons", out), -1);
    assert_int_equal(time_local_date(0, "../../etc/passwd", out), -1);
    assert_int_equal(time_local_date(0, "/etc/localtime", out), -1);

    assert_string_equal(getenv("TZ"), "Pacific/Kiritimati");
    unsetenv("TZ");
    expect_local(la_summer, "America/Los_Angeles", "2024-07-01");
    assert_null(getenv("TZ"));
}

static void test_now_pinned(void **state)
{
    (void)state;
    setenv("HEALTH_SYNC_NOW", "2024-02-29T12:34:56Z", 1);
    assert_int_equal((long long)time_now(), T_2024_02_29_123456);
    setenv("HEALTH_SYNC_NOW", "1700000000", 1);
    assert_int_equal((long long)time_now(), 1700000000LL);

    /* Garbage or empty: the real clock. */
    const char *ignored[] = {"not a time", ""};
    for (size_t i = 0; i < 2; i++) {
        setenv("HEALTH_SYNC_NOW", ignored[i], 1);
        time_t before = time(NULL), now = time_now(), after = time(NULL);
        assert_true(now >= before && now <= after);
    }
    unsetenv("HEALTH_SYNC_NOW");
    time_t before = time(NULL), now = time_now(), after = time(NULL);
    assert_true(now >= before && now <= after);
}

/* The offsets read from the zoneinfo files agree with the C library's
 * (asked through TZ, which only this single-threaded test may touch) from
 * 1901 to 2200: the listed transitions, the time before the first one, and
 * the POSIX rule after the last (southern zones, negative summer time,
 * half hours and 24:00 rules included). */
static void test_offsets_match_the_c_library(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "Europe/Lisbon", "America/Los_Angeles", "Australia/Sydney", "Asia/Tokyo",
        "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns",
        "Europe/Dublin", "Antarctica/Troll", "America/Godthab", "Asia/Jerusalem",
        "Pacific/Apia", "Africa/Casablanca", "America/Santiago", "Europe/Moscow", NULL,
    };
    char *saved = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    for (const char *const *z = zones; *z; z++) {
        setenv("TZ", *z, 1);
        tzset();
        int mismatches = 0;
        /* Every 13 days and 1h17m: lands on all hours and weekdays. */
        for (long long t = -2147483648LL; t < 7258118400LL && mismatches < 3;
             t += 13 * 86400 + 4620) {
            time_t tt = (time_t)t;
            struct tm tm;
            long ours;
            assert_non_null(localtime_r(&tt, &tm));
            assert_int_equal(tz_offset(*z, tt, &ours), 0);
            if (ours != tm.tm_gmtoff) {
                print_error("%s at %lld: %ld, the C library says %ld\n", *z, t, ours,
                            (long)tm.tm_gmtoff);
                mismatches++;
            }
        }
        assert_int_equal(mismatches, 0);
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    assert_true(tz_is_valid("Europe/Lisbon"));
    assert_true(tz_is_valid("UTC"));
    assert_false(tz_is_valid("Europe/Lisbo"));
    assert_false(tz_is_valid("Europe"));        /* a directory */
    assert_false(tz_is_valid("zone.tab"));      /* a file that is not TZif */
    assert_false(tz_is_valid("../zoneinfo/UTC"));
    assert_false(tz_is_valid(""));
}

/* Local dates never touch TZ: the environment is the same object before
 * and after (a setenv would reallocate it under threads reading it). */
static void test_local_date_leaves_the_environment_alone(void **state)
{
    (void)state;
    unsetenv("TZ");
    extern char **environ;
    char **before = environ;
    char out[TIME_DATE_LEN];
    assert_int_equal(time_local_date(1719817200LL, "America/Los_Angeles", out), 0);
    assert_string_equal(out, "2024-07-01");
    assert_ptr_equal(environ, before);
    assert_null(getenv("TZ"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_epoch),   cmocka_unit_test(test_parse_dates_and_iso),
        cmocka_unit_test(test_parse_rejects), cmocka_unit_test(test_parse_date_only),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_civil_days),
        cmocka_unit_test(test_local_date),
        cmocka_unit_test(test_offsets_match_the_c_library),
        cmocka_unit_test(test_local_date_leaves_the_environment_alone),    cmocka_unit_test(test_now_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
