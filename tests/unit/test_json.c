/* Unit tests of json: Python truthiness, first()/str(), json.dumps-compatible
 * serialisation, float repr and the canonical hash (docs/providers.md, "Records"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Parses text (order preserved, as the providers decode) or fails the test. */
static json_t *parse(const char *text)
{
    char why[200];
    json_t *v = json_parse_body(text, strlen(text), why, sizeof why);
    if (!v)
        fail_msg("cannot parse %s: %s", text, why);
    return v;
}

/* json_dump_python of text, compared with the expected bytes. */
static void expect_dump(const char *text, bool sort_keys, const char *expected)
{
    json_t *v = parse(text);
    struct buf b = BUF_INIT;
    assert_int_equal(json_dump_python(v, sort_keys, &b), 0);
    assert_string_equal(b.data, expected);
    buf_free(&b);
    json_decref(v);
}

static void expect_double(double d, const char *expected)
{
    struct buf b = BUF_INIT;
    assert_int_equal(json_format_double(d, &b), 0);
    if (strcmp(b.data, expected) != 0)
        fail_msg("json_format_double(%.17g) = %s, Python repr is %s", d, b.data, expected);
    buf_free(&b);
}

static void expect_str(json_t *v, const char *expected)
{
    char *s = json_strdup(v);
    assert_non_null(s);
    assert_string_equal(s, expected);
    free(s);
    json_decref(v);
}

static void test_truthy(void **state)
{
    (void)state;
    const char *falsy[] = {"null", "false", "\"\"", "0", "0.0", "[]", "{}"};
    const char *truthy[] = {"true", "\"0\"", "\" \"", "1", "-1", "0.5", "[0]", "{\"a\":null}"};
    for (size_t i = 0; i < sizeof falsy / sizeof *falsy; i++) {
        json_t *v = parse(falsy[i]);
        if (json_truthy(v))
            fail_msg("%s should be falsy", falsy[i]);
        json_decref(v);
    }
    for (size_t i = 0; i < sizeof truthy / sizeof *truthy; i++) {
        json_t *v = parse(truthy[i]);
        if (!json_truthy(v))
            fail_msg("%s should be truthy", truthy[i]);
        json_decref(v);
    }
    assert_false(json_truthy(NULL)); /* a missing field */
}

static void test_first(void **state)
{
    (void)state;
    json_t *o = parse("{\"id\":0,\"day\":\"\",\"timestamp\":\"2024-01-02\",\"start_time\":\"x\"}");
    /* An id of 0 and an empty day are skipped, as the Python tool did. */
    json_t *v = JSON_FIRST(o, "id", "day", "timestamp", "start_time");
    assert_non_null(v);
    assert_string_equal(json_string_value(v), "2024-01-02");
    v = JSON_FIRST(o, "start_time", "timestamp");
    assert_string_equal(json_string_value(v), "x");
    assert_null(JSON_FIRST(o, "id", "day", "missing"));
    json_decref(o);

    json_t *arr = parse("[1,2]");
    assert_null(JSON_FIRST(arr, "id")); /* not an object */
    json_decref(arr);
    assert_null(JSON_FIRST(NULL, "id"));
}

static void test_str(void **state)
{
    (void)state;
    expect_str(json_string("abc"), "abc");
    expect_str(json_string(""), "");
    /* Ids beyond 2^32 (Strava activities, Withings grpid). */
    expect_str(json_integer(12345678901234LL), "12345678901234");
    expect_str(json_integer(-7), "-7");
    expect_str(json_real(1.0), "1.0");
    expect_str(json_real(0.1), "0.1");
    expect_str(json_true(), "True");
    expect_str(json_false(), "False");

    json_t *bad[] = {json_null(), json_array(), json_object()};
    for (size_t i = 0; i < 3; i++) {
        assert_null(json_strdup(bad[i]));
        struct buf b = BUF_INIT;
        assert_int_equal(json_str(bad[i], &b), -1);
        buf_free(&b);
        json_decref(bad[i]);
    }
    assert_null(json_strdup(NULL));

    /* json_str appends. */
    struct buf b = BUF_INIT;
    buf_adds(&b, "id:");
    json_t *n = json_integer(42);
    assert_int_equal(json_str(n, &b), 0);
    assert_string_equal(b.data, "id:42");
    json_decref(n);
    buf_free(&b);
}

