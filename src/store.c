/* store: the SQLite database (schema of spec §2 plus sync_runs). */
#include "store.h"

#include "buf.h"
#include "checkpoint.h"
#include "timeutil.h"
#include "views.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The Python tool's tables and index names, so its databases open unchanged. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS records ("
    " provider TEXT NOT NULL, resource TEXT NOT NULL, record_id TEXT NOT NULL,"
    " start_time TEXT, end_time TEXT, source_updated_at TEXT,"
    " payload_json TEXT NOT NULL, fetched_at TEXT NOT NULL,"
    " PRIMARY KEY (provider, resource, record_id));"
    "CREATE INDEX IF NOT EXISTS idx_records_prs ON records(provider, resource, start_time);"
    "CREATE INDEX IF NOT EXISTS idx_records_pru ON records(provider, resource, source_updated_at);"
    "CREATE TABLE IF NOT EXISTS sync_state ("
    " provider TEXT NOT NULL, resource TEXT NOT NULL, watermark TEXT, cursor TEXT,"
    " extra_json TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (provider, resource));"
    "CREATE TABLE IF NOT EXISTS oauth_tokens ("
    " provider TEXT PRIMARY KEY, access_token TEXT NOT NULL, refresh_token TEXT,"
    " token_type TEXT, scope TEXT, expires_at TEXT, obtained_at TEXT NOT NULL, extra_json TEXT);"
    "CREATE TABLE IF NOT EXISTS sync_runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, resource TEXT NOT NULL,"
    " status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,"
    " watermark_before TEXT, watermark_after TEXT,"
    " inserted_count INTEGER NOT NULL DEFAULT 0, updated_count INTEGER NOT NULL DEFAULT 0,"
    " deleted_count INTEGER NOT NULL DEFAULT 0, unchanged_count INTEGER NOT NULL DEFAULT 0,"
    " error_text TEXT);"
    "CREATE INDEX IF NOT EXISTS idx_sync_runs_prs ON sync_runs(provider, resource, started_at DESC);"
    "CREATE INDEX IF NOT EXISTS idx_sync_runs_status ON sync_runs(status, started_at DESC);";

enum stmt_id {
    ST_DELETE_RECORD,
    ST_GET_STATE,
    ST_SET_STATE,
    ST_MAX_ROWID,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_DELETE_RECORD] = "DELETE FROM records WHERE provider=?1 AND resource=?2 AND record_id=?3",
    [ST_GET_STATE] = "SELECT watermark, cursor, extra_json, updated_at FROM sync_state"
                     " WHERE provider=?1 AND resource=?2",
    [ST_SET_STATE] = "INSERT INTO sync_state (provider, resource, watermark, cursor, extra_json,"
                     " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                     " ON CONFLICT(provider, resource) DO UPDATE SET watermark=excluded.watermark,"
                     " cursor=excluded.cursor, extra_json=excluded.extra_json,"
                     " updated_at=excluded.updated_at",
    [ST_MAX_ROWID] = "SELECT MAX(rowid) FROM records",
};

/* Records are written by statements of several rows each: SQLite keeps its
 * B-tree cursors open from one row to the next inside a statement, so rows
 * that arrive in key order at the end of an index skip the search from the
 * root, and the per-statement work (opening the cursors, the first seek of
 * each) is paid once per batch.  A statement per row costs about twice the
 * CPU; 256 rows cost 8% less than 64 for heart rate that lands in the middle
 * of the indexes (other resources sort after it).  A batch is cut into the
 * largest of these sizes that fit. */
static const size_t upsert_batch_sizes[] = {256, 16, 1};
#define N_UPSERT_SIZES (sizeof upsert_batch_sizes / sizeof upsert_batch_sizes[0])
#define UPSERT_COLUMNS 8

/* A new database gets pages larger than SQLite's 4 KiB default: a backfill
 * writes hundreds of megabytes, and 16 KiB pages cost a quarter of the
 * system calls and page headers (an existing database keeps its own). */
#define NEW_DATABASE_PAGE_SIZE 16384

