/* The heart-rate panel: a daily band of minimum, median and maximum. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Heart rate: a daily band of minimum, median and maximum ---- */

enum { HR_MIN, HR_MEDIAN, HR_MAX, HR_COUNT, HR_NCOLS };

/* Five years of five-minute samples are half a million rows: SQL hands over
 * how often each bpm occurred on each day (some fifty rows a day), and the
 * day's minimum, median and maximum come from those counts.  Oura's samples
 * are found through the records index on their time (v_heart_rate computes
 * its time from each sample's JSON, which would read all five years: 0.8 s
 * against 0.15 s); their bpm is read at the view's JSON path.  The other
 * sources of v_heart_rate come through the view.  The range is widened by a
 * day on each side, then cut on the local day. */
static const char heart_sql[] =
    "SELECT d, b, COUNT(*) FROM ("
    "  SELECT date(start_time, 'localtime') AS d, json_extract(payload_json, '$.bpm') AS b"
    "  FROM records WHERE provider = 'oura' AND resource = 'heartrate'"
    "   AND start_time >= date(?1, '-1 day') AND start_time < date(?4, '+1 day')"
    "  UNION ALL"
    "  SELECT date(start_time, 'localtime'), bpm FROM v_heart_rate"
    "  WHERE provider <> 'oura' AND start_time >= date(?1, '-1 day')"
    "   AND start_time < date(?4, '+1 day'))"
    " WHERE d BETWEEN ?1 AND ?2 AND b > 0 GROUP BY d, b ORDER BY d, b";

enum { HH_BPM, HH_COUNT };

/* The value at rank k (0-based) of the day's counts [first, end). */
static double bpm_at_rank(const struct rows *h, size_t first, size_t end, double k)
{
    double seen = 0;
    for (size_t i = first; i < end; i++) {
        seen += rows_at(h, i, HH_COUNT);
        if (seen > k)
            return rows_at(h, i, HH_BPM);
    }
    return NAN;
}

/* One row a day from the (day, bpm, count) rows, ordered by day and bpm. */
static int heart_days(const struct rows *h, struct rows *r)
{
    memset(r, 0, sizeof *r);
    r->ncols = HR_NCOLS;
    r->day = malloc((h->n + 1) * sizeof *r->day);
    r->v = malloc((h->n + 1) * HR_NCOLS * sizeof *r->v);
    if (!r->day || !r->v)
        return -1;
    r->cap = h->n + 1;
    for (size_t first = 0, end; first < h->n; first = end) {
        double n = 0;
        for (end = first; end < h->n && h->day[end] == h->day[first]; end++)
            n += rows_at(h, end, HH_COUNT);
        double *row = &r->v[r->n * HR_NCOLS];
        row[HR_MIN] = rows_at(h, first, HH_BPM);
        row[HR_MAX] = rows_at(h, end - 1, HH_BPM);
        /* Even counts: the mean of the two middle values. */
        row[HR_MEDIAN] = (bpm_at_rank(h, first, end, floor((n - 1) / 2)) +
                          bpm_at_rank(h, first, end, floor(n / 2))) /
                         2;
        row[HR_COUNT] = n;
        r->day[r->n++] = h->day[first];
    }
    return 0;
}

static void heart_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    td_day(out, r->day[i]);
    td_number(out, rows_at(r, i, HR_MIN), 0);
    td_number(out, rows_at(r, i, HR_MEDIAN), 1);
    td_number(out, rows_at(r, i, HR_MAX), 0);
    td_number(out, rows_at(r, i, HR_COUNT), 0);
}

static void heart_sentence(struct buf *s, const struct rows *r)
{
    size_t lo = 0, hi = 0;
    double samples = 0;
    for (size_t i = 0; i < r->n; i++) {
        samples += rows_at(r, i, HR_COUNT);
        if (rows_at(r, i, HR_MIN) < rows_at(r, lo, HR_MIN))
            lo = i;
        if (rows_at(r, i, HR_MAX) > rows_at(r, hi, HR_MAX))
            hi = i;
    }
    char lo_day[11], hi_day[11];
    day_to_text(r->day[lo], lo_day);
    day_to_text(r->day[hi], hi_day);
    buf_adds(s, "Each day's lowest, median and highest heart rate from ");
    fmt_number(s, samples, 0);
    buf_addf(s, " samples over %zu days: the lowest %.0f bpm on %s, the highest %.0f bpm on %s.",
             r->n, rows_at(r, lo, HR_MIN), lo_day, rows_at(r, hi, HR_MAX), hi_day);
}

int panel_heart_rate(struct report_ctx *ctx)
{
    struct rows h, r;
    if (panel_load(ctx, heart_sql, false, &h) < 0)
        return -1;
    int rc = heart_days(&h, &r);
    rows_free(&h);
    if (rc < 0) {
        rows_free(&r);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    if (r.n == 0) {
        rows_free(&r);
        return 0;
    }
    struct rows per;
    if (period_rows(ctx, &r, &per) < 0) {
        rows_free(&per);
        rows_free(&r);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    struct buf s = BUF_INIT;
    heart_sentence(&s, &r);
    panel_begin(ctx, "heart-rate", "Heart rate", s.data);
    double lo, hi, unused;
    value_range(ctx, per.day, &per.v[HR_MIN], HR_NCOLS, per.n, &lo, &unused);
    value_range(ctx, per.day, &per.v[HR_MAX], HR_NCOLS, per.n, &unused, &hi);
    struct chart_spec spec =
        day_chart(ctx, "Heart rate per day",
                  "A band from each day's lowest to highest heart rate in beats per "
                  "minute, with a line through the day's median (by week: their averages).",
                  "bpm", lo, hi);
    legend_begin(ctx->out);
    legend_item(ctx->out, KEY_BAR, "band s5", 0, "lowest to highest");
    legend_item(ctx->out, KEY_LINE, "ln s1", 0, "median");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    chart_band(&c, per.day, &per.v[HR_MIN], &per.v[HR_MAX], HR_NCOLS, per.n, ctx->bucket,
               "band s5");
    chart_line(&c, per.day, &per.v[HR_MEDIAN], HR_NCOLS, per.n, ctx->bucket, "ln s1");
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < per.n; i++) {
        buf_reset(&t);
        period_label(ctx, &t, per.day[i]);
        buf_addf(&t, ": lowest %.0f, median %.1f, highest %.0f bpm (%.0f samples)%s",
                 rows_at(&per, i, HR_MIN), rows_at(&per, i, HR_MEDIAN), rows_at(&per, i, HR_MAX),
                 rows_at(&per, i, HR_COUNT), ctx->bucket == 7 ? ", a day on average" : "");
        chart_hover(&c, per.day[i], ctx->bucket, t.data);
    }
    buf_free(&t);
    chart_end(&c);
    const char *headers[] = {"Day",
                             "Lowest bpm",
                             "Median bpm",
                             "Highest bpm",
                             ctx->bucket == 7 ? "Samples a day" : "Samples",
                             NULL};
    struct table tab = {
        "Heart rate per day",   headers, period_noun(ctx, "days"), 7, heart_row, &per, per.n,
        period_head(ctx, "Day")};
    table_write(ctx->out, &tab);
    panel_end(ctx);
    buf_free(&s);
    rows_free(&per);
    rows_free(&r);
    return 0;
}
