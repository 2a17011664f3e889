/* toml-decode: reads TOML on stdin and prints the toml-test "tagged JSON"
 * form of it on stdout, so the parser can be run against the toml-test
 * suite.  Exit 0 on success, 1 (with a message on stderr) on invalid input. */
#include "buf.h"
#include "toml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_all(FILE *f, struct buf *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(b, chunk, n) < 0)
            return -1;
    return ferror(f) ? -1 : 0;
}

static void put_json_string(struct buf *out, const char *s)
{
    buf_addc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (p[0] == 0xc0 && p[1] == 0x80) { /* the parser's encoding of U+0000 */
            buf_adds(out, "\\u0000");
            p++;
        } else if (*p == '"' || *p == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)*p);
        } else if (*p < 0x20) {
            buf_addf(out, "\\u%04x", *p);
        } else {
            buf_addc(out, (char)*p);
        }
    }
    buf_addc(out, '"');
}

/* The shortest %g form that reads back as the same double. */
static void put_float(struct buf *out, double d)
{
    if (isnan(d)) {
        buf_adds(out, "nan");
        return;
    }
    if (isinf(d)) {
        buf_adds(out, d < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    buf_adds(out, tmp);
}

static void put_tagged(struct buf *out, const char *type, const char *value)
{
    buf_addf(out, "{\"type\":\"%s\",\"value\":", type);
    put_json_string(out, value);
    buf_addc(out, '}');
}

static void put_value(struct buf *out, const struct toml_value *v)
{
    char tmp[64];
    struct buf f = BUF_INIT;
    switch (v->type) {
    case TOML_STRING:
        put_tagged(out, "string", v->u.s);
        break;
    case TOML_INTEGER:
        snprintf(tmp, sizeof(tmp), "%lld", v->u.i);
        put_tagged(out, "integer", tmp);
        break;
    case TOML_FLOAT:
        put_float(&f, v->u.f);
        put_tagged(out, "float", f.data);
        buf_free(&f);
        break;
    case TOML_BOOL:
        put_tagged(out, "bool", v->u.b ? "true" : "false");
        break;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
        put_tagged(out, toml_type_name(v->type), v->u.datetime);
        break;
    case TOML_ARRAY:
        buf_addc(out, '[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            if (i)
                buf_addc(out, ',');
            put_value(out, v->u.array.items[i]);
        }
        buf_addc(out, ']');
        break;
    case TOML_TABLE:
        buf_addc(out, '{');
        for (size_t i = 0; i < v->u.table.len; i++) {
            if (i)
                buf_addc(out, ',');
            put_json_string(out, v->u.table.items[i].key);
            buf_addc(out, ':');
            put_value(out, v->u.table.items[i].value);
        }
        buf_addc(out, '}');
        break;
    }
}

int main(void)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    char err[256];
    if (read_all(stdin, &in) < 0) {
        fprintf(stderr, "toml-decode: cannot read stdin\n");
        buf_free(&in);
        return 1;
    }
    struct toml_value *root = toml_parse(in.data, in.len, err, sizeof(err));
    buf_free(&in);
    if (!root) {
        fprintf(stderr, "toml-decode: %s\n", err);
        return 1;
    }
    put_value(&out, root);
    buf_addc(&out, '\n');
    toml_free(root);
    int rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
    buf_free(&out);
    return rc;
}
