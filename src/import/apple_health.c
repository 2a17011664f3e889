/* apple_health: the Health app's export as a stream of records. */
#include "apple_health.h"

#include "json.h"
#include "log.h"
#include "timeutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlreader.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
/* A unit separator never occurs in XML 1.0 text, so joined fields cannot
 * run into each other in the identity hash. */
#define FIELD_SEP "\x1f"
#define RECORD_ID_MAX 40

/* One element of the top-level element being read: its attributes are the
 * run attr_first .. attr_first + nattr of the reader's attribute list, its
 * children a linked list. */
struct xnode {
    const char *name; /* interned by libxml2's dictionary: lives as long as the reader */
    size_t attr_first, nattr;
    long first_child, last_child, next;
};

struct xattr {
    const char *name;   /* interned, as above */
    size_t value;       /* offset into the reader's strings */
};

enum top_kind { TOP_NONE, TOP_RECORD, TOP_CORRELATION, TOP_WORKOUT, TOP_SUMMARY };

struct apple_health_reader {
    char *path;
    int fd;                  /* the plain XML file, or -1 */
    struct archive *zip;     /* the zip, or NULL */
    uint64_t file_size;
    uint64_t xml_bytes;      /* bytes of export.xml read from the file */
    struct buf head;         /* the start of export.xml, its DTD blanked (see read_head) */
    size_t head_served;      /* how much of head libxml2 has had */
    bool head_read;
    long dtd_removed;        /* bytes of the DTD left out (line ends kept) */
    int64_t xml_size;        /* export.xml's size from the zip, or -1 */
    char io_error[256];      /* why reading the file failed, if it did */
    xmlTextReaderPtr xml;
    char xml_error[512];     /* libxml2's first error */
    int xml_error_line;
    bool root_seen;
    long skipped;
    char export_date[TIME_ISO_LEN];

    /* The top-level element being read. */
    enum top_kind kind;
    struct xnode *nodes;
    size_t nnodes, cap_nodes;
    struct xattr *attrs;
    size_t nattrs, cap_attrs;
    struct buf strings;
    long stack[16]; /* open elements by depth (index into nodes) */

    /* What the last record points at. */
    struct buf resource, payload, scratch;
    char record_id[RECORD_ID_MAX];
    char start[TIME_ISO_LEN], end[TIME_ISO_LEN];
    char last_type[128];     /* the type whose resource name is in `resource` */
};

/* ---------------------------------------------------------------- rules */

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int apple_health_resource_name(const char *type, struct buf *out)
{
    const char *name = type;
    const char *marker = strstr(type, "TypeIdentifier");
    if (strncmp(type, "HK", 2) == 0 && marker)
        name = marker + strlen("TypeIdentifier");
    else if (strncmp(type, "HK", 2) == 0)
        name = type + 2;
    for (size_t i = 0; name[i]; i++) {
        char c = name[i];
        if (i > 0 && is_upper(c)) {
            char prev = name[i - 1];
            bool after_word = is_lower(prev) || is_digit(prev);
            bool starts_word = is_upper(prev) && is_lower(name[i + 1]);
            if ((after_word || starts_word) && buf_addc(out, '_') < 0)
                return -1;
        }
        if (buf_addc(out, is_upper(c) ? (char)(c - 'A' + 'a') : c) < 0)
            return -1;
    }
    return 0;
}

/* n digits at *p as a number; advances *p. */
static bool take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* "Z", "+HH", "+HHMM", "+HH:MM" or nothing (UTC): seconds east of UTC. */
static bool parse_offset(const char *p, long *offset)
{
    *offset = 0;
    if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0'))
        return true;
    int sign = *p == '-' ? -1 : *p == '+' ? 1 : 0;
    int hh, mm = 0;
    if (!sign)
        return false;
    p++;
    if (!take_digits(&p, 2, &hh))
        return false;
    if (*p) {
        take_char(&p, ':');
        if (!take_digits(&p, 2, &mm) || *p)
            return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    *offset = sign * (hh * 3600L + mm * 60L);
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

int apple_health_parse_date(const char *s, time_t *out)
{
    const char *p = s;
    int y, mo, d, h, mi, sec = 0;
    if (!take_digits(&p, 4, &y) || !take_char(&p, '-') || !take_digits(&p, 2, &mo) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &d) || !(take_char(&p, ' ') || take_char(&p, 'T')) ||
        !take_digits(&p, 2, &h) || !take_char(&p, ':') || !take_digits(&p, 2, &mi))
        return -1;
    if (take_char(&p, ':') && !take_digits(&p, 2, &sec))
        return -1;
    if (take_char(&p, '.') || take_char(&p, ',')) {
        if (!is_digit(*p))
            return -1;
        while (is_digit(*p))
            p++; /* the stored times are whole seconds */
    }
    take_char(&p, ' ');
    long offset;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60 ||
        !parse_offset(p, &offset))
        return -1;
    long long days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = (time_t)(days * 86400 + h * 3600LL + mi * 60LL + sec - offset);
    return 0;
}

