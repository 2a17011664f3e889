/* toml: a TOML 1.0.0 parser producing a small tree.  Knows nothing of our
 * config keys.  Every value remembers the line it was defined on, so config
 * errors can name file:line. */
#ifndef HS_TOML_H
#define HS_TOML_H

#include <stdbool.h>
#include <stddef.h>

enum toml_type {
    TOML_STRING,
    TOML_INTEGER,
    TOML_FLOAT,
    TOML_BOOL,
    TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
    TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
    TOML_DATE_LOCAL,     /* 1979-05-27 */
    TOML_TIME_LOCAL,     /* 07:32:00 */
    TOML_ARRAY,
    TOML_TABLE,
};

struct toml_value;

struct toml_kv {
    char *key; /* UTF-8, unescaped */
    struct toml_value *value;
};

struct toml_value {
    enum toml_type type;
    int line; /* 1-based line where the value (or table header) was defined */
    union {
        char *s;   /* TOML_STRING (UTF-8, may not contain NUL) */
        long long i;
        double f;
        bool b;
        char *datetime; /* the four date/time types: the text as written, 'T'/' ' and
                           'z'/'Z' normalised to 'T' and 'Z' */
        struct {
            struct toml_value **items;
            size_t len;
        } array;
        struct {
            struct toml_kv *items; /* in definition order */
            size_t len;
        } table;
    } u;
};

/* Parses a whole document (raw bytes, need not be NUL-terminated).  Returns
 * the root table (caller frees with toml_free), or NULL and a message of the
 * form "line N: what is wrong" in errbuf. */
struct toml_value *toml_parse(const char *data, size_t len, char *errbuf, size_t errlen);
void toml_free(struct toml_value *v);

/* The value of `key` in table t, or NULL. */
const struct toml_value *toml_get(const struct toml_value *t, const char *key);
const char *toml_type_name(enum toml_type type);

#endif
