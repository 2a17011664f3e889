/* store: the connection (open, schema and migrations, transactions), the
 * one loop every query goes through (store_rows), and the tables around
 * the data: oauth_tokens, sync_runs, and the status and export queries.
 * The records and sync_state tables: store_records.c. */
#include "store_internal.h"

#include "checkpoint.h"
#include "views.h"

#include <errno.h>
#include <fcntl.h>
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
    "CREATE INDEX IF NOT EXISTS idx_sync_runs_prs ON sync_runs(provider, resource, started_at "
    "DESC);"
    "CREATE INDEX IF NOT EXISTS idx_sync_runs_status ON sync_runs(status, started_at DESC);";

/* A new database gets pages larger than SQLite's 4 KiB default: a backfill
 * writes hundreds of megabytes, and 16 KiB pages cost a quarter of the
 * system calls and page headers (an existing database keeps its own). */
#define NEW_DATABASE_PAGE_SIZE 16384

/* The page cache of the one connection, in KiB (negative: SQLite's unit for
 * KiB).  A backfill touches the few pages on the insert paths of four
 * B-trees; SQLite's default of 2000 KiB held nothing a 500 KiB cache did
 * not, and cost memory (docs/performance.md). */
#define WRITER_CACHE_KIB "-500"

int store_db_error(struct store *s, struct hs_error *err, const char *what)
{
    return hs_error_set(err, HS_ERR_FINAL, "database %s: %s: %s", s->path, what,
                        sqlite3_errmsg(s->db));
}

void store_now_iso(char out[TIME_ISO_LEN])
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
    return hs_error_set(err, HS_ERR_CONFIG, "cannot create database %s: %s", path, strerror(errno));
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

/* The npm health-sync creates the same indexes under longer names; in a
 * database it created, ours beside them would double every index write. */
static const char *const npm_index_twins[][2] = {
    {"idx_records_prs", "idx_records_provider_resource_start_time"},
    {"idx_records_pru", "idx_records_provider_resource_source_updated_at"},
    {"idx_sync_runs_prs", "idx_sync_runs_provider_resource_started_at"},
    {"idx_sync_runs_status", "idx_sync_runs_status_started_at"},
};

