/* WHOOP (developer API v2, api.prod.whoop.com/developer).
 *
 * Auth: OAuth2 authorization code, the client credentials in the form body.
 * A refresh token comes only with the `offline` scope; a refresh asks
 * scope=offline, and each refresh token is single use (the reply's is
 * stored at once).
 *
 * Data: the profile and body measurement are one object each.  The four
 * collections (cycles, recoveries, sleep, workouts) are listed newest first,
 * 25 records a page at most, paged by `next_token` (sent back as
 * nextToken).  Scores arrive late (PENDING_SCORE, then SCORED; the current
 * cycle has no end yet) and there is no change feed, so a plain sync
 * re-lists from the watermark minus overlap_days and deletes what was stored
 * in that window but not listed again (a workout or nap removed); a full
 * pass does the same from start_date.  Record ids are the npm health-sync
 * tool's, so its databases stay compatible.
 *
 * Limits: 100 requests a minute and 10,000 a day.  Requests are paced under
 * the minute's; the X-RateLimit-* headers of each reply tell how much is
 * left, and when nothing is the next request waits for the reset (the
 * minute), or the sync stops with its progress kept (the day). */
#include "oauth2.h"
#include "log.h"
#include "paging.h"
#include "timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define DAILY_WINDOW 86400

static const struct config_key whoop_keys[] = {
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_days", CFG_INT, "7", 0, 3650,
     "days re-listed before the watermark on each sync (scores arrive late)"},
    {"page_size", CFG_INT, "25", 1, 25, "records per page (the API allows at most 25)"},
    {NULL},
};

static const struct oauth2_param refresh_params[] = {
    {"scope", "offline", NULL},
    {NULL},
};

static const struct oauth2_flow whoop_oauth2 = {
    .authorize_url = "https://api.prod.whoop.com/oauth/oauth2/auth",
    .token_url = "https://api.prod.whoop.com/oauth/oauth2/token",
    .redirect_uri = "http://localhost:8487/callback",
    .scopes = "offline read:recovery read:cycles read:workout read:sleep read:profile "
              "read:body_measurement",
    .client_auth = OAUTH2_CLIENT_BODY,
    .scope_separator = ' ',
    .refresh_params = refresh_params,
    .rotating_refresh = true,
    .refresh_scope = "offline",
};

/* ---------------------------------------------------------------- rate limits */

/* What the last reply's X-RateLimit-* headers said. */
struct whoop_run {
    pthread_mutex_t lock;
    bool known;
    long remaining, reset; /* requests left in the closest window; seconds to its reset */
    bool daily;            /* the closest window is the day's */
};

/* "100, 100;window=60, 10000;window=86400": whether the first number (the
 * limit closest to being hit) is the day's. */
static bool closest_is_daily(const char *limit)
{
    long closest = strtol(limit, NULL, 10);
    for (const char *p = strchr(limit, ','); p; p = strchr(p + 1, ',')) {
        char *end;
        long n = strtol(p + 1, &end, 10);
        const char *w = strstr(end, "window=");
        if (w && n == closest && strtol(w + 7, NULL, 10) >= DAILY_WINDOW)
            return true;
    }
    return false;
}

/* http hook after each response (token replies carry no headers: ignored). */
static void note_budget(void *arg, const struct http_response *resp)
{
    struct whoop_run *w = arg;
    char *limit = http_response_header(resp, "X-RateLimit-Limit");
    char *remaining = http_response_header(resp, "X-RateLimit-Remaining");
    char *reset = http_response_header(resp, "X-RateLimit-Reset");
    if (limit && remaining && reset) {
        pthread_mutex_lock(&w->lock);
        w->known = true;
        w->remaining = strtol(remaining, NULL, 10);
        w->reset = strtol(reset, NULL, 10);
        w->daily = closest_is_daily(limit);
        pthread_mutex_unlock(&w->lock);
    }
    free(limit);
    free(remaining);
    free(reset);
}

