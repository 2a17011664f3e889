/* provider_run.c: a provider run and the helpers providers call on it:
 * its config values, its tokens (loaded, saved, refreshed once however many
 * resources saw the 401), its requests (within the provider's concurrency
 * limit, refreshing the token when rejected) and progress lines. */
#include "sync_internal.h"

#include "log.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

const char *run_config_require(const struct provider_run *r, const char *key, struct hs_error *err)
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

int run_get_json(struct provider_run *r, const char *url, json_t **out, struct hs_error *err)
{
    struct http_request req = {.method = "GET", .url = url, .bearer = run_access_token(r)};
    return http_send_json(r->http, &req, out, err);
}

int run_probe_count(struct provider_run *r, const char *url, const char *items_key, const char *one,
                    const char *many, struct buf *found, struct hs_error *err)
{
    json_t *reply = NULL;
    if (run_get_json(r, url, &reply, err) < 0)
        return -1;
    size_t n = json_array_size(json_object_get(reply, items_key));
    bool more = json_is_string(json_object_get(reply, "next_token"));
    buf_addf(found, "%s%zu %s in the last 30 days", more ? "over " : "", n, n == 1 ? one : many);
    json_decref(reply);
    return 0;
}

size_t run_max_concurrency(const struct provider_run *r)
{
    long long n = config_int(r->cfg, "app", "max_concurrency");
    for (const struct config_key *k = provider_config_keys(r->provider); k->name; k++)
        if (!strcmp(k->name, "max_concurrency") && run_config_int(r, k->name) < n)
            n = run_config_int(r, k->name);
    return n < 1 ? 1 : (size_t)n;
}

/* On a terminal, the provider's line of the progress board: the resource,
 * the records written so far, and (when the total is known) the share
 * done and the time left at the pace so far; otherwise a plain line. */
static void progress(struct task *t, long done, long total, const char *detail)
{
    const char *provider = t->run->provider->name;
    if (!log_is_tty()) {
        log_progress(provider, t->resource->name, "%s", detail);
        return;
    }
    struct buf line = BUF_INIT;
    buf_addf(&line, "%-11s %-18s %9ld records", provider, t->resource->name,
             atomic_load(&t->run->state->records));
    if (total > 0 && done > 0 && done <= total) {
        double elapsed = time_monotonic() - state_of(t)->started;
        long left = (long)(elapsed * (double)(total - done) / (double)done + 0.5);
        buf_addf(&line, "  %3ld%%  ETA %ld:%02ld", done * 100 / total, left / 60, left % 60);
    }
    buf_addf(&line, "  %s", detail);
    log_board_set(provider, "%s", line.data);
    buf_free(&line);
}

void task_progress(struct task *t, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    progress(t, 0, 0, msg.data);
    buf_free(&msg);
}

void task_progress_of(struct task *t, long done, long total, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    progress(t, done, total, msg.data);
    buf_free(&msg);
}