/* Scans a run of digits; returns how many. */
static size_t digits_at(const char *p)
{
    size_t n = 0;
    while (is_digit(p[n]))
        n++;
    return n;
}

/* JSON's own grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s, bool *has_exponent)
{
    const char *p = s;
    *has_exponent = false;
    if (*p == '-')
        p++;
    size_t n = digits_at(p);
    if (n == 0 || (n > 1 && *p == '0'))
        return false;
    p += n;
    if (*p == '.') {
        if ((n = digits_at(++p)) == 0)
            return false;
        p += n;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if ((n = digits_at(p)) == 0)
            return false;
        p += n;
        *has_exponent = true;
    }
    return *p == '\0';
}

/* The looser forms people and tools write: [+-]?(D+(.D*)?|.D+)([eE][+-]?D+)?;
 * *integral when there is neither point nor exponent. */
static bool is_loose_number(const char *s, bool *integral)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t before = digits_at(p), after = 0;
    p += before;
    *integral = true;
    if (*p == '.') {
        *integral = false;
        after = digits_at(++p);
        p += after;
    }
    if (before + after == 0)
        return false;
    if (*p == 'e' || *p == 'E') {
        *integral = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        size_t n = digits_at(p);
        if (n == 0)
            return false;
        p += n;
    }
    return *p == '\0';
}

int apple_health_json_number(const char *s, struct buf *out)
{
    bool exponent, integral;
    if (is_json_number(s, &exponent)) {
        if (exponent && !isfinite(strtod(s, NULL)))
            return 0;
        return buf_adds(out, s) < 0 ? -1 : 1;
    }
    if (!is_loose_number(s, &integral))
        return 0;
    if (integral) { /* "+5", "007", "-0012": the integer without sign or zeros */
        const char *p = s + (*s == '+' || *s == '-');
        while (p[0] == '0' && p[1])
            p++;
        if (*s == '-' && strcmp(p, "0") != 0 && buf_addc(out, '-') < 0)
            return -1;
        return buf_adds(out, p) < 0 ? -1 : 1;
    }
    double d = strtod(s, NULL);
    if (!isfinite(d))
        return 0;
    return json_format_double(d, out) < 0 ? -1 : 1;
}

/* A JSON string as Python's json.dumps(ensure_ascii=False) writes it. */
static int put_string(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (buf_addc(out, '"') < 0)
        return -1;
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (buf_add(out, run, (size_t)(p - run)) < 0)
            return -1;
        if (c == '\0')
            break;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (buf_add(out, esc, n) < 0)
            return -1;
        run = p + 1;
    }
    return buf_addc(out, '"');
}

/* --------------------------------------------------------------- input */

static int read_plain(struct apple_health_reader *r, char *buffer, int len)
{
    for (;;) {
        ssize_t n = read(r->fd, buffer, (size_t)len);
        if (n >= 0)
            return (int)n;
        if (errno != EINTR) {
            snprintf(r->io_error, sizeof r->io_error, "cannot read %s: %s", r->path,
                     strerror(errno));
            return -1;
        }
    }
}

static int read_zip(struct apple_health_reader *r, char *buffer, int len)
{
    la_ssize_t n = archive_read_data(r->zip, buffer, (size_t)len);
    if (n < 0) {
        snprintf(r->io_error, sizeof r->io_error, "cannot read export.xml in %s: %s", r->path,
                 archive_error_string(r->zip));
        return -1;
    }
    return (int)n;
}

static int read_source(struct apple_health_reader *r, char *buffer, int len)
{
    int n = r->zip ? read_zip(r, buffer, len) : read_plain(r, buffer, len);
    if (n > 0)
        r->xml_bytes += (uint64_t)n;
    return n;
}

