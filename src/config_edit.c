/* config_edit: in-place edits of a TOML file (see config_edit.h).
 *
 * The document is parsed first (toml.c), so the scan below only has to
 * find statement boundaries in valid TOML: table headers, keys and where
 * each value ends (strings, arrays and inline tables may span lines). */
#include "config_edit.h"

#include "toml.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Key parts are joined with this byte for comparison (a quoted key holding
 * it could be mistaken for a dotted one; none of ours does). */
#define PART_SEP '\x1f'

struct scan {
    const char *doc;
    size_t len;
    const char *want_section, *want_key; /* joined paths: "oura" and "enabled" */
    struct buf section_key;              /* "oura<SEP>enabled", for dotted keys at the root */
    /* results */
    bool found;
    size_t value_start, value_end;
    bool has_header;                 /* a [section] header */
    bool dotted_at_root;             /* section.x = ... at the root, without a header */
    bool section_is_value;           /* section = {...} (or a scalar) at the root */
    size_t anchor;                   /* a new key's line goes here (just after a line) */
    size_t indent_start, indent_len; /* copied for the new line */
};

static bool is_bare_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_bare(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_bare_char(*s))
            return false;
    return true;
}

static size_t skip_blank(const struct scan *sc, size_t p)
{
    while (p < sc->len && (sc->doc[p] == ' ' || sc->doc[p] == '\t'))
        p++;
    return p;
}

/* Past the rest of a line: blanks, a comment, the newline. */
static size_t past_line(const struct scan *sc, size_t p)
{
    while (p < sc->len && sc->doc[p] != '\n')
        p++;
    return p < sc->len ? p + 1 : p;
}

/* A single-line string starting at p (the quote); returns the offset after
 * its closing quote and appends its text (escapes other than \" and \\
 * kept as written: enough to compare with our plain names) to out. */
static size_t scan_short_string(const struct scan *sc, size_t p, struct buf *out)
{
    char q = sc->doc[p++];
    while (p < sc->len && sc->doc[p] != q) {
        if (q == '"' && sc->doc[p] == '\\' && p + 1 < sc->len) {
            p++;
            if (sc->doc[p] != '"' && sc->doc[p] != '\\' && out)
                buf_addc(out, '\\');
        }
        if (out)
            buf_addc(out, sc->doc[p]);
        p++;
    }
    return p < sc->len ? p + 1 : p;
}

/* A multi-line string starting at p (three quotes): the offset after it.
 * The closing run may hold up to two quotes of content before the three. */
static size_t scan_long_string(const struct scan *sc, size_t p)
{
    char q = sc->doc[p];
    p += 3;
    while (p < sc->len) {
        if (q == '"' && sc->doc[p] == '\\') {
            p += 2;
            continue;
        }
        if (sc->doc[p] != q) {
            p++;
            continue;
        }
        size_t run = 0;
        while (p + run < sc->len && sc->doc[p + run] == q)
            run++;
        p += run;
        if (run >= 3)
            return p;
    }
    return p;
}

static size_t scan_string(const struct scan *sc, size_t p)
{
    char q = sc->doc[p];
    if (p + 2 < sc->len && sc->doc[p + 1] == q && sc->doc[p + 2] == q)
        return scan_long_string(sc, p);
    return scan_short_string(sc, p, NULL);
}

/* An array or inline table starting at p: the offset after its closing
 * bracket (strings and comments inside may hold brackets). */
static size_t scan_compound(const struct scan *sc, size_t p)
{
    int depth = 0;
    while (p < sc->len) {
        char c = sc->doc[p];
        if (c == '"' || c == '\'') {
            p = scan_string(sc, p);
            continue;
        }
        if (c == '#') {
            while (p < sc->len && sc->doc[p] != '\n')
                p++;
            continue;
        }
        p++;
        if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && --depth == 0)
            return p;
    }
    return p;
}

/* The value starting at p: the offset just after its last byte. */
static size_t scan_value(const struct scan *sc, size_t p)
{
    char c = p < sc->len ? sc->doc[p] : '\n';
    if (c == '"' || c == '\'')
        return scan_string(sc, p);
    if (c == '[' || c == '{')
        return scan_compound(sc, p);
    /* A number, bool or date: up to a comment or the line's end (a date
     * and time may hold a space), without the blanks before it. */
    size_t end = p;
    while (end < sc->len && sc->doc[end] != '#' && sc->doc[end] != '\n' && sc->doc[end] != '\r')
        end++;
    while (end > p && (sc->doc[end - 1] == ' ' || sc->doc[end - 1] == '\t'))
        end--;
    return end;
}

/* A dotted key starting at p into out (parts joined by PART_SEP); returns
 * the offset after it and its trailing blanks. */
