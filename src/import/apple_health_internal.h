/* apple_health_internal.h: what the Apple Health reader's files share
 * (apple_health.c, apple_health_input.c); nothing outside them. */
#ifndef HS_APPLE_HEALTH_INTERNAL_H
#define HS_APPLE_HEALTH_INTERNAL_H

#include "apple_health.h"

#include "buf.h"
#include "timeutil.h"

#include <archive.h>
#include <libxml/xmlreader.h>
#include <stdbool.h>
#include <stdint.h>

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

#endif