/* Blanks the internal DTD of the prolog in head, keeping its line ends so
 * that line numbers stay those of the file.  The Health app's exports since
 * iOS 16 (HealthKit Export Version 12) carry a DTD that is not well-formed
 * (an ATTLIST without its closing '>'), which would stop any XML parser
 * before the first record; the DTD declares nothing the records need. */
static void blank_dtd(struct apple_health_reader *r)
{
    char *doctype = strstr(r->head.data, "<!DOCTYPE");
    char *root = strstr(r->head.data, "<HealthData");
    if (!doctype || (root && root < doctype))
        return;
    char *bracket = strchr(doctype, '['), *gt = strchr(doctype, '>');
    char *end = bracket && (!gt || bracket < gt) ? strstr(bracket, "]>") : gt;
    if (!end)
        return;
    end += *end == ']' ? 2 : 1;
    char *out = doctype;
    for (char *p = doctype; p < end; p++)
        if (*p == '\n')
            *out++ = '\n';
    r->dtd_removed = (long)((end - doctype) - (out - doctype));
    memmove(out, end, (size_t)(r->head.data + r->head.len - end) + 1);
    r->head.len -= (size_t)r->dtd_removed;
}

/* Reads the start of export.xml, up to its root element (at most 4 MiB),
 * and blanks its DTD. */
#define HEAD_MAX (4 * 1024 * 1024)
static int read_head(struct apple_health_reader *r)
{
    char chunk[64 * 1024];
    r->head_read = true;
    while (r->head.len < HEAD_MAX && !strstr(r->head.data, "<HealthData")) {
        int n = read_source(r, chunk, (int)sizeof chunk);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        if (memchr(chunk, '\0', (size_t)n))
            break; /* not text: libxml2 will say what it is */
        if (buf_add(&r->head, chunk, (size_t)n) < 0)
            return -1;
    }
    blank_dtd(r);
    return 0;
}

/* Characters XML 1.0 does not allow (C0 controls but tab, line feed and
 * carriage return) become spaces: the Health app writes vertical tabs in
 * some values, which would end the import there. */
static void replace_controls(char *p, int n)
{
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\0')
            p[i] = ' ';
    }
}

/* libxml2's input callback: the next bytes of export.xml. */
static int xml_input(void *ctx, char *buffer, int len)
{
    struct apple_health_reader *r = ctx;
    if (!r->head_read && read_head(r) < 0)
        return -1;
    int n;
    if (r->head_served < r->head.len) {
        size_t left = r->head.len - r->head_served;
        n = left < (size_t)len ? (int)left : len;
        memcpy(buffer, r->head.data + r->head_served, (size_t)n);
        r->head_served += (size_t)n;
        if (r->head_served == r->head.len)
            buf_free(&r->head);
    } else {
        n = read_source(r, buffer, len);
    }
    if (n > 0)
        replace_controls(buffer, n);
    return n;
}

static int xml_input_close(void *ctx)
{
    (void)ctx;
    return 0;
}

static void xml_error(void *ctx, xmlErrorPtr e)
{
    struct apple_health_reader *r = ctx;
    if (r->xml_error[0] || !e || e->level < XML_ERR_ERROR)
        return;
    snprintf(r->xml_error, sizeof r->xml_error, "%s", e->message ? e->message : "XML error");
    size_t n = strlen(r->xml_error);
    while (n && (r->xml_error[n - 1] == '\n' || r->xml_error[n - 1] == ' '))
        r->xml_error[--n] = '\0';
    r->xml_error_line = e->line;
}

/* The zip's export.xml (apple_health_export/export.xml as the phone writes
 * it; export_cda.xml and the rest are passed over). */