static void test_format_double(void **state)
{
    (void)state;
    /* Expected values: python3 -c 'print(repr(X))' */
    expect_double(1.0, "1.0");
    expect_double(0.1, "0.1");
    expect_double(1e-05, "1e-05");
    expect_double(1e16, "1e+16");
    expect_double(1e15, "1000000000000000.0");
    expect_double(1234567.0, "1234567.0");
    expect_double(0.0001, "0.0001");
    expect_double(1.5e-07, "1.5e-07");
    expect_double((double)123456789012345678LL, "1.2345678901234568e+17");
    expect_double(-2.5, "-2.5");
    expect_double(100.0, "100.0");
    expect_double(123456789.123, "123456789.123");
    expect_double(0.30000000000000004, "0.30000000000000004");
    expect_double(1e22, "1e+22");
    expect_double(5e-324, "5e-324");
    expect_double(1.7976931348623157e308, "1.7976931348623157e+308");
    expect_double(0.0, "0.0");
    expect_double(-0.0, "-0.0");
}

static void test_dump_python(void **state)
{
    (void)state;
    /* python3 -c 'import json; v=json.loads(TEXT);
     *   print(json.dumps(v, separators=(",",":"), ensure_ascii=True[, sort_keys=True]))' */
    const char *text = "{\"b\":1,\"a\":[true,false,null,\"q\\\"b\\\\s/n\\nt\\tc\\u0001\"],"
                       "\"\u00e9\":\"\u65e5\u672c\U0001F389\",\"f\":1.5}";
    expect_dump(text, false,
                "{\"b\":1,\"a\":[true,false,null,\"q\\\"b\\\\s/n\\nt\\tc\\u0001\"],"
                "\"\\u00e9\":\"\\u65e5\\u672c\\ud83c\\udf89\",\"f\":1.5}");
    expect_dump(text, true,
                "{\"a\":[true,false,null,\"q\\\"b\\\\s/n\\nt\\tc\\u0001\"],\"b\":1,\"f\":1.5,"
                "\"\\u00e9\":\"\\u65e5\\u672c\\ud83c\\udf89\"}");

    /* Every control spelling and DEL escaped, as Python does; '/' left alone. */
    expect_dump("[\"\\b\\f\\r\\u001f\\u007f/\"]", false, "[\"\\b\\f\\r\\u001f\\u007f/\"]");
    /* Sorting is by code point at every depth (UTF-8 byte order agrees). */
    expect_dump(
        "{\"\U0001F600\":1,\"\u65e5\":2,\"\u00e9\":3,\"z\":{\"y\":1,\"x\":[{\"d\":1,\"c\":2}]},"
        "\"Z\":4}",
        true,
        "{\"Z\":4,\"z\":{\"x\":[{\"c\":2,\"d\":1}],\"y\":1},\"\\u00e9\":3,\"\\u65e5\":2,"
        "\"\\ud83d\\ude00\":1}");
    expect_dump("{}", true, "{}");
    expect_dump("[]", false, "[]");
    expect_dump("[1.0,1e16,-0.5,12345678901234]", false, "[1.0,1e+16,-0.5,12345678901234]");

    /* An embedded NUL (jansson keeps the length). */
    json_t *s = json_stringn("a\0b", 3);
    struct buf b = BUF_INIT;
    assert_int_equal(json_dump_python(s, false, &b), 0);
    assert_string_equal(b.data, "\"a\\u0000b\"");
    buf_free(&b);
    json_decref(s);
}

