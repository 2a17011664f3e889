#include "sync.h"

#include "json.h"
#include "log.h"
#include "order_gate.h"
#include "spill.h"
#include "strset.h"
#include "timeutil.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sync_runner {
    struct store *store;
    pthread_mutex_t store_lock; /* the store has one writer at a time */
    const struct config *cfg;
    struct sync_options opt;
    long commits; /* also for HEALTH_SYNC_FAIL_AFTER_COMMITS */
    long fail_after_commits;
    /* The one writer is where a backfill at low latency queues up: how long
     * it was busy, against the run's length, tells whether it was. */
    double started, writing_seconds;
    struct order_gate *gate; /* commits that wait for a bulk listing */
};

/* Records handed to the store at a time (a multiple of its statement sizes). */
#define UPSERT_BATCH 256

/* One queued change of a page.  Its strings live in the task's `text`
 * buffer (one allocation for the whole page, not six per record), named by
 * offset because the buffer moves as it grows; NO_TEXT stands for NULL. */
#define NO_TEXT UINT32_MAX
/* A queue's text stays below this, so 32-bit offsets do (pages are capped
 * far lower; a commit empties the queue). */
#define QUEUE_TEXT_LIMIT ((size_t)1 << 30)
struct pending_op {
    uint32_t is_delete; /* 0 or 1, a whole word: no padding, as pages set aside
                         * are written to disk byte for byte */
    uint32_t resource;
    uint32_t record_id;
    uint32_t start_time, end_time, source_updated_at;
    uint32_t payload_json;
};

_Static_assert(sizeof(struct pending_op) == 7 * sizeof(uint32_t), "pending_op has padding");

struct task_state {
    struct pending_op *ops;
    size_t n_ops, cap_ops;
    struct buf text;          /* the queued ops' strings, NUL-separated */
    /* Ids put in this task, for task_sweep.  Kept only when the resource
     * had rows at the start: otherwise every row a sweep could find was
     * put by this task, and a backfill of 500,000 samples need not remember
     * them all. */
    bool track_seen;
    struct strset seen;
    bool is_job; /* a fetching thread's queue (see task_fetch_ahead): no commits */
    pthread_mutex_t *parse_lock; /* a job's: held from a page's parse until it is queued */
    struct json_arena *arena;    /* a job's: where its pages are parsed */
    bool ahead_of_need;          /* a job's next request: nobody waits for it yet */
    const struct json_item_sink *items; /* a job's, while its page streams items */
    struct run_counts counts;
    char *watermark; /* the current values, carried into every commit */
    char *cursor;
    char *extra_json;
    long pages;
    /* Pages set aside while the order gate holds this resource's commits
     * back (NULL until the first); none once the task must end. */
    struct spill *held;
    bool no_holding;
};

/* A provider run's shared state: its resources may run in several threads. */
struct run_state {
    pthread_mutex_t token_lock; /* access_token and refresh */
    char **retired;             /* earlier access tokens, freed with the run */
    size_t n_retired;
    /* Requests in flight, at most max_concurrency however many resources
     * and fetch-ahead threads want one. */
    pthread_mutex_t slot_lock;
    pthread_cond_t slot_free;
    size_t in_flight, max_in_flight;
    size_t needed_waiting; /* waiting for a slot with a consumer waiting on them */
};

/* ---------------------------------------------------------------- runner */

struct sync_runner *sync_runner_new(struct store *store, const struct config *cfg,
                                    const struct sync_options *opt)
{
    struct sync_runner *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->store = store;
    r->cfg = cfg;
    if (opt)
        r->opt = *opt;
    if (!(r->gate = order_gate_new())) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->store_lock, NULL);
    r->started = time_monotonic();
    /* Test-only crash point, as mbsync tests its journal: exit right after
     * the N-th committed page. */
    const char *fail = getenv("HEALTH_SYNC_FAIL_AFTER_COMMITS");
    r->fail_after_commits = fail ? strtol(fail, NULL, 10) : 0;
    return r;
}

void sync_runner_expect(struct sync_runner *r, const struct provider *p)
{
    for (const struct resource *res = p->resources; res->name; res++)
        if (res->bulk)
            order_gate_hold(r->gate, p->name, res->name);
}

void sync_runner_log_stats(const struct sync_runner *r)
{
    log_debug("database: %ld pages committed in %.2f s of writing, %.2f s into the sync",
              r->commits, r->writing_seconds, time_monotonic() - r->started);
}

void sync_runner_free(struct sync_runner *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->store_lock);
    order_gate_free(r->gate);
    free(r);
}

struct provider_run *sync_provider_run_new(struct sync_runner *r, const struct provider *p)
{
    struct provider_run *run = calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->provider = p;
    run->cfg = r->cfg;
    run->http = http_client_new(p->name);
    run->now = time_now();
    run->full = r->opt.full;
    run->runner = r;
    run->state = calloc(1, sizeof *run->state);
    if (!run->http || !run->state) {
        http_client_free(run->http);
        free(run->state);
        free(run);
        return NULL;
    }
    pthread_mutex_init(&run->state->token_lock, NULL);
    pthread_mutex_init(&run->state->slot_lock, NULL);
    pthread_cond_init(&run->state->slot_free, NULL);
    run->state->max_in_flight = run_max_concurrency(run);
    return run;
}

void sync_provider_run_free(struct provider_run *run)
{
    if (!run)
        return;
    if (run->provider->cleanup)
        run->provider->cleanup(run);
    http_client_free(run->http);
    free(run->access_token);
    for (size_t i = 0; i < run->state->n_retired; i++)
        free(run->state->retired[i]);
    free(run->state->retired);
    pthread_mutex_destroy(&run->state->token_lock);
    pthread_mutex_destroy(&run->state->slot_lock);
    pthread_cond_destroy(&run->state->slot_free);
    free(run->state);
    free(run);
}

/* ---------------------------------------------------------------- config */

const char *run_config_str(const struct provider_run *r, const char *key)
{
    return config_str(r->cfg, r->provider->name, key);
}

long long run_config_int(const struct provider_run *r, const char *key)
{
    return config_int(r->cfg, r->provider->name, key);
}

bool run_config_bool(const struct provider_run *r, const char *key)
{
    return config_bool(r->cfg, r->provider->name, key);
}

const char *const *run_config_list(const struct provider_run *r, const char *key, size_t *n)
{
    return config_list(r->cfg, r->provider->name, key, n);
}

bool run_config_is_set(const struct provider_run *r, const char *key)
{
    return config_is_set(r->cfg, r->provider->name, key);
}

const char *run_config_require(const struct provider_run *r, const char *key,
                               struct hs_error *err)
{
    const char *v = run_config_str(r, key);
    if (!v || !*v) {
        hs_error_set(err, HS_ERR_CONFIG, "missing [%s].%s in %s", r->provider->name, key,
                     config_path(r->cfg));
        return NULL;
    }
    return v;
}

/* ---------------------------------------------------------------- tokens */

int run_load_token(struct provider_run *r, struct token *out, struct hs_error *err)
{
    pthread_mutex_lock(&r->runner->store_lock);
    int rc = store_get_token(r->runner->store, r->provider->name, out, err);
    pthread_mutex_unlock(&r->runner->store_lock);
    if (rc == 1) {
        log_add_secret(out->access_token);
        log_add_secret(out->refresh_token);
    }
    return rc;
}

/* A rotated refresh token must never be lost: it is written in its own
 * transaction, before any page of data, the moment it arrives. */
int run_save_token(struct provider_run *r, const struct token *t, struct hs_error *err)
{
    log_add_secret(t->access_token);
    log_add_secret(t->refresh_token);
    pthread_mutex_lock(&r->runner->store_lock);
    int rc = store_put_token(r->runner->store, t, err);
    pthread_mutex_unlock(&r->runner->store_lock);
    return rc;
}

