/* bench-floor: what storing and parsing heart rate cost with nothing else
 * running, the floor under `make bench`'s end-to-end throughput lines.
 *
 * Store: N samples through store_upsert_records into a new database, one
 * transaction per 30-day page as a sync commits them; first with heart rate
 * sorting last in the records indexes, then with rows sorting after it (a
 * backfill's Oura sleep and workout, Strava, Withings), which sends every
 * sample's index entries into the middle of the B-trees.
 * SQLite alone: the same rows through the sqlite3 API with nothing of ours
 * around it (a plain multi-row INSERT into the same schema, same pragmas,
 * SQLite's own checkpoints), the cost no client of this schema avoids.
 * Parse: the same samples as pages of the fake's JSON, streamed item by item
 * through json_parse_items and dumped as the stored payload, as a fetching
 * thread does; then parsed by jansson alone (each item's tree, no dump).
 *
 * Only the store and parse calls are timed (building the rows and pages is
 * not): wall time, and CPU time of the whole process (the store's
 * checkpoint thread included). */
#include "buf.h"
#include "error.h"
#include "json.h"
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE_SAMPLES 8641       /* 30 days every 5 minutes, plus the window's end */
#define LATER_ROWS 12000        /* rows sorting after heart rate, about a backfill's */
#define FIRST_SAMPLE 1420070400 /* 2015-01-01 */

