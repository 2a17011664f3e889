/* Oura Cloud API v2 (endpoints, ids and quirks: docs/providers.md, "Oura").
 *
 * Auth: OAuth2 authorization code with HTTP Basic client authentication.
 * Refresh tokens rotate and are single use, so every token reply is stored
 * the moment it arrives.  When the callback names an issuer (`iss`), its
 * OpenID document may move the token endpoint; the endpoint is kept in the
 * token's extra and reused when refreshing.  Oura retired personal access
 * tokens; one still set in [oura].access_token is used as is, never
 * refreshed.  A token granted under the old scope names (daily, personal...)
 * is refreshed and used like any other: Oura reads both spellings.
 *
 * Data: every collection is GET /v2/usercollection/<resource>, paged by
 * `next_token`.  Day-filed collections are asked by start_date/end_date
 * (inclusive, the user's local days): from the watermark day minus
 * overlap_days to today (+1 for sleep, filed under the wake-up day), in
 * windows of at most a year.  Each window is committed with the watermark,
 * and what was stored inside it but not returned is swept (Oura has no
 * deletion feed; a sleep can also come back as type "deleted").
 *
 * A full pass (first backfill, `sync --full`, reconciliation) does not walk
 * years of empty history from start_date: once per run, daily_activity (one
 * document per worn day) is asked a year at a time from start_date, and the
 * first non-empty year gives the earliest day with data; every full pass
 * starts a week before it, and a killed one resumes at its next window.  Heart rate resumes from
 * the latest stored sample minus a day, in 30-day windows (Oura rejects longer spans), one commit
 * per window; only the first run and `sync --full` walk it from that first day (samples are never
 * edited, and a reconciliation would cost a request per month of history). */
#include "oauth2.h"
#include "paging.h"
#include "log.h"
#include "timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define WINDOW_DAYS 365          /* span of one day-filed request */
#define HEARTRATE_WINDOW_DAYS 30 /* the longest span Oura accepts */
/* Pages of a day-filed collection alive at once: the collections run side
 * by side and share the provider's requests, so two each keep them busy. */
#define WINDOW_PAGES_AHEAD 2
#define EARLIEST_MARGIN_DAYS 7   /* other collections may start a little before activity */
/* Heart-rate windows asked at once.  Theirs are the big replies (a month of
 * samples, about 600 KB) and a listing parses one reply at a time: more in
 * flight than this only park whole replies in memory until their turn, and
 * six keep the parse and the writer fed even at a real latency (measured in
 * docs/performance.md). */
#define HEARTRATE_AHEAD 6

