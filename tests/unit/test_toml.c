/* Unit tests of the TOML parser: tree shape, line numbers, error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

static char err[256];

static struct toml_value *parse(const char *text)
{
    return toml_parse(text, strlen(text), err, sizeof(err));
}

/* Parses text that must fail and checks the message starts with prefix
 * and mentions `what`. */
static void expect_error(const char *text, const char *prefix, const char *what)
{
    struct toml_value *root = parse(text);
    if (root) {
        toml_free(root);
        fail_msg("accepted invalid TOML: %s", text);
    }
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", err, prefix);
    if (!strstr(err, what))
        fail_msg("error '%s' does not mention '%s'", err, what);
}

static void test_scalars_and_lines(void **state)
{
    (void)state;
    struct toml_value *root = parse("# config\n"
                                    "name = \"health\"\n"
                                    "\n"
                                    "count = 0x1F\n"
                                    "ratio = 1_000.5e-1\n"
                                    "on = true\n"
                                    "when = 1979-05-27t07:32:00z\n"
                                    "day = 2024-02-29\n"
                                    "text = '''\n"
                                    "two\n"
                                    "lines'''\n"
                                    "after = -9_223_372_036_854_775_808\n");
    assert_non_null(root);
    assert_int_equal(root->type, TOML_TABLE);
    assert_int_equal(root->u.table.len, 8);
    assert_string_equal(root->u.table.items[0].key, "name");

    const struct toml_value *v = toml_get(root, "name");
    assert_non_null(v);
    assert_int_equal(v->type, TOML_STRING);
    assert_string_equal(v->u.s, "health");
    assert_int_equal(v->line, 2);

    v = toml_get(root, "count");
    assert_int_equal(v->type, TOML_INTEGER);
    assert_int_equal(v->u.i, 31);
    assert_int_equal(v->line, 4);

    v = toml_get(root, "ratio");
    assert_int_equal(v->type, TOML_FLOAT);
    assert_true(fabs(v->u.f - 100.05) < 1e-9);

    v = toml_get(root, "on");
    assert_int_equal(v->type, TOML_BOOL);
    assert_true(v->u.b);

    v = toml_get(root, "when");
    assert_int_equal(v->type, TOML_DATETIME);
    assert_string_equal(v->u.datetime, "1979-05-27T07:32:00Z");
    assert_int_equal(v->line, 7);

    v = toml_get(root, "day");
    assert_int_equal(v->type, TOML_DATE_LOCAL);
    assert_string_equal(v->u.datetime, "2024-02-29");

    v = toml_get(root, "text");
    assert_string_equal(v->u.s, "two\nlines");
    assert_int_equal(v->line, 9);

    v = toml_get(root, "after");
    assert_int_equal(v->line, 12);
    assert_true(v->u.i == INT64_MIN);

    assert_null(toml_get(root, "missing"));
    assert_null(toml_get(v, "x")); /* not a table */
    toml_free(root);
}

static void test_nested_tables(void **state)
{
    (void)state;
    struct toml_value *root = parse("[server]\n"
                                    "host = \"localhost\"\n"
                                    "\n"
                                    "[server.tls]\n"
                                    "cert.path = \"/etc/cert\"\n"
                                    "opts = { verify = true, depth = 3 }\n");
    assert_non_null(root);
    const struct toml_value *server = toml_get(root, "server");
    assert_non_null(server);
    assert_int_equal(server->type, TOML_TABLE);
    assert_int_equal(server->line, 1);

    const struct toml_value *tls = toml_get(server, "tls");
    assert_non_null(tls);
    assert_int_equal(tls->line, 4);

    const struct toml_value *cert = toml_get(tls, "cert");
    assert_int_equal(cert->type, TOML_TABLE);
    assert_int_equal(cert->line, 5);
    assert_string_equal(toml_get(cert, "path")->u.s, "/etc/cert");

    const struct toml_value *opts = toml_get(tls, "opts");
    assert_int_equal(opts->type, TOML_TABLE);
    assert_int_equal(opts->u.table.len, 2);
    assert_int_equal(toml_get(opts, "depth")->u.i, 3);
    toml_free(root);
}

