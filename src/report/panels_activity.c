/* The day and week panels: activity, body, training and freshness. */
#include "html.h"
#include "panel.h"
#include "svg.h"
#include "timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sums of daily rows into weeks starting on Monday: column col of r into
 * the returned rows' column col (same columns); count of days in the last. */
static int weekly_sums(const struct rows *r, struct rows *w)
{
    memset(w, 0, sizeof *w);
    w->ncols = r->ncols + 1;
    w->day = malloc((r->n + 1) * sizeof *w->day);
    w->v = calloc((r->n + 1) * (size_t)w->ncols, sizeof *w->v);
    if (!w->day || !w->v)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        long week = day_week_start(r->day[i]);
        if (w->n == 0 || w->day[w->n - 1] != week)
            w->day[w->n++] = week;
        double *row = &w->v[(w->n - 1) * (size_t)w->ncols];
        for (int c = 0; c < r->ncols; c++)
            if (!isnan(rows_at(r, i, c)))
                row[c] += rows_at(r, i, c);
        row[r->ncols] += 1;
    }
    w->cap = r->n + 1;
    return 0;
}

static void hover_value(struct chart *c, long day, int ndays, const char *label, double v,
                        int decimals, const char *unit)
{
    char text[11];
    day_to_text(day, text);
    struct buf t = BUF_INIT;
    buf_addf(&t, "%s%s: ", ndays == 7 ? "week of " : "", text);
    fmt_number(&t, v, decimals);
    buf_addf(&t, " %s %s", unit, label);
    chart_hover(c, day, ndays, t.data);
    buf_free(&t);
}

/* Bars of column col, one per row over ndays slots, each with its hover. */
static void bars_chart(struct report_ctx *ctx, const struct rows *r, int col, int ndays,
                       const struct chart_spec *spec_in, const char *cls, const char *label,
                       int decimals)
{
    struct chart_spec spec = *spec_in;
    double lo, hi;
    value_range(ctx, r->day, &r->v[col], (size_t)r->ncols, r->n, &lo, &hi);
    spec.ymin = 0, spec.ymax = hi, spec.zero_based = 1;
    struct chart c;
    chart_begin(&c, ctx->out, &spec);
    for (size_t i = 0; i < r->n; i++)
        chart_bar(&c, r->day[i], ndays, 0, rows_at(r, i, col), cls);
    for (size_t i = 0; i < r->n; i++)
        if (!isnan(rows_at(r, i, col)))
            hover_value(&c, r->day[i], ndays, label, rows_at(r, i, col), decimals, spec.y_unit);
    chart_end(&c);
}

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
    double *avg = malloc((all.n + 1) * sizeof *avg);
    if (!avg) {
        rows_free(&all);
        return hs_error_set(ctx->err, HS_ERR_FINAL, "out of memory");
    }
    rolling_mean(all.day, &all.v[BD_WEIGHT], BD_NCOLS, all.n, 7, avg);
    for (size_t i = 0; i < all.n; i++)
        all.v[i * BD_NCOLS + BD_WEIGHT7] = avg[i];
    free(avg);
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

/* ---- Training: strength volume per week, distance and time by sport ---- */

enum { VOL_KG, VOL_WORKOUTS, VOL_NCOLS };

static const char volume_sql[] =
    "SELECT date(start_time, 'localtime') AS d, SUM(volume_kg), COUNT(*) FROM v_workouts"
    " WHERE provider = 'hevy' AND start_time >= date(?1, '-1 day')"
    "  AND start_time < date(?4, '+1 day') GROUP BY d HAVING d BETWEEN ?1 AND ?2 ORDER BY d";

/* Totals by sport: the key is sport, a unit separator, then the provider. */
static const char sport_sql[] =
    "SELECT NULL, COALESCE(sport, 'unknown') || char(31) || provider, SUM(duration_s) / 60.0,"
    " COUNT(*), SUM(distance_m) / 1000.0"
    " FROM v_workouts WHERE start_time >= date(?1, '-1 day') AND start_time < date(?4, '+1 day')"
    "  AND date(start_time, 'localtime') BETWEEN ?1 AND ?2"
    " GROUP BY 2 ORDER BY 3 DESC";

enum { SP_MINUTES, SP_COUNT, SP_KM, SP_NCOLS };

static void volume_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *w = data;
    td_day(out, w->day[i]);
    td_number(out, rows_at(w, i, VOL_WORKOUTS), 0);
    td_number(out, rows_at(w, i, VOL_KG), 0);
}