static int open_zip_entry(struct apple_health_reader *r, struct hs_error *err)
{
    r->zip = archive_read_new();
    if (!r->zip)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    /* The streaming reader: local headers in file order, no seek to the
     * central directory, so a truncated zip still gives what it holds. */
    archive_read_support_format_zip_streamable(r->zip);
    if (archive_read_open_filename(r->zip, r->path, READ_CHUNK) != ARCHIVE_OK)
        return hs_error_set(err, HS_ERR_CONFIG, "cannot read %s as a zip: %s", r->path,
                            archive_error_string(r->zip));
    struct archive_entry *entry;
    int rc;
    while ((rc = archive_read_next_header(r->zip, &entry)) == ARCHIVE_OK ||
           rc == ARCHIVE_WARN) {
        const char *name = archive_entry_pathname(entry);
        const char *base = name ? strrchr(name, '/') : NULL;
        base = base ? base + 1 : name;
        if (base && strcmp(base, "export.xml") == 0) {
            r->xml_size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
            return 0;
        }
    }
    if (rc == ARCHIVE_EOF)
        return hs_error_set(err, HS_ERR_CONFIG,
                            "%s is not an Apple Health export: the zip holds no export.xml "
                            "(expected apple_health_export/export.xml)",
                            r->path);
    return hs_error_set(err, HS_ERR_CONFIG, "cannot read %s as a zip: %s", r->path,
                        archive_error_string(r->zip));
}

static int open_input(struct apple_health_reader *r, struct hs_error *err)
{
    r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) < 0)
        return hs_error_set(err, HS_ERR_CONFIG, "cannot open %s: %s", r->path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return hs_error_set(err, HS_ERR_CONFIG,
                            "%s is a directory: give export.zip or its export.xml", r->path);
    r->file_size = (uint64_t)st.st_size;
    unsigned char magic[4] = {0};
    ssize_t n = pread(r->fd, magic, sizeof magic, 0);
    if (n == 4 && memcmp(magic, "PK\x03\x04", 4) == 0) {
        close(r->fd);
        r->fd = -1;
        return open_zip_entry(r, err);
    }
    return 0;
}

struct apple_health_reader *apple_health_open(const char *path, struct hs_error *err)
{
    struct apple_health_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    r->fd = -1;
    r->xml_size = -1;
    buf_init(&r->strings);
    buf_init(&r->resource);
    buf_init(&r->payload);
    buf_init(&r->scratch);
    buf_init(&r->head);
    if (open_input(r, err) < 0) {
        apple_health_close(r);
        return NULL;
    }
    /* No network, no DTD loading or entity expansion: the export's DTD is
     * an internal subset we have no use for.  Blank text between elements
     * is dropped before it reaches us. */
    r->xml = xmlReaderForIO(xml_input, xml_input_close, r, path, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
                                XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!r->xml) {
        hs_error_set(err, HS_ERR_FINAL, "cannot start reading %s", path);
        apple_health_close(r);
        return NULL;
    }
    xmlTextReaderSetStructuredErrorHandler(r->xml, xml_error, r);
    return r;
}

void apple_health_close(struct apple_health_reader *r)
{
    if (!r)
        return;
    if (r->xml)
        xmlFreeTextReader(r->xml);
    if (r->zip)
        archive_read_free(r->zip);
    if (r->fd >= 0)
        close(r->fd);
    free(r->nodes);
    free(r->attrs);
    buf_free(&r->strings);
    buf_free(&r->resource);
    buf_free(&r->payload);
    buf_free(&r->scratch);
    buf_free(&r->head);
    free(r->path);
    free(r);
}

void apple_health_progress(const struct apple_health_reader *r, uint64_t *done, uint64_t *total)
{
    if (r->zip && r->xml_size > 0) {
        *done = r->xml_bytes;
        *total = (uint64_t)r->xml_size;
    } else if (r->zip) {
        int64_t n = archive_filter_bytes(r->zip, -1);
        *done = n > 0 ? (uint64_t)n : 0;
        *total = r->file_size;
    } else {
        *done = r->xml_bytes;
        *total = r->file_size;
    }
    if (*done > *total)
        *done = *total;
}

long apple_health_skipped(const struct apple_health_reader *r)
{
    return r->skipped;
}

const char *apple_health_export_date(const struct apple_health_reader *r)
{
    return r->export_date[0] ? r->export_date : NULL;
}

/* ---------------------------------------------------- the element tree */

static const char *value_of(const struct apple_health_reader *r, const struct xattr *a)
{
    return r->strings.data + a->value;
}

static const char *attr(const struct apple_health_reader *r, long node, const char *name)
{
    const struct xnode *n = &r->nodes[node];
    for (size_t i = 0; i < n->nattr; i++)
        if (strcmp(r->attrs[n->attr_first + i].name, name) == 0)
            return value_of(r, &r->attrs[n->attr_first + i]);
    return NULL;
}

