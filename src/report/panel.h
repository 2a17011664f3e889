/* panel: what the report's panels share: the report's context, the frame of
 * a panel (heading, its one sentence, the chart, the table under it) and
 * small computations over days. */
#ifndef HS_REPORT_PANEL_H
#define HS_REPORT_PANEL_H

#include "buf.h"
#include "error.h"
#include "rows.h"
#include "store.h"
#include "svg.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct report_ctx {
    struct store *store;
    struct buf *out;
    long day0, day1;  /* the range, inclusive */
    int bucket;       /* days a chart slot and a table row stand for: 1, or 7 past 400 days */
    char since[11];   /* day0 as YYYY-MM-DD */
    char until[11];   /* day1 */
    char lead_in[11]; /* 60 days before day0: rolling baselines start there */
    char after[11];   /* the day after day1: times compare below it as text */
    time_t now;
    struct buf toc;    /* the contents list, one <li> per panel written */
    struct rows sleep; /* v_sleep's nights from lead_in on, read once (panel_sleep.c) */
    bool sleep_loaded;
    struct hs_error *err;
};

/* Each panel writes nothing when the range holds no data for it.  -1 only
 * when a query fails. */
int panel_sleep(struct report_ctx *ctx);
int panel_sleep_sources(struct report_ctx *ctx);
int panel_recovery(struct report_ctx *ctx);
int panel_heart_rate(struct report_ctx *ctx);
int panel_activity(struct report_ctx *ctx);
int panel_body(struct report_ctx *ctx);
int panel_training(struct report_ctx *ctx);
int panel_freshness(struct report_ctx *ctx);

/* The range parameters ?1 since, ?2 until, ?3 lead_in, ?4 after. */
int panel_load(struct report_ctx *ctx, const char *sql, bool keyed, struct rows *r);

/* <section id=..><h2>title</h2><p>sentence</p> and its contents entry. */
void panel_begin(struct report_ctx *ctx, const char *id, const char *title, const char *sentence);
void panel_end(struct report_ctx *ctx);

/* A table under a chart: the latest rows (newest first) and, when there are
 * more, all of them behind a <details>.  row writes row i's <td> cells. */
struct table {
    const char *caption;
    const char *const *headers; /* ended by NULL */
    const char *noun;           /* "nights", "days", "weeks" */
    size_t latest;              /* rows shown before the details */
    void (*row)(struct buf *out, const void *data, size_t i);
    const void *data;
    size_t n;
    const char *head0; /* replaces headers[0] when set: period_head() */
};
void table_write(struct buf *out, const struct table *t);
/* Table cells. */
void td_day(struct buf *out, long day);
void td_text(struct buf *out, const char *s);
void td_number(struct buf *out, double v, int decimals);
void td_duration(struct buf *out, double seconds);

/* The display name of a provider: "Oura", "Eight Sleep"; the name itself
 * for one not in the table. */
const char *provider_title(const char *name);

/* Column to of each row: the mean of column from over the days
 * (day - window, day] (NANs skipped).  Rows ordered by day. */
void rolling_mean(struct rows *r, int from, int to, long window);
/* Minimum and maximum of values[i * stride] over i with day in the range
 * (NANs skipped); NAN when none. */
void value_range(const struct report_ctx *ctx, const long *days, const double *values,
                 size_t stride, size_t n, double *min, double *max);
/* Long ranges are drawn and tabled by week: the mean of each column per
 * week (rows_weekly_means) when ctx->bucket is 7, else a copy of r.  out is
 * initialised here; free it whatever the result. */
int period_rows(const struct report_ctx *ctx, const struct rows *r, struct rows *out);
/* "2024-03-01", or "week of 2024-02-26" when by week. */
void period_label(const struct report_ctx *ctx, struct buf *b, long day);
/* A table's first header, or its noun: the daily word, or the weekly one. */
const char *period_head(const struct report_ctx *ctx, const char *daily);
const char *period_noun(const struct report_ctx *ctx, const char *daily);

/* A chart over the range's days (x unit "day", or "week" past 400 days; y not from zero). */
struct chart_spec day_chart(const struct report_ctx *ctx, const char *title, const char *desc,
                            const char *y_unit, double ymin, double ymax);
/* The nights of every source from lead_in on (v_sleep, a row per day and
 * source), read once for the sleep, sources and recovery panels; NULL when
 * the query failed.  Its columns: */
enum { SL_TOTAL, SL_DEEP, SL_REM, SL_LIGHT, SL_AWAKE, SL_EFF, SL_HRV, SL_RHR, SL_AVG7, SL_NCOLS };
const struct rows *sleep_nights(struct report_ctx *ctx);

/* Sums of daily rows into weeks from Monday: each column summed, and one more
 * column counting the days.  w is initialised here. */
int weekly_sums(const struct rows *r, struct rows *w);
/* A slot's hover title: "<day or week of day>: <v> <unit> <label>". */
void hover_value(struct chart *c, long day, int ndays, const char *label, double v, int decimals,
                 const char *unit);
/* Bars of column col, one per row over ndays slots, each with its hover. */
void bars_chart(struct report_ctx *ctx, const struct rows *r, int col, int ndays,
                const struct chart_spec *spec, const char *cls, const char *label, int decimals);

/* The key (provider) with the most rows with a value in column col; NULL if none. */
const char *most_rows_key(const struct rows *r, int col);

#endif
