/* toml: a TOML 1.0.0 parser.
 *
 * A single forward pass over the document builds the tree.  Every value is
 * allocated inside a `struct node` whose first member is the public
 * toml_value, so the parser can keep private bookkeeping (how a table came
 * to exist) next to it and toml_free() can still free(value).
 *
 * U+0000 cannot live in a NUL-terminated string, so a "\u0000" escape is
 * stored as the two bytes C0 80 (the "modified UTF-8" convention); nothing
 * else in a valid document can produce those bytes. */
#include "toml.h"

#include "buf.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a table came to exist; decides what may later add to it. */
enum {
    T_IMPLICIT = 1, /* created as a prefix of a [header]; may be defined once */
    T_DEFINED = 2,  /* defined by its own [header] or [[header]] */
    T_DOTTED = 4,   /* created by a dotted key: only that section may extend it */
    T_INLINE = 8,   /* inline table (or inside one): closed for good */
    A_TABLES = 16,  /* array created by [[header]]: may be appended to */
};

#define MAX_DEPTH 128 /* nesting of arrays/inline tables, and key parts */

struct node {
    struct toml_value v; /* must stay first: toml_free() frees the value */
    unsigned flags;
    size_t cap; /* allocated items of an array or table */
    /* A table of more than INDEX_FROM keys also gets a hash index (open
     * addressing; slot = item position + 1, 0 = empty): without it every
     * new key is compared with all before it, and 300,000 keys took
     * minutes to load. */
    size_t *index;
    size_t index_cap; /* a power of two, or 0 */
};

#define INDEX_FROM 16

struct parser {
    const char *p, *end;
    int line;
    int depth;
    char *err;
    size_t errlen;
    bool failed;
};