/* http hook before each attempt: waits out a spent minute; a spent day stops. */
static int wait_for_budget(void *arg, struct hs_error *err)
{
    struct whoop_run *w = arg;
    pthread_mutex_lock(&w->lock);
    bool spent = w->known && w->remaining <= 0;
    bool daily = w->daily;
    long reset = w->reset;
    if (spent && !daily)
        w->known = false; /* the next reply tells again */
    pthread_mutex_unlock(&w->lock);
    if (!spent)
        return 0;
    if (daily)
        return hs_error_set(err, HS_ERR_WAIT,
                            "daily rate limit reached; progress kept, run sync again in %ld s",
                            reset);
    log_progress("whoop", "*", "rate limit reached; waiting %ld s for the next minute",
                 reset + 1);
    if (http_sleep_ms((reset + 1) * 1000) < 0)
        return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    return 0;
}

static int whoop_prepare(struct provider_run *r, struct hs_error *err)
{
    struct whoop_run *w = calloc(1, sizeof *w);
    if (!w)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    pthread_mutex_init(&w->lock, NULL);
    r->data = w;
    http_client_set_rate_limit(r->http, 100, 60);
    const struct http_hooks hooks = {wait_for_budget, note_budget, w};
    http_client_set_hooks(r->http, &hooks);
    return oauth2_prepare(r, err);
}

static void whoop_cleanup(struct provider_run *r)
{
    struct whoop_run *w = r->data;
    http_client_set_hooks(r->http, NULL);
    if (w)
        pthread_mutex_destroy(&w->lock);
    free(w);
    r->data = NULL;
}

/* ---------------------------------------------------------------- resources */

static char *api_url(const struct task *t, const char *path)
{
    struct buf url = BUF_INIT;
    buf_adds(&url, run_config_str(t->run, "base_url"));
    buf_adds(&url, path);
    return buf_detach(&url);
}

static int commit_now(struct task *t, struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    time_format_iso(t->run->now, now);
    return task_commit(t, now, "", err);
}

/* One object, stored under the id its `id_key` holds (NULL: "me"). */
static int sync_object(struct task *t, const char *path, const char *id_key,
                       struct hs_error *err)
{
    char *url = api_url(t, path);
    json_t *doc = NULL;
    int rc = task_get_json(t, url, &doc, err);
    if (rc == 0 && !json_is_object(doc))
        rc = hs_error_set(err, HS_ERR_FINAL, "GET %s: expected a JSON object", path);
    char *id = rc == 0 && id_key ? json_strdup(json_object_get(doc, id_key)) : NULL;
    if (rc == 0)
        rc = task_put(t, id ? id : "me", NULL, NULL, NULL, doc, err);
    if (rc == 0)
        rc = commit_now(t, err);
    free(id);
    json_decref(doc);
    free(url);
    return rc;
}

static int sync_profile(struct task *t, struct hs_error *err)
{
    return sync_object(t, "/v2/user/profile/basic", "user_id", err);
}

static int sync_body(struct task *t, struct hs_error *err)
{
    return sync_object(t, "/v2/user/measurement/body", NULL, err);
}

static const struct cursor_paging whoop_paging = {"records", "next_token", "nextToken", false};

/* How a collection's records become rows. */
struct collection {
    const char *path;
    const char *id_key;    /* the record id: "id", or a recovery's "cycle_id" */
    const char *start_key; /* start_time: "start", or a recovery's "created_at" */
};

static const struct collection cycles = {"/v2/cycle", "id", "start"};
static const struct collection recoveries = {"/v2/recovery", "cycle_id", "created_at"};
static const struct collection sleeps = {"/v2/activity/sleep", "id", "start"};
static const struct collection workouts = {"/v2/activity/workout", "id", "start"};