/* json_dump_python of a value built in C (for what JSON text cannot say);
 * takes the reference (NULL dumps as null). */
static void expect_dump_value(json_t *v, bool sort_keys, const char *expected, size_t expected_len)
{
    struct buf b = BUF_INIT;
    assert_int_equal(json_dump_python(v, sort_keys, &b), 0);
    assert_int_equal(b.len, expected_len);
    assert_memory_equal(b.data, expected, expected_len);
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
    json_decref(v);
}
#define EXPECT_DUMP_VALUE(v, sort_keys, lit)                                                       \
    expect_dump_value((v), (sort_keys), lit, sizeof lit - 1)

/* How ensure_ascii spells one ASCII byte (DEL aside, see test_dump_python). */
static void ascii_escape(int c, char esc[8])
{
    const char *two = NULL;
    switch (c) {
    case '"':
        two = "\\\"";
        break;
    case '\\':
        two = "\\\\";
        break;
    case '\n':
        two = "\\n";
        break;
    case '\r':
        two = "\\r";
        break;
    case '\t':
        two = "\\t";
        break;
    case '\b':
        two = "\\b";
        break;
    case '\f':
        two = "\\f";
        break;
    default:
        break;
    }
    if (two)
        snprintf(esc, 8, "%s", two);
    else if (c < 0x20 || c == 0x7F)
        snprintf(esc, 8, "\\u%04x", (unsigned)c);
    else
        snprintf(esc, 8, "%c", c);
}

static void test_dump_escapes(void **state)
{
    (void)state;
    /* python3 -c 'import json; print(json.dumps("\"\\\n\r\t\b\f\x00\x01\x0b\x1a\x1b\x1f/",
     *   separators=(",",":"), ensure_ascii=True))' */
    static const char in[] = "\"\\\n\r\t\b\f\x00\x01\x0b\x1a\x1b\x1f/";
    EXPECT_DUMP_VALUE(json_stringn(in, sizeof in - 1), false,
                      "\"\\\"\\\\\\n\\r\\t\\b\\f\\u0000\\u0001\\u000b\\u001a\\u001b\\u001f/\"");

    /* Each ASCII byte at each offset of a 20-byte string, so both the
     * 8-bytes-at-a-time path and the byte loop meet it. */
    for (int c = 0; c <= 0x7F; c++) {
        char esc[8];
        ascii_escape(c, esc);
        for (int pos = 0; pos < 20; pos++) {
            char in20[20], expected[40];
            memset(in20, 'x', sizeof in20);
            in20[pos] = (char)c;
            int n = snprintf(expected, sizeof expected, "\"%.*s%s%.*s\"", pos, in20, esc, 19 - pos,
                             in20 + pos + 1);
            expect_dump_value(json_stringn(in20, sizeof in20), false, expected, (size_t)n);
        }
    }
}

static void test_dump_non_ascii(void **state)
{
    (void)state;
    /* 2-, 3- and 4-byte UTF-8, the last as a surrogate pair, all lowercase hex.
     * python3 -c 'import json; print(json.dumps(
     *   "\u00e9\u07ff\u0800\u65e5\ufeff\uffff\U00010000\U0001F600\U0010FFFF"))' */
    EXPECT_DUMP_VALUE(json_string("\u00e9\u07ff\u0800\u65e5\ufeff\uffff\U00010000\U0001F600"
                                  "\U0010FFFF"),
                      false,
                      "\"\\u00e9\\u07ff\\u0800\\u65e5\\ufeff\\uffff\\ud800\\udc00\\ud83d\\ude00"
                      "\\udbff\\udfff\"");
    /* After and between runs of plain ASCII longer than 8 bytes. */
    EXPECT_DUMP_VALUE(json_string("abcdefghij\u00e9klmnopqrstuvwxyz\U0001F600"), false,
                      "\"abcdefghij\\u00e9klmnopqrstuvwxyz\\ud83d\\ude00\"");
    /* As keys too. */
    expect_dump("{\"\u00e9t\u00e9\":\"\U0001F600\"}", true,
                "{\"\\u00e9t\\u00e9\":\"\\ud83d\\ude00\"}");
}

