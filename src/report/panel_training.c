/* The training panel: strength volume per week, distance and time by sport. */
#include "html.h"
#include "panel.h"
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
