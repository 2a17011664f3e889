/* Hevy (public API, Pro accounts): workouts with their change feed, plus
 * routines, routine folders and exercise templates.
 *
 * Workouts: a full pass lists /v1/workouts page by page (the cursor
 * "page:<n>" lets a killed backfill resume) and then deletes what upstream
 * no longer has; a delta reads /v1/workouts/events since the watermark
 * minus overlap_seconds, applying updates and deletions and keeping an
 * audit row per event in workout_events, then compares /v1/workouts/count
 * with the local count and falls back to a full pass when they differ. */
#include "num.h"
#include "provider.h"

#include "log.h"
#include "timeutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKOUTS_RESOURCE "workouts"
#define EVENTS_RESOURCE "workout_events"
#define TEMPLATES_PAGE_SIZE 100

static const struct config_key hevy_keys[] = {
    {"api_key", CFG_SECRET, NULL, 0, 0, "API key from hevy.com/settings?developer (Pro accounts)"},
    {"overlap_seconds", CFG_INT, "300", 0, 315360000, "seconds re-fetched before the watermark"},
    {"page_size", CFG_INT, "10", 1, 10, "workouts per page (the API allows at most 10)"},
    {"since", CFG_STRING, "1970-01-01T00:00:00Z", 0, 0, "fallback start of the events feed"},
    {NULL},
};

/* ---------------------------------------------------------------- requests */

static void explain_401(struct hs_error *err)
{
    if (err->http_status == 401)
        hs_error_reset(err, HS_ERR_AUTH,
                       "Hevy rejected the API key (HTTP 401): check [hevy].api_key; the API "
                       "needs a Hevy Pro account");
}

/* GET <base>/v1/<path>?page=&pageSize=[&since=] with the api-key header. */
static int hevy_get(struct provider_run *run, struct task *t, const char *path, int page,
                    int page_size, const char *since, json_t **out, struct hs_error *err)
{
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/v1/%s", run_config_str(run, "base_url"), path);
    if (since)
        http_url_add_param(&url, "since", since);
    if (page > 0) {
        buf_addf(&url, "%cpage=%d&pageSize=%d", strchr(url.data, '?') ? '&' : '?', page,
                 page_size);
    }
    struct http_request req = {.method = "GET", .url = url.data};
    int rc = http_built(&url, err) < 0 ? -1
             : t                       ? task_request_json(t, &req, out, err)
                                       : http_send_json(run->http, &req, out, err);
    buf_free(&url);
    if (rc < 0)
        explain_401(err);
    return rc;
}

/* The page count of a paged reply; 0 when absent or not an integer. */
static long page_count(const json_t *reply)
{
    json_t *v = json_object_get(reply, "page_count");
    return json_is_integer(v) ? (long)json_integer_value(v) : 0;
}

static json_t *items_of(const json_t *reply, const char *key, const char *what, struct hs_error *err)
{
    json_t *items = json_object_get(reply, key);
    if (!json_is_array(items)) {
        hs_error_set(err, HS_ERR_FINAL, "unexpected Hevy %s reply: no \"%s\" array", what, key);
        return NULL;
    }
    return items;
}

static int page_size(const struct provider_run *run)
{
    long long n = run_config_int(run, "page_size");
    return n < 1 ? 1 : n > 10 ? 10 : (int)n;
}

/* ---------------------------------------------------------------- workouts */

/* record_id str(id), else the hash of the item. */
static char *record_id_of(const json_t *item, const char *key)
{
    char *id = json_strdup(json_first(item, (const char *const[]){key, NULL}));
    if (id)
        return id;
    char hash[65];
    return json_hash(item, hash) == 0 ? strdup(hash) : NULL;
}

/* The later of two ISO times (either may be NULL); returns a or b. */
static const char *later(const char *a, const char *b)
{
    time_t ta, tb;
    if (!a || time_parse(a, &ta) < 0)
        return b;
    if (!b || time_parse(b, &tb) < 0)
        return a;
    return tb > ta ? b : a;
}

