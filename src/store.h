/* store: the SQLite database.  Schema compatible with the Python tool's
 * (records, sync_state, oauth_tokens) plus sync_runs and PRAGMA user_version.
 *
 * One connection, used by one thread at a time (the runner serialises
 * writers), and a second that only copies the WAL back, on a thread of its
 * own (checkpoint.c).  Every write goes through prepared statements.  A new
 * database file is created with mode 0600. */
#ifndef HS_STORE_H
#define HS_STORE_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1: the tables; 2: the typed views (views.c); 3: Apple Health in them. */
#define STORE_SCHEMA_VERSION 4

struct store;

struct record {
    const char *provider;
    const char *resource;
    const char *record_id;
    const char *start_time;        /* may be NULL */
    const char *end_time;          /* may be NULL */
    const char *source_updated_at; /* may be NULL */
    const char *payload_json;
};

enum upsert_result { UPSERT_INSERTED, UPSERT_UPDATED, UPSERT_UNCHANGED };

struct sync_state {
    char *watermark; /* each may be NULL; owned, free with store_state_clear */
    char *cursor;
    char *extra_json;
    char *updated_at;
};

struct token {
    char *provider;
    char *access_token;
    char *refresh_token; /* NULL when none */
    char *token_type;
    char *scope;
    char *expires_at; /* ISO Z or NULL */
    char *obtained_at;
    char *extra_json; /* compact JSON object or NULL */
};

struct run_counts {
    long inserted, updated, deleted, unchanged;
};

/* Opens (creating with mode 0600) and migrates the database: WAL mode, the
 * schema applied idempotently, user_version set.  A database whose
 * user_version is newer than ours is refused.  Returns NULL on error. */
struct store *store_open(const char *path, struct hs_error *err);
/* The same for a database that must already exist (a command that only
 * reads must not leave an empty file behind a mistyped name). */
struct store *store_open_existing(const char *path, struct hs_error *err);
void store_close(struct store *s);
const char *store_path(const struct store *s);

/* Waits up to ms milliseconds for a lock held by another connection. */
void store_set_busy_timeout(struct store *s, int ms);

int store_begin(struct store *s, struct hs_error *err);  /* BEGIN IMMEDIATE */
int store_commit(struct store *s, struct hs_error *err);
void store_rollback(struct store *s);

/* Insert or overwrite; fetched_at = now.  *result says what happened. */
int store_upsert_record(struct store *s, const struct record *r, enum upsert_result *result,
                        struct hs_error *err);
/* The same for n records, written in order; adds each one's outcome to
 * counts (inserted, updated or unchanged). */
int store_upsert_records(struct store *s, const struct record *recs, size_t n,
                         struct run_counts *counts, struct hs_error *err);
/* Whether provider/resource has any stored record: 1 yes, 0 none, -1 on
 * error (err set). */
int store_has_records(struct store *s, const char *provider, const char *resource,
                      struct hs_error *err);
/* Deletes one record; *deleted is 1 when a row went away. */
int store_delete_record(struct store *s, const char *provider, const char *resource,
                        const char *record_id, int *deleted, struct hs_error *err);

/* Calls fn for every record id of provider/resource whose start_time lies in
 * [start_from, start_to] (either bound may be NULL for open; compared as
 * text, so pass the same format the rows use).  fn returning non-zero stops. */
int store_each_record_id(struct store *s, const char *provider, const char *resource,
                         const char *start_from, const char *start_to,
                         int (*fn)(void *arg, const char *record_id), void *arg,
                         struct hs_error *err);
/* The number of provider/resource's records into *n (0 when none); -1 on
 * error (err set). */
int store_count_records(struct store *s, const char *provider, const char *resource, long *n,
                        struct hs_error *err);
/* MAX(start_time) of provider/resource into *out, malloc'ed (NULL when there
 * is no record or none has a start time); -1 on error (err set). */
int store_max_start_time(struct store *s, const char *provider, const char *resource,
                         char **out, struct hs_error *err);