static const struct config_key oura_keys[] = {
    {"access_token", CFG_SECRET, NULL, 0, 0,
     "personal access token (retired by Oura; one still held is used as is)"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_days", CFG_INT, "7", 0, 3650, "days re-fetched before the watermark on each sync"},
    {NULL},
};

/* What the resources of one run share (run->data). */
struct oura_run {
    bool earliest_known;
    time_t earliest; /* first day worth asking for in a full pass */
};

/* ================================================================ auth */

/* The host part of an http(s) URL, copied into out. */
static bool url_host(const char *url, char *out, size_t n)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return false;
    p += 3;
    size_t len = strcspn(p, "/:?#");
    if (len == 0 || len >= n)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

static bool is_ip_literal(const char *host)
{
    return strspn(host, "0123456789.") == strlen(host) || strchr(host, '[');
}

/* The last two labels of a host name ("moi.ouraring.com" -> "ouraring.com"). */
static const char *site_of(const char *host)
{
    const char *last = strrchr(host, '.');
    if (!last)
        return host;
    for (const char *p = last - 1; p >= host; p--)
        if (*p == '.')
            return p + 1;
    return host;
}

static bool same_site(const char *url_a, const char *url_b)
{
    char a[256], b[256];
    if (!url_host(url_a, a, sizeof a) || !url_host(url_b, b, sizeof b))
        return false;
    if (!strcmp(a, b))
        return true;
    return !is_ip_literal(a) && !is_ip_literal(b) && !strcmp(site_of(a), site_of(b));
}

/* The callback is unauthenticated, and the code and the client secret go to
 * the endpoint we pick: believe only URLs on the configured endpoints' site. */
static bool trusted_url(const struct provider_run *r, const char *url)
{
    return same_site(url, run_config_str(r, "authorize_url")) ||
           same_site(url, run_config_str(r, "token_url"));
}

/* GETs one OpenID configuration document (one attempt); the token endpoint
 * it names, as discovery fields, or NULL. */
static json_t *fetch_openid_configuration(struct provider_run *r, const char *doc_url)
{
    struct http_request req = {.method = "GET", .url = doc_url, .max_attempts = 1};
    struct hs_error ignored = HS_ERROR_INIT;
    json_t *doc = NULL;
    if (http_send_json(r->http, &req, &doc, &ignored) < 0) {
        log_debug("oura: no OpenID configuration at %s: %s", doc_url, ignored.msg);
        return NULL;
    }
    const char *endpoint = json_string_value(json_object_get(doc, "token_endpoint"));
    json_t *found = NULL;
    if (endpoint && trusted_url(r, endpoint)) {
        found = json_pack("{s:s,s:s}", "token_endpoint", endpoint, "oidc_discovery_url", doc_url);
        const char *issuer = json_string_value(json_object_get(doc, "issuer"));
        if (issuer)
            json_object_set_new(found, "issuer", json_string(issuer));
    } else if (endpoint) {
        log_warn("oura: ignoring token endpoint %s from %s: not on the configured site", endpoint,
                 doc_url);
    }
    json_decref(doc);
    return found;
}

/* The callback's issuer (`iss`): its /.well-known/openid-configuration,
 * then its parent's when the issuer ends in /oauth-anonymous
 * (docs/providers.md, "Oura"). */
static json_t *discover_token_endpoint(struct provider_run *r, const struct oauth_callback *cb)
{
    const char *iss = cb->iss;
    if (!iss || !*iss)
        return NULL;
    if (!trusted_url(r, iss)) {
        log_warn("oura: ignoring issuer %s: not on the configured site", iss);
        return NULL;
    }
    static const char suffix[] = "/oauth-anonymous";
    char *base = strdup(iss);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        base[--n] = '\0';
    json_t *found = NULL;
    for (int i = 0; i < 2 && !found; i++) {
        struct buf url = BUF_INIT;
        buf_addf(&url, "%s/.well-known/openid-configuration", base);
        found = fetch_openid_configuration(r, url.data);
        buf_free(&url);
        size_t sl = sizeof suffix - 1;
        if (n < sl || strcmp(base + n - sl, suffix))
            break;
        base[n -= sl] = '\0';
    }
    free(base);
    return found;
}

/* Token-reply fields that come from issuer discovery and must survive refreshes. */
static const char *const discovery_fields[] = {"token_endpoint", "issuer", "oidc_discovery_url",
                                               NULL};

/* Client authentication by HTTP Basic; refresh tokens rotate and are single use. */
static const struct oauth2_flow oura_oauth2 = {
    /* Oura's OAuth as it runs since its move to moi.ouraring.com. */
    .authorize_url = "https://moi.ouraring.com/oauth/v2/ext/oauth-authorize",
    .token_url = "https://moi.ouraring.com/oauth/v2/ext/oauth-token",
    /* Oura rejects 127.0.0.1. */
    .redirect_uri = "http://localhost:8484/callback",
    .scopes = "extapi:daily extapi:heartrate extapi:personal extapi:workout extapi:session "
              "extapi:tag extapi:spo2",
    .client_auth = OAUTH2_CLIENT_BASIC,
    .scope_separator = ' ',
    .rotating_refresh = true,
    .static_token_key = "access_token",
    .static_token_method = "pat",
    .static_token_name = "personal access token",
    .kept_fields = discovery_fields,
    .after_callback = discover_token_endpoint,
};

static void oura_cleanup(struct provider_run *r)
{
    free(r->data);
    r->data = NULL;
}

/* ================================================================ listing */

static char *collection_url(const struct provider_run *r, const char *resource)
{
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/v2/usercollection/%s", run_config_str(r, "base_url"), resource);
    return buf_detach(&url);
}

/* Pages {"data": [...], "next_token": ...}; a `data` object is one
 * document, and a reply without `data` is itself one. */
static const struct cursor_paging oura_paging = {"data", "next_token", "next_token", true};

static char *str_or_null(const json_t *v)
{
    return v ? json_strdup(v) : NULL;
}

/* first(id, day, timestamp), else the hash of the document. */
static char *document_id(const json_t *doc)
{
    char *id = str_or_null(JSON_FIRST(doc, "id", "day", "timestamp"));
    if (id)
        return id;
    char hash[65];
    return json_hash(doc, hash) == 0 ? strdup(hash) : NULL;
}

/* Stores one document by the rules of docs/providers.md ("Oura"); a sleep of
 * type "deleted" is
 * deleted here. */
static int put_document(struct task *t, json_t *doc, void *unused, struct hs_error *err)
{
    (void)unused;
    char *id = document_id(doc);
    if (!id)
        return hs_error_set(err, HS_ERR_FINAL, "cannot identify a document");
    const char *type = json_string_value(json_object_get(doc, "type"));
    int rc;
    if (type && !strcmp(type, "deleted")) {
        rc = task_delete(t, NULL, id, err);
    } else {
        char *start =
            str_or_null(JSON_FIRST(doc, "day", "start_datetime", "timestamp", "start_time"));
        char *end = str_or_null(JSON_FIRST(doc, "end_datetime", "end_time"));
        char *updated = str_or_null(JSON_FIRST(doc, "updated_at", "modified_at", "timestamp"));
        rc = task_put(t, id, start, end, updated, doc, err);
        free(start);
        free(end);
        free(updated);
    }
    free(id);
    return rc;
}

/* ================================================================ resources */

static int put_personal_info(struct task *t, json_t *doc, void *unused, struct hs_error *err)
{
    (void)unused;
    return task_put(t, "me", NULL, NULL, NULL, doc, err);
}

static int commit_now(struct task *t, struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    time_format_iso(t->run->now, now);
    return task_commit(t, now, NULL, err);
}

static int sync_personal_info(struct task *t, struct hs_error *err)
{
    char *url = collection_url(t->run, "personal_info");
    int rc = cursor_list(t, url, &oura_paging, put_personal_info, NULL, false, NULL, err);
    free(url);
    return rc < 0 ? -1 : commit_now(t, err);
}

/* Ring configurations take no date filter: list them all each time and
 * sweep what is gone. */
static int sync_ring_configuration(struct task *t, struct hs_error *err)
{
    char *url = collection_url(t->run, "ring_configuration");
    int rc = cursor_list(t, url, &oura_paging, put_document, NULL, true, NULL, err);
    free(url);
    if (rc == 0)
        rc = task_sweep(t, NULL, NULL, err);
    return rc < 0 ? -1 : commit_now(t, err);
}

static time_t midnight(time_t t)
{
    return t - ((t % DAY) + DAY) % DAY;
}

static char *window_url(const struct provider_run *r, const char *resource, time_t from, time_t to)
{
    char a[TIME_DATE_LEN], b[TIME_DATE_LEN];
    time_format_date(from, a);
    time_format_date(to, b);
    char *base = collection_url(r, resource);
    struct buf url = BUF_INIT;
    buf_adds(&url, base);
    http_url_add_param(&url, "start_date", a);
    http_url_add_param(&url, "end_date", b);
    free(base);
    return buf_detach(&url);
}

/* Tracks the earliest `day` of the documents listed. */
static int note_earliest_day(struct task *t, json_t *doc, void *earliest, struct hs_error *err)
{
    (void)t, (void)err;
    time_t day;
    const char *s = json_string_value(json_object_get(doc, "day"));
    if (s && time_parse_date(s, &day) == 0 && day < *(time_t *)earliest)
        *(time_t *)earliest = day;
    return 0;
}

/* The earliest day with activity data walked year by year from start_date,
 * the first non-empty year listed through.  No data at all: today. */
static int walk_to_earliest_day(struct task *t, time_t start_date, time_t *earliest,
                                struct hs_error *err)
{
    time_t today = midnight(t->run->now);
    for (time_t lo = start_date; lo <= today; lo += (time_t)WINDOW_DAYS * DAY) {
        time_t hi = lo + (time_t)(WINDOW_DAYS - 1) * DAY;
        char *url = window_url(t->run, "daily_activity", lo, hi < today ? hi : today);
        *earliest = today + DAY;
        int rc = cursor_list(t, url, &oura_paging, note_earliest_day, earliest, false, NULL, err);
        free(url);
        if (rc < 0 || *earliest <= today)
            return rc;
    }
    *earliest = today;
    return 0;
}

/* The first page of daily_activity from..to: the earliest day on it (left
 * as is when it holds none), and whether more pages follow. */
static int first_page_earliest(struct task *t, time_t from, time_t to, time_t *earliest,
                               bool *more, struct hs_error *err)
{
    char *url = window_url(t->run, "daily_activity", from, to);
    json_t *reply = NULL;
    int rc = url ? task_get_json(t, url, &reply, err)
                 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(url);
    if (rc == 0)
        rc = cursor_each_item(t, reply, &oura_paging, note_earliest_day, earliest, err);
    *more = cursor_next_token(reply, &oura_paging) != NULL;
    json_decref(reply);
    return rc;
}

/* The earliest day with activity data, in two requests instead of a year
 * after empty year: the first page of the whole range gives its earliest
 * day (Oura lists in day order), and the range before that day must then
 * be empty.  A reply that does not bear that out (another order) is walked
 * year by year.  A first page that is the only one held the whole range:
 * its earliest day is the answer in one request, whatever the order.  No
 * data at all: today.  Unanswerable (say, no scope): start_date. */
static time_t probe_earliest_day(struct task *t, time_t start_date)
{
    time_t today = midnight(t->run->now), found = today + DAY, before = today + DAY;
    bool more = false, more_before = false;
    struct hs_error err = HS_ERROR_INIT;
    int rc = first_page_earliest(t, start_date, today, &found, &more, &err);
    if (rc == 0 && !more)
        return found > today ? today : found;
    if (rc == 0 && found <= start_date)
        return start_date;
    if (rc == 0 && found <= today) {
        rc = first_page_earliest(t, start_date, found - DAY, &before, &more_before, &err);
        if (rc == 0 && before > today && !more_before)
            return found;
    }
    if (rc == 0) {
        log_debug("oura: daily_activity not listed in day order; walking the years from start_date");
        rc = walk_to_earliest_day(t, start_date, &found, &err);
    }
    if (rc < 0) {
        log_debug("oura: cannot find the earliest day with data (%s); starting at start_date",
                  err.msg);
        return start_date;
    }
    return found;
}

/* Where a full pass starts: start_date, or later when the account's data
 * begins later (found once per run). */
static time_t full_pass_start(struct task *t)
{
    time_t start_date;
    if (time_parse_date(run_config_str(t->run, "start_date"), &start_date) < 0)
        start_date = 0;
    /* Resources run in parallel: the first to get here probes, the others wait. */
    static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&probe_lock);
    struct oura_run *o = t->run->data;
    if (!o && (o = calloc(1, sizeof *o)))
        t->run->data = o;
    if (o && !o->earliest_known) {
        time_t earliest = probe_earliest_day(t, start_date);
        o->earliest = earliest - (earliest > start_date ? (time_t)EARLIEST_MARGIN_DAYS * DAY : 0);
        o->earliest_known = true;
    }
    time_t start = o && o->earliest > start_date ? o->earliest : start_date;
    pthread_mutex_unlock(&probe_lock);
    return start;
}

