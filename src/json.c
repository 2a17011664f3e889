/* json: Python-compatible serialisation, the first()/str() rules and
 * the canonical hash.  Bytes must match what the Python tool stored. */
#include "json.h"

#include "num.h"

#include <math.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool json_truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_TRUE:
        return true;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    }
    return false;
}

json_t *json_first(const json_t *obj, const char *const *keys)
{
    if (!json_is_object(obj))
        return NULL;
    for (; *keys; keys++) {
        json_t *v = json_object_get(obj, *keys);
        if (json_truthy(v))
            return v;
    }
    return NULL;
}

/* Decimal digits of v, written backwards ending at end; returns the first.
 * end needs 20 bytes before it (INT64_MIN is "-9223372036854775808"). */
static char *format_int(json_int_t v, char *end)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *p = end;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (u >= 10) {
        *--p = pairs[u * 2 + 1];
        *--p = pairs[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        *--p = '-';
    return p;
}

static int add_int(json_int_t v, struct buf *out)
{
    char tmp[24];
    char *p = format_int(v, tmp + sizeof tmp);
    return buf_add(out, p, (size_t)(tmp + sizeof tmp - p));
}

int json_format_double(double d, struct buf *out)
{
    if (isnan(d))
        return buf_adds(out, "NaN");
    if (isinf(d))
        return buf_adds(out, d < 0 ? "-Infinity" : "Infinity");
    char res[40]; /* at most "-0.000" + 17 digits or "-D.DDDDDDDDDDDDDDDDe-324" */
    size_t rn = 0;
    /* Integral and below 2^53: every such value is exact, so its shortest
     * round-trip digits are the integer's own, printed as "N.0" ("-0.0" too). */
    if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
        char *p = format_int((json_int_t)fabs(d), res + 24);
        if (signbit(d))
            *--p = '-';
        memcpy(res + 24, ".0", 2);
        return buf_add(out, p, (size_t)(res + 26 - p));
    }
    /* Shortest digits that round-trip, as Python's repr finds them. */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp = [-]D[.DDD]e[+-]XX: split into sign, digits and exponent. */
    char digits[24];
    size_t nd = 0;
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    digits[nd] = '\0';
    long long e = 0; /* snprintf's own "e+XX": always a number */
    num_parse_ll(p + 1, -400, 400, &e);
    int exp10 = (int)e;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int decpt = exp10 + 1; /* digits d1d2... = 0.d1d2... * 10^decpt */
    if (neg)
        res[rn++] = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            res[rn++] = '0';
            res[rn++] = '.';
            for (int i = 0; i < -decpt; i++)
                res[rn++] = '0';
            memcpy(res + rn, digits, nd);
            rn += nd;
        } else {
            for (int i = 0; i < decpt; i++)
                res[rn++] = (size_t)i < nd ? digits[i] : '0';
            res[rn++] = '.';
            if ((size_t)decpt >= nd) {
                res[rn++] = '0';
            } else {
                memcpy(res + rn, digits + decpt, nd - (size_t)decpt);
                rn += nd - (size_t)decpt;
            }
        }
        return buf_add(out, res, rn);
    }
    res[rn++] = digits[0];
    if (nd > 1) {
        res[rn++] = '.';
        memcpy(res + rn, digits + 1, nd - 1);
        rn += nd - 1;
    }
    /* "e%c%02d": the exponent has two digits at least, three at most. */
    unsigned ae = (unsigned)abs(exp10);
    res[rn++] = 'e';
    res[rn++] = exp10 < 0 ? '-' : '+';
    if (ae >= 100)
        res[rn++] = (char)('0' + ae / 100);
    res[rn++] = (char)('0' + ae / 10 % 10);
    res[rn++] = (char)('0' + ae % 10);
    return buf_add(out, res, rn);
}

int json_str(const json_t *v, struct buf *out)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return buf_add(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return add_int(json_integer_value(v), out);
    case JSON_REAL:
        return json_format_double(json_real_value(v), out);
    case JSON_TRUE:
        return buf_add(out, "True", 4);
    case JSON_FALSE:
        return buf_add(out, "False", 5);
    default:
        return -1;
    }
}