static void test_dump_numbers(void **state)
{
    (void)state;
    /* python3 -c 'import json; print(json.dumps([-2**63, 2**63-1, 0, -1, -42, 9, 10, 99,
     *   100, 1000000, -1000000], separators=(",",":")))' */
    expect_dump("[-9223372036854775808,9223372036854775807,0,-1,-42,9,10,99,100,1000000,"
                "-1000000]",
                false,
                "[-9223372036854775808,9223372036854775807,0,-1,-42,9,10,99,100,1000000,"
                "-1000000]");
    EXPECT_DUMP_VALUE(json_integer(INT64_MIN), false, "-9223372036854775808");
    EXPECT_DUMP_VALUE(json_integer(INT64_MAX), false, "9223372036854775807");
    EXPECT_DUMP_VALUE(json_integer(0), false, "0");
    expect_str(json_integer(INT64_MIN), "-9223372036854775808");
    expect_str(json_integer(INT64_MAX), "9223372036854775807");
    expect_str(json_integer(0), "0");

    /* python3 -c 'import json; print(json.dumps([1.0, 0.1, 1e-05, 1e16, -0.0, 0.0, -1.5,
     *   1e22, 123456789.0, -9007199254740991.0, 9007199254740992.0, 2.5e-7,
     *   9.223372036854776e18, 4503599627370497.0, 0.5, 100.0], separators=(",",":")))' */
    json_t *a = json_array();
    const double reals[] = {1.0,
                            0.1,
                            1e-05,
                            1e16,
                            -0.0,
                            0.0,
                            -1.5,
                            1e22,
                            123456789.0,
                            -9007199254740991.0,
                            9007199254740992.0,
                            2.5e-7,
                            9.223372036854776e18,
                            4503599627370497.0,
                            0.5,
                            100.0};
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
        json_array_append_new(a, json_real(reals[i]));
    EXPECT_DUMP_VALUE(a, false,
                      "[1.0,0.1,1e-05,1e+16,-0.0,0.0,-1.5,1e+22,123456789.0,"
                      "-9007199254740991.0,9007199254740992.0,2.5e-07,9.223372036854776e+18,"
                      "4503599627370497.0,0.5,100.0]");
    /* Around 2^53, where whole numbers stop being exact. */
    expect_double(9007199254740991.0, "9007199254740991.0");
    expect_double(-9007199254740992.0, "-9007199254740992.0");
    expect_double(18014398509481984.0, "1.8014398509481984e+16");
    expect_double(-1.0, "-1.0");
    expect_str(json_real(-0.0), "-0.0");
}

