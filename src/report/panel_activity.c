/* The activity panel: steps and active calories, totals per week. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Activity: steps and active calories per day, totals per week ---- */

enum { AC_STEPS, AC_KCAL, AC_NCOLS };

static const char activity_sql[] =
    "SELECT day, provider, SUM(steps), SUM(active_calories_kcal) FROM v_daily_activity"
    " WHERE day BETWEEN ?1 AND ?2 GROUP BY day, provider ORDER BY day";

static void activity_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    td_day(out, r->day[i]);
    td_number(out, rows_at(r, i, AC_STEPS), 0);
    td_number(out, rows_at(r, i, AC_KCAL), 0);
}

static void week_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *w = data;
    td_day(out, w->day[i]);
    td_number(out, rows_at(w, i, AC_STEPS), 0);
    td_number(out, rows_at(w, i, AC_KCAL), 0);
    td_number(out, rows_at(w, i, AC_NCOLS), 0);
}

static void activity_sentence(struct buf *s, const struct rows *r, const char *provider)
{
    double steps = 0, kcal = 0;
    for (size_t i = 0; i < r->n; i++) {
        steps += isnan(rows_at(r, i, AC_STEPS)) ? 0 : rows_at(r, i, AC_STEPS);
        kcal += isnan(rows_at(r, i, AC_KCAL)) ? 0 : rows_at(r, i, AC_KCAL);
    }
    buf_addf(s, "Steps and active calories per day from %s: on average ", provider_title(provider));
    fmt_number(s, steps / (double)r->n, 0);
    buf_adds(s, " steps and ");
    fmt_number(s, kcal / (double)r->n, 0);
    buf_addf(s, " kcal a day over %zu days, with the totals of each week below.", r->n);
}

int panel_activity(struct report_ctx *ctx)
{
    struct rows all, r, w;
    if (panel_load(ctx, activity_sql, true, &all) < 0)
        return -1;
    const char *provider = most_rows_key(&all, AC_STEPS);
    if (!provider) {
        rows_free(&all);
        return 0;
    }
    if (rows_select(&all, provider, &r) < 0 || weekly_sums(&r, &w) < 0) {
        rows_free(&r);
        rows_free(&all);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    struct buf s = BUF_INIT;
    activity_sentence(&s, &r, provider);
    panel_begin(ctx, "activity", "Activity", s.data);
    /* Past a year, a bar a week: the weekly totals. */
    bool weekly = ctx->bucket == 7;
    const struct rows *bars = weekly ? &w : &r;
    struct chart_spec steps =
        day_chart(ctx, weekly ? "Steps per week" : "Steps per day",
                  weekly ? "Steps counted each week." : "Steps counted each day.", "steps", 0, 0);
    steps.zero_based = 1;
    bars_chart(ctx, bars, AC_STEPS, ctx->bucket, &steps, "s1", "", 0);
    struct chart_spec kcal = day_chart(
        ctx, weekly ? "Active calories per week" : "Active calories per day",
        weekly ? "Calories burned by activity each week." : "Calories burned by activity each day.",
        "kcal", 0, 0);
    kcal.zero_based = 1;
    bars_chart(ctx, bars, AC_KCAL, ctx->bucket, &kcal, "s2", "active", 0);
    static const char *const week_headers[] = {"Week (Monday)", "Steps", "Active kcal", "Days",
                                               NULL};
    struct table wt = {"Weekly totals", week_headers, "weeks", 8, week_row, &w, w.n};
    table_write(ctx->out, &wt);
    static const char *const headers[] = {"Day", "Steps", "Active kcal", NULL};
    struct table dt = {"Activity per day", headers, "days", 7, activity_row, &r, r.n};
    if (!weekly)
        table_write(ctx->out, &dt);
    panel_end(ctx);
    buf_free(&s);
    rows_free(&w);
    rows_free(&r);
    rows_free(&all);
    return 0;
}
