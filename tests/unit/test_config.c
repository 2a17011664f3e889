/* Unit tests of config: a section table of our own loaded from temporary
 * TOML files: defaults, the Python tool's coercions, errors naming
 * file:line and key, warnings, and secrets registered for redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "toml.h"

static const struct config_key demo_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "on/off"},
    {"name", CFG_STRING, "default-name", 0, 0, "a string with a default"},
    {"note", CFG_STRING, NULL, 0, 0, "a string without one"},
    {"api_key", CFG_SECRET, NULL, 0, 0, "a secret"},
    {"page_size", CFG_INT, "10", 1, 10, "a bounded integer"},
    {"overlap", CFG_INT, "300", 0, 0, "an unbounded integer"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "a date"},
    {"base_url", CFG_URL, "https://api.example.com/", 0, 0, "a URL"},
    {"scopes", CFG_LIST, "read, write", 0, 0, "a list"},
    {"types", CFG_INT_LIST, "1,4", 0, 0, "a list of integers"},
    {"zone", CFG_TZ, "UTC", 0, 0, "a time zone"},
    {NULL},
};

static const struct config_section sections[] = {
    {"app", config_app_keys},
    {"demo", demo_keys},
    {NULL},
};

static char dir[64];
static char path[128];
static struct config *loaded; /* the last config loaded; freed by the next load or teardown */

/* Keeps c as the current config, freeing the previous one, so a failing
 * assertion never leaks it. */
static struct config *keep(struct config *c)
{
    config_free(loaded);
    loaded = c;
    return c;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/hs-test-config-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/health-sync.toml", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    keep(NULL);
    unlink(path);
    log_clear_secrets();
    return rmdir(dir);
}

static void write_config(const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0); /* whatever the umask */
    close(fd);
}

