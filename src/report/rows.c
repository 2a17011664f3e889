/* rows: report query results in memory (see rows.h). */
#include "rows.h"

#include "timeutil.h"

#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long day_from_text(const char *s)
{
    int y;
    unsigned m, d;
    if (!s || strlen(s) < 10 || sscanf(s, "%4d-%2u-%2u", &y, &m, &d) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return LONG_MIN;
    return (long)time_days_from_civil(y, m, d);
}

void day_to_text(long day, char out[11])
{
    int y;
    unsigned m, d;
    time_civil_from_days(day, &y, &m, &d);
    snprintf(out, 11, "%04d-%02u-%02u", y, m, d);
}

long day_week_start(long day)
{
    /* 1970-01-01 was a Thursday: day + 3 counts from a Monday. */
    long since_monday = ((day + 3) % 7 + 7) % 7;
    return day - since_monday;
}

struct load {
    struct rows *r;
    struct hs_error *err;
};

static int grow(struct rows *r)
{
    size_t cap = r->cap ? r->cap * 2 : 64;
    long *day = realloc(r->day, cap * sizeof *day);
    if (day)
        r->day = day;
    double *v = realloc(r->v, cap * (size_t)(r->ncols ? r->ncols : 1) * sizeof *v);
    if (v)
        r->v = v;
    char **key = r->keyed ? realloc(r->key, cap * sizeof *key) : NULL;
    if (key)
        r->key = key;
    if (!day || !v || (r->keyed && !key))
        return -1;
    r->cap = cap;
    return 0;
}

static int add_row(void *arg, const struct cell *cells, int ncells)
{
    struct load *l = arg;
    struct rows *r = l->r;
    int first = r->keyed ? 2 : 1;
    if (r->n == 0 && r->cap == 0)
        r->ncols = ncells - first > 0 ? ncells - first : 0;
    if (ncells != first + r->ncols)
        return hs_error_set(l->err, HS_ERR_FINAL, "report query: %d columns", ncells), 1;
    if (r->n == r->cap && grow(r) < 0)
        return hs_error_set(l->err, HS_ERR_FINAL, "out of memory"), 1;
    r->day[r->n] = day_from_text(cells[0].text);
    if (r->keyed) {
        r->key[r->n] = cells[1].text ? strdup(cells[1].text) : NULL;
        if (cells[1].text && !r->key[r->n])
            return hs_error_set(l->err, HS_ERR_FINAL, "out of memory"), 1;
    }
    for (int c = 0; c < r->ncols; c++) {
        const struct cell *cell = &cells[first + c];
        r->v[r->n * (size_t)r->ncols + (size_t)c] =
            cell->text && cell->type != SQLITE_TEXT ? strtod(cell->text, NULL) : NAN;
    }
    r->n++;
    return 0;
}

int rows_load(struct store *s, const char *sql, const char *const *params, int nparams, bool keyed,
              struct rows *r, struct hs_error *err)
{
    memset(r, 0, sizeof *r);
    r->keyed = keyed;
    struct load l = {r, err};
    if (store_each_row(s, sql, params, nparams, add_row, &l, err) < 0)
        return -1;
    return err->kind == HS_OK ? 0 : -1;
}

void rows_free(struct rows *r)
{
    if (r->key)
        for (size_t i = 0; i < r->n; i++)
            free(r->key[i]);
    free(r->key);
    free(r->day);
    free(r->v);
    memset(r, 0, sizeof *r);
}

int rows_select(const struct rows *r, const char *key, struct rows *out)
{
    memset(out, 0, sizeof *out);
    out->ncols = r->ncols;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->key[i] || strcmp(r->key[i], key))
            continue;
        if (out->n == out->cap && grow(out) < 0)
            return -1;
        out->day[out->n] = r->day[i];
        memcpy(&out->v[out->n * (size_t)out->ncols], &r->v[i * (size_t)r->ncols],
               (size_t)r->ncols * sizeof *out->v);
        out->n++;
    }
    return 0;
}

struct rows rows_since(const struct rows *r, long day)
{
    size_t first = 0;
    while (first < r->n && r->day[first] < day)
        first++;
    struct rows view = *r;
    view.n -= first;
    view.cap = 0;
    if (r->day)
        view.day += first;
    if (r->v)
        view.v += first * (size_t)r->ncols;
    if (r->key)
        view.key += first;
    return view;
}

/* The row of out for week and key, appended when new: rows come ordered by
 * day, so a week's rows are the last ones. */
static long week_row(struct rows *out, size_t week_first, long week, const char *key)
{
    for (size_t i = week_first; i < out->n; i++)
        if (!out->keyed || (key && out->key[i] && !strcmp(key, out->key[i])) ||
            (!key && !out->key[i]))
            return (long)i;
    if (out->n == out->cap && grow(out) < 0)
        return -1;
    out->day[out->n] = week;
    if (out->keyed && !(out->key[out->n] = key ? strdup(key) : NULL) && key)
        return -1;
    for (int c = 0; c < out->ncols; c++)
        out->v[out->n * (size_t)out->ncols + (size_t)c] = 0;
    return (long)out->n++;
}

int rows_weekly_means(const struct rows *r, struct rows *out)
{
    memset(out, 0, sizeof *out);
    out->keyed = r->keyed;
    out->ncols = r->ncols;
    /* Counts of the values summed, a row and a column each. */
    double *counts = calloc((r->n + 1) * (size_t)(r->ncols + 1), sizeof *counts);
    if (!counts)
        return -1;
    size_t week_first = 0;
    for (size_t i = 0; i < r->n; i++) {
        long week = day_week_start(r->day[i]);
        if (out->n && out->day[week_first] != week)
            week_first = out->n;
        long k = week_row(out, week_first, week, r->keyed ? r->key[i] : NULL);
        if (k < 0) {
            free(counts);
            return -1;
        }
        for (int c = 0; c < r->ncols; c++) {
            double v = rows_at(r, i, c);
            if (isnan(v))
                continue;
            out->v[(size_t)k * (size_t)out->ncols + (size_t)c] += v;
            counts[(size_t)k * (size_t)r->ncols + (size_t)c] += 1;
        }
    }
    for (size_t k = 0; k < out->n; k++)
        for (int c = 0; c < out->ncols; c++) {
            double n = counts[k * (size_t)r->ncols + (size_t)c];
            double *v = &out->v[k * (size_t)out->ncols + (size_t)c];
            *v = n > 0 ? *v / n : NAN;
        }
    free(counts);
    return 0;
}
