/* Withings (Health Data API, wbsapi.withings.net).
 *
 * Auth is OAuth2 with a Withings twist: the token calls are signed (HMAC-SHA256
 * of "action,client_id,nonce" keyed with the client secret, after fetching a
 * single-use nonce) so the secret never leaves this machine: withings_auth.c.
 *
 * Every answer is HTTP 200 with the outcome in the body's `status`: 0 is
 * success, 401 an invalid or expired token (refreshed once, then retried),
 * 601 "too many requests" (waited out with backoff), anything else an error.
 * The application may send 120 requests per minute; the HTTP client keeps
 * under that.
 *
 * Data calls are POST forms paged with `more` + `offset` and filtered with
 * `lastupdate` (changes since), so a plain sync re-reads only what changed
 * since the watermark minus overlap_seconds.  Deletions have no feed: a full
 * pass lists everything from lastupdate=0 and sweeps what is gone. */
#include "withings.h"
#include "log.h"
#include "provider.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config_key withings_keys[] = {
    {"overlap_seconds", CFG_INT, "300", 0, 315360000, "seconds re-fetched before the watermark"},
    {"meastypes", CFG_INT_LIST, NULL, 0, 0, "measure type ids to fetch (unset: every type)"},
    {"sleep_detail", CFG_BOOL, "true", 0, 0,
     "fetch each night's sleep series (/v2/sleep get: one request per night, within the history budget)"},
    {NULL},
};

#define STATUS_OK 0
#define STATUS_INVALID_TOKEN 401
#define STATUS_TOO_MANY_REQUESTS 601

/* Status 601 means the application's per-minute budget is spent: wait
 * 5, 10, 20, 40, 60, 60 s (135 s in all, more than the minute it needs). */
#define MAX_601_WAITS 6
#define WAIT_601_FIRST_MS 5000L
#define WAIT_601_MAX_MS 60000L

/* Sleep v2 Get returns only the first 24 h after startdate. */
#define SLEEP_GET_MAX_SECONDS 86400

static const char activity_fields[] =
    "steps,distance,elevation,soft,moderate,intense,active,calories,totalcalories,hr_average,"
    "hr_min,hr_max,hr_zone_0,hr_zone_1,hr_zone_2,hr_zone_3";
static const char workout_fields[] =
    "calories,effduration,intensity,manual_distance,manual_calories,hr_average,hr_min,hr_max,"
    "hr_zone_0,hr_zone_1,hr_zone_2,hr_zone_3,pause_duration,algo_pause_duration,spo2_average,"
    "steps,distance,elevation,pool_laps,strokes,pool_length";
static const char sleep_summary_fields[] =
    "sleep_score,lightsleepduration,deepsleepduration,remsleepduration,wakeupcount,"
    "wakeupduration,durationtosleep,durationtowakeup,hr_average,hr_min,hr_max,rr_average,rr_min,"
    "rr_max,snoring,snoringepisodecount,breathing_disturbances_intensity";
static const char sleep_series_fields[] =
    "hr,rr,snoring,sdnn_1,rmssd,hrv_quality,mvt_score,chest_movement_rate,withings_index,"
    "breathing_sounds";

/* ------------------------------------------------------------ JSON values */

/* A whole number given as a JSON integer, real or string of digits
 * (epochs and offsets come as either). */
