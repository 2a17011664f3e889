/* The sleep panels: nights by stage, the sources side by side, recovery and
 * the daily heart-rate band. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR 3600.0

/* ---- Sleep: one provider's nights, stages stacked ---- */

enum { SL_TOTAL, SL_DEEP, SL_REM, SL_LIGHT, SL_AWAKE, SL_EFF, SL_HRV, SL_RHR, SL_AVG7, SL_NCOLS };

static const char sleep_sql[] =
    "SELECT day, provider, SUM(total_sleep_s), SUM(deep_s), SUM(rem_s), SUM(light_s),"
    " SUM(awake_s), AVG(efficiency_pct), AVG(hrv_ms), AVG(hr_lowest_bpm), NULL"
    " FROM v_sleep WHERE day BETWEEN ?3 AND ?2 AND total_sleep_s > 0"
    " GROUP BY day, provider ORDER BY day";

/* The nights of every source, from the lead-in on: read once, for the sleep,
 * sources and (without v_recovery) recovery panels. */
static const struct rows *sleep_nights(struct report_ctx *ctx)
{
    if (!ctx->sleep_loaded) {
        if (panel_load(ctx, sleep_sql, true, &ctx->sleep) < 0)
            return NULL;
        ctx->sleep_loaded = true;
    }
    return &ctx->sleep;
}

static void sleep_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    td_day(out, r->day[i]);
    td_duration(out, rows_at(r, i, SL_TOTAL));
    td_duration(out, rows_at(r, i, SL_DEEP));
    td_duration(out, rows_at(r, i, SL_REM));
    td_duration(out, rows_at(r, i, SL_LIGHT));
    td_duration(out, rows_at(r, i, SL_AWAKE));
    td_number(out, rows_at(r, i, SL_EFF), 0);
    td_duration(out, rows_at(r, i, SL_AVG7));
}

static void sleep_hover_text(const struct report_ctx *ctx, struct buf *t, const struct rows *r,
                             size_t i)
{
    period_label(ctx, t, r->day[i]);
    buf_adds(t, ": ");
    fmt_duration(t, rows_at(r, i, SL_TOTAL));
    buf_adds(t, " asleep (deep ");
    fmt_duration(t, rows_at(r, i, SL_DEEP));
    buf_adds(t, ", REM ");
    fmt_duration(t, rows_at(r, i, SL_REM));
    buf_adds(t, ", light ");
    fmt_duration(t, rows_at(r, i, SL_LIGHT));
    buf_adds(t, "), awake ");
    fmt_duration(t, rows_at(r, i, SL_AWAKE));
    buf_adds(t, ", efficiency ");
    fmt_number(t, rows_at(r, i, SL_EFF), 0);
    buf_adds(t, " %; 7-night average ");
    fmt_duration(t, rows_at(r, i, SL_AVG7));
}

/* The stages stacked from the bottom: deep, REM, light, then awake. */
static void sleep_bars(struct chart *c, const struct rows *r, size_t i, int ndays)
{
    static const struct {
        int col;
        const char *cls;
    } stack[] = {{SL_DEEP, "s1"}, {SL_REM, "s4"}, {SL_LIGHT, "s5"}, {SL_AWAKE, "s7 hatch"}};
    double base = 0;
    bool staged = !isnan(rows_at(r, i, SL_DEEP)) || !isnan(rows_at(r, i, SL_LIGHT));
    if (!staged) {
        chart_bar(c, r->day[i], ndays, 0, rows_at(r, i, SL_TOTAL) / HOUR, "s8");
        return;
    }
    for (size_t k = 0; k < sizeof stack / sizeof stack[0]; k++) {
        double v = rows_at(r, i, stack[k].col);
        if (isnan(v))
            continue;
        chart_bar(c, r->day[i], ndays, base, base + v / HOUR, stack[k].cls);
        base += v / HOUR;
    }
}

static void sleep_sentence(struct buf *s, const struct report_ctx *ctx, const struct rows *r,
                           const char *provider)
{
    double sum = 0, eff = 0;
    size_t n = 0, n_eff = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (r->day[i] < ctx->day0)
            continue;
        sum += rows_at(r, i, SL_TOTAL), n++;
        if (!isnan(rows_at(r, i, SL_EFF)))
            eff += rows_at(r, i, SL_EFF), n_eff++;
    }
    buf_addf(s, "Each night's sleep from %s, its stages stacked, with the 7-night average: ",
             provider_title(provider));
    fmt_duration(s, sum / (double)n);
    buf_addf(s, " asleep on average over %zu nights", n);
    if (n_eff)
        buf_addf(s, " at %.0f %% efficiency", eff / (double)n_eff);
    buf_adds(s, "; the latest 7-night average is ");
    fmt_duration(s, rows_at(r, r->n - 1, SL_AVG7));
    buf_adds(s, ".");
}