static void test_dump_containers(void **state)
{
    (void)state;
    /* python3 -c 'import json; print(json.dumps(json.loads(TEXT), separators=(",",":")))' */
    const char *text = "{\"a\":[],\"b\":{},\"c\":[[],[{}],{\"d\":[1,[2,[3]]]}]}";
    expect_dump(text, false, text);
    expect_dump(text, true, text);
    expect_dump("[]", true, "[]");
    expect_dump("{}", false, "{}");
    expect_dump("[[],{}]", false, "[[],{}]");
    expect_dump(" { \"a\" : [ 1 , { } ] } ", false, "{\"a\":[1,{}]}");
    EXPECT_DUMP_VALUE(json_null(), false, "null");
    EXPECT_DUMP_VALUE(NULL, false, "null"); /* a missing field */

    /* dump appends to what the buffer holds. */
    struct buf b = BUF_INIT;
    buf_adds(&b, "x=");
    json_t *v = parse("{\"k\":[true,false,null]}");
    assert_int_equal(json_dump_python(v, false, &b), 0);
    assert_string_equal(b.data, "x={\"k\":[true,false,null]}");
    buf_free(&b);

    /* A buffer limit: the output fits exactly, or the dump fails without
     * passing the limit and the buffer stays a string. */
    size_t need = strlen("{\"k\":[true,false,null]}");
    for (size_t limit = 1; limit <= need + 1; limit++) {
        struct buf lb = BUF_INIT;
        lb.limit = limit;
        int rc = json_dump_python(v, false, &lb);
        assert_int_equal(rc, limit >= need ? 0 : -1);
        assert_true(lb.len <= limit);
        assert_int_equal(lb.data[lb.len], '\0');
        if (rc == 0)
            assert_string_equal(lb.data, "{\"k\":[true,false,null]}");
        buf_free(&lb);
    }
    json_decref(v);
    json_t *s = json_string("\u00e9\u00e9");
    for (size_t limit = 1; limit <= 15; limit++) {
        struct buf lb = BUF_INIT;
        lb.limit = limit;
        assert_int_equal(json_dump_python(s, false, &lb), limit >= 14 ? 0 : -1);
        assert_true(lb.len <= limit);
        buf_free(&lb);
    }
    json_decref(s);
}

static void test_dump_key_order(void **state)
{
    (void)state;
    /* python3 -c 'import json; o=json.loads(TEXT); print(json.dumps(o,
     *   separators=(",",":"))); print(json.dumps(o, separators=(",",":"), sort_keys=True))' */
    const char *text = "{\"b\":1,\"\":2,\"aa\":3,\"a\":4,\"B\":5,\"\u00e9\":6}";
    expect_dump(text, false, "{\"b\":1,\"\":2,\"aa\":3,\"a\":4,\"B\":5,\"\\u00e9\":6}");
    expect_dump(text, true, "{\"\":2,\"B\":5,\"a\":4,\"aa\":3,\"b\":1,\"\\u00e9\":6}");

    /* More keys than the sort keeps on the stack. */
    json_t *o = json_object();
    for (int i = 0; i < 20; i++) {
        char key[8];
        snprintf(key, sizeof key, "k%02d", i * 7 % 20);
        json_object_set_new(o, key, json_integer(i));
    }
    json_incref(o);
    EXPECT_DUMP_VALUE(o, false,
                      "{\"k00\":0,\"k07\":1,\"k14\":2,\"k01\":3,\"k08\":4,\"k15\":5,\"k02\":6,"
                      "\"k09\":7,\"k16\":8,\"k03\":9,\"k10\":10,\"k17\":11,\"k04\":12,\"k11\":13,"
                      "\"k18\":14,\"k05\":15,\"k12\":16,\"k19\":17,\"k06\":18,\"k13\":19}");
    EXPECT_DUMP_VALUE(o, true,
                      "{\"k00\":0,\"k01\":3,\"k02\":6,\"k03\":9,\"k04\":12,\"k05\":15,\"k06\":18,"
                      "\"k07\":1,\"k08\":4,\"k09\":7,\"k10\":10,\"k11\":13,\"k12\":16,\"k13\":19,"
                      "\"k14\":2,\"k15\":5,\"k16\":8,\"k17\":11,\"k18\":14,\"k19\":17}");
}

static void test_dump_nul_bytes(void **state)
{
    (void)state;
    /* python3 -c 'import json; print(json.dumps("a\x00b\x00"))' */
    EXPECT_DUMP_VALUE(json_stringn("a\0b\0", 4), false, "\"a\\u0000b\\u0000\"");
    EXPECT_DUMP_VALUE(json_stringn("0123456789\0abc", 14), false, "\"0123456789\\u0000abc\"");
    EXPECT_DUMP_VALUE(json_stringn("\0", 1), false, "\"\\u0000\"");
    json_t *a = json_array();
    json_array_append_new(a, json_stringn("\0\0", 2));
    json_array_append_new(a, json_stringn("", 0));
    EXPECT_DUMP_VALUE(a, true, "[\"\\u0000\\u0000\",\"\"]");
}