static int json_whole(const json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        *out = (long long)json_real_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

static int json_epoch(const json_t *v, time_t *out)
{
    long long n;
    if (json_whole(v, &n) < 0)
        return -1;
    *out = (time_t)n;
    return 0;
}

/* The epoch field `key` of obj as "YYYY-MM-DDTHH:MM:SSZ", or NULL. */
static const char *epoch_field_iso(const json_t *obj, const char *key, char out[TIME_ISO_LEN])
{
    time_t t;
    if (json_epoch(json_object_get(obj, key), &t) < 0)
        return NULL;
    time_format_iso(t, out);
    return out;
}

/* Paging: another page follows while `more` is 1, true or "1" and `offset` is not 0. */
static long long next_offset(const json_t *body)
{
    const json_t *more = json_object_get(body, "more");
    bool has_more = json_is_true(more) || (json_is_integer(more) && json_integer_value(more) == 1) ||
                    (json_is_string(more) && strcmp(json_string_value(more), "1") == 0);
    long long offset;
    if (!has_more || json_whole(json_object_get(body, "offset"), &offset) < 0)
        return 0;
    return offset;
}

/* --------------------------------------------------------------- requests */

static char *endpoint_url(const struct provider_run *run, const char *path)
{
    struct buf url = BUF_INIT;
    buf_adds(&url, run_config_str(run, "base_url"));
    buf_adds(&url, path);
    return buf_detach(&url);
}

static void form_add_int(struct buf *form, const char *key, long long value)
{
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", value);
    http_form_add(form, key, digits);
}

/* Sends one request, through the task when there is one (data calls carry
 * the Bearer token) or directly (token calls). */
static int post_form(struct provider_run *run, struct task *t, const struct http_request *req,
                     json_t **reply, struct hs_error *err)
{
    if (t)
        return task_request_json(t, req, reply, err);
    return http_send_json(run->http, req, reply, err);
}

static void status_error(const char *url, const char *action, long long status,
                         const json_t *reply, struct hs_error *err)
{
    enum hs_err_kind kind = status == STATUS_INVALID_TOKEN       ? HS_ERR_AUTH
                            : status == STATUS_TOO_MANY_REQUESTS ? HS_ERR_WAIT
                                                                 : HS_ERR_FINAL;
    const char *text = json_string_value(json_object_get(reply, "error"));
    char *safe_url = http_redact_url(url);
    hs_error_set(err, kind, "Withings status %lld for POST %s (action=%s)%s%s", status, safe_url,
                 action, text ? ": " : "", text ? text : "");
    free(safe_url);
}

/* POSTs `form` (which starts with action=<action>) to base_url + path and
 * returns the reply's `body` once its status is 0: after a 401 the token is
 * refreshed once (data calls only), a 601 is waited out. */
int withings_post(struct provider_run *run, struct task *t, const char *path, const char *action,
                  const char *form, json_t **body, struct hs_error *err)
{
    char *url = endpoint_url(run, path);
    struct http_request req = {
        .method = "POST",
        .url = url,
        .body = form,
        .content_type = "application/x-www-form-urlencoded",
    };
    bool refreshed = false;
    int waits = 0;
    long wait_ms = WAIT_601_FIRST_MS;
    int rc = -1;
    for (;;) {
        json_t *reply = NULL;
        const char *sent_token = run_access_token(run);
        if (post_form(run, t, &req, &reply, err) < 0)
            break;
        json_t *status = json_object_get(reply, "status");
        long long code = json_is_integer(status) ? json_integer_value(status) : -1;
        if (code == STATUS_OK) {
            json_t *b = json_object_get(reply, "body");
            *body = json_is_object(b) ? json_incref(b) : json_object();
            json_decref(reply);
            rc = 0;
            break;
        }
        if (code == STATUS_INVALID_TOKEN && t && !refreshed) {
            json_decref(reply);
            refreshed = true;
            log_debug("withings: status 401 for %s, refreshing the access token once", action);
            if (run_refresh_token(run, sent_token, err) < 0)
                break;
            continue;
        }
        if (code == STATUS_TOO_MANY_REQUESTS && waits < MAX_601_WAITS) {
            json_decref(reply);
            waits++;
            log_progress(run->provider->name, t ? t->resource->name : NULL,
                         "too many requests (status 601), waiting %ld s (attempt %d of %d)",
                         wait_ms / 1000, waits + 1, MAX_601_WAITS + 1);
            if (http_sleep_ms(wait_ms) < 0) {
                hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
                break;
            }
            wait_ms = wait_ms * 2 > WAIT_601_MAX_MS ? WAIT_601_MAX_MS : wait_ms * 2;
            continue;
        }
        if (code < 0)
            hs_error_set(err, HS_ERR_FINAL, "Withings reply without a status for POST %s", url);
        else
            status_error(url, action, code, reply, err);
        json_decref(reply);
        break;
    }
    free(url);
    return rc;
}

/* ------------------------------------------------------------- watermarks */

/* The stored watermark as an epoch: decimal epoch text (the Python tool's)
 * or ISO (ours). */
static bool watermark_epoch(const struct task *t, time_t *out)
{
    return t->state.watermark && time_parse(t->state.watermark, out) == 0;
}

/* The start of what may have changed: watermark - overlap_seconds (not
 * below 0), or 0 without a watermark. */
static long long changed_since(const struct task *t)
{
    time_t wm;
    if (!watermark_epoch(t, &wm))
        return 0;
    long long v = (long long)wm - run_config_int(t->run, "overlap_seconds");
    return v > 0 ? v : 0;
}

/* The lastupdate to list with: everything (0) on a full pass. */
static long long lastupdate_for(const struct task *t)
{
    return t->full ? 0 : changed_since(t);
}

/* --------------------------------------------------------------- listings */

enum watermark_rule {
    WM_NOW,        /* now */
    WM_UPDATETIME, /* max(now, the reply's updatetime) */
    WM_MODIFIED,   /* max(now, the items' modified) */
};

struct listing {
    const char *path;
    const char *action;
    const char *items_key;
    const char *data_fields;  /* NULL = none */
    bool always_offset;       /* send offset=0 on the first page too */
    enum watermark_rule watermark;
    bool sweep;               /* a full pass deletes what was not listed */
    /* Form fields between action and lastupdate (measures' meastypes). */
    void (*add_filters)(const struct task *t, struct buf *form);
    /* Turns one item into a record. */
    int (*put)(struct task *t, const json_t *item, struct hs_error *err);
};

/* Called with each page's body; may queue records and commit. */
typedef int (*page_fn)(struct task *t, const json_t *body, void *ctx, struct hs_error *err);

static char *page_form(const struct task *t, const struct listing *l, long long lastupdate,
                       long long offset)
{
    struct buf form = BUF_INIT;
    http_form_add(&form, "action", l->action);
    if (l->add_filters)
        l->add_filters(t, &form);
    form_add_int(&form, "lastupdate", lastupdate);
    if (offset || l->always_offset)
        form_add_int(&form, "offset", offset);
    if (l->data_fields)
        http_form_add(&form, "data_fields", l->data_fields);
    return buf_detach(&form);
}

/* Walks every page of a listing changed since lastupdate. */
static int list_pages(struct task *t, const struct listing *l, long long lastupdate,
                      page_fn on_page, void *ctx, struct hs_error *err)
{
    long long offset = 0;
    for (int page = 1;; page++) {
        char *form = page_form(t, l, lastupdate, offset);
        json_t *body = NULL;
        int rc = withings_post(t->run, t, l->path, l->action, form, &body, err);
        free(form);
        if (rc < 0)
            return -1;
        rc = on_page(t, body, ctx, err);
        size_t n = json_array_size(json_object_get(body, l->items_key));
        offset = next_offset(body);
        json_decref(body);
        if (rc < 0)
            return -1;
        task_progress(t, "page %d, %zu items", page, n);
        if (!offset)
            return 0;
    }
}

struct record_pass {
    const struct listing *listing;
    time_t watermark; /* grows with updatetime / modified */
};

static void raise_watermark(time_t *wm, const json_t *v)
{
    time_t t;
    if (json_epoch(v, &t) == 0 && t > *wm)
        *wm = t;
}

static int put_page(struct task *t, const json_t *body, void *ctx, struct hs_error *err)
{
    struct record_pass *p = ctx;
    const struct listing *l = p->listing;
    if (l->watermark == WM_UPDATETIME)
        raise_watermark(&p->watermark, json_object_get(body, "updatetime"));
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(body, l->items_key), i, item)
    {
        if (!json_is_object(item))
            continue;
        if (l->put(t, item, err) < 0)
            return -1;
        if (l->watermark == WM_MODIFIED)
            raise_watermark(&p->watermark, json_object_get(item, "modified"));
    }
    return task_commit(t, NULL, NULL, err);
}

