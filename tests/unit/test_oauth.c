/* Unit tests of oauth's pure parts (docs/providers.md, "Signing in"): the random state, what people
 * paste, callback queries, redirect URIs and token bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oauth.h"
#include "oauth2.h"

/* 2024-05-01T10:00:00Z */
static const time_t NOW = 1714557600;

static void expect_field(const char *what, const char *got, const char *expected)
{
    if (!expected && !got)
        return;
    if (!expected || !got || strcmp(got, expected) != 0)
        fail_msg("%s = %s, expected %s", what, got ? got : "NULL", expected ? expected : "NULL");
}

static void test_random_state(void **state)
{
    (void)state;
    char *seen[32];
    for (int i = 0; i < 32; i++) {
        seen[i] = oauth_random_state();
        assert_non_null(seen[i]);
        assert_int_equal(strlen(seen[i]), 22); /* 16 bytes, base64url, no padding */
        for (const char *p = seen[i]; *p; p++)
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p))
                fail_msg("'%c' is not base64url (%s)", *p, seen[i]);
        /* The last character carries the final 2 bits, so only 4 are canonical. */
        assert_non_null(strchr("AQgw", seen[i][21]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
    for (int i = 0; i < 32; i++)
        free(seen[i]);
}

/* A pasted line that must be accepted with these fields. */
static void expect_paste(const char *line, const char *code, const char *state_value,
                         const char *error)
{
    struct oauth_callback cb;
    char why[200] = "";
    int rc = oauth_parse_paste(line, &cb, why, sizeof why);
    if (rc != 1)
        fail_msg("paste \"%s\" gave %d (%s)", line, rc, why);
    expect_field("code", cb.code, code);
    expect_field("state", cb.state, state_value);
    expect_field("error", cb.error, error);
    oauth_callback_clear(&cb);
    assert_null(cb.code);
}

static void expect_paste_rejected(const char *line)
{
    struct oauth_callback cb;
    char why[200] = "";
    int rc = oauth_parse_paste(line, &cb, why, sizeof why);
    if (rc != -1)
        fail_msg("paste \"%s\" gave %d, expected a rejection", line, rc);
    assert_true(strlen(why) > 0);
    assert_null(cb.code);
    assert_null(cb.state);
    oauth_callback_clear(&cb);
}

static void test_paste_accepted(void **state)
{
    (void)state;
    /* A whole redirect URL, code and state in its query. */
    expect_paste("http://localhost:8484/callback?code=abc&state=xyz", "abc", "xyz", NULL);
    expect_paste("  https://h.example/cb?state=s1&code=c%2F1+2&scope=read \r\n", "c/1 2", "s1",
                 NULL);
    /* The code in the fragment. */
    expect_paste("http://127.0.0.1:8485/callback#code=frag&state=s", "frag", "s", NULL);
    expect_paste("http://127.0.0.1:8485/callback?foo=1#code=frag2", "frag2", NULL, NULL);
    /* Path, query, or bare pairs. */
    expect_paste("/callback?code=abc&state=x", "abc", "x", NULL);
    expect_paste("/callback?code=abc#ignored", "abc", NULL, NULL);
    expect_paste("?code=abc", "abc", NULL, NULL);
    expect_paste("code=abc&state=x", "abc", "x", NULL);
    expect_paste("code=abc", "abc", NULL, NULL);
    expect_paste("state=only", NULL, "only", NULL);
    expect_paste("error=access_denied&state=x", NULL, "x", "access_denied");
    expect_paste("?code=", "", NULL, NULL); /* present, if empty */
    expect_paste("code=first&code=second", "first", NULL, NULL);
    /* A bare code, possibly with characters of a structured line. */
    expect_paste("abc123XYZ", "abc123XYZ", NULL, NULL);
    expect_paste("  4/0AX4XfWh-long.code_  ", "4/0AX4XfWh-long.code_", NULL, NULL);
    expect_paste("key=value", "key=value", NULL, NULL);
}

static void test_paste_ignored_or_rejected(void **state)
{
    (void)state;
    struct oauth_callback cb;
    char why[200] = "";
    assert_int_equal(oauth_parse_paste("", &cb, why, sizeof why), 0);
    assert_int_equal(oauth_parse_paste("   \t\n", &cb, why, sizeof why), 0);
    assert_null(cb.code);

    expect_paste_rejected("not a code"); /* unstructured with whitespace */
    expect_paste_rejected("abc\tdef");
    expect_paste_rejected("http://localhost:8484/callback?foo=bar");
    expect_paste_rejected("http://localhost:8484/callback");
    expect_paste_rejected("http://localhost:8484/callback?foo=1#bar=2");
    expect_paste_rejected("/callback");
    expect_paste_rejected("/callback?x=1");
    expect_paste_rejected("?foo=1");
    expect_paste_rejected("a=b&c=d");
}

static void test_parse_query(void **state)
{
    (void)state;
    struct oauth_callback cb = {0};
    assert_int_equal(oauth_parse_query("code=1&code=2&state=s%20t&error=e&extra=x", &cb), 1);
    expect_field("code", cb.code, "1");
    expect_field("state", cb.state, "s t");
    expect_field("error", cb.error, "e");
    assert_null(cb.iss);
    oauth_callback_clear(&cb);

    /* `issuer` maps to iss; the first of the two wins. */
    assert_int_equal(oauth_parse_query("issuer=https%3A%2F%2Fmoi.ouraring.com&code=c", &cb), 1);
    expect_field("iss", cb.iss, "https://moi.ouraring.com");
    oauth_callback_clear(&cb);
    assert_int_equal(oauth_parse_query("iss=A&issuer=B", &cb), 1);
    expect_field("iss", cb.iss, "A");
    oauth_callback_clear(&cb);

    assert_int_equal(oauth_parse_query("foo=bar&scope=read", &cb), 0);
    assert_null(cb.code);
    assert_int_equal(oauth_parse_query("", &cb), 0);
    assert_int_equal(oauth_parse_query("code", &cb), 1); /* no '=': present and empty */
    expect_field("code", cb.code, "");
    oauth_callback_clear(&cb);
}

static void expect_redirect(const char *uri, const char *scheme, const char *host, int port,
                            const char *path)
{
    struct oauth_redirect r;
    struct hs_error err = HS_ERROR_INIT;
    if (oauth_parse_redirect_uri(uri, &r, &err) != 0)
        fail_msg("%s rejected: %s", uri, err.msg);
    expect_field("scheme", r.scheme, scheme);
    expect_field("host", r.host, host);
    expect_field("path", r.path, path);
    assert_int_equal(r.port, port);
    oauth_redirect_clear(&r);
    assert_null(r.host);
}

static void expect_redirect_error(const char *uri, const char *why)
{
    struct oauth_redirect r;
    struct hs_error err = HS_ERROR_INIT;
    if (oauth_parse_redirect_uri(uri, &r, &err) == 0) {
        oauth_redirect_clear(&r);
        fail_msg("%s accepted", uri);
    }
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    if (!strstr(err.msg, uri) || !strstr(err.msg, why))
        fail_msg("error '%s' should name %s and say %s", err.msg, uri, why);
    assert_null(r.scheme);
    assert_null(r.host);
}

static void test_redirect_uri(void **state)
{
    (void)state;
    expect_redirect("http://localhost/callback", "http", "localhost", 80, "/callback");
    expect_redirect("https://example.com", "https", "example.com", 443, "/callback");
    expect_redirect("https://example.com?x=1", "https", "example.com", 443, "/callback");
    expect_redirect("http://localhost:8484/callback", "http", "localhost", 8484, "/callback");
    expect_redirect("http://127.0.0.1:8486/cb/strava?x=1#frag", "http", "127.0.0.1", 8486,
                    "/cb/strava");
    expect_redirect("https://example.com:8443/", "https", "example.com", 8443, "/");
    expect_redirect("http://[::1]:8080/callback", "http", "::1", 8080, "/callback");
    expect_redirect("http://[::1]/oauth", "http", "::1", 80, "/oauth");

    expect_redirect_error("ftp://example.com/callback", "http");
    expect_redirect_error("localhost:8484/callback", "http");
    expect_redirect_error("http://localhost:0/callback", "port");
    expect_redirect_error("http://localhost:70000/callback", "port");
    expect_redirect_error("http://localhost:80x/callback", "port");
    expect_redirect_error("http:///callback", "not a valid URL");
}

static void test_token_from_json_relative(void **state)
{
    (void)state;
    log_clear_secrets();
    json_t *reply =
        json_loads("{\"access_token\":\"acc-token-1\",\"refresh_token\":\"ref-token-1\","
                   "\"token_type\":\"bearer\",\"scope\":\"daily sleep\","
                   "\"expires_in\":86400,\"userid\":\"123\",\"csrf\":1}",
                   JSON_PRESERVE_ORDER, NULL);
    assert_non_null(reply);
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(oauth_token_from_json("withings", reply, false, "old", NOW, &t, &err), 0);
    expect_field("provider", t.provider, "withings");
    expect_field("access_token", t.access_token, "acc-token-1");
    expect_field("refresh_token", t.refresh_token, "ref-token-1"); /* the new one wins */
    expect_field("token_type", t.token_type, "bearer");
    expect_field("scope", t.scope, "daily sleep");
    expect_field("expires_at", t.expires_at, "2024-05-02T10:00:00Z");
    expect_field("obtained_at", t.obtained_at, "2024-05-01T10:00:00Z");
    expect_field("extra_json", t.extra_json, "{\"userid\":\"123\",\"csrf\":1}");
    store_token_clear(&t);
    json_decref(reply);

    /* Both tokens are registered for redaction. */
    char *line = log_redact("got acc-token-1 and ref-token-1");
    assert_string_equal(line, "got [REDACTED] and [REDACTED]");
    free(line);
    log_clear_secrets();
}

static void test_token_from_json_absolute(void **state)
{
    (void)state;
    /* Strava: an absolute epoch expires_at; expires_in stays in extra. */
    json_t *reply = json_loads("{\"token_type\":\"Bearer\",\"expires_at\":1714600000,"
                               "\"expires_in\":21600,\"refresh_token\":\"r-strava\","
                               "\"access_token\":\"a-strava\",\"athlete\":{\"id\":7}}",
                               JSON_PRESERVE_ORDER, NULL);
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(oauth_token_from_json("strava", reply, true, NULL, NOW, &t, &err), 0);
    /* python3 -c 'from datetime import datetime,timezone;
     *   print(datetime.fromtimestamp(1714600000, timezone.utc).isoformat())' */
    expect_field("expires_at", t.expires_at, "2024-05-01T21:46:40Z");
    expect_field("extra_json", t.extra_json, "{\"expires_in\":21600,\"athlete\":{\"id\":7}}");
    expect_field("scope", t.scope, NULL);
    store_token_clear(&t);
    json_decref(reply);
    log_clear_secrets();
}

static void test_token_from_json_defaults(void **state)
{
    (void)state;
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    /* No refresh_token: the previous one is kept; no token_type: Bearer; a
     * fractional expires_in (Eight Sleep); nothing left over: no extra. */
    json_t *reply = json_loads("{\"access_token\":\"acc-2\",\"expires_in\":3600.5}", 0, NULL);
    assert_int_equal(oauth_token_from_json("oura", reply, false, "previous-refresh", NOW, &t, &err),
                     0);
    expect_field("refresh_token", t.refresh_token, "previous-refresh");
    expect_field("token_type", t.token_type, "Bearer");
    expect_field("expires_at", t.expires_at, "2024-05-01T11:00:00Z");
    expect_field("extra_json", t.extra_json, NULL);
    store_token_clear(&t);
    json_decref(reply);

    /* No previous one either; an empty refresh_token counts as absent; no expiry. */
    reply = json_loads("{\"access_token\":\"acc-3\",\"refresh_token\":\"\"}", 0, NULL);
    assert_int_equal(oauth_token_from_json("oura", reply, false, NULL, NOW, &t, &err), 0);
    expect_field("refresh_token", t.refresh_token, NULL);
    expect_field("expires_at", t.expires_at, NULL);
    store_token_clear(&t);
    json_decref(reply);
    assert_int_equal(err.kind, HS_OK);
    log_clear_secrets();
}

static void test_token_from_json_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "{\"refresh_token\":\"r\",\"expires_in\":3600}",
        "{\"access_token\":\"\"}",
        "{\"access_token\":42}",
        "[\"access_token\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *reply = json_loads(bad[i], 0, NULL);
        assert_non_null(reply);
        struct token t;
        struct hs_error err = HS_ERROR_INIT;
        assert_int_equal(oauth_token_from_json("oura", reply, false, "prev", NOW, &t, &err), -1);
        assert_int_equal(err.kind, HS_ERR_AUTH);
        assert_non_null(strstr(err.msg, "oura"));
        assert_non_null(strstr(err.msg, "access_token"));
        assert_null(t.access_token);
        store_token_clear(&t); /* harmless, and nothing leaks */
        json_decref(reply);
    }
}