/* First day to ask: the watermark's day minus overlap_days; in a full pass
 * the window a killed pass stopped at (cursor "window:<day>"), else the full
 * pass start.  The watermark may be a date (the Python tool's) or ISO. */
static time_t date_window_start(struct task *t)
{
    time_t at;
    const char *cursor = t->state.cursor;
    if (!t->full && t->state.watermark && time_parse(t->state.watermark, &at) == 0)
        return midnight(at) - (time_t)run_config_int(t->run, "overlap_days") * DAY;
    if (t->full && cursor && !strncmp(cursor, "window:", 7) &&
        time_parse_date(cursor + 7, &at) == 0)
        return at;
    return full_pass_start(t);
}

/* A resource's date windows, fetched side by side and stored in order. */
struct date_windows {
    time_t *lo, *hi; /* each window's first and last day */
    char **urls;
    size_t n;
    time_t today, last;
};

/* The same URL with the reply's next_token, or NULL on the last page. */
static char *next_page_url(const char *url, const json_t *page, void *unused);

/* A page of a window, on a fetching thread: its documents queued. */
static int put_window_page(struct task *jt, size_t job, json_t *page, void *arg,
                           struct hs_error *err)
{
    (void)job, (void)arg;
    return cursor_each_item(jt, page, &oura_paging, put_document, NULL, err);
}