static int sync_listing(struct task *t, const struct listing *l, struct hs_error *err)
{
    struct record_pass pass = {.listing = l, .watermark = t->run->now};
    if (list_pages(t, l, lastupdate_for(t), put_page, &pass, err) < 0)
        return -1;
    if (t->full && l->sweep && task_sweep(t, NULL, NULL, err) < 0)
        return -1;
    char wm[TIME_ISO_LEN];
    time_format_iso(pass.watermark, wm);
    return task_commit(t, wm, NULL, err);
}

/* A record id: str() of the first truthy key, else the hash of the item. */
static char *record_id(const json_t *item, const char *const *keys)
{
    char *id = json_strdup(json_first(item, keys));
    if (id)
        return id;
    char hash[65];
    return json_hash(item, hash) == 0 ? strdup(hash) : NULL;
}

static int put_with_id(struct task *t, const json_t *item, const char *const *id_keys,
                       const char *start, const char *end, const char *updated,
                       struct hs_error *err)
{
    char *id = record_id(item, id_keys);
    int rc = task_put(t, id, start, end, updated, item, err);
    free(id);
    return rc;
}

/* measures: one record per measure group. */
static int put_measure_group(struct task *t, const json_t *grp, struct hs_error *err)
{
    char start[TIME_ISO_LEN], updated[TIME_ISO_LEN];
    return put_with_id(t, grp, (const char *const[]){"grpid", NULL},
                       epoch_field_iso(grp, "date", start), NULL,
                       epoch_field_iso(grp, "modified", updated), err);
}

