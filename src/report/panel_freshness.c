/* The freshness panel: per provider, the last successful sync and the last
 * day of data. */
#include "html.h"
#include "panel.h"
#include "svg.h"
#include "timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Freshness: per provider, the last successful sync and the last day of data ---- */

enum { FR_SYNCED, FR_LAST_DAY, FR_NCOLS };

/* A provider's last successful sync is that of its whole pass (the "*" row of
 * sync_runs: every resource it ran succeeded), as `status` tells it; a
 * database without such rows (older versions, the Python tool) has only its
 * resources' rows.  MAX(start_time) per resource finds the newest row through the records
 * index (the latest day is its first ten characters, as the provider wrote it). */
static const char freshness_sql[] =
    "SELECT NULL, provider, MAX(synced), MAX(julianday(substr(last_time, 1, 10))) - 2440587.5 FROM "
    "("
    "  SELECT p.provider,"
    "   (SELECT CASE WHEN EXISTS (SELECT 1 FROM sync_runs r WHERE r.provider = p.provider"
    "     AND r.resource = '*' AND r.status <> 'running')"
    "    THEN (SELECT MAX(CAST(strftime('%s', finished_at) AS INTEGER)) FROM sync_runs r"
    "     WHERE r.provider = p.provider AND r.resource = '*' AND r.status = 'success')"
    "    ELSE (SELECT MAX(CAST(strftime('%s', finished_at) AS INTEGER)) FROM sync_runs r"
    "     WHERE r.provider = p.provider AND r.status = 'success') END) AS synced,"
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
