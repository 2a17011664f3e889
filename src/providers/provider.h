/* provider.h: the one interface between the sync runner and a provider.
 *
 * A provider file holds only what is particular to its API: URLs,
 * parameters, how an item becomes a record, how the watermark moves.  It
 * never touches SQLite: it reads its watermark from the task and hands over
 * records, deletions and the new watermark through the task_* calls below
 * (implemented by the runner in src/sync/), which commit each page with its watermark in one
 * transaction. */
#ifndef HS_PROVIDER_H
#define HS_PROVIDER_H

#include "buf.h"
#include "config.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "store.h"

#include <stdbool.h>
#include <time.h>

enum auth_kind { AUTH_OAUTH2, AUTH_API_KEY, AUTH_PASSWORD };

struct oauth2_flow;
struct provider;
struct provider_run;
struct task;

struct resource {
    const char *name; /* "daily_sleep", "workouts", ... */
    int (*sync)(struct task *t, struct hs_error *err);
    /* Starts only once every resource before it has finished (it uses what
     * they found, through run->data).  Others may run at the same time as
     * their neighbours when the provider allows it (parallel_resources). */
    bool after_previous;
    /* Beyond what the Python tool fetches (a newer or extra endpoint): a
     * server without it (HTTP 404 before any page) skips it with a warning
     * instead of failing the provider.  The Python tool's own resources
     * stay errors on a 404, so a wrong base_url still fails the sync. */
    bool optional;
    /* Years of small records (a backfill's bulk): while it runs, resources
     * whose rows sort after it commit only once it is done (order_gate.h). */
    bool bulk;
    /* Finds what the resources after it use (Eight Sleep's account ids): a
     * [<provider>].resources selection naming a later one must keep it. */
    bool feeds_later;
};

/* What `health-sync auth <provider>` hands the provider. */
struct auth_ctx {
    struct provider_run *run; /* config, http client, token storage */
    const char *listen_host;  /* NULL = 127.0.0.1 */
    int listen_port;          /* 0 = the redirect_uri's port */
    bool open_browser;
    bool read_stdin;
    int timeout_seconds; /* how long to wait for the authorization; 0 = 300 */
};

struct provider {
    const char *name;  /* "oura": the config section and the provider column */
    const char *title; /* "Oura", for messages */
    enum auth_kind auth;
    /* Resources may run at the same time (up to max_concurrency): the
     * provider's code is safe for that (its run->data is read-only or
     * locked, and resources that depend on others say after_previous). */
    bool parallel_resources;
    /* The [name] section: the keys every provider shares (enabled,
     * resources, max_concurrency, base_url; an OAuth2 provider's client_id,
     * client_secret, redirect_uri, scopes, authorize_url, token_url) come
     * from keys.c with the defaults below; own_keys ({NULL}-ended) are the
     * rest.  provider_config_keys() gives the whole section. */
    const struct config_key *own_keys;
    const char *base_url;        /* default [name].base_url; NULL: no such key */
    const char *max_concurrency; /* default [name].max_concurrency; NULL: 4 */
    const struct resource *resources;     /* in run order, ended by {NULL} */
    /* AUTH_OAUTH2: how the grants go (oauth2.h); NULL otherwise. */
    const struct oauth2_flow *oauth2;
    /* `health-sync auth <name>`: obtain and store credentials. */
    int (*authenticate)(struct auth_ctx *a, struct hs_error *err);
    /* Before the resources run: obtain or refresh credentials and set
     * run->access_token (or fail with HS_ERR_AUTH / HS_ERR_CONFIG). */
    int (*prepare)(struct provider_run *r, struct hs_error *err);
    /* Force a token refresh after a 401; NULL when the provider cannot. */
    int (*refresh)(struct provider_run *r, struct hs_error *err);
    /* Release run->data. May be NULL. */
    void (*cleanup)(struct provider_run *r);
    /* Where a person registers an application or creates a key (`init`
     * shows it); NULL when there is none (Eight Sleep signs in as its app). */
    const char *setup_url;
    /* One cheap request once credentials work, appending what the account
     * holds to `found` ("25 days of sleep in the last 30 days"); `init`
     * runs it after auth and prepare.  NULL: init says the sign-in worked
     * (a key provider's auth has said what its request found). */
    int (*probe)(struct provider_run *r, struct buf *found, struct hs_error *err);
};

/* One provider's part of a sync (or of an auth). */
struct provider_run {
    const struct provider *provider;
    const struct config *cfg;
    struct http_client *http;
    time_t now;          /* taken once when the run starts */
    char *access_token;  /* set by prepare (malloc'ed; freed by the runner) */
    bool full;           /* `sync --full` */
    void *data;          /* the provider's own state across its resources */
    struct sync_runner *runner; /* private to src/sync/ */
    struct run_state *state;    /* private to src/sync/ */
};

/* One resource's sync. */
struct task {
    struct provider_run *run;
    const struct resource *resource;
    /* The sync_state row as it was when the task started (fields NULL when none). */
    struct sync_state state;
    /* Re-list the whole history and delete what upstream no longer has:
     * `sync --full`, a first backfill, or a reconciliation that is due. */
    bool full;
    void *priv; /* private to src/sync/ */
};

