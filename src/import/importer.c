/* importer: an Apple Health export into the records table, batch by batch. */
#include "importer.h"

#include "apple_health.h"
#include "buf.h"
#include "interrupt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Records per transaction: a commit every few hundred milliseconds, each
 * batch's text a few megabytes. */
#define DEFAULT_BATCH 8192
/* How often the progress callback hears of the reading. */
#define PROGRESS_EVERY 4096
#define IMPORT_RESOURCE "import" /* its runs and state in sync_runs/sync_state */

/* One record copied out of the reader: offsets into batch.text. */
struct held {
    size_t resource, record_id, start_time, end_time, payload;
    bool has_end;
};

struct batch {
    struct buf text;
    struct held *items;
    struct record *recs;
    size_t n, cap;
};

struct import {
    struct store *s;
    const struct import_options *opt;
    struct import_result *res;
    struct batch b;
    size_t batch_size;
    long fail_after_commits; /* test-only crash point */
};

static int hold_string(struct batch *b, const char *v, size_t *off)
{
    *off = b->text.len;
    return buf_add(&b->text, v, strlen(v) + 1);
}

static int batch_add(struct batch *b, const struct record *r)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        struct held *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return -1;
        b->items = items;
        struct record *recs = realloc(b->recs, cap * sizeof *recs);
        if (!recs)
            return -1;
        b->recs = recs;
        b->cap = cap;
    }
    struct held *h = &b->items[b->n];
    h->has_end = r->end_time != NULL;
    if (hold_string(b, r->resource, &h->resource) < 0 ||
        hold_string(b, r->record_id, &h->record_id) < 0 ||
        hold_string(b, r->start_time, &h->start_time) < 0 ||
        hold_string(b, h->has_end ? r->end_time : "", &h->end_time) < 0 ||
        hold_string(b, r->payload_json, &h->payload) < 0)
        return -1;
    b->n++;
    return 0;
}

/* The held records as struct records (the text no longer moves). */
static void batch_records(struct batch *b)
{
    const char *t = b->text.data;
    for (size_t i = 0; i < b->n; i++) {
        const struct held *h = &b->items[i];
        b->recs[i] = (struct record){
            .provider = APPLE_HEALTH_PROVIDER,
            .resource = t + h->resource,
            .record_id = t + h->record_id,
            .start_time = t + h->start_time,
            .end_time = h->has_end ? t + h->end_time : NULL,
            .payload_json = t + h->payload,
        };
    }
}

static void batch_reset(struct batch *b)
{
    b->n = 0;
    buf_reset(&b->text);
}

static void batch_free(struct batch *b)
{
    buf_free(&b->text);
    free(b->items);
    free(b->recs);
}

/* Writes the held records (and their marks) in the open transaction. */
static int write_batch(struct import *im, struct hs_error *err)
{
    struct batch *b = &im->b;
    batch_records(b);
    if (store_upsert_records(im->s, b->recs, b->n, &im->res->counts, err) < 0)
        return -1;
    if (im->opt->prune)
        for (size_t i = 0; i < b->n; i++)
            if (store_mark(im->s, b->recs[i].resource, b->recs[i].record_id, err) < 0)
                return -1;
    batch_reset(b);
    return 0;
}

static int commit(struct import *im, struct hs_error *err)
{
    if (store_commit(im->s, err) < 0)
        return -1;
    im->res->commits++;
    /* Test-only crash point, as for sync: exit right after the N-th commit. */
    if (im->fail_after_commits > 0 && im->res->commits >= im->fail_after_commits)
        _exit(99);
    return 0;
}

/* One batch in one transaction. */
static int flush(struct import *im, struct hs_error *err)
{
    if (im->b.n == 0)
        return 0;
    if (store_begin(im->s, err) < 0)
        return -1;
    if (write_batch(im, err) < 0) {
        store_rollback(im->s);
        return -1;
    }
    return commit(im, err);
}

static void note_range(struct import_result *res, const char *start)
{
    if (!res->first[0] || strcmp(start, res->first) < 0)
        snprintf(res->first, sizeof res->first, "%s", start);
    if (strcmp(start, res->last) > 0)
        snprintf(res->last, sizeof res->last, "%s", start);
}