static int put_workout(struct task *t, const json_t *w, char **latest, struct hs_error *err)
{
    char *id = record_id_of(w, "id");
    const char *updated = json_string_value(JSON_FIRST(w, "updated_at", "created_at"));
    int rc = id ? task_put_in(t, WORKOUTS_RESOURCE, id,
                              json_string_value(json_object_get(w, "start_time")),
                              json_string_value(json_object_get(w, "end_time")), updated, w, err)
                : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(id);
    if (rc == 0 && later(*latest, updated) != *latest) {
        free(*latest);
        *latest = strdup(updated);
    }
    return rc;
}

/* "page:<n> <ISO>" while a full listing is under way: the next page, and
 * when the listing started. */
static int resume_page(const struct task *t)
{
    const char *c = t->state.cursor;
    if (!c || strncmp(c, "page:", 5))
        return 0;
    char digits[16];
    size_t n = strcspn(c + 5, " ");
    long long page;
    if (n == 0 || n >= sizeof digits)
        return 0;
    memcpy(digits, c + 5, n);
    digits[n] = '\0';
    return num_parse_ll(digits, 2, INT_MAX, &page) == 0 ? (int)page : 0;
}

static char *iso_of(const char *text)
{
    time_t when;
    char iso[TIME_ISO_LEN];
    if (!text || time_parse(text, &when) < 0)
        return NULL;
    time_format_iso(when, iso);
    return strdup(iso);
}

/* The new watermark after a full listing: the latest change seen, never
 * later than the moment the listing started (changes made while it ran are
 * picked up by the next delta). */
static char *full_pass_watermark(const struct task *t, const char *latest)
{
    char now[TIME_ISO_LEN];
    time_format_iso(t->run->now, now);
    char *iso = iso_of(latest);
    if (!iso || strcmp(iso, now) > 0) {
        free(iso);
        return strdup(now);
    }
    return iso;
}

struct workouts_listing {
    int first_page; /* the page job 0 stands for */
    long pages;
    char *latest;   /* the latest updated_at/created_at seen */
    char **job_latest; /* the same per page fetched ahead, until it is committed */
    char started[TIME_ISO_LEN]; /* when the listing began (kept across a resume) */
};

/* Queues one page of workouts; *latest tracks the latest change on it. */
static int queue_workouts(struct task *t, json_t *reply, char **latest, struct hs_error *err)
{
    json_t *items = items_of(reply, "workouts", "workouts", err);
    if (!items)
        return -1;
    size_t i;
    json_t *w;
    json_array_foreach(items, i, w) if (put_workout(t, w, latest, err) < 0) return -1;
    return 0;
}

/* Commits page `page` (whose latest change was *latest, taken over) with
 * the cursor of the next. */
static int commit_workouts_page(struct task *t, struct workouts_listing *l, int page,
                                char *latest, struct hs_error *err)
{
    if (later(l->latest, latest) == latest && latest) {
        free(l->latest);
        l->latest = latest;
    } else {
        free(latest);
    }
    char cursor[64];
    snprintf(cursor, sizeof cursor, "page:%d %s", page + 1, l->started);
    task_progress_of(t, page, l->pages, "page %d of %ld", page, l->pages);
    return task_commit(t, NULL, page < l->pages ? cursor : "", err);
}

/* A page fetched ahead, on a fetching thread: queued. */
static int put_workouts_page(struct task *jt, size_t job, json_t *reply, void *arg,
                             struct hs_error *err)
{
    struct workouts_listing *l = arg;
    return queue_workouts(jt, reply, &l->job_latest[job], err);
}

static int workouts_page_done(struct task *t, size_t job, void *arg, struct hs_error *err)
{
    struct workouts_listing *l = arg;
    char *latest = l->job_latest[job];
    l->job_latest[job] = NULL;
    return commit_workouts_page(t, l, l->first_page + (int)job, latest, err);
}

