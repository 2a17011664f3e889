/* runner.c: the sync runner.  Runs each provider's resources as tasks
 * (in parallel where the provider allows, one after another where a
 * resource says after_previous), decides when a full pass is due, books
 * every task in sync_runs and sums up the provider's result.  The store has
 * one writer: the runner's lock guards every call into it. */
#include "sync_internal.h"

#include "interrupt.h"
#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

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
    r->history_budget = r->opt.history_budget_set
                            ? r->opt.history_budget
                            : (long)config_int(cfg, "app", "history_budget_seconds");
    const char *steps = getenv("HEALTH_SYNC_HISTORY_STEPS");
    r->history_steps = steps ? strtol(steps, NULL, 10) : 0;
    return r;
}

void sync_runner_expect(struct sync_runner *r, const struct provider *p)
{
    for (const struct resource *res = p->resources; res->name; res++)
        if (res->bulk && provider_resource_on(r->cfg, p, res->name))
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

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
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
    ts->started = time_monotonic();
    pthread_mutex_lock(&r->store_lock);
    int has = store_has_records(r->store, run->provider->name, res->name, err);
    pthread_mutex_unlock(&r->store_lock);
    if (has < 0)
        return -1;
    ts->track_seen = has;
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

/* One provider's resources being worked through, possibly by several threads. */
struct provider_pass {
    struct provider_run *run;
    struct provider_result *result; /* guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next, running, count;
    bool stop;               /* credentials rejected or interrupted: start nothing more */
    bool auth_said;          /* a rejected credential was reported (once is enough) */
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
    /* A resource without rows when the task began (a first backfill) has
     * nothing unchanged or updated: a row the store saw again was one this
     * task had just written (a record two overlapping windows both hold). */
    if (ts && !ts->track_seen)
        ts->counts.unchanged = ts->counts.updated = 0;
    const struct run_counts *counts = ts ? &ts->counts : &zero;
    pthread_mutex_lock(&pass->lock);
    struct provider_result *result = pass->result;
    /* Ctrl-C is no failure of the resource: its committed pages stay and
     * the next sync resumes after them. */
    bool interrupted = rc != 0 && !skipped && (err->kind == HS_ERR_INTERRUPTED || hs_interrupted);
    const char *status = rc == 0          ? "success"
                         : skipped        ? "skipped"
                         : interrupted    ? "interrupted"
                                          : "error";
    if (tr->run_id)
        run_store_finish(r, tr->run_id, status, ts ? ts->watermark : NULL, counts,
                         rc == 0 ? NULL : err->msg);
    add_counts(&result->counts, counts);
    if (rc == 0) {
        result->resources_ok++;
        log_info("%s/%s: %ld new, %ld updated, %ld deleted, %ld unchanged", run->provider->name,
                 res->name, counts->inserted, counts->updated, counts->deleted, counts->unchanged);
    } else if (skipped) {
        result->resources_skipped++;
        log_warn("%s/%s skipped: %s (%s)", run->provider->name, res->name,
                 absent ? "the server has no such endpoint" : "the token lacks the scope for it",
                 err->msg);
    } else {
        result->resources_failed++;
        hs_error_prefix(err, "%s/%s: ", run->provider->name, res->name); /* unless said */
        /* Ctrl-C: the command says it once for all.  Rejected credentials
         * fail every resource running at the time the same way: once. */
        bool repeat = err->kind == HS_ERR_AUTH && pass->auth_said;
        if (!interrupted && !repeat)
            log_error("%s", err->msg);
        pass->auth_said = pass->auth_said || err->kind == HS_ERR_AUTH;
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

/* Runs one resource; returns its error kind (HS_OK on success). */
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
        if (!provider_resource_on(pass->run->cfg, pass->run->provider, res[i].name))
            continue; /* left out by [<provider>].resources */
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

/* The provider's own row in sync_runs (resource "*"): a success only when
 * every resource it ran succeeded (or was skipped), so that status's last
 * success and STALE mean "all of it", not "some resource". */
static void book_provider_pass(struct sync_runner *r, int64_t id,
                               const struct provider_result *result)
{
    if (!id)
        return;
    bool ok = result->error.kind == HS_OK && !result->failed;
    bool interrupted = !ok && (result->error.kind == HS_ERR_INTERRUPTED || hs_interrupted);
    run_store_finish(r, id, ok ? "success" : interrupted ? "interrupted" : "error", NULL,
                     &result->counts, ok ? NULL : result->error.msg);
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
    int64_t pass_id = 0;
    if (run_store_start(r, p->name, "*", NULL, &pass_id) < 0)
        pass_id = 0;
    if (p->prepare && p->prepare(run, &result->error) < 0) {
        auth_hint(p, &result->error);
        result->failed = true;
        book_provider_pass(r, pass_id, result);
        sync_provider_run_free(run);
        return -1;
    }
    run_resources(run, result);
    sync_provider_run_free(run);
    if (result->error.kind != HS_OK) {
        auth_hint(p, &result->error);
        result->failed = true;
    }
    book_provider_pass(r, pass_id, result);
    return result->failed ? -1 : 0;
}

int sync_provider(struct sync_runner *r, const struct provider *p, struct provider_result *result)
{
    double started = time_monotonic();
    int rc = run_provider(r, p, result);
    result->seconds = time_monotonic() - started;
    log_board_remove(p->name);
    order_gate_release(r->gate, p->name, NULL); /* the listings that never ran */
    return rc;
}
