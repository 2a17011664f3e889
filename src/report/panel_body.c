/* The body panel: weight with its trend, composition, blood pressure. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Body: weight with its trend, composition, blood pressure ---- */

enum { BD_WEIGHT, BD_FAT, BD_FAT_KG, BD_MUSCLE, BD_SYS, BD_DIA, BD_WEIGHT7, BD_NCOLS };

/* Measurements have a time, not a day: their day is the local one. */
static const char body_sql[] =
    "SELECT date(start_time, 'localtime') AS d, AVG(weight_kg), AVG(fat_ratio_pct),"
    " AVG(fat_mass_kg), AVG(muscle_mass_kg), AVG(systolic_mmhg), AVG(diastolic_mmhg), NULL"
    " FROM v_body WHERE start_time >= date(?3, '-1 day') AND start_time < date(?4, '+1 day')"
    " GROUP BY d HAVING d BETWEEN ?3 AND ?2 ORDER BY d";

static void body_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    td_day(out, r->day[i]);
    td_number(out, rows_at(r, i, BD_WEIGHT), 2);
    td_number(out, rows_at(r, i, BD_WEIGHT7), 2);
    td_number(out, rows_at(r, i, BD_FAT), 1);
    td_number(out, rows_at(r, i, BD_FAT_KG), 2);
    td_number(out, rows_at(r, i, BD_MUSCLE), 2);
    td_number(out, rows_at(r, i, BD_SYS), 0);
    td_number(out, rows_at(r, i, BD_DIA), 0);
}

static bool has_values(const struct report_ctx *ctx, const struct rows *r, int col)
{
    double lo, hi;
    value_range(ctx, r->day, &r->v[col], BD_NCOLS, r->n, &lo, &hi);
    return !isnan(lo);
}

static void weight_chart(struct report_ctx *ctx, const struct rows *r)
{
    double lo, hi;
    value_range(ctx, r->day, &r->v[BD_WEIGHT], BD_NCOLS, r->n, &lo, &hi);
    struct chart_spec spec = day_chart(ctx, "Weight",
                                       "Each day's weight in kilograms and its 7-day moving "
                                       "average.",
                                       "kg", lo, hi);
    legend_begin(ctx->out);
    legend_item(ctx->out, KEY_MARK, "mk s1", MARK_CIRCLE, "weight");
    legend_item(ctx->out, KEY_LINE, "ln s6", 0, "7-day moving average");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    for (size_t i = 0; i < r->n; i++)
        chart_marker(&c, r->day[i], rows_at(r, i, BD_WEIGHT), MARK_CIRCLE, "mk s1");
    chart_line(&c, r->day, &r->v[BD_WEIGHT7], BD_NCOLS, r->n, 14 * ctx->bucket, "ln s6");
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        if (isnan(rows_at(r, i, BD_WEIGHT)))
            continue;
        buf_reset(&t);
        period_label(ctx, &t, r->day[i]);
        buf_addf(&t, ": %.2f kg; 7-day average %.2f kg", rows_at(r, i, BD_WEIGHT),
                 rows_at(r, i, BD_WEIGHT7));
        if (!isnan(rows_at(r, i, BD_FAT)))
            buf_addf(&t, "; fat %.1f %%", rows_at(r, i, BD_FAT));
        chart_hover(&c, r->day[i], ctx->bucket, t.data);
    }
    buf_free(&t);
    chart_end(&c);
}

static void fat_chart(struct report_ctx *ctx, const struct rows *r)
{
    double lo, hi;
    value_range(ctx, r->day, &r->v[BD_FAT], BD_NCOLS, r->n, &lo, &hi);
    struct chart_spec spec = day_chart(
        ctx, "Fat ratio", "Body fat as a percentage of weight on each day measured.", "%", lo, hi);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    chart_line(&c, r->day, &r->v[BD_FAT], BD_NCOLS, r->n, 14 * ctx->bucket, "ln thin s3");
    for (size_t i = 0; i < r->n; i++) {
        chart_marker(&c, r->day[i], rows_at(r, i, BD_FAT), MARK_SQUARE, "mk s3");
        if (!isnan(rows_at(r, i, BD_FAT)))
            hover_value(&c, r->day[i], ctx->bucket, "fat", rows_at(r, i, BD_FAT), 1, "%");
    }
    chart_end(&c);
}

