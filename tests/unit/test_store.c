/* Unit tests of store: the SQLite database (README, "The database") in a temporary
 * directory, with the clock pinned by HEALTH_SYNC_NOW. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#define NOW "2024-05-01T10:00:00Z"

struct fixture {
    char dir[64];
    char db[128];
    struct store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/hs-test-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/health.sqlite", f->dir);
    setenv("HEALTH_SYNC_NOW", NOW, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char p[400];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    int rc = rmdir(f->dir);
    free(f);
    unsetenv("HEALTH_SYNC_NOW");
    return rc;
}

static struct store *open_store(struct fixture *f)
{
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = store_open(f->db, &err);
    if (!s)
        fail_msg("store_open: %s", err.msg);
    return s;
}

/* One integer from a query run on a separate connection. */
static long long query_int(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The text of one row's first column, from a separate connection; caller frees. */
static char *query_text(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    char *v = NULL;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void expect_text(const char *db, const char *sql, const char *expected)
{
    char *v = query_text(db, sql);
    if (!v || strcmp(v, expected) != 0) {
        free(v);
        fail_msg("%s gave %s, expected %s", sql, v ? "another value" : "NULL", expected);
    }
    free(v);
}

static enum upsert_result upsert(struct store *s, const char *resource, const char *id,
                                 const char *start, const char *payload)
{
    struct record r = {"oura", resource, id, start, NULL, NULL, payload};
    enum upsert_result res = (enum upsert_result) - 1;
    struct hs_error err = HS_ERROR_INIT;
    if (store_upsert_record(s, &r, &res, &err) != 0)
        fail_msg("upsert %s: %s", id, err.msg);
    return res;
}

/* store_count_records, asserting it succeeds. */
static long count(struct store *s, const char *provider, const char *resource)
{
    struct hs_error err = HS_ERROR_INIT;
    long n = -1;
    assert_int_equal(store_count_records(s, provider, resource, &n, &err), 0);
    return n;
}

/* store_max_start_time, asserting it succeeds; caller frees. */
static char *max_start(struct store *s, const char *provider, const char *resource)
{
    struct hs_error err = HS_ERROR_INIT;
    char *out = (char *)"unset";
    assert_int_equal(store_max_start_time(s, provider, resource, &out, &err), 0);
    return out;
}

/* Runs sql on a separate read-write connection. */
static void exec_beside(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static void test_open_creates_private_file(void **state)
{
    struct fixture *f = *state;
    mode_t old = umask(022);
    f->s = open_store(f);
    umask(old);
    assert_string_equal(store_path(f->s), f->db);
    struct stat st;
    assert_int_equal(stat(f->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    expect_text(f->db, "PRAGMA journal_mode", "wal");
    /* The Python tool's tables and index names, plus sync_runs. */
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                                      " ('records','sync_state','oauth_tokens','sync_runs',"
                                      "  'idx_records_prs','idx_records_pru')"),
                     6);
}

static void test_reopen_is_idempotent(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-01", "{}"), UPSERT_INSERTED);
    store_close(f->s);
    f->s = open_store(f);
    store_close(f->s);
    f->s = open_store(f);
    assert_int_equal(count(f->s, "oura", "sleep"), 1);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-01", "{}"), UPSERT_UNCHANGED);
    assert_int_equal(query_int(f->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    store_close(f->s);
    f->s = NULL;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    char newer[64];
    snprintf(newer, sizeof newer, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    assert_int_equal(sqlite3_exec(h, newer, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);

    struct hs_error err = HS_ERROR_INIT;
    assert_null(store_open(f->db, &err));
    assert_int_equal(err.kind, HS_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "newer"));
    assert_int_equal(query_int(f->db, "PRAGMA user_version"),
                     STORE_SCHEMA_VERSION + 1); /* left alone */
}

static void test_not_a_database(void **state)
{
    struct fixture *f = *state;
    FILE *fp = fopen(f->db, "w");
    assert_non_null(fp);
    fputs("this is not SQLite, just some text that is long enough to be a header\n", fp);
    fclose(fp);
    struct hs_error err = HS_ERROR_INIT;
    assert_null(store_open(f->db, &err));
    assert_int_not_equal(err.kind, HS_OK);
    assert_non_null(strstr(err.msg, f->db));
}

static void test_upsert_classification(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-01", "{\"x\":1}"), UPSERT_INSERTED);
    expect_text(f->db, "SELECT fetched_at FROM records WHERE record_id='a'", NOW);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-01", "{\"x\":1}"), UPSERT_UNCHANGED);

    setenv("HEALTH_SYNC_NOW", "2024-05-02T00:00:00Z", 1);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-01", "{\"x\":2}"), UPSERT_UPDATED);
    expect_text(f->db, "SELECT fetched_at FROM records WHERE record_id='a'",
                "2024-05-02T00:00:00Z");
    /* A time column alone makes it an update, NULL included. */
    assert_int_equal(upsert(f->s, "sleep", "a", NULL, "{\"x\":2}"), UPSERT_UPDATED);
    assert_int_equal(upsert(f->s, "sleep", "a", NULL, "{\"x\":2}"), UPSERT_UNCHANGED);
    assert_int_equal(upsert(f->s, "sleep", "a", "2024-01-02", "{\"x\":2}"), UPSERT_UPDATED);

    struct record r = {"oura", "sleep", "a", "2024-01-02", "2024-01-03", NULL, "{\"x\":2}"};
    enum upsert_result res;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(store_upsert_record(f->s, &r, &res, &err), 0);
    assert_int_equal(res, UPSERT_UPDATED);
    r.source_updated_at = "2024-01-04T00:00:00Z";
    assert_int_equal(store_upsert_record(f->s, &r, &res, &err), 0);
    assert_int_equal(res, UPSERT_UPDATED);
    assert_int_equal(store_upsert_record(f->s, &r, &res, &err), 0);
    assert_int_equal(res, UPSERT_UNCHANGED);

    /* The key is (provider, resource, record_id). */
    assert_int_equal(upsert(f->s, "workout", "a", "2024-01-02", "{\"x\":2}"), UPSERT_INSERTED);
    r.provider = "strava";
    assert_int_equal(store_upsert_record(f->s, &r, &res, &err), 0);
    assert_int_equal(res, UPSERT_INSERTED);
    assert_int_equal(count(f->s, "oura", "sleep"), 1);
    assert_int_equal(count(f->s, "oura", "workout"), 1);
    assert_int_equal(count(f->s, "strava", "sleep"), 1);
    assert_int_equal(count(f->s, "none", "none"), 0);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    upsert(f->s, "sleep", "a", NULL, "{}");
    upsert(f->s, "sleep", "b", NULL, "{}");
    struct hs_error err = HS_ERROR_INIT;
    int deleted = -1;
    assert_int_equal(store_delete_record(f->s, "oura", "sleep", "a", &deleted, &err), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_delete_record(f->s, "oura", "sleep", "a", &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_delete_record(f->s, "oura", "workout", "b", &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(count(f->s, "oura", "sleep"), 1);
    /* Deleted then re-inserted is an insert again. */
    assert_int_equal(upsert(f->s, "sleep", "a", NULL, "{}"), UPSERT_INSERTED);
}

struct ids {
    char list[256];
    int stop_after; /* 0 = never */
    int seen;
};

static int collect(void *arg, const char *id)
{
    struct ids *ids = arg;
    strcat(ids->list, id);
    strcat(ids->list, ",");
    return ++ids->seen == ids->stop_after;
}

static const char *each_id(struct store *s, const char *from, const char *to, int stop_after,
                           struct ids *ids)
{
    memset(ids, 0, sizeof *ids);
    ids->stop_after = stop_after;
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(store_each_record_id(s, "oura", "sleep", from, to, collect, ids, &err), 0);
    return ids->list;
}

static void test_each_record_id_and_max_start(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct ids ids;
    assert_string_equal(each_id(f->s, NULL, NULL, 0, &ids), "");
    assert_null(max_start(f->s, "oura", "sleep"));

    upsert(f->s, "sleep", "d", "2024-01-10", "{}");
    upsert(f->s, "sleep", "b", "2024-01-01", "{}");
    upsert(f->s, "sleep", "c", "2024-01-05", "{}");
    upsert(f->s, "sleep", "a", NULL, "{}");
    upsert(f->s, "workout", "w", "2024-01-05", "{}");

    assert_string_equal(each_id(f->s, NULL, NULL, 0, &ids), "a,b,c,d,");
    assert_string_equal(each_id(f->s, "2024-01-02", "2024-01-10", 0, &ids), "c,d,");
    assert_string_equal(each_id(f->s, "2024-01-01", "2024-01-05", 0, &ids), "b,c,");
    assert_string_equal(each_id(f->s, "2024-01-05", NULL, 0, &ids), "c,d,");
    assert_string_equal(each_id(f->s, NULL, "2024-01-04", 0, &ids), "b,");
    assert_string_equal(each_id(f->s, "2024-02-01", NULL, 0, &ids), "");
    /* A non-zero return stops the walk. */
    assert_string_equal(each_id(f->s, NULL, NULL, 2, &ids), "a,b,");

    char *max = max_start(f->s, "oura", "sleep");
    assert_non_null(max);
    assert_string_equal(max, "2024-01-10");
    free(max);
    max = max_start(f->s, "oura", "workout");
    assert_string_equal(max, "2024-01-05");
    free(max);
    assert_null(max_start(f->s, "oura", "heartrate"));
}

static void test_sync_state(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct hs_error err = HS_ERROR_INIT;
    struct sync_state st;
    assert_int_equal(store_get_state(f->s, "oura", "sleep", &st, &err), 0);
    assert_null(st.watermark);
    assert_null(st.cursor);
    assert_null(st.extra_json);
    assert_null(st.updated_at);

    assert_int_equal(store_set_state(f->s, "oura", "sleep", "2024-04-30", "c1", "{\"k\":1}", &err),
                     0);
    assert_int_equal(store_get_state(f->s, "oura", "sleep", &st, &err), 0);
    assert_string_equal(st.watermark, "2024-04-30");
    assert_string_equal(st.cursor, "c1");
    assert_string_equal(st.extra_json, "{\"k\":1}");
    assert_string_equal(st.updated_at, NOW);
    store_state_clear(&st);
    assert_null(st.watermark);

    /* A write replaces all three together. */
    setenv("HEALTH_SYNC_NOW", "2024-05-03T00:00:00Z", 1);
    assert_int_equal(store_set_state(f->s, "oura", "sleep", "2024-05-03", NULL, NULL, &err), 0);
    assert_int_equal(store_get_state(f->s, "oura", "sleep", &st, &err), 0);
    assert_string_equal(st.watermark, "2024-05-03");
    assert_null(st.cursor);
    assert_null(st.extra_json);
    assert_string_equal(st.updated_at, "2024-05-03T00:00:00Z");
    store_state_clear(&st);

    assert_int_equal(store_get_state(f->s, "oura", "workout", &st, &err), 0);
    assert_null(st.watermark);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM sync_state"), 1);
}

static void test_tokens(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct hs_error err = HS_ERROR_INIT;
    struct token t;
    assert_int_equal(store_get_token(f->s, "strava", &t, &err), 0);
    assert_null(t.access_token);

    struct token in = {.provider = "strava",
                       .access_token = "acc-1",
                       .refresh_token = "ref-1",
                       .token_type = "Bearer",
                       .scope = "read",
                       .expires_at = "2024-05-01T16:00:00Z",
                       .extra_json = "{\"athlete\":{\"id\":1}}"};
    assert_int_equal(store_put_token(f->s, &in, &err), 0);
    assert_int_equal(store_get_token(f->s, "strava", &t, &err), 1);
    assert_string_equal(t.provider, "strava");
    assert_string_equal(t.access_token, "acc-1");
    assert_string_equal(t.refresh_token, "ref-1");
    assert_string_equal(t.token_type, "Bearer");
    assert_string_equal(t.scope, "read");
    assert_string_equal(t.expires_at, "2024-05-01T16:00:00Z");
    assert_string_equal(t.obtained_at, NOW); /* defaulted to now */
    assert_string_equal(t.extra_json, "{\"athlete\":{\"id\":1}}");
    store_token_clear(&t);
    assert_null(t.access_token);

    /* A put replaces every column. */
    struct token in2 = {
        .provider = "strava", .access_token = "acc-2", .obtained_at = "2024-04-01T00:00:00Z"};
    assert_int_equal(store_put_token(f->s, &in2, &err), 0);
    assert_int_equal(store_get_token(f->s, "strava", &t, &err), 1);
    assert_string_equal(t.access_token, "acc-2");
    assert_null(t.refresh_token);
    assert_null(t.expires_at);
    assert_null(t.extra_json);
    assert_string_equal(t.obtained_at, "2024-04-01T00:00:00Z");
    store_token_clear(&t);

    assert_int_equal(store_get_token(f->s, "oura", &t, &err), 0);
    assert_int_equal(store_delete_token(f->s, "strava", &err), 0);
    assert_int_equal(store_get_token(f->s, "strava", &t, &err), 0);
    assert_int_equal(store_delete_token(f->s, "strava", &err), 0); /* absent: fine */
    assert_int_equal(err.kind, HS_OK);
}

struct status_seen {
    int rows;
    char provider[32], resource[32], status[32], watermark[64], error[64];
    long count, inserted, updated, deleted;
};

static int on_status(void *arg, const struct state_row *row)
{
    struct status_seen *s = arg;
    s->rows++;
    snprintf(s->provider, sizeof s->provider, "%s", row->provider);
    snprintf(s->resource, sizeof s->resource, "%s", row->resource);
    snprintf(s->status, sizeof s->status, "%s", row->last_run_status ? row->last_run_status : "");
    snprintf(s->watermark, sizeof s->watermark, "%s", row->watermark ? row->watermark : "");
    snprintf(s->error, sizeof s->error, "%s", row->last_run_error ? row->last_run_error : "");
    s->count = row->record_count;
    s->inserted = row->last_inserted;
    s->updated = row->last_updated;
    s->deleted = row->last_deleted;
    return 0;
}

static void test_runs(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct hs_error err = HS_ERROR_INIT;
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(store_run_start(f->s, "hevy", "workouts", NULL, &id1, &err), 0);
    assert_true(id1 > 0);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM sync_runs WHERE status='running'"
                                      " AND started_at='" NOW "' AND finished_at IS NULL"),
                     1);
    struct run_counts c = {3, 2, 1, 4};
    assert_int_equal(store_run_finish(f->s, id1, "success", "2024-05-01T09:00:00Z", &c, NULL, &err),
                     0);
    assert_int_equal(query_int(f->db, "SELECT inserted_count*1000+updated_count*100+"
                                      "deleted_count*10+unchanged_count FROM sync_runs WHERE id=1"),
                     3214);

    setenv("HEALTH_SYNC_NOW", "2024-05-01T11:00:00Z", 1);
    assert_int_equal(store_run_start(f->s, "hevy", "workouts", "2024-05-01T09:00:00Z", &id2, &err),
                     0);
    assert_true(id2 > id1);
    assert_int_equal(store_run_finish(f->s, id2, "error", NULL, NULL, "HTTP 500 for GET", &err), 0);

    /* The status shows the latest run of each provider/resource. */
    struct status_seen seen = {0};
    assert_int_equal(store_each_status(f->s, on_status, &seen, &err), 0);
    assert_int_equal(seen.rows, 1);
    assert_string_equal(seen.provider, "hevy");
    assert_string_equal(seen.resource, "workouts");
    assert_string_equal(seen.status, "error");
    assert_string_equal(seen.error, "HTTP 500 for GET");
    assert_int_equal(seen.inserted, 0);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM sync_runs WHERE finished_at="
                                      "'2024-05-01T11:00:00Z' AND watermark_before="
                                      "'2024-05-01T09:00:00Z'"),
                     1);
}

struct counts_seen {
    char text[256];
};

static int on_count(void *arg, const char *provider, const char *resource, long n)
{
    struct counts_seen *c = arg;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s/%s=%ld;", provider, resource, n);
    return 0;
}

static void test_counts(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    upsert(f->s, "workout", "1", NULL, "{}");
    upsert(f->s, "sleep", "1", NULL, "{}");
    upsert(f->s, "sleep", "2", NULL, "{}");
    struct counts_seen seen = {""};
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(store_each_count(f->s, on_count, &seen, &err), 0);
    assert_string_equal(seen.text, "oura/sleep=2;oura/workout=1;");
}

/* A new database gets 16 KiB pages; one made elsewhere keeps its own. */
static void test_page_size(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    assert_int_equal(query_int(f->db, "PRAGMA page_size"), 16384);
    store_close(f->s);
    unlink(f->db);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA page_size=4096; CREATE TABLE t(x);", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    f->s = open_store(f);
    assert_int_equal(query_int(f->db, "PRAGMA page_size"), 4096);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM records"), 0);
}

/* n records "id<first>".."id<first+n-1>" with payload {"v":<value>}. */
static void upsert_many(struct store *s, int first, int n, int value, struct run_counts *c)
{
    struct record *recs = calloc((size_t)n, sizeof *recs);
    char(*ids)[16] = calloc((size_t)n, sizeof *ids);
    char(*payloads)[32] = calloc((size_t)n, sizeof *payloads);
    assert_non_null(recs);
    assert_non_null(ids);
    assert_non_null(payloads);
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "id%05d", first + i);
        snprintf(payloads[i], sizeof payloads[i], "{\"v\":%d}", value);
        recs[i] = (struct record){"oura", "heartrate", ids[i], ids[i], NULL, ids[i], payloads[i]};
    }
    struct hs_error err = HS_ERROR_INIT;
    if (store_upsert_records(s, recs, (size_t)n, c, &err) != 0)
        fail_msg("store_upsert_records: %s", err.msg);
    free(recs);
    free(ids);
    free(payloads);
}