/* sync_state: returns 0 with all fields NULL when there is no row. */
int store_get_state(struct store *s, const char *provider, const char *resource,
                    struct sync_state *out, struct hs_error *err);
int store_set_state(struct store *s, const char *provider, const char *resource,
                    const char *watermark, const char *cursor, const char *extra_json,
                    struct hs_error *err);
void store_state_clear(struct sync_state *st);

/* oauth_tokens: get returns 1 when found, 0 when absent, -1 on error. */
int store_get_token(struct store *s, const char *provider, struct token *out,
                    struct hs_error *err);
/* Replaces the provider's row in its own transaction when none is open. */
int store_put_token(struct store *s, const struct token *t, struct hs_error *err);
int store_delete_token(struct store *s, const char *provider, struct hs_error *err);
void store_token_clear(struct token *t);

/* sync_runs. */
int store_run_start(struct store *s, const char *provider, const char *resource,
                    const char *watermark_before, int64_t *run_id, struct hs_error *err);
int store_run_finish(struct store *s, int64_t run_id, const char *status,
                     const char *watermark_after, const struct run_counts *counts,
                     const char *error_text, struct hs_error *err);

/* Marks runs left 'running' by a process that died as 'interrupted' (call
 * while holding the sync lock, when no other sync can be running). */
int store_abort_stale_runs(struct store *s, struct hs_error *err);

/* The status report: calls fn once per row of each query. */
struct state_row {
    const char *provider, *resource, *watermark, *updated_at;
    long record_count;
    const char *last_run_started, *last_run_finished, *last_run_status, *last_run_error;
    long last_inserted, last_updated, last_deleted;
};
int store_each_status(struct store *s, int (*fn)(void *arg, const struct state_row *row),
                      void *arg, struct hs_error *err);
/* One column of a row handed to store_each_row's callback. */
struct cell {
    const char *name;
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL */
    const char *text; /* NULL for SQL NULL */
};
/* Runs a read-only SELECT with text parameters (?1..?n, NULL binds NULL),
 * calling fn once per row; fn returning non-zero stops. */
int store_each_row(struct store *s, const char *sql, const char *const *params, int nparams,
                   int (*fn)(void *arg, const struct cell *cells, int ncells), void *arg,
                   struct hs_error *err);
/* Calls fn once with the query's column names (texts NULL), without running
 * it: a header for a result that may have no rows. */
int store_query_columns(struct store *s, const char *sql,
                        int (*fn)(void *arg, const struct cell *cells, int ncells), void *arg,
                        struct hs_error *err);
/* Calls fn with the name of every view, in name order; non-zero stops. */
int store_each_view(struct store *s, int (*fn)(void *arg, const char *name), void *arg,
                    struct hs_error *err);
/* Whether a view of that name exists. */
bool store_has_view(struct store *s, const char *name);

/* finished_at of the provider's latest sync in which every resource it ran
 * succeeded (its "*" row; in a database without those, of its latest
 * successful resource run), malloc'ed; NULL if none. */
char *store_last_success(struct store *s, const char *provider);
/* Record counts per provider/resource, ordered. */
int store_each_count(struct store *s,
                     int (*fn)(void *arg, const char *provider, const char *resource, long n),
                     void *arg, struct hs_error *err);

/* Mark and sweep, for a source that is always listed whole (an import):
 * store_marks_begin starts an empty set of marks (kept in a temporary
 * table on disk, so its size costs no memory), store_mark adds a record's
 * key to it inside the caller's transaction, and store_delete_unmarked
 * deletes the provider's records whose start_time lies in [from, to]
 * (compared as text; a start_time that is a day, in the days of from and
 * to) and whose key was not marked; *deleted says how many.
 * store_marks_end drops the set. */
int store_marks_begin(struct store *s, struct hs_error *err);
int store_mark(struct store *s, const char *resource, const char *record_id,
               struct hs_error *err);
int store_delete_unmarked(struct store *s, const char *provider, const char *from,
                          const char *to, long *deleted, struct hs_error *err);
void store_marks_end(struct store *s);

#endif