static void test_hash(void **state)
{
    (void)state;
    char h[65];
    /* python3 -c 'import json,hashlib; v=json.loads(
     *   "{\"id\":12345678901,\"name\":\"Morning Run\",\"tags\":[\"a\",\"b\"],
     *     \"nested\":{\"z\":1,\"a\":0.1},\"city\":\"Z\u00fcrich\"}");
     *   print(hashlib.sha256(json.dumps(v, sort_keys=True, separators=(",",":"),
     *   ensure_ascii=True).encode()).hexdigest())' */
    const char *expected = "5b5cc27792b04b217504424993e690854da0c39448fafeaac6ab66cfdadb6756";
    json_t *v = parse("{\"id\":12345678901,\"name\":\"Morning Run\",\"tags\":[\"a\",\"b\"],"
                      "\"nested\":{\"z\":1,\"a\":0.1},\"city\":\"Z\u00fcrich\"}");
    assert_int_equal(json_hash(v, h), 0);
    assert_string_equal(h, expected);
    json_decref(v);

    /* Key order in the input does not matter. */
    v = parse("{\"city\":\"Z\u00fcrich\",\"nested\":{\"a\":0.1,\"z\":1},\"tags\":[\"a\",\"b\"],"
              "\"name\":\"Morning Run\",\"id\":12345678901}");
    assert_int_equal(json_hash(v, h), 0);
    assert_string_equal(h, expected);
    json_decref(v);

    /* python3 -c 'import json,hashlib; print(hashlib.sha256(json.dumps({},
     *   sort_keys=True, separators=(",",":")).encode()).hexdigest())' */
    v = json_object();
    assert_int_equal(json_hash(v, h), 0);
    assert_string_equal(h, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    json_decref(v);

    /* python3 -c 'import json,hashlib; print(hashlib.sha256(json.dumps(
     *   {"type":"unknown","x":[1,2.5,None,True]}, sort_keys=True,
     *   separators=(",",":")).encode()).hexdigest())' */
    v = parse("{\"x\":[1,2.5,null,true],\"type\":\"unknown\"}");
    assert_int_equal(json_hash(v, h), 0);
    assert_string_equal(h, "48737499636f73c7a3faedc28663586bb444c7a3f2ffa67f83b04d86c8e71fdd");
    assert_int_equal(strlen(h), 64);
    json_decref(v);
}

/* A page parsed in an arena reads like any other; what jansson allocates
 * outside the parse (here a string kept past the release) is malloc'ed and
 * outlives the arena; a reset or trimmed arena is reused for the next page. */
static void test_parse_in_arena(void **state)
{
    (void)state;
    struct json_arena arena = {NULL, NULL, false};
    struct buf big = BUF_INIT;
    buf_adds(&big, "{\"data\":[");
    for (int i = 0; i < 20000; i++) /* several blocks' worth */
        buf_addf(&big, "%s{\"bpm\":%d,\"source\":\"rest\",\"timestamp\":\"t%d\"}", i ? "," : "",
                 50 + i % 40, i);
    buf_adds(&big, "],\"next_token\":null}");
    json_t *kept = NULL;
    for (int round = 0; round < 2; round++) {
        json_arena_attach(&arena);
        json_t *page = json_parse_body(big.data, big.len, NULL, 0);
        assert_non_null(page);
        json_t *data = json_object_get(page, "data");
        assert_int_equal(json_array_size(data), 20000);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 19999), "bpm")),
                         50 + 19999 % 40);
        if (!kept)
            kept = json_string("made while attached, not while parsing");
        json_decref(page);
        /* Reset keeps every block for the next page: filling starts again
         * at the oldest, not the newest (the page took several).  Trim
         * keeps only the first: oldest and newest are one. */
        if (round == 0) {
            json_arena_reset(&arena);
            assert_ptr_not_equal(arena.current, arena.blocks);
        } else {
            json_arena_trim(&arena);
            assert_non_null(arena.blocks);
            assert_ptr_equal(arena.current, arena.blocks);
        }
        json_arena_attach(NULL);
    }
    /* A trimmed arena takes the next page as a new one would. */
    json_arena_attach(&arena);
    json_t *again = json_parse_body(big.data, big.len, NULL, 0);
    assert_int_equal(json_array_size(json_object_get(again, "data")), 20000);
    json_decref(again);
    json_arena_attach(NULL);
    json_arena_release(&arena);
    assert_null(arena.blocks);
    assert_string_equal(json_string_value(kept), "made while attached, not while parsing");
    json_decref(kept);
    /* Without an arena, parsing is plain malloc. */
    json_t *v = json_parse_body("[1]", 3, NULL, 0);
    assert_int_equal(json_array_size(v), 1);
    json_decref(v);
    buf_free(&big);
}