/* Batches of every statement size (256, 16, 1) count each row once, whether
 * it is new, changed or the same; a row twice in one batch is inserted and
 * then updated (or left unchanged), as one statement per row would do. */
static void test_upsert_records_batches(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct run_counts c = {0};
    upsert_many(f->s, 0, 256 + 2 * 16 + 3, 1, &c); /* 291 rows: 256 + 16 + 16 + 1 + 1 + 1 */
    assert_int_equal(c.inserted, 291);
    assert_int_equal(c.updated + c.unchanged, 0);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM records"), 291);

    /* 300 rows (256 + 2 x 16 + 12 x 1): 141 stored ones changed, 159 new. */
    memset(&c, 0, sizeof c);
    upsert_many(f->s, 150, 300, 2, &c);
    assert_int_equal(c.inserted, 159);
    assert_int_equal(c.updated, 141);
    assert_int_equal(c.unchanged, 0);

    memset(&c, 0, sizeof c);
    upsert_many(f->s, 0, 450, 2, &c);
    assert_int_equal(c.unchanged, 300);
    assert_int_equal(c.updated, 150);
    assert_int_equal(c.inserted, 0);
    assert_int_equal(
        query_int(f->db, "SELECT COUNT(*) FROM records WHERE payload_json='{\"v\":2}'"), 450);

    /* Duplicates inside one statement. */
    struct record dup[8];
    const char *ids[8] = {"n1", "n2", "n1", "id00000", "n3", "n3", "n4", "n1"};
    const char *pl[8] = {"{}", "{}", "{\"b\":1}", "{\"v\":2}", "{}", "{}", "{}", "{\"b\":1}"};
    for (int i = 0; i < 8; i++)
        dup[i] = (struct record){"oura", "tag", ids[i], NULL, NULL, NULL, pl[i]};
    memset(&c, 0, sizeof c);
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(store_upsert_records(f->s, dup, 8, &c, &err), 0);
    /* n1, n2, n3, n4 and id00000 (new in "tag") inserted; n1 updated once;
     * the second n3 and the third n1 unchanged. */
    assert_int_equal(c.inserted, 5);
    assert_int_equal(c.updated, 1);
    assert_int_equal(c.unchanged, 2);
    expect_text(f->db, "SELECT payload_json FROM records WHERE resource='tag' AND record_id='n1'",
                "{\"b\":1}");
}