struct timer {
    double wall, cpu;
};

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void timer_start(struct timer *t)
{
    t->wall -= clock_seconds(CLOCK_MONOTONIC);
    t->cpu -= clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static void timer_stop(struct timer *t)
{
    t->wall += clock_seconds(CLOCK_MONOTONIC);
    t->cpu += clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

static void report(const char *what, long n, const struct timer *t)
{
    printf("  %-44s %8ld in %5.2f s wall = %9.0f /s; %5.2f s CPU = %5.2f us each\n", what, n,
           t->wall, (double)n / t->wall, t->cpu, t->cpu / (double)n * 1e6);
}

static void iso_of(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* The sample the fake serves at time t, as the text it sends (and the
 * payload a sync stores: the fake's bytes are already the compact dump). */
static void sample_text(struct buf *out, time_t t)
{
    char iso[32];
    iso_of(t, iso);
    buf_addf(out, "{\"bpm\":%d,\"source\":\"awake\",\"timestamp\":\"%s\"}", 52 + (int)(t % 45),
             iso);
}

/* One page of rows: the strings live in text, the records point into it. */
struct page_rows {
    struct record recs[PAGE_SAMPLES];
    struct buf text;
    size_t offsets[PAGE_SAMPLES][2]; /* timestamp, payload */
};

static size_t build_page(struct page_rows *p, long first, long n)
{
    buf_reset(&p->text);
    for (long i = 0; i < n; i++) {
        time_t t = FIRST_SAMPLE + (first + i) * 300;
        char iso[32];
        iso_of(t, iso);
        p->offsets[i][0] = p->text.len;
        buf_add(&p->text, iso, strlen(iso) + 1);
        p->offsets[i][1] = p->text.len;
        sample_text(&p->text, t);
        buf_add(&p->text, "", 1);
    }
    for (long i = 0; i < n; i++) {
        const char *ts = p->text.data + p->offsets[i][0];
        p->recs[i] =
            (struct record){"oura", "heartrate", ts, ts, NULL, ts, p->text.data + p->offsets[i][1]};
    }
    return (size_t)n;
}

static int fail(const struct hs_error *err)
{
    fprintf(stderr, "bench-floor: %s\n", err->msg);
    return -1;
}

static int commit_page(struct store *s, const struct record *recs, size_t n,
                       struct run_counts *counts, struct hs_error *err)
{
    if (store_begin(s, err) < 0 || store_upsert_records(s, recs, n, counts, err) < 0 ||
        store_commit(s, err) < 0)
        return -1;
    return 0;
}

/* Rows sorting after oura/heartrate, stored before it (not timed). */
static int add_later_rows(struct store *s, struct hs_error *err)
{
    static struct record recs[256];
    char ids[256][32];
    struct buf payload = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        buf_addc(&payload, (char)('a' + i % 26)); /* a sleep document's size */
    struct run_counts counts = {0};
    int rc = 0;
    for (long done = 0; rc == 0 && done < LATER_ROWS; done += 256) {
        for (int i = 0; i < 256; i++) {
            snprintf(ids[i], sizeof ids[i], "sleep-%06ld", done + i);
            recs[i] =
                (struct record){"oura", "sleep", ids[i], ids[i], ids[i], ids[i], payload.data};
        }
        rc = commit_page(s, recs, 256, &counts, err);
    }
    buf_free(&payload);
    return rc;
}

static int bench_store(const char *dir, long samples, bool mid_index, struct page_rows *p)
{
    char path[512];
    snprintf(path, sizeof path, "%s/floor-%s.sqlite", dir, mid_index ? "mid" : "end");
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = store_open(path, &err);
    if (!s || (mid_index && add_later_rows(s, &err) < 0))
        return fail(&err);
    struct timer t = {0};
    struct run_counts counts = {0};
    int rc = 0;
    for (long done = 0; rc == 0 && done < samples; done += PAGE_SAMPLES) {
        long n = samples - done < PAGE_SAMPLES ? samples - done : PAGE_SAMPLES;
        build_page(p, done, n);
        timer_start(&t);
        rc = commit_page(s, p->recs, (size_t)n, &counts, &err);
        timer_stop(&t);
    }
    store_close(s);
    if (rc < 0)
        return fail(&err);
    if (counts.inserted != samples) {
        fprintf(stderr, "bench-floor: stored %ld of %ld samples\n", counts.inserted, samples);
        return -1;
    }
    report(mid_index ? "store, heart rate mid-index (samples)" : "store, heart rate last (samples)",
           samples, &t);
    return 0;
}

/* The schema's statement with nothing of ours around it: rows as the store
 * binds them, 256 a statement (the rest of a page one at a time), no upsert
 * clause and no change counting. */
#define RAW_ROWS 256

static sqlite3_stmt *raw_insert(sqlite3 *db, int rows)
{
    struct buf sql = BUF_INIT;
    buf_adds(&sql, "INSERT INTO records (provider, resource, record_id, start_time, end_time,"
                   " source_updated_at, payload_json, fetched_at) VALUES ");
    for (int i = 0; i < rows; i++)
        buf_adds(&sql, i ? ",(?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?)");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, sql.data, -1, &st, NULL);
    buf_free(&sql);
    return st;
}

static int raw_rows(sqlite3_stmt *st, const struct record *recs, int rows)
{
    for (int i = 0; i < rows; i++) {
        const struct record *r = &recs[i];
        const char *cols[8] = {r->provider,   r->resource, r->record_id,         r->start_time,
                               r->end_time,   r->source_updated_at, r->payload_json,
                               "2026-12-02T00:00:00Z"};
        for (int c = 0; c < 8; c++)
            if (cols[c])
                sqlite3_bind_text(st, i * 8 + c + 1, cols[c], -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, i * 8 + c + 1);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int raw_page(sqlite3 *db, sqlite3_stmt *const st[2], const struct record *recs, size_t n)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    size_t done = 0;
    for (; done + RAW_ROWS <= n; done += RAW_ROWS)
        if (raw_rows(st[0], recs + done, RAW_ROWS) < 0)
            return -1;
    for (; done < n; done++)
        if (raw_rows(st[1], recs + done, 1) < 0)
            return -1;
    return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int bench_sqlite(const char *dir, long samples, struct page_rows *p)
{
    char path[512];
    snprintf(path, sizeof path, "%s/floor-raw.sqlite", dir);
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = store_open(path, &err); /* the schema and page size, then closed */
    if (!s)
        return fail(&err);
    store_close(s);
    sqlite3 *db = NULL;
    sqlite3_stmt *st[2] = {NULL, NULL};
    int rc = sqlite3_open(path, &db) == SQLITE_OK &&
                     sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                  " PRAGMA cache_size=-500;",
                                  NULL, NULL, NULL) == SQLITE_OK &&
                     (st[0] = raw_insert(db, RAW_ROWS)) && (st[1] = raw_insert(db, 1))
                 ? 0
                 : -1;
    struct timer t = {0};
    for (long done = 0; rc == 0 && done < samples; done += PAGE_SAMPLES) {
        long n = samples - done < PAGE_SAMPLES ? samples - done : PAGE_SAMPLES;
        build_page(p, done, n);
        timer_start(&t);
        rc = raw_page(db, st, p->recs, (size_t)n);
        timer_stop(&t);
    }
    sqlite3_stmt *count = NULL;
    long stored = -1;
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM records", -1, &count, NULL) ==
                       SQLITE_OK &&
        sqlite3_step(count) == SQLITE_ROW)
        stored = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    if (rc < 0)
        fprintf(stderr, "bench-floor: %s: %s\n", path, sqlite3_errmsg(db));
    else if (stored != samples)
        fprintf(stderr, "bench-floor: SQLite stored %ld of %ld samples\n", stored, samples);
    rc = rc < 0 || stored != samples ? -1 : 0;
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    sqlite3_close(db);
    if (rc < 0)
        return -1;
    report("SQLite alone, heart rate last (samples)", samples, &t);
    return 0;
}

struct parse_sink {
    struct buf dump;
    long items;
    bool dump_payload;
};

/* What a fetching thread does with a sample: the fields it keys on, and
 * the payload as stored. */
static int on_sample(json_t *item, void *arg)
{
    struct parse_sink *ps = arg;
    ps->dump.len = 0;
    if (!json_string_value(json_object_get(item, "timestamp")) ||
        (ps->dump_payload && json_dump_python(item, false, &ps->dump) < 0))
        return -1;
    ps->items++;
    return 0;
}

static int bench_parse(long samples, bool dump_payload)
{
    struct buf page = BUF_INIT;
    struct parse_sink ps = {BUF_INIT, 0, dump_payload};
    struct json_item_sink sink = {"data", on_sample, NULL, &ps};
    struct json_arena arena = {0};
    struct timer t = {0};
    json_arena_attach(&arena);
    for (long done = 0; done < samples; done += PAGE_SAMPLES) {
        long n = samples - done < PAGE_SAMPLES ? samples - done : PAGE_SAMPLES;
        buf_reset(&page);
        buf_adds(&page, "{\"data\":[");
        for (long i = 0; i < n; i++) {
            if (i)
                buf_adds(&page, ",");
            sample_text(&page, FIRST_SAMPLE + (done + i) * 300);
        }
        buf_adds(&page, "],\"next_token\":null}");
        bool stopped;
        char why[160];
        timer_start(&t);
        json_t *rest = json_parse_items(page.data, page.len, &sink, &stopped, why, sizeof why);
        json_decref(rest);
        json_arena_trim(&arena);
        timer_stop(&t);
        if (!rest) {
            fprintf(stderr, "bench-floor: the page did not parse: %s\n", why);
            return -1;
        }
    }
    json_arena_attach(NULL);
    json_arena_release(&arena);
    buf_free(&page);
    buf_free(&ps.dump);
    if (ps.items != samples) {
        fprintf(stderr, "bench-floor: parsed %ld of %ld samples\n", ps.items, samples);
        return -1;
    }
    report(dump_payload ? "parse + payload dump, one thread (samples)"
                        : "parse alone (jansson), one thread (samples)",
           samples, &t);
    return 0;
}

int main(int argc, char **argv)
{
    long samples = argc > 1 ? strtol(argv[1], NULL, 10) : 527000;
    const char *tmp = getenv("TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/hs-bench-floor-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (samples <= 0 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: bench-floor [SAMPLES]\n");
        return 2;
    }
    json_init();
    struct page_rows *p = calloc(1, sizeof *p);
    int rc = !p || bench_store(dir, samples, false, p) < 0 ||
             bench_sqlite(dir, samples, p) < 0 || bench_store(dir, samples, true, p) < 0 ||
             bench_parse(samples, true) < 0 || bench_parse(samples, false) < 0;
    if (p)
        buf_free(&p->text);
    free(p);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench-floor: could not remove %s\n", dir);
    return rc ? 1 : 0;
}