/* After a window's pages: sweeps what the window no longer holds and
 * commits its documents with its watermark (the window's last day, at most
 * today) and the cursor of the next window. */
static int window_done(struct task *t, size_t job, void *arg, struct hs_error *err)
{
    const struct date_windows *w = arg;
    char from[TIME_DATE_LEN], to[TIME_DATE_LEN], wm[TIME_DATE_LEN];
    time_format_date(w->lo[job], from);
    time_format_date(w->hi[job], to);
    time_format_date(w->hi[job] < w->today ? w->hi[job] : w->today, wm);
    task_progress(t, "%s..%s: %zu documents", from, to, task_queued(t));
    /* start_time is a day or a local date-time beginning with one:
     * "<to>~" sorts after both. */
    char to_bound[TIME_DATE_LEN + 1];
    snprintf(to_bound, sizeof to_bound, "%s~", to);
    if (task_sweep(t, from, to_bound, err) < 0)
        return -1;
    char cursor[7 + TIME_DATE_LEN] = "";
    if (t->full && w->hi[job] < w->last) {
        memcpy(cursor, "window:", 7);
        time_format_date(w->hi[job] + DAY, cursor + 7);
    }
    return task_commit(t, wm, cursor, err);
}

static void free_windows(struct date_windows *w)
{
    task_free_urls(w->urls, w->n);
    free(w->lo);
    free(w->hi);
}