static void commit_rows(struct store *s, int first, int rows, const char *payload)
{
    struct hs_error err = HS_ERROR_INIT;
    char id[32];
    assert_int_equal(store_begin(s, &err), 0);
    for (int r = first; r < first + rows; r++) {
        snprintf(id, sizeof id, "%06d", r);
        struct record rec = {"withings", "measure", id, id, NULL, id, payload};
        enum upsert_result res;
        assert_int_equal(store_upsert_record(s, &rec, &res, &err), 0);
    }
    assert_int_equal(store_commit(s, &err), 0);
}

/* The WAL header's checkpoint sequence number (big-endian, at byte 12),
 * which goes up each time the log is restarted from its start. */
static long wal_restarts(const char *db)
{
    char wal[160];
    unsigned char h[16];
    snprintf(wal, sizeof wal, "%s-wal", db);
    FILE *fp = fopen(wal, "rb");
    size_t n = fp ? fread(h, 1, sizeof h, fp) : 0;
    if (fp)
        fclose(fp);
    return n == sizeof h ? (long)h[12] << 24 | h[13] << 16 | h[14] << 8 | h[15] : -1;
}

/* Past 1000 frames (20 MB here) the log is copied back without the writer
 * doing anything more (by the background thread), well before the cap at
 * which the writer would: a later commit then starts the log again from
 * its beginning. */
