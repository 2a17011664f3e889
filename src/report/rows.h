/* rows: the result of one report query held in memory, day by day.
 *
 * Every report query returns a day ("YYYY-MM-DD") first, then optionally a
 * text key (a provider, a sport), then numbers.  The queries aggregate in
 * SQL, so what comes back is a few hundred rows, not the samples. */
#ifndef HS_REPORT_ROWS_H
#define HS_REPORT_ROWS_H

#include "error.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>

struct rows {
    size_t n, cap;
    int ncols;  /* numbers per row */
    bool keyed; /* column 1 is a text key */
    long *day;  /* days since 1970-01-01; LONG_MIN when the day was NULL */
    char **key; /* NULL unless keyed; each may be NULL */
    double *v;  /* n * ncols, NAN for SQL NULL */
};

/* Runs sql (text parameters ?1..?n) and appends its rows to r, which is
 * initialised here.  Returns 0 or -1 with err set; free r either way. */
int rows_load(struct store *s, const char *sql, const char *const *params, int nparams, bool keyed,
              struct rows *r, struct hs_error *err);
void rows_free(struct rows *r);

static inline double rows_at(const struct rows *r, size_t i, int col)
{
    return r->v[i * (size_t)r->ncols + (size_t)col];
}

/* Day numbers and the "YYYY-MM-DD" text of them. */
long day_from_text(const char *s); /* LONG_MIN when not a date */
void day_to_text(long day, char out[11]);
/* The Monday of the day's week. */
long day_week_start(long day);

/* Copies into out the rows of r whose key is key (out is initialised here). */
int rows_select(const struct rows *r, const char *key, struct rows *out);

/* A view of r from its first row on or after day (rows ordered by day); it
 * shares r's memory: never free it. */
struct rows rows_since(const struct rows *r, long day);
/* The mean of each column per week (Monday), per key when r is keyed, NANs
 * skipped: for charts of ranges too long to draw a slot a day.  out is
 * initialised here; free it whatever the result. */
int rows_weekly_means(const struct rows *r, struct rows *out);
#endif