/* Without a type filter getmeas answers every measure type the account
 * holds, the newer ones (visceral fat, BMR, extra-/intracellular water...)
 * included, so the filter is sent only when [withings].meastypes narrows
 * the set.  Withings documents the list parameter as `meastypes`
 * (`meastype` takes one type); the Python tool sent its fixed list of 17 in
 * `meastype`. */
static void add_measure_filters(const struct task *t, struct buf *form)
{
    size_t n = 0;
    const char *const *types = run_config_list(t->run, "meastypes", &n);
    if (n) {
        struct buf list = BUF_INIT;
        for (size_t i = 0; i < n; i++)
            buf_addf(&list, "%s%s", i ? "," : "", types[i]);
        http_form_add(form, "meastypes", list.data);
        buf_free(&list);
    }
    http_form_add(form, "category", "1");
}

/* activity: one record per day, keyed by its date. */
static int put_activity_day(struct task *t, const json_t *day, struct hs_error *err)
{
    char *date = json_strdup(json_object_get(day, "date"));
    int rc = put_with_id(t, day, (const char *const[]){"date", "id", NULL}, date, NULL, NULL, err);
    free(date);
    return rc;
}

/* workouts and sleep_summary: one record per series item. */
static int put_series_item(struct task *t, const json_t *item, struct hs_error *err)
{
    char start[TIME_ISO_LEN], end[TIME_ISO_LEN], updated[TIME_ISO_LEN];
    return put_with_id(t, item, (const char *const[]){"id", "startdate", NULL},
                       epoch_field_iso(item, "startdate", start),
                       epoch_field_iso(item, "enddate", end),
                       epoch_field_iso(item, "modified", updated), err);
}

static const struct listing measures_listing = {
    .path = "/measure", .action = "getmeas", .items_key = "measuregrps",
    .watermark = WM_UPDATETIME, .sweep = true,
    .add_filters = add_measure_filters, .put = put_measure_group,
};

static const struct listing activity_listing = {
    .path = "/v2/measure", .action = "getactivity", .items_key = "activities",
    .data_fields = activity_fields, .always_offset = true, .watermark = WM_NOW,
    .put = put_activity_day,
};

static const struct listing workouts_listing = {
    .path = "/v2/measure", .action = "getworkouts", .items_key = "series",
    .data_fields = workout_fields, .always_offset = true, .watermark = WM_MODIFIED, .sweep = true,
    .put = put_series_item,
};

static const struct listing sleep_summary_listing = {
    .path = "/v2/sleep", .action = "getsummary", .items_key = "series",
    .data_fields = sleep_summary_fields, .watermark = WM_MODIFIED, .sweep = true,
    .put = put_series_item,
};

static int sync_measures(struct task *t, struct hs_error *err)
{
    return sync_listing(t, &measures_listing, err);
}

static int sync_activity(struct task *t, struct hs_error *err)
{
    return sync_listing(t, &activity_listing, err);
}

static int sync_workouts(struct task *t, struct hs_error *err)
{
    return sync_listing(t, &workouts_listing, err);
}