static void test_wal_checkpointed_in_background(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    char payload[16016];
    snprintf(payload, sizeof payload, "{\"x\":\"%0*d\"}", 16000, 0);
    commit_rows(f->s, 0, 1, payload);
    long first = wal_restarts(f->db);
    for (int c = 0; c < 20; c++) /* 1200 frames or so */
        commit_rows(f->s, 1 + c * 50, 50, payload);
    long restarts = first;
    /* Liveness, not timing: a small commit (a few frames, so that the log
     * stays far below the cap) every 100 ms, for up to 10 s. */
    for (int i = 0; i < 100 && restarts == first; i++) {
        usleep(100000);
        commit_rows(f->s, 100000 + i, 1, "{}");
        restarts = wal_restarts(f->db);
    }
    assert_true(first >= 0);
    assert_true(restarts > first);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* A backfill's worth of commits (96 MB of records, three times the log's
 * 32 MB cap) leaves a bounded log behind: it is checkpointed (by the
 * background thread, or by the writer at the cap) and restarted, instead of
 * growing with the data; every row is there after reopening. */
static void test_wal_stays_bounded(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    enum { COMMITS = 240, ROWS = 50, PAYLOAD = 8000 };
    char *payload = malloc(PAYLOAD + 16);
    assert_non_null(payload);
    snprintf(payload, PAYLOAD + 16, "{\"x\":\"%0*d\"}", PAYLOAD, 0);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", f->db);
    long largest = 0;
    for (int c = 0; c < COMMITS; c++) {
        commit_rows(f->s, c * ROWS, ROWS, payload);
        long size = file_size(wal);
        largest = size > largest ? size : largest;
    }
    free(payload);
    /* The cap plus a commit. */
    assert_true(largest > 0);
    assert_true(largest < 36L * 1024 * 1024);
    store_close(f->s);
    f->s = open_store(f);
    assert_int_equal(query_int(f->db, "SELECT COUNT(*) FROM records"), COMMITS * ROWS);
}

