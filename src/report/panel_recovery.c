/* The recovery panel: HRV and resting heart rate against their baselines,
 * and the readiness or recovery score. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Recovery: HRV and resting heart rate against their baselines ---- */

enum { RC_HRV, RC_RHR, RC_SCORE, RC_HRV7, RC_HRV60, RC_RHR7, RC_RHR60, RC_NCOLS };

static int found_one(void *arg, const struct cell *cells, int n)
{
    (void)cells, (void)n;
    *(bool *)arg = true;
    return 1;
}

/* The first of the candidate columns the view has, else "NULL". */
static const char *pick_column(struct report_ctx *ctx, const char *view,
                               const char *const *candidates)
{
    for (; *candidates; candidates++) {
        bool found = false;
        struct hs_error err = HS_ERROR_INIT;
        const char *params[] = {view, *candidates};
        store_each_row(ctx->store, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", params, 2,
                       found_one, &found, &err);
        if (found)
            return *candidates;
    }
    return "NULL";
}

/* v_recovery (Oura readiness, WHOOP recovery), its columns looked up so
 * that either shape of the view serves; NULL when the database has none. */
static bool recovery_sql(struct report_ctx *ctx, struct buf *sql)
{
    static const char *const hrv[] = {"hrv_ms", "hrv_rmssd_ms", "rmssd_ms", NULL};
    static const char *const rhr[] = {"resting_hr_bpm", "resting_heart_rate_bpm", "rhr_bpm",
                                      "hr_lowest_bpm", NULL};
    static const char *const score[] = {
        "score", "recovery_score", "readiness_score", "recovery_score_pct", "score_pct", NULL};
    if (!store_has_view(ctx->store, "v_recovery"))
        return false;
    buf_addf(sql,
             "SELECT day, provider, AVG(%s), AVG(%s), AVG(%s), NULL, NULL, NULL, NULL"
             " FROM v_recovery WHERE day BETWEEN ?3 AND ?2 GROUP BY day, provider ORDER BY day",
             pick_column(ctx, "v_recovery", hrv), pick_column(ctx, "v_recovery", rhr),
             pick_column(ctx, "v_recovery", score));
    return true;
}

/* Without v_recovery: the nights' HRV and lowest heart rate from v_sleep, in
 * the recovery columns. */
static int recovery_from_sleep(struct report_ctx *ctx, struct rows *out)
{
    memset(out, 0, sizeof *out);
    const struct rows *all = sleep_nights(ctx);
    if (!all)
        return -1;
    out->keyed = true;
    out->ncols = RC_NCOLS;
    out->n = all->n;
    out->cap = all->n;
    out->day = malloc((all->n + 1) * sizeof *out->day);
    out->key = calloc(all->n + 1, sizeof *out->key);
    out->v = malloc((all->n + 1) * RC_NCOLS * sizeof *out->v);
    if (!out->day || !out->key || !out->v)
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    for (size_t i = 0; i < all->n; i++) {
        out->day[i] = all->day[i];
        out->key[i] = all->key[i] ? strdup(all->key[i]) : NULL;
        double *row = &out->v[i * RC_NCOLS];
        for (int c = 0; c < RC_NCOLS; c++)
            row[c] = NAN;
        row[RC_HRV] = rows_at(all, i, SL_HRV);
        row[RC_RHR] = rows_at(all, i, SL_RHR);
    }
    return 0;
}

static void recovery_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    td_day(out, r->day[i]);
    td_number(out, rows_at(r, i, RC_HRV), 0);
    td_number(out, rows_at(r, i, RC_HRV7), 1);
    td_number(out, rows_at(r, i, RC_HRV60), 1);
    td_number(out, rows_at(r, i, RC_RHR), 0);
    td_number(out, rows_at(r, i, RC_RHR7), 1);
    td_number(out, rows_at(r, i, RC_RHR60), 1);
    td_number(out, rows_at(r, i, RC_SCORE), 0);
}

struct baseline_chart {
    const char *title, *desc, *unit, *name;
    int col, col7, col60;
};

static void baseline_chart(struct report_ctx *ctx, const struct rows *r,
                           const struct baseline_chart *b)
{
    double lo, hi;
    value_range(ctx, r->day, &r->v[b->col], RC_NCOLS, r->n, &lo, &hi);
    if (isnan(lo))
        return;
    struct chart_spec spec = day_chart(ctx, b->title, b->desc, b->unit, lo, hi);
    if (ctx->bucket == 1)
        spec.x_unit = "night";
    legend_begin(ctx->out);
    legend_item(ctx->out, KEY_LINE, "ln thin s5", 0, b->name);
    legend_item(ctx->out, KEY_LINE, "ln s1", 0, "7-day baseline");
    legend_item(ctx->out, KEY_DASH, "ln dash s6", 0, "60-day baseline");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    long gap = 2 * ctx->bucket + 1;
    chart_line(&c, r->day, &r->v[b->col], RC_NCOLS, r->n, gap, "ln thin s5");
    chart_line(&c, r->day, &r->v[b->col7], RC_NCOLS, r->n, gap, "ln s1");
    chart_line(&c, r->day, &r->v[b->col60], RC_NCOLS, r->n, gap, "ln dash s6");
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        buf_reset(&t);
        period_label(ctx, &t, r->day[i]);
        buf_addf(&t, ": %s ", b->name);
        fmt_number(&t, rows_at(r, i, b->col), 0);
        buf_addf(&t, " %s; 7-day baseline ", b->unit);
        fmt_number(&t, rows_at(r, i, b->col7), 1);
        buf_adds(&t, ", 60-day ");
        fmt_number(&t, rows_at(r, i, b->col60), 1);
        chart_hover(&c, r->day[i], ctx->bucket, t.data);
    }
    buf_free(&t);
    chart_end(&c);
}