static int sync_sleep_summary(struct task *t, struct hs_error *err)
{
    return sync_listing(t, &sleep_summary_listing, err);
}

/* ------------------------------------------------------------------ sleep */

/* sleep: the high-frequency series (Sleep v2 Get: stages, heart and
 * breathing rate, snoring, HRV) of each night, one record per night.
 *
 * Sleep v2 Get has no lastupdate and answers only the first 24 h after
 * `startdate`, so walking the calendar would cost a call per day of history
 * on every full pass.  Instead the nights come from the summaries
 * (getsummary, a few pages of 100): each night is fetched with its own
 * startdate..enddate (in 24 h windows should a night be longer) and stored
 * as record "<startdate epoch>" with start/end = the night's,
 * source_updated_at = the summary's `modified`, payload = the Get reply body.
 *
 * One night is one request, at 120 a minute: five years take 15 minutes.
 * So the history is walked newest first within the history budget
 * (provider.h): every sync first fetches the nights changed since the
 * watermark that the walk has already passed (the recent end), then older
 * nights from where the walk stopped, each committed with the walk's
 * position ("oldest": the oldest night fetched), until the budget is spent.
 * While the walk is incomplete the summaries are listed whole (lastupdate=0)
 * to find the older nights.  A full pass deletes stored nights whose
 * startdate is no longer listed, without re-fetching the unchanged ones. */

struct night {
    time_t start, end, modified;
};

struct nights {
    struct night *v;
    size_t n, cap;
};

static int collect_nights(struct task *t, const json_t *body, void *ctx, struct hs_error *err)
{
    (void)t;
    struct nights *ns = ctx;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(body, "series"), i, item)
    {
        struct night night;
        if (json_epoch(json_object_get(item, "startdate"), &night.start) < 0 ||
            json_epoch(json_object_get(item, "enddate"), &night.end) < 0 ||
            night.end <= night.start)
            continue;
        if (json_epoch(json_object_get(item, "modified"), &night.modified) < 0)
            night.modified = night.end;
        if (ns->n == ns->cap) {
            size_t cap = ns->cap ? ns->cap * 2 : 256;
            struct night *grown = realloc(ns->v, cap * sizeof *grown);
            if (!grown)
                return hs_error_set(err, HS_ERR_FINAL, "out of memory");
            ns->v = grown;
            ns->cap = cap;
        }
        ns->v[ns->n++] = night;
    }
    return 0;
}

static int by_start(const void *a, const void *b)
{
    time_t x = ((const struct night *)a)->start, y = ((const struct night *)b)->start;
    return (x > y) - (x < y);
}

static void sort_nights(struct nights *ns, int (*cmp)(const void *, const void *))
{
    if (ns->n) /* qsort wants a non-NULL array */
        qsort(ns->v, ns->n, sizeof *ns->v, cmp);
}

/* Deletes the stored nights whose start is not one of the listed starts:
 * every stored start_time strictly between two listed ones (or before the
 * first, after the last) is gone upstream. */
static int sweep_unlisted_nights(struct task *t, struct nights *ns, struct hs_error *err)
{
    sort_nights(ns, by_start);
    char from[TIME_ISO_LEN], to[TIME_ISO_LEN];
    const char *lower = NULL;
    for (size_t i = 0; i < ns->n; i++) {
        if (i > 0 && ns->v[i].start == ns->v[i - 1].start)
            continue;
        time_format_iso(ns->v[i].start - 1, to);
        if (task_sweep(t, lower, to, err) < 0)
            return -1;
        time_format_iso(ns->v[i].start + 1, from);
        lower = from;
    }
    return task_sweep(t, lower, NULL, err);
}

static char *sleep_get_form(time_t start, time_t end)
{
    struct buf form = BUF_INIT;
    http_form_add(&form, "action", "get");
    form_add_int(&form, "startdate", (long long)start);
    form_add_int(&form, "enddate", (long long)end);
    http_form_add(&form, "data_fields", sleep_series_fields);
    return buf_detach(&form);
}