/* Room for one more item in an array that doubles as it fills. */
static int make_room(void **items, size_t *cap, size_t used, size_t item_size)
{
    if (used < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, n * item_size);
    if (!p)
        return -1;
    *items = p;
    *cap = n;
    return 0;
}

static int add_attr(struct apple_health_reader *r, const char *name, const char *value)
{
    if (make_room((void **)&r->attrs, &r->cap_attrs, r->nattrs, sizeof *r->attrs) < 0)
        return -1;
    r->attrs[r->nattrs].name = name;
    r->attrs[r->nattrs].value = r->strings.len;
    r->nattrs++;
    return buf_add(&r->strings, value, strlen(value) + 1);
}

/* An attribute's text: libxml2 keeps it as a list of nodes, one text node
 * unless entities are involved. */
static int add_xml_attr(struct apple_health_reader *r, xmlAttrPtr a)
{
    xmlNodePtr t = a->children;
    if (t && !t->next && t->type == XML_TEXT_NODE)
        return add_attr(r, (const char *)a->name, (const char *)t->content);
    xmlChar *v = xmlNodeListGetString(a->doc, t, 1);
    int rc = add_attr(r, (const char *)a->name, v ? (const char *)v : "");
    xmlFree(v);
    return rc;
}

/* Appends the element the reader is on to the tree, under parent (-1: the
 * top-level one). */
static long add_node(struct apple_health_reader *r, long parent)
{
    if (make_room((void **)&r->nodes, &r->cap_nodes, r->nnodes, sizeof *r->nodes) < 0)
        return -1;
    long id = (long)r->nnodes++;
    struct xnode *n = &r->nodes[id];
    *n = (struct xnode){.name = (const char *)xmlTextReaderConstLocalName(r->xml),
                        .attr_first = r->nattrs, .first_child = -1, .last_child = -1,
                        .next = -1};
    xmlNodePtr node = xmlTextReaderCurrentNode(r->xml);
    for (xmlAttrPtr a = node ? node->properties : NULL; a; a = a->next) {
        if (add_xml_attr(r, a) < 0)
            return -1;
        r->nodes[id].nattr++;
    }
    if (parent >= 0) {
        struct xnode *p = &r->nodes[parent];
        if (p->last_child >= 0)
            r->nodes[p->last_child].next = id;
        else
            p->first_child = id;
        p->last_child = id;
    }
    return id;
}

static void reset_tree(struct apple_health_reader *r)
{
    r->nnodes = 0;
    r->nattrs = 0;
    buf_reset(&r->strings);
}

/* ------------------------------------------------------------- payload */

/* Attributes that name or version something stay strings even when they
 * look like numbers (sourceVersion "17.1", a device's "2"). */
static bool keep_as_text(const char *name)
{
    if (!strchr("sdtukp", name[0])) /* the first letters of those below */
        return false;
    return !strcmp(name, "sourceName") || !strcmp(name, "sourceVersion") ||
           !strcmp(name, "device") || !strcmp(name, "type") || !strcmp(name, "unit") ||
           !strcmp(name, "key") || !strcmp(name, "path");
}

static int json_value(struct buf *out, const char *v, bool as_text)
{
    if (!as_text) {
        int rc = apple_health_json_number(v, out);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    return put_string(out, v);
}

/* The payload key of a child element, and whether its children are what
 * goes into the list instead of itself. */
static const char *child_key(const char *element, bool *flatten)
{
    static const struct { const char *element, *key; bool flatten; } keys[] = {
        {"WorkoutStatistics", "statistics", false},
        {"WorkoutEvent", "events", false},
        {"WorkoutRoute", "routes", false},
        {"WorkoutActivity", "activities", false},
        {"Record", "records", false},
        {"HeartRateVariabilityMetadataList", "beats", true},
    };
    *flatten = false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(element, keys[i].element)) {
            *flatten = keys[i].flatten;
            return keys[i].key;
        }
    return element;
}

static int write_object(struct apple_health_reader *r, struct buf *out, long node);

static bool is_metadata(const struct xnode *n)
{
    return !strcmp(n->name, "MetadataEntry");
}

static bool is_file_reference(const struct xnode *n)
{
    return !strcmp(n->name, "FileReference");
}

