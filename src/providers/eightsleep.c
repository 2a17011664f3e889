/* Eight Sleep: the unofficial client API the mobile app uses (endpoints, ids
 * and quirks: docs/providers.md, "Eight Sleep").
 *
 * Auth is a password grant at auth_url; the token lives about 20 hours and is
 * never refreshed with a refresh token: a new login replaces it, on expiry or
 * on a 401.  A configured access_token is used as is.
 *
 * Resources, in order: users_me, devices (every device of the account), users
 * (the people on those devices), trends (one row per user and night, asked for
 * in 90-day windows of local dates), intervals (sleep sessions, newest first,
 * paged with a `next` cursor).  Each later resource uses the ids the earlier
 * ones found, kept in run->data; when those are incomplete it fails rather
 * than sweep another person's nights away.
 *
 * This file: the account's ids, the snapshots (users_me, devices, users),
 * trends and the provider table; the login is eightsleep_auth.c, the
 * intervals walk eightsleep_intervals.c (shared declarations: eightsleep.h). */
#include "eightsleep.h"

#include "log.h"
#include "timeutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRENDS_WINDOW_DAYS 90

static const struct config_key eightsleep_keys[] = {
    {"access_token", CFG_SECRET, NULL, 0, 0, "static access token (overrides the password login)"},
    {"email", CFG_STRING, NULL, 0, 0, "account e-mail for the password grant"},
    {"password", CFG_SECRET, NULL, 0, 0, "account password"},
    {"client_id", CFG_STRING, NULL, 0, 0, "client id of the Eight Sleep app"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "client secret of the Eight Sleep app"},
    {"timezone", CFG_TZ, "UTC", 0, 0, "IANA zone for trend days (sent as tz)"},
    {"auth_url", CFG_URL, "https://auth-api.8slp.net/v1/tokens", 0, 0, "token endpoint"},
    {"client_api_url", CFG_URL, "https://client-api.8slp.net/v1", 0, 0, "API root holding /users"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first night to backfill"},
    {"overlap_days", CFG_INT, "2", 0, 3650, "days re-fetched before the watermark"},
    {"intervals_days", CFG_INT, "0", 0, 36500,
     "days of sessions intervals walks back (0: the whole history, within the history budget)"},
    {NULL},
};

/* ---------------------------------------------------------------- ids */


static void strlist_clear(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static bool strlist_has(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

/* Adds a copy of s unless it is already there. */
static int strlist_add_unique(struct strlist *l, const char *s, struct hs_error *err)
{
    if (strlist_has(l, s))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return hs_error_set(err, HS_ERR_FINAL, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct account *account_of(struct provider_run *run)
{
    if (!run->data)
        run->data = calloc(1, sizeof(struct account));
    return run->data;
}

static void account_reset(struct account *a)
{
    free(a->me_id);
    strlist_clear(&a->devices);
    strlist_clear(&a->users);
    memset(a, 0, sizeof *a);
}

static void eightsleep_cleanup(struct provider_run *run)
{
    if (run->data)
        account_reset(run->data);
    free(run->data);
    run->data = NULL;
}

/* The users list is only trustworthy when users_me and devices both worked. */
struct account *eightsleep_require_users(struct task *t, struct hs_error *err)
{
    struct account *a = account_of(t->run);
    if (!a) {
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    if (!a->me_ok || !a->devices_ok) {
        hs_error_set(err, HS_ERR_FINAL,
                     "skipped: the account's users are unknown because %s failed",
                     a->me_ok ? "devices" : "users_me");
        return NULL;
    }
    return a;
}

/* ---------------------------------------------------------------- requests */

/* The User-Agent stays the core's "health-sync/...": an Eight Sleep API
 * developer said the 2024 lock-out was not about the app's UA and asked
 * third-party clients to name themselves (lukas-clarke/eight_sleep#61). */
static const struct http_header api_headers[] = {
    {"Content-Type", "application/json"},
    {NULL, NULL},
};

/* <client_api_url>/<first>/<id>[/<rest>], the id percent-encoded. */
void eightsleep_api_url(struct task *t, struct buf *url, const char *first, const char *id,
                        const char *rest)
{
    char *escaped = http_escape(id);
    buf_reset(url);
    buf_addf(url, "%s/%s/%s%s%s", run_config_str(t->run, "client_api_url"), first,
             escaped ? escaped : "", rest ? "/" : "", rest ? rest : "");
    free(escaped);
}

int eightsleep_api_get(struct task *t, const char *url, json_t **out, struct hs_error *err)
{
    struct http_request req = {.method = "GET", .url = url, .headers = api_headers};
    return task_request_json(t, &req, out, err);
}

int eightsleep_shape_error(const char *url, const char *what, struct hs_error *err)
{
    return hs_error_set(err, HS_ERR_FINAL,
                        "unexpected reply from GET %s: %s (has the API changed?)", url, what);
}

void eightsleep_now_iso(const struct task *t, char out[TIME_ISO_LEN])
{
    time_format_iso(t->run->now, out);
}

/* Snapshots (users_me, devices, users) end with a sweep on a full pass. */
static int finish_snapshot(struct task *t, struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    eightsleep_now_iso(t, now);
    if (t->full && task_sweep(t, NULL, NULL, err) < 0)
        return -1;
    return task_commit(t, now, NULL, err);
}

/* ---------------------------------------------------------------- users_me */

static int collect_device_ids(struct account *a, const json_t *devices, const char *url,
                              struct hs_error *err)
{
    if (devices && !json_is_null(devices) && !json_is_array(devices))
        return eightsleep_shape_error(url, "`user.devices` is not an array", err);
    size_t i;
    json_t *d;
    json_array_foreach(devices, i, d)
    {
        char *id = json_truthy(d) ? json_strdup(d) : NULL;
        int rc = id ? strlist_add_unique(&a->devices, id, err) : 0;
        free(id);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int sync_users_me(struct task *t, struct hs_error *err)
{
    struct account *a = account_of(t->run);
    if (!a)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    account_reset(a);
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/users/me", run_config_str(t->run, "client_api_url"));
    json_t *reply = NULL;
    int rc = http_built(&url, err) < 0 ? -1 : eightsleep_api_get(t, url.data, &reply, err);
    json_t *user = json_object_get(reply, "user");
    if (rc == 0 && !json_is_object(user))
        rc = eightsleep_shape_error(url.data, "no `user` object", err);
    if (rc == 0)
        rc = collect_device_ids(a, json_object_get(user, "devices"), url.data, err);
    if (rc == 0) {
        /* Real replies carry `userId`; the Python tool read only `id`. */
        json_t *id = JSON_FIRST(user, "userId", "id");
        a->me_id = id ? json_strdup(id) : NULL;
        if (!a->me_id)
            a->me_id = strdup("me");
        char now[TIME_ISO_LEN];
        eightsleep_now_iso(t, now);
        rc = task_put(t, a->me_id, NULL, NULL, now, reply, err);
    }
    if (rc == 0)
        rc = finish_snapshot(t, err);
    a->me_ok = rc == 0;
    json_decref(reply);
    buf_free(&url);
    return rc;
}

/* ---------------------------------------------------------------- devices */

static int add_user_id(struct strlist *users, const json_t *v, struct hs_error *err)
{
    if (!json_truthy(v))
        return 0;
    char *id = json_strdup(v);
    int rc = id ? strlist_add_unique(users, id, err) : 0;
    free(id);
    return rc;
}

/* leftUserId, rightUserId and the away users of one device. */
static int collect_side_users(struct strlist *users, const json_t *result, const char *url,
                              struct hs_error *err)
{
    if (add_user_id(users, json_object_get(result, "leftUserId"), err) < 0 ||
        add_user_id(users, json_object_get(result, "rightUserId"), err) < 0)
        return -1;
    json_t *away = json_object_get(result, "awaySides");
    if (away && !json_is_null(away) && !json_is_object(away))
        return eightsleep_shape_error(url, "`result.awaySides` is not an object", err);
    const char *side;
    json_t *id;
    json_object_foreach(away, side, id)
    {
        if (add_user_id(users, id, err) < 0)
            return -1;
    }
    return 0;
}

/* The URL <first>/<id>[/<rest>] of each id (devices, users); NULL when out
 * of memory. */
static char **id_urls(struct task *t, const char *first, const struct strlist *ids,
                      const char *rest)
{
    char **urls = calloc(ids->n ? ids->n : 1, sizeof *urls);
    for (size_t i = 0; urls && i < ids->n; i++) {
        struct buf url = BUF_INIT;
        eightsleep_api_url(t, &url, first, ids->v[i], rest);
        urls[i] = buf_detach(&url);
    }
    return urls;
}

/* The devices are asked side by side; a fetching thread keeps a device's
 * side users in that device's own list, and the task's thread adds them to
 * the account. */
struct devices_pass {
    struct account *account;
    struct strlist *side_users; /* one per device */
};

/* One device's reply, on a fetching thread: its record queued. */
static int put_device(struct task *jt, size_t job, json_t *reply, void *arg, struct hs_error *err)
{
    struct devices_pass *pass = arg;
    const char *device_id = pass->account->devices.v[job];
    struct buf url = BUF_INIT;
    eightsleep_api_url(jt, &url, "devices", device_id, NULL);
    json_t *result = json_object_get(reply, "result");
    int rc;
    if (json_is_object(result))
        rc = collect_side_users(&pass->side_users[job], result, url.data, err);
    else
        rc = eightsleep_shape_error(url.data, "no `result` object", err);
    buf_free(&url);
    if (rc < 0)
        return -1;
    char now[TIME_ISO_LEN];
    eightsleep_now_iso(jt, now);
    return task_put(jt, device_id, NULL, NULL, now, reply, err);
}

/* After a device, on the task's thread: its users known, its record stored. */
static int device_done(struct task *t, size_t job, void *arg, struct hs_error *err)
{
    struct devices_pass *pass = arg;
    const struct strlist *found = &pass->side_users[job];
    task_progress(t, "device %zu/%zu", job + 1, pass->account->devices.n);
    for (size_t i = 0; i < found->n; i++)
        if (strlist_add_unique(&pass->account->users, found->v[i], err) < 0)
            return -1;
    return task_commit(t, NULL, NULL, err);
}

/* Every device of the account (the Python tool read only the first). */
static int sync_devices(struct task *t, struct hs_error *err)
{
    struct account *a = account_of(t->run);
    if (!a || !a->me_ok)
        return hs_error_set(err, HS_ERR_FINAL, "skipped: users_me failed");
    strlist_clear(&a->users);
    if (strcmp(a->me_id, "me") && strlist_add_unique(&a->users, a->me_id, err) < 0)
        return -1;
    struct devices_pass pass = {a,
                                calloc(a->devices.n ? a->devices.n : 1, sizeof *pass.side_users)};
    char **urls = id_urls(t, "devices", &a->devices, NULL);
    int rc = urls && pass.side_users ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    if (rc == 0 && a->devices.n)
        rc = task_fetch_ahead(t, urls, a->devices.n, run_max_concurrency(t->run), task_single_page,
                              put_device, device_done, &pass, err);
    for (size_t i = 0; pass.side_users && i < a->devices.n; i++)
        strlist_clear(&pass.side_users[i]);
    free(pass.side_users);
    task_free_urls(urls, a->devices.n);
    if (rc < 0 || finish_snapshot(t, err) < 0)
        return -1;
    if (a->users.n > 1) /* qsort may not be handed the NULL of an empty list */
        qsort(a->users.v, a->users.n, sizeof *a->users.v, cmp_str);
    a->devices_ok = true;
    return 0;
}

/* ---------------------------------------------------------------- users */

/* The users' profiles being fetched: created[job] is that user's
 * createdAt (0: absent), written by the job's own fetching thread. */
struct users_pass {
    const struct account *account;
    time_t *created;
};

/* One user's reply, on a fetching thread: queued as that user's record. */
static int put_user(struct task *jt, size_t job, json_t *reply, void *arg, struct hs_error *err)
{
    struct users_pass *pass = arg;
    const char *created =
        json_string_value(json_object_get(json_object_get(reply, "user"), "createdAt"));
    if (!created || time_parse(created, &pass->created[job]) < 0)
        pass->created[job] = 0;
    char now[TIME_ISO_LEN];
    eightsleep_now_iso(jt, now);
    return task_put(jt, pass->account->users.v[job], NULL, NULL, now, reply, err);
}

/* The account's creation: the earliest of the users', 0 when one lacks it. */
static time_t account_created(const time_t *created, size_t n)
{
    time_t first = 0;
    for (size_t i = 0; i < n; i++) {
        if (!created[i])
            return 0;
        if (!first || created[i] < first)
            first = created[i];
    }
    return first;
}

/* Every user of the account, asked side by side: one snapshot, committed
 * once they are all in. */
static int sync_users(struct task *t, struct hs_error *err)
{
    struct account *a = eightsleep_require_users(t, err);
    if (!a)
        return -1;
    char **urls = id_urls(t, "users", &a->users, NULL);
    struct users_pass pass = {a, calloc(a->users.n ? a->users.n : 1, sizeof *pass.created)};
    int rc = urls && pass.created ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    if (rc == 0 && a->users.n)
        rc = task_fetch_ahead(t, urls, a->users.n, run_max_concurrency(t->run), task_single_page,
                              put_user, NULL, &pass, err);
    if (rc == 0)
        a->created = account_created(pass.created, a->users.n);
    free(pass.created);
    task_free_urls(urls, a->users.n);
    return rc < 0 ? -1 : finish_snapshot(t, err);
}

/* ---------------------------------------------------------------- trends */

static void date_add_days(const char *date, long days, char out[TIME_DATE_LEN])
{
    time_t t = 0;
    time_parse_date(date, &t);
    time_format_date(t + (time_t)days * DAY_SECONDS, out);
}

/* The first night to ask for: the watermark's date minus overlap_days, or
 * on a full pass (the first backfill included) start_date, or the day
 * before the account was created when that is later: walking the empty
 * years before it would cost a request per 90 days and user. */
static void trends_from(const struct task *t, const struct account *a, char out[TIME_DATE_LEN])
{
    const char *wm = t->state.watermark;
    time_t at;
    if (t->full || !wm || time_parse(wm, &at) < 0) {
        snprintf(out, TIME_DATE_LEN, "%s", run_config_str(t->run, "start_date"));
        char created[TIME_DATE_LEN];
        /* A day early: createdAt is UTC, nights are filed under local days. */
        time_format_date(a->created - DAY_SECONDS, created);
        if (a->created && strcmp(created, out) > 0) {
            log_debug("eightsleep: the account was created %s; trends start there", created);
            memcpy(out, created, TIME_DATE_LEN);
        }
        return;
    }
    time_format_date(at - (time_t)run_config_int(t->run, "overlap_days") * DAY_SECONDS, out);
}

/* The nights of a trends reply: `days`, or (other versions) `result`/`trends`. */
static json_t *trend_days(const json_t *reply, const char *url, struct hs_error *err)
{
    json_t *days = json_object_get(reply, "days");
    if (!days && json_is_array(json_object_get(reply, "result")))
        days = json_object_get(reply, "result");
    if (!days && json_is_array(json_object_get(reply, "trends")))
        days = json_object_get(reply, "trends");
    if (!json_is_array(days)) {
        eightsleep_shape_error(url, days ? "`days` is not an array" : "no `days` array", err);
        return NULL;
    }
    return days;
}

static int put_trend_day(struct task *t, const char *user_id, const json_t *day,
                         struct hs_error *err)
{
    struct buf rid = BUF_INIT;
    json_t *key = json_object_get(day, "day");
    buf_addf(&rid, "%s:", user_id);
    if (json_truthy(key)) {
        json_str(key, &rid);
    } else {
        char hash[65];
        json_hash(day, hash);
        buf_adds(&rid, hash);
    }
    json_t *start_v = JSON_FIRST(day, "day", "presenceStart");
    json_t *updated_v = JSON_FIRST(day, "updatedAt", "presenceStart");
    char *start = start_v ? json_strdup(start_v) : NULL;
    char *end = json_strdup(json_object_get(day, "presenceEnd"));
    char *updated = updated_v ? json_strdup(updated_v) : NULL;
    int rc = task_put(t, rid.data, start, end, updated ? updated : start, day, err);
    free(start);
    free(end);
    free(updated);
    buf_free(&rid);
    return rc;
}

static char *trends_url(struct task *t, const char *user_id, const char *from, const char *to,
                        const char *tz)
{
    struct buf url = BUF_INIT;
    eightsleep_api_url(t, &url, "users", user_id, "trends");
    http_url_add_param(&url, "tz", tz);
    http_url_add_param(&url, "from", from);
    http_url_add_param(&url, "to", to);
    http_url_add_param(&url, "include-main", "false");
    http_url_add_param(&url, "include-all-sessions", "true");
    http_url_add_param(&url, "model-version", "v2");
    return buf_detach(&url);
}

/* The trend windows of every user: job w * users + u is window w of user u. */
struct trends_pass {
    const struct account *account;
    char (*from)[TIME_DATE_LEN], (*to)[TIME_DATE_LEN];
    char **urls;
    size_t windows;
    char today[TIME_DATE_LEN];
};

/* One user's window, on a fetching thread: its nights queued. */
static int put_trends_page(struct task *jt, size_t job, json_t *reply, void *arg,
                           struct hs_error *err)
{
    const struct trends_pass *p = arg;
    const char *user_id = p->account->users.v[job % p->account->users.n];
    json_t *days = trend_days(reply, p->urls[job], err);
    if (!days)
        return -1;
    size_t i;
    json_t *day;
    json_array_foreach(days, i, day)
    {
        if (json_is_object(day) && put_trend_day(jt, user_id, day, err) < 0)
            return -1;
    }
    return 0;
}

/* After a window's last user: sweeps the nights the window no longer has
 * and commits with the watermark, the last local day fully fetched. */
static int trends_window_done(struct task *t, size_t job, void *arg, struct hs_error *err)
{
    const struct trends_pass *p = arg;
    size_t users = p->account->users.n, w = job / users;
    if (job % users != users - 1)
        return 0;
    task_progress_of(t, (long)w + 1, (long)p->windows, "window %zu of %zu: %s .. %s", w + 1,
                     p->windows, p->from[w], p->to[w]);
    char upper[TIME_DATE_LEN + 1];
    snprintf(upper, sizeof upper, "%s~", p->to[w]); /* '~' sorts after any time of that day */
    if (task_sweep(t, p->from[w], upper, err) < 0)
        return -1;
    char watermark[TIME_ISO_LEN];
    snprintf(watermark, sizeof watermark, "%sT00:00:00Z",
             strcmp(p->to[w], p->today) < 0 ? p->to[w] : p->today);
    return task_commit(t, watermark, NULL, err);
}

/* The windows from..to, TRENDS_WINDOW_DAYS each, into p (when not NULL);
 * returns how many. */
static size_t trend_windows(const char *from, const char *to, struct trends_pass *p)
{
    size_t n = 0;
    char wfrom[TIME_DATE_LEN], wto[TIME_DATE_LEN];
    snprintf(wfrom, sizeof wfrom, "%s", from);
    while (strcmp(wfrom, to) <= 0) {
        date_add_days(wfrom, TRENDS_WINDOW_DAYS - 1, wto);
        if (strcmp(wto, to) > 0)
            snprintf(wto, sizeof wto, "%s", to);
        if (p) {
            memcpy(p->from[n], wfrom, TIME_DATE_LEN);
            memcpy(p->to[n], wto, TIME_DATE_LEN);
        }
        n++;
        date_add_days(wto, 1, wfrom);
    }
    return n;
}

static void free_trends_pass(struct trends_pass *p)
{
    task_free_urls(p->urls, p->windows * p->account->users.n);
    free(p->from);
    free(p->to);
}

/* Windows of every user fetched side by side, stored and committed in order. */
static int sync_trends(struct task *t, struct hs_error *err)
{
    struct account *a = eightsleep_require_users(t, err);
    if (!a)
        return -1;
    const char *tz = run_config_str(t->run, "timezone");
    char to[TIME_DATE_LEN], from[TIME_DATE_LEN];
    struct trends_pass p = {.account = a};
    if (time_local_date(t->run->now, tz, p.today) < 0)
        return hs_error_set(err, HS_ERR_CONFIG, "unknown time zone '%s' in [eightsleep].timezone",
                            tz);
    /* The night that ends today local time is filed under today; the day
     * after is asked for too, as the Python tool's UTC `to` lagged east of UTC. */
    date_add_days(p.today, 1, to);
    trends_from(t, a, from);
    if (strcmp(from, to) > 0)
        snprintf(from, sizeof from, "%s", to);
    if (a->users.n == 0)
        return 0;
    p.windows = trend_windows(from, to, NULL);
    size_t jobs = p.windows * a->users.n;
    p.from = calloc(p.windows, sizeof *p.from);
    p.to = calloc(p.windows, sizeof *p.to);
    p.urls = calloc(jobs, sizeof *p.urls);
    int rc = p.from && p.to && p.urls ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    if (rc == 0)
        trend_windows(from, to, &p);
    for (size_t j = 0; rc == 0 && j < jobs; j++)
        p.urls[j] = trends_url(t, a->users.v[j % a->users.n], p.from[j / a->users.n],
                               p.to[j / a->users.n], tz);
    if (rc == 0)
        rc = task_fetch_ahead(t, p.urls, jobs, run_max_concurrency(t->run), task_single_page,
                              put_trends_page, trends_window_done, &p, err);
    free_trends_pass(&p);
    return rc;
}

/* ---------------------------------------------------------------- table */

static const struct resource eightsleep_resources[] = {
    /* Each needs what the ones before it found, except intervals, which
     * runs beside trends once users are known. */
    {"users_me", sync_users_me, .feeds_later = true},
    {"devices", sync_devices, true, .feeds_later = true},
    {"users", sync_users, true, .feeds_later = true},
    {"trends", sync_trends, true},
    {"intervals", eightsleep_sync_intervals, .optional = true},
    {NULL},
};

/* init's check: the account behind the sign-in and its devices. */
static int eightsleep_probe(struct provider_run *r, struct buf *found, struct hs_error *err)
{
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/users/me", run_config_str(r, "client_api_url"));
    json_t *reply = NULL;
    int rc = run_get_json(r, url.data, &reply, err);
    json_t *user = json_object_get(reply, "user");
    if (rc == 0 && !json_is_object(user))
        rc = eightsleep_shape_error(url.data, "no `user` object", err);
    if (rc == 0) {
        const char *name = json_string_value(json_object_get(user, "firstName"));
        size_t n = json_array_size(json_object_get(user, "devices"));
        buf_addf(found, "signed in%s%s, %zu device%s", name ? " as " : "", name ? name : "", n,
                 n == 1 ? "" : "s");
    }
    json_decref(reply);
    buf_free(&url);
    return rc;
}

const struct provider eightsleep_provider = {
    .name = "eightsleep",
    .title = "Eight Sleep",
    .auth = AUTH_PASSWORD,
    .parallel_resources = true,
    .own_keys = eightsleep_keys,
    .resources = eightsleep_resources,
    .authenticate = eightsleep_authenticate,
    .prepare = eightsleep_prepare,
    .refresh = eightsleep_refresh,
    .cleanup = eightsleep_cleanup,
    .probe = eightsleep_probe,
};
