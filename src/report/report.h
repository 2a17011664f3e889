/* report: the offline HTML report of a database, one self-contained page
 * (inline CSS and SVG, no script, nothing fetched when it is opened). */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include "buf.h"
#include "error.h"
#include "store.h"

#include <time.h>

struct report_options {
    const char *since; /* "YYYY-MM-DD" or NULL: 364 days before until */
    const char *until; /* "YYYY-MM-DD" or NULL: today (local) */
    time_t now;
};

/* Appends the page to out.  Returns 0, or -1 with err set (a query failed). */
int report_write(struct store *s, const struct report_options *o, struct buf *out,
                 struct hs_error *err);

#endif