static void sport_row(struct buf *out, const void *data, size_t i)
{
    const struct rows *r = data;
    size_t k = r->n - 1 - i; /* table_write goes newest first: keep the largest first */
    const char *key = r->key[k] ? r->key[k] : "";
    const char *sep = strchr(key, '\x1f');
    struct buf sport = BUF_INIT;
    buf_add(&sport, key, sep ? (size_t)(sep - key) : strlen(key));
    td_text(out, sport.data);
    td_text(out, provider_title(sep ? sep + 1 : ""));
    td_number(out, rows_at(r, k, SP_COUNT), 0);
    td_number(out, rows_at(r, k, SP_MINUTES), 0);
    td_number(out, rows_at(r, k, SP_KM), 1);
    buf_free(&sport);
}

static int volume_part(struct report_ctx *ctx, struct buf *sentence)
{
    struct rows r, w;
    if (panel_load(ctx, volume_sql, false, &r) < 0)
        return -1;
    if (r.n == 0 || weekly_sums(&r, &w) < 0) {
        rows_free(&r);
        return 0;
    }
    double kg = 0, n = 0;
    for (size_t i = 0; i < w.n; i++)
        kg += rows_at(&w, i, VOL_KG), n += rows_at(&w, i, VOL_WORKOUTS);
    buf_adds(sentence, " Hevy: ");
    fmt_number(sentence, n, 0);
    buf_adds(sentence, " strength workouts, ");
    fmt_number(sentence, kg / (double)w.n, 0);
    buf_adds(sentence, " kg lifted a week on average (weight × reps).");
    struct chart_spec spec =
        day_chart(ctx, "Strength volume per week",
                  "Kilograms lifted each week in Hevy workouts, weight times reps.", "kg", 0, 0);
    spec.x_unit = "week (Monday)";
    spec.day0 = day_week_start(ctx->day0);
    spec.zero_based = 1;
    bars_chart(ctx, &w, VOL_KG, 7, &spec, "s4", "lifted", 0);
    static const char *const headers[] = {"Week (Monday)", "Workouts", "Volume kg", NULL};
    struct table t = {"Strength volume per week", headers, "weeks", 8, volume_row, &w, w.n};
    table_write(ctx->out, &t);
    rows_free(&w);
    rows_free(&r);
    return 0;
}

/* Sums the rows of one sport (the key's part before the separator) into
 * labels/values, largest first as the query ordered them. */
static size_t by_sport(const struct rows *r, int col, const char *only_provider, char **labels,
                       double *values, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *key = r->key[i] ? r->key[i] : "";
        const char *sep = strchr(key, '\x1f');
        size_t len = sep ? (size_t)(sep - key) : strlen(key);
        double v = rows_at(r, i, col);
        if (isnan(v) || v <= 0 || (only_provider && (!sep || strcmp(sep + 1, only_provider))))
            continue;
        size_t k = 0;
        while (k < n && (strlen(labels[k]) != len || strncmp(labels[k], key, len)))
            k++;
        if (k == n) {
            if (n == max)
                continue;
            labels[n] = strndup(key, len);
            values[n++] = 0;
        }
        values[k] += v;
    }
    /* Largest first (a few entries: insertion sort). */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && values[k] > values[k - 1]; k--) {
            double v = values[k];
            values[k] = values[k - 1], values[k - 1] = v;
            char *l = labels[k];
            labels[k] = labels[k - 1], labels[k - 1] = l;
        }
    return n;
}

static void sport_chart(struct report_ctx *ctx, const struct rows *r, int col, double scale,
                        const char *only, const char *title, const char *desc, const char *unit)
{
    enum { MAX_SPORTS = 12 };
    char *labels[MAX_SPORTS];
    double values[MAX_SPORTS];
    size_t n = by_sport(r, col, only, labels, values, MAX_SPORTS);
    for (size_t i = 0; i < n; i++)
        values[i] *= scale;
    if (n)
        hbar_chart(ctx->out, title, desc, unit, (const char *const *)labels, values, n);
    for (size_t i = 0; i < n; i++)
        free(labels[i]);
}

