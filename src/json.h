/* json: jansson helpers shared by the providers.
 *
 * The first/str/canonical/hash rules are those of docs/providers.md
 * ("Records"): they must produce byte for byte what the Python tool stored. */
#ifndef HS_JSON_H
#define HS_JSON_H

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>

/* Truthy per Python: not null, "", 0, 0.0, false, [] or {}. */
bool json_truthy(const json_t *v);

/* first(a, b, ...): the first field of obj (a NULL-terminated list of keys)
 * whose value is truthy, or NULL.  Borrowed reference. */
json_t *json_first(const json_t *obj, const char *const *keys);
#define JSON_FIRST(obj, ...) json_first((obj), (const char *const[]){__VA_ARGS__, NULL})

/* str(v): a string as-is, an integer in decimal, a real in Python repr, true/false
 * as "True"/"False" (Python str()).  Appends to out; returns -1 for null,
 * arrays and objects. */
int json_str(const json_t *v, struct buf *out);
/* Same, as a malloc'ed string (NULL when json_str fails). */
char *json_strdup(const json_t *v);

/* Python's json.dumps(v, separators=(",", ":"), ensure_ascii=True), with
 * sort_keys as given: the Python tool's payload_json (keys in received order,
 * so decode with JSON_PRESERVE_ORDER) and the canonical JSON (sorted). */
int json_dump_python(const json_t *v, bool sort_keys, struct buf *out);

/* Lowercase hex SHA-256 of the canonical (sorted) JSON; out has room for 65 bytes. */
int json_hash(const json_t *v, char out[65]);

/* Python repr of a double: shortest round-trip digits ("1.0", "0.1", "1e-05",
 * "1e+16", "inf", "nan").  Appends to out. */
int json_format_double(double d, struct buf *out);

/* A page arena: while a thread has one attached, the JSON it parses is
 * allocated from large blocks (no malloc per node) and freeing those nodes
 * costs nothing; json_arena_release then returns the blocks at once.  Only
 * a tree parsed by json_parse_body lives there: anything else jansson
 * allocates meanwhile comes from malloc as usual.  The parsed tree must not
 * be used after the release (take copies of what must outlive the page). */
struct json_arena_block;
struct json_arena {
    struct json_arena_block *blocks; /* newest first */
    struct json_arena_block *current; /* the one being filled */
    bool parsing;
};
/* Installs the allocator arenas need (once; call before threads start,
 * json_arena_attach also does it). */
void json_init(void);
/* Attaches a (zeroed) arena to the calling thread, or detaches with NULL. */
void json_arena_attach(struct json_arena *a);
/* Frees every block (the trees in them are gone); the arena can be reused. */
void json_arena_release(struct json_arena *a);
/* Forgets the trees but keeps the blocks for the next item. */
void json_arena_reset(struct json_arena *a);
/* Forgets the trees and frees every block but the first: what a listing
 * keeps between its pages, as many listings run at once and a page's tree
 * can take several blocks. */
void json_arena_trim(struct json_arena *a);

/* Parses a response body.  Decodes with JSON_PRESERVE_ORDER; on failure fills
 * errbuf with "invalid JSON at line L column C: reason". Caller owns the result. */
json_t *json_parse_body(const char *data, size_t len, char *errbuf, size_t errlen);

/* Where the items of a streamed page go (json_parse_items). */
struct json_item_sink {
    const char *key;                         /* the member holding the array */
    int (*on_item)(json_t *item, void *arg); /* must not keep item */
    /* For whoever parses several replies into one sink (http_send_json):
     * called before each parse, to undo what the items of an earlier,
     * broken reply did.  May be NULL. */
    void (*on_restart)(void *arg);
    void *arg;
};

/* A page shaped {..., "<key>": [item, ...], ...} without ever holding it
 * whole: each item is parsed alone (into the attached arena, if any, which
 * is rewound after each) and handed to sink->on_item.  Returns the rest of
 * the page, with key as an empty array.  A body of another shape is parsed
 * whole and returned as is (json_parse_body).  NULL when on_item failed
 * (*stopped set) or the body is not JSON (errbuf set; items before the
 * fault may have been handed over). */
json_t *json_parse_items(const char *data, size_t len, const struct json_item_sink *sink,
                         bool *stopped, char *errbuf, size_t errlen);

#endif