static void report(struct import *im, struct apple_health_reader *r, bool finished)
{
    if (!im->opt->progress)
        return;
    struct import_progress p = {.records = im->res->records, .finished = finished};
    apple_health_progress(r, &p.done, &p.total);
    if (finished)
        p.done = p.total;
    im->opt->progress(im->opt->progress_arg, &p);
}

/* Reads the export to its end (0) or to where it stops (-1), committing
 * each full batch as it goes; the last, partial batch is left held. */
static int read_all(struct import *im, struct apple_health_reader *r, struct hs_error *err)
{
    struct record rec;
    int rc;
    while ((rc = apple_health_next(r, &rec, err)) == 1) {
        if (batch_add(&im->b, &rec) < 0)
            return hs_error_set(err, HS_ERR_FINAL, "out of memory");
        note_range(im->res, rec.start_time);
        im->res->records++;
        if (im->res->records % PROGRESS_EVERY == 0)
            report(im, r, false);
        if (hs_interrupted)
            return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
        if (im->b.n >= im->batch_size && flush(im, err) < 0)
            return -1;
    }
    im->res->skipped = apple_health_skipped(r);
    const char *date = apple_health_export_date(r);
    if (date)
        snprintf(im->res->export_date, sizeof im->res->export_date, "%s", date);
    return rc;
}

/* The last batch, the pruning and the import's state in one transaction. */
static int finish(struct import *im, struct hs_error *err)
{
    if (store_begin(im->s, err) < 0)
        return -1;
    long deleted = 0;
    if (write_batch(im, err) < 0 ||
        (im->opt->prune && im->res->first[0] &&
         store_delete_unmarked(im->s, APPLE_HEALTH_PROVIDER, im->res->first, im->res->last,
                               &deleted, err) < 0) ||
        store_set_state(im->s, APPLE_HEALTH_PROVIDER, IMPORT_RESOURCE,
                        im->res->export_date[0] ? im->res->export_date : NULL, NULL, NULL,
                        err) < 0) {
        store_rollback(im->s);
        return -1;
    }
    im->res->counts.deleted += deleted;
    return commit(im, err);
}

static int run(struct import *im, const char *path, struct hs_error *err)
{
    struct apple_health_reader *r = apple_health_open(path, err);
    if (!r)
        return -1;
    int rc = 0;
    if (im->opt->prune && store_marks_begin(im->s, err) < 0)
        rc = -1;
    if (rc == 0)
        rc = read_all(im, r, err);
    if (rc == 0) {
        rc = finish(im, err);
        report(im, r, true);
    } else if (err->kind == HS_ERR_FINAL && im->res->records > 0) {
        /* Truncated or broken part way: keep every complete record before
         * that point (never prune on a partial export). */
        struct hs_error e2 = HS_ERROR_INIT;
        if (flush(im, &e2) < 0) {
            char first[HS_ERROR_MSG_MAX];
            snprintf(first, sizeof first, "%s", err->msg);
            hs_error_reset(err, HS_ERR_FINAL, "%s; the records before it were not saved: %s",
                           first, e2.msg);
        }
    }
    if (im->opt->prune)
        store_marks_end(im->s);
    apple_health_close(r);
    return rc;
}

int import_apple_health(struct store *s, const char *path, const struct import_options *opt,
                        struct import_result *res, struct hs_error *err)
{
    memset(res, 0, sizeof *res);
    struct import im = {.s = s, .opt = opt, .res = res, .b = {.text = BUF_INIT}};
    im.batch_size = opt->batch_records ? opt->batch_records : DEFAULT_BATCH;
    const char *fail = getenv("HEALTH_SYNC_FAIL_AFTER_COMMITS");
    im.fail_after_commits = fail ? strtol(fail, NULL, 10) : 0;

    int64_t run_id = 0;
    struct hs_error run_err = HS_ERROR_INIT;
    bool logged = store_run_start(s, APPLE_HEALTH_PROVIDER, IMPORT_RESOURCE, NULL, &run_id,
                                  &run_err) == 0;
    int rc = run(&im, path, err);
    if (logged)
        store_run_finish(s, run_id, rc == 0 ? "success" : "error",
                         res->export_date[0] ? res->export_date : NULL, &res->counts,
                         rc == 0 ? NULL : err->msg, &run_err);
    batch_free(&im.b);
    return rc;
}