static void test_implicit_table_line(void **state)
{
    (void)state;
    /* [a] defined after [a.b] takes its line from its own header */
    struct toml_value *root = parse("[a.b]\nx = 1\n\n[a]\ny = 2\n");
    assert_non_null(root);
    const struct toml_value *a = toml_get(root, "a");
    assert_int_equal(a->line, 4);
    assert_int_equal(toml_get(toml_get(a, "b"), "x")->line, 2);
    toml_free(root);
}

static void test_array_of_tables(void **state)
{
    (void)state;
    struct toml_value *root = parse("[[provider]]\n"
                                    "name = \"oura\"\n"
                                    "\n"
                                    "[[provider]]\n"
                                    "name = \"whoop\"\n"
                                    "[provider.auth]\n"
                                    "kind = \"oauth\"\n"
                                    "\n"
                                    "[[provider]]\n");
    assert_non_null(root);
    const struct toml_value *p = toml_get(root, "provider");
    assert_non_null(p);
    assert_int_equal(p->type, TOML_ARRAY);
    assert_int_equal(p->u.array.len, 3);

    const struct toml_value *first = p->u.array.items[0];
    assert_int_equal(first->line, 1);
    assert_string_equal(toml_get(first, "name")->u.s, "oura");
    assert_null(toml_get(first, "auth"));

    const struct toml_value *second = p->u.array.items[1];
    assert_int_equal(second->line, 4);
    const struct toml_value *auth = toml_get(second, "auth");
    assert_non_null(auth);
    assert_int_equal(auth->line, 6);
    assert_string_equal(toml_get(auth, "kind")->u.s, "oauth");

    const struct toml_value *third = p->u.array.items[2];
    assert_int_equal(third->line, 9);
    assert_int_equal(third->u.table.len, 0);
    toml_free(root);
}

static void test_arrays(void **state)
{
    (void)state;
    struct toml_value *root = parse("mixed = [\n"
                                    "  1, \"two\", # comment\n"
                                    "  [3.5], {k = 'v'},\n"
                                    "]\n");
    assert_non_null(root);
    const struct toml_value *a = toml_get(root, "mixed");
    assert_int_equal(a->type, TOML_ARRAY);
    assert_int_equal(a->u.array.len, 4);
    assert_int_equal(a->u.array.items[0]->type, TOML_INTEGER);
    assert_int_equal(a->u.array.items[1]->line, 2);
    assert_int_equal(a->u.array.items[2]->type, TOML_ARRAY);
    assert_int_equal(a->u.array.items[3]->type, TOML_TABLE);
    assert_int_equal(a->u.array.items[3]->line, 3);
    toml_free(root);
}

static void test_strings(void **state)
{
    (void)state;
    struct toml_value *root = parse("a = \"tab\\there \\u00e9 \\U0001F600\"\n"
                                    "b = \"\"\"\\\n"
                                    "    joined \\\n"
                                    "    line\"\"\"\n"
                                    "c = 'C:\\path'\n"
                                    "d = \"\"\"quote\"\"\"\"\"\n");
    assert_non_null(root);
    assert_string_equal(toml_get(root, "a")->u.s, "tab\there \xc3\xa9 \xf0\x9f\x98\x80");
    assert_string_equal(toml_get(root, "b")->u.s, "joined line");
    assert_string_equal(toml_get(root, "c")->u.s, "C:\\path");
    assert_string_equal(toml_get(root, "d")->u.s, "quote\"\"");
    toml_free(root);
}