static void sleep_chart(struct report_ctx *ctx, const struct rows *r, const char *provider)
{
    double lo, hi, lo_awake, hi_awake;
    value_range(ctx, r->day, &r->v[SL_TOTAL], SL_NCOLS, r->n, &lo, &hi);
    value_range(ctx, r->day, &r->v[SL_AWAKE], SL_NCOLS, r->n, &lo_awake, &hi_awake);
    struct buf desc = BUF_INIT;
    buf_addf(&desc,
             "Hours asleep per night from %s, stacked deep, REM, light and awake from the "
             "bottom, with a line for the 7-night average.",
             provider_title(provider));
    struct chart_spec spec = day_chart(ctx, "Sleep per night", desc.data, "hours", 0,
                                       (hi + (isnan(hi_awake) ? 0 : hi_awake)) / HOUR);
    if (ctx->bucket == 1)
        spec.x_unit = "night";
    spec.zero_based = 1;
    legend_begin(ctx->out);
    legend_item(ctx->out, KEY_BAR, "s1", 0, "deep");
    legend_item(ctx->out, KEY_BAR, "s4", 0, "REM");
    legend_item(ctx->out, KEY_BAR, "s5", 0, "light");
    legend_item(ctx->out, KEY_BAR, "s7 hatch", 0, "awake");
    legend_item(ctx->out, KEY_LINE, "ln s8", 0, "7-night average asleep");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    struct buf t = BUF_INIT;
    double *avg_h = malloc((r->n ? r->n : 1) * sizeof *avg_h);
    for (size_t i = 0; i < r->n; i++) {
        avg_h[i] = rows_at(r, i, SL_AVG7) / HOUR;
        if (r->day[i] < ctx->day0)
            continue;
        sleep_bars(&c, r, i, ctx->bucket);
    }
    if (avg_h)
        chart_line(&c, r->day, avg_h, 1, r->n, 2 * ctx->bucket + 5, "ln s8");
    for (size_t i = 0; i < r->n; i++) {
        buf_reset(&t);
        sleep_hover_text(ctx, &t, r, i);
        chart_hover(&c, r->day[i], ctx->bucket, t.data);
    }
    chart_end(&c);
    free(avg_h);
    buf_free(&t);
    buf_free(&desc);
}