/* Loads `path` with stderr captured into `captured` (warnings). */
static struct config *load_capturing(bool explicit_path, struct hs_error *err, char *captured,
                                     size_t caplen)
{
    char cap_path[128];
    snprintf(cap_path, sizeof cap_path, "%s/stderr", dir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(cap_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDERR_FILENO);
    struct config *c = keep(config_load(path, explicit_path, sections, err));
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ssize_t n = pread(fd, captured, caplen - 1, 0);
    captured[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(cap_path);
    return c;
}

static struct config *load(const char *text)
{
    write_config(text, 0600);
    struct hs_error err = HS_ERROR_INIT;
    struct config *c = keep(config_load(path, true, sections, &err));
    if (!c)
        fail_msg("config rejected: %s", err.msg);
    return c;
}

/* Loads text that must fail; the message must name file:line and the key. */
static void expect_error(const char *text, int line, const char *key, const char *why)
{
    write_config(text, 0600);
    struct hs_error err = HS_ERROR_INIT;
    struct config *c = keep(config_load(path, true, sections, &err));
    if (c) {
        fail_msg("accepted: %s", text);
    }
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    char where[160];
    snprintf(where, sizeof where, "%s:%d:", path, line);
    if (!strstr(err.msg, where) || !strstr(err.msg, key) || !strstr(err.msg, why))
        fail_msg("error '%s' lacks '%s', '%s' or '%s'", err.msg, where, key, why);
}

/* config_str of [demo].key equals expected (a NULL result fails cleanly). */
static void expect_str(const struct config *c, const char *key, const char *expected)
{
    const char *v = config_str(c, "demo", key);
    if (!v || strcmp(v, expected) != 0)
        fail_msg("[demo].%s = %s%s%s, expected \"%s\"", key, v ? "\"" : "", v ? v : "NULL",
                 v ? "\"" : "", expected);
}

static void expect_list(const struct config *c, const char *key, const char *const *items,
                        size_t count)
{
    size_t n = 99;
    const char *const *list = config_list(c, "demo", key, &n);
    assert_int_equal(n, count);
    for (size_t i = 0; i < count; i++)
        assert_string_equal(list[i], items[i]);
}

static void test_missing_default_file_is_defaults(void **state)
{
    (void)state;
    unlink(path);
    struct hs_error err = HS_ERROR_INIT;
    struct config *c = keep(config_load(path, false, sections, &err));
    assert_non_null(c);
    assert_int_equal(err.kind, HS_OK);
    assert_false(config_file_found(c));
    assert_string_equal(config_path(c), path);
    assert_false(config_bool(c, "demo", "enabled"));
    expect_str(c, "name", "default-name");
    assert_null(config_str(c, "demo", "note"));
    assert_null(config_str(c, "demo", "api_key"));
    assert_int_equal(config_int(c, "demo", "page_size"), 10);
    assert_int_equal(config_int(c, "demo", "overlap"), 300);
    expect_str(c, "start_date", "2010-01-01");
    expect_str(c, "base_url", "https://api.example.com");
    expect_list(c, "scopes", (const char *const[]){"read", "write"}, 2);
    assert_string_equal(config_str(c, "app", "db"), "./health.sqlite");
    assert_false(config_is_set(c, "demo", "page_size"));
    assert_int_equal(config_line(c, "demo", "page_size"), 0);
}

static void test_missing_explicit_file_is_error(void **state)
{
    (void)state;
    unlink(path);
    struct hs_error err = HS_ERROR_INIT;
    assert_null(keep(config_load(path, true, sections, &err)));
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not found"));
}

static void test_values_and_lines(void **state)
{
    (void)state;
    struct config *c = load("# comment\n"
                            "[app]\n"
                            "db = \"  ~/data/health.sqlite  \"\n"
                            "\n"
                            "[demo]\n"
                            "enabled = true\n"
                            "name = \"  padded  \"\n"
                            "page_size = 10\n"
                            "overlap = 0\n"
                            "start_date = 2024-02-29\n"
                            "base_url = \"http://127.0.0.1:8080/v1///\"\n"
                            "scopes = [\"a\", 5, \" b \", \"\"]\n");
    assert_true(config_file_found(c));
    assert_string_equal(config_str(c, "app", "db"), "~/data/health.sqlite");
    assert_true(config_bool(c, "demo", "enabled"));
    expect_str(c, "name", "padded");
    assert_int_equal(config_int(c, "demo", "page_size"), 10);
    /* An explicit 0 is honoured, and set even though it differs from nothing. */
    assert_int_equal(config_int(c, "demo", "overlap"), 0);
    assert_true(config_is_set(c, "demo", "overlap"));
    expect_str(c, "start_date", "2024-02-29");
    expect_str(c, "base_url", "http://127.0.0.1:8080/v1");
    /* Numbers stringified, items trimmed, empty ones gone. */
    expect_list(c, "scopes", (const char *const[]){"a", "5", "b"}, 3);

    assert_int_equal(config_line(c, "app", "db"), 3);
    assert_int_equal(config_line(c, "demo", "enabled"), 6);
    assert_int_equal(config_line(c, "demo", "scopes"), 12);
    assert_false(config_is_set(c, "demo", "note"));
}

static void test_python_compatible_coercions(void **state)
{
    (void)state;
    struct config *c = load("[demo]\n"
                            "enabled = \"yes\"\n"
                            "page_size = \" 7 \"\n"
                            "overlap = \"-42\"\n"
                            "start_date = \"2024-01-31\"\n"
                            "scopes = \"x, y z,,w\"\n"
                            "note = 123\n");
    assert_true(config_bool(c, "demo", "enabled"));
    assert_int_equal(config_int(c, "demo", "page_size"), 7);
    assert_int_equal(config_int(c, "demo", "overlap"), -42);
    expect_str(c, "start_date", "2024-01-31");
    expect_list(c, "scopes", (const char *const[]){"x", "y", "z", "w"}, 4);
    expect_str(c, "note", "123"); /* numbers stringified */

    /* Every spelling of a boolean the Python tool accepted. */
    const char *yes[] = {"true", "1", "yes", "y", "on", "TRUE", "Yes", "1 ", "On"};
    const char *no[] = {"false", "0", "no", "n", "off", "FALSE", "No", "OFF"};
    char text[128];
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        snprintf(text, sizeof text, "[demo]\nenabled = \"%s\"\n", yes[i]);
        c = load(text);
        if (!config_bool(c, "demo", "enabled"))
            fail_msg("\"%s\" should be true", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        snprintf(text, sizeof text, "[demo]\nenabled = \"%s\"\n", no[i]);
        c = load(text);
        if (config_bool(c, "demo", "enabled"))
            fail_msg("\"%s\" should be false", no[i]);
    }
    /* TOML integers 1 and 0 (only those: 2 is no boolean). */
    c = load("[demo]\nenabled = 1\n");
    assert_true(config_bool(c, "demo", "enabled"));
    c = load("[demo]\nenabled = 0\n");
    assert_false(config_bool(c, "demo", "enabled"));
    /* Lists of integers as an array, digits in strings, or one string. */
    c = load("[demo]\ntypes = [1, \"6\", 88]\n");
    expect_list(c, "types", (const char *const[]){"1", "6", "88"}, 3);
    c = load("[demo]\ntypes = \"1, 9,10\"\n");
    expect_list(c, "types", (const char *const[]){"1", "9", "10"}, 3);
    c = load("[demo]\nzone = \"Europe/Lisbon\"\n");
    expect_str(c, "zone", "Europe/Lisbon");
}

static void test_empty_string_means_default(void **state)
{
    (void)state;
    /* Seed: `_get_str(d, key) or default` - an empty or blank string is
     * unset and the default applies. */
    struct config *c = load("[demo]\nname = \"   \"\nnote = \"\"\n");
    expect_str(c, "name", "default-name");
    assert_null(config_str(c, "demo", "note"));
}

static void test_type_and_range_errors(void **state)
{
    (void)state;
    /* Every message: FILE:LINE: [section].key: expected ..., got ... */
    expect_error("[demo]\npage_size = 11\n", 2, "[demo].page_size",
                 "expected an integer from 1 to 10, got 11");
    expect_error("[demo]\n\npage_size = \"0\"\n", 3, "page_size",
                 "expected an integer from 1 to 10, got \"0\"");
    expect_error("[demo]\npage_size = \"lots\"\n", 2, "page_size",
                 "expected an integer from 1 to 10, got \"lots\"");
    expect_error("[demo]\npage_size = \"7x\"\n", 2, "page_size", "got \"7x\"");
    expect_error("[demo]\npage_size = 1.5\n", 2, "page_size", "got 1.5");
    expect_error("[demo]\npage_size = true\n", 2, "page_size", "got true");
    expect_error("[demo]\noverlap = [1]\n", 2, "overlap", "expected an integer, got a list");
    expect_error("[demo]\nenabled = \"maybe\"\n", 2, "[demo].enabled",
                 "expected true or false, got \"maybe\"");
    expect_error("[demo]\nenabled = 2\n", 2, "enabled", "expected true or false, got 2");
    expect_error("[demo]\nenabled = -3\n", 2, "enabled", "got -3");
    expect_error("[demo]\nenabled = 2024-01-01\n", 2, "enabled", "got 2024-01-01");
    expect_error("[demo]\nstart_date = \"2024-02-30\"\n", 2, "start_date",
                 "expected a date YYYY-MM-DD, got \"2024-02-30\"");
    expect_error("[demo]\nstart_date = 20240101\n", 2, "start_date", "got 20240101");
    expect_error("[demo]\nbase_url = \"ftp://example.com\"\n", 2, "base_url",
                 "expected an http:// or https:// URL, got \"ftp://example.com\"");
    expect_error("[demo]\nbase_url = \"example.com\"\n", 2, "base_url", "http");
    expect_error("[demo]\nscopes = [[\"a\"]]\n", 2, "scopes", "expected a list of strings");
    expect_error("[demo]\nscopes = [\"a\", true]\n", 2, "scopes", "got a list");
    expect_error("[demo]\nname = [\"a\"]\n", 2, "name", "expected a string, got a list");
    expect_error("[demo]\nname = true\n", 2, "name", "expected a string, got true");
    expect_error("[demo]\nname = 1.5\n", 2, "name", "got 1.5");
    expect_error("[app]\nmax_concurrency = 0\n", 2, "[app].max_concurrency",
                 "expected an integer from 1 to 64, got 0");
    /* A file name is text: neither a boolean (ignored) nor a number (a file "5"). */
    expect_error("[app]\ndb = true\n", 2, "[app].db", "expected a file name in quotes, got true");
    expect_error("[app]\ndb = 5\n", 2, "[app].db", "got 5");
    /* Withings' meastypes: each item an integer. */
    expect_error("[demo]\ntypes = \"1,abc\"\n", 2, "types",
                 "expected a list of integers, got \"1,abc\"");
    expect_error("[demo]\ntypes = [1, \"x\"]\n", 2, "types", "expected a list of integers");
    expect_error("[demo]\ntypes = [1, 2.5]\n", 2, "types", "expected a list of integers");
    /* Time zones are checked when the file is read, not mid-sync. */
    expect_error("[demo]\nzone = \"Mars/Olympus_Mons\"\n", 2, "[demo].zone",
                 "expected an IANA time zone");
    expect_error("[demo]\nzone = \"../../etc/passwd\"\n", 2, "zone", "time zone");
    expect_error("[demo]\nzone = 3\n", 2, "zone", "time zone");
    /* What the file held is quoted with its control characters escaped. */
    expect_error("[demo]\npage_size = \"\\u001b[2J\"\n", 2, "page_size", "got \"\\x1b[2J\"");

    /* Malformed TOML names the file. */
    write_config("[demo\n", 0600);
    struct hs_error err = HS_ERROR_INIT;
    assert_null(keep(config_load(path, false, sections, &err)));
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, path));
}

