/* Unit tests of config_edit: each edit changes the bytes of one value or
 * adds one line (or one section), and every other byte of the document
 * (comments, order, spacing, line endings) stays as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_edit.h"

/* Applies [section].key = value to before; the result must be after. */
static void expect_edit(const char *before, const char *section, const char *key, const char *value,
                        const char *after)
{
    struct buf doc = BUF_INIT;
    buf_adds(&doc, before);
    struct hs_error err = HS_ERROR_INIT;
    bool changed = false;
    struct config_change c = {section, key, value};
    if (config_edit_apply(&doc, &c, &changed, &err) < 0)
        fail_msg("edit refused: %s", err.msg);
    assert_string_equal(doc.data, after);
    assert_int_equal(changed, strcmp(before, after) != 0);
    buf_free(&doc);
}

static void expect_refused(const char *before, const char *section, const char *key,
                           const char *why)
{
    struct buf doc = BUF_INIT;
    buf_adds(&doc, before);
    struct hs_error err = HS_ERROR_INIT;
    struct config_change c = {section, key, "true"};
    assert_int_equal(config_edit_apply(&doc, &c, NULL, &err), -1);
    assert_non_null(strstr(err.msg, why));
    assert_string_equal(doc.data, before); /* untouched */
    buf_free(&doc);
}

static void test_replaces_only_the_value(void **state)
{
    (void)state;
    expect_edit("# my config\n"
                "[app]\n"
                "db = \"~/health.sqlite\"   # keep it home\n"
                "\n"
                "[oura]\n"
                "  enabled   =   false   # not yet\n"
                "client_id = \"abc\"\n",
                "oura", "enabled", "true",
                "# my config\n"
                "[app]\n"
                "db = \"~/health.sqlite\"   # keep it home\n"
                "\n"
                "[oura]\n"
                "  enabled   =   true   # not yet\n"
                "client_id = \"abc\"\n");
    /* A string value, and a value that already is what is asked: no change. */
    expect_edit("[hevy]\napi_key = 'old'\n", "hevy", "api_key", "\"new\"",
                "[hevy]\napi_key = \"new\"\n");
    expect_edit("[hevy]\nenabled = true\n", "hevy", "enabled", "true", "[hevy]\nenabled = true\n");
}

static void test_adds_after_the_sections_last_key(void **state)
{
    (void)state;
    /* The new line goes after client_id, not after the blank line and the
     * comment that introduce the next section. */
    expect_edit("[oura]\n"
                "client_id = \"abc\"\n"
                "\n"
                "# Withings next\n"
                "[withings]\n"
                "enabled = false\n",
                "oura", "enabled", "true",
                "[oura]\n"
                "client_id = \"abc\"\n"
                "enabled = true\n"
                "\n"
                "# Withings next\n"
                "[withings]\n"
                "enabled = false\n");
    /* An empty section: right after its header; indentation copied. */
    expect_edit("[oura] # mine\n\n[hevy]\n", "oura", "enabled", "true",
                "[oura] # mine\nenabled = true\n\n[hevy]\n");
    expect_edit("[oura]\n    client_id = \"x\"\n[hevy]\n", "oura", "enabled", "true",
                "[oura]\n    client_id = \"x\"\n    enabled = true\n[hevy]\n");
    /* A sub-table after the section is not part of it. */
    expect_edit("[oura]\na = 1\n[oura.extra]\nb = 2\n", "oura", "enabled", "true",
                "[oura]\na = 1\nenabled = true\n[oura.extra]\nb = 2\n");
}

static void test_appends_a_missing_section(void **state)
{
    (void)state;
    expect_edit("[app]\ndb = \"x\"\n", "hevy", "api_key", "\"k\"",
                "[app]\ndb = \"x\"\n\n[hevy]\napi_key = \"k\"\n");
    /* No newline at the end of the file; a blank line already there. */
    expect_edit("[app]\ndb = \"x\"", "hevy", "enabled", "true",
                "[app]\ndb = \"x\"\n\n[hevy]\nenabled = true\n");
    expect_edit("[app]\n\n", "hevy", "enabled", "true", "[app]\n\n[hevy]\nenabled = true\n");
    expect_edit("", "hevy", "enabled", "true", "[hevy]\nenabled = true\n");
    /* A section only named as [hevy.sub] is still missing its own keys. */
    expect_edit("[hevy.sub]\nx = 1\n", "hevy", "enabled", "true",
                "[hevy.sub]\nx = 1\n\n[hevy]\nenabled = true\n");
}

static void test_keeps_crlf_line_endings(void **state)
{
    (void)state;
    expect_edit("[oura]\r\nclient_id = \"abc\"\r\n", "oura", "enabled", "true",
                "[oura]\r\nclient_id = \"abc\"\r\nenabled = true\r\n");
    expect_edit("[oura]\r\nenabled = false\r\n", "oura", "enabled", "true",
                "[oura]\r\nenabled = true\r\n");
    expect_edit("[app]\r\n", "oura", "enabled", "true",
                "[app]\r\n\r\n[oura]\r\nenabled = true\r\n");
}

/* Strings and arrays spanning lines hold text that looks like headers and
 * keys; the scan must not take it for them. */