/* The first page tells page_count; the others are fetched side by side. */
static int fetch_workout_pages(struct task *t, struct workouts_listing *l, struct hs_error *err)
{
    json_t *reply = NULL;
    if (hevy_get(t->run, t, "workouts", l->first_page, page_size(t->run), NULL, &reply, err) < 0)
        return -1;
    l->pages = page_count(reply);
    char *latest = NULL;
    int rc = queue_workouts(t, reply, &latest, err);
    json_decref(reply);
    if (rc == 0)
        rc = commit_workouts_page(t, l, l->first_page, latest, err);
    else
        free(latest);
    size_t n = l->pages > l->first_page ? (size_t)(l->pages - l->first_page) : 0;
    char **urls = calloc(n ? n : 1, sizeof *urls);
    l->job_latest = calloc(n ? n : 1, sizeof *l->job_latest);
    if (!urls || !l->job_latest) {
        free(urls);
        free(l->job_latest);
        l->job_latest = NULL;
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct buf url = BUF_INIT;
        buf_addf(&url, "%s/v1/workouts?page=%d&pageSize=%d", run_config_str(t->run, "base_url"),
                 l->first_page + 1 + (int)i, page_size(t->run));
        urls[i] = buf_detach(&url);
    }
    l->first_page++; /* job 0 of the rest is the page after the first */
    if (rc == 0)
        rc = task_fetch_ahead(t, urls, n, run_max_concurrency(t->run), task_single_page,
                              put_workouts_page, workouts_page_done, l, err);
    for (size_t i = 0; i < n; i++)
        free(l->job_latest[i]);
    task_free_urls(urls, n);
    free(l->job_latest);
    l->job_latest = NULL;
    if (rc < 0)
        explain_401(err);
    return rc;
}

static int list_all_workouts(struct task *t, struct hs_error *err)
{
    int resumed = resume_page(t);
    struct workouts_listing l = {resumed ? resumed : 1, 1, NULL, NULL, ""};
    const char *began = resumed ? strchr(t->state.cursor, ' ') : NULL;
    time_t at;
    time_format_iso(began && time_parse(began + 1, &at) == 0 ? at : t->run->now, l.started);
    int rc = fetch_workout_pages(t, &l, err);
    /* Deletions can be inferred only from a listing this task saw whole. */
    if (rc == 0 && !resumed)
        rc = task_sweep(t, NULL, NULL, err);
    if (rc == 0) {
        /* A resumed listing saw only the older pages: the next delta starts
         * where the interrupted one began, which covers every change since. */
        char *wm = resumed ? strdup(l.started) : full_pass_watermark(t, l.latest);
        rc = task_commit(t, wm, "", err);
        free(wm);
    }
    free(l.latest);
    return rc;
}

/* ---------------------------------------------------------------- events */

static int put_audit(struct task *t, const char *kind, const char *id, const char *when,
                     const json_t *event, struct hs_error *err)
{
    /* Whatever the id's length: a cut one would merge different events. */
    struct buf rid = BUF_INIT;
    buf_addf(&rid, "%s:%s:%s", kind, id, when ? when : "na");
    int rc = buf_failed(&rid) ? hs_error_set(err, HS_ERR_FINAL, "out of memory")
                              : task_put_in(t, EVENTS_RESOURCE, rid.data, when, NULL, when, event,
                                            err);
    buf_free(&rid);
    return rc;
}

