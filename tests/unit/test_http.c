/* Unit tests of the pure parts of http (no network): the retry policy of
 * docs/providers.md, percent-encoding, URL/form building, header lookup and the
 * redaction of secret query values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "interrupt.h"
#include "log.h"

/* 2024-05-01T10:00:00Z, a Wednesday; Retry-After dates are relative to it. */
static const time_t NOW = 1714557600;

static long base_backoff(int attempt)
{
    long ms = 1000;
    for (int i = 0; i < attempt && ms < 60000; i++)
        ms *= 2;
    return ms > 60000 ? 60000 : ms;
}

static void test_retry_429_retry_after_seconds(void **state)
{
    (void)state;
    assert_int_equal(http_retry_delay_ms(0, 429, "5", NOW), 5000);
    assert_int_equal(http_retry_delay_ms(3, 429, "5", NOW), 5000); /* not the backoff */
    assert_int_equal(http_retry_delay_ms(0, 429, "60", NOW), 60000);
    /* Clamped to [1 s, 60 s]. */
    assert_int_equal(http_retry_delay_ms(0, 429, "0", NOW), 1000);
    assert_int_equal(http_retry_delay_ms(2, 429, "0", NOW), 1000);
    assert_int_equal(http_retry_delay_ms(0, 429, "120", NOW), 60000);
    assert_int_equal(http_retry_delay_ms(0, 429, "86400", NOW), 60000);
}

static void test_retry_429_retry_after_date(void **state)
{
    (void)state;
    assert_int_equal(http_retry_delay_ms(0, 429, "Wed, 01 May 2024 10:00:30 GMT", NOW), 30000);
    assert_int_equal(http_retry_delay_ms(4, 429, "Wed, 01 May 2024 10:00:02 GMT", NOW), 2000);
    assert_int_equal(http_retry_delay_ms(0, 429, "Wed, 01 May 2024 11:00:00 GMT", NOW), 60000);
    /* Now or already past: min(60, max(1, Retry-After)) = 1 s, whatever the attempt. */
    assert_int_equal(http_retry_delay_ms(3, 429, "Wed, 01 May 2024 10:00:00 GMT", NOW), 1000);
    assert_int_equal(http_retry_delay_ms(3, 429, "Wed, 01 May 2024 09:59:00 GMT", NOW), 1000);
}

static void test_retry_429_without_header(void **state)
{
    (void)state;
    const char *absent[] = {NULL, "", "soon"};
    for (size_t i = 0; i < 3; i++) {
        for (int attempt = 0; attempt < 8; attempt++) {
            long base = base_backoff(attempt);
            long d = http_retry_delay_ms(attempt, 429, absent[i], NOW);
            if (d < base || d > base + base / 4)
                fail_msg("429 attempt %d (Retry-After %s): %ld ms, expected %ld..%ld", attempt,
                         absent[i] ? absent[i] : "absent", d, base, base + base / 4);
        }
    }
    assert_int_equal(base_backoff(0), 1000);
    assert_int_equal(base_backoff(5), 32000);
    assert_int_equal(base_backoff(6), 60000);
}

static void test_retry_5xx_and_transport(void **state)
{
    (void)state;
    const long statuses[] = {0, 500, 502, 503, 504, 599};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        for (int attempt = 0; attempt < 12; attempt++) {
            long base = base_backoff(attempt);
            for (int n = 0; n < 20; n++) {
                long d = http_retry_delay_ms(attempt, statuses[i], NULL, NOW);
                if (d < base || d > base + base / 4)
                    fail_msg("status %ld attempt %d: %ld ms, expected %ld..%ld", statuses[i],
                             attempt, d, base, base + base / 4);
            }
        }
    }
    /* A Retry-After on a 503 does not shorten the backoff below 2^k s. */
    long d = http_retry_delay_ms(4, 503, "1", NOW);
    assert_true(d >= 16000 && d <= 20000);

    /* The jitter is random: 200 draws of a 32 s backoff are not all alike. */
    long first = http_retry_delay_ms(5, 500, NULL, NOW);
    bool varied = false;
    for (int n = 0; n < 200 && !varied; n++)
        varied = http_retry_delay_ms(5, 500, NULL, NOW) != first;
    assert_true(varied);
}

static void test_retry_other_4xx_is_fatal(void **state)
{
    (void)state;
    const long statuses[] = {400, 401, 403, 404, 405, 409, 410, 422, 428, 431, 499};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        assert_int_equal(http_retry_delay_ms(0, statuses[i], NULL, NOW), -1);
        assert_int_equal(http_retry_delay_ms(2, statuses[i], "5", NOW), -1);
    }
}