/* The page cache of the one connection, in KiB (negative: SQLite's unit for
 * KiB).  A backfill touches the few pages on the insert paths of four
 * B-trees; SQLite's default of 2000 KiB held nothing a 500 KiB cache did
 * not (same CPU and wall time for Oura alone; peak RSS 1-3 MB lower). */
#define WRITER_CACHE_KIB "-500"

struct store {
    sqlite3 *db;
    struct checkpointer *checkpointer; /* NULL: SQLite's automatic checkpoint */
    char *path;
    time_t fetched_at_time;
    char fetched_at[TIME_ISO_LEN];
    sqlite3_stmt *stmt[ST_COUNT];
    sqlite3_stmt *upsert[N_UPSERT_SIZES]; /* prepared on first use */
};

static int db_error(struct store *s, struct hs_error *err, const char *what)
{
    return hs_error_set(err, HS_ERR_FINAL, "database %s: %s: %s", s->path, what,
                        sqlite3_errmsg(s->db));
}

static void now_iso(char out[TIME_ISO_LEN])
{
    time_format_iso(time_now(), out);
}

/* SQLite creates files with the process umask; ours must be private.
 * Returns 1 when the file was created, 0 when it existed. */
static int create_private_file(const char *path, struct hs_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
    if (errno == EEXIST)
        return 0;
    return hs_error_set(err, HS_ERR_CONFIG, "cannot create database %s: %s", path,
                        strerror(errno));
}

static int exec_sql(struct store *s, const char *sql, struct hs_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        hs_error_set(err, HS_ERR_FINAL, "database %s: %s", s->path, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int user_version(struct store *s)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* Applies the schema idempotently and stamps user_version. */
static int migrate(struct store *s, struct hs_error *err)
{
    int v = user_version(s);
    if (v < 0)
        return db_error(s, err, "cannot read the schema version");
    if (v > STORE_SCHEMA_VERSION)
        return hs_error_set(err, HS_ERR_CONFIG,
                            "database %s has schema version %d, newer than this health-sync "
                            "supports (%d); upgrade health-sync",
                            s->path, v, STORE_SCHEMA_VERSION);
    if (v == STORE_SCHEMA_VERSION)
        return 0; /* nothing to do: no write lock taken for a read-only command */
    char stamp[64];
    snprintf(stamp, sizeof stamp, "PRAGMA user_version = %d;", STORE_SCHEMA_VERSION);
    if (exec_sql(s, "BEGIN IMMEDIATE", err) < 0)
        return -1;
    /* Views change with the schema version: (re)created on every upgrade. */
    if (exec_sql(s, schema_sql, err) < 0 || exec_sql(s, views_sql, err) < 0 ||
        exec_sql(s, stamp, err) < 0) {
        store_rollback(s);
        return -1;
    }
    return exec_sql(s, "COMMIT", err);
}

static int prepare_all(struct store *s, struct hs_error *err)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK)
            return db_error(s, err, "cannot prepare a statement");
    return 0;
}

/* The page size of a new, empty file; it must be set before WAL mode is. */
static int set_new_page_size(struct store *s, struct hs_error *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA page_size = %d;", NEW_DATABASE_PAGE_SIZE);
    return exec_sql(s, sql, err);
}