static void test_multiline_values_are_not_statements(void **state)
{
    (void)state;
    const char *before = "[app]\n"
                         "note = \"\"\"\n"
                         "[oura]\n"
                         "enabled = false \\\"\"\"\"\n"
                         "lit = '''\n"
                         "[oura]'''\n"
                         "list = [ \"[oura]\", # ] not the end\n"
                         "  'x]',\n"
                         "]\n"
                         "t = { a = \"}\", b = [1, 2] } # inline\n"
                         "when = 1979-05-27 07:32:00 # date and time\n"
                         "[oura]\n"
                         "scopes = [\n"
                         "  \"daily\",\n"
                         "]\n";
    struct buf want = BUF_INIT;
    buf_adds(&want, before);
    buf_adds(&want, "enabled = true\n");
    expect_edit(before, "oura", "enabled", "true", want.data);
    buf_free(&want);
    /* The value replaced is the whole multi-line array. */
    expect_edit("[oura]\nscopes = [\n  \"a\", # first\n  \"b\",\n] # end\nx = 1\n", "oura",
                "scopes", "[\"c\"]", "[oura]\nscopes = [\"c\"] # end\nx = 1\n");
    expect_edit("[app]\nwhen = 1979-05-27 07:32:00 # t\n", "app", "when", "2000-01-01",
                "[app]\nwhen = 2000-01-01 # t\n");
}

static void test_quoted_and_dotted_names(void **state)
{
    (void)state;
    expect_edit("[\"oura\"]\n\"enabled\" = false\n", "oura", "enabled", "true",
                "[\"oura\"]\n\"enabled\" = true\n");
    expect_edit("[ 'oura' ]\nx = 1\n", "oura", "enabled", "true",
                "[ 'oura' ]\nx = 1\nenabled = true\n");
    /* Dotted keys at the root define the section: the new key joins them
     * (a [oura] header after them would be invalid TOML). */
    expect_edit("oura.client_id = \"x\"\noura . enabled = false\n[app]\n", "oura", "enabled",
                "true", "oura.client_id = \"x\"\noura . enabled = true\n[app]\n");
    expect_edit("oura.client_id = \"x\"\n\n[app]\n", "oura", "enabled", "true",
                "oura.client_id = \"x\"\noura.enabled = true\n\n[app]\n");
    /* A name that is not a bare key is quoted. */
    expect_edit("", "my app", "a.b", "1", "[\"my app\"]\n\"a.b\" = 1\n");
}

static void test_refuses_what_it_cannot_edit(void **state)
{
    (void)state;
    expect_refused("[oura\n", "oura", "enabled", "line 1");
    expect_refused("oura = { enabled = false }\n", "oura", "enabled", "inline table");
    expect_refused("[[oura]]\nx = 1\n", "oura", "enabled", "break the file");
}

static void test_quote(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    config_edit_quote(&b, "a\"b\\c\nd\te\x01");
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    buf_free(&b);
}

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/hs-test-config-edit-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    return rmdir(dir);
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static int files_in_dir(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_file_written_in_place_0600(void **state)
{
    (void)state;
    char real[128], link[128];
    snprintf(real, sizeof real, "%s/real.toml", dir);
    snprintf(link, sizeof link, "%s/health-sync.toml", dir);
    FILE *f = fopen(real, "w");
    fputs("# keep me\n[oura]\nenabled = false # later\n", f);
    fclose(f);
    chmod(real, 0644);
    assert_int_equal(symlink("real.toml", link), 0);

    struct config_change c[] = {{"oura", "enabled", "true"}, {"hevy", "api_key", "\"k\""}};
    struct hs_error err = HS_ERROR_INIT;
    bool changed = false;
    assert_int_equal(config_edit_file(link, c, 2, &changed, &err), 0);
    assert_true(changed);
    /* The link still points at the file, which was edited. */
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(slurp(real),
                        "# keep me\n[oura]\nenabled = true # later\n\n[hevy]\napi_key = \"k\"\n");
    assert_int_equal(stat(real, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(files_in_dir(), 2); /* no temporary file left */

    /* Nothing to change: not written. */
    time_t before = st.st_mtime;
    chmod(real, 0640);
    assert_int_equal(config_edit_file(link, c, 1, &changed, &err), 0);
    assert_false(changed);
    assert_int_equal(stat(real, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(st.st_mtime, before);
}

static void test_file_absent_is_created(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/new.toml", dir);
    struct config_change c = {"hevy", "enabled", "true"};
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(config_edit_file(p, &c, 1, NULL, &err), 0);
    assert_string_equal(slurp(p), "[hevy]\nenabled = true\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* A file that does not parse is named with its line and left alone. */
    FILE *f = fopen(p, "w");
    fputs("[hevy]\nenabled = = true\n", f);
    fclose(f);
    assert_int_equal(config_edit_file(p, &c, 1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "new.toml: line 2"));
    assert_string_equal(slurp(p), "[hevy]\nenabled = = true\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaces_only_the_value),
        cmocka_unit_test(test_adds_after_the_sections_last_key),
        cmocka_unit_test(test_appends_a_missing_section),
        cmocka_unit_test(test_keeps_crlf_line_endings),
        cmocka_unit_test(test_multiline_values_are_not_statements),
        cmocka_unit_test(test_quoted_and_dotted_names),
        cmocka_unit_test(test_refuses_what_it_cannot_edit),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_file_written_in_place_0600),
        cmocka_unit_test(test_file_absent_is_created),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
