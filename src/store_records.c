/* store_records: the records and sync_state tables, what the runner
 * writes page by page: batched upserts that tell inserted, updated and
 * unchanged rows apart, deletions, the per-resource queries, and the
 * watermark state.  Its statements are prepared once, at open. */
#include "store_internal.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

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
 * each) is paid once per batch (the sizes were measured: docs/performance.md).
 * A batch is cut into the largest of these sizes that fit. */
static const size_t upsert_batch_sizes[N_UPSERT_SIZES] = {256, 16, 1};
#define UPSERT_COLUMNS 8

int store_records_prepare(struct store *s, struct hs_error *err)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK)
            return store_db_error(s, err, "cannot prepare a statement");
    return 0;
}

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmt[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_key(sqlite3_stmt *st, const char *provider, const char *resource,
                     const char *record_id)
{
    store_bind_text(st, 1, provider);
    store_bind_text(st, 2, resource);
    store_bind_text(st, 3, record_id);
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
            store_db_error(s, err, "cannot prepare a statement");
            return NULL;
        }
    }
    return s->upsert[size_index];
}

static void bind_record(sqlite3_stmt *st, int first, const struct record *r, const char *fetched)
{
    store_bind_text(st, first, r->provider);
    store_bind_text(st, first + 1, r->resource);
    store_bind_text(st, first + 2, r->record_id);
    store_bind_text(st, first + 3, r->start_time);
    store_bind_text(st, first + 4, r->end_time);
    store_bind_text(st, first + 5, r->source_updated_at);
    store_bind_text(st, first + 6, r->payload_json);
    store_bind_text(st, first + 7, fetched);
}

static int max_rowid(struct store *s, int64_t *out, struct hs_error *err)
{
    sqlite3_stmt *st = stmt(s, ST_MAX_ROWID);
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_db_error(s, err, "cannot read the records table");
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
        return store_db_error(s, err, "cannot write a record");
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
        return store_db_error(s, err, "cannot delete a record");
    *deleted = sqlite3_changes(s->db) > 0;
    sqlite3_reset(st);
    return 0;
}

struct id_walk {
    int (*fn)(void *arg, const char *record_id);
    void *arg;
};

static int walk_id(void *arg, sqlite3_stmt *row)
{
    struct id_walk *w = arg;
    return w->fn(w->arg, (const char *)sqlite3_column_text(row, 0));
}

int store_each_record_id(struct store *s, const char *provider, const char *resource,
                         const char *start_from, const char *start_to,
                         int (*fn)(void *arg, const char *record_id), void *arg,
                         struct hs_error *err)
{
    const char *sql = "SELECT record_id FROM records WHERE provider=?1 AND resource=?2"
                      " AND (?3 IS NULL OR start_time >= ?3) AND (?4 IS NULL OR start_time <= ?4)"
                      " ORDER BY record_id";
    const char *params[] = {provider, resource, start_from, start_to};
    struct id_walk w = {fn, arg};
    return store_rows(s, sql, params, 4, walk_id, &w, "cannot list records", err);
}

int store_count_records(struct store *s, const char *provider, const char *resource, long *n,
                        struct hs_error *err)
{
    struct store_first_value v;
    int rc = store_first_value(s, "SELECT COUNT(*) FROM records WHERE provider=?1 AND resource=?2",
                               provider, resource, &v, "cannot count records", err);
    free(v.text);
    *n = rc == 0 ? (long)v.n : 0;
    return rc;
}

int store_has_records(struct store *s, const char *provider, const char *resource,
                      struct hs_error *err)
{
    struct store_first_value v;
    int rc = store_first_value(s, "SELECT 1 FROM records WHERE provider=?1 AND resource=?2 LIMIT 1",
                               provider, resource, &v, "cannot read records", err);
    free(v.text);
    return rc < 0 ? -1 : v.found;
}

