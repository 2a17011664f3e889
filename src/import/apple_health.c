/* apple_health: the Health app's export as a stream of records.  This file
 * turns each top-level element into a record (its element tree, payload
 * and identity) and walks the document; apple_health_input.c reads the
 * file, apple_health_rules.c holds the naming, date and number rules. */
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