static void test_needs_refresh(void **state)
{
    (void)state;
    struct token t = {.access_token = "a", .refresh_token = "r"};
    struct {
        const char *refresh, *expires;
        bool needs;
    } cases[] = {
        {NULL, "2024-05-01T09:00:00Z", false}, /* no refresh token: used as is */
        {"", "2024-05-01T09:00:00Z", false},
        {"r", NULL, false}, /* no expiry: used as is */
        {"r", "", false},
        {"r", "2024-05-02T10:00:00Z", false},
        {"r", "2024-05-01T10:01:01Z", false}, /* 61 s left */
        {"r", "2024-05-01T10:01:00Z", true},  /* 60 s left */
        {"r", "2024-05-01T10:00:30Z", true},
        {"r", "2024-05-01T09:00:00Z", true}, /* expired */
        {"r", "2024-05-01T12:00:00+02:00", true},
        {"r", "1714557700", false}, /* epoch text, 100 s left */
        {"r", "soon", true},        /* unparseable */
        {"r", "2024-02-30T00:00:00Z", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        t.refresh_token = (char *)cases[i].refresh;
        t.expires_at = (char *)cases[i].expires;
        if (oauth_token_needs_refresh(&t, NOW) != cases[i].needs)
            fail_msg("refresh=%s expires_at=%s: expected %s",
                     cases[i].refresh ? cases[i].refresh : "NULL",
                     cases[i].expires ? cases[i].expires : "NULL",
                     cases[i].needs ? "a refresh" : "no refresh");
    }
}

static void expect_scopes(const char *configured, char sep, const char *const (*aliases)[2],
                          const char *expected)
{
    char *got = oauth2_join_scopes(configured, sep, aliases);
    expect_field(configured ? configured : "NULL", got, expected);
    free(got);
}

/* The scope rules of the OAuth2 table: any separator in, the provider's out,
 * repeats dropped, aliases read as their target. */
static void test_join_scopes(void **state)
{
    (void)state;
    static const char *const aliases[][2] = {{"user.sleep", "user.activity"}, {NULL, NULL}};
    expect_scopes("personal daily  sleep", ' ', NULL, "personal daily sleep");
    expect_scopes("read activity:read_all read", ',', NULL, "read,activity:read_all");
    expect_scopes(" read,\tactivity:read_all ,", ',', NULL, "read,activity:read_all");
    expect_scopes("user.metrics user.sleep,user.activity", ',', aliases,
                  "user.metrics,user.activity");
    expect_scopes("", ' ', NULL, "");
    expect_scopes(NULL, ' ', NULL, "");
    assert_true(oauth2_has_scope("offline read:recovery", "offline"));
    assert_true(oauth2_has_scope("read:cycles,offline", "offline"));
    assert_false(oauth2_has_scope("read:offline_data read:cycles", "offline"));
    assert_false(oauth2_has_scope(NULL, "offline"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_state),
        cmocka_unit_test(test_paste_accepted),
        cmocka_unit_test(test_paste_ignored_or_rejected),
        cmocka_unit_test(test_parse_query),
        cmocka_unit_test(test_redirect_uri),
        cmocka_unit_test(test_token_from_json_relative),
        cmocka_unit_test(test_token_from_json_absolute),
        cmocka_unit_test(test_token_from_json_defaults),
        cmocka_unit_test(test_token_from_json_errors),
        cmocka_unit_test(test_needs_refresh),
        cmocka_unit_test(test_join_scopes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
