/* Unit tests of log: redaction of registered secret values and of secret
 * fields in query strings, form bodies, JSON and headers; and that what
 * the log functions print goes through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int reset(void **state)
{
    (void)state;
    log_clear_secrets();
    log_init(LOG_NORMAL);
    return 0;
}

static void expect_redact(const char *in, const char *expected)
{
    char *out = log_redact(in);
    if (strcmp(out, expected) != 0)
        fail_msg("log_redact(\"%s\")\n  = \"%s\"\n  expected \"%s\"", in, out, expected);
    free(out);
}

static void test_registered_values(void **state)
{
    (void)state;
    log_add_secret("hv-8f3a9c2d1e");
    expect_redact("api key hv-8f3a9c2d1e rejected", "api key [REDACTED] rejected");
    expect_redact("hv-8f3a9c2d1ehv-8f3a9c2d1e", "[REDACTED][REDACTED]");
    expect_redact("hv-8f3a9c2d1", "hv-8f3a9c2d1"); /* a prefix is not the secret */

    /* The longest registered value wins where two overlap. */
    log_add_secret("abcd");
    log_add_secret("abcdefgh");
    expect_redact("x abcdefgh y abcd z", "x [REDACTED] y [REDACTED] z");

    /* Values shorter than 4 bytes are not registered (they would mask everything). */
    log_add_secret("abc");
    log_add_secret("");
    log_add_secret(NULL);
    expect_redact("abc", "abc");

    log_add_secret("hv-8f3a9c2d1e"); /* twice is harmless */
    log_clear_secrets();
    expect_redact("api key hv-8f3a9c2d1e", "api key hv-8f3a9c2d1e");
}

static void test_query_strings_and_forms(void **state)
{
    (void)state;
    expect_redact("GET https://api.example.com/x?access_token=abc123&page=2",
                  "GET https://api.example.com/x?access_token=[REDACTED]&page=2");
    expect_redact("https://h/callback?code=AUTHCODE&state=st8",
                  "https://h/callback?code=[REDACTED]&state=st8");
    expect_redact("grant_type=refresh_token&refresh_token=r123&client_id=cid&client_secret=s456",
                  "grant_type=refresh_token&refresh_token=[REDACTED]&client_id=cid"
                  "&client_secret=[REDACTED]");
    expect_redact("username=me%40example.com&password=hunter22",
                  "username=me%40example.com&password=[REDACTED]");
    expect_redact("?id_token=x.y.z&apikey=k1", "?id_token=[REDACTED]&apikey=[REDACTED]");
    /* Names are matched whole and case-insensitively. */
    expect_redact("postcode=1234&Access_Token=T0K", "postcode=1234&Access_Token=[REDACTED]");
    expect_redact("page=2&pageSize=10&state=xyz", "page=2&pageSize=10&state=xyz");
}

static void test_json_and_headers(void **state)
{
    (void)state;
    expect_redact("{\"access_token\":\"eyJabc.def\",\"token_type\":\"Bearer\","
                  "\"refresh_token\": \"r-1\",\"expires_in\":3600}",
                  "{\"access_token\":\"[REDACTED]\",\"token_type\":\"Bearer\","
                  "\"refresh_token\": \"[REDACTED]\",\"expires_in\":3600}");
    expect_redact("{\"client_secret\" : \"s\",\"password\":\"p4ss\"}",
                  "{\"client_secret\" : \"[REDACTED]\",\"password\":\"[REDACTED]\"}");
    expect_redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9", "Authorization: Bearer [REDACTED]");
    expect_redact("authorization: Basic dXNlcjpwYXNz\r\nAccept: application/json",
                  "authorization: Basic [REDACTED]\r\nAccept: application/json");
    expect_redact("api-key: 0123-4567\nUser-Agent: health-sync",
                  "api-key: [REDACTED]\nUser-Agent: health-sync");
    expect_redact("HTTP 404 for GET https://api.example.com/v1/x?page=1: message=not found",
                  "HTTP 404 for GET https://api.example.com/v1/x?page=1: message=not found");
    expect_redact("", "");
    char *out = log_redact(NULL);
    assert_string_equal(out, "");
    free(out);
}

/* Runs fn with fd (1 or 2) sent to a temporary file; returns what it printed. */
static char *capture(int fd, void (*fn)(void))
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fd);
    dup2(fileno(tmp), fd);
    fn();
    fflush(stdout);
    fflush(stderr);
    dup2(saved, fd);
    close(saved);
    static char text[1024];
    ssize_t n = pread(fileno(tmp), text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    fclose(tmp);
    return text;
}

static void print_errors(void)
{
    log_error("token %s refused", "tok-secret-1");
    log_warn("retrying with access_token=%s", "xyz");
    log_debug("not shown at the normal level");
}

static void print_verbose(void)
{
    log_debug("body: %s", "{\"password\":\"pw12345\"}");
}

static void print_info(void)
{
    log_info("stored tok-secret-1");
    log_progress("oura", "sleep", "%d records", 42);
}

static void test_output_is_redacted(void **state)
{
    (void)state;
    log_add_secret("tok-secret-1");
    assert_string_equal(capture(STDERR_FILENO, print_errors),
                        "error: token [REDACTED] refused\n"
                        "warning: retrying with access_token=[REDACTED]\n");
    log_init(LOG_VERBOSE);
    assert_int_equal(log_get_level(), LOG_VERBOSE);
    assert_string_equal(capture(STDERR_FILENO, print_verbose),
                        "debug: body: {\"password\":\"[REDACTED]\"}\n");
    log_set_tty(false);
    assert_false(log_is_tty());
    assert_string_equal(capture(STDOUT_FILENO, print_info),
                        "stored [REDACTED]\noura/sleep: 42 records\n");
    log_init(LOG_QUIET);
    assert_string_equal(capture(STDOUT_FILENO, print_info), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registered_values, reset, reset),
        cmocka_unit_test_setup_teardown(test_query_strings_and_forms, reset, reset),
        cmocka_unit_test_setup_teardown(test_json_and_headers, reset, reset),
        cmocka_unit_test_setup_teardown(test_output_is_redacted, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
