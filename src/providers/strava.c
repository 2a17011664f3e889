/* Strava (API v3): the athlete's profile and activity list.
 *
 * The activity list filters by start time only (`after`, `before`), and
 * summary activities carry no updated_at, so an edit or deletion shows up
 * only when its start time is listed again.  A plain run therefore re-lists
 * overlap_seconds before the watermark and sweeps that window; a full pass
 * re-lists start_date..now and sweeps everything in it.  With only `after`
 * Strava lists oldest first, so each page's latest start is a safe
 * watermark to commit with it.
 *
 * Every API reply reports the 15-minute and daily budgets (overall and
 * read); the HTTP hooks below wait for the next quarter hour when the
 * short one is spent and stop cleanly when the daily one is. */
#include "oauth2.h"
#include "log.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config_key strava_keys[] = {
    {"access_token", CFG_SECRET, NULL, 0, 0, "static access token (overrides OAuth2; never refreshed)"},
    {"approval_prompt", CFG_STRING, "auto", 0, 0, "auto or force"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_seconds", CFG_INT, "604800", 0, 315360000, "seconds re-fetched before the watermark"},
    {"page_size", CFG_INT, "100", 1, 200, "activities per page (1-200)"},
    {NULL},
};

#define QUARTER_HOUR 900

/* ---------------------------------------------------------------- rate limits */

enum { SHORT_WINDOW, DAILY_WINDOW };

/* One budget as the last reply reported it: "limit15,limitday" and
 * "usage15,usageday". */
struct budget {
    const char *name;
    bool known;
    long limit[2], usage[2];
};

struct strava_run {
    struct budget overall, read;
    const char *resource; /* the task running, for progress lines */
};

static int parse_pair(const char *s, long out[2])
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || *end != ',')
        return -1;
    const char *second = end + 1;
    long b = strtol(second, &end, 10);
    if (end == second)
        return -1;
    out[0] = a;
    out[1] = b;
    return 0;
}

static void read_budget(const struct http_response *resp, const char *limit_header,
                        const char *usage_header, struct budget *b)
{
    char *limit = http_response_header(resp, limit_header);
    char *usage = http_response_header(resp, usage_header);
    long l[2], u[2];
    if (limit && usage && parse_pair(limit, l) == 0 && parse_pair(usage, u) == 0) {
        memcpy(b->limit, l, sizeof l);
        memcpy(b->usage, u, sizeof u);
        b->known = true;
    }
    free(limit);
    free(usage);
}

/* http hook after each response (token replies carry no budget: ignored). */
static void note_budget(void *arg, const struct http_response *resp)
{
    struct strava_run *s = arg;
    read_budget(resp, "X-RateLimit-Limit", "X-RateLimit-Usage", &s->overall);
    read_budget(resp, "X-ReadRateLimit-Limit", "X-ReadRateLimit-Usage", &s->read);
}

static bool spent(const struct budget *b, int window)
{
    return b->known && b->limit[window] > 0 && b->usage[window] >= b->limit[window];
}

/* The spent budget of a window, or NULL. */
static const struct budget *spent_budget(const struct strava_run *s, int window)
{
    if (spent(&s->read, window))
        return &s->read;
    if (spent(&s->overall, window))
        return &s->overall;
    return NULL;
}

/* http hook before each attempt.  Strava resets the 15-minute budgets at
 * :00, :15, :30 and :45 and the daily ones at midnight UTC. */
static int wait_for_budget(void *arg, struct hs_error *err)
{
    struct strava_run *s = arg;
    const struct budget *b = spent_budget(s, DAILY_WINDOW);
    if (b)
        return hs_error_set(err, HS_ERR_WAIT,
                            "daily rate limit reached; progress kept, run sync again tomorrow "
                            "(%s %ld/%ld)",
                            b->name, b->usage[DAILY_WINDOW], b->limit[DAILY_WINDOW]);
    b = spent_budget(s, SHORT_WINDOW);
    if (!b)
        return 0;
    long wait = QUARTER_HOUR - (long)(time_now() % QUARTER_HOUR) + 1;
    log_progress("strava", s->resource ? s->resource : "*",
                 "15-minute rate limit reached (%s %ld/%ld); waiting %ld s for the next "
                 "quarter hour",
                 b->name, b->usage[SHORT_WINDOW], b->limit[SHORT_WINDOW], wait);
    if (http_sleep_ms(wait * 1000) < 0)
        return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    s->overall.usage[SHORT_WINDOW] = 0;
    s->read.usage[SHORT_WINDOW] = 0;
    return 0;
}