int panel_sleep(struct report_ctx *ctx)
{
    const struct rows *all = sleep_nights(ctx);
    if (!all)
        return -1;
    struct rows r;
    /* The source with the most nights in the range (the lead-in aside). */
    struct rows in_range = rows_since(all, ctx->day0);
    const char *provider = most_rows_key(&in_range, SL_TOTAL);
    if (!provider)
        return 0;
    double *avg = rows_select(all, provider, &r) == 0 ? malloc((r.n + 1) * sizeof *avg) : NULL;
    if (!avg) {
        rows_free(&r);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    rolling_mean(r.day, &r.v[SL_TOTAL], SL_NCOLS, r.n, 7, avg);
    for (size_t i = 0; i < r.n; i++)
        r.v[i * SL_NCOLS + SL_AVG7] = avg[i];
    free(avg);
    /* The lead-in only fed the first averages. */
    struct rows shown = rows_since(&r, ctx->day0), per;
    int rc = period_rows(ctx, &shown, &per);
    if (rc < 0) {
        rc = hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    } else if (shown.n) {
        struct buf s = BUF_INIT;
        sleep_sentence(&s, ctx, &shown, provider);
        panel_begin(ctx, "sleep", "Sleep", s.data);
        sleep_chart(ctx, &per, provider);
        static const char *const headers[] = {"Night",        "Asleep",          "Deep",
                                              "REM",          "Light",           "Awake",
                                              "Efficiency %", "7-night average", NULL};
        struct table t = {"Sleep per night",
                          headers,
                          period_noun(ctx, "nights"),
                          7,
                          sleep_row,
                          &per,
                          per.n,
                          period_head(ctx, "Night")};
        table_write(ctx->out, &t);
        panel_end(ctx);
        buf_free(&s);
    }
    rows_free(&per);
    rows_free(&r);
    return rc;
}

/* ---- Sleep by source: each device's total per night, and their spread ---- */

#define MAX_SOURCES 8

struct pivot {
    size_t nd, np;
    long *day;
    double *v;      /* nd * np seconds asleep, NAN where a source has no night */
    double *spread; /* max - min when two or more sources have the night, else NAN */
    const char *names[MAX_SOURCES];
};

/* The sleep trackers in a fixed order, then any other source as it comes. */
static void pivot_sources(struct pivot *p, const struct rows *r)
{
    static const char *const order[] = {"oura", "withings", "eightsleep", "whoop"};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (size_t i = 0; i < r->n; i++)
            if (r->key[i] && !strcmp(r->key[i], order[k])) {
                p->names[p->np++] = order[k];
                break;
            }
    for (size_t i = 0; i < r->n && p->np < MAX_SOURCES; i++) {
        bool known = !r->key[i];
        for (size_t k = 0; k < p->np && !known; k++)
            known = !strcmp(p->names[k], r->key[i]);
        if (!known)
            p->names[p->np++] = r->key[i];
    }
}

static int pivot_build(struct pivot *p, const struct rows *r)
{
    memset(p, 0, sizeof *p);
    pivot_sources(p, r);
    p->day = malloc((r->n + 1) * sizeof *p->day);
    p->v = malloc((r->n + 1) * (p->np + 1) * sizeof *p->v);
    p->spread = malloc((r->n + 1) * sizeof *p->spread);
    if (!p->day || !p->v || !p->spread)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        if (p->nd == 0 || p->day[p->nd - 1] != r->day[i]) {
            p->day[p->nd] = r->day[i];
            for (size_t k = 0; k < p->np; k++)
                p->v[p->nd * p->np + k] = NAN;
            p->nd++;
        }
        for (size_t k = 0; k < p->np; k++)
            if (r->key[i] && !strcmp(r->key[i], p->names[k]))
                p->v[(p->nd - 1) * p->np + k] = rows_at(r, i, SL_TOTAL);
    }
    for (size_t d = 0; d < p->nd; d++) {
        double lo = NAN, hi = NAN;
        size_t count = 0;
        for (size_t k = 0; k < p->np; k++) {
            double v = p->v[d * p->np + k];
            if (isnan(v))
                continue;
            lo = count && lo < v ? lo : v;
            hi = count && hi > v ? hi : v;
            count++;
        }
        p->spread[d] = count >= 2 ? hi - lo : NAN;
    }
    return 0;
}

static void pivot_free(struct pivot *p)
{
    free(p->day);
    free(p->v);
    free(p->spread);
}

static void sources_row(struct buf *out, const void *data, size_t d)
{
    const struct pivot *p = data;
    td_day(out, p->day[d]);
    for (size_t k = 0; k < p->np; k++)
        td_duration(out, p->v[d * p->np + k]);
    td_duration(out, p->spread[d]);
}

static void sources_sentence(struct buf *s, const struct pivot *p)
{
    double sum = 0, max = -1;
    size_t shared = 0, max_d = 0;
    for (size_t d = 0; d < p->nd; d++) {
        if (isnan(p->spread[d]))
            continue;
        sum += p->spread[d], shared++;
        if (p->spread[d] > max)
            max = p->spread[d], max_d = d;
    }
    char day[11];
    day_to_text(p->day[max_d], day);
    buf_addf(s,
             "Each device's total sleep per night, side by side: on %zu nights two or more "
             "measured you and disagreed by ",
             shared);
    fmt_duration(s, sum / (double)shared);
    buf_adds(s, " on average, most on ");
    buf_addf(s, "%s (", day);
    fmt_duration(s, max);
    buf_adds(s, "). Average per device:");
    for (size_t k = 0; k < p->np; k++) {
        double total = 0;
        size_t n = 0;
        for (size_t d = 0; d < p->nd; d++)
            if (!isnan(p->v[d * p->np + k]))
                total += p->v[d * p->np + k], n++;
        buf_addf(s, "%s %s ", k ? "," : "", provider_title(p->names[k]));
        fmt_duration(s, total / (double)n);
    }
    buf_adds(s, ".");
}

static const enum marker source_marks[] = {MARK_CIRCLE, MARK_SQUARE, MARK_TRIANGLE, MARK_DIAMOND};