static void score_chart(struct report_ctx *ctx, const struct rows *r)
{
    struct chart_spec spec = day_chart(ctx, "Readiness or recovery score",
                                       "The provider's score per day, 0 to 100.", "score", 0, 100);
    spec.zero_based = 1;
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        double v = rows_at(r, i, RC_SCORE);
        chart_bar(&c, r->day[i], ctx->bucket, 0, v, "s3");
        buf_reset(&t);
        period_label(ctx, &t, r->day[i]);
        buf_adds(&t, ": score ");
        fmt_number(&t, v, 0);
        if (!isnan(v))
            chart_hover(&c, r->day[i], ctx->bucket, t.data);
    }
    buf_free(&t);
    chart_end(&c);
}

static void recovery_baselines(struct rows *r)
{
    rolling_mean(r, RC_HRV, RC_HRV7, 7);
    rolling_mean(r, RC_HRV, RC_HRV60, 60);
    rolling_mean(r, RC_RHR, RC_RHR7, 7);
    rolling_mean(r, RC_RHR, RC_RHR60, 60);
}

static void recovery_sentence(struct buf *s, const struct rows *r, const char *provider)
{
    size_t last = r->n - 1;
    buf_addf(s,
             "Nightly heart-rate variability and resting heart rate from %s against their "
             "7-day and 60-day baselines: HRV ",
             provider_title(provider));
    fmt_number(s, rows_at(r, last, RC_HRV7), 1);
    buf_adds(s, " ms over the last 7 days against ");
    fmt_number(s, rows_at(r, last, RC_HRV60), 1);
    buf_adds(s, " ms over 60; resting heart rate ");
    fmt_number(s, rows_at(r, last, RC_RHR7), 1);
    buf_adds(s, " bpm against ");
    fmt_number(s, rows_at(r, last, RC_RHR60), 1);
    buf_adds(s, " bpm");
    size_t scored = r->n;
    while (scored > 0 && isnan(rows_at(r, scored - 1, RC_SCORE)))
        scored--;
    if (scored) {
        char day[11];
        day_to_text(r->day[scored - 1], day);
        buf_addf(s, "; the latest score %.0f on %s", rows_at(r, scored - 1, RC_SCORE), day);
    }
    buf_adds(s, ".");
}

int panel_recovery(struct report_ctx *ctx)
{
    struct buf sql = BUF_INIT;
    struct rows all, r;
    int rc = recovery_sql(ctx, &sql) ? panel_load(ctx, sql.data, true, &all)
                                     : recovery_from_sleep(ctx, &all);
    buf_free(&sql);
    if (rc < 0) {
        rows_free(&all);
        return -1;
    }
    struct rows in_range = rows_since(&all, ctx->day0);
    const char *provider = most_rows_key(&in_range, RC_HRV);
    if (!provider)
        provider = most_rows_key(&in_range, RC_RHR);
    if (!provider) {
        rows_free(&all);
        return 0;
    }
    if (rows_select(&all, provider, &r) < 0) {
        rows_free(&r);
        rows_free(&all);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    recovery_baselines(&r);
    struct rows shown = rows_since(&r, ctx->day0), per;
    if (period_rows(ctx, &shown, &per) < 0) {
        rows_free(&per);
        rows_free(&r);
        rows_free(&all);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    struct buf s = BUF_INIT;
    recovery_sentence(&s, &shown, provider);
    panel_begin(ctx, "recovery", "Recovery", s.data);
    static const struct baseline_chart hrv = {
        "Heart-rate variability",
        "Nightly HRV in milliseconds with its 7-day and 60-day baselines.",
        "ms",
        "HRV",
        RC_HRV,
        RC_HRV7,
        RC_HRV60};
    static const struct baseline_chart rhr = {
        "Resting heart rate",
        "Nightly resting heart rate in beats per minute with its 7-day and "
        "60-day baselines.",
        "bpm",
        "resting heart rate",
        RC_RHR,
        RC_RHR7,
        RC_RHR60};
    baseline_chart(ctx, &per, &hrv);
    baseline_chart(ctx, &per, &rhr);
    double lo, hi;
    value_range(ctx, per.day, &per.v[RC_SCORE], RC_NCOLS, per.n, &lo, &hi);
    if (!isnan(hi))
        score_chart(ctx, &per);
    static const char *const headers[] = {"Night", "HRV ms", "7-day", "60-day", "Resting HR bpm",
                                          "7-day", "60-day", "Score", NULL};
    struct table t = {
        "Recovery per night",     headers, period_noun(ctx, "nights"), 7, recovery_row, &per, per.n,
        period_head(ctx, "Night")};
    table_write(ctx->out, &t);
    panel_end(ctx);
    buf_free(&s);
    rows_free(&per);
    rows_free(&r);
    rows_free(&all);
    return 0;
}