/* The night's Get body; the series of further 24 h windows are appended. */
static int fetch_night(struct task *t, const struct night *night, json_t **out,
                       struct hs_error *err)
{
    *out = NULL;
    time_t from = night->start;
    do {
        time_t to = night->end - from > SLEEP_GET_MAX_SECONDS ? from + SLEEP_GET_MAX_SECONDS
                                                              : night->end;
        char *form = sleep_get_form(from, to);
        json_t *body = NULL;
        int rc = withings_post(t->run, t, "/v2/sleep", "get", form, &body, err);
        free(form);
        if (rc < 0) {
            json_decref(*out);
            *out = NULL;
            return -1;
        }
        if (!*out) {
            *out = body;
        } else {
            json_t *series = json_object_get(*out, "series");
            if (json_is_array(series))
                json_array_extend(series, json_object_get(body, "series"));
            json_decref(body);
        }
        from = to;
    } while (from < night->end);
    return 0;
}

static int put_night(struct task *t, const struct night *night, const json_t *body,
                     struct hs_error *err)
{
    char id[24], start[TIME_ISO_LEN], end[TIME_ISO_LEN], updated[TIME_ISO_LEN];
    snprintf(id, sizeof id, "%lld", (long long)night->start);
    time_format_iso(night->start, start);
    time_format_iso(night->end, end);
    time_format_iso(night->modified, updated);
    return task_put(t, id, start, end, updated, body, err);
}

/* The walk's position: the oldest night fetched (0: none yet) and whether
 * every night is in. */
struct sleep_walk {
    time_t oldest;
    bool complete;
};

static struct sleep_walk load_sleep_walk(const struct task *t)
{
    struct sleep_walk w = {0, false};
    json_t *h = task_history(t);
    const char *oldest = json_string_value(json_object_get(h, "oldest"));
    if (oldest)
        time_parse(oldest, &w.oldest);
    w.complete = json_is_true(json_object_get(h, "complete"));
    json_decref(h);
    return w;
}

/* Commits what is queued with the walk's position. */
static int commit_sleep_walk(struct task *t, const struct sleep_walk *w, struct hs_error *err)
{
    char iso[TIME_ISO_LEN];
    time_format_iso(w->oldest, iso);
    json_t *h = w->oldest ? json_pack("{s:s,s:b}", "oldest", iso, "complete", w->complete)
                          : json_pack("{s:b}", "complete", w->complete);
    int rc = h ? task_set_history(t, h, err) : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    json_decref(h);
    return rc < 0 ? -1 : task_commit(t, NULL, NULL, err);
}

static int fetch_and_put_night(struct task *t, const struct night *night, struct hs_error *err)
{
    json_t *body = NULL;
    if (fetch_night(t, night, &body, err) < 0)
        return -1;
    int rc = put_night(t, night, body, err);
    json_decref(body);
    return rc;
}

static int by_start_desc(const void *a, const void *b)
{
    return by_start(b, a);
}

/* The recent end: nights changed since `since` that the walk has passed
 * (all changed ones once it is complete), newest first. */
static int fetch_recent_nights(struct task *t, const struct nights *ns, time_t since,
                               const struct sleep_walk *w, struct hs_error *err)
{
    size_t fetched = 0;
    for (size_t i = 0; i < ns->n; i++) {
        const struct night *night = &ns->v[i];
        if (night->modified < since || (!w->complete && (!w->oldest || night->start < w->oldest)))
            continue;
        if (fetch_and_put_night(t, night, err) < 0 || task_commit(t, NULL, NULL, err) < 0)
            return -1;
        if (++fetched % 10 == 0)
            task_progress(t, "recent night %zu", fetched);
    }
    return 0;
}

/* Older nights, below the walk's position, until the budget is spent. */
static int fetch_older_nights(struct task *t, const struct nights *ns, struct sleep_walk *w,
                              struct hs_error *err)
{
    size_t first = 0, done = 0;
    while (first < ns->n && w->oldest && ns->v[first].start >= w->oldest)
        first++;
    task_history_begin(t);
    for (size_t i = first; i < ns->n; i++) {
        if (i > first && ns->v[i].start == ns->v[i - 1].start)
            continue;
        if (task_history_spent(t)) {
            task_progress(t, "history budget spent after %zu of %zu older nights; the next sync "
                             "goes on", done, ns->n - first);
            return 0;
        }
        if (fetch_and_put_night(t, &ns->v[i], err) < 0)
            return -1;
        w->oldest = ns->v[i].start;
        w->complete = i + 1 == ns->n;
        if (commit_sleep_walk(t, w, err) < 0)
            return -1;
        if (++done % 10 == 0)
            task_progress_of(t, (long)done, (long)(ns->n - first), "night %zu of %zu", done,
                             ns->n - first);
    }
    w->complete = true;
    return commit_sleep_walk(t, w, err);
}

