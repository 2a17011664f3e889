/* Unit tests of npm_creds: the npm tool's token file as it writes it
 * (camelCase, ISO times), the snake_case and epoch forms it also reads,
 * what counts as no token, and files that are not that JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npm_creds.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/hs-test-npm-creds-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/.health-sync.creds", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

static void write_file(const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_path_is_beside_the_config(void **state)
{
    (void)state;
    char *p = npm_creds_path("/home/me/conf/health-sync.toml");
    assert_string_equal(p, "/home/me/conf/.health-sync.creds");
    free(p);
    p = npm_creds_path("health-sync.toml");
    assert_string_equal(p, "./.health-sync.creds");
    free(p);
}

static void test_as_the_tool_writes_it(void **state)
{
    (void)state;
    write_file(
        "{\"tokens\":{\"oura\":{\"accessToken\":\"at-1\",\"expiresAt\":\"2026-12-06T01:04:05Z\","
        "\"extra\":{\"token_endpoint\":\"https://x/token\"},\"obtainedAt\":"
        "\"2026-12-06T00:04:05Z\",\"refreshToken\":\"rt-1\",\"scope\":\"extapi:daily\","
        "\"tokenType\":\"bearer\"}},\"updatedAt\":\"2026-12-06T00:04:05Z\",\"version\":1}\n");
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), 1);
    assert_string_equal(t.provider, "oura");
    assert_string_equal(t.access_token, "at-1");
    assert_string_equal(t.refresh_token, "rt-1");
    assert_string_equal(t.token_type, "bearer");
    assert_string_equal(t.scope, "extapi:daily");
    assert_string_equal(t.expires_at, "2026-12-06T01:04:05Z");
    assert_string_equal(t.obtained_at, "2026-12-06T00:04:05Z");
    assert_string_equal(t.extra_json, "{\"token_endpoint\":\"https://x/token\"}");
    store_token_clear(&t);
    /* Another provider of the file: none. */
    assert_int_equal(npm_creds_read(path, "strava", 0, &t, &err), 0);
}

static void test_other_forms_it_reads(void **state)
{
    (void)state;
    /* snake_case names, an epoch expiry, no obtainedAt (now), null extra. */
    write_file("{\"version\":1,\"tokens\":{\"strava\":{\"access_token\":\"at-2\",\"refresh_token\":"
               "null,\"expires_at\":1796286818,\"extra\":null}}}");
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(npm_creds_read(path, "strava", 1765000000, &t, &err), 1);
    assert_string_equal(t.access_token, "at-2");
    assert_null(t.refresh_token);
    assert_null(t.token_type);
    assert_string_equal(t.expires_at, "2026-12-03T08:33:38Z");
    assert_string_equal(t.obtained_at, "2025-12-06T05:46:40Z");
    assert_null(t.extra_json);
    store_token_clear(&t);
}

static void test_no_token(void **state)
{
    (void)state;
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    unlink(path);
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), 0); /* no file */
    write_file("{\"version\":1,\"tokens\":{\"oura\":{\"accessToken\":\"\"},"
               "\"withings\":{\"refreshToken\":\"rt\"},\"hevy\":\"x\"}}");
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), 0);     /* empty */
    assert_int_equal(npm_creds_read(path, "withings", 0, &t, &err), 0); /* none */
    assert_int_equal(npm_creds_read(path, "hevy", 0, &t, &err), 0);     /* not an object */
    write_file("{\"version\":1}");
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), 0);
}

static void test_not_that_json(void **state)
{
    (void)state;
    struct token t;
    struct hs_error err = HS_ERROR_INIT;
    write_file("{\"version\":1,\"tokens\":[");
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), -1);
    assert_non_null(strstr(err.msg, ".health-sync.creds"));
    hs_error_clear(&err);
    write_file("{\"version\":1,\"tokens\":[]}");
    assert_int_equal(npm_creds_read(path, "oura", 0, &t, &err), -1);
    assert_non_null(strstr(err.msg, "not the npm health-sync token file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_is_beside_the_config),
        cmocka_unit_test(test_as_the_tool_writes_it),
        cmocka_unit_test(test_other_forms_it_reads),
        cmocka_unit_test(test_no_token),
        cmocka_unit_test(test_not_that_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