static void test_unknown_key_is_a_warning(void **state)
{
    (void)state;
    write_config("[demo]\nenabled = true\ncolour = \"blue\"\n\n[nosuch]\nx = 1\n", 0600);
    struct hs_error err = HS_ERROR_INIT;
    char captured[2048];
    struct config *c = load_capturing(true, &err, captured, sizeof captured);
    assert_non_null(c);
    assert_int_equal(err.kind, HS_OK);
    assert_true(config_bool(c, "demo", "enabled"));
    char where[160];
    snprintf(where, sizeof where, "%s:3:", path);
    if (!strstr(captured, where) || !strstr(captured, "colour"))
        fail_msg("no warning naming %s and colour in: %s", where, captured);
    assert_non_null(strstr(captured, "nosuch"));
}

static void test_secrets_are_redacted(void **state)
{
    (void)state;
    log_clear_secrets();
    write_config("[demo]\napi_key = \"  hv-8f3a9c2d1e  \"\n", 0644);
    struct hs_error err = HS_ERROR_INIT;
    char captured[2048];
    struct config *c = load_capturing(true, &err, captured, sizeof captured);
    assert_non_null(c);
    expect_str(c, "api_key", "hv-8f3a9c2d1e");
    /* A file holding a secret that others can read is worth a warning. */
    assert_non_null(strstr(captured, "readable by other users"));

    char *line = log_redact("GET /v1/workouts with hv-8f3a9c2d1e failed");
    assert_string_equal(line, "GET /v1/workouts with [REDACTED] failed");
    free(line);

    /* Mode 0600: no warning. */
    write_config("[demo]\napi_key = \"hv-8f3a9c2d1e\"\n", 0600);
    c = load_capturing(true, &err, captured, sizeof captured);
    assert_non_null(c);
    assert_null(strstr(captured, "readable"));
    log_clear_secrets();
}