/* ---------------------------------------------------------------- tokens */

/* Client credentials in the form body; scopes comma-separated; the reply's
 * expiry is an absolute epoch.  A static access_token wins over OAuth2. */
static const struct oauth2_param strava_authorize_params[] = {
    {"approval_prompt", NULL, "approval_prompt"},
    {NULL},
};

static const struct oauth2_flow strava_oauth2 = {
    .authorize_url = "https://www.strava.com/oauth/authorize",
    .token_url = "https://www.strava.com/oauth/token",
    /* Its host must be the application's callback domain. */
    .redirect_uri = "http://127.0.0.1:8486/callback",
    .scopes = "read,activity:read_all",
    .client_auth = OAUTH2_CLIENT_BODY,
    .scope_separator = ',',
    .authorize_params = strava_authorize_params,
    .code_grant_without_redirect = true,
    .expires_at_absolute = true,
    .static_token_key = "access_token",
    .static_token_method = "static_access_token",
    .static_token_name = "static access token",
};

static int strava_prepare(struct provider_run *run, struct hs_error *err)
{
    struct strava_run *s = calloc(1, sizeof *s);
    if (!s)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    s->overall.name = "requests";
    s->read.name = "read requests";
    run->data = s;
    const struct http_hooks hooks = {wait_for_budget, note_budget, s};
    http_client_set_hooks(run->http, &hooks);
    return oauth2_prepare(run, err);
}

static void strava_cleanup(struct provider_run *run)
{
    http_client_set_hooks(run->http, NULL);
    free(run->data);
    run->data = NULL;
}

/* ---------------------------------------------------------------- resources */

static void api_url(const struct task *t, const char *path, struct buf *url)
{
    const char *base = run_config_str(t->run, "base_url");
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    buf_add(url, base, n);
    buf_adds(url, path);
}

static void note_resource(struct task *t)
{
    struct strava_run *s = t->run->data;
    if (s)
        s->resource = t->resource->name;
}

static int sync_athlete(struct task *t, struct hs_error *err)
{
    note_resource(t);
    struct buf url = BUF_INIT;
    api_url(t, "/athlete", &url);
    json_t *athlete = NULL;
    int rc = task_get_json(t, url.data, &athlete, err);
    if (rc == 0 && !json_is_object(athlete))
        rc = hs_error_set(err, HS_ERR_FINAL, "GET %s: expected a JSON object", url.data);
    if (rc == 0) {
        char now[TIME_ISO_LEN];
        time_format_iso(t->run->now, now);
        char *id = json_strdup(JSON_FIRST(athlete, "id"));
        rc = task_put(t, id ? id : "me", NULL, NULL, now, athlete, err);
        free(id);
        if (rc == 0)
            rc = task_commit(t, now, NULL, err);
    }
    json_decref(athlete);
    buf_free(&url);
    return rc;
}

/* The window one run lists: (after, before), before = 0 meaning open. */
struct window {
    time_t after, before;
    time_t latest; /* the watermark: the latest start seen, at least the old one */
};

static int plan_window(struct task *t, struct window *w, struct hs_error *err)
{
    const char *start_date = run_config_str(t->run, "start_date");
    time_t anchor;
    if (time_parse_date(start_date, &anchor) < 0)
        return hs_error_set(err, HS_ERR_CONFIG, "[strava].start_date is not a YYYY-MM-DD date");
    time_t old;
    bool have_old = t->state.watermark && time_parse(t->state.watermark, &old) == 0;
    /* Without a watermark the start_date anchor stands in for it, so an
     * empty first run never jumps to "now", hiding older activities uploaded
     * later (the Python tool did). */
    w->latest = have_old ? old : anchor;
    if (t->full || !have_old) {
        w->after = anchor;
        w->before = t->full ? t->run->now : 0;
    } else {
        long long back = (long long)old - run_config_int(t->run, "overlap_seconds");
        w->after = back > 0 ? (time_t)back : 0;
        w->before = 0;
    }
    return 0;
}

/* Queues one summary activity; raises w->latest to its start. */
static int put_activity(struct task *t, json_t *item, struct window *w, struct hs_error *err)
{
    char hash[65];
    char *id = json_strdup(JSON_FIRST(item, "id"));
    if (!id && json_hash(item, hash) == 0)
        id = strdup(hash);
    json_t *start_date = json_object_get(item, "start_date");
    char *start = json_is_null(start_date) ? NULL : json_strdup(start_date);
    char *updated = json_strdup(JSON_FIRST(item, "updated_at", "start_date"));
    time_t at;
    if (start && time_parse(start, &at) == 0 && at > w->latest)
        w->latest = at;
    int rc = task_put(t, id, start, NULL, updated, item, err);
    free(id);
    free(start);
    free(updated);
    return rc;
}