static void expect_escape(const char *in, const char *expected)
{
    char *e = http_escape(in);
    assert_string_equal(e, expected);
    char *back = http_unescape(e, false);
    assert_string_equal(back, in);
    char *back_plus = http_unescape(e, true); /* '+' never appears escaped */
    assert_string_equal(back_plus, in);
    free(e);
    free(back);
    free(back_plus);
}

static void test_escape_round_trip(void **state)
{
    (void)state;
    expect_escape("", "");
    expect_escape("abcXYZ019-._~", "abcXYZ019-._~");
    expect_escape("a b", "a%20b"); /* spaces as %20 */
    expect_escape("a+b", "a%2Bb");
    expect_escape("k=v&x/y?z#f", "k%3Dv%26x%2Fy%3Fz%23f");
    expect_escape("read,activity:read_all", "read%2Cactivity%3Aread_all");
    expect_escape("http://127.0.0.1:8486/callback", "http%3A%2F%2F127.0.0.1%3A8486%2Fcallback");
    expect_escape("Z\u00fcrich \U0001F389", "Z%C3%BCrich%20%F0%9F%8E%89");

    /* Every byte survives the round trip. */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    char *e = http_escape(all);
    for (const char *p = e; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%", *p));
    char *back = http_unescape(e, false);
    assert_string_equal(back, all);
    free(e);
    free(back);
}

static void test_unescape(void **state)
{
    (void)state;
    struct {
        const char *in;
        bool plus;
        const char *out;
    } cases[] = {
        {"a+b", true, "a b"},        {"a+b", false, "a+b"},
        {"a%2Bb", true, "a+b"},      {"%c3%a9", false, "\u00e9"},
        {"%C3%A9", false, "\u00e9"}, {"100%", false, "100%"},
        {"%4", false, "%4"},         {"%zz%41", false, "%zzA"},
        {"%20+%20", true, "   "},    {"", true, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *u = http_unescape(cases[i].in, cases[i].plus);
        if (strcmp(u, cases[i].out) != 0)
            fail_msg("http_unescape(\"%s\", %d) = \"%s\", expected \"%s\"", cases[i].in,
                     cases[i].plus, u, cases[i].out);
        free(u);
    }
}

static void test_url_and_form_building(void **state)
{
    (void)state;
    struct buf url = BUF_INIT;
    buf_adds(&url, "https://api.example.com/v2/usercollection/sleep");
    http_url_add_param(&url, "start_date", "2024-01-01");
    http_url_add_param(&url, "next token", "a b&c");
    http_url_add_param(&url, "empty", NULL);
    assert_string_equal(url.data, "https://api.example.com/v2/usercollection/sleep"
                                  "?start_date=2024-01-01&next%20token=a%20b%26c&empty=");
    buf_free(&url);

    buf_adds(&url, "https://api.example.com/v1/workouts?page=1");
    http_url_add_param(&url, "pageSize", "10");
    assert_string_equal(url.data, "https://api.example.com/v1/workouts?page=1&pageSize=10");
    buf_free(&url);

    struct buf form = BUF_INIT;
    http_form_add(&form, "grant_type", "authorization_code");
    assert_string_equal(form.data, "grant_type=authorization_code");
    http_form_add(&form, "redirect_uri", "http://localhost:8484/callback");
    http_form_add(&form, "scope", "user.metrics user.activity");
    assert_string_equal(form.data, "grant_type=authorization_code"
                                   "&redirect_uri=http%3A%2F%2Flocalhost%3A8484%2Fcallback"
                                   "&scope=user.metrics%20user.activity");
    assert_int_equal(form.len, strlen(form.data));
    buf_free(&form);
}

static void test_response_header(void **state)
{
    (void)state;
    struct http_response resp = {0};
    buf_init(&resp.body);
    buf_init(&resp.headers);
    buf_adds(&resp.headers, "HTTP/1.1 429 Too Many Requests\r\n"
                            "Content-Type: application/json\r\n"
                            "retry-after:  7 \r\n"
                            "X-Request-Id: req-1\r\n"
                            "\r\n");
    char *v = http_response_header(&resp, "Retry-After");
    assert_string_equal(v, "7");
    free(v);
    v = http_response_header(&resp, "x-request-id");
    assert_string_equal(v, "req-1");
    free(v);
    assert_null(http_response_header(&resp, "x-trace-id"));
    assert_null(http_response_header(&resp, "Content")); /* whole names only */
    http_response_free(&resp);
}

static void expect_redacted(const char *url, const char *expected)
{
    char *r = http_redact_url(url);
    if (strcmp(r, expected) != 0)
        fail_msg("http_redact_url(%s) = %s, expected %s", url, r, expected);
    free(r);
}

static void test_redact_url(void **state)
{
    (void)state;
    log_clear_secrets();
    expect_redacted("https://h.example/cb?code=abc123&state=xyz&scope=read",
                    "https://h.example/cb?code=[REDACTED]&state=xyz&scope=read");
    expect_redacted("https://h.example/t?access_token=tok1&client_secret=s3c&refresh_token=r1"
                    "&client_id=cid",
                    "https://h.example/t?access_token=[REDACTED]&client_secret=[REDACTED]"
                    "&refresh_token=[REDACTED]&client_id=cid");
    expect_redacted("https://h.example/a?page=2&pageSize=10",
                    "https://h.example/a?page=2&pageSize=10");
    expect_redacted("https://h.example/plain/path", "https://h.example/plain/path");
    expect_redacted("https://h.example/a?flag&Code=abc",
                    "https://h.example/a?flag&Code=[REDACTED]");
    expect_redacted("https://h.example/a?barcode=123", "https://h.example/a?barcode=123");
    /* Nothing of a secret in a fragment survives either. */
    char *r = http_redact_url("https://h.example/a?state=s#access_token=frag-tok");
    assert_null(strstr(r, "frag-tok"));
    assert_non_null(strstr(r, "state=s"));
    free(r);

    /* Registered secret values are hidden wherever they are. */
    log_add_secret("very-secret-value");
    expect_redacted("https://h.example/very-secret-value?q=very-secret-value",
                    "https://h.example/[REDACTED]?q=[REDACTED]");
    log_clear_secrets();
}

static void test_sleep(void **state)
{
    (void)state;
    setenv("HEALTH_SYNC_SLEEP_SCALE", "0", 1);
    assert_int_equal(http_sleep_ms(60000), 0);
    hs_interrupted = 1;
    assert_int_equal(http_sleep_ms(60000), -1);
    hs_interrupted = 0;
    unsetenv("HEALTH_SYNC_SLEEP_SCALE");
}

/* A builder that cannot append says so, and the buffer stays failed: a
 * form missing a field is never sent (the first field of a form used to
 * leave its length wrapped below zero when it did not fit). */
static void test_builders_report_failure(void **state)
{
    (void)state;
    struct buf form = BUF_INIT;
    form.limit = 8;
    assert_int_equal(http_form_add(&form, "grant_type", "refresh_token"), -1);
    assert_true(buf_failed(&form));
    assert_int_equal(form.len, 0);
    assert_string_equal(form.data, "");
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(http_built(&form, &err), -1);
    assert_non_null(strstr(err.msg, "building a request"));
    buf_free(&form);

    form.limit = 40;
    assert_int_equal(http_form_add(&form, "a", "1"), 0);
    assert_int_equal(http_form_add(&form, "refresh_token", "a-token-too-long-for-it"), -1);
    assert_int_equal(http_form_add(&form, "b", "2"), -1); /* fits, but the middle is missing */
    assert_string_equal(form.data, "a=1");
    assert_int_equal(http_built(&form, &err), -1);
    buf_free(&form);

    struct buf url = BUF_INIT;
    url.limit = 30;
    buf_adds(&url, "https://x.test/v2");
    assert_int_equal(http_url_add_param(&url, "start", "2024"), 0);
    assert_int_equal(http_url_add_param(&url, "next_token", "0123456789"), -1);
    assert_null(buf_detach(&url)); /* nothing half-built handed out */
    struct hs_error ok = HS_ERROR_INIT;
    struct buf fine = BUF_INIT;
    assert_int_equal(http_form_add(&fine, "k", "v w"), 0);
    assert_int_equal(http_built(&fine, &ok), 0);
    assert_string_equal(fine.data, "k=v%20w");
    buf_free(&fine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_429_retry_after_seconds),
        cmocka_unit_test(test_builders_report_failure),
        cmocka_unit_test(test_retry_429_retry_after_date),
        cmocka_unit_test(test_retry_429_without_header),
        cmocka_unit_test(test_retry_5xx_and_transport),
        cmocka_unit_test(test_retry_other_4xx_is_fatal),
        cmocka_unit_test(test_escape_round_trip),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_url_and_form_building),
        cmocka_unit_test(test_response_header),
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_sleep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