struct store *store_open(const char *path, struct hs_error *err)
{
    int created = create_private_file(path, err);
    if (created < 0)
        return NULL;
    /* No allocation statistics: they take a global mutex on every malloc
     * (fails harmlessly once SQLite is initialised). */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    struct store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        db_error(s, err, "cannot open");
        store_close(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    store_set_busy_timeout(s, 5000);
    if ((created && set_new_page_size(s, err) < 0) ||
        exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
                 " PRAGMA temp_store=MEMORY; PRAGMA cache_size=" WRITER_CACHE_KIB ";",
                 err) < 0 ||
        migrate(s, err) < 0 || prepare_all(s, err) < 0) {
        if (strstr(err->msg, "file is not a database"))
            hs_error_reset(err, HS_ERR_CONFIG, "%s is not a SQLite database", path);
        store_close(s);
        return NULL;
    }
    s->checkpointer = checkpointer_attach(s->db, path);
    return s;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    checkpointer_detach(s->checkpointer);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (size_t i = 0; i < N_UPSERT_SIZES; i++)
        sqlite3_finalize(s->upsert[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

const char *store_path(const struct store *s)
{
    return s->path;
}

void store_set_busy_timeout(struct store *s, int ms)
{
    sqlite3_busy_timeout(s->db, ms);
}

int store_begin(struct store *s, struct hs_error *err)
{
    return exec_sql(s, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *s, struct hs_error *err)
{
    if (exec_sql(s, "COMMIT", err) < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmt[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static const char *fetched_at_now(struct store *s);

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_key(sqlite3_stmt *st, const char *provider, const char *resource,
                     const char *record_id)
{
    bind_text(st, 1, provider);
    bind_text(st, 2, resource);
    bind_text(st, 3, record_id);
}

/* fetched_at: formatted once per second, not once per row. */
static const char *fetched_at_now(struct store *s)
{
    time_t now = time_now();
    if (now != s->fetched_at_time) {
        time_format_iso(now, s->fetched_at);
        s->fetched_at_time = now;
    }
    return s->fetched_at;
}

/* INSERT of `rows` rows that overwrites a stored row only when something
 * differs (so that unchanged rows cost no write and are told apart). */
static char *upsert_sql(size_t rows)
{
    struct buf sql = BUF_INIT;
    buf_adds(&sql, "INSERT INTO records (provider, resource, record_id, start_time, end_time,"
                   " source_updated_at, payload_json, fetched_at) VALUES ");
    for (size_t i = 0; i < rows; i++)
        buf_adds(&sql, i ? ",(?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?)");
    buf_adds(&sql, " ON CONFLICT(provider, resource, record_id) DO UPDATE SET"
                   " start_time=excluded.start_time, end_time=excluded.end_time,"
                   " source_updated_at=excluded.source_updated_at,"
                   " payload_json=excluded.payload_json, fetched_at=excluded.fetched_at"
                   " WHERE records.payload_json IS NOT excluded.payload_json"
                   " OR records.start_time IS NOT excluded.start_time"
                   " OR records.end_time IS NOT excluded.end_time"
                   " OR records.source_updated_at IS NOT excluded.source_updated_at");
    return buf_detach(&sql);
}

static sqlite3_stmt *upsert_stmt(struct store *s, size_t size_index, struct hs_error *err)
{
    if (!s->upsert[size_index]) {
        char *sql = upsert_sql(upsert_batch_sizes[size_index]);
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->upsert[size_index], NULL);
        free(sql);
        if (rc != SQLITE_OK) {
            db_error(s, err, "cannot prepare a statement");
            return NULL;
        }
    }
    return s->upsert[size_index];
}

static void bind_record(sqlite3_stmt *st, int first, const struct record *r, const char *fetched)
{
    bind_text(st, first, r->provider);
    bind_text(st, first + 1, r->resource);
    bind_text(st, first + 2, r->record_id);
    bind_text(st, first + 3, r->start_time);
    bind_text(st, first + 4, r->end_time);
    bind_text(st, first + 5, r->source_updated_at);
    bind_text(st, first + 6, r->payload_json);
    bind_text(st, first + 7, fetched);
}

static int max_rowid(struct store *s, int64_t *out, struct hs_error *err)
{
    sqlite3_stmt *st = stmt(s, ST_MAX_ROWID);
    if (sqlite3_step(st) != SQLITE_ROW)
        return db_error(s, err, "cannot read the records table");
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* One statement of `rows` records.  New rows take rowids one above the
 * largest (the table has no AUTOINCREMENT), so the last rowid inserted
 * tells how many were; sqlite3_changes() counts those and the rows the DO
 * UPDATE branch rewrote (a row inserted and then updated in the same
 * statement counts once as each, as a statement per row would).  A
 * RETURNING clause would tell the same at half again the cost. */
static int upsert_batch(struct store *s, size_t size_index, const struct record *recs,
                        struct run_counts *counts, struct hs_error *err)
{
    size_t rows = upsert_batch_sizes[size_index];
    sqlite3_stmt *st = upsert_stmt(s, size_index, err);
    int64_t before = 0;
    if (!st || max_rowid(s, &before, err) < 0)
        return -1;
    const char *fetched = fetched_at_now(s);
    for (size_t i = 0; i < rows; i++)
        bind_record(st, (int)(i * UPSERT_COLUMNS) + 1, &recs[i], fetched);
    sqlite3_set_last_insert_rowid(s->db, 0);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(s, err, "cannot write a record");
    long changed = (long)sqlite3_changes(s->db);
    int64_t last = sqlite3_last_insert_rowid(s->db);
    long inserted = last > before ? (long)(last - before) : 0;
    counts->inserted += inserted;
    counts->updated += changed - inserted;
    counts->unchanged += (long)rows - changed;
    return 0;
}

int store_upsert_records(struct store *s, const struct record *recs, size_t n,
                         struct run_counts *counts, struct hs_error *err)
{
    size_t done = 0;
    for (size_t k = 0; k < N_UPSERT_SIZES; k++)
        for (; n - done >= upsert_batch_sizes[k]; done += upsert_batch_sizes[k])
            if (upsert_batch(s, k, recs + done, counts, err) < 0)
                return -1;
    return 0;
}

int store_upsert_record(struct store *s, const struct record *r, enum upsert_result *result,
                        struct hs_error *err)
{
    struct run_counts c = {0};
    if (store_upsert_records(s, r, 1, &c, err) < 0)
        return -1;
    *result = c.inserted ? UPSERT_INSERTED : c.updated ? UPSERT_UPDATED : UPSERT_UNCHANGED;
    return 0;
}

int store_delete_record(struct store *s, const char *provider, const char *resource,
                        const char *record_id, int *deleted, struct hs_error *err)
{
    sqlite3_stmt *st = stmt(s, ST_DELETE_RECORD);
    bind_key(st, provider, resource, record_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "cannot delete a record");
    *deleted = sqlite3_changes(s->db) > 0;
    sqlite3_reset(st);
    return 0;
}

int store_each_record_id(struct store *s, const char *provider, const char *resource,
                         const char *start_from, const char *start_to,
                         int (*fn)(void *arg, const char *record_id), void *arg,
                         struct hs_error *err)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT record_id FROM records WHERE provider=?1 AND resource=?2"
                      " AND (?3 IS NULL OR start_time >= ?3) AND (?4 IS NULL OR start_time <= ?4)"
                      " ORDER BY record_id";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot list records");
    bind_key(st, provider, resource, start_from);
    bind_text(st, 4, start_to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(arg, (const char *)sqlite3_column_text(st, 0)))
            break;
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, err, "cannot list records");
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

/* Runs a one-row query with up to two text parameters; returns column 0. */
static sqlite3_stmt *query_row(struct store *s, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    bind_text(st, 1, a);
    bind_text(st, 2, b);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

long store_count_records(struct store *s, const char *provider, const char *resource)
{
    sqlite3_stmt *st = query_row(
        s, "SELECT COUNT(*) FROM records WHERE provider=?1 AND resource=?2", provider, resource);
    long n = st ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

int store_has_records(struct store *s, const char *provider, const char *resource)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT 1 FROM records WHERE provider=?1 AND resource=?2 LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    bind_text(st, 1, provider);
    bind_text(st, 2, resource);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

char *store_max_start_time(struct store *s, const char *provider, const char *resource)
{
    sqlite3_stmt *st = query_row(
        s, "SELECT MAX(start_time) FROM records WHERE provider=?1 AND resource=?2", provider,
        resource);
    const char *v = st ? (const char *)sqlite3_column_text(st, 0) : NULL;
    char *out = v ? strdup(v) : NULL;
    sqlite3_finalize(st);
    return out;
}

int store_each_row(struct store *s, const char *sql, const char *const *params, int nparams,
                   int (*fn)(void *arg, const struct cell *cells, int ncells), void *arg,
                   struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot run a query");
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        return hs_error_set(err, HS_ERR_FINAL, "refusing a query that writes");
    }
    for (int i = 0; i < nparams; i++)
        bind_text(st, i + 1, params[i]);
    int n = sqlite3_column_count(st), rc;
    struct cell *cells = calloc(n ? (size_t)n : 1, sizeof *cells);
    if (!cells) {
        sqlite3_finalize(st);
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            cells[i].name = sqlite3_column_name(st, i);
            cells[i].type = sqlite3_column_type(st, i);
            cells[i].text = (const char *)sqlite3_column_text(st, i);
        }
        if (fn(arg, cells, n))
            break;
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, err, "query failed");
    free(cells);
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

bool store_has_view(struct store *s, const char *name)
{
    sqlite3_stmt *st = query_row(s, "SELECT 1 FROM sqlite_master WHERE type='view' AND name=?1",
                                 name, NULL);
    sqlite3_finalize(st);
    return st != NULL;
}

char *store_last_success(struct store *s, const char *provider)
{
    sqlite3_stmt *st = query_row(s,
                                 "SELECT MAX(finished_at) FROM sync_runs WHERE provider=?1"
                                 " AND status='success'",
                                 provider, NULL);
    const char *v = st ? (const char *)sqlite3_column_text(st, 0) : NULL;
    char *out = v ? strdup(v) : NULL;
    sqlite3_finalize(st);
    return out;
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    return v ? strdup(v) : NULL;
}

int store_get_state(struct store *s, const char *provider, const char *resource,
                    struct sync_state *out, struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(s, ST_GET_STATE);
    bind_key(st, provider, resource, NULL);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->watermark = column_dup(st, 0);
        out->cursor = column_dup(st, 1);
        out->extra_json = column_dup(st, 2);
        out->updated_at = column_dup(st, 3);
    } else if (rc != SQLITE_DONE) {
        return db_error(s, err, "cannot read sync_state");
    }
    sqlite3_reset(st);
    return 0;
}

int store_set_state(struct store *s, const char *provider, const char *resource,
                    const char *watermark, const char *cursor, const char *extra_json,
                    struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    now_iso(now);
    sqlite3_stmt *st = stmt(s, ST_SET_STATE);
    bind_key(st, provider, resource, watermark);
    bind_text(st, 4, cursor);
    bind_text(st, 5, extra_json);
    bind_text(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(s, err, "cannot write sync_state");
    sqlite3_reset(st);
    return 0;
}

void store_state_clear(struct sync_state *st)
{
    free(st->watermark);
    free(st->cursor);
    free(st->extra_json);
    free(st->updated_at);
    memset(st, 0, sizeof *st);
}

int store_get_token(struct store *s, const char *provider, struct token *out,
                    struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT provider, access_token, refresh_token, token_type, scope,"
                           " expires_at, obtained_at, extra_json FROM oauth_tokens"
                           " WHERE provider=?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read oauth_tokens");
    bind_text(st, 1, provider);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        char **fields[] = {&out->provider,   &out->access_token, &out->refresh_token,
                           &out->token_type, &out->scope,        &out->expires_at,
                           &out->obtained_at, &out->extra_json};
        for (int i = 0; i < 8; i++)
            *fields[i] = column_dup(st, i);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = db_error(s, err, "cannot read oauth_tokens");
    }
    sqlite3_finalize(st);
    return found;
}

int store_put_token(struct store *s, const struct token *t, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO oauth_tokens (provider, access_token,"
                           " refresh_token, token_type, scope, expires_at, obtained_at, extra_json)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write oauth_tokens");
    char now[TIME_ISO_LEN];
    now_iso(now);
    const char *vals[] = {t->provider,   t->access_token, t->refresh_token,
                          t->token_type, t->scope,        t->expires_at,
                          t->obtained_at ? t->obtained_at : now, t->extra_json};
    for (int i = 0; i < 8; i++)
        bind_text(st, i + 1, vals[i]);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot write oauth_tokens");
    sqlite3_finalize(st);
    return rc;
}

int store_delete_token(struct store *s, const char *provider, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "DELETE FROM oauth_tokens WHERE provider=?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_error(s, err, "cannot delete a token");
    bind_text(st, 1, provider);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot delete a token");
    sqlite3_finalize(st);
    return rc;
}

void store_token_clear(struct token *t)
{
    char **fields[] = {&t->provider, &t->access_token, &t->refresh_token, &t->token_type,
                       &t->scope,    &t->expires_at,   &t->obtained_at,   &t->extra_json};
    for (int i = 0; i < 8; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

int store_run_start(struct store *s, const char *provider, const char *resource,
                    const char *watermark_before, int64_t *run_id, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO sync_runs (provider, resource, status, started_at,"
                           " watermark_before) VALUES (?1, ?2, 'running', ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write sync_runs");
    char now[TIME_ISO_LEN];
    now_iso(now);
    bind_key(st, provider, resource, now);
    bind_text(st, 4, watermark_before);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot write sync_runs");
    *run_id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    return rc;
}

int store_run_finish(struct store *s, int64_t run_id, const char *status,
                     const char *watermark_after, const struct run_counts *c,
                     const char *error_text, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE sync_runs SET status=?2, finished_at=?3, watermark_after=?4,"
                           " inserted_count=?5, updated_count=?6, deleted_count=?7,"
                           " unchanged_count=?8, error_text=?9 WHERE id=?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot write sync_runs");
    char now[TIME_ISO_LEN];
    now_iso(now);
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, status);
    bind_text(st, 3, now);
    bind_text(st, 4, watermark_after);
    sqlite3_bind_int64(st, 5, c ? c->inserted : 0);
    sqlite3_bind_int64(st, 6, c ? c->updated : 0);
    sqlite3_bind_int64(st, 7, c ? c->deleted : 0);
    sqlite3_bind_int64(st, 8, c ? c->unchanged : 0);
    bind_text(st, 9, error_text);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot write sync_runs");
    sqlite3_finalize(st);
    return rc;
}

int store_abort_stale_runs(struct store *s, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE sync_runs SET status='aborted', finished_at=?1,"
                           " error_text=COALESCE(error_text, 'the process ended before the run"
                           " finished') WHERE status='running'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot update sync_runs");
    char now[TIME_ISO_LEN];
    now_iso(now);
    bind_text(st, 1, now);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s, err, "cannot update sync_runs");
    sqlite3_finalize(st);
    return rc;
}

static const char status_sql[] =
    "WITH keys AS (SELECT provider, resource FROM sync_state"
    " UNION SELECT provider, resource FROM records"
    " UNION SELECT provider, resource FROM sync_runs)"
    " SELECT k.provider, k.resource, s.watermark, s.updated_at,"
    " (SELECT COUNT(*) FROM records r WHERE r.provider=k.provider AND r.resource=k.resource),"
    " lr.started_at, lr.finished_at, lr.status, lr.error_text,"
    " lr.inserted_count, lr.updated_count, lr.deleted_count"
    " FROM keys k LEFT JOIN sync_state s ON s.provider=k.provider AND s.resource=k.resource"
    " LEFT JOIN sync_runs lr ON lr.id = (SELECT id FROM sync_runs x WHERE x.provider=k.provider"
    "  AND x.resource=k.resource ORDER BY x.started_at DESC, x.id DESC LIMIT 1)"
    " ORDER BY k.provider, k.resource";

int store_each_status(struct store *s, int (*fn)(void *arg, const struct state_row *row),
                      void *arg, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, status_sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot read the status");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
#define TXT(i) ((const char *)sqlite3_column_text(st, i))
        struct state_row row = {
            .provider = TXT(0), .resource = TXT(1), .watermark = TXT(2), .updated_at = TXT(3),
            .record_count = sqlite3_column_int64(st, 4), .last_run_started = TXT(5),
            .last_run_finished = TXT(6), .last_run_status = TXT(7), .last_run_error = TXT(8),
            .last_inserted = sqlite3_column_int64(st, 9),
            .last_updated = sqlite3_column_int64(st, 10),
            .last_deleted = sqlite3_column_int64(st, 11),
        };
#undef TXT
        if (fn(arg, &row))
            break;
    }
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, err, "cannot read the status");
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

int store_each_count(struct store *s,
                     int (*fn)(void *arg, const char *provider, const char *resource, long n),
                     void *arg, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT provider, resource, COUNT(*) FROM records"
                           " GROUP BY provider, resource ORDER BY provider, resource",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(s, err, "cannot count records");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(arg, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), (long)sqlite3_column_int64(st, 2)))
            break;
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        db_error(s, err, "cannot count records");
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}
