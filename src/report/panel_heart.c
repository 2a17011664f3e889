/* The heart-rate panel: a daily band of minimum, median and maximum. */
#include "html.h"
#include "panel.h"
#include "svg.h"
#include "timeutil.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Heart rate: a daily band of minimum, median and maximum ---- */

enum { HR_MIN, HR_MEDIAN, HR_MAX, HR_COUNT, HR_NCOLS };

/* Five years of five-minute samples are half a million rows: they stream by
 * once, in no order, into a count per day and bpm (whole beats, 1 to 255),
 * and each day's minimum, median and maximum are read off its counts.  No
 * sort: that beat grouping in SQL and a median through window functions
 * (docs/performance.md, "The HTML report").  Oura's samples are found
 * through the records index on their time (v_heart_rate computes its time
 * from each sample's JSON, so a range read through it reads all five
 * years); their bpm is read at the view's JSON path.  The other sources come through the
 * view.  The range is widened by a day on each side, then cut on the local
 * day. */
static const char *const heart_sql[] = {
    "SELECT date(start_time, 'localtime'), json_extract(payload_json, '$.bpm')"
    " FROM records WHERE provider = 'oura' AND resource = 'heartrate'"
    " AND start_time >= date(?1, '-1 day') AND start_time < date(?4, '+1 day')",
    "SELECT date(start_time, 'localtime'), bpm FROM v_heart_rate"
    " WHERE provider <> 'oura' AND start_time >= date(?1, '-1 day')"
    " AND start_time < date(?4, '+1 day')",
};

#define BPM_MAX 255 /* a higher reading counts as 255 */

struct histogram {
    long day0;
    size_t ndays;
    unsigned *counts; /* ndays rows of BPM_MAX + 1 */
};

/* "YYYY-MM-DD" to a day number without sscanf: it runs once a sample. */
static long sample_day(const char *s)
{
    for (int i = 0; i < 10; i++)
        if (!s[i] || (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9'))
            return LONG_MIN;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    return (long)time_days_from_civil(y, m, d);
}

static int count_sample(void *arg, const struct cell *cells, int n)
{
    struct histogram *h = arg;
    if (n < 2 || !cells[0].text || !cells[1].text)
        return 0;
    long day = sample_day(cells[0].text);
    double bpm = strtod(cells[1].text, NULL);
    if (day == LONG_MIN || day < h->day0 || day >= h->day0 + (long)h->ndays || !(bpm >= 0.5))
        return 0;
    long b = bpm >= BPM_MAX ? BPM_MAX : lround(bpm);
    h->counts[(size_t)(day - h->day0) * (BPM_MAX + 1) + (size_t)b]++;
    return 0;
}

/* The bpm at rank k (0-based) of a day's counts. */
static double bpm_at_rank(const unsigned *counts, double k)
{
    double seen = 0;
    for (int b = 0; b <= BPM_MAX; b++)
        if ((seen += counts[b]) > k)
            return b;
    return NAN;
}

/* One row a day with samples: minimum, median (of the two middle samples on
 * an even count), maximum and count. */
static int heart_days(const struct histogram *h, struct rows *r)
{
    memset(r, 0, sizeof *r);
    r->ncols = HR_NCOLS;
    r->day = malloc((h->ndays + 1) * sizeof *r->day);
    r->v = malloc((h->ndays + 1) * HR_NCOLS * sizeof *r->v);
    if (!r->day || !r->v)
        return -1;
    r->cap = h->ndays + 1;
    for (size_t d = 0; d < h->ndays; d++) {
        const unsigned *counts = &h->counts[d * (BPM_MAX + 1)];
        double n = 0;
        int lo = -1, hi = -1;
        for (int b = 0; b <= BPM_MAX; b++)
            if (counts[b]) {
                n += counts[b];
                hi = b;
                if (lo < 0)
                    lo = b;
            }
        if (n == 0)
            continue;
        double *row = &r->v[r->n * HR_NCOLS];
        row[HR_MIN] = lo;
        row[HR_MAX] = hi;
        row[HR_MEDIAN] =
            (bpm_at_rank(counts, floor((n - 1) / 2)) + bpm_at_rank(counts, floor(n / 2))) / 2;
        row[HR_COUNT] = n;
        r->day[r->n++] = h->day0 + (long)d;
    }
    return 0;
}

static int heart_load(struct report_ctx *ctx, struct rows *r)
{
    struct histogram h = {ctx->day0, (size_t)(ctx->day1 - ctx->day0 + 1), NULL};
    h.counts = calloc(h.ndays * (BPM_MAX + 1), sizeof *h.counts);
    memset(r, 0, sizeof *r);
    if (!h.counts)
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    const char *params[] = {ctx->since, ctx->until, ctx->lead_in, ctx->after};
    int rc = 0;
    for (size_t q = 0; q < sizeof heart_sql / sizeof *heart_sql && rc == 0; q++)
        rc = store_each_row(ctx->store, heart_sql[q], params, 4, count_sample, &h, ctx->err);
    if (rc == 0 && heart_days(&h, r) < 0)
        rc = hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    free(h.counts);
    return rc;
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
    struct rows r;
    if (heart_load(ctx, &r) < 0) {
        rows_free(&r);
        return -1;
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