static int sync_by_date(struct task *t, struct hs_error *err)
{
    time_t today = midnight(t->run->now);
    /* A night is filed under the day it ends, so ask one day ahead. */
    time_t last = today + (strcmp(t->resource->name, "sleep") ? 0 : DAY);
    time_t start = date_window_start(t);
    if (start > last) {
        char wm[TIME_DATE_LEN];
        time_format_date(today, wm);
        return task_commit(t, wm, "", err);
    }
    const time_t span = (time_t)WINDOW_DAYS * DAY;
    struct date_windows w = {.today = today, .last = last};
    w.n = (size_t)((last - start) / span) + 1;
    w.lo = calloc(w.n, sizeof *w.lo);
    w.hi = calloc(w.n, sizeof *w.hi);
    w.urls = calloc(w.n, sizeof *w.urls);
    int rc = w.lo && w.hi && w.urls ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        w.lo[i] = start + (time_t)i * span;
        w.hi[i] = w.lo[i] + span - DAY < last ? w.lo[i] + span - DAY : last;
        if (!(w.urls[i] = window_url(t->run, t->resource->name, w.lo[i], w.hi[i])))
            rc = hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    if (rc == 0)
        rc = task_fetch_ahead(t, w.urls, w.n, WINDOW_PAGES_AHEAD, next_page_url,
                              put_window_page, window_done, &w, err);
    free_windows(&w);
    return rc;
}

/* str(v) without a copy when v is a string (the usual case), else a copy
 * left in *owned for the caller to free; NULL for a missing value. */
static const char *str_view(const json_t *v, char **owned)
{
    *owned = NULL;
    if (!v)
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    return *owned = json_strdup(v);
}

/* Called for every sample of years of heart rate: no copies. */
static int put_heartrate(struct task *t, json_t *sample, void *unused, struct hs_error *err)
{
    (void)unused;
    char *ts_copy, *id_copy, *hashed = NULL;
    const char *ts = str_view(JSON_FIRST(sample, "timestamp", "time", "datetime"), &ts_copy);
    const char *id = str_view(JSON_FIRST(sample, "id"), &id_copy);
    if (!id)
        id = ts ? ts : (hashed = document_id(sample));
    int rc = id ? task_put(t, id, ts, NULL, ts, sample, err)
                : hs_error_set(err, HS_ERR_FINAL, "cannot identify a sample");
    free(ts_copy);
    free(id_copy);
    free(hashed);
    return rc;
}

/* Where heart rate starts: a day before the latest stored sample (samples
 * arrive late), or the full pass start when none is stored or on --full. */
static int heartrate_start(struct task *t, time_t *start, struct hs_error *err)
{
    char *latest = NULL;
    if (!t->run->full && task_max_start_time(t, "heartrate", &latest, err) < 0)
        return -1;
    time_t at;
    bool resume = latest && time_parse(latest, &at) == 0;
    free(latest);
    *start = resume ? at - DAY : full_pass_start(t);
    return 0;
}

/* The same URL with the reply's next_token, or NULL on the last page. */
static char *next_page_url(const char *url, const json_t *page, void *unused)
{
    (void)unused;
    return cursor_next_url(url, page, &oura_paging);
}