static void sources_chart(struct report_ctx *ctx, const struct pivot *p)
{
    double lo = NAN, hi = NAN;
    for (size_t i = 0; i < p->nd * p->np; i++)
        if (!isnan(p->v[i])) {
            lo = isnan(lo) || p->v[i] < lo ? p->v[i] : lo;
            hi = isnan(hi) || p->v[i] > hi ? p->v[i] : hi;
        }
    struct chart_spec spec =
        day_chart(ctx, "Sleep by source",
                  "Hours asleep per night as each device measured it, one marker "
                  "shape per device, a vertical rule spanning their spread.",
                  "hours", lo / HOUR, hi / HOUR);
    if (ctx->bucket == 1)
        spec.x_unit = "night";
    char cls[MAX_SOURCES][32]; /* "mk s" and any size_t */
    legend_begin(ctx->out);
    for (size_t k = 0; k < p->np; k++) {
        snprintf(cls[k], sizeof cls[k], "mk s%u", (unsigned)(k % 8) + 1);
        legend_item(ctx->out, KEY_MARK, cls[k], source_marks[k % 4], provider_title(p->names[k]));
    }
    legend_item(ctx->out, KEY_LINE, "rule", 0, "spread");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    struct buf t = BUF_INIT;
    for (size_t d = 0; d < p->nd; d++) {
        double dlo = NAN, dhi = NAN;
        for (size_t k = 0; k < p->np; k++) {
            double v = p->v[d * p->np + k];
            if (!isnan(v)) {
                dlo = isnan(dlo) || v < dlo ? v : dlo;
                dhi = isnan(dhi) || v > dhi ? v : dhi;
            }
        }
        if (!isnan(p->spread[d]))
            chart_rule(&c, p->day[d], dlo / HOUR, dhi / HOUR, "rule");
        for (size_t k = 0; k < p->np; k++)
            chart_marker(&c, p->day[d], p->v[d * p->np + k] / HOUR, source_marks[k % 4], cls[k]);
    }
    for (size_t d = 0; d < p->nd; d++) {
        buf_reset(&t);
        period_label(ctx, &t, p->day[d]);
        buf_adds(&t, ":");
        for (size_t k = 0; k < p->np; k++) {
            buf_addf(&t, "%s %s ", k ? "," : "", provider_title(p->names[k]));
            fmt_duration(&t, p->v[d * p->np + k]);
        }
        buf_adds(&t, "; spread ");
        fmt_duration(&t, p->spread[d]);
        chart_hover(&c, p->day[d], ctx->bucket, t.data);
    }
    chart_end(&c);
    buf_free(&t);
}

int panel_sleep_sources(struct report_ctx *ctx)
{
    const struct rows *all = sleep_nights(ctx);
    if (!all)
        return -1;
    /* The sentence from the nights, the chart and table by period. */
    struct rows r = rows_since(all, ctx->day0), per;
    struct pivot p = {0}, pp = {0};
    int rc = 0;
    int built = pivot_build(&p, &r);
    if (period_rows(ctx, &r, &per) < 0 || pivot_build(&pp, &per) < 0 || built < 0) {
        rc = hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    } else {
        bool shared = false;
        for (size_t d = 0; d < p.nd && !shared; d++)
            shared = !isnan(p.spread[d]);
        if (shared) {
            struct buf s = BUF_INIT;
            sources_sentence(&s, &p);
            panel_begin(ctx, "sleep-sources", "Sleep by source", s.data);
            sources_chart(ctx, &pp);
            const char *headers[MAX_SOURCES + 3] = {period_head(ctx, "Night")};
            for (size_t k = 0; k < pp.np; k++)
                headers[k + 1] = provider_title(pp.names[k]);
            headers[pp.np + 1] = "Spread";
            struct table t = {"Total sleep by source",
                              headers,
                              period_noun(ctx, "nights"),
                              7,
                              sources_row,
                              &pp,
                              pp.nd};
            table_write(ctx->out, &t);
            panel_end(ctx);
            buf_free(&s);
        }
    }
    pivot_free(&pp);
    pivot_free(&p);
    rows_free(&per);
    return rc;
}

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
    double *tmp = malloc((r->n + 1) * sizeof *tmp);
    if (!tmp)
        return;
    static const int cols[][3] = {
        {RC_HRV, RC_HRV7, 7}, {RC_HRV, RC_HRV60, 60}, {RC_RHR, RC_RHR7, 7}, {RC_RHR, RC_RHR60, 60}};
    for (size_t k = 0; k < 4; k++) {
        rolling_mean(r->day, &r->v[cols[k][0]], RC_NCOLS, r->n, cols[k][2], tmp);
        for (size_t i = 0; i < r->n; i++)
            r->v[i * RC_NCOLS + (size_t)cols[k][1]] = tmp[i];
    }
    free(tmp);
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
    buf_adds(s, " bpm.");
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