static void pressure_chart(struct report_ctx *ctx, const struct rows *r)
{
    double lo, hi, unused;
    value_range(ctx, r->day, &r->v[BD_DIA], BD_NCOLS, r->n, &lo, &unused);
    value_range(ctx, r->day, &r->v[BD_SYS], BD_NCOLS, r->n, &unused, &hi);
    struct chart_spec spec = day_chart(ctx, "Blood pressure",
                                       "Systolic (triangle) over diastolic (circle) "
                                       "blood pressure in mmHg on each day measured.",
                                       "mmHg", lo, hi);
    legend_begin(ctx->out);
    legend_item(ctx->out, KEY_MARK, "mk s6", MARK_TRIANGLE, "systolic");
    legend_item(ctx->out, KEY_MARK, "mk s1", MARK_CIRCLE, "diastolic");
    legend_end(ctx->out);
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < r->n; i++) {
        double sys = rows_at(r, i, BD_SYS), dia = rows_at(r, i, BD_DIA);
        if (isnan(sys) && isnan(dia))
            continue;
        chart_rule(&c, r->day[i], dia, sys, "rule");
        chart_marker(&c, r->day[i], sys, MARK_TRIANGLE, "mk s6");
        chart_marker(&c, r->day[i], dia, MARK_CIRCLE, "mk s1");
        buf_reset(&t);
        period_label(ctx, &t, r->day[i]);
        buf_addf(&t, ": %.0f/%.0f mmHg", sys, dia);
        chart_hover(&c, r->day[i], ctx->bucket, t.data);
    }
    buf_free(&t);
    chart_end(&c);
}

static void body_sentence(struct buf *s, const struct rows *r)
{
    size_t last = r->n;
    while (last > 0 && isnan(rows_at(r, last - 1, BD_WEIGHT)))
        last--;
    size_t measured = 0;
    for (size_t i = 0; i < r->n; i++)
        measured += !isnan(rows_at(r, i, BD_WEIGHT)) || !isnan(rows_at(r, i, BD_SYS));
    buf_addf(s, "Body measurements on %zu days", measured);
    if (last) {
        char day[11];
        day_to_text(r->day[last - 1], day);
        buf_addf(s, ": the latest weight %.2f kg on %s, its 7-day average %.2f kg",
                 rows_at(r, last - 1, BD_WEIGHT), day, rows_at(r, last - 1, BD_WEIGHT7));
    }
    buf_adds(s, ".");
}

int panel_body(struct report_ctx *ctx)
{
    struct rows all;
    if (panel_load(ctx, body_sql, false, &all) < 0)
        return -1;
    if (all.n == 0) {
        rows_free(&all);
        return 0;
    }
    rolling_mean(&all, BD_WEIGHT, BD_WEIGHT7, 7);
    struct rows r = rows_since(&all, ctx->day0), per;
    if (period_rows(ctx, &r, &per) < 0) {
        rows_free(&per);
        rows_free(&all);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    bool weight = has_values(ctx, &r, BD_WEIGHT), fat = has_values(ctx, &r, BD_FAT),
         pressure = has_values(ctx, &r, BD_SYS);
    if (weight || fat || pressure) {
        struct buf s = BUF_INIT;
        body_sentence(&s, &r);
        panel_begin(ctx, "body", "Body", s.data);
        if (weight)
            weight_chart(ctx, &per);
        if (fat)
            fat_chart(ctx, &per);
        if (pressure)
            pressure_chart(ctx, &per);
        static const char *const headers[] = {"Day",           "Weight kg",      "7-day avg kg",
                                              "Fat %",         "Fat mass kg",    "Muscle kg",
                                              "Systolic mmHg", "Diastolic mmHg", NULL};
        struct table t = {
            "Body measurements",    headers, period_noun(ctx, "days"), 7, body_row, &per, per.n,
            period_head(ctx, "Day")};
        table_write(ctx->out, &t);
        panel_end(ctx);
        buf_free(&s);
    }
    rows_free(&per);
    rows_free(&all);
    return 0;
}