static int apply_event(struct task *t, const json_t *ev, char **latest, struct hs_error *err)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *workout = json_object_get(ev, "workout");
    if (type && !strcmp(type, "updated") && json_is_object(workout) &&
        json_truthy(json_object_get(workout, "id"))) {
        char *id = json_strdup(json_object_get(workout, "id"));
        const char *when = json_string_value(JSON_FIRST(workout, "updated_at", "created_at"));
        int rc = put_workout(t, workout, latest, err);
        if (rc == 0)
            rc = put_audit(t, "updated", id, when, ev, err);
        free(id);
        return rc;
    }
    char *id = json_strdup(JSON_FIRST(ev, "id", "workout_id"));
    if (type && !strcmp(type, "deleted") && id) {
        const char *when = json_string_value(json_object_get(ev, "deleted_at"));
        int rc = task_delete(t, WORKOUTS_RESOURCE, id, err);
        if (rc == 0)
            rc = put_audit(t, "deleted", id, when, ev, err);
        if (rc == 0 && later(*latest, when) != *latest) {
            free(*latest);
            *latest = strdup(when);
        }
        free(id);
        return rc;
    }
    free(id);
    char hash[65];
    if (json_hash(ev, hash) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    char rid[80];
    snprintf(rid, sizeof rid, "unknown:%s", hash);
    return task_put_in(t, EVENTS_RESOURCE, rid, NULL, NULL, NULL, ev, err);
}

/* since = watermark - overlap_seconds (a watermark that does not parse
 * falls back to [hevy].since). */
static void events_since(const struct task *t, char out[TIME_ISO_LEN])
{
    time_t wm;
    const char *fallback = run_config_str(t->run, "since");
    if (t->state.watermark && time_parse(t->state.watermark, &wm) == 0) {
        time_t since = wm - (time_t)run_config_int(t->run, "overlap_seconds");
        time_format_iso(since < 0 ? 0 : since, out);
    } else if (fallback && time_parse(fallback, &wm) == 0) {
        time_format_iso(wm, out);
    } else {
        time_format_iso(0, out);
    }
}

static int read_events(struct task *t, struct hs_error *err)
{
    char since[TIME_ISO_LEN];
    events_since(t, since);
    char *latest = t->state.watermark ? strdup(t->state.watermark) : NULL;
    long pages = 1;
    int rc = 0, size = page_size(t->run);
    for (int page = 1; rc == 0 && page <= pages; page++) {
        json_t *reply = NULL;
        rc = hevy_get(t->run, t, "workouts/events", page, size, since, &reply, err);
        json_t *events = rc == 0 ? items_of(reply, "events", "events", err) : NULL;
        if (!events)
            rc = -1;
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev) if (rc == 0) rc = apply_event(t, ev, &latest, err);
        pages = page_count(reply);
        json_decref(reply);
        /* The watermark moves only once every page is in: events come newest first. */
        if (rc == 0)
            rc = task_commit(t, NULL, NULL, err);
        task_progress_of(t, page, pages, "events page %d of %ld", page, pages);
    }
    if (rc == 0) {
        char *wm = iso_of(latest);
        if (wm && (!t->state.watermark || strcmp(wm, t->state.watermark)))
            rc = task_commit(t, wm, NULL, err);
        free(wm);
    }
    free(latest);
    return rc;
}

/* The local copy is complete when it holds as many workouts as upstream. */
static int count_matches(struct task *t, bool *matches, struct hs_error *err)
{
    json_t *reply = NULL;
    if (hevy_get(t->run, t, "workouts/count", 0, 0, NULL, &reply, err) < 0)
        return -1;
    json_t *n = json_object_get(reply, "workout_count");
    long local;
    if (task_count_records(t, WORKOUTS_RESOURCE, &local, err) < 0) {
        json_decref(reply);
        return -1;
    }
    *matches = json_is_integer(n) && json_integer_value(n) == local;
    if (!*matches)
        log_info("hevy/workouts: %ld stored but Hevy counts %lld; re-listing all workouts", local,
                 json_is_integer(n) ? (long long)json_integer_value(n) : -1LL);
    json_decref(reply);
    return 0;
}

static int sync_workouts(struct task *t, struct hs_error *err)
{
    if (t->full || resume_page(t) || !t->state.watermark)
        return list_all_workouts(t, err);
    bool complete = false;
    if (read_events(t, err) < 0 || count_matches(t, &complete, err) < 0)
        return -1;
    return complete ? 0 : list_all_workouts(t, err);
}