/* "metadata": {key: value, ...}; of keys given twice the last value counts. */
static int write_metadata(struct apple_health_reader *r, struct buf *out, long node, bool *first)
{
    bool any = false;
    for (long c = r->nodes[node].first_child; c >= 0; c = r->nodes[c].next) {
        const char *key = is_metadata(&r->nodes[c]) ? attr(r, c, "key") : NULL;
        if (!key)
            continue;
        bool later = false;
        for (long d = r->nodes[c].next; d >= 0 && !later; d = r->nodes[d].next) {
            const char *k2 = is_metadata(&r->nodes[d]) ? attr(r, d, "key") : NULL;
            later = k2 && !strcmp(k2, key);
        }
        if (later)
            continue;
        const char *value = attr(r, c, "value");
        if ((buf_adds(out, any ? "," : *first ? "\"metadata\":{" : ",\"metadata\":{") < 0) ||
            put_string(out, key) < 0 || buf_addc(out, ':') < 0 ||
            (value ? json_value(out, value, false) : buf_adds(out, "null")) < 0)
            return -1;
        any = true;
    }
    if (any) {
        *first = false;
        return buf_addc(out, '}');
    }
    return 0;
}

/* The items of one child list: the children named `element` (or their own
 * children, when flattened). */
static int write_list_items(struct apple_health_reader *r, struct buf *out, long node,
                            const char *element, bool flatten)
{
    bool any = false;
    for (long c = r->nodes[node].first_child; c >= 0; c = r->nodes[c].next) {
        if (r->nodes[c].name != element)
            continue;
        if (flatten) {
            for (long g = r->nodes[c].first_child; g >= 0; g = r->nodes[g].next) {
                if ((any && buf_addc(out, ',') < 0) || write_object(r, out, g) < 0)
                    return -1;
                any = true;
            }
        } else {
            if ((any && buf_addc(out, ',') < 0) || write_object(r, out, c) < 0)
                return -1;
            any = true;
        }
    }
    return 0;
}

/* Every child but metadata, grouped by element name in order of first
 * appearance; a route's FileReference is its "file". */
static int write_children(struct apple_health_reader *r, struct buf *out, long node, bool *first)
{
    for (long c = r->nodes[node].first_child; c >= 0; c = r->nodes[c].next) {
        const struct xnode *n = &r->nodes[c];
        if (is_metadata(n))
            continue;
        bool seen = false;
        for (long d = r->nodes[node].first_child; d != c && !seen; d = r->nodes[d].next)
            seen = r->nodes[d].name == n->name;
        if (seen)
            continue;
        if (!*first && buf_addc(out, ',') < 0)
            return -1;
        *first = false;
        if (is_file_reference(n)) {
            const char *path = attr(r, c, "path");
            if (buf_adds(out, "\"file\":") < 0 ||
                (path ? put_string(out, path) : buf_adds(out, "null")) < 0)
                return -1;
            continue;
        }
        bool flatten;
        const char *key = child_key(n->name, &flatten);
        if (put_string(out, key) < 0 || buf_adds(out, ":[") < 0 ||
            write_list_items(r, out, node, n->name, flatten) < 0 || buf_addc(out, ']') < 0)
            return -1;
    }
    return 0;
}

static int write_object(struct apple_health_reader *r, struct buf *out, long node)
{
    const struct xnode *n = &r->nodes[node];
    bool first = true;
    if (buf_addc(out, '{') < 0)
        return -1;
    for (size_t i = 0; i < n->nattr; i++) {
        const struct xattr *a = &r->attrs[n->attr_first + i];
        if ((!first && buf_addc(out, ',') < 0) || put_string(out, a->name) < 0 ||
            buf_addc(out, ':') < 0 || json_value(out, value_of(r, a), keep_as_text(a->name)) < 0)
            return -1;
        first = false;
    }
    if (write_metadata(r, out, node, &first) < 0 || write_children(r, out, node, &first) < 0)
        return -1;
    return buf_addc(out, '}');
}

/* ------------------------------------------------------------ identity */

/* record_id: the compact UTC start and 64 bits of the SHA-256 of the
 * identity fields.  Leading with the time keeps a resource's new rows at
 * the right edge of the primary-key index, as the export lists each type
 * in time order (a random key would touch a random page per row). */