/* What a streamed page handed over: each item's bpm (or -1 for a
 * non-object), and a refusal after `refuse_after` items when positive. */
struct collected {
    long bpm[8];
    int n;
    int refuse_after;
};

static int collect_item(json_t *item, void *arg)
{
    struct collected *c = arg;
    if (c->refuse_after && c->n == c->refuse_after)
        return -1;
    json_t *bpm = json_object_get(item, "bpm");
    c->bpm[c->n++ % 8] = json_is_integer(bpm) ? (long)json_integer_value(bpm) : -1;
    return 0;
}

static json_t *stream(const char *body, struct collected *c, bool *stopped, char *why,
                      size_t whylen)
{
    memset(c->bpm, 0, sizeof c->bpm);
    c->n = 0;
    struct json_item_sink sink = {"data", collect_item, NULL, c};
    return json_parse_items(body, strlen(body), &sink, stopped, why, whylen);
}

/* Items come one by one, in order; the page keeps its other members (before
 * and after the array, in order) and an empty array in the items' place. */
static void test_parse_items(void **state)
{
    (void)state;
    struct collected c = {{0}, 0, 0};
    bool stopped = true;
    char why[200] = "";
    json_t *page = stream(" {\"before\": 1 , \"data\" : [ {\"bpm\":61}, 7 ,{\"bpm\":62} ] ,"
                          "\"next_token\":\"tok\", \"n\": null}\n",
                          &c, &stopped, why, sizeof why);
    assert_non_null(page);
    assert_false(stopped);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.bpm[0], 61);
    assert_int_equal(c.bpm[1], -1);
    assert_int_equal(c.bpm[2], 62);
    struct buf b = BUF_INIT;
    assert_int_equal(json_dump_python(page, false, &b), 0);
    assert_string_equal(b.data, "{\"before\":1,\"data\":[],\"next_token\":\"tok\",\"n\":null}");
    buf_free(&b);
    json_decref(page);

    /* Empty array; and other shapes are parsed whole, items untouched. */
    page = stream("{\"data\":[]}", &c, &stopped, why, sizeof why);
    assert_int_equal(c.n, 0);
    assert_int_equal(json_array_size(json_object_get(page, "data")), 0);
    json_decref(page);
    page = stream("{\"data\":{\"bpm\":70}}", &c, &stopped, why, sizeof why);
    assert_int_equal(c.n, 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(page, "data"), "bpm")),
                     70);
    json_decref(page);
    page = stream("[{\"bpm\":1}]", &c, &stopped, why, sizeof why);
    assert_true(json_is_array(page));
    assert_int_equal(c.n, 0);
    json_decref(page);
}

/* A cut-off or malformed page is an error naming where it broke (after
 * the items before the fault); a refused item stops the parse. */