/* ---------------------------------------------------------------- the rest */

/* Lists a small paged collection whole and deletes what is gone upstream. */
static int sync_collection(struct task *t, const char *path, const char *key, int size,
                           struct hs_error *err)
{
    long pages = 1;
    int rc = 0;
    for (int page = 1; rc == 0 && page <= pages; page++) {
        json_t *reply = NULL;
        rc = hevy_get(t->run, t, path, page, size, NULL, &reply, err);
        json_t *items = rc == 0 ? items_of(reply, key, key, err) : NULL;
        if (!items)
            rc = -1;
        size_t i;
        json_t *item;
        json_array_foreach(items, i, item)
        {
            char *id = rc == 0 ? record_id_of(item, "id") : NULL;
            if (id)
                rc = task_put(t, id, NULL, NULL,
                              json_string_value(JSON_FIRST(item, "updated_at", "created_at")),
                              item, err);
            free(id);
        }
        pages = page_count(reply);
        json_decref(reply);
        if (rc == 0)
            rc = task_commit(t, NULL, NULL, err);
    }
    if (rc == 0)
        rc = task_sweep(t, NULL, NULL, err);
    if (rc == 0) {
        char now[TIME_ISO_LEN];
        time_format_iso(t->run->now, now);
        rc = task_commit(t, now, NULL, err);
    }
    return rc;
}

static int sync_routines(struct task *t, struct hs_error *err)
{
    return sync_collection(t, "routines", "routines", 10, err);
}

static int sync_routine_folders(struct task *t, struct hs_error *err)
{
    return sync_collection(t, "routine_folders", "routine_folders", 10, err);
}

/* Hundreds of built-in templates that rarely change: listed on full passes
 * (first sync, --full, every reconcile_days) only. */
static int sync_exercise_templates(struct task *t, struct hs_error *err)
{
    long stored = 0;
    if (!t->full && task_count_records(t, NULL, &stored, err) < 0)
        return -1;
    if (stored > 0)
        return 0;
    return sync_collection(t, "exercise_templates", "exercise_templates", TEMPLATES_PAGE_SIZE,
                           err);
}

/* ---------------------------------------------------------------- auth */

static int hevy_prepare(struct provider_run *run, struct hs_error *err);

static int hevy_authenticate(struct auth_ctx *a, struct hs_error *err)
{
    if (hevy_prepare(a->run, err) < 0)
        return -1;
    json_t *reply = NULL;
    if (hevy_get(a->run, NULL, "workouts/count", 0, 0, NULL, &reply, err) < 0)
        return -1;
    json_t *n = json_object_get(reply, "workout_count");
    log_info("Hevy API key works: the account holds %lld workouts.",
             json_is_integer(n) ? (long long)json_integer_value(n) : 0LL);
    json_decref(reply);
    return 0;
}

/* The key goes with every request of the run (the header is redacted in logs). */
static int hevy_prepare(struct provider_run *run, struct hs_error *err)
{
    const char *key = run_config_require(run, "api_key", err);
    if (!key)
        return -1;
    http_client_set_header(run->http, "api-key", key);
    return 0;
}

static const struct resource hevy_resources[] = {
    {WORKOUTS_RESOURCE, sync_workouts},
    {"routines", sync_routines, .optional = true},
    {"routine_folders", sync_routine_folders, .optional = true},
    {"exercise_templates", sync_exercise_templates, .optional = true},
    {NULL},
};

const struct provider hevy_provider = {
    .name = "hevy",
    .title = "Hevy",
    .auth = AUTH_API_KEY,
    .parallel_resources = true,
    .own_keys = hevy_keys,
    .base_url = "https://api.hevyapp.com",
    .resources = hevy_resources,
    .authenticate = hevy_authenticate,
    .prepare = hevy_prepare,
    .setup_url = "https://hevy.com/settings?developer",
};