char *json_strdup(const json_t *v)
{
    struct buf b = BUF_INIT;
    if (json_str(v, &b) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

/* Decodes one UTF-8 sequence at s (4 bytes readable). */
static unsigned long utf8_decode(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        *len = 2;
        return ((s[0] & 0x1FUL) << 6) | (s[1] & 0x3F);
    }
    if ((s[0] & 0xF0) == 0xE0) {
        *len = 3;
        return ((s[0] & 0x0FUL) << 12) | ((s[1] & 0x3FUL) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((s[0] & 0x07UL) << 18) | ((s[1] & 0x3FUL) << 12) | ((s[2] & 0x3FUL) << 6) |
           (s[3] & 0x3F);
}

/* How json.dumps(ensure_ascii=True) writes each byte: 0 as itself, the letter
 * of a two-character escape, 'u' for \u00XX, 'U' for a UTF-8 lead/continuation
 * byte (the whole sequence becomes \uXXXX or a surrogate pair). */
/* clang-format off */
static const char escape_kind[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'u',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
    'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U', 'U',
};
/* clang-format on */

static const char hex_digits[16] = "0123456789abcdef";

static char *put_u4(char *w, unsigned long cp)
{
    *w++ = '\\';
    *w++ = 'u';
    *w++ = hex_digits[(cp >> 12) & 0xF];
    *w++ = hex_digits[(cp >> 8) & 0xF];
    *w++ = hex_digits[(cp >> 4) & 0xF];
    *w++ = hex_digits[cp & 0xF];
    return w;
}

/* Appends lead (unless 0), the JSON string literal of the n bytes at str and
 * trail (unless 0).  A key (is_key) ends at its first NUL, as the C string the
 * original code took it for; *cut then tells whether it had one.
 *
 * The output is never shorter than the input, so that much is reserved up
 * front, and each escape reserves its extra bytes plus that lower bound for the
 * rest: a buffer limit fails exactly when the whole literal would not fit. */
/* Cuts a key at its first NUL when it has one: the reservations assumed all n
 * bytes, which may be more than a limited buffer has room for. */
static bool shorten_key(const char *str, size_t *n, bool is_key, bool *cut)
{
    if (!is_key || *cut)
        return false;
    size_t len = strlen(str);
    if (len == *n)
        return false;
    *n = len;
    *cut = true;
    return true;
}

static int dump_string_ex(const char *str, size_t n, char lead, char trail, bool is_key, bool *cut,
                          struct buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t extra = 2 + (lead != 0) + (trail != 0), readable = n + 1; /* with the NUL */
    if (buf_reserve(out, n + extra) < 0 &&
        (!shorten_key(str, &n, is_key, cut) || buf_reserve(out, n + extra) < 0))
        return -1;
    char *w = out->data + out->len;
    if (lead)
        *w++ = lead;
    *w++ = '"';
    size_t i = 0;
    for (;;) {
        /* Eight plain bytes at a time: none >= 0x7F (Python escapes DEL too),
         * < 0x20, '"' or '\\'. */
        while (i + 8 <= n) {
            uint64_t x, q, b, d;
            memcpy(&x, s + i, 8);
            q = x ^ 0x2222222222222222ULL;
            b = x ^ 0x5C5C5C5C5C5C5C5CULL;
            d = x ^ 0x7F7F7F7F7F7F7F7FULL;
            if ((x | ((x - 0x2020202020202020ULL) & ~x) | ((q - 0x0101010101010101ULL) & ~q) |
                 ((b - 0x0101010101010101ULL) & ~b) | ((d - 0x0101010101010101ULL) & ~d)) &
                0x8080808080808080ULL)
                break;
            memcpy(w, &x, 8);
            w += 8;
            i += 8;
        }
        while (i < n && !escape_kind[s[i]])
            *w++ = (char)s[i++];
        if (i == n)
            break;
        unsigned char c = s[i];
        char kind = escape_kind[c];
        size_t in_len = 1, esc_len = 2;
        unsigned long cp = c;
        if (kind == 'u') {
            if (c == 0 && is_key) {
                *cut = true;
                break;
            }
            esc_len = 6;
        } else if (kind == 'U') {
            /* jansson checked the UTF-8, but a _nocheck string may end inside a
             * sequence: read its NUL terminator (as the old code did), then 0s. */
            unsigned char seq[4] = {0};
            memcpy(seq, s + i, readable - i < 4 ? readable - i : 4);
            cp = utf8_decode(seq, &in_len);
            esc_len = cp >= 0x10000 ? 12 : 6;
            /* Invalid UTF-8 (a _nocheck key) may hide the key's NUL in here. */
            for (size_t j = 1; is_key && j < in_len && i + j < n; j++)
                if (!s[i + j]) {
                    n = i + j;
                    *cut = true;
                }
        }
        out->len = (size_t)(w - out->data);
        for (;;) {
            if (i + in_len > n)
                in_len = n - i;
            /* This escape, the rest of the string at one byte a byte, '"', trail. */
            if (buf_reserve(out, esc_len + (n - i - in_len) + 1 + (trail != 0)) == 0)
                break;
            if (!shorten_key(str, &n, is_key, cut)) {
                out->data[out->len] = '\0';
                return -1;
            }
        }
        w = out->data + out->len;
        if (kind == 'u' || kind == 'U') {
            if (cp >= 0x10000) {
                cp -= 0x10000;
                w = put_u4(w, 0xD800 + (cp >> 10));
                w = put_u4(w, 0xDC00 + (cp & 0x3FF));
            } else {
                w = put_u4(w, cp);
            }
        } else {
            *w++ = '\\';
            *w++ = kind;
        }
        i += in_len;
    }
    *w++ = '"';
    if (trail)
        *w++ = trail;
    out->len = (size_t)(w - out->data);
    *w = '\0';
    return 0;
}

static int dump_string(const char *str, size_t n, struct buf *out)
{
    return dump_string_ex(str, n, 0, 0, false, NULL, out);
}

static inline int add_char(struct buf *out, char c)
{
    if (buf_reserve(out, 1) < 0)
        return -1;
    out->data[out->len++] = c;
    out->data[out->len] = '\0';
    return 0;
}

static int dump_value(const json_t *v, bool sort_keys, struct buf *out);

/* lead (',' or '{'), then "key":value.  The original code wrote the key up to
 * its first NUL and looked the value up by that (json_object_get), which only
 * differs from the member itself for keys with a NUL (jansson 2.14 allows
 * them). */
static int dump_member(json_t *obj, const char *key, size_t key_len, json_t *value, char lead,
                       bool sort_keys, struct buf *out)
{
    bool cut = false;
    if (dump_string_ex(key, key_len, lead, ':', true, &cut, out) < 0)
        return -1;
    if (cut)
        value = json_object_get(obj, key);
    return dump_value(value, sort_keys, out);
}

static size_t key_length(void *it, const char *key)
{
#if JANSSON_VERSION_HEX >= 0x020e00
    (void)key;
    return json_object_iter_key_len(it);
#else
    (void)it;
    return strlen(key);
#endif
}

struct member {
    const char *key;
    size_t key_len;
    json_t *value;
};

static int cmp_members(const void *a, const void *b)
{
    /* UTF-8 byte order equals code point order. */
    return strcmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

static int dump_object(const json_t *v, bool sort_keys, struct buf *out)
{
    json_t *obj = (json_t *)v;
    if (!sort_keys) {
        /* Insertion order, straight off the iterator. */
        char lead = '{';
        for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
            const char *key = json_object_iter_key(it);
            json_t *value = json_object_iter_value(it);
            if (!key || !value)
                break; /* as json_object_foreach stops */
            if (dump_member(obj, key, key_length(it, key), value, lead, false, out) < 0)
                return -1;
            lead = ',';
        }
        return lead == '{' ? buf_add(out, "{}", 2) : add_char(out, '}');
    }
    /* Sorted: a few members sort on the stack, more in a malloc'ed array. */
    struct member small[16], *m = small;
    size_t cap = json_object_size(v), n = 0;
    if (cap > sizeof small / sizeof *small) {
        m = malloc(cap * sizeof *m);
        if (!m)
            return -1;
    } else {
        cap = sizeof small / sizeof *small;
    }
    for (void *it = json_object_iter(obj); it && n < cap; it = json_object_iter_next(obj, it)) {
        struct member cur = {json_object_iter_key(it), 0, json_object_iter_value(it)};
        if (!cur.key || !cur.value)
            break;
        cur.key_len = key_length(it, cur.key);
        if (m != small) {
            m[n++] = cur;
            continue;
        }
        size_t j = n++; /* insertion sort */
        for (; j > 0 && strcmp(m[j - 1].key, cur.key) > 0; j--)
            m[j] = m[j - 1];
        m[j] = cur;
    }
    if (m != small)
        qsort(m, n, sizeof *m, cmp_members);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = dump_member(obj, m[i].key, m[i].key_len, m[i].value, i ? ',' : '{', true, out);
    if (m != small)
        free(m);
    if (rc < 0)
        return -1;
    return n ? add_char(out, '}') : buf_add(out, "{}", 2);
}

static int dump_value(const json_t *v, bool sort_keys, struct buf *out)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
        return buf_add(out, "null", 4);
    case JSON_TRUE:
        return buf_add(out, "true", 4);
    case JSON_FALSE:
        return buf_add(out, "false", 5);
    case JSON_INTEGER:
        return add_int(json_integer_value(v), out);
    case JSON_REAL:
        return json_format_double(json_real_value(v), out);
    case JSON_STRING:
        return dump_string(json_string_value(v), json_string_length(v), out);
    case JSON_ARRAY: {
        if (add_char(out, '[') < 0)
            return -1;
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++)
            if ((i && add_char(out, ',') < 0) ||
                dump_value(json_array_get(v, i), sort_keys, out) < 0)
                return -1;
        return add_char(out, ']');
    }
    case JSON_OBJECT:
        return dump_object(v, sort_keys, out);
    }
    return -1;
}