struct heartrate_windows {
    char **urls;
    char (*ends)[TIME_ISO_LEN];
    size_t n;
};

/* A page of samples, on a fetching thread: queued (a streamed page has
 * none left but those of another shape). */
static int put_heartrate_page(struct task *jt, size_t job, json_t *page, void *arg,
                              struct hs_error *err)
{
    (void)job, (void)arg;
    return cursor_each_item(jt, page, &oura_paging, put_heartrate, NULL, err);
}

/* A sample of a streamed page (objects only, as each_document takes). */
static int put_heartrate_item(struct task *jt, size_t job, json_t *sample, void *arg,
                              struct hs_error *err)
{
    (void)job, (void)arg;
    return json_is_object(sample) ? put_heartrate(jt, sample, NULL, err) : 0;
}

static const struct item_stream_spec heartrate_items = {"data", put_heartrate_item};

/* After a window's pages: commits them with the window's end as the
 * watermark (windows are handed over in order). */
static int heartrate_window_done(struct task *t, size_t job, void *arg, struct hs_error *err)
{
    const struct heartrate_windows *w = arg;
    task_progress_of(t, (long)job + 2, (long)w->n + 1, "window %zu of %zu (to %.16s): %zu samples",
                     job + 2, w->n + 1, w->ends[job], task_queued(t)); /* window 1 came first */
    return task_commit(t, w->ends[job], NULL, err);
}

/* What the first window showed: how many pages, and from when to when
 * its samples ran. */
struct first_window {
    int pages;
    long samples;
    time_t first, last;
};

static int put_heartrate_noted(struct task *t, json_t *sample, void *arg, struct hs_error *err)
{
    struct first_window *fw = arg;
    time_t at;
    const char *ts = json_string_value(JSON_FIRST(sample, "timestamp", "time", "datetime"));
    if (ts && time_parse(ts, &at) == 0) {
        if (!fw->samples || at < fw->first)
            fw->first = at;
        if (!fw->samples || at > fw->last)
            fw->last = at;
        fw->samples++;
    }
    return put_heartrate(t, sample, NULL, err);
}

/* The first window, page after page, committed with its end. */
static int first_heartrate_window(struct task *t, const char *url, const char *end_iso,
                                  struct first_window *fw, struct hs_error *err)
{
    memset(fw, 0, sizeof *fw);
    if (cursor_list(t, url, &oura_paging, put_heartrate_noted, fw, false, &fw->pages, err) < 0)
        return -1;
    task_progress(t, "window 1 (to %.10s): %zu samples", end_iso, task_queued(t));
    return task_commit(t, end_iso, NULL, err);
}

/* Windows after the first: 30 days (the longest Oura accepts), or, when
 * the first took several pages, the time one page held on average (its
 * samples' span over its pages), less a tenth for denser stretches, in
 * whole hours,
 * so that each later window is one request and they can all be fetched
 * side by side (a window of many pages is a chain of requests one after
 * another). */
static time_t heartrate_span(time_t first_span, int pages)
{
    time_t span = (time_t)HEARTRATE_WINDOW_DAYS * DAY;
    if (pages <= 1 || first_span <= 0)
        return span;
    time_t fit = first_span / pages;
    fit -= fit / 10;
    fit -= fit % 3600;
    return fit < 3600 ? 3600 : fit < span ? fit : span;
}

static char *heartrate_url(const char *base, time_t lo, time_t hi, char end_iso[TIME_ISO_LEN])
{
    char a[TIME_ISO_LEN];
    time_format_iso(lo, a);
    time_format_iso(hi, end_iso);
    struct buf url = BUF_INIT;
    buf_adds(&url, base);
    http_url_add_param(&url, "start_datetime", a);
    http_url_add_param(&url, "end_datetime", end_iso);
    return buf_detach(&url);
}

static void free_heartrate_windows(struct heartrate_windows *w)
{
    task_free_urls(w->urls, w->n);
    free(w->ends);
}

static size_t heartrate_ahead(const struct provider_run *r)
{
    size_t most = run_max_concurrency(r);
    return most < HEARTRATE_AHEAD ? most : HEARTRATE_AHEAD;
}