static int make_record_id(struct apple_health_reader *r)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(r->scratch.data, r->scratch.len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return -1;
    /* "2024-10-25T12:05:11Z" -> "20241025T120511Z-" */
    size_t n = 0;
    for (const char *p = r->start; *p; p++)
        if (*p != '-' && *p != ':')
            r->record_id[n++] = *p;
    r->record_id[n++] = '-';
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8 && n + 2 < sizeof r->record_id; i++) {
        r->record_id[n++] = hex[md[i] >> 4];
        r->record_id[n++] = hex[md[i] & 15];
    }
    r->record_id[n] = '\0';
    return 0;
}

static int add_field(struct buf *b, const char *v)
{
    if (b->len && buf_adds(b, FIELD_SEP) < 0)
        return -1;
    return v ? buf_adds(b, v) : 0;
}

/* The JSON text of a value (numbers normalised, so that "72.0" and "72.00"
 * written by two exports are one record only if they are one number). */
static int add_value_field(struct buf *b, const char *v)
{
    if (buf_adds(b, FIELD_SEP) < 0)
        return -1;
    if (!v)
        return 0;
    int rc = apple_health_json_number(v, b);
    return rc < 0 ? -1 : rc ? 0 : buf_adds(b, v);
}

static bool read_dates(struct apple_health_reader *r)
{
    time_t s, e;
    const char *sd = attr(r, 0, "startDate"), *ed = attr(r, 0, "endDate");
    if (!sd || !ed || apple_health_parse_date(sd, &s) < 0 || apple_health_parse_date(ed, &e) < 0)
        return false;
    time_format_iso(s, r->start);
    time_format_iso(e, r->end);
    return true;
}

static const char *resource_of_type(struct apple_health_reader *r, const char *type)
{
    if (strcmp(type, r->last_type) != 0) {
        buf_reset(&r->resource);
        if (apple_health_resource_name(type, &r->resource) < 0)
            return NULL;
        snprintf(r->last_type, sizeof r->last_type, "%s", type);
        if (strlen(type) >= sizeof r->last_type)
            r->last_type[0] = '\0'; /* too long to cache: computed each time */
    }
    return r->resource.data;
}

/* Fills *out from the finished top-level element; 0 when it is left out. */
static int finish_element(struct apple_health_reader *r, struct record *out)
{
    const char *element = r->nodes[0].name;
    const char *resource = NULL;
    buf_reset(&r->scratch);
    if (r->kind == TOP_RECORD || r->kind == TOP_CORRELATION) {
        const char *type = attr(r, 0, "type");
        if (!type || !read_dates(r) || !(resource = resource_of_type(r, type)))
            goto skip;
        if (add_field(&r->scratch, type) < 0 || add_field(&r->scratch, attr(r, 0, "sourceName")) < 0 ||
            add_field(&r->scratch, attr(r, 0, "sourceVersion")) < 0 ||
            add_field(&r->scratch, r->start) < 0 || add_field(&r->scratch, r->end) < 0 ||
            add_value_field(&r->scratch, attr(r, 0, "value")) < 0 ||
            add_field(&r->scratch, attr(r, 0, "unit")) < 0)
            return -1;
    } else if (r->kind == TOP_WORKOUT) {
        resource = "workouts";
        if (!read_dates(r))
            goto skip;
        if (add_field(&r->scratch, "workout") < 0 ||
            add_field(&r->scratch, attr(r, 0, "workoutActivityType")) < 0 ||
            add_field(&r->scratch, attr(r, 0, "sourceName")) < 0 ||
            add_field(&r->scratch, r->start) < 0 || add_field(&r->scratch, r->end) < 0)
            return -1;
    } else {
        resource = "activity_summaries";
        const char *day = attr(r, 0, "dateComponents");
        if (!day || !time_is_valid_date(day))
            goto skip;
        snprintf(r->record_id, sizeof r->record_id, "%s", day);
        snprintf(r->start, sizeof r->start, "%s", day);
    }
    if (r->kind != TOP_SUMMARY && make_record_id(r) < 0)
        return -1;
    buf_reset(&r->payload);
    if (write_object(r, &r->payload, 0) < 0)
        return -1;
    *out = (struct record){
        .provider = APPLE_HEALTH_PROVIDER,
        .resource = resource,
        .record_id = r->record_id,
        .start_time = r->start,
        .end_time = r->kind == TOP_SUMMARY ? NULL : r->end,
        .payload_json = r->payload.data,
    };
    return 1;
skip:
    r->skipped++;
    log_debug("apple_health: left out a %s at line %d of export.xml: no readable %s", element,
              xmlTextReaderGetParserLineNumber(r->xml),
              r->kind == TOP_SUMMARY ? "dateComponents" : "type, startDate or endDate");
    return 0;
}

