/* spill: pages set aside on disk until they may be committed.
 *
 * While the order gate holds a resource's commits back (order_gate.h), its
 * listing goes on: each page is written here instead of waiting, in a
 * private file beside the database (created 0600 and unlinked at once, so
 * nothing is left behind, whatever ends the process), and read back in
 * order once the gate lets go.  On disk rather than in memory: a
 * backfill's held pages are about 7 MB, and the file's pages sit in the
 * kernel's cache, not in this process.
 *
 * A page is a fixed number of parts, each some bytes or NULL; the caller
 * writes and reads the same parts in the same order. */
#ifndef HS_SPILL_H
#define HS_SPILL_H

#include "buf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct spill;

struct spill_part {
    const void *data; /* NULL: the part is NULL */
    size_t len;
};

/* A new, empty spill beside the file at path; NULL (err set) when the
 * file cannot be made. */
struct spill *spill_open(const char *beside, struct hs_error *err);
void spill_close(struct spill *s);
/* Appends one page of n parts. */
int spill_put(struct spill *s, const struct spill_part *parts, size_t n, struct hs_error *err);
/* Pages written since the spill was opened or last emptied. */
size_t spill_pages(const struct spill *s);
/* Starts reading the pages from the first. */
int spill_rewind(struct spill *s, struct hs_error *err);
/* The next part into out (replacing its contents); *is_null tells a NULL part. */
int spill_get(struct spill *s, struct buf *out, bool *is_null, struct hs_error *err);
/* Forgets every page (the file is emptied, ready for new ones). */
int spill_empty(struct spill *s, struct hs_error *err);

#endif
