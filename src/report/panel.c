/* panel: the frame shared by the report's panels (see panel.h). */
#include "panel.h"

#include "html.h"
#include "apple_health.h"
#include "provider.h"
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int panel_load(struct report_ctx *ctx, const char *sql, bool keyed, struct rows *r)
{
    const char *params[] = {ctx->since, ctx->until, ctx->lead_in, ctx->after};
    if (rows_load(ctx->store, sql, params, 4, keyed, r, ctx->err) < 0) {
        rows_free(r);
        return -1;
    }
    return 0;
}

void panel_begin(struct report_ctx *ctx, const char *id, const char *title, const char *sentence)
{
    buf_addf(ctx->out, "<section id=\"%s\">\n<h2>", id);
    html_text(ctx->out, title);
    buf_adds(ctx->out, "</h2>\n<p class=\"lede\">");
    html_text(ctx->out, sentence);
    buf_adds(ctx->out, "</p>\n");
    buf_addf(&ctx->toc, "<li><a href=\"#%s\">", id);
    html_text(&ctx->toc, title);
    buf_adds(&ctx->toc, "</a></li>");
}

void panel_end(struct report_ctx *ctx)
{
    buf_adds(ctx->out, "</section>\n");
}

static void table_rows(struct buf *out, const struct table *t, size_t count)
{
    buf_adds(out, "<thead><tr>");
    for (const char *const *h = t->headers; *h; h++) {
        buf_adds(out, "<th scope=\"col\">");
        html_text(out, h == t->headers && t->head0 ? t->head0 : *h);
        buf_adds(out, "</th>");
    }
    buf_adds(out, "</tr></thead>\n<tbody>\n");
    for (size_t k = 0; k < count; k++) {
        buf_adds(out, "<tr>");
        t->row(out, t->data, t->n - 1 - k);
        buf_adds(out, "</tr>\n");
    }
    buf_adds(out, "</tbody></table>\n");
}

void table_write(struct buf *out, const struct table *t)
{
    if (t->n == 0)
        return;
    size_t shown = t->latest && t->latest < t->n ? t->latest : t->n;
    buf_adds(out, "<div class=\"scroll\"><table><caption>");
    html_text(out, t->caption);
    if (shown < t->n)
        html_textf(out, " (the latest %zu %s)", shown, t->noun);
    buf_adds(out, "</caption>");
    table_rows(out, t, shown);
    buf_adds(out, "</div>\n");
    if (shown == t->n)
        return;
    buf_adds(out, "<details><summary>");
    html_textf(out, "All %zu %s", t->n, t->noun);
    buf_adds(out, "</summary><div class=\"scroll\"><table class=\"all\">");
    table_rows(out, t, t->n);
    buf_adds(out, "</div></details>\n");
}

void td_day(struct buf *out, long day)
{
    char text[11];
    day_to_text(day, text);
    buf_addf(out, "<td>%s</td>", text);
}

void td_text(struct buf *out, const char *s)
{
    buf_adds(out, "<td>");
    html_text(out, s);
    buf_adds(out, "</td>");
}

void td_number(struct buf *out, double v, int decimals)
{
    buf_adds(out, "<td class=\"num\">");
    fmt_number(out, v, decimals);
    buf_adds(out, "</td>");
}

void td_duration(struct buf *out, double seconds)
{
    buf_adds(out, "<td class=\"num\">");
    fmt_duration(out, seconds);
    buf_adds(out, "</td>");
}

const char *provider_title(const char *name)
{
    if (!name)
        return "unknown";
    const struct provider *p = provider_find(name);
    if (!p && strcmp(name, APPLE_HEALTH_PROVIDER) == 0)
        return APPLE_HEALTH_TITLE; /* imported, not synced: not in the provider table */
    return p ? p->title : name;
}

void rolling_mean(struct rows *r, int from, int to, long window)
{
    size_t first = 0, count = 0;
    double sum = 0;
    for (size_t i = 0; i < r->n; i++) {
        double v = rows_at(r, i, from);
        if (!isnan(v))
            sum += v, count++;
        for (; r->day[first] <= r->day[i] - window; first++) {
            double old = rows_at(r, first, from);
            if (!isnan(old))
                sum -= old, count--;
        }
        r->v[i * (size_t)r->ncols + (size_t)to] = count ? sum / (double)count : NAN;
    }
}

void value_range(const struct report_ctx *ctx, const long *days, const double *values,
                 size_t stride, size_t n, double *min, double *max)
{
    *min = *max = NAN;
    for (size_t i = 0; i < n; i++) {
        double v = values[i * stride];
        if (isnan(v) || days[i] < ctx->day0 || days[i] > ctx->day1)
            continue;
        if (isnan(*min) || v < *min)
            *min = v;
        if (isnan(*max) || v > *max)
            *max = v;
    }
}

const char *most_rows_key(const struct rows *r, int col)
{
    const char *best = NULL;
    size_t best_n = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!r->key[i] || (best && !strcmp(r->key[i], best)))
            continue;
        size_t count = 0;
        for (size_t k = 0; k < r->n; k++)
            if (r->key[k] && !strcmp(r->key[k], r->key[i]) && !isnan(rows_at(r, k, col)))
                count++;
        if (count > best_n)
            best = r->key[i], best_n = count;
    }
    return best;
}

struct chart_spec day_chart(const struct report_ctx *ctx, const char *title, const char *desc,
                            const char *y_unit, double ymin, double ymax)
{
    const char *x_unit = ctx->bucket == 7 ? "week (Monday)" : "day";
    struct chart_spec spec = {title, desc, y_unit, x_unit, ctx->day0, ctx->day1, ymin, ymax, 0};
    return spec;
}

int period_rows(const struct report_ctx *ctx, const struct rows *r, struct rows *out)
{
    if (ctx->bucket == 7)
        return rows_weekly_means(r, out);
    memset(out, 0, sizeof *out);
    out->keyed = r->keyed;
    out->ncols = r->ncols;
    out->day = malloc((r->n + 1) * sizeof *out->day);
    out->v = malloc((r->n + 1) * (size_t)(r->ncols ? r->ncols : 1) * sizeof *out->v);
    out->key = r->keyed ? calloc(r->n + 1, sizeof *out->key) : NULL;
    if (!out->day || !out->v || (r->keyed && !out->key))
        return -1;
    out->n = out->cap = r->n;
    if (r->n == 0) /* an empty r may have no arrays at all */
        return 0;
    memcpy(out->day, r->day, r->n * sizeof *out->day);
    memcpy(out->v, r->v, r->n * (size_t)r->ncols * sizeof *out->v);
    for (size_t i = 0; r->keyed && i < r->n; i++)
        if (r->key[i] && !(out->key[i] = strdup(r->key[i])))
            return -1;
    return 0;
}

void period_label(const struct report_ctx *ctx, struct buf *b, long day)
{
    char text[11];
    day_to_text(day, text);
    buf_addf(b, "%s%s", ctx->bucket == 7 ? "week of " : "", text);
}

const char *period_head(const struct report_ctx *ctx, const char *daily)
{
    return ctx->bucket == 7 ? "Week (Monday)" : daily;
}

const char *period_noun(const struct report_ctx *ctx, const char *daily)
{
    return ctx->bucket == 7 ? "weeks" : daily;
}

int weekly_sums(const struct rows *r, struct rows *w)
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

void hover_value(struct chart *c, long day, int ndays, const char *label, double v, int decimals,
                 const char *unit)
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

void bars_chart(struct report_ctx *ctx, const struct rows *r, int col, int ndays,
                const struct chart_spec *spec_in, const char *cls, const char *label, int decimals)
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
