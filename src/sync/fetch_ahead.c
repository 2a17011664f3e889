/* fetch_ahead.c: listings fetched ahead by a small pool of threads
 * (task_fetch_ahead and friends in provider.h).  A fetching thread turns
 * each page into queued changes at once (on_page, with a task of its own)
 * and frees the parsed page: what waits for the task's thread is the
 * compact queue, not the JSON tree (a month of heart rate is 6 MB parsed,
 * 2 MB queued).  The task's thread takes the queues in order (or in any
 * order), and commits in job_done. */
#include "sync_internal.h"

#include <stdlib.h>
#include <string.h>

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
    queue_discard(state_of(feed->jt));
}

/* A next page exists but its URL could not be built: the job fails rather
 * than end as if the listing were complete. */
static int continuation_failed(const char *url, struct hs_error *err)
{
    char *shown = http_redact_url(url);
    hs_error_set(err, HS_ERR_FINAL,
                 "cannot build the URL of the page after %s (out of memory, or a continuation "
                 "longer than %d bytes): the listing is incomplete",
                 shown ? shown : "a page", TASK_URL_MAX);
    free(shown);
    return -1;
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
    if (next == task_next_url_failed) {
        next = NULL;
        if (rc == 0)
            rc = continuation_failed(*url, &job->err);
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
            if (queue_mark_seen(t, &ts->ops[k], err) < 0)
                return -1;
        return 0;
    }
    size_t base = ts->text.len;
    if (buf_add(&ts->text, q->text.data, q->text.len) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    for (size_t k = 0; k < q->n_ops; k++) {
        struct pending_op *op = queue_new_op(t, err);
        if (!op)
            return -1;
        *op = q->ops[k];
        uint32_t *fields[] = {&op->resource, &op->record_id,         &op->start_time,
                              &op->end_time, &op->source_updated_at, &op->payload_json};
        for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++)
            if (*fields[j] != NO_TEXT)
                *fields[j] += (uint32_t)base;
        if (queue_mark_seen(t, op, err) < 0)
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
static int take_page(struct fetch_ahead *f, size_t i, struct queued_page *q, struct hs_error *err)
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
static int take_any_page(struct fetch_ahead *f, bool *notified, size_t *job, struct queued_page *q,
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
    int rc = !started      ? hs_error_set(err, HS_ERR_FINAL, "cannot start a thread")
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

char task_next_url_failed[] = "";

char *task_next_url_of(struct buf *b)
{
    char *url = buf_detach(b);
    return url ? url : task_next_url_failed;
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
    struct fetch_ahead f = {.task = t,
                            .urls = urls,
                            .n = n,
                            .ahead = ahead ? ahead : 1,
                            .in_order = in_order,
                            .next_url = next_url,
                            .on_page = on_page,
                            .job_done = job_done,
                            .arg = arg,
                            .items = items};
    return task_fetch(&f, err);
}

int task_fetch_ahead(struct task *t, char *const *urls, size_t n, size_t ahead,
                     next_url_fn next_url, fetched_page_fn on_page, job_done_fn job_done, void *arg,
                     struct hs_error *err)
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