/* The windows from..end, `span` each, fetched side by side. */
static int rest_of_heartrate(struct task *t, const char *base, time_t from, time_t end,
                             time_t span, struct hs_error *err)
{
    if (from >= end)
        return 0;
    size_t n = (size_t)((end - from + span - 1) / span);
    struct heartrate_windows w = {calloc(n, sizeof *w.urls), calloc(n, sizeof *w.ends), n};
    int rc = w.urls && w.ends ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        time_t lo = from + (time_t)i * span, hi = lo + span < end ? lo + span : end;
        if (!(w.urls[i] = heartrate_url(base, lo, hi, w.ends[i])))
            rc = hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    if (rc == 0)
        rc = task_fetch_items_ahead(t, w.urls, n, heartrate_ahead(t->run), &heartrate_items,
                                    next_page_url, put_heartrate_page, heartrate_window_done, &w,
                                    err);
    free_heartrate_windows(&w);
    return rc;
}

/* Windows of at most 30 days (Oura rejects longer ones): the first one
 * listed alone, the rest sized by it and fetched side by side. */
static int sync_heartrate(struct task *t, struct hs_error *err)
{
    time_t end = t->run->now, start;
    if (heartrate_start(t, &start, err) < 0)
        return -1;
    time_t first_end = start + (time_t)HEARTRATE_WINDOW_DAYS * DAY;
    if (first_end > end)
        first_end = end;
    char *base = collection_url(t->run, "heartrate");
    if (!base)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    char first_iso[TIME_ISO_LEN];
    char *url = heartrate_url(base, start < end ? start : end, first_end, first_iso);
    struct first_window fw;
    int rc = url ? first_heartrate_window(t, url, first_iso, &fw, err)
                 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(url);
    if (rc == 0)
        rc = rest_of_heartrate(t, base, first_end, end,
                               heartrate_span(fw.last - fw.first, fw.pages), err);
    free(base);
    return rc;
}

static const struct resource oura_resources[] = {
    {"personal_info", sync_personal_info},
    /* The longest listing (years of samples) starts first; the others run
     * beside it. */
    {"heartrate", sync_heartrate, .bulk = true},
    {"daily_activity", sync_by_date},
    {"daily_sleep", sync_by_date},
    {"daily_readiness", sync_by_date},
    {"sleep", sync_by_date},
    {"workout", sync_by_date},
    /* The other documented collections (the Python tool has none of them). */
    {"session", sync_by_date, .optional = true},
    {"tag", sync_by_date, .optional = true},
    {"enhanced_tag", sync_by_date, .optional = true},
    {"daily_spo2", sync_by_date, .optional = true},
    {"daily_stress", sync_by_date, .optional = true},
    {"daily_resilience", sync_by_date, .optional = true},
    {"daily_cardiovascular_age", sync_by_date, .optional = true},
    {"vO2_max", sync_by_date, .optional = true},
    {"sleep_time", sync_by_date, .optional = true},
    {"rest_mode_period", sync_by_date, .optional = true},
    {"ring_configuration", sync_ring_configuration, .optional = true},
    {NULL},
};

/* init's check: one request, the last 30 days of daily sleep. */
static int oura_probe(struct provider_run *r, struct buf *found, struct hs_error *err)
{
    char from[TIME_DATE_LEN], to[TIME_DATE_LEN];
    time_t now = time_now();
    time_format_date(now - 30 * 86400, from);
    time_format_date(now, to);
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/v2/usercollection/daily_sleep", run_config_str(r, "base_url"));
    http_url_add_param(&url, "start_date", from);
    http_url_add_param(&url, "end_date", to);
    int rc = run_probe_count(r, url.data, "data", "day of sleep", "days of sleep", found, err);
    buf_free(&url);
    return rc;
}

const struct provider oura_provider = {
    .name = "oura",
    .title = "Oura",
    .auth = AUTH_OAUTH2,
    .parallel_resources = true,
    .own_keys = oura_keys,
    .base_url = "https://api.ouraring.com",
    /* Oura limits requests per 5 minutes, not at once; a backfill's ~500
     * requests are slot-bound at a real latency, so more in flight is
     * faster (docs/performance.md). */
    .max_concurrency = "16",
    .resources = oura_resources,
    .oauth2 = &oura_oauth2,
    .authenticate = oauth2_authenticate,
    .prepare = oauth2_prepare,
    .refresh = oauth2_refresh,
    .cleanup = oura_cleanup,
    .setup_url = "https://developer.ouraring.com/applications",
    .probe = oura_probe,
};
