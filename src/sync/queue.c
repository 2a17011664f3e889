/* queue.c: a task's change queue.  task_put and task_delete append to it
 * (strings packed into one buffer per page), task_sweep queues deletions of
 * the rows a full listing did not return, and the read-only queries
 * (task_max_start_time, task_count_records) ask the store under its lock.
 * commit.c empties the queue into the store. */
#include "sync_internal.h"

#include "store.h"

#include <stdlib.h>
#include <string.h>

void queue_text_init(struct buf *text)
{
    buf_init(text);
    text->limit = QUEUE_TEXT_LIMIT;
}

struct pending_op *queue_new_op(struct task *t, struct hs_error *err)
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

const char *queue_text_at(const struct task_state *ts, uint32_t offset)
{
    return offset == NO_TEXT ? NULL : ts->text.data + offset;
}

/* Remembers a put of this task's resource for task_sweep (when it keeps
 * track; a fetching thread's queue is marked when merged). */
int queue_mark_seen(struct task *t, const struct pending_op *op, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    if (op->is_delete || !ts->track_seen ||
        strcmp(queue_text_at(ts, op->resource), t->resource->name) != 0)
        return 0;
    if (strset_add(&ts->seen, queue_text_at(ts, op->record_id)) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    return 0;
}

size_t task_queued(const struct task *t)
{
    return state_of(t)->n_ops;
}

void queue_discard(struct task_state *ts)
{
    ts->n_ops = 0;
    buf_reset(&ts->text);
}

int task_put_in(struct task *t, const char *resource, const char *record_id, const char *start_time,
                const char *end_time, const char *source_updated_at, const json_t *payload,
                struct hs_error *err)
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
    struct pending_op *slot = queue_new_op(t, err);
    if (!slot)
        return -1;
    *slot = op;
    return queue_mark_seen(t, slot, err);
}

int task_put(struct task *t, const char *record_id, const char *start_time, const char *end_time,
             const char *source_updated_at, const json_t *payload, struct hs_error *err)
{
    return task_put_in(t, t->resource->name, record_id, start_time, end_time, source_updated_at,
                       payload, err);
}

int task_delete(struct task *t, const char *resource, const char *record_id, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    bool failed = false;
    struct pending_op op = {.is_delete = true,
                            .start_time = NO_TEXT,
                            .end_time = NO_TEXT,
                            .source_updated_at = NO_TEXT,
                            .payload_json = NO_TEXT};
    op.resource = add_text(ts, resource ? resource : t->resource->name, &failed);
    op.record_id = add_text(ts, record_id, &failed);
    struct pending_op *slot = failed ? NULL : queue_new_op(t, err);
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

int task_max_start_time(struct task *t, const char *resource, char **out, struct hs_error *err)
{
    struct sync_runner *r = t->run->runner;
    pthread_mutex_lock(&r->store_lock);
    int rc = store_max_start_time(r->store, t->run->provider->name, resource, out, err);
    pthread_mutex_unlock(&r->store_lock);
    return rc;
}

int task_count_records(struct task *t, const char *resource, long *n, struct hs_error *err)
{
    struct sync_runner *r = t->run->runner;
    pthread_mutex_lock(&r->store_lock);
    int rc = store_count_records(r->store, t->run->provider->name,
                                 resource ? resource : t->resource->name, n, err);
    pthread_mutex_unlock(&r->store_lock);
    return rc;
}