int store_max_start_time(struct store *s, const char *provider, const char *resource, char **out,
                         struct hs_error *err)
{
    struct store_first_value v;
    int rc = store_first_value(
        s, "SELECT MAX(start_time) FROM records WHERE provider=?1 AND resource=?2", provider,
        resource, &v, "cannot read records", err);
    *out = rc == 0 ? v.text : (free(v.text), NULL);
    return rc;
}

int store_get_state(struct store *s, const char *provider, const char *resource,
                    struct sync_state *out, struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = stmt(s, ST_GET_STATE);
    bind_key(st, provider, resource, NULL);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->watermark = store_column_dup(st, 0);
        out->cursor = store_column_dup(st, 1);
        out->extra_json = store_column_dup(st, 2);
        out->updated_at = store_column_dup(st, 3);
    } else if (rc != SQLITE_DONE) {
        return store_db_error(s, err, "cannot read sync_state");
    }
    sqlite3_reset(st);
    return 0;
}

int store_set_state(struct store *s, const char *provider, const char *resource,
                    const char *watermark, const char *cursor, const char *extra_json,
                    struct hs_error *err)
{
    char now[TIME_ISO_LEN];
    store_now_iso(now);
    sqlite3_stmt *st = stmt(s, ST_SET_STATE);
    bind_key(st, provider, resource, watermark);
    store_bind_text(st, 4, cursor);
    store_bind_text(st, 5, extra_json);
    store_bind_text(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_db_error(s, err, "cannot write sync_state");
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

/* The marks live in the connection's temporary database, moved to a file
 * for the purpose: an import marks millions of keys, which in memory
 * (temp_store=MEMORY, set at open) would grow without bound.  Its cache is
 * the writer's size (see store.c). */
int store_marks_begin(struct store *s, struct hs_error *err)
{
    store_marks_end(s);
    static const char *const setup[] = {
        "PRAGMA temp_store=FILE",
        "PRAGMA temp.cache_size=-500",
        "CREATE TEMP TABLE marks (resource TEXT NOT NULL, record_id TEXT NOT NULL,"
        " PRIMARY KEY (resource, record_id)) WITHOUT ROWID",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
        if (store_rows(s, setup[i], NULL, 0, NULL, NULL, "cannot set up marks", err) < 0)
            return -1;
    if (sqlite3_prepare_v3(s->db, "INSERT OR IGNORE INTO temp.marks VALUES (?1, ?2)", -1,
                           SQLITE_PREPARE_PERSISTENT, &s->mark, NULL) != SQLITE_OK)
        return store_db_error(s, err, "cannot prepare a statement");
    return 0;
}

int store_mark(struct store *s, const char *resource, const char *record_id,
               struct hs_error *err)
{
    sqlite3_reset(s->mark);
    store_bind_text(s->mark, 1, resource);
    store_bind_text(s->mark, 2, record_id);
    if (sqlite3_step(s->mark) != SQLITE_DONE)
        return store_db_error(s, err, "cannot mark a record");
    return 0;
}

int store_delete_unmarked(struct store *s, const char *provider, const char *from,
                          const char *to, long *deleted, struct hs_error *err)
{
    /* A row that starts on a day (no time) is inside when its day is. */
    const char *sql = "DELETE FROM records WHERE provider=?1 AND CASE WHEN length(start_time) = 10"
                      " THEN start_time BETWEEN substr(?2, 1, 10) AND substr(?3, 1, 10)"
                      " ELSE start_time BETWEEN ?2 AND ?3 END AND NOT EXISTS (SELECT 1"
                      " FROM temp.marks m WHERE m.resource=records.resource"
                      " AND m.record_id=records.record_id)";
    const char *params[] = {provider, from, to};
    if (store_rows(s, sql, params, 3, NULL, NULL, "cannot delete records", err) < 0)
        return -1;
    *deleted = (long)sqlite3_changes(s->db);
    return 0;
}

void store_marks_end(struct store *s)
{
    if (!s->mark)
        return;
    sqlite3_finalize(s->mark);
    s->mark = NULL;
    sqlite3_exec(s->db, "DROP TABLE IF EXISTS temp.marks; PRAGMA temp_store=MEMORY;", NULL, NULL,
                 NULL);
}