static void test_parse_items_faults(void **state)
{
    (void)state;
    struct collected c = {{0}, 0, 0};
    bool stopped = true;
    char why[200] = "";
    assert_null(stream("{\"data\":[{\"bpm\":61},{\"bpm\":6", &c, &stopped, why, sizeof why));
    assert_false(stopped);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(why, "invalid JSON at byte"));
    assert_null(stream("{\"data\":[{\"bpm\":61}] x}", &c, &stopped, why, sizeof why));
    assert_non_null(strstr(why, "invalid JSON at byte 21 of 23"));
    assert_null(stream("{\"data\":[{\"bpm\":61}]} trailing", &c, &stopped, why, sizeof why));
    assert_non_null(strstr(why, "invalid JSON"));
    /* Broken before any item: jansson's own message, line and column. */
    why[0] = '\0';
    assert_null(stream("{\"a\":\n}", &c, &stopped, why, sizeof why));
    assert_non_null(strstr(why, "invalid JSON at line 2"));
    assert_null(stream("", &c, &stopped, why, sizeof why));

    c.refuse_after = 1;
    assert_null(stream("{\"data\":[{\"bpm\":61},{\"bpm\":62},{\"bpm\":63}]}", &c, &stopped,
                       why, sizeof why));
    assert_true(stopped);
    assert_int_equal(c.n, 1);
}

/* Streamed in an arena, the arena holds one item at a time: a page of
 * 20,000 samples leaves it at its first block. */
static void test_parse_items_in_arena(void **state)
{
    (void)state;
    struct buf big = BUF_INIT;
    buf_adds(&big, "{\"data\":[");
    for (int i = 0; i < 20000; i++)
        buf_addf(&big, "%s{\"bpm\":%d,\"source\":\"rest\",\"timestamp\":\"t%d\"}", i ? "," : "",
                 50 + i % 40, i);
    buf_adds(&big, "],\"next_token\":null}");
    struct json_arena arena = {NULL, NULL, false};
    json_arena_attach(&arena);
    struct collected c = {{0}, 0, 0};
    bool stopped = true;
    struct json_item_sink sink = {"data", collect_item, NULL, &c};
    json_t *page = json_parse_items(big.data, big.len, &sink, &stopped, NULL, 0);
    assert_non_null(page);
    assert_int_equal(c.n, 20000);
    assert_int_equal(c.bpm[19999 % 8], 50 + 19999 % 40);
    assert_non_null(arena.blocks);
    /* Rewound after the last item, current is the oldest block: one block,
     * never more than an item in it. */
    assert_ptr_equal(arena.current, arena.blocks);
    json_decref(page); /* made from malloc, outside the arena */
    json_arena_attach(NULL);
    json_arena_release(&arena);
    buf_free(&big);
}

static void test_parse_body(void **state)
{
    (void)state;
    char why[200] = "";
    json_t *v = json_parse_body("{\"z\":1,\"a\":2}", 13, why, sizeof why);
    assert_non_null(v);
    /* Received order is kept for payload_json. */
    struct buf b = BUF_INIT;
    assert_int_equal(json_dump_python(v, false, &b), 0);
    assert_string_equal(b.data, "{\"z\":1,\"a\":2}");
    buf_free(&b);
    json_decref(v);

    assert_null(json_parse_body("{\"a\":\n}", 7, why, sizeof why));
    assert_non_null(strstr(why, "invalid JSON at line 2"));
    assert_null(json_parse_body("", 0, why, sizeof why));
    assert_null(json_parse_body(NULL, 0, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truthy),
        cmocka_unit_test(test_first),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_dump_python),
        cmocka_unit_test(test_dump_escapes),
        cmocka_unit_test(test_dump_non_ascii),
        cmocka_unit_test(test_dump_numbers),
        cmocka_unit_test(test_dump_containers),
        cmocka_unit_test(test_dump_key_order),
        cmocka_unit_test(test_dump_nul_bytes),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_parse_body),
        cmocka_unit_test(test_parse_in_arena),
        cmocka_unit_test(test_parse_items),
        cmocka_unit_test(test_parse_items_faults),
        cmocka_unit_test(test_parse_items_in_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