int panel_training(struct report_ctx *ctx)
{
    struct rows sports;
    if (panel_load(ctx, sport_sql, true, &sports) < 0)
        return -1;
    if (sports.n == 0) {
        rows_free(&sports);
        return 0;
    }
    double minutes = 0, sessions = 0;
    for (size_t i = 0; i < sports.n; i++)
        minutes += rows_at(&sports, i, SP_MINUTES), sessions += rows_at(&sports, i, SP_COUNT);
    struct buf s = BUF_INIT;
    buf_adds(&s, "Workouts from every provider: ");
    fmt_number(&s, sessions, 0);
    buf_adds(&s, " sessions, ");
    fmt_number(&s, minutes / 60, 0);
    buf_adds(&s, " hours in all, time by sport below.");
    /* The parts go to a buffer of their own first: the sentence above them
     * is only known once they ran. */
    struct buf body = BUF_INIT, *page = ctx->out;
    ctx->out = &body;
    int rc = volume_part(ctx, &s);
    sport_chart(ctx, &sports, SP_KM, 1, "strava", "Strava distance by sport",
                "Kilometres covered in Strava activities by sport over the range.", "km");
    sport_chart(ctx, &sports, SP_MINUTES, 1.0 / 60, NULL, "Time by sport",
                "Hours of workouts by sport from every provider over the range.", "hours");
    static const char *const headers[] = {"Sport", "Provider", "Sessions", "Minutes", "km", NULL};
    struct table t = {
        "Workouts by sport and provider", headers, "sports", 0, sport_row, &sports, sports.n};
    table_write(ctx->out, &t);
    ctx->out = page;
    panel_begin(ctx, "training", "Training", s.data);
    buf_add(ctx->out, body.data, body.len);
    panel_end(ctx);
    buf_free(&body);
    buf_free(&s);
    rows_free(&sports);
    return rc;
}

/* ---- Freshness: per provider, the last successful sync and the last day of data ---- */

enum { FR_SYNCED, FR_LAST_DAY, FR_NCOLS };

/* MAX(start_time) per resource finds the newest row through the records
 * index (the latest day is its first ten characters, as the provider wrote it). */
static const char freshness_sql[] =
    "SELECT NULL, provider, MAX(synced), MAX(julianday(substr(last_time, 1, 10))) - 2440587.5 FROM "
    "("
    "  SELECT p.provider,"
    "   (SELECT MAX(CAST(strftime('%s', finished_at) AS INTEGER)) FROM sync_runs r"
    "    WHERE r.provider = p.provider AND r.status = 'success') AS synced,"
    "   (SELECT MAX(start_time) FROM records c WHERE c.provider = p.provider"
    "    AND c.resource = p.resource) AS last_time"
    "  FROM (SELECT provider, resource FROM sync_state"
    "        UNION SELECT provider, resource FROM sync_runs) p)"
    " GROUP BY provider ORDER BY provider";

struct freshness {
    const struct rows *r;
    time_t now;
};

static void age_text(struct buf *out, double seconds)
{
    if (seconds < 3600)
        buf_addf(out, "%.0f min ago", seconds / 60);
    else if (seconds < 2 * 86400)
        buf_addf(out, "%.0f h ago", seconds / 3600);
    else
        buf_addf(out, "%.0f days ago", seconds / 86400);
}

static void freshness_row(struct buf *out, const void *data, size_t i)
{
    const struct freshness *f = data;
    const struct rows *r = f->r;
    size_t k = r->n - 1 - i; /* alphabetical, not newest first */
    td_text(out, provider_title(r->key[k]));
    double synced = rows_at(r, k, FR_SYNCED);
    struct buf t = BUF_INIT;
    if (isnan(synced)) {
        buf_adds(&t, "never");
    } else {
        char iso[TIME_ISO_LEN];
        time_format_iso((time_t)synced, iso);
        buf_addf(&t, "%s (", iso);
        age_text(&t, difftime(f->now, (time_t)synced));
        buf_adds(&t, ")");
    }
    td_text(out, t.data);
    double last = rows_at(r, k, FR_LAST_DAY);
    if (isnan(last))
        td_text(out, "no data");
    else
        td_day(out, lround(last));
    buf_free(&t);
}

int panel_freshness(struct report_ctx *ctx)
{
    struct rows r;
    if (panel_load(ctx, freshness_sql, true, &r) < 0)
        return -1;
    if (r.n) {
        char now[TIME_ISO_LEN];
        time_format_iso(ctx->now, now);
        struct buf s = BUF_INIT;
        buf_addf(&s,
                 "When each provider last synced successfully and the last day its data "
                 "reaches, as of %s.",
                 now);
        panel_begin(ctx, "freshness", "Freshness", s.data);
        static const char *const headers[] = {"Provider", "Last successful sync",
                                              "Last day with data", NULL};
        struct freshness f = {&r, ctx->now};
        struct table t = {
            "Freshness per provider", headers, "providers", 0, freshness_row, &f, r.n};
        table_write(ctx->out, &t);
        panel_end(ctx);
        buf_free(&s);
    }
    rows_free(&r);
    return 0;
}
