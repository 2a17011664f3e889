#include "sync.h"

#include "json.h"
#include "log.h"
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
    long commits; /* for HEALTH_SYNC_FAIL_AFTER_COMMITS */
    long fail_after_commits;
};

/* One queued change of a page.  Its strings live in the task's `text`
 * buffer (one allocation for the whole page, not six per record), named by
 * offset because the buffer moves as it grows; NO_TEXT stands for NULL. */
#define NO_TEXT ((size_t)-1)
struct pending_op {
    bool is_delete;
    size_t resource;
    size_t record_id;
    size_t start_time, end_time, source_updated_at;
    size_t payload_json;
};

struct task_state {
    struct pending_op *ops;
    size_t n_ops, cap_ops;
    struct buf text;          /* the queued ops' strings, NUL-separated */
    struct record *records;   /* the queued upserts, handed to the store */
    size_t cap_records;
    /* Ids put in this task, for task_sweep.  Kept only when the resource
     * had rows at the start: otherwise every row a sweep could find was
     * put by this task, and a backfill of 500,000 samples need not remember
     * them all. */
    bool track_seen;
    struct strset seen;
    struct run_counts counts;
    char *watermark; /* the current values, carried into every commit */
    char *cursor;
    char *extra_json;
    long pages;
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
    pthread_mutex_init(&r->store_lock, NULL);
    /* Test-only crash point, as mbsync tests its journal: exit right after
     * the N-th committed page. */
    const char *fail = getenv("HEALTH_SYNC_FAIL_AFTER_COMMITS");
    r->fail_after_commits = fail ? strtol(fail, NULL, 10) : 0;
    return r;
}

void sync_runner_free(struct sync_runner *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->store_lock);
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

static void take_slot(struct run_state *st)
{
    pthread_mutex_lock(&st->slot_lock);
    while (st->in_flight >= st->max_in_flight)
        pthread_cond_wait(&st->slot_free, &st->slot_lock);
    st->in_flight++;
    pthread_mutex_unlock(&st->slot_lock);
}

static void give_slot(struct run_state *st)
{
    pthread_mutex_lock(&st->slot_lock);
    st->in_flight--;
    pthread_cond_signal(&st->slot_free);
    pthread_mutex_unlock(&st->slot_lock);
}

/* One request within the provider's concurrency limit. */
static int send_in_slot(struct provider_run *run, const struct http_request *req, json_t **out,
                        struct hs_error *err)
{
    take_slot(run->state);
    int rc = http_send_json(run->http, req, out, err);
    give_slot(run->state);
    return rc;
}

int task_request_json(struct task *t, const struct http_request *req, json_t **out,
                      struct hs_error *err)
{
    struct provider_run *run = t->run;
    struct http_request r = *req;
    const char *token = run_access_token(run);
    bool use_run_token = !r.bearer && run->provider->auth != AUTH_API_KEY && token;
    if (use_run_token)
        r.bearer = token;
    struct hs_error first = HS_ERROR_INIT;
    if (send_in_slot(run, &r, out, &first) == 0)
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
    if (run_refresh_token(run, token, err) < 0)
        return -1;
    r.bearer = run_access_token(run);
    return send_in_slot(run, &r, out, err);
}

int task_get_json(struct task *t, const char *url, json_t **out, struct hs_error *err)
{
    struct http_request req = {.method = "GET", .url = url};
    return task_request_json(t, &req, out, err);
}

/* ---------------------------------------------------------------- fetch ahead */

#define FETCH_AHEAD_PAGES 8 /* pages a job may hold before its consumer takes them */

struct fetch_job {
    json_t **pages;
    size_t n_pages, cap_pages, taken;
    bool done;
    int rc;
    struct hs_error err;
};

struct fetch_ahead {
    struct task *task;
    char *const *urls;
    size_t n, ahead;
    next_url_fn next_url;
    void *arg;
    struct fetch_job *jobs;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next_job, consumed;
    bool stop;
};

