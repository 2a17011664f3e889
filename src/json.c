/* json: Python-compatible serialisation, the spec's first()/str() rules and
 * the canonical hash.  Bytes must match what the Python tool stored. */
#include "json.h"

#include <math.h>
#include <openssl/evp.h>
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

int json_format_double(double d, struct buf *out)
{
    if (isnan(d))
        return buf_adds(out, "NaN");
    if (isinf(d))
        return buf_adds(out, d < 0 ? "-Infinity" : "Infinity");
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
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int decpt = exp10 + 1; /* digits d1d2... = 0.d1d2... * 10^decpt */
    if (neg)
        buf_addc(out, '-');
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            buf_adds(out, "0.");
            for (int i = 0; i < -decpt; i++)
                buf_addc(out, '0');
            return buf_adds(out, digits);
        }
        for (int i = 0; i < decpt; i++)
            buf_addc(out, (size_t)i < nd ? digits[i] : '0');
        buf_addc(out, '.');
        if ((size_t)decpt >= nd)
            return buf_addc(out, '0');
        return buf_adds(out, digits + decpt);
    }
    buf_addc(out, digits[0]);
    if (nd > 1) {
        buf_addc(out, '.');
        buf_adds(out, digits + 1);
    }
    return buf_addf(out, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
}

int json_str(const json_t *v, struct buf *out)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        return buf_add(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return json_format_double(json_real_value(v), out);
    case JSON_TRUE:
        return buf_adds(out, "True");
    case JSON_FALSE:
        return buf_adds(out, "False");
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

/* Decodes one UTF-8 sequence at s (valid: jansson checked it). */
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

static void dump_string(const char *str, size_t n, struct buf *out)
{
    const unsigned char *s = (const unsigned char *)str;
    buf_addc(out, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
        if (esc) {
            buf_adds(out, esc);
            i++;
        } else if (c < 0x20) {
            buf_addf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            buf_addc(out, (char)c);
            i++;
        } else {
            size_t len;
            unsigned long cp = utf8_decode(s + i, &len);
            if (i + len > n)
                len = n - i;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                buf_addf(out, "\\u%04lx\\u%04lx", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
            } else {
                buf_addf(out, "\\u%04lx", cp);
            }
            i += len;
        }
    }
    buf_addc(out, '"');
}

static int cmp_keys(const void *a, const void *b)
{
    /* UTF-8 byte order equals code point order. */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dump_object(const json_t *v, bool sort_keys, struct buf *out)
{
    size_t n = json_object_size(v), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return -1;
    const char *k;
    json_t *item;
    json_object_foreach((json_t *)v, k, item) keys[i++] = k;
    if (sort_keys)
        qsort(keys, n, sizeof *keys, cmp_keys);
    buf_addc(out, '{');
    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        if (i)
            buf_addc(out, ',');
        dump_string(keys[i], strlen(keys[i]), out);
        buf_addc(out, ':');
        rc = json_dump_python(json_object_get(v, keys[i]), sort_keys, out);
    }
    free(keys);
    buf_addc(out, '}');
    return rc;
}

int json_dump_python(const json_t *v, bool sort_keys, struct buf *out)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
        return buf_adds(out, "null");
    case JSON_TRUE:
        return buf_adds(out, "true");
    case JSON_FALSE:
        return buf_adds(out, "false");
    case JSON_INTEGER:
        return buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return json_format_double(json_real_value(v), out);
    case JSON_STRING:
        dump_string(json_string_value(v), json_string_length(v), out);
        return 0;
    case JSON_ARRAY: {
        buf_addc(out, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                buf_addc(out, ',');
            if (json_dump_python(json_array_get(v, i), sort_keys, out) < 0)
                return -1;
        }
        return buf_addc(out, ']');
    }
    case JSON_OBJECT:
        return dump_object(v, sort_keys, out);
    }
    return -1;
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

json_t *json_parse_body(const char *data, size_t len, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *v = json_loadb(data ? data : "", len, JSON_DECODE_ANY | JSON_PRESERVE_ORDER, &jerr);
    if (!v && errbuf)
        snprintf(errbuf, errlen, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
    return v;
}