static void test_crlf(void **state)
{
    (void)state;
    struct toml_value *root = parse("a = 1\r\n\r\nb = 2\r\n");
    assert_non_null(root);
    assert_int_equal(toml_get(root, "b")->line, 3);
    toml_free(root);
    expect_error("a = 1\rb = 2\n", "line 1: ", "carriage return");
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("a = 1\nb = 2\na = 3\n", "line 3: ", "duplicate key 'a'");
    expect_error("[t]\nx = 1\n\n[t]\n", "line 4: ", "'t' is already defined");
    expect_error("x = 1\n\ny = \"unterminated\n", "line 3: ", "newline");
    expect_error("a = 1\nb = \"\\q\"\n", "line 2: ", "invalid escape");
    expect_error("n = 9223372036854775808\n", "line 1: ", "out of range");
    expect_error("\n\nd = 2023-02-29\n", "line 3: ", "does not exist");
    expect_error("t = 24:00:00\n", "line 1: ", "out of range");
    expect_error("a = {x = 1}\n[a]\n", "line 2: ", "already defined");
    expect_error("a = {x = 1}\na.y = 2\n", "line 2: ", "dotted key");
    expect_error("a = {x = 1,}\n", "line 1: ", "trailing comma");
    expect_error("a = {x = 1\n}\n", "line 1: ", "same line");
    expect_error("arr = [1]\n[[arr]]\n", "line 2: ", "array of tables");
    expect_error("[a.b]\n[a]\nb.c = 1\n", "line 3: ", "dotted key");
    expect_error("k = 1 2\n", "line 1: ", "expected end of line");
    expect_error("k = 0_1\n", "line 1: ", "leading zeros");
    expect_error("ok = 1\nbad = \xff\n", "line 2: ", "invalid UTF-8");
    expect_error("x = 1\n# a \x01 comment\n", "line 2: ", "control character");
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(toml_type_name(TOML_STRING), "string");
    assert_string_equal(toml_type_name(TOML_DATETIME_LOCAL), "datetime-local");
    assert_string_equal(toml_type_name(TOML_TABLE), "table");
    assert_null(toml_get(NULL, "x"));
    toml_free(NULL);
}

static void test_empty_and_unterminated(void **state)
{
    (void)state;
    struct toml_value *root = toml_parse("", 0, err, sizeof(err));
    assert_non_null(root);
    assert_int_equal(root->u.table.len, 0);
    toml_free(root);
    /* length-bounded: the data need not be NUL-terminated */
    root = toml_parse("a = 12345", 6, err, sizeof(err));
    assert_non_null(root);
    assert_int_equal(toml_get(root, "a")->u.i, 12);
    toml_free(root);
}

/* Key comparisons, counted: this test program's strcmp stands in for the C
 * library's (the parser is linked into it statically), so the count is
 * exact and independent of the machine's speed. */
static unsigned long long strcmp_calls;

int strcmp(const char *a, const char *b)
{
    strcmp_calls++;
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *p == *q)
        p++, q++;
    return *p - *q;
}

static unsigned long long comparisons_for(int keys, bool as_tables)
{
    char *text = malloc((size_t)keys * 24 + 16);
    assert_non_null(text);
    size_t len = 0;
    for (int i = 0; i < keys; i++)
        len += (size_t)snprintf(text + len, 24, as_tables ? "[t%d]\n" : "k%d = 1\n", i);
    strcmp_calls = 0;
    char why[128];
    struct toml_value *root = toml_parse(text, len, why, sizeof why);
    unsigned long long calls = strcmp_calls;
    assert_non_null(root);
    toml_free(root);
    free(text);
    return calls;
}

/* Loading is linear: adding a key costs a few comparisons, not one per key
 * already there (300,000 keys took minutes).  Quadratic would be ~n/2 per
 * key: 10,000 for 20,000 keys. */
static void test_linear_in_keys(void **state)
{
    (void)state;
    for (int tables = 0; tables < 2; tables++) {
        unsigned long long small = comparisons_for(20000, tables);
        unsigned long long big = comparisons_for(40000, tables);
        if (small > 4 * 20000ULL || big > 4 * 40000ULL)
            fail_msg("%s: %llu comparisons for 20,000 keys, %llu for 40,000", tables ? "tables" : "keys",
                     small, big);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_and_lines),
        cmocka_unit_test(test_linear_in_keys),
        cmocka_unit_test(test_nested_tables),
        cmocka_unit_test(test_implicit_table_line),
        cmocka_unit_test(test_array_of_tables),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_empty_and_unterminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