/* ----------------------------------------------------------- the reader */

static enum top_kind top_kind_of(const char *name)
{
    if (!strcmp(name, "Record"))
        return TOP_RECORD;
    if (!strcmp(name, "Workout"))
        return TOP_WORKOUT;
    if (!strcmp(name, "Correlation"))
        return TOP_CORRELATION;
    if (!strcmp(name, "ActivitySummary"))
        return TOP_SUMMARY;
    return TOP_NONE;
}

static void read_export_date(struct apple_health_reader *r)
{
    xmlChar *v = xmlTextReaderGetAttribute(r->xml, (const xmlChar *)"value");
    time_t t;
    if (v && apple_health_parse_date((const char *)v, &t) == 0)
        time_format_iso(t, r->export_date);
    xmlFree(v);
}

/* A start tag.  Returns 1 when it completes a top-level element (an empty
 * one), 0 to read on, -1 on error. */
static int on_element(struct apple_health_reader *r, struct hs_error *err)
{
    int depth = xmlTextReaderDepth(r->xml);
    const char *name = (const char *)xmlTextReaderConstLocalName(r->xml);
    bool empty = xmlTextReaderIsEmptyElement(r->xml) == 1;
    if (depth == 0) {
        if (strcmp(name, "HealthData") != 0)
            return hs_error_set(err, HS_ERR_CONFIG,
                                "%s is not an Apple Health export: its root element is <%s>, "
                                "not <HealthData>",
                                r->path, name);
        r->root_seen = true;
        return 0;
    }
    if (depth == 1) {
        r->kind = top_kind_of(name);
        if (r->kind == TOP_NONE) {
            if (!strcmp(name, "ExportDate"))
                read_export_date(r);
            return 0;
        }
        reset_tree(r);
        if (add_node(r, -1) < 0)
            return hs_error_set(err, HS_ERR_FINAL, "out of memory");
        r->stack[1] = 0;
        return empty ? 1 : 0;
    }
    if (r->kind == TOP_NONE || depth >= (int)(sizeof r->stack / sizeof r->stack[0]))
        return 0;
    long id = add_node(r, r->stack[depth - 1]);
    if (id < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    if (!empty)
        r->stack[depth] = id;
    return 0;
}

/* Why reading stopped, with where. */
static int stopped(struct apple_health_reader *r, struct hs_error *err)
{
    long byte = xmlTextReaderByteConsumed(r->xml) + r->dtd_removed;
    int line = r->xml_error_line ? r->xml_error_line : xmlTextReaderGetParserLineNumber(r->xml);
    const char *why = r->io_error[0] ? r->io_error : r->xml_error[0] ? r->xml_error : "XML error";
    if (!r->root_seen)
        return hs_error_set(err, HS_ERR_CONFIG,
                            "%s is not an Apple Health export: not XML (%s at line %d)", r->path,
                            why, line);
    return hs_error_set(err, HS_ERR_FINAL,
                        "export.xml stops being readable at line %d (byte %ld): %s", line,
                        byte, why);
}

int apple_health_next(struct apple_health_reader *r, struct record *out, struct hs_error *err)
{
    for (;;) {
        int rc = xmlTextReaderRead(r->xml);
        if (rc == 0)
            break;
        if (rc < 0)
            return stopped(r, err);
        int type = xmlTextReaderNodeType(r->xml);
        int done = 0;
        if (type == XML_READER_TYPE_ELEMENT) {
            if ((done = on_element(r, err)) < 0)
                return -1;
        } else if (type == XML_READER_TYPE_END_ELEMENT && r->kind != TOP_NONE &&
                   xmlTextReaderDepth(r->xml) == 1) {
            done = 1;
        }
        if (done) {
            int got = finish_element(r, out);
            r->kind = TOP_NONE;
            if (got != 0)
                return got < 0 ? hs_error_set(err, HS_ERR_FINAL, "out of memory") : 1;
        }
    }
    if (r->io_error[0])
        return stopped(r, err);
    if (!r->root_seen)
        return hs_error_set(err, HS_ERR_CONFIG,
                            "%s is not an Apple Health export: no <HealthData> element", r->path);
    return 0;
}