int json_dump_python(const json_t *v, bool sort_keys, struct buf *out)
{
    /* A piece that did not fit leaves out failed: never a payload missing
     * its middle stored as if whole. */
    return dump_value(v, sort_keys, out) < 0 || buf_failed(out) ? -1 : 0;
}

int json_hash(const json_t *v, char out[65])
{
    struct buf b = BUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = json_dump_python(v, true, &b);
    if (rc == 0 && EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha256(), NULL) != 1)
        rc = -1;
    buf_free(&b);
    if (rc)
        return -1;
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
    return 0;
}

/* ---- page arena ---- */

#define ARENA_FIRST_BLOCK (64 * 1024)
#define ARENA_BLOCK_SIZE (1024 * 1024)
#define ARENA_ALIGN 16

struct json_arena_block {
    struct json_arena_block *next; /* older */
    struct json_arena_block *prev; /* newer */
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

static _Thread_local struct json_arena *attached;

static bool in_arena(const struct json_arena *a, const void *p)
{
    const unsigned char *c = p;
    for (const struct json_arena_block *b = a->blocks; b; b = b->next)
        if (c >= b->data && c < b->data + b->size)
            return true;
    return false;
}

/* Blocks double from 64 KiB to 1 MiB, so that a small page takes little. */
static size_t next_block_size(const struct json_arena *a, size_t n)
{
    size_t size = a->blocks ? a->blocks->size * 2 : ARENA_FIRST_BLOCK;
    if (size > ARENA_BLOCK_SIZE)
        size = ARENA_BLOCK_SIZE;
    return n > size ? n : size;
}

static void *arena_alloc(struct json_arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    /* After a reset the blocks are reused: the current one is the first
     * with room (blocks fill in order, newest first in the list). */
    struct json_arena_block *b = a->current;
    while (b && b->size - b->used < n)
        b = b->prev;
    if (!b) {
        size_t size = next_block_size(a, n);
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        b->prev = NULL;
        b->next = a->blocks;
        if (a->blocks)
            a->blocks->prev = b;
        a->blocks = b;
    }
    a->current = b;
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static void *page_malloc(size_t n)
{
    struct json_arena *a = attached;
    return a && a->parsing ? arena_alloc(a, n) : malloc(n);
}

static void page_free(void *p)
{
    struct json_arena *a = attached;
    if (p && (!a || !in_arena(a, p)))
        free(p);
}

static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

static void install_allocator(void)
{
    json_set_alloc_funcs(page_malloc, page_free);
}

void json_init(void)
{
    pthread_once(&alloc_once, install_allocator);
}

void json_arena_attach(struct json_arena *a)
{
    json_init();
    attached = a;
}

void json_arena_reset(struct json_arena *a)
{
    struct json_arena_block *oldest = a->blocks;
    for (struct json_arena_block *b = a->blocks; b; b = b->next) {
        b->used = 0;
        oldest = b;
    }
    a->current = oldest;
}

void json_arena_trim(struct json_arena *a)
{
    while (a->blocks && a->blocks->next) {
        struct json_arena_block *next = a->blocks->next;
        free(a->blocks);
        a->blocks = next;
    }
    if (a->blocks) {
        a->blocks->prev = NULL;
        a->blocks->used = 0;
    }
    a->current = a->blocks;
}

void json_arena_release(struct json_arena *a)
{
    json_arena_trim(a);
    free(a->blocks);
    a->blocks = a->current = NULL;
}

/* json_loadb in received key order, into the attached arena (if any) when
 * in_arena, else from malloc. */
static json_t *load(const char *data, size_t len, size_t flags, bool in_arena, json_error_t *jerr)
{
    struct json_arena *a = attached;
    if (a)
        a->parsing = in_arena;
    json_t *v = json_loadb(data, len, flags | JSON_DECODE_ANY | JSON_PRESERVE_ORDER, jerr);
    if (a)
        a->parsing = false;
    return v;
}

json_t *json_parse_body(const char *data, size_t len, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *v = load(data ? data : "", len, 0, true, &jerr);
    if (!v && errbuf)
        snprintf(errbuf, errlen, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
    return v;
}

/* ---- streamed pages ---- */

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* One JSON value at *p (advanced past it), as load() makes it. */
static json_t *value_at(const char **p, const char *end, bool in_arena)
{
    json_error_t jerr;
    json_t *v = load(*p, (size_t)(end - *p), JSON_DISABLE_EOF_CHECK, in_arena, &jerr);
    if (v)
        *p += jerr.position; /* the bytes the value took (set on success too) */
    return v;
}

struct item_stream {
    const char *start, *p, *end;
    const struct json_item_sink *sink;
    bool handed; /* an item went to on_item: no starting over */
    bool stopped;
};

/* After a member or item: 1 at ',' (skipped, with the space after it), 0
 * at `close` (skipped), -1 at anything else. */
static int after_element(struct item_stream *s, char close)
{
    s->p = skip_space(s->p, s->end);
    if (s->p < s->end && *s->p == ',') {
        s->p = skip_space(s->p + 1, s->end);
        return 1;
    }
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    return -1;
}

/* The array at s->p ('[' seen), item by item; 0, or -1 at bad JSON or when
 * on_item fails (s->stopped). */
static int stream_array(struct item_stream *s)
{
    s->p = skip_space(s->p + 1, s->end);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        json_t *item = value_at(&s->p, s->end, true);
        if (!item)
            return -1;
        s->handed = true;
        int rc = s->sink->on_item(item, s->sink->arg);
        json_decref(item);
        if (attached)
            json_arena_reset(attached); /* one item's nodes at a time */
        if (rc < 0) {
            s->stopped = true;
            return -1;
        }
        if ((rc = after_element(s, ']')) <= 0)
            return rc;
    }
}

/* The members of the object at s->p ('{' seen) into rest, streaming the
 * array under s->key; 0 or -1. */
static int stream_members(struct item_stream *s, json_t *rest)
{
    s->p = skip_space(s->p + 1, s->end);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return -1;
        json_t *name = value_at(&s->p, s->end, false);
        const char *key = json_string_value(name);
        s->p = skip_space(s->p, s->end);
        int rc = key && s->p < s->end && *s->p == ':' ? 0 : -1;
        if (rc == 0)
            s->p = skip_space(s->p + 1, s->end);
        if (rc == 0 && !strcmp(key, s->sink->key) && s->p < s->end && *s->p == '[') {
            /* Kept as an empty array: the page still says it has a list. */
            rc = json_object_set_new(rest, key, json_array()) == 0 ? stream_array(s) : -1;
        } else if (rc == 0) {
            json_t *v = value_at(&s->p, s->end, false);
            rc = v && json_object_set_new(rest, key, v) == 0 ? 0 : -1;
        }
        json_decref(name);
        if (rc < 0 || (rc = after_element(s, '}')) <= 0)
            return rc;
    }
}

json_t *json_parse_items(const char *data, size_t len, const struct json_item_sink *sink,
                         bool *stopped, char *errbuf, size_t errlen)
{
    *stopped = false;
    data = data ? data : "";
    struct item_stream s = {data, skip_space(data, data + len), data + len, sink, false, false};
    json_t *rest = NULL;
    if (s.p < s.end && *s.p == '{' && (rest = json_object())) {
        int rc = stream_members(&s, rest);
        if (rc == 0 && skip_space(s.p, s.end) == s.end)
            return rest;
        json_decref(rest);
    }
    *stopped = s.stopped;
    if (s.stopped)
        return NULL;
    if (!s.handed) /* not such a page: parsed whole, errors and all */
        return json_parse_body(data, len, errbuf, errlen);
    if (errbuf)
        snprintf(errbuf, errlen, "invalid JSON at byte %zu of %zu", (size_t)(s.p - data), len);
    return NULL;
}