/* ---- configuration ---- */
const char *run_config_str(const struct provider_run *r, const char *key);
long long run_config_int(const struct provider_run *r, const char *key);
bool run_config_bool(const struct provider_run *r, const char *key);
const char *const *run_config_list(const struct provider_run *r, const char *key, size_t *n);
bool run_config_is_set(const struct provider_run *r, const char *key);
/* The value, or NULL with err "missing [<provider>].<key> in <config path>". */
const char *run_config_require(const struct provider_run *r, const char *key,
                               struct hs_error *err);

/* ---- tokens (committed at once, in their own transaction) ---- */
/* 1 found, 0 none, -1 error. */
int run_load_token(struct provider_run *r, struct token *out, struct hs_error *err);
int run_save_token(struct provider_run *r, const struct token *t, struct hs_error *err);
/* Replaces run->access_token (copied) and registers it as a secret.  The
 * previous string stays valid until the run ends (other threads may be
 * sending it). */
void run_set_access_token(struct provider_run *r, const char *token);
/* The access token to send now (see run_set_access_token). */
const char *run_access_token(struct provider_run *r);
/* After a 401 for a request sent with `used`: refreshes once, however many
 * resources hit the 401 at the same time (a rotated refresh token must be
 * spent only once).  0 when a newer token is ready. */
int run_refresh_token(struct provider_run *r, const char *used, struct hs_error *err);

/* ---- HTTP with the run's credentials ---- */
/* Sends req; when req->bearer is NULL and the provider is not AUTH_API_KEY,
 * run->access_token is sent as Bearer.  On a 401 that is not a scope error,
 * calls provider->refresh once and retries.  Parses the body as JSON. */
int task_request_json(struct task *t, const struct http_request *req, json_t **out,
                      struct hs_error *err);
/* GET url (see task_request_json). */
int task_get_json(struct task *t, const char *url, json_t **out, struct hs_error *err);
/* GET url with the run's access token as Bearer, outside any task (one
 * request: no 401 refresh, no fetch-ahead). */
int run_get_json(struct provider_run *r, const char *url, json_t **out, struct hs_error *err);
/* For a probe over the last 30 days: GETs url (run_get_json) and appends
 * "N <one|many> in the last 30 days" to found, N the length of the reply's
 * items_key array ("over N" when a next_token names another page). */
int run_probe_count(struct provider_run *r, const char *url, const char *items_key, const char *one,
                    const char *many, struct buf *found, struct hs_error *err);

/* Listings fetched ahead, in parallel: job i is urls[i] followed by the
 * continuation pages next_url() names (NULL: the job is complete).
 *
 * Each page is handed to on_page on the fetching thread that got it, with
 * a task of its own (jt) whose task_put/task_put_in/task_delete queue the
 * page's changes (it may not commit or sweep); the parsed page is freed as
 * soon as on_page returns, so only compact queues wait.  The queues reach
 * the calling task in job order (task_fetch_ahead) or as they come, each
 * job's own in order (task_fetch_any_order), and after a job's last page
 * job_done runs on the calling thread: commit there (task_queued tells how
 * much is queued), or pass NULL to leave the queue for the task's own
 * commit after task_fetch_ahead returns.  At most `ahead` requests are in flight, and the
 * queued pages stay within a small budget, so memory stays bounded.
 * next_url and on_page run on the fetching threads: they may only read
 * `arg`, or write what belongs to their job. */
typedef char *(*next_url_fn)(const char *url, const json_t *page, void *arg);
/* What a next_url returns when there is a next page but its URL could not
 * be built (out of memory, a continuation too long for a URL): the job
 * fails, so a listing cut short never looks complete (a complete listing
 * deletes what it did not see). */
extern char task_next_url_failed[];
/* The longest continuation URL built; no API's cursor comes near it. */
#define TASK_URL_MAX (16 * 1024)
/* b's string for a next_url to return (b left empty), or
 * task_next_url_failed when an append to it failed. */
char *task_next_url_of(struct buf *b);
/* A next_url for listings whose jobs are one page each. */
char *task_single_page(const char *url, const json_t *page, void *arg);
typedef int (*fetched_page_fn)(struct task *jt, size_t job, json_t *page, void *arg,
                               struct hs_error *err);
typedef int (*job_done_fn)(struct task *t, size_t job, void *arg, struct hs_error *err);
int task_fetch_ahead(struct task *t, char *const *urls, size_t n, size_t ahead,
                     next_url_fn next_url, fetched_page_fn on_page, job_done_fn job_done,
                     void *arg, struct hs_error *err);
/* task_fetch_ahead for pages shaped {..., "<key>": [item, ...], ...} that
 * may be large (a month of heart rate): each item goes to on_item as soon
 * as it is parsed, on the fetching thread with the job task, so no page is
 * ever parsed whole; on_page and next_url then see the page with that
 * array emptied (a page of another shape reaches on_page whole). */
typedef int (*fetched_item_fn)(struct task *jt, size_t job, json_t *item, void *arg,
                               struct hs_error *err);