void run_set_access_token(struct provider_run *r, const char *token)
{
    log_add_secret(token);
    struct run_state *st = r->state;
    pthread_mutex_lock(&st->token_lock);
    if (r->access_token) {
        char **grown = realloc(st->retired, (st->n_retired + 1) * sizeof *st->retired);
        if (grown) {
            st->retired = grown;
            st->retired[st->n_retired++] = r->access_token;
        } else {
            free(r->access_token); /* out of memory: give up keeping it alive */
        }
    }
    r->access_token = token ? strdup(token) : NULL;
    pthread_mutex_unlock(&st->token_lock);
}

const char *run_access_token(struct provider_run *r)
{
    pthread_mutex_lock(&r->state->token_lock);
    const char *t = r->access_token;
    pthread_mutex_unlock(&r->state->token_lock);
    return t;
}

int run_refresh_token(struct provider_run *r, const char *used, struct hs_error *err)
{
    if (!r->provider->refresh)
        return hs_error_set(err, HS_ERR_AUTH, "the %s token was rejected", r->provider->title);
    static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&refresh_lock);
    int rc = 0;
    /* Another resource may have refreshed while this request was in flight. */
    if (run_access_token(r) == used) {
        log_debug("%s: HTTP 401, refreshing the access token", r->provider->name);
        rc = r->provider->refresh(r, err);
    }
    pthread_mutex_unlock(&refresh_lock);
    return rc;
}

/* ---------------------------------------------------------------- HTTP */

static bool is_scope_error(const struct hs_error *e)
{
    if (e->kind == HS_ERR_SCOPE)
        return true;
    bool denied = e->http_status == 401 || e->http_status == 403;
    return denied && strcasestr(e->msg, "scope") != NULL;
}

/* A slot for one request.  Requests made ahead of need wait while one that
 * somebody waits for is waiting: a long listing (a backfill's heart rate)
 * is not starved by many short ones fetching ahead of their consumers. */
static void take_slot(struct run_state *st, bool ahead_of_need)
{
    pthread_mutex_lock(&st->slot_lock);
    if (!ahead_of_need)
        st->needed_waiting++;
    while (st->in_flight >= st->max_in_flight || (ahead_of_need && st->needed_waiting))
        pthread_cond_wait(&st->slot_free, &st->slot_lock);
    if (!ahead_of_need)
        st->needed_waiting--;
    st->in_flight++;
    pthread_mutex_unlock(&st->slot_lock);
}

static void give_slot(struct run_state *st)
{
    pthread_mutex_lock(&st->slot_lock);
    st->in_flight--;
    pthread_cond_broadcast(&st->slot_free); /* waiters differ in what they wait for */
    pthread_mutex_unlock(&st->slot_lock);
}

/* One request within the provider's concurrency limit. */
static int send_in_slot(struct task *t, const struct http_request *req, json_t **out,
                        struct hs_error *err)
{
    struct provider_run *run = t->run;
    const struct task_state *ts = t->priv;
    take_slot(run->state, ts && ts->ahead_of_need);
    int rc = http_send_json(run->http, req, out, err);
    give_slot(run->state);
    return rc;
}

#define AUTH_ROUNDS 3 /* refreshes one request may make when 401s go on */

int task_request_json(struct task *t, const struct http_request *req, json_t **out,
                      struct hs_error *err)
{
    struct provider_run *run = t->run;
    struct http_request r = *req;
    if (!r.parse_lock && t->priv) {
        r.parse_lock = ((const struct task_state *)t->priv)->parse_lock;
        r.arena = ((const struct task_state *)t->priv)->arena;
        r.items = ((const struct task_state *)t->priv)->items;
    }
    const char *token = run_access_token(run);
    bool use_run_token = !r.bearer && run->provider->auth != AUTH_API_KEY && token;
    if (use_run_token)
        r.bearer = token;
    struct hs_error first = HS_ERROR_INIT;
    if (send_in_slot(t, &r, out, &first) == 0)
        return 0;
    if (is_scope_error(&first)) {
        first.kind = HS_ERR_SCOPE;
        *err = first;
        return -1;
    }
    if (first.http_status != 401 || !use_run_token || !run->provider->refresh) {
        *err = first;
        return -1;
    }
    /* A fresh token can be rejected too, when it expired before this
     * request got a slot again (short-lived tokens, a refresh that waited
     * out a 429): a few rounds, each refreshing only the token that failed. */
    for (int round = 1;; round++) {
        if (run_refresh_token(run, r.bearer, err) < 0)
            return -1;
        r.bearer = run_access_token(run);
        hs_error_clear(err);
        if (send_in_slot(t, &r, out, err) == 0)
            return 0;
        if (is_scope_error(err))
            err->kind = HS_ERR_SCOPE;
        if (err->http_status != 401 || err->kind == HS_ERR_SCOPE || round == AUTH_ROUNDS)
            return -1;
    }
}

int task_get_json(struct task *t, const char *url, json_t **out, struct hs_error *err)
{
    struct http_request req = {.method = "GET", .url = url};
    return task_request_json(t, &req, out, err);
}

size_t run_max_concurrency(const struct provider_run *r)
{
    long long n = config_int(r->cfg, "app", "max_concurrency");
    for (const struct config_key *k = r->provider->config_keys; k->name; k++)
        if (!strcmp(k->name, "max_concurrency") && run_config_int(r, k->name) < n)
            n = run_config_int(r, k->name);
    return n < 1 ? 1 : (size_t)n;
}

/* ---------------------------------------------------------------- records */