/* "None" and "error" are different answers: an empty resource is 0 / NULL
 * with success, a failed query is -1 with the error set. */
static void test_queries_tell_none_from_error(void **state)
{
    struct fixture *f = *state;
    f->s = open_store(f);
    struct hs_error err = HS_ERROR_INIT;
    assert_int_equal(store_has_records(f->s, "oura", "sleep", &err), 0);
    assert_int_equal(count(f->s, "oura", "sleep"), 0);
    assert_null(max_start(f->s, "oura", "sleep"));
    upsert(f->s, "sleep", "a", NULL, "{}");
    assert_int_equal(store_has_records(f->s, "oura", "sleep", &err), 1);
    assert_null(max_start(f->s, "oura", "sleep")); /* a record, but no start time */

    exec_beside(f->db, "ALTER TABLE records RENAME TO records_elsewhere");
    long n = 7;
    char *max = (char *)"unset";
    assert_int_equal(store_has_records(f->s, "oura", "sleep", &err), -1);
    assert_non_null(strstr(err.msg, "no such table"));
    hs_error_clear(&err);
    assert_int_equal(store_count_records(f->s, "oura", "sleep", &n, &err), -1);
    assert_non_null(strstr(err.msg, "cannot count records"));
    hs_error_clear(&err);
    assert_int_equal(store_max_start_time(f->s, "oura", "sleep", &max, &err), -1);
    assert_null(max);
    assert_non_null(strstr(err.msg, "no such table"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_creates_private_file),
        T(test_reopen_is_idempotent),
        T(test_newer_schema_refused),
        T(test_not_a_database),
        T(test_upsert_classification),
        T(test_upsert_records_batches),
        T(test_page_size),
        T(test_delete),
        T(test_each_record_id_and_max_start),
        T(test_queries_tell_none_from_error),
        T(test_sync_state),
        T(test_tokens),
        T(test_runs),
        T(test_counts),
        T(test_wal_stays_bounded),
        T(test_wal_checkpointed_in_background),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