static int drop_npm_index_twins(struct store *s, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_db_error(s, err, "cannot read the schema");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof npm_index_twins / sizeof *npm_index_twins; i++) {
        sqlite3_bind_text(st, 1, npm_index_twins[i][1], -1, SQLITE_STATIC);
        bool twin = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        char sql[96];
        snprintf(sql, sizeof sql, "DROP INDEX IF EXISTS %s", npm_index_twins[i][0]);
        if (twin)
            rc = exec_sql(s, sql, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Applies the schema idempotently and stamps user_version. */
static int migrate(struct store *s, struct hs_error *err)
{
    int v = user_version(s);
    if (v < 0)
        return store_db_error(s, err, "cannot read the schema version");
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
    if (exec_sql(s, schema_sql, err) < 0 || drop_npm_index_twins(s, err) < 0 ||
        exec_sql(s, views_sql, err) < 0 || exec_sql(s, stamp, err) < 0) {
        store_rollback(s);
        return -1;
    }
    return exec_sql(s, "COMMIT", err);
}

/* The page size of a new, empty file; it must be set before WAL mode is. */
static int set_new_page_size(struct store *s, struct hs_error *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA page_size = %d;", NEW_DATABASE_PAGE_SIZE);
    return exec_sql(s, sql, err);
}

static struct store *open_store(const char *path, bool may_create, struct hs_error *err)
{
    int created = 0;
    if (may_create)
        created = create_private_file(path, err);
    else if (access(path, F_OK) != 0)
        created = hs_error_set(err, HS_ERR_FINAL,
                               "no database at %s: run `health-sync sync` (or `init-db`)"
                               " first, or pass --db with the right file",
                               path);
    struct stat st;
    if (created >= 0 && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        created = hs_error_set(err, HS_ERR_CONFIG,
                               "%s is not a regular file (a directory or a device): name a "
                               "database file",
                               path);
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
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | (may_create ? SQLITE_OPEN_CREATE : 0), NULL) !=
        SQLITE_OK) {
        store_db_error(s, err, "cannot open");
        store_close(s);
        return NULL;
    }
    sqlite3_extended_result_codes(s->db, 1);
    store_set_busy_timeout(s, 5000);
    if ((created && set_new_page_size(s, err) < 0) ||
        exec_sql(s,
                 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
                 " PRAGMA temp_store=MEMORY; PRAGMA cache_size=" WRITER_CACHE_KIB ";",
                 err) < 0 ||
        migrate(s, err) < 0 || store_records_prepare(s, err) < 0) {
        if (strstr(err->msg, "file is not a database"))
            hs_error_reset(err, HS_ERR_CONFIG, "%s is not a SQLite database", path);
        store_close(s);
        return NULL;
    }
    s->checkpointer = checkpointer_attach(s->db, path);
    return s;
}

struct store *store_open(const char *path, struct hs_error *err)
{
    return open_store(path, true, err);
}

struct store *store_open_existing(const char *path, struct hs_error *err)
{
    return open_store(path, false, err);
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
    sqlite3_finalize(s->mark);
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

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* ---- reading rows: every query goes through store_rows ---- */

/* sql prepared with its text parameters ?1..?n bound (NULL binds NULL);
 * NULL with err set when it cannot be prepared. */
static sqlite3_stmt *prepare_bound(struct store *s, const char *sql, const char *const *params,
                                   int nparams, const char *what, struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        store_db_error(s, err, what);
        return NULL;
    }
    for (int i = 0; i < nparams; i++)
        store_bind_text(st, i + 1, params[i]);
    return st;
}

/* Steps st to its end (fn, when given, sees each row and may stop early),
 * then finalizes it.  0, or -1 with err set when a step failed. */
static int step_rows(struct store *s, sqlite3_stmt *st, store_row_fn fn, void *arg,
                     const char *what, struct hs_error *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn && fn(arg, st))
            break;
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        store_db_error(s, err, what);
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

int store_rows(struct store *s, const char *sql, const char *const *params, int nparams,
               store_row_fn fn, void *arg, const char *what, struct hs_error *err)
{
    sqlite3_stmt *st = prepare_bound(s, sql, params, nparams, what, err);
    return st ? step_rows(s, st, fn, arg, what, err) : -1;
}

static int take_first(void *arg, sqlite3_stmt *row)
{
    struct store_first_value *v = arg;
    const char *text = (const char *)sqlite3_column_text(row, 0);
    v->found = true;
    v->n = sqlite3_column_int64(row, 0);
    v->text = text ? strdup(text) : NULL;
    v->no_memory = text && !v->text;
    return 1;
}

int store_first_value(struct store *s, const char *sql, const char *a, const char *b,
                      struct store_first_value *v, const char *what, struct hs_error *err)
{
    const char *params[] = {a, b};
    memset(v, 0, sizeof *v);
    if (store_rows(s, sql, params, 2, take_first, v, what, err) < 0)
        return -1;
    if (v->no_memory)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    return 0;
}

/* store_each_row's caller sees each row as cells. */
struct cell_walk {
    int (*fn)(void *arg, const struct cell *cells, int ncells);
    void *arg;
    struct cell *cells;
    int n;
};

static int walk_cells(void *arg, sqlite3_stmt *row)
{
    struct cell_walk *w = arg;
    for (int i = 0; i < w->n; i++) {
        w->cells[i].name = sqlite3_column_name(row, i);
        w->cells[i].type = sqlite3_column_type(row, i);
        w->cells[i].text = (const char *)sqlite3_column_text(row, i);
    }
    return w->fn(w->arg, w->cells, w->n);
}

int store_each_row(struct store *s, const char *sql, const char *const *params, int nparams,
                   int (*fn)(void *arg, const struct cell *cells, int ncells), void *arg,
                   struct hs_error *err)
{
    sqlite3_stmt *st = prepare_bound(s, sql, params, nparams, "cannot run a query", err);
    if (!st)
        return -1;
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        return hs_error_set(err, HS_ERR_FINAL, "refusing a query that writes");
    }
    struct cell_walk w = {fn, arg, NULL, sqlite3_column_count(st)};
    w.cells = calloc(w.n ? (size_t)w.n : 1, sizeof *w.cells);
    if (!w.cells) {
        sqlite3_finalize(st);
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    int rc = step_rows(s, st, walk_cells, &w, "query failed", err);
    free(w.cells);
    return rc;
}

int store_query_columns(struct store *s, const char *sql,
                        int (*fn)(void *arg, const struct cell *cells, int ncells), void *arg,
                        struct hs_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_db_error(s, err, "cannot run a query");
    int n = sqlite3_column_count(st);
    struct cell *cells = calloc(n ? (size_t)n : 1, sizeof *cells);
    if (!cells) {
        sqlite3_finalize(st);
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    }
    for (int i = 0; i < n; i++)
        cells[i] = (struct cell){sqlite3_column_name(st, i), SQLITE_NULL, NULL};
    fn(arg, cells, n);
    free(cells);
    sqlite3_finalize(st);
    return 0;
}

struct view_walk {
    int (*fn)(void *arg, const char *name);
    void *arg;
};

static int walk_view(void *arg, sqlite3_stmt *row)
{
    struct view_walk *w = arg;
    return w->fn(w->arg, (const char *)sqlite3_column_text(row, 0));
}

int store_each_view(struct store *s, int (*fn)(void *arg, const char *name), void *arg,
                    struct hs_error *err)
{
    struct view_walk w = {fn, arg};
    return store_rows(s, "SELECT name FROM sqlite_master WHERE type='view' ORDER BY name", NULL,
                      0, walk_view, &w, "cannot list the views", err);
}

bool store_has_view(struct store *s, const char *name)
{
    struct store_first_value v;
    struct hs_error ignored = HS_ERROR_INIT;
    int rc = store_first_value(s, "SELECT 1 FROM sqlite_master WHERE type='view' AND name=?1", name,
                               NULL, &v, "cannot read the schema", &ignored);
    free(v.text);
    return rc == 0 && v.found;
}

char *store_last_success(struct store *s, const char *provider)
{
    struct store_first_value v;
    struct hs_error ignored = HS_ERROR_INIT;
    int rc = store_first_value(s,
                               /* The provider's own rows say whether all of a
                                * sync went well; a database without them (older
                                * versions, the Python tool) has only the
                                * resources' rows. */
                               "SELECT CASE WHEN EXISTS (SELECT 1 FROM sync_runs WHERE"
                               " provider=?1 AND resource='*' AND status<>'running')"
                               " THEN (SELECT MAX(finished_at) FROM sync_runs WHERE provider=?1"
                               " AND resource='*' AND status='success')"
                               " ELSE (SELECT MAX(finished_at) FROM sync_runs WHERE provider=?1"
                               " AND status='success') END",
                               provider, NULL, &v, "cannot read sync_runs", &ignored);
    return rc == 0 ? v.text : NULL;
}

char *store_column_dup(sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    return v ? strdup(v) : NULL;
}

static int take_token(void *arg, sqlite3_stmt *row)
{
    struct token *out = arg;
    char **fields[] = {&out->provider, &out->access_token, &out->refresh_token, &out->token_type,
                       &out->scope,    &out->expires_at,   &out->obtained_at,   &out->extra_json};
    for (int i = 0; i < 8; i++)
        *fields[i] = store_column_dup(row, i);
    return 1;
}

int store_get_token(struct store *s, const char *provider, struct token *out, struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    if (store_rows(s,
                   "SELECT provider, access_token, refresh_token, token_type, scope,"
                   " expires_at, obtained_at, extra_json FROM oauth_tokens WHERE provider=?1",
                   &provider, 1, take_token, out, "cannot read oauth_tokens", err) < 0)
        return -1;
    return out->provider != NULL;
}

int store_put_token(struct store *s, const struct token *t, struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    store_now_iso(now);
    const char *vals[] = {t->provider,
                          t->access_token,
                          t->refresh_token,
                          t->token_type,
                          t->scope,
                          t->expires_at,
                          t->obtained_at ? t->obtained_at : now,
                          t->extra_json};
    return store_rows(s,
                      "INSERT OR REPLACE INTO oauth_tokens (provider, access_token,"
                      " refresh_token, token_type, scope, expires_at, obtained_at, extra_json)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                      vals, 8, NULL, NULL, "cannot write oauth_tokens", err);
}

int store_delete_token(struct store *s, const char *provider, struct hs_error *err)
{
    return store_rows(s, "DELETE FROM oauth_tokens WHERE provider=?1", &provider, 1, NULL, NULL,
                      "cannot delete a token", err);
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
    char now[TIME_ISO_LEN];
    store_now_iso(now);
    const char *vals[] = {provider, resource, now, watermark_before};
    int rc = store_rows(s,
                        "INSERT INTO sync_runs (provider, resource, status, started_at,"
                        " watermark_before) VALUES (?1, ?2, 'running', ?3, ?4)",
                        vals, 4, NULL, NULL, "cannot write sync_runs", err);
    *run_id = sqlite3_last_insert_rowid(s->db);
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
        return store_db_error(s, err, "cannot write sync_runs");
    char now[TIME_ISO_LEN];
    store_now_iso(now);
    sqlite3_bind_int64(st, 1, run_id);
    store_bind_text(st, 2, status);
    store_bind_text(st, 3, now);
    store_bind_text(st, 4, watermark_after);
    sqlite3_bind_int64(st, 5, c ? c->inserted : 0);
    sqlite3_bind_int64(st, 6, c ? c->updated : 0);
    sqlite3_bind_int64(st, 7, c ? c->deleted : 0);
    sqlite3_bind_int64(st, 8, c ? c->unchanged : 0);
    store_bind_text(st, 9, error_text);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_db_error(s, err, "cannot write sync_runs");
    sqlite3_finalize(st);
    return rc;
}

int store_abort_stale_runs(struct store *s, struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    store_now_iso(now);
    const char *when = now;
    return store_rows(s,
                      "UPDATE sync_runs SET status='interrupted', finished_at=?1,"
                      " error_text=COALESCE(error_text, 'the process ended before the run"
                      " finished') WHERE status='running'",
                      &when, 1, NULL, NULL, "cannot update sync_runs", err);
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

struct status_walk {
    int (*fn)(void *arg, const struct state_row *row);
    void *arg;
};

static int walk_status(void *arg, sqlite3_stmt *st)
{
    struct status_walk *w = arg;
#define TXT(i) ((const char *)sqlite3_column_text(st, i))
    struct state_row row = {
        .provider = TXT(0),
        .resource = TXT(1),
        .watermark = TXT(2),
        .updated_at = TXT(3),
        .record_count = sqlite3_column_int64(st, 4),
        .last_run_started = TXT(5),
        .last_run_finished = TXT(6),
        .last_run_status = TXT(7),
        .last_run_error = TXT(8),
        .last_inserted = sqlite3_column_int64(st, 9),
        .last_updated = sqlite3_column_int64(st, 10),
        .last_deleted = sqlite3_column_int64(st, 11),
    };
#undef TXT
    return w->fn(w->arg, &row);
}

int store_each_status(struct store *s, int (*fn)(void *arg, const struct state_row *row), void *arg,
                      struct hs_error *err)
{
    struct status_walk w = {fn, arg};
    return store_rows(s, status_sql, NULL, 0, walk_status, &w, "cannot read the status", err);
}

struct count_walk {
    int (*fn)(void *arg, const char *provider, const char *resource, long n);
    void *arg;
};

static int walk_count(void *arg, sqlite3_stmt *row)
{
    struct count_walk *w = arg;
    return w->fn(w->arg, (const char *)sqlite3_column_text(row, 0),
                 (const char *)sqlite3_column_text(row, 1), (long)sqlite3_column_int64(row, 2));
}

int store_each_count(struct store *s,
                     int (*fn)(void *arg, const char *provider, const char *resource, long n),
                     void *arg, struct hs_error *err)
{
    struct count_walk w = {fn, arg};
    return store_rows(s,
                      "SELECT provider, resource, COUNT(*) FROM records"
                      " GROUP BY provider, resource ORDER BY provider, resource",
                      NULL, 0, walk_count, &w, "cannot count records", err);
}