struct item_stream_spec {
    const char *key;
    fetched_item_fn on_item;
};
int task_fetch_items_ahead(struct task *t, char *const *urls, size_t n, size_t ahead,
                           const struct item_stream_spec *items, next_url_fn next_url,
                           fetched_page_fn on_page, job_done_fn job_done, void *arg,
                           struct hs_error *err);
int task_fetch_any_order(struct task *t, char *const *urls, size_t n, size_t ahead,
                         next_url_fn next_url, fetched_page_fn on_page, job_done_fn job_done,
                         void *arg, struct hs_error *err);
/* Frees the n URLs of a fetch ahead and their array (NULL: nothing). */
void task_free_urls(char **urls, size_t n);
/* How many requests of this provider may be in flight at once. */
size_t run_max_concurrency(const struct provider_run *r);

/* ---- records ---- */
/* Queues an upsert of a record of this task's resource (payload serialised
 * as the Python tool does: compact, ASCII, keys in received order). Times
 * may be NULL.  Marks record_id as seen for task_sweep. */
int task_put(struct task *t, const char *record_id, const char *start_time, const char *end_time,
             const char *source_updated_at, const json_t *payload, struct hs_error *err);
/* The same into another resource of this provider (e.g. Hevy's workout_events). */
int task_put_in(struct task *t, const char *resource, const char *record_id,
                const char *start_time, const char *end_time, const char *source_updated_at,
                const json_t *payload, struct hs_error *err);
/* How many changes are queued for the next commit. */
size_t task_queued(const struct task *t);
/* Queues a deletion (from this task's resource, or `resource` when non-NULL). */
int task_delete(struct task *t, const char *resource, const char *record_id,
                struct hs_error *err);
/* Commits what is queued together with the new watermark and cursor (NULL:
 * keep the current value) in one transaction.  Call once per page. */
int task_commit(struct task *t, const char *watermark, const char *cursor, struct hs_error *err);
/* Queues deletion of every stored record of this resource whose start_time is
 * within [from, to] (NULL = open bound; compared as text) and that was not
 * put during this task.  Call only after a complete, successful listing. */
int task_sweep(struct task *t, const char *from, const char *to, struct hs_error *err);
/* Rows stored for a resource of this provider (NULL = this task's) into *n;
 * -1 on error (err set). */
int task_count_records(struct task *t, const char *resource, long *n, struct hs_error *err);
/* MAX(start_time) stored for a resource of this provider into *out (NULL
 * when none; caller frees); -1 on error (err set). */
int task_max_start_time(struct task *t, const char *resource, char **out, struct hs_error *err);

/* ---- history walked within a budget ----
 * A resource whose history can only be walked one request after another
 * (a cursor chain, a per-minute limit) walks it newest first, the recent
 * end first on every sync, and then older history until its budget for
 * this sync is spent; its position is committed as it goes and the next
 * sync goes on from there. */
/* The walk's state as committed: {"oldest": ISO, "complete": bool, ...the
 * provider's own resume position}, or NULL before the first.  Caller frees
 * (json_decref). */
json_t *task_history(const struct task *t);
/* Replaces it (copied); written with the next task_commit.  "oldest" (the
 * oldest time reached) and "complete" are what `status` shows. */
int task_set_history(struct task *t, const json_t *history, struct hs_error *err);
/* Starts the budget's clock: call when the walk of older history begins. */
void task_history_begin(struct task *t);
/* Whether the budget is spent: call before each step of older history
 * (from any thread of the task). */
bool task_history_spent(struct task *t);

/* Progress for people: pages, records, waits.  On a terminal each running
 * provider has one line, redrawn in place; otherwise a plain line each. */
void task_progress(struct task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for step `done` of `total` (windows, nights, pages): a terminal
 * also shows the share done and the time left. */
void task_progress_of(struct task *t, long done, long total, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The provider table (registry.c). */
extern const struct provider *const providers[];
const struct provider *provider_find(const char *name);
/* The names of the providers whose auth kind is in `kinds` (a mask of
 * 1 << enum auth_kind; PROVIDERS_ALL: every one), in table order, joined
 * by sep: one source for usage text, messages and completions. */
#define PROVIDERS_ALL (~0)
void provider_names(struct buf *out, const char *sep, int kinds);
/* "Oura, Withings, ... and WHOOP". */
void provider_titles(struct buf *out);
/* Every key of the provider's config section, shared ones included, ended
 * by {NULL} (built once, kept for the process). */
const struct config_key *provider_config_keys(const struct provider *p);
/* Whether [<provider>].resources selects the resource (unset: every one). */
bool provider_resource_on(const struct config *cfg, const struct provider *p,
                          const char *resource);
/* Whether k is one a person supplies to set the provider up (what `init`
 * asks and `providers` checks): a string or secret without a default,
 * other than a static access_token (which overrides the sign-in). */
bool provider_key_is_setup(const struct config_key *k);
/* Checks every provider's resources selection: an unknown name, or a
 * selection that drops a resource a selected one builds on, is a
 * config error naming file:line and the valid names. */
int provider_check_resources(const struct config *cfg, struct hs_error *err);

#endif
