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
#include "authflow.h"
#include "log.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config_key strava_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"access_token", CFG_SECRET, NULL, 0, 0, "static access token (overrides OAuth2; never refreshed)"},
    {"client_id", CFG_STRING, NULL, 0, 0, "OAuth2 client id of your Strava application"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "OAuth2 client secret"},
    {"redirect_uri", CFG_URL, "http://127.0.0.1:8486/callback", 0, 0, "its host must be the application callback domain"},
    {"scopes", CFG_STRING, "read,activity:read_all", 0, 0, "comma-separated OAuth2 scopes"},
    {"approval_prompt", CFG_STRING, "auto", 0, 0, "auto or force"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_seconds", CFG_INT, "604800", 0, 315360000, "seconds re-fetched before the watermark"},
    {"page_size", CFG_INT, "100", 1, 200, "activities per page (1-200)"},
    {"base_url", CFG_URL, "https://www.strava.com/api/v3", 0, 0, "API root holding /athlete"},
    {"authorize_url", CFG_URL, "https://www.strava.com/oauth/authorize", 0, 0, "OAuth2 authorize endpoint"},
    {"token_url", CFG_URL, "https://www.strava.com/oauth/token", 0, 0, "OAuth2 token endpoint"},
    {"max_concurrency", CFG_INT, "4", 1, 64, "parallel requests to this provider"},
    {"resources", CFG_LIST, NULL, 0, 0, "resources to sync (unset: every one)"},
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

static const char *static_token(const struct provider_run *run)
{
    return run_config_str(run, "access_token");
}

static int store_static_token(struct provider_run *run, const char *access_token,
                              struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    time_format_iso(time_now(), now);
    struct token t = {
        .provider = "strava",
        .access_token = (char *)access_token,
        .token_type = "Bearer",
        .obtained_at = now,
        .extra_json = "{\"method\":\"static_access_token\"}",
    };
    if (run_save_token(run, &t, err) < 0)
        return -1;
    log_info("Stored the Strava access_token from the config (used as is, never refreshed).");
    return 0;
}

/* POSTs a token request form; the reply is stored (keeping previous_refresh
 * when the reply has none). */
static int token_request(struct provider_run *run, struct buf *form, const char *previous_refresh,
                         bool say, struct hs_error *err)
{
    const char *token_url = run_config_str(run, "token_url");
    struct http_request req = {
        .method = "POST",
        .url = token_url,
        .body = form->data,
        .content_type = "application/x-www-form-urlencoded",
    };
    json_t *reply = NULL;
    if (http_send_json(run->http, &req, &reply, err) < 0)
        return -1;
    int rc = authflow_store_reply(run, reply, true, previous_refresh, say, err);
    json_decref(reply);
    return rc;
}

static int add_client_credentials(struct provider_run *run, struct buf *form,
                                  struct hs_error *err)
{
    const char *client_id = run_config_require(run, "client_id", err);
    const char *client_secret = client_id ? run_config_require(run, "client_secret", err) : NULL;
    if (!client_secret)
        return -1;
    log_add_secret(client_secret);
    http_form_add(form, "client_id", client_id);
    http_form_add(form, "client_secret", client_secret);
    return 0;
}

static int strava_refresh(struct provider_run *run, struct hs_error *err)
{
    if (static_token(run))
        return hs_error_set(err, HS_ERR_AUTH,
                            "Strava rejected [strava].access_token, which is never refreshed; "
                            "replace it, or remove it and run `health-sync auth strava`");
    struct token old = {0};
    int found = run_load_token(run, &old, err);
    if (found < 0)
        return -1;
    if (found == 0 || !old.refresh_token) {
        store_token_clear(&old);
        return hs_error_set(err, HS_ERR_AUTH,
                            "no Strava refresh token stored; run `health-sync auth strava`");
    }
    struct buf form = BUF_INIT;
    int rc = add_client_credentials(run, &form, err);
    if (rc == 0) {
        http_form_add(&form, "grant_type", "refresh_token");
        http_form_add(&form, "refresh_token", old.refresh_token);
        struct hs_error why = HS_ERROR_INIT;
        rc = token_request(run, &form, old.refresh_token, false, &why);
        /* A rejected refresh (an HTTP 4xx, a reply without a token) needs a
         * new authorization; anything else (network, 5xx, interruption)
         * keeps its kind. */
        bool rejected = why.kind == HS_ERR_AUTH || (why.kind == HS_ERR_FINAL && why.http_status);
        if (rc < 0 && rejected) {
            hs_error_set(err, HS_ERR_AUTH,
                         "Strava token refresh failed (%s); run `health-sync auth strava`",
                         why.msg);
        } else if (rc < 0) {
            *err = why;
            hs_error_prefix(err, "Strava token refresh failed: ");
        }
    }
    buf_free(&form);
    store_token_clear(&old);
    return rc;
}

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
    const char *token = static_token(run);
    if (token) {
        run_set_access_token(run, token);
        return 0;
    }
    return authflow_prepare(run, err);
}