struct keypath {
    char *parts[MAX_DEPTH];
    size_t n;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return -1;
    ps->failed = true;
    if (ps->err && ps->errlen) {
        int n = snprintf(ps->err, ps->errlen, "line %d: ", ps->line);
        if (n >= 0 && (size_t)n < ps->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* ---- tree ---------------------------------------------------------------- */

static unsigned *flags_of(struct toml_value *v)
{
    return &((struct node *)v)->flags;
}

static struct toml_value *new_value(struct parser *ps, enum toml_type type, int line)
{
    struct node *n = calloc(1, sizeof(*n));
    if (!n) {
        fail(ps, "out of memory");
        return NULL;
    }
    n->v.type = type;
    n->v.line = line;
    return &n->v;
}

void toml_free(struct toml_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case TOML_STRING:
        free(v->u.s);
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        free(v->u.datetime);
        break;
    case TOML_ARRAY:
        for (size_t i = 0; i < v->u.array.len; i++)
            toml_free(v->u.array.items[i]);
        free(v->u.array.items);
        break;
    case TOML_TABLE:
        for (size_t i = 0; i < v->u.table.len; i++) {
            free(v->u.table.items[i].key);
            toml_free(v->u.table.items[i].value);
        }
        free(v->u.table.items);
        free(((struct node *)v)->index);
        break;
    default:
        break;
    }
    free(v);
}

/* Makes room for one more item of `size` bytes in *items. */
static int grow(struct parser *ps, void *items, size_t len, size_t *cap, size_t size)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = realloc(*(void **)items, ncap * size);
    if (!p)
        return fail(ps, "out of memory");
    *(void **)items = p;
    *cap = ncap;
    return 0;
}

static int array_push(struct parser *ps, struct toml_value *a, struct toml_value *v)
{
    struct node *n = (struct node *)a;
    if (grow(ps, &a->u.array.items, a->u.array.len, &n->cap, sizeof(*a->u.array.items)) < 0)
        return -1;
    a->u.array.items[a->u.array.len++] = v;
    return 0;
}

static size_t key_hash(const char *key)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

/* Records item `pos` of table n in its index (which has room). */
static void index_put(struct node *n, size_t pos)
{
    size_t mask = n->index_cap - 1;
    size_t slot = key_hash(n->v.u.table.items[pos].key) & mask;
    while (n->index[slot])
        slot = (slot + 1) & mask;
    n->index[slot] = pos + 1;
}

/* Keeps the index at most half full, building it once the table is big. */
static int index_update(struct parser *ps, struct node *n)
{
    size_t len = n->v.u.table.len;
    if (len <= INDEX_FROM)
        return 0;
    if (len * 2 <= n->index_cap) {
        index_put(n, len - 1);
        return 0;
    }
    size_t cap = n->index_cap ? n->index_cap * 2 : 64;
    while (cap < len * 2)
        cap *= 2;
    size_t *index = calloc(cap, sizeof *index);
    if (!index)
        return fail(ps, "out of memory");
    free(n->index);
    n->index = index;
    n->index_cap = cap;
    for (size_t i = 0; i < len; i++)
        index_put(n, i);
    return 0;
}

/* Adds key (taken over) -> v to table t; the caller checked it is new. */
static int table_add(struct parser *ps, struct toml_value *t, char *key, struct toml_value *v)
{
    struct node *n = (struct node *)t;
    if (grow(ps, &t->u.table.items, t->u.table.len, &n->cap, sizeof(*t->u.table.items)) < 0)
        return -1;
    t->u.table.items[t->u.table.len].key = key;
    t->u.table.items[t->u.table.len].value = v;
    t->u.table.len++;
    if (index_update(ps, n) < 0) {
        t->u.table.len--; /* the caller still owns key and v */
        return -1;
    }
    return 0;
}

static struct toml_value *lookup(const struct toml_value *t, const char *key)
{
    const struct node *n = (const struct node *)t;
    if (n->index_cap) {
        size_t mask = n->index_cap - 1;
        for (size_t slot = key_hash(key) & mask; n->index[slot]; slot = (slot + 1) & mask) {
            const struct toml_kv *kv = &t->u.table.items[n->index[slot] - 1];
            if (strcmp(kv->key, key) == 0)
                return kv->value;
        }
        return NULL;
    }
    for (size_t i = 0; i < t->u.table.len; i++)
        if (strcmp(t->u.table.items[i].key, key) == 0)
            return t->u.table.items[i].value;
    return NULL;
}

const struct toml_value *toml_get(const struct toml_value *t, const char *key)
{
    if (!t || t->type != TOML_TABLE || !key)
        return NULL;
    return lookup(t, key);
}

const char *toml_type_name(enum toml_type type)
{
    switch (type) {
    case TOML_STRING: return "string";
    case TOML_INTEGER: return "integer";
    case TOML_FLOAT: return "float";
    case TOML_BOOL: return "bool";
    case TOML_DATETIME: return "datetime";
    case TOML_DATETIME_LOCAL: return "datetime-local";
    case TOML_DATE_LOCAL: return "date-local";
    case TOML_TIME_LOCAL: return "time-local";
    case TOML_ARRAY: return "array";
    case TOML_TABLE: return "table";
    }
    return "unknown";
}

/* Creates a new table named `key` (copied) in t. */
static struct toml_value *add_table(struct parser *ps, struct toml_value *t, const char *key,
                                    unsigned flags, int line)
{
    struct toml_value *sub = new_value(ps, TOML_TABLE, line);
    char *k = strdup(key);
    if (!sub || !k || table_add(ps, t, k, sub) < 0) {
        if (!k)
            fail(ps, "out of memory");
        free(k);
        toml_free(sub);
        return NULL;
    }
    *flags_of(sub) = flags;
    return sub;
}

/* Closes an inline table and everything under it against later additions. */
static void seal(struct toml_value *v)
{
    if (v->type == TOML_TABLE) {
        *flags_of(v) |= T_INLINE;
        for (size_t i = 0; i < v->u.table.len; i++)
            seal(v->u.table.items[i].value);
    } else if (v->type == TOML_ARRAY) {
        for (size_t i = 0; i < v->u.array.len; i++)
            seal(v->u.array.items[i]);
    }
}

/* ---- characters ---------------------------------------------------------- */

static int peek(const struct parser *ps)
{
    return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static int peek_at(const struct parser *ps, size_t off)
{
    return (size_t)(ps->end - ps->p) > off ? (unsigned char)ps->p[off] : -1;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_bare_key_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
}

/* Control characters TOML forbids in comments and strings (tab is fine). */
static bool is_forbidden_ctl(int c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

/* Consumes LF or CRLF; returns 1 if one was there, 0 if not, -1 on bare CR. */
static int eat_newline(struct parser *ps)
{
    if (peek(ps) == '\n') {
        ps->p++;
        ps->line++;
        return 1;
    }
    if (peek(ps) == '\r') {
        if (peek_at(ps, 1) != '\n')
            return fail(ps, "carriage return not followed by newline");
        ps->p += 2;
        ps->line++;
        return 1;
    }
    return 0;
}

/* Skips a comment up to (not including) the end of the line. */
static int skip_comment(struct parser *ps)
{
    if (peek(ps) != '#')
        return 0;
    for (ps->p++; ps->p < ps->end; ps->p++) {
        int c = (unsigned char)*ps->p;
        if (c == '\n' || (c == '\r' && peek_at(ps, 1) == '\n'))
            break;
        if (is_forbidden_ctl(c))
            return fail(ps, "control character 0x%02x in comment", c);
    }
    return 0;
}

/* Skips whitespace, newlines and comments (inside arrays). */
static int skip_blank(struct parser *ps)
{
    for (;;) {
        skip_ws(ps);
        if (skip_comment(ps) < 0)
            return -1;
        int r = eat_newline(ps);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
    }
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
        cp > 0x10ffff)
        return 0;
    return len;
}

/* The whole document must be UTF-8; checking up front keeps the rest simple. */
static int check_utf8(struct parser *ps)
{
    const unsigned char *s = (const unsigned char *)ps->p;
    size_t n = (size_t)(ps->end - ps->p);
    int line = 1;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len(s + i, n - i);
        if (!l) {
            ps->line = line;
            return fail(ps, "invalid UTF-8");
        }
        if (s[i] == '\n')
            line++;
        i += l;
    }
    return 0;
}

/* ---- strings ------------------------------------------------------------- */

static int add_utf8(struct parser *ps, struct buf *b, uint32_t cp)
{
    char s[4];
    size_t n;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return fail(ps, "escape \\u%04X is not a Unicode scalar value", (unsigned)cp);
    if (cp == 0) { /* see the top of the file */
        s[0] = (char)0xc0, s[1] = (char)0x80, n = 2;
    } else if (cp < 0x80) {
        s[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        s[0] = (char)(0xc0 | cp >> 6), s[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        s[0] = (char)(0xe0 | cp >> 12), s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        s[0] = (char)(0xf0 | cp >> 18), s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), s[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    if (buf_add(b, s, n) < 0)
        return fail(ps, "out of memory");
    return 0;
}

static int add_bytes(struct parser *ps, struct buf *b, const char *s, size_t n)
{
    if (buf_add(b, s, n) < 0)
        return fail(ps, "out of memory");
    return 0;
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses the escape at ps->p (a backslash) into b. */
static int parse_escape(struct parser *ps, struct buf *b)
{
    int c = peek_at(ps, 1);
    const char *simple = NULL;
    switch (c) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case 'u':
    case 'U': {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (int i = 0; i < digits; i++) {
            int h = hex_value(peek_at(ps, 2 + (size_t)i));
            if (h < 0)
                return fail(ps, "\\%c escape needs %d hex digits", c, digits);
            cp = cp << 4 | (uint32_t)h;
        }
        ps->p += 2 + digits;
        return add_utf8(ps, b, cp);
    }
    default:
        if (c >= 0x20 && c < 0x7f)
            return fail(ps, "invalid escape sequence \\%c", c);
        return fail(ps, "invalid escape sequence");
    }
    ps->p += 2;
    return add_bytes(ps, b, simple, 1);
}

/* Checks one raw character inside a string; `multiline` allows newlines. */
static int string_char(struct parser *ps, struct buf *b, bool multiline)
{
    int c = peek(ps);
    if (c == '\n' || c == '\r') {
        if (!multiline)
            return fail(ps, "newline in single-line string");
        if (eat_newline(ps) < 0)
            return -1;
        return add_bytes(ps, b, "\n", 1);
    }
    if (is_forbidden_ctl(c))
        return fail(ps, "control character 0x%02x in string", c);
    ps->p++;
    return add_bytes(ps, b, ps->p - 1, 1);
}

/* After the opening delimiter of a multiline string: a newline right there
 * is not part of the string. */
static int trim_first_newline(struct parser *ps)
{
    return eat_newline(ps) < 0 ? -1 : 0;
}

/* Handles a run of the closing quote character q in a multiline string.
 * Returns 1 when the string ended, 0 to continue. */
static int ml_quotes(struct parser *ps, struct buf *b, char q)
{
    size_t n = 0;
    while (peek_at(ps, n) == q)
        n++;
    if (n < 3) {
        ps->p += n;
        return add_bytes(ps, b, ps->p - n, n);
    }
    if (n > 5)
        return fail(ps, "too many quotes at the end of a multiline string");
    /* up to two quotes may directly precede the closing delimiter */
    if (add_bytes(ps, b, ps->p, n - 3) < 0)
        return -1;
    ps->p += n;
    return 1;
}

/* A backslash at the end of a line in a """ string swallows the newline and
 * all whitespace after it.  Returns 1 if that happened. */
static int line_ending_backslash(struct parser *ps)
{
    size_t i = 1;
    while (peek_at(ps, i) == ' ' || peek_at(ps, i) == '\t')
        i++;
    int c = peek_at(ps, i);
    if (c != '\n' && c != '\r')
        return 0;
    ps->p += i;
    for (;;) {
        skip_ws(ps);
        int r = eat_newline(ps);
        if (r <= 0)
            return r < 0 ? -1 : 1;
    }
}

static int parse_basic_string(struct parser *ps, struct buf *b, bool multiline)
{
    ps->p += multiline ? 3 : 1;
    if (multiline && trim_first_newline(ps) < 0)
        return -1;
    for (;;) {
        int c = peek(ps), r;
        if (c < 0)
            return fail(ps, "unterminated string");
        if (c == '"' && !multiline) {
            ps->p++;
            return 0;
        }
        if (c == '"')
            r = ml_quotes(ps, b, '"');
        else if (c == '\\' && multiline && (r = line_ending_backslash(ps)) != 0)
            r = r < 0 ? -1 : 0;
        else if (c == '\\')
            r = parse_escape(ps, b);
        else
            r = string_char(ps, b, multiline);
        if (r < 0)
            return -1;
        if (r == 1)
            return 0;
    }
}

static int parse_literal_string(struct parser *ps, struct buf *b, bool multiline)
{
    ps->p += multiline ? 3 : 1;
    if (multiline && trim_first_newline(ps) < 0)
        return -1;
    for (;;) {
        int c = peek(ps), r;
        if (c < 0)
            return fail(ps, "unterminated string");
        if (c == '\'' && !multiline) {
            ps->p++;
            return 0;
        }
        if (c == '\'')
            r = ml_quotes(ps, b, '\'');
        else
            r = string_char(ps, b, multiline);
        if (r < 0)
            return -1;
        if (r == 1)
            return 0;
    }
}

static bool triple(const struct parser *ps, char q)
{
    return peek(ps) == q && peek_at(ps, 1) == q && peek_at(ps, 2) == q;
}

/* Parses any kind of string at ps->p into b. */
static int parse_string(struct parser *ps, struct buf *b)
{
    char q = *ps->p;
    bool ml = triple(ps, q);
    return q == '"' ? parse_basic_string(ps, b, ml) : parse_literal_string(ps, b, ml);
}

/* ---- keys ---------------------------------------------------------------- */

static void keypath_free(struct keypath *kp)
{
    for (size_t i = 0; i < kp->n; i++)
        free(kp->parts[i]);
    kp->n = 0;
}

static int parse_key_part(struct parser *ps, char **out)
{
    struct buf b = BUF_INIT;
    int c = peek(ps);
    if (c == '"' || c == '\'') {
        if (triple(ps, (char)c))
            return fail(ps, "multiline strings cannot be keys");
        if (parse_string(ps, &b) < 0) {
            buf_free(&b);
            return -1;
        }
    } else if (is_bare_key_char(c)) {
        const char *start = ps->p;
        while (is_bare_key_char(peek(ps)))
            ps->p++;
        if (add_bytes(ps, &b, start, (size_t)(ps->p - start)) < 0)
            return -1;
    } else if (c < 0 || c == '\n' || c == '\r') {
        return fail(ps, "expected a key");
    } else if (c >= 0x80) {
        return fail(ps, "non-ASCII character in bare key (quote the key)");
    } else if (c < 0x20 || c == 0x7f) {
        return fail(ps, "control character 0x%02x where a key was expected", c);
    } else {
        return fail(ps, "invalid character '%c' in key", c);
    }
    *out = buf_detach(&b);
    if (!*out)
        return fail(ps, "out of memory");
    return 0;
}

/* Parses a possibly dotted key, with whitespace around the dots. */
static int parse_key(struct parser *ps, struct keypath *kp)
{
    for (;;) {
        skip_ws(ps);
        if (kp->n == MAX_DEPTH)
            return fail(ps, "key has too many parts");
        if (parse_key_part(ps, &kp->parts[kp->n]) < 0)
            return -1;
        kp->n++;
        skip_ws(ps);
        if (peek(ps) != '.')
            return 0;
        ps->p++;
    }
}

/* ---- numbers, booleans, dates -------------------------------------------- */

static bool is_base_digit(int c, int base)
{
    if (base == 16)
        return hex_value(c) >= 0;
    return c >= '0' && c < '0' + base;
}

/* Scans digits of `base` with single underscores between them. */
static bool scan_digits(const char *s, size_t n, size_t *i, int base)
{
    bool prev_digit = false;
    for (; *i < n; (*i)++) {
        if (is_base_digit(s[*i], base))
            prev_digit = true;
        else if (s[*i] == '_' && prev_digit)
            prev_digit = false;
        else if (s[*i] == '_')
            return false;
        else
            break;
    }
    return prev_digit;
}

/* Converts digits (underscores skipped) to an int64 with overflow check. */
static int to_integer(struct parser *ps, const char *s, size_t n, int base, bool neg, long long *out)
{
    unsigned long long limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_')
            continue;
        unsigned d = (unsigned)hex_value(s[i]);
        if (v > (limit - d) / (unsigned)base)
            return fail(ps, "integer out of range");
        v = v * (unsigned)base + d;
    }
    if (neg)
        *out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
    else
        *out = (long long)v;
    return 0;
}

static int to_float(struct parser *ps, const char *s, size_t n, double *out)
{
    char *tmp = malloc(n + 1);
    size_t j = 0;
    if (!tmp)
        return fail(ps, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            tmp[j++] = s[i];
    tmp[j] = '\0';
    *out = strtod(tmp, NULL);
    free(tmp);
    if (isinf(*out))
        return fail(ps, "float out of range");
    return 0;
}

static struct toml_value *number_value(struct parser *ps, bool is_float, const char *s, size_t n,
                                       int base, bool neg, int line)
{
    struct toml_value *v = new_value(ps, is_float ? TOML_FLOAT : TOML_INTEGER, line);
    if (!v)
        return NULL;
    int r = is_float ? to_float(ps, s, n, &v->u.f) : to_integer(ps, s, n, base, neg, &v->u.i);
    if (r < 0) {
        toml_free(v);
        return NULL;
    }
    return v;
}

/* Parses a decimal integer or float token (sign included). */
static struct toml_value *parse_decimal(struct parser *ps, const char *s, size_t n, int line)
{
    size_t i = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    size_t int_start = i;
    bool is_float = false;
    if (!scan_digits(s, n, &i, 10))
        goto bad;
    if (s[int_start] == '0' && i - int_start > 1) {
        fail(ps, "leading zeros are not allowed in '%.*s'", n > 40 ? 40 : (int)n, s);
        return NULL;
    }
    if (i < n && s[i] == '.') {
        i++;
        is_float = true;
        if (!scan_digits(s, n, &i, 10))
            goto bad;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        is_float = true;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!scan_digits(s, n, &i, 10))
            goto bad;
    }
    if (i != n)
        goto bad;
    if (is_float)
        return number_value(ps, true, s, n, 10, false, line);
    return number_value(ps, false, s + int_start, n - int_start, 10, s[0] == '-', line);
bad:
    fail(ps, "invalid number '%.*s'", n > 40 ? 40 : (int)n, s);
    return NULL;
}

static bool is_number_char(int c)
{
    return is_bare_key_char(c) || c == '+' || c == '.';
}

/* Integers, floats, inf and nan. */
static struct toml_value *parse_number(struct parser *ps)
{
    const char *s = ps->p;
    int line = ps->line;
    while (is_number_char(peek(ps)))
        ps->p++;
    size_t n = (size_t)(ps->p - s);
    if (n == 0) {
        fail(ps, "expected a value");
        return NULL;
    }
    const char *u = s + (s[0] == '+' || s[0] == '-');
    size_t un = n - (size_t)(u - s);
    if ((un == 3 && memcmp(u, "inf", 3) == 0) || (un == 3 && memcmp(u, "nan", 3) == 0)) {
        struct toml_value *v = new_value(ps, TOML_FLOAT, line);
        if (v) {
            v->u.f = u[0] == 'i' ? INFINITY : NAN;
            if (s[0] == '-')
                v->u.f = -v->u.f;
        }
        return v;
    }
    if (un > 2 && u[0] == '0' && (u[1] == 'x' || u[1] == 'o' || u[1] == 'b')) {
        int base = u[1] == 'x' ? 16 : u[1] == 'o' ? 8 : 2;
        size_t i = 2;
        if (u != s || !scan_digits(u, un, &i, base) || i != un) {
            fail(ps, "invalid number '%.*s'", n > 40 ? 40 : (int)n, s);
            return NULL;
        }
        return number_value(ps, false, u + 2, un - 2, base, false, line);
    }
    return parse_decimal(ps, s, n, line);
}

/* Reads exactly `count` digits as a number, or -1. */
static int read_digits(struct parser *ps, int count)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        int c = peek(ps);
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
        ps->p++;
    }
    return v;
}

/* Expects the character c, consuming it. */
static bool expect_char(struct parser *ps, char c)
{
    if (peek(ps) != c)
        return false;
    ps->p++;
    return true;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_date(struct parser *ps)
{
    int y = read_digits(ps, 4);
    if (y < 0 || !expect_char(ps, '-'))
        return fail(ps, "invalid date");
    int m = read_digits(ps, 2);
    if (m < 0 || !expect_char(ps, '-'))
        return fail(ps, "invalid date");
    int d = read_digits(ps, 2);
    if (d < 0)
        return fail(ps, "invalid date");
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return fail(ps, "date %04d-%02d-%02d does not exist", y, m, d);
    return 0;
}

static int parse_time(struct parser *ps)
{
    int h = read_digits(ps, 2);
    if (h < 0 || !expect_char(ps, ':'))
        return fail(ps, "invalid time");
    int m = read_digits(ps, 2);
    if (m < 0 || !expect_char(ps, ':'))
        return fail(ps, "invalid time (seconds are required)");
    int s = read_digits(ps, 2);
    if (s < 0)
        return fail(ps, "invalid time");
    if (h > 23 || m > 59 || s > 60) /* 60: leap second */
        return fail(ps, "time %02d:%02d:%02d out of range", h, m, s);
    if (peek(ps) == '.') {
        ps->p++;
        if (!is_digit(peek(ps)))
            return fail(ps, "missing digits after '.' in time");
        while (is_digit(peek(ps)))
            ps->p++;
    }
    return 0;
}

/* Parses 'Z' or +HH:MM / -HH:MM if present; returns 1 if there was one. */
static int parse_offset(struct parser *ps)
{
    int c = peek(ps);
    if (c == 'Z' || c == 'z') {
        ps->p++;
        return 1;
    }
    if (c != '+' && c != '-')
        return 0;
    ps->p++;
    int h = read_digits(ps, 2);
    if (h < 0 || !expect_char(ps, ':'))
        return fail(ps, "invalid time offset");
    int m = read_digits(ps, 2);
    if (m < 0)
        return fail(ps, "invalid time offset");
    if (h > 23 || m > 59)
        return fail(ps, "time offset out of range");
    return 1;
}

/* A date is followed by a time after 'T', 't' or a single space. */
static bool time_follows(const struct parser *ps)
{
    int c = peek(ps);
    if (c == 'T' || c == 't')
        return true;
    return c == ' ' && is_digit(peek_at(ps, 1)) && is_digit(peek_at(ps, 2)) && peek_at(ps, 3) == ':';
}

static struct toml_value *parse_datetime(struct parser *ps)
{
    const char *start = ps->p;
    int line = ps->line;
    enum toml_type type = TOML_TIME_LOCAL;
    if (peek_at(ps, 2) != ':') {
        if (parse_date(ps) < 0)
            return NULL;
        type = TOML_DATE_LOCAL;
        if (time_follows(ps)) {
            ps->p++;
            type = TOML_DATETIME_LOCAL;
        }
    }
    if (type != TOML_DATE_LOCAL && parse_time(ps) < 0)
        return NULL;
    if (type == TOML_DATETIME_LOCAL) {
        int r = parse_offset(ps);
        if (r < 0)
            return NULL;
        if (r)
            type = TOML_DATETIME;
    }
    struct toml_value *v = new_value(ps, type, line);
    if (!v)
        return NULL;
    size_t n = (size_t)(ps->p - start);
    v->u.datetime = strndup(start, n);
    if (!v->u.datetime) {
        toml_free(v);
        fail(ps, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char *c = &v->u.datetime[i];
        if (*c == 't' || (*c == ' ' && i == 10))
            *c = 'T';
        else if (*c == 'z')
            *c = 'Z';
    }
    return v;
}

static bool looks_like_datetime(const struct parser *ps)
{
    if (!is_digit(peek(ps)) || !is_digit(peek_at(ps, 1)))
        return false;
    if (peek_at(ps, 2) == ':')
        return true;
    return is_digit(peek_at(ps, 2)) && is_digit(peek_at(ps, 3)) && peek_at(ps, 4) == '-';
}

/* ---- values -------------------------------------------------------------- */

static struct toml_value *parse_value(struct parser *ps);
static int insert_kv(struct parser *ps, struct toml_value *t, struct keypath *kp,
                     struct toml_value *v, int line);

static struct toml_value *string_value(struct parser *ps)
{
    struct buf b = BUF_INIT;
    int line = ps->line;
    if (parse_string(ps, &b) < 0) {
        buf_free(&b);
        return NULL;
    }
    struct toml_value *v = new_value(ps, TOML_STRING, line);
    if (!v) {
        buf_free(&b);
        return NULL;
    }
    v->u.s = buf_detach(&b);
    if (!v->u.s) {
        toml_free(v);
        fail(ps, "out of memory");
        return NULL;
    }
    return v;
}

static struct toml_value *parse_array(struct parser *ps)
{
    struct toml_value *a = new_value(ps, TOML_ARRAY, ps->line);
    if (!a)
        return NULL;
    ps->p++;
    for (;;) {
        if (skip_blank(ps) < 0)
            goto err;
        if (peek(ps) == ']')
            break;
        struct toml_value *item = parse_value(ps);
        if (!item)
            goto err;
        if (array_push(ps, a, item) < 0) {
            toml_free(item);
            goto err;
        }
        if (skip_blank(ps) < 0)
            goto err;
        if (peek(ps) == ',') {
            ps->p++;
            continue;
        }
        if (peek(ps) != ']') {
            fail(ps, "expected ',' or ']' in array");
            goto err;
        }
        break;
    }
    ps->p++;
    return a;
err:
    toml_free(a);
    return NULL;
}

/* One `key = value` into table t; shared by documents and inline tables. */
static int parse_keyval(struct parser *ps, struct toml_value *t)
{
    struct keypath kp = {0};
    int line = ps->line;
    if (parse_key(ps, &kp) < 0)
        goto err;
    if (!expect_char(ps, '=')) {
        fail(ps, "expected '=' after key");
        goto err;
    }
    skip_ws(ps);
    struct toml_value *v = parse_value(ps);
    if (!v)
        goto err;
    if (insert_kv(ps, t, &kp, v, line) < 0)
        goto err;
    keypath_free(&kp);
    return 0;
err:
    keypath_free(&kp);
    return -1;
}

static struct toml_value *parse_inline_table(struct parser *ps)
{
    struct toml_value *t = new_value(ps, TOML_TABLE, ps->line);
    if (!t)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (peek(ps) == '}') {
        ps->p++;
        seal(t);
        return t;
    }
    for (;;) {
        if (parse_keyval(ps, t) < 0)
            goto err;
        skip_ws(ps);
        if (expect_char(ps, ',')) {
            skip_ws(ps);
            if (peek(ps) != '}')
                continue;
            fail(ps, "trailing comma in inline table");
            goto err;
        }
        if (expect_char(ps, '}'))
            break;
        if (peek(ps) == '\n' || peek(ps) == '\r' || peek(ps) == '#')
            fail(ps, "inline table must be closed on the same line");
        else
            fail(ps, "expected ',' or '}' in inline table");
        goto err;
    }
    seal(t);
    return t;
err:
    toml_free(t);
    return NULL;
}

static struct toml_value *parse_bool(struct parser *ps)
{
    bool val = peek(ps) == 't';
    const char *word = val ? "true" : "false";
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0 || is_bare_key_char(peek_at(ps, n))) {
        fail(ps, "invalid value");
        return NULL;
    }
    struct toml_value *v = new_value(ps, TOML_BOOL, ps->line);
    if (v)
        v->u.b = val;
    ps->p += n;
    return v;
}

static struct toml_value *parse_value(struct parser *ps)
{
    int c = peek(ps);
    if (c == '"' || c == '\'')
        return string_value(ps);
    if (c == 't' || c == 'f')
        return parse_bool(ps);
    if (c == '[' || c == '{') {
        if (ps->depth >= MAX_DEPTH) {
            fail(ps, "values nested too deeply");
            return NULL;
        }
        ps->depth++;
        struct toml_value *v = c == '[' ? parse_array(ps) : parse_inline_table(ps);
        ps->depth--;
        return v;
    }
    if (looks_like_datetime(ps))
        return parse_datetime(ps);
    if (is_number_char(c))
        return parse_number(ps);
    if (c < 0 || c == '\n' || c == '\r' || c == '#')
        fail(ps, "expected a value");
    else
        fail(ps, "invalid value");
    return NULL;
}

/* ---- placing keys and tables --------------------------------------------- */

/* Inserts v (taken over) under a possibly dotted key into t.  Intermediate
 * tables may only be ones created by dotted keys in this same section. */
static int insert_kv(struct parser *ps, struct toml_value *t, struct keypath *kp,
                     struct toml_value *v, int line)
{
    for (size_t i = 0; i + 1 < kp->n; i++) {
        struct toml_value *sub = lookup(t, kp->parts[i]);
        if (!sub)
            sub = add_table(ps, t, kp->parts[i], T_DOTTED, line);
        else if (sub->type != TOML_TABLE || *flags_of(sub) != T_DOTTED) {
            toml_free(v);
            return fail(ps, "cannot add to '%s' with a dotted key: it is already defined", kp->parts[i]);
        }
        if (!sub) {
            toml_free(v);
            return -1;
        }
        t = sub;
    }
    char *last = kp->parts[kp->n - 1];
    if (lookup(t, last)) {
        toml_free(v);
        return fail(ps, "duplicate key '%s'", last);
    }
    if (table_add(ps, t, last, v) < 0) {
        toml_free(v);
        return -1;
    }
    kp->parts[kp->n - 1] = NULL; /* now owned by the table */
    return 0;
}

/* Walks a header's key prefix, creating implicit tables and stepping into
 * the last element of arrays of tables. */
static struct toml_value *walk_header(struct parser *ps, struct toml_value *t, struct keypath *kp, int line)
{
    for (size_t i = 0; i + 1 < kp->n; i++) {
        struct toml_value *sub = lookup(t, kp->parts[i]);
        if (!sub) {
            sub = add_table(ps, t, kp->parts[i], T_IMPLICIT, line);
            if (!sub)
                return NULL;
        } else if (sub->type == TOML_ARRAY && (*flags_of(sub) & A_TABLES)) {
            sub = sub->u.array.items[sub->u.array.len - 1];
        } else if (sub->type != TOML_TABLE || (*flags_of(sub) & T_INLINE)) {
            fail(ps, "cannot define a table under '%s': it is already defined", kp->parts[i]);
            return NULL;
        }
        t = sub;
    }
    return t;
}

static struct toml_value *define_table(struct parser *ps, struct toml_value *parent, const char *name, int line)
{
    struct toml_value *t = lookup(parent, name);
    if (!t)
        return add_table(ps, parent, name, T_DEFINED, line);
    if (t->type != TOML_TABLE || *flags_of(t) != T_IMPLICIT) {
        fail(ps, "table '%s' is already defined", name);
        return NULL;
    }
    *flags_of(t) = T_DEFINED;
    t->line = line;
    return t;
}

static struct toml_value *append_table(struct parser *ps, struct toml_value *parent, const char *name, int line)
{
    struct toml_value *a = lookup(parent, name);
    if (!a) {
        a = new_value(ps, TOML_ARRAY, line);
        char *k = strdup(name);
        if (!a || !k || table_add(ps, parent, k, a) < 0) {
            if (!k)
                fail(ps, "out of memory");
            free(k);
            toml_free(a);
            return NULL;
        }
        *flags_of(a) = A_TABLES;
    } else if (a->type != TOML_ARRAY || !(*flags_of(a) & A_TABLES)) {
        fail(ps, "cannot define '%s' as an array of tables: it is already defined", name);
        return NULL;
    }
    struct toml_value *t = new_value(ps, TOML_TABLE, line);
    if (!t)
        return NULL;
    *flags_of(t) = T_DEFINED;
    if (array_push(ps, a, t) < 0) {
        toml_free(t);
        return NULL;
    }
    return t;
}

/* Parses [a.b] or [[a.b]] and returns the table that follows lines fill. */
static struct toml_value *parse_header(struct parser *ps, struct toml_value *root)
{
    struct keypath kp = {0};
    struct toml_value *t = NULL;
    int line = ps->line;
    bool aot = peek_at(ps, 1) == '[';
    ps->p += aot ? 2 : 1;
    if (parse_key(ps, &kp) < 0)
        goto out;
    if (!expect_char(ps, ']') || (aot && !expect_char(ps, ']'))) {
        fail(ps, "expected '%s' to close the table header", aot ? "]]" : "]");
        goto out;
    }
    struct toml_value *parent = walk_header(ps, root, &kp, line);
    if (!parent)
        goto out;
    const char *name = kp.parts[kp.n - 1];
    t = aot ? append_table(ps, parent, name, line) : define_table(ps, parent, name, line);
out:
    keypath_free(&kp);
    return t;
}

/* After a key/value or header: optional comment, then newline or end. */
static int end_of_line(struct parser *ps)
{
    skip_ws(ps);
    if (skip_comment(ps) < 0)
        return -1;
    if (peek(ps) < 0)
        return 0;
    int r = eat_newline(ps);
    if (r < 0)
        return -1;
    if (r == 0) {
        int c = peek(ps);
        if (c >= 0x20 && c < 0x7f)
            return fail(ps, "unexpected '%c', expected end of line", c);
        return fail(ps, "unexpected character 0x%02x, expected end of line", c);
    }
    return 0;
}

static int parse_document(struct parser *ps, struct toml_value *root)
{
    struct toml_value *cur = root;
    while (ps->p < ps->end) {
        skip_ws(ps);
        int c = peek(ps);
        if (c == '[') {
            cur = parse_header(ps, root);
            if (!cur)
                return -1;
        } else if (c >= 0 && c != '#' && c != '\n' && c != '\r') {
            if (parse_keyval(ps, cur) < 0)
                return -1;
        }
        if (end_of_line(ps) < 0)
            return -1;
    }
    return 0;
}

struct toml_value *toml_parse(const char *data, size_t len, char *errbuf, size_t errlen)
{
    struct parser ps = {data, data + len, 1, 0, errbuf, errlen, false};
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        ps.p += 3; /* byte order mark */
    if (check_utf8(&ps) < 0)
        return NULL;
    ps.line = 1;
    struct toml_value *root = new_value(&ps, TOML_TABLE, 1);
    if (!root)
        return NULL;
    *flags_of(root) = T_DEFINED;
    if (parse_document(&ps, root) < 0) {
        toml_free(root);
        return NULL;
    }
    return root;
}