static void fetch_job_pages(struct fetch_ahead *f, size_t i)
{
    struct fetch_job *job = &f->jobs[i];
    char *url = strdup(f->urls[i]);
    int rc = url ? 0 : hs_error_set(&job->err, HS_ERR_FINAL, "out of memory");
    while (rc == 0 && url && !f->stop) {
        /* A job ahead of the consumer keeps only a few pages in memory. */
        pthread_mutex_lock(&f->lock);
        while (!f->stop && job->n_pages - job->taken >= FETCH_AHEAD_PAGES)
            pthread_cond_wait(&f->changed, &f->lock);
        pthread_mutex_unlock(&f->lock);
        json_t *page = NULL;
        rc = task_get_json(f->task, url, &page, &job->err);
        char *next = rc == 0 ? f->next_url(url, page, f->arg) : NULL;
        free(url);
        url = next;
        pthread_mutex_lock(&f->lock);
        if (rc == 0 && job->n_pages == job->cap_pages) {
            size_t cap = job->cap_pages ? job->cap_pages * 2 : 8;
            json_t **grown = realloc(job->pages, cap * sizeof *grown);
            if (grown) {
                job->pages = grown;
                job->cap_pages = cap;
            } else {
                rc = hs_error_set(&job->err, HS_ERR_FINAL, "out of memory");
            }
        }
        if (rc == 0)
            job->pages[job->n_pages++] = page;
        else
            json_decref(page);
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
    }
    free(url);
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

/* The next page of job i for the consumer: 1 with *page set (NULL at the
 * job's end), or -1 when the job failed. */
static int take_page(struct fetch_ahead *f, size_t i, json_t **page, struct hs_error *err)
{
    struct fetch_job *job = &f->jobs[i];
    pthread_mutex_lock(&f->lock);
    while (job->taken == job->n_pages && !job->done)
        pthread_cond_wait(&f->changed, &f->lock);
    int rc = 1;
    if (job->taken < job->n_pages) {
        *page = job->pages[job->taken];
        job->pages[job->taken++] = NULL;
        pthread_cond_broadcast(&f->changed); /* room for the fetcher */
    } else if (job->rc < 0) {
        *err = job->err;
        rc = -1;
    } else {
        *page = NULL;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static int consume_jobs(struct fetch_ahead *f, fetched_page_fn on_page, void *arg, struct hs_error *err)
{
    for (size_t i = 0; i < f->n; i++) {
        json_t *page = NULL;
        int rc;
        do {
            page = NULL;
            rc = take_page(f, i, &page, err);
            if (rc > 0)
                rc = on_page(f->task, i, page, arg, err) < 0 ? -1 : 1;
            json_decref(page);
        } while (rc > 0 && page);
        if (rc < 0)
            return -1;
        pthread_mutex_lock(&f->lock);
        f->consumed++;
        pthread_cond_broadcast(&f->changed);
        pthread_mutex_unlock(&f->lock);
    }
    return 0;
}

static int task_fetch(struct task *t, char *const *urls, size_t n, size_t ahead, bool in_order,
                      next_url_fn next_url, fetched_page_fn on_page, void *arg,
                      struct hs_error *err);

/* Any order: the next page of whichever job has one (a job's own pages stay
 * in order), so that a job waiting for its consumer never stalls the others.
 * Returns 1 with *job and *page set (page NULL: that job is complete), 0 when
 * every job has been handed over, -1 on a failed job. */
static int take_any_page(struct fetch_ahead *f, bool *notified, size_t *job, json_t **page,
                         struct hs_error *err)
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
                *page = j->pages[j->taken];
                j->pages[j->taken++] = NULL;
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
                *page = NULL;
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

static int consume_any_order(struct fetch_ahead *f, fetched_page_fn on_page, void *arg,
                             struct hs_error *err)
{
    bool *notified = calloc(f->n, sizeof *notified);
    if (!notified)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    int rc;
    size_t job;
    json_t *page;
    while ((rc = take_any_page(f, notified, &job, &page, err)) > 0) {
        int cb = on_page(f->task, job, page, arg, err);
        json_decref(page);
        if (cb < 0) {
            rc = -1;
            break;
        }
    }
    free(notified);
    return rc < 0 ? -1 : 0;
}

int task_fetch_ahead(struct task *t, char *const *urls, size_t n, size_t ahead, next_url_fn next_url,
                     fetched_page_fn on_page, void *arg, struct hs_error *err)
{
    return task_fetch(t, urls, n, ahead, true, next_url, on_page, arg, err);
}

int task_fetch_any_order(struct task *t, char *const *urls, size_t n, size_t ahead,
                         next_url_fn next_url, fetched_page_fn on_page, void *arg,
                         struct hs_error *err)
{
    return task_fetch(t, urls, n, ahead, false, next_url, on_page, arg, err);
}

static int task_fetch(struct task *t, char *const *urls, size_t n, size_t ahead, bool in_order,
                      next_url_fn next_url, fetched_page_fn on_page, void *arg,
                      struct hs_error *err)
{
    if (n == 0)
        return 0;
    struct fetch_ahead f = {.task = t, .urls = urls, .n = n, .ahead = ahead ? ahead : 1,
                            .next_url = next_url, .arg = arg};
    f.jobs = calloc(n, sizeof *f.jobs);
    if (!f.jobs)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.changed, NULL);
    size_t nthreads = f.ahead < n ? f.ahead : n, started = 0;
    pthread_t threads[64];
    for (size_t i = 0; i < nthreads && i < 64; i++)
        if (pthread_create(&threads[started], NULL, fetch_worker, &f) == 0)
            started++;
    int rc = !started    ? hs_error_set(err, HS_ERR_FINAL, "cannot start a thread")
             : in_order ? consume_jobs(&f, on_page, arg, err)
                        : consume_any_order(&f, on_page, arg, err);
    pthread_mutex_lock(&f.lock);
    f.stop = true;
    pthread_cond_broadcast(&f.changed);
    pthread_mutex_unlock(&f.lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < f.jobs[i].n_pages; p++)
            json_decref(f.jobs[i].pages[p]);
        free(f.jobs[i].pages);
    }
    free(f.jobs);
    pthread_cond_destroy(&f.changed);
    pthread_mutex_destroy(&f.lock);
    return rc;
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
static size_t add_text(struct task_state *ts, const char *s, bool *failed)
{
    if (!s)
        return NO_TEXT;
    size_t at = ts->text.len;
    if (buf_add(&ts->text, s, strlen(s) + 1) < 0)
        *failed = true;
    return at;
}

static const char *text_at(const struct task_state *ts, size_t offset)
{
    return offset == NO_TEXT ? NULL : ts->text.data + offset;
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
    op.resource = add_text(ts, resource, &failed);
    op.record_id = add_text(ts, record_id, &failed);
    op.start_time = add_text(ts, start_time, &failed);
    op.end_time = add_text(ts, end_time, &failed);
    op.source_updated_at = add_text(ts, source_updated_at, &failed);
    op.payload_json = ts->text.len;
    /* The payload is serialised straight into the page's text. */
    if (failed || json_dump_python(payload, false, &ts->text) < 0 ||
        buf_add(&ts->text, "", 1) < 0) {
        ts->text.len = mark;
        ts->text.data[mark] = '\0';
        return hs_error_set(err, HS_ERR_FINAL, "%s/%s: cannot serialise record %s",
                            t->run->provider->name, resource, record_id);
    }
    struct pending_op *slot = new_op(t, err);
    if (!slot)
        return -1;
    *slot = op;
    if (ts->track_seen && strcmp(resource, t->resource->name) == 0 &&
        strset_add(&ts->seen, record_id) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    return 0;
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
    size_t n = to - from;
    if (n > ts->cap_records) {
        struct record *grown = realloc(ts->records, n * sizeof *grown);
        if (!grown)
            return hs_error_set(err, HS_ERR_FINAL, "out of memory");
        ts->records = grown;
        ts->cap_records = n;
    }
    for (size_t i = 0; i < n; i++) {
        const struct pending_op *op = &ts->ops[from + i];
        ts->records[i] = (struct record){
            t->run->provider->name,           text_at(ts, op->resource),
            text_at(ts, op->record_id),       text_at(ts, op->start_time),
            text_at(ts, op->end_time),        text_at(ts, op->source_updated_at),
            text_at(ts, op->payload_json)};
    }
    return store_upsert_records(t->run->runner->store, ts->records, n, &ts->counts, err);
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

int task_commit(struct task *t, const char *watermark, const char *cursor, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    struct sync_runner *r = t->run->runner;
    if (hs_interrupted) {
        discard_ops(ts);
        return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    }
    replace_str(&ts->watermark, watermark);
    replace_str(&ts->cursor, cursor);
    pthread_mutex_lock(&r->store_lock);
    int rc = commit_locked(t, err);
    long commits = ++r->commits;
    pthread_mutex_unlock(&r->store_lock);
    discard_ops(ts);
    if (rc < 0)
        return hs_error_prefix(err, "%s/%s: ", t->run->provider->name, t->resource->name);
    ts->pages++;
    if (r->fail_after_commits > 0 && commits >= r->fail_after_commits)
        _exit(99);
    return 0;
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
    buf_init(&ts->text);
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
        free(ts->records);
        buf_free(&ts->text);
        strset_free(&ts->seen);
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
};

static enum hs_err_kind run_task(struct provider_run *run, const struct resource *res,
                                 struct provider_pass *pass)
{
    struct sync_runner *r = run->runner;
    struct hs_error err = HS_ERROR_INIT;
    struct task t;
    int64_t run_id = 0;
    int rc = task_init(&t, run, res, &err);
    if (rc == 0) {
        run_store_start(r, run->provider->name, res->name, t.state.watermark, &run_id);
        rc = res->sync(&t, &err);
        if (rc == 0 && state_of(&t)->n_ops > 0)
            rc = task_commit(&t, NULL, NULL, &err); /* anything the provider left queued */
        if (rc == 0 && t.full)
            rc = mark_full_pass(&t, &err);
    }
    struct task_state *ts = state_of(&t);
    const struct run_counts zero = {0};
    const struct run_counts *counts = ts ? &ts->counts : &zero;
    log_progress_done();
    pthread_mutex_lock(&pass->lock);
    struct provider_result *result = pass->result;
    const char *status = rc == 0 ? "success" : err.kind == HS_ERR_SCOPE ? "skipped" : "error";
    if (run_id)
        run_store_finish(r, run_id, status, ts ? ts->watermark : NULL, counts,
                         rc == 0 ? NULL : err.msg);
    add_counts(&result->counts, counts);
    if (rc == 0) {
        result->resources_ok++;
        log_info("%s/%s: %ld new, %ld updated, %ld deleted, %ld unchanged", run->provider->name,
                 res->name, counts->inserted, counts->updated, counts->deleted,
                 counts->unchanged);
    } else if (err.kind == HS_ERR_SCOPE) {
        result->resources_skipped++;
        log_warn("%s/%s skipped: the token lacks the scope for it (%s)", run->provider->name,
                 res->name, err.msg);
    } else {
        result->resources_failed++;
        log_error("%s/%s: %s", run->provider->name, res->name, err.msg);
        if (result->error.kind == HS_OK)
            result->error = err;
    }
    pthread_mutex_unlock(&pass->lock);
    enum hs_err_kind kind = rc == 0 ? HS_OK : err.kind;
    task_free(&t);
    return kind;
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
    resource_worker(&pass); /* this thread works too */
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_cond_destroy(&pass.changed);
    pthread_mutex_destroy(&pass.lock);
}

static void auth_hint(const struct provider *p, struct hs_error *err)
{
    if (err->kind == HS_ERR_AUTH && p->auth == AUTH_OAUTH2 && !strstr(err->msg, "health-sync auth"))
        hs_error_prefix(err, "%s credentials rejected (run `health-sync auth %s`): ", p->title,
                        p->name);
}

int sync_provider(struct sync_runner *r, const struct provider *p, struct provider_result *result)
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