static struct task_state *state_of(const struct task *t)
{
    return t->priv;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void queue_text_init(struct buf *text)
{
    buf_init(text);
    text->limit = QUEUE_TEXT_LIMIT;
}

static struct pending_op *new_op(struct task *t, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (ts->n_ops == ts->cap_ops) {
        size_t cap = ts->cap_ops ? ts->cap_ops * 2 : 64;
        struct pending_op *ops = realloc(ts->ops, cap * sizeof *ops);
        if (!ops) {
            hs_error_set(err, HS_ERR_FINAL, "out of memory");
            return NULL;
        }
        ts->ops = ops;
        ts->cap_ops = cap;
    }
    return &ts->ops[ts->n_ops++];
}

/* Appends s (NUL included) to the task's text; its offset, or NO_TEXT for
 * NULL or when memory ran out (*failed set). */
static uint32_t add_text(struct task_state *ts, const char *s, bool *failed)
{
    if (!s)
        return NO_TEXT;
    uint32_t at = (uint32_t)ts->text.len;
    if (buf_add(&ts->text, s, strlen(s) + 1) < 0)
        *failed = true;
    return at;
}

/* Like add_text, but a value equal to one already queued for this record
 * (or to the previous record's resource) shares its text: heart-rate
 * samples repeat their timestamp as id, start and update time. */
static uint32_t add_shared_text(struct task_state *ts, const char *s, const uint32_t *earlier,
                                size_t n_earlier, bool *failed)
{
    if (!s || *failed)
        return add_text(ts, s, failed);
    for (size_t i = 0; i < n_earlier; i++)
        if (earlier[i] != NO_TEXT && strcmp(ts->text.data + earlier[i], s) == 0)
            return earlier[i];
    return add_text(ts, s, failed);
}

static const char *text_at(const struct task_state *ts, uint32_t offset)
{
    return offset == NO_TEXT ? NULL : ts->text.data + offset;
}

/* Remembers a put of this task's resource for task_sweep (when it keeps
 * track; a fetching thread's queue is marked when merged). */
static int mark_seen(struct task *t, const struct pending_op *op, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (op->is_delete || !ts->track_seen ||
        strcmp(text_at(ts, op->resource), t->resource->name) != 0)
        return 0;
    if (strset_add(&ts->seen, text_at(ts, op->record_id)) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    return 0;
}

size_t task_queued(const struct task *t)
{
    return state_of(t)->n_ops;
}

static void discard_ops(struct task_state *ts)
{
    ts->n_ops = 0;
    buf_reset(&ts->text);
}

int task_put_in(struct task *t, const char *resource, const char *record_id,
                const char *start_time, const char *end_time, const char *source_updated_at,
                const json_t *payload, struct hs_error *err)
{
    if (!record_id || !*record_id)
        return hs_error_set(err, HS_ERR_FINAL, "%s/%s: a record without an id",
                            t->run->provider->name, resource);
    struct task_state *ts = state_of(t);
    size_t mark = ts->text.len;
    bool failed = false;
    struct pending_op op = {.is_delete = false};
    uint32_t last_resource = ts->n_ops ? ts->ops[ts->n_ops - 1].resource : NO_TEXT;
    op.resource = add_shared_text(ts, resource, &last_resource, 1, &failed);
    op.record_id = add_text(ts, record_id, &failed);
    op.start_time = add_shared_text(ts, start_time, &op.record_id, 1, &failed);
    uint32_t times[] = {op.record_id, op.start_time};
    op.end_time = add_shared_text(ts, end_time, times, 2, &failed);
    op.source_updated_at = add_shared_text(ts, source_updated_at, times, 2, &failed);
    op.payload_json = (uint32_t)ts->text.len;
    /* The payload is serialised straight into the page's text. */
    if (failed || json_dump_python(payload, false, &ts->text) < 0 ||
        buf_add(&ts->text, "", 1) < 0) {
        ts->text.len = mark;
        if (ts->text.cap)
            ts->text.data[mark] = '\0';
        return hs_error_set(err, HS_ERR_FINAL, "%s/%s: cannot serialise record %s",
                            t->run->provider->name, resource, record_id);
    }
    struct pending_op *slot = new_op(t, err);
    if (!slot)
        return -1;
    *slot = op;
    return mark_seen(t, slot, err);
}

int task_put(struct task *t, const char *record_id, const char *start_time, const char *end_time,
             const char *source_updated_at, const json_t *payload, struct hs_error *err)
{
    return task_put_in(t, t->resource->name, record_id, start_time, end_time, source_updated_at,
                       payload, err);
}

int task_delete(struct task *t, const char *resource, const char *record_id,
                struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    bool failed = false;
    struct pending_op op = {.is_delete = true, .start_time = NO_TEXT, .end_time = NO_TEXT,
                            .source_updated_at = NO_TEXT, .payload_json = NO_TEXT};
    op.resource = add_text(ts, resource ? resource : t->resource->name, &failed);
    op.record_id = add_text(ts, record_id, &failed);
    struct pending_op *slot = failed ? NULL : new_op(t, err);
    if (!slot)
        return failed ? hs_error_set(err, HS_ERR_FINAL, "out of memory") : -1;
    *slot = op;
    return 0;
}

static bool task_seen(const struct task *t, const char *record_id)
{
    return strset_has(&state_of(t)->seen, record_id);
}

struct sweep_ctx {
    struct task *task;
    struct hs_error *err;
    int failed;
};

static int sweep_one(void *arg, const char *record_id)
{
    struct sweep_ctx *c = arg;
    if (task_seen(c->task, record_id))
        return 0;
    if (task_delete(c->task, NULL, record_id, c->err) < 0) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

int task_sweep(struct task *t, const char *from, const char *to, struct hs_error *err)
{
    if (state_of(t)->is_job)
        return hs_error_set(err, HS_ERR_FINAL, "internal error: a sweep from a fetching thread");
    if (!state_of(t)->track_seen)
        return 0; /* the resource was empty: everything stored was put now */
    struct sync_runner *r = t->run->runner;
    struct sweep_ctx c = {t, err, 0};
    pthread_mutex_lock(&r->store_lock);
    int rc = store_each_record_id(r->store, t->run->provider->name, t->resource->name, from, to,
                                  sweep_one, &c, err);
    pthread_mutex_unlock(&r->store_lock);
    return rc < 0 || c.failed ? -1 : 0;
}

char *task_max_start_time(struct task *t, const char *resource)
{
    struct sync_runner *r = t->run->runner;
    pthread_mutex_lock(&r->store_lock);
    char *v = store_max_start_time(r->store, t->run->provider->name, resource);
    pthread_mutex_unlock(&r->store_lock);
    return v;
}

long task_count_records(struct task *t, const char *resource)
{
    struct sync_runner *r = t->run->runner;
    pthread_mutex_lock(&r->store_lock);
    long n = store_count_records(r->store, t->run->provider->name,
                                 resource ? resource : t->resource->name);
    pthread_mutex_unlock(&r->store_lock);
    return n;
}

static int delete_op(struct task *t, const struct pending_op *op, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    int deleted = 0;
    if (store_delete_record(t->run->runner->store, t->run->provider->name,
                            text_at(ts, op->resource), text_at(ts, op->record_id), &deleted,
                            err) < 0)
        return -1;
    ts->counts.deleted += deleted;
    return 0;
}

/* Upserts the puts ops[from, to) in one call. */
static int upsert_ops(struct task *t, size_t from, size_t to, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    struct record batch[UPSERT_BATCH];
    while (from < to) {
        size_t n = to - from < UPSERT_BATCH ? to - from : UPSERT_BATCH;
        for (size_t i = 0; i < n; i++) {
            const struct pending_op *op = &ts->ops[from + i];
            batch[i] = (struct record){
                t->run->provider->name,           text_at(ts, op->resource),
                text_at(ts, op->record_id),       text_at(ts, op->start_time),
                text_at(ts, op->end_time),        text_at(ts, op->source_updated_at),
                text_at(ts, op->payload_json)};
        }
        if (store_upsert_records(t->run->runner->store, batch, n, &ts->counts, err) < 0)
            return -1;
        from += n;
    }
    return 0;
}

/* The queued ops in order: runs of puts batched, deletions one by one. */
static int apply_ops(struct task *t, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    size_t i = 0;
    while (i < ts->n_ops) {
        if (ts->ops[i].is_delete) {
            if (delete_op(t, &ts->ops[i++], err) < 0)
                return -1;
            continue;
        }
        size_t end = i;
        while (end < ts->n_ops && !ts->ops[end].is_delete)
            end++;
        if (upsert_ops(t, i, end, err) < 0)
            return -1;
        i = end;
    }
    return 0;
}

static void replace_str(char **slot, const char *value)
{
    if (!value)
        return;
    char *copy = strdup(value);
    if (!copy)
        return;
    free(*slot);
    *slot = copy;
}

/* Applies the queued ops and the state in one transaction (caller holds the lock). */
static int commit_locked(struct task *t, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    struct store *s = t->run->runner->store;
    if (store_begin(s, err) < 0)
        return -1;
    if (apply_ops(t, err) < 0) {
        store_rollback(s);
        return -1;
    }
    if ((ts->watermark || ts->cursor || ts->extra_json) &&
        store_set_state(s, t->run->provider->name, t->resource->name, ts->watermark, ts->cursor,
                        ts->extra_json, err) < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, err);
}

/* ---------------------------------------------------------------- held pages */

/* The parts of a page set aside: its ops, their text and the state it
 * carries (the watermark, cursor and extra_json to commit with it). */
enum { HELD_OPS, HELD_TEXT, HELD_WATERMARK, HELD_CURSOR, HELD_EXTRA, HELD_PARTS };

static struct spill_part string_part(const char *s)
{
    return (struct spill_part){s, s ? strlen(s) : 0};
}

/* Appends the queued page and its state to the task's pages set aside. */
static int put_held_page(struct task_state *ts, struct hs_error *err)
{
    const struct spill_part parts[HELD_PARTS] = {
        [HELD_OPS] = {ts->ops ? (const void *)ts->ops : "", ts->n_ops * sizeof *ts->ops},
        [HELD_TEXT] = {ts->text.data, ts->text.len},
        [HELD_WATERMARK] = string_part(ts->watermark),
        [HELD_CURSOR] = string_part(ts->cursor),
        [HELD_EXTRA] = string_part(ts->extra_json),
    };
    return spill_put(ts->held, parts, HELD_PARTS, err);
}

/* Sets the queued page aside on disk instead of waiting for the gate;
 * false when it is not held back (or no file could be made: then it waits,
 * as it would without one). */
static bool hold_page(struct task *t)
{
    struct task_state *ts = state_of(t);
    struct sync_runner *r = t->run->runner;
    const char *provider = t->run->provider->name, *resource = t->resource->name;
    if (ts->no_holding || !order_gate_would_wait(r->gate, provider, resource))
        return false;
    struct hs_error err = HS_ERROR_INIT;
    if (!ts->held && !(ts->held = spill_open(store_path(r->store), &err))) {
        log_debug("%s/%s: its pages wait for the bulk listing: %s", provider, resource, err.msg);
        ts->no_holding = true;
        return false;
    }
    if (put_held_page(ts, &err) < 0) {
        log_debug("%s/%s: %s", provider, resource, err.msg);
        ts->no_holding = true;
        return false;
    }
    if (spill_pages(ts->held) == 1)
        log_debug("%s/%s: its pages are set aside until the bulk listing that sorts before it "
                  "ends", provider, resource);
    discard_ops(ts);
    return true;
}

static int read_string_part(struct spill *held, struct buf *scratch, char **out,
                            struct hs_error *err)
{
    bool is_null;
    if (spill_get(held, scratch, &is_null, err) < 0)
        return -1;
    char *v = is_null ? NULL : strdup(scratch->data);
    if (!is_null && !v)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(*out);
    *out = v;
    return 0;
}

/* Reads the next page set aside into the task's queue and state. */
static int read_held_page(struct task *t, struct buf *scratch, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    bool is_null;
    if (spill_get(ts->held, scratch, &is_null, err) < 0)
        return -1;
    size_t n = scratch->len / sizeof *ts->ops;
    discard_ops(ts);
    for (size_t i = 0; i < n; i++) {
        struct pending_op *op = new_op(t, err);
        if (!op)
            return -1;
        memcpy(op, scratch->data + i * sizeof *op, sizeof *op);
    }
    if (spill_get(ts->held, &ts->text, &is_null, err) < 0)
        return -1;
    return read_string_part(ts->held, scratch, &ts->watermark, err) < 0 ||
                   read_string_part(ts->held, scratch, &ts->cursor, err) < 0 ||
                   read_string_part(ts->held, scratch, &ts->extra_json, err) < 0
               ? -1
               : 0;
}

/* Commits the pages set aside, a transaction each, in the order they came
 * (caller holds the store lock); the last one's state stays the task's. */
static int commit_held_locked(struct task *t, long *commits, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    size_t pages = spill_pages(ts->held);
    struct buf scratch = BUF_INIT;
    int rc = spill_rewind(ts->held, err);
    for (size_t i = 0; rc == 0 && i < pages; i++) {
        rc = read_held_page(t, &scratch, err);
        if (rc == 0)
            rc = commit_locked(t, err);
        if (rc == 0)
            ++*commits;
    }
    buf_free(&scratch);
    struct hs_error ignored = HS_ERROR_INIT;
    if (spill_empty(ts->held, rc < 0 ? &ignored : err) < 0)
        rc = -1;
    if (rc == 0)
        log_debug("%s/%s: %zu pages set aside committed", t->run->provider->name,
                  t->resource->name, pages);
    return rc;
}

/* The current page goes after the held ones: it is set aside too, so that
 * they are all committed from the file, in order. */
static int commit_with_held_locked(struct task *t, long *commits, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (spill_pages(ts->held) == 0) {
        int rc = commit_locked(t, err);
        if (rc == 0)
            ++*commits;
        return rc;
    }
    if (put_held_page(ts, err) < 0)
        return -1;
    return commit_held_locked(t, commits, err);
}

int task_commit(struct task *t, const char *watermark, const char *cursor, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    struct sync_runner *r = t->run->runner;
    if (ts->is_job)
        return hs_error_set(err, HS_ERR_FINAL, "internal error: a commit from a fetching thread");
    if (hs_interrupted) {
        discard_ops(ts);
        return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    }
    replace_str(&ts->watermark, watermark);
    replace_str(&ts->cursor, cursor);
    if (hold_page(t)) {
        ts->pages++;
        return 0;
    }
    double waited = order_gate_wait(r->gate, t->run->provider->name, t->resource->name);
    if (waited > 0)
        log_debug("%s/%s: waited %.2f s for a bulk listing that sorts before it",
                  t->run->provider->name, t->resource->name, waited);
    pthread_mutex_lock(&r->store_lock);
    double began = time_monotonic();
    int rc = commit_with_held_locked(t, &r->commits, err);
    long commits = r->commits;
    r->writing_seconds += time_monotonic() - began;
    pthread_mutex_unlock(&r->store_lock);
    discard_ops(ts);
    if (rc < 0)
        return hs_error_prefix(err, "%s/%s: ", t->run->provider->name, t->resource->name);
    ts->pages++;
    if (r->fail_after_commits > 0 && commits >= r->fail_after_commits)
        _exit(99);
    return 0;
}

/* At the end of a task: what it set aside is committed (waiting for the
 * gate now), after a failure too, as each page carries its own state.
 * What the failure left queued is not.  Once interrupted, nothing is: a
 * task that went well then fails as interrupted, not booked a success
 * whose pages were never written. */
static int commit_held_at_end(struct task *t, bool failed, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (!ts || spill_pages(ts->held) == 0 || (failed && hs_interrupted))
        return 0;
    ts->no_holding = true;
    if (failed)
        discard_ops(ts);
    return task_commit(t, NULL, NULL, err);
}

void task_progress(struct task *t, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    log_progress(t->run->provider->name, t->resource->name, "%s", msg.data);
    buf_free(&msg);
}

/* ---------------------------------------------------------------- fetch ahead */

/* Listings fetched ahead by a small pool.  A fetching thread turns each page
 * into queued changes at once (on_page, with a task of its own) and frees
 * the parsed page: what waits for the task's thread is the compact queue,
 * not the JSON tree (a month of heart rate is 6 MB parsed, 2 MB queued).
 * The task's thread takes the queues in order, and commits in job_done. */

#define FETCH_AHEAD_PAGES 8 /* pages the job being merged may hold before it is taken */
/* Queued pages a listing may hold, about, per request it may have in flight. */
#define FETCH_BUFFER_PER_REQUEST ((size_t)256 << 10)

/* One page's changes, queued on a fetching thread. */
struct queued_page {
    struct pending_op *ops;
    size_t n_ops;
    struct buf text;
};

struct fetch_job {
    struct queued_page *pages;
    size_t n_pages, cap_pages, taken;
    bool done;
    int rc;
    struct hs_error err;
};

struct fetch_ahead {
    struct task *task;
    char *const *urls;
    size_t n, ahead;
    bool in_order;
    next_url_fn next_url;
    fetched_page_fn on_page;
    job_done_fn job_done;
    void *arg;
    const struct item_stream_spec *items; /* NULL: pages parsed whole */
    struct fetch_job *jobs;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    /* One page parsed at a time: a parsed page is several times its queue
     * (a month of heart rate: 6 MB parsed, 2 MB queued).  It is parsed
     * into the arena, a bump allocator instead of a malloc and a free per
     * JSON node, reused from page to page. */
    pthread_mutex_t parse_lock;
    struct json_arena arena;
    size_t next_job, consumed;
    /* Pages requested or queued and not yet merged: at most `ahead` in
     * flight, and their queues within a budget (judged by the pages so
     * far, see may_request),
     * so that memory stays flat however far ahead the network could run
     * and small pages still get many requests in flight.  The job being
     * merged in order may always go on, or it could wait for pages that
     * only it would free. */
    size_t alive, in_flight;
    size_t queued_bytes;           /* of the pages waiting to be merged */
    size_t seen_pages, seen_bytes; /* every page queued so far */
    bool stop;
};

static void queued_page_free(struct queued_page *q)
{
    free(q->ops);
    buf_free(&q->text);
}

/* A task for a fetching thread: the caller's, with a queue of its own. */
static int job_task_init(struct task *jt, struct task *t, struct fetch_ahead *f,
                         struct hs_error *err)
{
    *jt = *t;
    struct task_state *ts = calloc(1, sizeof *ts);
    if (!ts)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    queue_text_init(&ts->text);
    ts->is_job = true;
    ts->parse_lock = &f->parse_lock;
    ts->arena = &f->arena;
    jt->priv = ts;
    return 0;
}

static void job_task_free(struct task *jt)
{
    struct task_state *ts = state_of(jt);
    if (!ts)
        return;
    free(ts->ops);
    buf_free(&ts->text);
    free(ts);
    jt->priv = NULL;
}

/* Moves the job task's queue into q, leaving it empty. */
static void take_queue(struct task *jt, struct queued_page *q)
{
    struct task_state *ts = state_of(jt);
    /* It may wait a while for the task's thread: no slack kept. */
    buf_shrink(&ts->text);
    struct pending_op *fit = ts->n_ops ? realloc(ts->ops, ts->n_ops * sizeof *fit) : NULL;
    q->ops = fit ? fit : ts->ops;
    q->n_ops = ts->n_ops;
    q->text = ts->text;
    ts->ops = NULL;
    ts->n_ops = ts->cap_ops = 0;
    queue_text_init(&ts->text);
}

/* Whether job i may request a page now (f->lock held). */
static bool may_request(const struct fetch_ahead *f, size_t i)
{
    const struct fetch_job *job = &f->jobs[i];
    if (f->in_order && i == f->consumed)
        return job->n_pages - job->taken < FETCH_AHEAD_PAGES;
    /* The others may run as far ahead as memory allows: a window of many
     * small pages is a chain that only runs beside the others if it can
     * queue what it fetched. */
    if (f->in_flight >= f->ahead)
        return false;
    if (!f->seen_pages) /* how large pages are is not known yet */
        return f->in_flight < 2;
    size_t typical = f->seen_bytes / f->seen_pages;
    size_t budget = f->ahead * FETCH_BUFFER_PER_REQUEST;
    if (budget < 4 * typical)
        budget = 4 * typical; /* big pages: two coming beside one queued, or three */
    /* The budget goes to the jobs next in line: pages fetched far ahead
     * would hold it while the consumer waits for the job after the head. */
    if (f->in_order && typical && i >= f->consumed + budget / typical)
        return false;
    return f->queued_bytes + (f->in_flight + 1) * typical <= budget;
}

/* Whether the task's thread has nothing to merge but what job i fetches
 * next (f->lock held). */
static bool consumer_waits_for(const struct fetch_ahead *f, size_t i)
{
    if (!f->in_order)
        return f->queued_bytes == 0;
    const struct fetch_job *job = &f->jobs[i];
    return i == f->consumed && job->taken == job->n_pages;
}

/* Appends a page's queue to the job (f->lock held). */
static int add_queued(struct fetch_job *job, struct queued_page *q)
{
    if (job->n_pages == job->cap_pages) {
        size_t cap = job->cap_pages ? job->cap_pages * 2 : 8;
        struct queued_page *grown = realloc(job->pages, cap * sizeof *grown);
        if (!grown)
            return hs_error_set(&job->err, HS_ERR_FINAL, "out of memory");
        job->pages = grown;
        job->cap_pages = cap;
    }
    job->pages[job->n_pages++] = *q;
    return 0;
}

/* A streamed page's items, on their way from the parser to on_item. */
struct item_feed {
    struct json_item_sink sink; /* what the parser is given: its arg is the feed */
    struct fetch_ahead *f;
    size_t job;
    struct task *jt;
    bool refused;
    struct hs_error err; /* on_item's, when it refused */
};

static int feed_item(json_t *item, void *arg)
{
    struct item_feed *feed = arg;
    int rc = feed->f->items->on_item(feed->jt, feed->job, item, feed->f->arg, &feed->err);
    feed->refused = rc < 0;
    return rc;
}

/* Each reply to a page is parsed from nothing (a job task holds one page
 * at a time): what an earlier, broken reply queued goes. */
static void feed_restart(void *arg)
{
    struct item_feed *feed = arg;
    discard_ops(state_of(feed->jt));
}

/* Fetches one page of job i with the job task and queues its changes. */
static int fetch_one_page(struct fetch_ahead *f, size_t i, struct task *jt, char **url)
{
    struct fetch_job *job = &f->jobs[i];
    json_t *page = NULL;
    struct item_feed feed = {.f = f, .job = i, .jt = jt, .err = HS_ERROR_INIT};
    if (f->items)
        feed.sink = (struct json_item_sink){f->items->key, feed_item, feed_restart, &feed};
    state_of(jt)->items = f->items ? &feed.sink : NULL;
    int rc = task_get_json(jt, *url, &page, &job->err); /* parse_lock held when 0 */
    state_of(jt)->items = NULL;
    if (rc < 0 && feed.refused)
        job->err = feed.err;
    char *next = rc == 0 ? f->next_url(*url, page, f->arg) : NULL;
    if (rc == 0) {
        rc = f->on_page(jt, i, page, f->arg, &job->err);
        json_decref(page);
        json_arena_trim(&f->arena); /* the page's nodes, all at once */
        json_arena_attach(NULL);
        pthread_mutex_unlock(&f->parse_lock);
    }
    free(*url);
    *url = rc == 0 ? next : (free(next), NULL);
    struct queued_page q = {NULL, 0, BUF_INIT};
    if (rc == 0)
        take_queue(jt, &q);
    pthread_mutex_lock(&f->lock);
    f->in_flight--;
    size_t bytes = q.text.len;
    if (rc == 0 && add_queued(job, &q) < 0) {
        queued_page_free(&q);
        rc = -1;
    }
    if (rc < 0) {
        f->alive--;
    } else {
        f->queued_bytes += bytes;
        f->seen_pages++;
        f->seen_bytes += bytes;
    }
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static void fetch_job_pages(struct fetch_ahead *f, size_t i)
{
    struct fetch_job *job = &f->jobs[i];
    struct task jt = {.priv = NULL};
    char *url = strdup(f->urls[i]);
    int rc = !url ? hs_error_set(&job->err, HS_ERR_FINAL, "out of memory")
                  : job_task_init(&jt, f->task, f, &job->err);
    while (rc == 0 && url && !f->stop) {
        pthread_mutex_lock(&f->lock);
        while (!f->stop && !may_request(f, i))
            pthread_cond_wait(&f->changed, &f->lock);
        bool stopping = f->stop;
        if (!stopping) {
            f->alive++;
            f->in_flight++;
            state_of(&jt)->ahead_of_need = !consumer_waits_for(f, i);
        }
        pthread_mutex_unlock(&f->lock);
        if (stopping)
            break;
        rc = fetch_one_page(f, i, &jt, &url);
    }
    free(url);
    job_task_free(&jt);
    pthread_mutex_lock(&f->lock);
    job->rc = rc;
    job->done = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static void *fetch_worker(void *arg)
{
    struct fetch_ahead *f = arg;
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->stop && f->next_job < f->n && f->next_job >= f->consumed + f->ahead)
            pthread_cond_wait(&f->changed, &f->lock);
        if (f->stop || f->next_job >= f->n)
            break;
        size_t i = f->next_job++;
        pthread_mutex_unlock(&f->lock);
        fetch_job_pages(f, i);
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Adds a page's queued changes to the task's own queue (on the task's
 * thread), marking its ids seen for task_sweep. */
static int merge_queued(struct task *t, struct queued_page *q, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (ts->n_ops == 0) {
        /* The usual case (a commit per job): take the page's buffers over. */
        free(ts->ops);
        buf_free(&ts->text);
        ts->ops = q->ops;
        ts->n_ops = ts->cap_ops = q->n_ops;
        ts->text = q->text;
        q->ops = NULL;
        buf_init(&q->text);
        for (size_t k = 0; k < ts->n_ops; k++)
            if (mark_seen(t, &ts->ops[k], err) < 0)
                return -1;
        return 0;
    }
    size_t base = ts->text.len;
    if (buf_add(&ts->text, q->text.data, q->text.len) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    for (size_t k = 0; k < q->n_ops; k++) {
        struct pending_op *op = new_op(t, err);
        if (!op)
            return -1;
        *op = q->ops[k];
        uint32_t *fields[] = {&op->resource,   &op->record_id,         &op->start_time,
                              &op->end_time,   &op->source_updated_at, &op->payload_json};
        for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++)
            if (*fields[j] != NO_TEXT)
                *fields[j] += (uint32_t)base;
        if (mark_seen(t, op, err) < 0)
            return -1;
    }
    return 0;
}

/* Merges a taken page and frees it; its place in memory is free again. */
static int consume_page(struct fetch_ahead *f, struct queued_page *q, struct hs_error *err)
{
    size_t bytes = q->text.len;
    int rc = merge_queued(f->task, q, err);
    queued_page_free(q);
    pthread_mutex_lock(&f->lock);
    f->alive--;
    f->queued_bytes -= bytes;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* The next page of job i for the consumer: 1 with *q set, 0 at the job's
 * end, -1 when the job failed. */
static int take_page(struct fetch_ahead *f, size_t i, struct queued_page *q,
                     struct hs_error *err)
{
    struct fetch_job *job = &f->jobs[i];
    pthread_mutex_lock(&f->lock);
    while (job->taken == job->n_pages && !job->done)
        pthread_cond_wait(&f->changed, &f->lock);
    int rc = 1;
    if (job->taken < job->n_pages) {
        *q = job->pages[job->taken];
        memset(&job->pages[job->taken++], 0, sizeof *q);
        pthread_cond_broadcast(&f->changed); /* room for the fetcher */
    } else if (job->rc < 0) {
        *err = job->err;
        rc = -1;
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* After job's last page, on the task's thread (job_done may be NULL: what
 * the job queued then waits for the task's own commit). */
static int finish_job(struct fetch_ahead *f, size_t job, struct hs_error *err)
{
    return f->job_done ? f->job_done(f->task, job, f->arg, err) : 0;
}

static int consume_jobs(struct fetch_ahead *f, struct hs_error *err)
{
    for (size_t i = 0; i < f->n; i++) {
        struct queued_page q;
        int rc;
        while ((rc = take_page(f, i, &q, err)) > 0)
            if (consume_page(f, &q, err) < 0)
                return -1;
        if (rc < 0 || finish_job(f, i, err) < 0)
            return -1;
        pthread_mutex_lock(&f->lock);
        f->consumed++;
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
    }
    return 0;
}

/* Any order: the next page of whichever job has one (a job's own pages stay
 * in order), so that a job waiting for its consumer never stalls the others.
 * Returns 1 with *job and *q set (q->text.data NULL: that job is complete),
 * 0 when every job has been handed over, -1 on a failed job. */
static int take_any_page(struct fetch_ahead *f, bool *notified, size_t *job,
                         struct queued_page *q, struct hs_error *err)
{
    pthread_mutex_lock(&f->lock);
    for (;;) {
        bool all_done = true;
        for (size_t i = 0; i < f->n; i++) {
            struct fetch_job *j = &f->jobs[i];
            if (notified[i])
                continue;
            all_done = false;
            if (j->taken < j->n_pages) {
                *job = i;
                *q = j->pages[j->taken];
                memset(&j->pages[j->taken++], 0, sizeof *q);
                pthread_cond_broadcast(&f->changed);
                pthread_mutex_unlock(&f->lock);
                return 1;
            }
            if (j->done) {
                notified[i] = true;
                f->consumed++;
                pthread_cond_broadcast(&f->changed);
                if (j->rc < 0)
                    *err = j->err;
                pthread_mutex_unlock(&f->lock);
                *job = i;
                q->text.data = NULL;
                return j->rc < 0 ? -1 : 1;
            }
        }
        if (all_done) {
            pthread_mutex_unlock(&f->lock);
            return 0;
        }
        pthread_cond_wait(&f->changed, &f->lock);
    }
}

static int consume_any_order(struct fetch_ahead *f, struct hs_error *err)
{
    bool *notified = calloc(f->n, sizeof *notified);
    if (!notified)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    int rc;
    size_t job;
    struct queued_page q;
    while ((rc = take_any_page(f, notified, &job, &q, err)) > 0) {
        int cb = q.text.data ? consume_page(f, &q, err) : finish_job(f, job, err);
        if (cb < 0) {
            rc = -1;
            break;
        }
    }
    free(notified);
    return rc < 0 ? -1 : 0;
}

static int task_fetch(struct fetch_ahead *f, struct hs_error *err)
{
    if (f->n == 0)
        return 0;
    f->jobs = calloc(f->n, sizeof *f->jobs);
    if (!f->jobs)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->parse_lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    size_t nthreads = f->ahead < f->n ? f->ahead : f->n, started = 0;
    pthread_t threads[64];
    for (size_t i = 0; i < nthreads && i < 64; i++)
        if (pthread_create(&threads[started], NULL, fetch_worker, f) == 0)
            started++;
    int rc = !started     ? hs_error_set(err, HS_ERR_FINAL, "cannot start a thread")
             : f->in_order ? consume_jobs(f, err)
                           : consume_any_order(f, err);
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < f->n; i++) {
        for (size_t p = f->jobs[i].taken; p < f->jobs[i].n_pages; p++)
            queued_page_free(&f->jobs[i].pages[p]);
        free(f->jobs[i].pages);
    }
    free(f->jobs);
    pthread_cond_destroy(&f->changed);
    json_arena_release(&f->arena);
    pthread_mutex_destroy(&f->parse_lock);
    pthread_mutex_destroy(&f->lock);
    return rc;
}

void task_free_urls(char **urls, size_t n)
{
    for (size_t i = 0; urls && i < n; i++)
        free(urls[i]);
    free(urls);
}

char *task_single_page(const char *url, const json_t *page, void *arg)
{
    (void)url, (void)page, (void)arg;
    return NULL;
}

static int start_fetch(struct task *t, char *const *urls, size_t n, size_t ahead, bool in_order,
                       const struct item_stream_spec *items, next_url_fn next_url,
                       fetched_page_fn on_page, job_done_fn job_done, void *arg,
                       struct hs_error *err)
{
    struct fetch_ahead f = {.task = t, .urls = urls, .n = n, .ahead = ahead ? ahead : 1,
                            .in_order = in_order, .next_url = next_url, .on_page = on_page,
                            .job_done = job_done, .arg = arg, .items = items};
    return task_fetch(&f, err);
}

int task_fetch_ahead(struct task *t, char *const *urls, size_t n, size_t ahead,
                     next_url_fn next_url, fetched_page_fn on_page, job_done_fn job_done,
                     void *arg, struct hs_error *err)
{
    return start_fetch(t, urls, n, ahead, true, NULL, next_url, on_page, job_done, arg, err);
}

int task_fetch_items_ahead(struct task *t, char *const *urls, size_t n, size_t ahead,
                           const struct item_stream_spec *items, next_url_fn next_url,
                           fetched_page_fn on_page, job_done_fn job_done, void *arg,
                           struct hs_error *err)
{
    return start_fetch(t, urls, n, ahead, true, items, next_url, on_page, job_done, arg, err);
}

int task_fetch_any_order(struct task *t, char *const *urls, size_t n, size_t ahead,
                         next_url_fn next_url, fetched_page_fn on_page, job_done_fn job_done,
                         void *arg, struct hs_error *err)
{
    return start_fetch(t, urls, n, ahead, false, NULL, next_url, on_page, job_done, arg, err);
}

/* ---------------------------------------------------------------- tasks */

/* sync_state.extra_json keeps {"last_full_sync": ISO}: when this resource's
 * whole history was last re-listed (the Python tool leaves the column NULL). */
static char *last_full_sync(const char *extra_json)
{
    if (!extra_json)
        return NULL;
    json_t *extra = json_loads(extra_json, 0, NULL);
    const char *v = json_string_value(json_object_get(extra, "last_full_sync"));
    char *copy = v ? strdup(v) : NULL;
    json_decref(extra);
    return copy;
}

static char *with_last_full_sync(const char *extra_json, time_t when)
{
    json_t *extra = extra_json ? json_loads(extra_json, 0, NULL) : NULL;
    if (!json_is_object(extra)) {
        json_decref(extra);
        extra = json_object();
    }
    char iso[TIME_ISO_LEN];
    time_format_iso(when, iso);
    json_object_set_new(extra, "last_full_sync", json_string(iso));
    char *s = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(extra);
    return s;
}

static bool reconcile_due(const struct sync_runner *r, const struct sync_state *st, time_t now)
{
    if (r->opt.full || !st->updated_at)
        return true; /* asked for, or a first backfill */
    long long days = config_int(r->cfg, "app", "reconcile_days");
    if (days == 0)
        return true;
    char *last = last_full_sync(st->extra_json);
    time_t when;
    bool due = !last || time_parse(last, &when) < 0 || now - when >= days * 86400;
    free(last);
    return due;
}

static int task_init(struct task *t, struct provider_run *run, const struct resource *res,
                     struct hs_error *err)
{
    memset(t, 0, sizeof *t);
    t->run = run;
    t->resource = res;
    struct task_state *ts = calloc(1, sizeof *ts);
    if (!ts)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    t->priv = ts;
    queue_text_init(&ts->text);
    struct sync_runner *r = run->runner;
    pthread_mutex_lock(&r->store_lock);
    int rc = store_get_state(r->store, run->provider->name, res->name, &t->state, err);
    pthread_mutex_unlock(&r->store_lock);
    if (rc < 0)
        return -1;
    ts->watermark = dup_or_null(t->state.watermark);
    ts->cursor = dup_or_null(t->state.cursor);
    ts->extra_json = dup_or_null(t->state.extra_json);
    t->full = reconcile_due(r, &t->state, run->now);
    pthread_mutex_lock(&r->store_lock);
    ts->track_seen = store_has_records(r->store, run->provider->name, res->name) != 0;
    pthread_mutex_unlock(&r->store_lock);
    return 0;
}

static void task_free(struct task *t)
{
    struct task_state *ts = state_of(t);
    if (ts) {
        free(ts->ops);
        buf_free(&ts->text);
        strset_free(&ts->seen);
        spill_close(ts->held);
        free(ts->watermark);
        free(ts->cursor);
        free(ts->extra_json);
        free(ts);
    }
    store_state_clear(&t->state);
    t->priv = NULL;
}

/* After a complete full pass, remember when, so reconciliation runs again
 * only when [app].reconcile_days have passed. */
static int mark_full_pass(struct task *t, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    char *extra = with_last_full_sync(ts->extra_json, t->run->now);
    if (!extra)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(ts->extra_json);
    ts->extra_json = extra;
    return task_commit(t, NULL, NULL, err);
}

static int run_store_start(struct sync_runner *r, const char *provider, const char *resource,
                           const char *watermark, int64_t *id)
{
    struct hs_error err = HS_ERROR_INIT;
    pthread_mutex_lock(&r->store_lock);
    int rc = store_run_start(r->store, provider, resource, watermark, id, &err);
    pthread_mutex_unlock(&r->store_lock);
    if (rc < 0)
        log_warn("%s/%s: cannot record the run: %s", provider, resource, err.msg);
    return rc;
}

static void run_store_finish(struct sync_runner *r, int64_t id, const char *status,
                             const char *watermark, const struct run_counts *counts,
                             const char *error_text)
{
    struct hs_error err = HS_ERROR_INIT;
    pthread_mutex_lock(&r->store_lock);
    int rc = store_run_finish(r->store, id, status, watermark, counts, error_text, &err);
    pthread_mutex_unlock(&r->store_lock);
    if (rc < 0)
        log_warn("cannot record the end of a run: %s", err.msg);
}

static void add_counts(struct run_counts *to, const struct run_counts *from)
{
    to->inserted += from->inserted;
    to->updated += from->updated;
    to->deleted += from->deleted;
    to->unchanged += from->unchanged;
}

/* Runs one resource; returns its error kind (HS_OK on success). */
/* One provider's resources being worked through, possibly by several threads. */
struct provider_pass {
    struct provider_run *run;
    struct provider_result *result; /* guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next, running, count;
    bool stop; /* credentials rejected or interrupted: start nothing more */
    struct task_run *ending; /* tasks to end after the others (end_later) */
};

/* An optional resource the server does not have: its first request was a 404. */
static bool endpoint_absent(const struct resource *res, const struct task_state *ts,
                            const struct hs_error *err)
{
    return res->optional && err->http_status == 404 && (!ts || ts->pages == 0);
}

/* One resource's run, from its start to its books. */
struct task_run {
    struct task t;
    const struct resource *res;
    struct hs_error err;
    int64_t run_id;
    int rc;
    struct task_run *next; /* in provider_pass.ending */
};

/* Commits what the task set aside and books its end: sync_runs, the
 * provider's result, the summary line.  Returns its error kind. */
static enum hs_err_kind end_task(struct task_run *tr, struct provider_pass *pass)
{
    struct provider_run *run = pass->run;
    struct sync_runner *r = run->runner;
    const struct resource *res = tr->res;
    if (tr->rc == 0) {
        if (commit_held_at_end(&tr->t, false, &tr->err) < 0)
            tr->rc = -1;
    } else {
        struct hs_error held_err = HS_ERROR_INIT; /* the task's first error stays its own */
        if (commit_held_at_end(&tr->t, true, &held_err) < 0)
            log_warn("%s", held_err.msg);
    }
    int rc = tr->rc;
    struct hs_error *err = &tr->err;
    struct task_state *ts = state_of(&tr->t);
    bool absent = rc != 0 && endpoint_absent(res, ts, err);
    bool skipped = rc != 0 && (absent || err->kind == HS_ERR_SCOPE);
    const struct run_counts zero = {0};
    const struct run_counts *counts = ts ? &ts->counts : &zero;
    log_progress_done();
    pthread_mutex_lock(&pass->lock);
    struct provider_result *result = pass->result;
    const char *status = rc == 0 ? "success" : skipped ? "skipped" : "error";
    if (tr->run_id)
        run_store_finish(r, tr->run_id, status, ts ? ts->watermark : NULL, counts,
                         rc == 0 ? NULL : err->msg);
    add_counts(&result->counts, counts);
    if (rc == 0) {
        result->resources_ok++;
        log_info("%s/%s: %ld new, %ld updated, %ld deleted, %ld unchanged", run->provider->name,
                 res->name, counts->inserted, counts->updated, counts->deleted,
                 counts->unchanged);
    } else if (skipped) {
        result->resources_skipped++;
        log_warn("%s/%s skipped: %s (%s)", run->provider->name, res->name,
                 absent ? "the server has no such endpoint" : "the token lacks the scope for it",
                 err->msg);
    } else {
        result->resources_failed++;
        log_error("%s/%s: %s", run->provider->name, res->name, err->msg);
        if (result->error.kind == HS_OK)
            result->error = *err;
    }
    pthread_mutex_unlock(&pass->lock);
    enum hs_err_kind kind = rc == 0 ? HS_OK : err->kind;
    task_free(&tr->t);
    free(tr);
    return kind;
}

/* A task that went well but whose pages are still set aside behind the
 * gate: its end waits for the provider's other resources to finish rather
 * than holding a thread that the next resource may need (Strava's
 * activities start only after its athlete). */
static bool end_later(struct task_run *tr, struct provider_pass *pass)
{
    struct task_state *ts = state_of(&tr->t);
    const char *provider = pass->run->provider->name;
    if (tr->rc != 0 || spill_pages(ts->held) == 0 ||
        !order_gate_would_wait(pass->run->runner->gate, provider, tr->res->name))
        return false;
    pthread_mutex_lock(&pass->lock);
    tr->next = pass->ending;
    pass->ending = tr;
    pthread_mutex_unlock(&pass->lock);
    return true;
}

static enum hs_err_kind run_task(struct provider_run *run, const struct resource *res,
                                 struct provider_pass *pass)
{
    struct sync_runner *r = run->runner;
    struct task_run *tr = calloc(1, sizeof *tr);
    if (!tr) {
        log_error("%s/%s: out of memory", run->provider->name, res->name);
        return HS_ERR_FINAL;
    }
    tr->res = res;
    tr->err = (struct hs_error)HS_ERROR_INIT;
    struct task *t = &tr->t;
    int rc = task_init(t, run, res, &tr->err);
    if (rc == 0) {
        run_store_start(r, run->provider->name, res->name, t->state.watermark, &tr->run_id);
        rc = res->sync(t, &tr->err);
        if (rc == 0 && state_of(t)->n_ops > 0)
            rc = task_commit(t, NULL, NULL, &tr->err); /* anything the provider left queued */
        if (rc == 0 && t->full)
            rc = mark_full_pass(t, &tr->err);
    }
    tr->rc = rc;
    if (res->bulk)
        order_gate_release(r->gate, run->provider->name, res->name);
    return end_later(tr, pass) ? HS_OK : end_task(tr, pass);
}

/* Takes the next resource that may start, runs it, repeats. */
static void *resource_worker(void *arg)
{
    struct provider_pass *pass = arg;
    const struct resource *res = pass->run->provider->resources;
    pthread_mutex_lock(&pass->lock);
    for (;;) {
        while (!pass->stop && pass->next < pass->count && res[pass->next].after_previous &&
               pass->running > 0)
            pthread_cond_wait(&pass->changed, &pass->lock);
        if (pass->stop || pass->next >= pass->count)
            break;
        size_t i = pass->next++;
        pass->running++;
        pthread_mutex_unlock(&pass->lock);
        enum hs_err_kind kind = run_task(pass->run, &res[i], pass);
        pthread_mutex_lock(&pass->lock);
        pass->running--;
        /* Without valid credentials, or once interrupted, the rest would fail too. */
        if (kind == HS_ERR_AUTH || kind == HS_ERR_INTERRUPTED || hs_interrupted)
            pass->stop = true;
        pthread_cond_broadcast(&pass->changed);
    }
    pthread_mutex_unlock(&pass->lock);
    return NULL;
}

/* How many resources of this provider may run at once. */
static size_t resource_threads(const struct provider_run *run, size_t count)
{
    if (!run->provider->parallel_resources)
        return 1;
    size_t n = run_max_concurrency(run);
    return n > count ? (count ? count : 1) : n;
}

/* A bulk listing that will not start with the first resources (too few
 * threads, or one before it must wait for its predecessors) holds nobody
 * back: a resource waiting for it could take the thread it needs. */
static void release_late_bulk(const struct provider_run *run, size_t nthreads)
{
    const struct resource *res = run->provider->resources;
    bool in_order = true;
    for (size_t i = 0; res[i].name; i++) {
        in_order = in_order && !res[i].after_previous && i < nthreads;
        if (res[i].bulk && !in_order)
            order_gate_release(run->runner->gate, run->provider->name, res[i].name);
    }
}

static void run_resources(struct provider_run *run, struct provider_result *result)
{
    struct provider_pass pass = {.run = run, .result = result};
    while (run->provider->resources[pass.count].name)
        pass.count++;
    pthread_mutex_init(&pass.lock, NULL);
    pthread_cond_init(&pass.changed, NULL);
    size_t nthreads = resource_threads(run, pass.count), started = 0;
    pthread_t threads[64];
    for (size_t i = 1; i < nthreads && i < 64; i++)
        if (pthread_create(&threads[started], NULL, resource_worker, &pass) == 0)
            started++;
    release_late_bulk(run, started + 1);
    resource_worker(&pass); /* this thread works too */
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    while (pass.ending) {
        struct task_run *tr = pass.ending;
        pass.ending = tr->next;
        end_task(tr, &pass);
    }
    pthread_cond_destroy(&pass.changed);
    pthread_mutex_destroy(&pass.lock);
}

static void auth_hint(const struct provider *p, struct hs_error *err)
{
    if (err->kind == HS_ERR_AUTH && p->auth == AUTH_OAUTH2 && !strstr(err->msg, "health-sync auth"))
        hs_error_prefix(err, "%s credentials rejected (run `health-sync auth %s`): ", p->title,
                        p->name);
}

static int run_provider(struct sync_runner *r, const struct provider *p,
                        struct provider_result *result)
{
    memset(result, 0, sizeof *result);
    result->provider = p;
    struct provider_run *run = sync_provider_run_new(r, p);
    if (!run) {
        result->failed = true;
        hs_error_set(&result->error, HS_ERR_FINAL, "out of memory");
        return -1;
    }
    if (p->prepare && p->prepare(run, &result->error) < 0) {
        auth_hint(p, &result->error);
        int64_t id = 0;
        if (run_store_start(r, p->name, "*", NULL, &id) == 0)
            run_store_finish(r, id, "error", NULL, &result->counts, result->error.msg);
        result->failed = true;
        sync_provider_run_free(run);
        return -1;
    }
    run_resources(run, result);
    sync_provider_run_free(run);
    if (result->error.kind != HS_OK) {
        auth_hint(p, &result->error);
        result->failed = true;
        return -1;
    }
    return 0;
}

int sync_provider(struct sync_runner *r, const struct provider *p, struct provider_result *result)
{
    int rc = run_provider(r, p, result);
    order_gate_release(r->gate, p->name, NULL); /* the listings that never ran */
    return rc;
}