static size_t scan_key(const struct scan *sc, size_t p, struct buf *out)
{
    buf_reset(out);
    for (;;) {
        p = skip_blank(sc, p);
        if (p < sc->len && (sc->doc[p] == '"' || sc->doc[p] == '\''))
            p = scan_short_string(sc, p, out);
        else
            while (p < sc->len && is_bare_char(sc->doc[p]))
                buf_addc(out, sc->doc[p++]);
        p = skip_blank(sc, p);
        if (p >= sc->len || sc->doc[p] != '.')
            return p;
        buf_addc(out, PART_SEP);
        p++;
    }
}

static bool starts_with_part(const char *path, const char *part)
{
    size_t n = strlen(part);
    return !strncmp(path, part, n) && path[n] == PART_SEP;
}

enum where { AT_ROOT, IN_SECTION, ELSEWHERE };

/* A [header] or [[header]] line at p; returns where the lines after it are. */
static enum where scan_header(struct scan *sc, size_t *p, struct buf *key)
{
    bool array = *p + 1 < sc->len && sc->doc[*p + 1] == '[';
    *p = scan_key(sc, *p + (array ? 2 : 1), key);
    *p = past_line(sc, *p);
    if (array || strcmp(key->data, sc->want_section))
        return ELSEWHERE;
    sc->has_header = true;
    sc->anchor = *p;
    sc->indent_len = 0;
    return IN_SECTION;
}

/* Notes what the key/value line [line, next) with key path `key` means for
 * the wanted key. */
static void note_key_value(struct scan *sc, enum where where, const char *key, size_t line,
                           size_t indent_end, size_t value_start, size_t value_end, size_t next)
{
    bool ours = false;
    if (where == IN_SECTION) {
        ours = true;
        if (!strcmp(key, sc->want_key))
            sc->found = true;
    } else if (where == AT_ROOT) {
        if (!strcmp(key, sc->want_section))
            sc->section_is_value = true;
        if (!strcmp(key, sc->section_key.data))
            sc->found = true;
        ours = starts_with_part(key, sc->want_section);
        sc->dotted_at_root |= ours;
    }
    if (sc->found && !sc->value_end) {
        sc->value_start = value_start;
        sc->value_end = value_end;
    }
    if (ours) {
        sc->anchor = next;
        sc->indent_start = line;
        sc->indent_len = indent_end - line;
    }
}

static void scan_document(struct scan *sc)
{
    struct buf key = BUF_INIT;
    enum where where = AT_ROOT;
    size_t p = 0;
    while (p < sc->len) {
        size_t line = p;
        p = skip_blank(sc, p);
        char c = p < sc->len ? sc->doc[p] : '\n';
        if (c == '\n' || c == '\r' || c == '#') {
            p = past_line(sc, p);
        } else if (c == '[') {
            where = scan_header(sc, &p, &key);
        } else {
            size_t indent_end = p;
            p = scan_key(sc, p, &key);
            size_t value_start = skip_blank(sc, p + 1); /* past '=' */
            size_t value_end = scan_value(sc, value_start);
            p = past_line(sc, value_end);
            note_key_value(sc, where, key.data, line, indent_end, value_start, value_end, p);
        }
    }
    buf_free(&key);
}

static const char *line_ending(const char *doc, size_t len)
{
    const char *nl = memchr(doc, '\n', len);
    return nl && nl > doc && nl[-1] == '\r' ? "\r\n" : "\n";
}

static void add_name(struct buf *out, const char *name)
{
    if (is_bare(name))
        buf_adds(out, name);
    else
        config_edit_quote(out, name);
}

/* The edited document into out. */
static void build(const struct scan *sc, const struct config_change *c, struct buf *out)
{
    const char *eol = line_ending(sc->doc, sc->len);
    if (sc->found) {
        buf_add(out, sc->doc, sc->value_start);
        buf_adds(out, c->value);
        buf_add(out, sc->doc + sc->value_end, sc->len - sc->value_end);
        return;
    }
    bool into_existing = sc->has_header || sc->dotted_at_root;
    size_t at = into_existing ? sc->anchor : sc->len;
    buf_add(out, sc->doc, at);
    if (at > 0 && sc->doc[at - 1] != '\n')
        buf_adds(out, eol);
    if (into_existing) {
        buf_add(out, sc->doc + sc->indent_start, sc->indent_len);
        if (!sc->has_header) {
            add_name(out, c->section);
            buf_addc(out, '.');
        }
    } else {
        /* A blank line before the new section, unless there is one. */
        size_t n = strlen(eol);
        bool blank_before = out->len >= 2 * n && !memcmp(out->data + out->len - 2 * n, eol, n) &&
                            !memcmp(out->data + out->len - n, eol, n);
        if (out->len && !blank_before)
            buf_adds(out, eol);
        buf_addc(out, '[');
        add_name(out, c->section);
        buf_addf(out, "]%s", eol);
    }
    add_name(out, c->key);
    buf_addf(out, " = %s%s", c->value, eol);
    buf_add(out, sc->doc + at, sc->len - at);
}