static int put_record(struct task *t, json_t *rec, void *arg, struct hs_error *err)
{
    const struct collection *c = arg;
    char *id = json_strdup(json_object_get(rec, c->id_key));
    if (!id)
        return hs_error_set(err, HS_ERR_FINAL, "a %s record without %s", t->resource->name,
                            c->id_key);
    char *start = json_strdup(json_object_get(rec, c->start_key));
    char *end = json_strdup(json_object_get(rec, "end")); /* absent while ongoing */
    char *updated = json_strdup(json_object_get(rec, "updated_at"));
    int rc = task_put(t, id, start, end, updated, rec, err);
    free(id);
    free(start);
    free(end);
    free(updated);
    return rc;
}

/* Where the listing starts: start_date on a full pass (first backfill,
 * --full, reconciliation), else the watermark minus overlap_days. */
static time_t list_from(const struct task *t)
{
    time_t from = 0, wm;
    time_parse_date(run_config_str(t->run, "start_date"), &from);
    if (!t->full && t->state.watermark && time_parse(t->state.watermark, &wm) == 0) {
        time_t back = wm - (time_t)run_config_int(t->run, "overlap_days") * DAY;
        if (back > from)
            from = back;
    }
    return from;
}

/* Lists the collection from list_from() to now, a commit per page; then,
 * the listing complete, deletes what was stored from there on but not
 * listed, and moves the watermark to the sync's start. */
static int sync_collection(struct task *t, const struct collection *c, struct hs_error *err)
{
    char from[TIME_ISO_LEN], size[24];
    time_format_iso(list_from(t), from);
    snprintf(size, sizeof size, "%lld", run_config_int(t->run, "page_size"));
    char *base = api_url(t, c->path);
    struct buf url = BUF_INIT;
    buf_adds(&url, base);
    http_url_add_param(&url, "limit", size);
    http_url_add_param(&url, "start", from);
    free(base);
    int pages = 0;
    int rc = http_built(&url, err) < 0
                 ? -1
                 : cursor_list(t, url.data, &whoop_paging, put_record, (void *)c, true, &pages, err);
    buf_free(&url);
    if (rc == 0) {
        task_progress(t, "listed from %s in %d page%s", from, pages, pages == 1 ? "" : "s");
        rc = task_sweep(t, from, NULL, err);
    }
    return rc == 0 ? commit_now(t, err) : -1;
}

static int sync_cycles(struct task *t, struct hs_error *err)
{
    return sync_collection(t, &cycles, err);
}

static int sync_recoveries(struct task *t, struct hs_error *err)
{
    return sync_collection(t, &recoveries, err);
}

static int sync_sleep(struct task *t, struct hs_error *err)
{
    return sync_collection(t, &sleeps, err);
}

static int sync_workouts(struct task *t, struct hs_error *err)
{
    return sync_collection(t, &workouts, err);
}

static const struct resource whoop_resources[] = {
    {"profile_basic", sync_profile},
    {"body_measurement", sync_body},
    {"cycles", sync_cycles},
    {"recoveries", sync_recoveries},
    {"sleep", sync_sleep},
    {"workouts", sync_workouts},
    {NULL},
};

/* init's check: one page of the cycles of the last 30 days. */
static int whoop_probe(struct provider_run *r, struct buf *found, struct hs_error *err)
{
    char from[TIME_ISO_LEN];
    time_format_iso(time_now() - 30 * 86400, from);
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/v2/cycle", run_config_str(r, "base_url"));
    http_url_add_param(&url, "limit", "25");
    http_url_add_param(&url, "start", from);
    int rc = run_probe_count(r, url.data, "records", "cycle", "cycles", found, err);
    buf_free(&url);
    return rc;
}

const struct provider whoop_provider = {
    .name = "whoop",
    .title = "WHOOP",
    .auth = AUTH_OAUTH2,
    .own_keys = whoop_keys,
    .base_url = "https://api.prod.whoop.com/developer",
    .resources = whoop_resources,
    .oauth2 = &whoop_oauth2,
    .authenticate = oauth2_authenticate,
    .prepare = whoop_prepare,
    .refresh = oauth2_refresh,
    .cleanup = whoop_cleanup,
    .setup_url = "https://developer-dashboard.whoop.com",
    .probe = whoop_probe,
};
