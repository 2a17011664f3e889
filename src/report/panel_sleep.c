/* The sleep panels: each night by stage, and the sources side by side. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR 3600.0

/* ---- Sleep: one provider's nights, stages stacked ---- */

/* An Eight Sleep pod is shared: its account lists the partner on the other
 * side too, and their nights (record ids "<user id>:<day>") are not the
 * account holder's (users_me), so a night's sum leaves them out. */
static const char sleep_sql[] =
    "SELECT day, provider, SUM(total_sleep_s), SUM(deep_s), SUM(rem_s), SUM(light_s),"
    " SUM(awake_s), AVG(efficiency_pct), AVG(hrv_ms), AVG(hr_lowest_bpm), NULL"
    " FROM v_sleep WHERE day BETWEEN ?3 AND ?2 AND total_sleep_s > 0"
    " AND (provider <> 'eightsleep' OR NOT EXISTS (SELECT 1 FROM records u"
    "      WHERE u.provider = 'eightsleep' AND u.resource = 'users_me')"
    "  OR substr(record_id, 1, instr(record_id, ':')) IN (SELECT u.record_id || ':' FROM records u"
    "      WHERE u.provider = 'eightsleep' AND u.resource = 'users_me'))"
    " GROUP BY day, provider ORDER BY day";

const struct rows *sleep_nights(struct report_ctx *ctx)
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
    if (rows_select(all, provider, &r) < 0) {
        rows_free(&r);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    rolling_mean(&r, SL_TOTAL, SL_AVG7, 7);
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