/* A secret of the wrong type is refused without being repeated. */
static void test_secret_never_echoed(void **state)
{
    (void)state;
    expect_error("[demo]\napi_key = true\n", 2, "api_key", "expected a string");
    expect_error("[demo]\napi_key = [\"hv-SECRET-77\"]\n", 2, "api_key", "got a list");
    write_config("[demo]\napi_key = 3.14159\n", 0600);
    struct hs_error err = HS_ERROR_INIT;
    assert_null(keep(config_load(path, true, sections, &err)));
    assert_null(strstr(err.msg, "3.14"));
}

/* A URL holding user:password@ is refused, saying why, without the password. */
static void test_url_credentials_refused(void **state)
{
    (void)state;
    write_config("[demo]\nbase_url = \"http://user:hunter2-SECRET@127.0.0.1:9/v1\"\n", 0600);
    struct hs_error err = HS_ERROR_INIT;
    assert_null(keep(config_load(path, true, sections, &err)));
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, ":2: [demo].base_url:"));
    assert_non_null(strstr(err.msg, "user name or password"));
    assert_null(strstr(err.msg, "hunter2"));
    /* An @ in the path or query is no credential. */
    load("[demo]\nbase_url = \"https://example.com/users/@me?x=a@b\"\n");
}

/* 300,000 keys in one table and 300,000 tables load (linear in the keys:
 * each new key was compared with every one before it). */
static void test_many_keys_load(void **state)
{
    (void)state;
    struct buf text = BUF_INIT;
    buf_adds(&text, "[demo]\nenabled = true\n[bulk]\n");
    for (int i = 0; i < 300000; i++)
        buf_addf(&text, "k%d = %d\n", i, i);
    for (int i = 0; i < 300000; i++)
        buf_addf(&text, "[t%d]\n", i);
    assert_false(buf_failed(&text));
    char why[256];
    struct toml_value *root = toml_parse(text.data, text.len, why, sizeof why);
    buf_free(&text);
    assert_non_null(root);
    const struct toml_value *bulk = toml_get(root, "bulk");
    assert_non_null(bulk);
    assert_int_equal(bulk->u.table.len, 300000);
    assert_int_equal(toml_get(bulk, "k299999")->u.i, 299999);
    assert_int_equal(toml_get(bulk, "k0")->u.i, 0);
    assert_null(toml_get(bulk, "k300000"));
    assert_non_null(toml_get(root, "t123456"));
    assert_int_equal(root->u.table.len, 300002);
    toml_free(root);
    /* A duplicate among many is still found. */
    struct buf dup = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        buf_addf(&dup, "k%d = 1\n", i);
    buf_adds(&dup, "k500 = 2\n");
    assert_null(toml_parse(dup.data, dup.len, why, sizeof why));
    assert_non_null(strstr(why, "duplicate key 'k500'"));
    buf_free(&dup);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_default_file_is_defaults),
        cmocka_unit_test(test_missing_explicit_file_is_error),
        cmocka_unit_test(test_values_and_lines),
        cmocka_unit_test(test_python_compatible_coercions),
        cmocka_unit_test(test_empty_string_means_default),
        cmocka_unit_test(test_type_and_range_errors),
        cmocka_unit_test(test_unknown_key_is_a_warning),
        cmocka_unit_test(test_secrets_are_redacted),
        cmocka_unit_test(test_secret_never_echoed),
        cmocka_unit_test(test_url_credentials_refused),
        cmocka_unit_test(test_many_keys_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