static void activities_page_url(struct task *t, const struct window *w, long page,
                                long long per_page, struct buf *url)
{
    char num[32];
    api_url(t, "/athlete/activities", url);
    snprintf(num, sizeof num, "%lld", (long long)w->after);
    http_url_add_param(url, "after", num);
    if (w->before) {
        snprintf(num, sizeof num, "%lld", (long long)w->before);
        http_url_add_param(url, "before", num);
    }
    snprintf(num, sizeof num, "%ld", page);
    http_url_add_param(url, "page", num);
    snprintf(num, sizeof num, "%lld", per_page);
    http_url_add_param(url, "per_page", num);
}

/* Lists the window page by page, committing each page with the watermark.
 * *complete tells whether the listing ran to its natural end. */
static int list_activities(struct task *t, struct window *w, bool *complete, struct hs_error *err)
{
    long long per_page = run_config_int(t->run, "page_size");
    long total = 0;
    *complete = false;
    for (long page = 1;; page++) {
        struct buf url = BUF_INIT;
        activities_page_url(t, w, page, per_page, &url);
        json_t *items = NULL;
        int rc = http_built(&url, err) < 0 ? -1 : task_get_json(t, url.data, &items, err);
        buf_free(&url);
        if (rc < 0)
            return -1;
        if (!json_is_array(items)) { /* the Python tool's end of listing; too odd to sweep after */
            json_decref(items);
            return 0;
        }
        size_t i, n = json_array_size(items);
        json_t *item;
        json_array_foreach(items, i, item) {
            if (put_activity(t, item, w, err) < 0) {
                json_decref(items);
                return -1;
            }
        }
        json_decref(items);
        char watermark[32];
        snprintf(watermark, sizeof watermark, "%lld", (long long)w->latest);
        if (task_commit(t, watermark, NULL, err) < 0)
            return -1;
        total += (long)n;
        task_progress(t, "page %ld: %ld activities so far", page, total);
        if (n == 0 || (long long)n < per_page)
            break;
    }
    *complete = true;
    return 0;
}

/* Deletes stored activities in the listed window that upstream no longer
 * has.  Bounds are start times as stored ("YYYY-MM-DDTHH:MM:SSZ"), and both
 * filters are exclusive. */
static int sweep_window(struct task *t, const struct window *w, struct hs_error *err)
{
    char from[TIME_ISO_LEN], to[TIME_ISO_LEN];
    time_format_iso(w->after + 1, from);
    if (w->before)
        time_format_iso(w->before - 1, to);
    if (task_sweep(t, from, w->before ? to : NULL, err) < 0)
        return -1;
    return task_commit(t, NULL, NULL, err);
}

static int sync_activities(struct task *t, struct hs_error *err)
{
    note_resource(t);
    struct window w = {0};
    if (plan_window(t, &w, err) < 0)
        return -1;
    bool complete;
    if (list_activities(t, &w, &complete, err) < 0)
        return -1;
    return complete ? sweep_window(t, &w, err) : 0;
}

static const struct resource strava_resources[] = {
    {"athlete", sync_athlete},
    {"activities", sync_activities},
    {NULL},
};

/* init's check: one request for the athlete the token belongs to. */
static int strava_probe(struct provider_run *r, struct buf *found, struct hs_error *err)
{
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/athlete", run_config_str(r, "base_url"));
    json_t *athlete = NULL;
    int rc = run_get_json(r, url.data, &athlete, err);
    buf_free(&url);
    if (rc < 0)
        return -1;
    const char *first = json_string_value(json_object_get(athlete, "firstname"));
    const char *last = json_string_value(json_object_get(athlete, "lastname"));
    buf_addf(found, "signed in as %s%s%s", first ? first : "the athlete", last ? " " : "",
             last ? last : "");
    json_decref(athlete);
    return 0;
}

const struct provider strava_provider = {
    .name = "strava",
    .title = "Strava",
    .auth = AUTH_OAUTH2,
    .own_keys = strava_keys,
    .base_url = "https://www.strava.com/api/v3",
    .resources = strava_resources,
    .oauth2 = &strava_oauth2,
    .authenticate = oauth2_authenticate,
    .prepare = strava_prepare,
    .refresh = oauth2_refresh,
    .cleanup = strava_cleanup,
    .setup_url = "https://www.strava.com/settings/api",
    .probe = strava_probe,
};