/* The edited text must parse and hold the new value where it belongs. */
static int verify(const struct buf *text, const struct config_change *c, struct hs_error *err)
{
    char why[512];
    struct toml_value *root = toml_parse(text->data, text->len, why, sizeof why);
    if (!root)
        return hs_error_set(err, HS_ERR_FINAL, "setting [%s].%s would break the file (%s)",
                            c->section, c->key, why);
    const struct toml_value *section = toml_get(root, c->section);
    bool ok = section && section->type == TOML_TABLE && toml_get(section, c->key);
    toml_free(root);
    if (!ok)
        return hs_error_set(err, HS_ERR_FINAL, "cannot set [%s].%s in place", c->section, c->key);
    return 0;
}

int config_edit_apply(struct buf *doc, const struct config_change *c, bool *changed,
                      struct hs_error *err)
{
    char why[512];
    struct toml_value *root = toml_parse(doc->data, doc->len, why, sizeof why);
    if (!root)
        return hs_error_set(err, HS_ERR_CONFIG, "%s", why);
    toml_free(root);
    struct scan sc = {.doc = doc->data,
                      .len = doc->len,
                      .want_section = c->section,
                      .want_key = c->key,
                      .section_key = BUF_INIT};
    buf_addf(&sc.section_key, "%s%c%s", c->section, PART_SEP, c->key);
    scan_document(&sc);
    buf_free(&sc.section_key);
    if (sc.section_is_value)
        return hs_error_set(err, HS_ERR_CONFIG,
                            "[%s] is written as an inline table; set %s there by hand", c->section,
                            c->key);
    struct buf out = BUF_INIT;
    build(&sc, c, &out);
    if (verify(&out, c, err) < 0) {
        buf_free(&out);
        return -1;
    }
    bool differs = out.len != doc->len || memcmp(out.data, doc->data, out.len);
    if (changed)
        *changed = differs;
    buf_free(doc);
    *doc = out;
    return 0;
}

static int read_document(const char *path, struct buf *doc, struct hs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return hs_error_set(err, HS_ERR_CONFIG, "cannot read %s: %s", path, strerror(errno));
    }
    char chunk[8192];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_add(doc, chunk, got);
    if (rc < 0 || ferror(f))
        rc = hs_error_set(err, HS_ERR_CONFIG, "cannot read %s", path);
    fclose(f);
    return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes doc to a new 0600 file beside path, then renames it over path. */
static int replace_file(const char *path, const struct buf *doc, struct hs_error *err)
{
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        hs_error_set(err, HS_ERR_FINAL, "cannot create a file beside %s: %s", path,
                     strerror(errno));
        buf_free(&tmp);
        return -1;
    }
    int rc =
        fchmod(fd, 0600) == 0 && write_all(fd, doc->data, doc->len) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp.data, path) != 0)
        rc = -1;
    if (rc < 0) {
        hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp.data);
    }
    buf_free(&tmp);
    return rc;
}

int config_edit_file(const char *path, const struct config_change *changes, size_t n, bool *changed,
                     struct hs_error *err)
{
    /* Edit the file a symlink points at, not the link. */
    char *real = realpath(path, NULL);
    const char *target = real ? real : path;
    struct buf doc = BUF_INIT;
    bool any = false;
    int rc = read_document(target, &doc, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool one = false;
        rc = config_edit_apply(&doc, &changes[i], &one, err);
        any |= one;
    }
    if (rc < 0)
        hs_error_prefix(err, "%s: ", path);
    else if (any)
        rc = replace_file(target, &doc, err);
    if (changed)
        *changed = rc == 0 && any;
    buf_free(&doc);
    free(real);
    return rc;
}

int config_edit_quote(struct buf *out, const char *s)
{
    int rc = buf_addc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
        switch (*p) {
        case '"':
            rc = buf_adds(out, "\\\"");
            break;
        case '\\':
            rc = buf_adds(out, "\\\\");
            break;
        case '\n':
            rc = buf_adds(out, "\\n");
            break;
        case '\t':
            rc = buf_adds(out, "\\t");
            break;
        case '\r':
            rc = buf_adds(out, "\\r");
            break;
        default:
            rc = *p < 0x20 || *p == 0x7f ? buf_addf(out, "\\u%04X", *p) : buf_addc(out, (char)*p);
        }
    }
    return rc < 0 ? -1 : buf_addc(out, '"');
}