static void strava_cleanup(struct provider_run *run)
{
    http_client_set_hooks(run->http, NULL);
    free(run->data);
    run->data = NULL;
}

/* ---------------------------------------------------------------- auth */

static bool in_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p;) {
        if (!strncmp(p, item, n) && (p[n] == ',' || p[n] == '\0'))
            return true;
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return false;
}

/* Strava wants scopes comma-separated: spaces become commas, repeats go. */
static char *normalised_scopes(const char *scopes)
{
    char *copy = strdup(scopes ? scopes : "");
    struct buf out = BUF_INIT;
    char *save = NULL;
    for (char *s = strtok_r(copy, ", \t\n", &save); s; s = strtok_r(NULL, ", \t\n", &save))
        if (!in_list(out.data, s))
            buf_addf(&out, "%s%s", out.len ? "," : "", s);
    free(copy);
    return buf_detach(&out);
}

static int exchange_code(struct provider_run *run, const char *code, struct hs_error *err)
{
    struct buf form = BUF_INIT;
    int rc = add_client_credentials(run, &form, err);
    if (rc == 0) {
        log_add_secret(code);
        http_form_add(&form, "code", code);
        http_form_add(&form, "grant_type", "authorization_code");
        rc = token_request(run, &form, NULL, true, err);
    }
    buf_free(&form);
    return rc;
}

static int strava_authenticate(struct auth_ctx *a, struct hs_error *err)
{
    struct provider_run *run = a->run;
    if (static_token(run))
        return store_static_token(run, static_token(run), err);
    const char *client_id = run_config_require(run, "client_id", err);
    const char *redirect_uri = client_id ? run_config_require(run, "redirect_uri", err) : NULL;
    if (!redirect_uri || !run_config_require(run, "client_secret", err))
        return -1;
    char *scope = normalised_scopes(run_config_str(run, "scopes"));
    const struct http_header params[] = {
        {"client_id", client_id},
        {"response_type", "code"},
        {"redirect_uri", redirect_uri},
        {"approval_prompt", run_config_str(run, "approval_prompt")},
        {"scope", scope},
        {NULL, NULL},
    };
    struct oauth_callback cb = {0};
    int rc = authflow_authorize(a, run_config_str(run, "authorize_url"), params, &cb, err);
    if (rc == 0)
        rc = exchange_code(run, cb.code, err);
    oauth_callback_clear(&cb);
    free(scope);
    return rc;
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
     * empty first run never jumps to "now" (spec §6 #7). */
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
        int rc = task_get_json(t, url.data, &items, err);
        buf_free(&url);
        if (rc < 0)
            return -1;
        if (!json_is_array(items)) { /* the seed's end of listing; too odd to sweep after */
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

const struct provider strava_provider = {
    .name = "strava",
    .title = "Strava",
    .auth = AUTH_OAUTH2,
    .config_keys = strava_keys,
    .resources = strava_resources,
    .authenticate = strava_authenticate,
    .prepare = strava_prepare,
    .refresh = strava_refresh,
    .cleanup = strava_cleanup,
};
