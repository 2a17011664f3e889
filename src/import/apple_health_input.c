/* apple_health_input: opening and reading the export for libxml2's reader:
 * a plain export.xml or the export.xml inside export.zip (libarchive), its
 * DTD blanked (Apple's is not well-formed since iOS 16), control characters
 * replaced; and closing it. */
#include "apple_health_internal.h"

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
