/* commit.c: the commit path.  A task's queued page goes into the store in
 * one transaction with its watermark, cursor and extra state; while a bulk
 * listing that sorts before it runs (order_gate.h) the page is set aside on
 * disk instead (spill.h) and committed, in order, once the gate lets go.
 * The store's checkpoints run on their own thread (checkpoint.h). */
#include "sync_internal.h"

#include "interrupt.h"
#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records handed to the store at a time (a multiple of its statement sizes). */
#define UPSERT_BATCH 256

static int delete_op(struct task *t, const struct pending_op *op, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    int deleted = 0;
    if (store_delete_record(t->run->runner->store, t->run->provider->name,
                            queue_text_at(ts, op->resource), queue_text_at(ts, op->record_id),
                            &deleted, err) < 0)
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
            batch[i] = (struct record){t->run->provider->name,
                                       queue_text_at(ts, op->resource),
                                       queue_text_at(ts, op->record_id),
                                       queue_text_at(ts, op->start_time),
                                       queue_text_at(ts, op->end_time),
                                       queue_text_at(ts, op->source_updated_at),
                                       queue_text_at(ts, op->payload_json)};
        }
        if (store_upsert_records(t->run->runner->store, batch, n, &ts->counts, err) < 0)
            return -1;
        atomic_fetch_add(&t->run->state->records, (long)n);
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
                  "ends",
                  provider, resource);
    queue_discard(ts);
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
    queue_discard(ts);
    for (size_t i = 0; i < n; i++) {
        struct pending_op *op = queue_new_op(t, err);
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
        log_debug("%s/%s: %zu pages set aside committed", t->run->provider->name, t->resource->name,
                  pages);
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
        queue_discard(ts);
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
    queue_discard(ts);
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
int commit_held_at_end(struct task *t, bool failed, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (!ts || spill_pages(ts->held) == 0 || (failed && hs_interrupted))
        return 0;
    ts->no_holding = true;
    if (failed)
        queue_discard(ts);
    return task_commit(t, NULL, NULL, err);
}
