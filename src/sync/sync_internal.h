/* sync_internal.h: what the runner's files share and nobody else sees.
 *
 * The runner (runner.c) owns the store on the providers' behalf; a provider
 * run (provider_run.c) carries its config, tokens and request slots; each
 * task queues its changes (queue.c), commits them page by page through the
 * order gate (commit.c), and may have listings fetched ahead by a small
 * pool (fetch_ahead.c).  These are the structs and calls between them. */
#ifndef HS_SYNC_INTERNAL_H
#define HS_SYNC_INTERNAL_H

#include "sync.h"

#include "buf.h"
#include "json.h"
#include "order_gate.h"
#include "spill.h"
#include "strset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    /* Seconds a task may spend walking older history (0: no limit), and
     * the test-only count of steps that stands for it (history.c). */
    long history_budget, history_steps;
};

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
    struct buf text; /* the queued ops' strings, NUL-separated */
    /* Ids put in this task, for task_sweep.  Kept only when the resource
     * had rows at the start: otherwise every row a sweep could find was
     * put by this task, and a backfill of 500,000 samples need not remember
     * them all. */
    bool track_seen;
    struct strset seen;
    bool is_job;                 /* a fetching thread's queue (see task_fetch_ahead): no commits */
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
    double started;         /* when the task began: the progress line's time left */
    double history_started; /* task_history_begin */
    atomic_long history_steps; /* task_history_spent calls, from any fetching thread */
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
    atomic_long records; /* records written so far in this run, for the progress line */
};

static inline struct task_state *state_of(const struct task *t)
{
    return t->priv;
}

/* queue.c: a task's queue of changes. */
void queue_text_init(struct buf *text);
/* A new op at the queue's end; NULL (err set) when out of memory. */
struct pending_op *queue_new_op(struct task *t, struct hs_error *err);
const char *queue_text_at(const struct task_state *ts, uint32_t offset);
/* Remembers a put of this task's resource for task_sweep. */
int queue_mark_seen(struct task *t, const struct pending_op *op, struct hs_error *err);
void queue_discard(struct task_state *ts);

/* commit.c: at a task's end, commits what it set aside behind the gate. */
int commit_held_at_end(struct task *t, bool failed, struct hs_error *err);

#endif