static const struct listing nights_listing = {
    .path = "/v2/sleep", .action = "getsummary", .items_key = "series",
};

static int sync_sleep(struct task *t, struct hs_error *err)
{
    if (!run_config_bool(t->run, "sleep_detail"))
        return 0; /* an explicit limit: the summaries only */
    struct sleep_walk w = load_sleep_walk(t);
    long long since = changed_since(t);
    struct nights ns = {0};
    /* An incomplete walk needs every night to find the older ones. */
    long long lastupdate = w.complete ? lastupdate_for(t) : 0;
    int rc = list_pages(t, &nights_listing, lastupdate, collect_nights, &ns, err);
    if (rc == 0 && t->full)
        rc = sweep_unlisted_nights(t, &ns, err);
    sort_nights(&ns, by_start_desc);
    /* Before the first watermark, every night passed was fetched by the walk itself. */
    if (rc == 0 && t->state.watermark)
        rc = fetch_recent_nights(t, &ns, (time_t)since, &w, err);
    if (rc == 0 && !w.complete)
        rc = fetch_older_nights(t, &ns, &w, err);
    if (rc == 0) {
        char iso[TIME_ISO_LEN];
        time_format_iso(t->run->now, iso);
        rc = task_commit(t, iso, NULL, err);
    }
    free(ns.v);
    return rc;
}

/* -------------------------------------------------------------- provider */

static const struct resource withings_resources[] = {
    {"measures", sync_measures},
    {"activity", sync_activity},
    {"workouts", sync_workouts},
    {"sleep_summary", sync_sleep_summary},
    {"sleep", sync_sleep, .optional = true},
    {NULL},
};

/* init's check: one getmeas over the last 30 days (a data call: the
 * Bearer token goes along, which withings_post leaves to the task). */
static int withings_probe(struct provider_run *r, struct buf *found, struct hs_error *err)
{
    long long now = (long long)time_now();
    struct buf form = BUF_INIT;
    http_form_add(&form, "action", "getmeas");
    form_add_int(&form, "startdate", now - 30 * 86400);
    form_add_int(&form, "enddate", now);
    char *url = endpoint_url(r, "/measure");
    struct http_request req = {.method = "POST",
                               .url = url,
                               .body = form.data,
                               .content_type = "application/x-www-form-urlencoded",
                               .bearer = run_access_token(r)};
    json_t *reply = NULL;
    int rc = http_send_json(r->http, &req, &reply, err);
    json_t *status = json_object_get(reply, "status");
    if (rc == 0 && (!json_is_integer(status) || json_integer_value(status) != STATUS_OK)) {
        status_error(url, "getmeas", json_is_integer(status) ? json_integer_value(status) : -1,
                     reply, err);
        rc = -1;
    } else if (rc == 0) {
        size_t n = json_array_size(json_object_get(json_object_get(reply, "body"), "measuregrps"));
        buf_addf(found, "%zu measurement%s in the last 30 days", n, n == 1 ? "" : "s");
    }
    json_decref(reply);
    free(url);
    buf_free(&form);
    return rc;
}

const struct provider withings_provider = {
    .name = "withings",
    .title = "Withings",
    .auth = AUTH_OAUTH2,
    /* The listings are independent (offset paging keeps each one a chain):
     * side by side, within max_concurrency and the 120 a minute. */
    .parallel_resources = true,
    .own_keys = withings_keys,
    .base_url = "https://wbsapi.withings.net", /* holds /measure, /v2/..., /v2/oauth2 */
    .resources = withings_resources,
    .oauth2 = &withings_oauth2,
    .authenticate = oauth2_authenticate,
    .prepare = withings_prepare,
    .refresh = oauth2_refresh,
    .setup_url = "https://developer.withings.com/dashboard/",
    .probe = withings_probe,
};
