/* store_internal.h: what store.c and store_records.c share (the rest of
 * the program sees only store.h). */
#ifndef HS_STORE_INTERNAL_H
#define HS_STORE_INTERNAL_H

#include "store.h"
#include "timeutil.h"

#include <sqlite3.h>
#include <time.h>

/* The statements store_records.c keeps prepared. */
enum stmt_id { ST_DELETE_RECORD, ST_GET_STATE, ST_SET_STATE, ST_MAX_ROWID, ST_COUNT };

/* The row counts of the multi-row upsert statements (store_records.c). */
#define N_UPSERT_SIZES 3

struct store {
    sqlite3 *db;
    struct checkpointer *checkpointer; /* NULL: SQLite's automatic checkpoint */
    char *path;
    time_t fetched_at_time;
    char fetched_at[TIME_ISO_LEN];
    sqlite3_stmt *stmt[ST_COUNT];
    sqlite3_stmt *upsert[N_UPSERT_SIZES]; /* prepared on first use */
    sqlite3_stmt *mark;                   /* store_mark's, while marks exist */
};

/* Fills err with what SQLite said about `what`; returns -1. */
int store_db_error(struct store *s, struct hs_error *err, const char *what);
void store_now_iso(char out[TIME_ISO_LEN]);
/* Binds v to parameter i, NULL as SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Column col as a malloc'ed string, NULL for SQL NULL. */
char *store_column_dup(sqlite3_stmt *st, int col);

/* A row handler: returns non-zero to stop at this row. */
typedef int (*store_row_fn)(void *arg, sqlite3_stmt *row);
/* The one loop over a query's rows: prepares sql, binds its text
 * parameters ?1..?n (NULL binds NULL), calls fn (when not NULL) for each
 * row, finalizes.  0, or -1 with err set ("<what>: <SQLite's message>"). */
int store_rows(struct store *s, const char *sql, const char *const *params, int nparams,
               store_row_fn fn, void *arg, const char *what, struct hs_error *err);

/* The first row's column 0, for queries of one value. */
struct store_first_value {
    bool found; /* a row came back */
    long long n;
    char *text; /* malloc'ed; NULL for SQL NULL; the caller frees */
    bool no_memory;
};
/* Runs sql with up to two text parameters into *v; -1 (err set) when the
 * query failed or memory ran out. */
int store_first_value(struct store *s, const char *sql, const char *a, const char *b,
                      struct store_first_value *v, const char *what, struct hs_error *err);

/* Prepares store_records.c's statements (at open). */
int store_records_prepare(struct store *s, struct hs_error *err);

#endif
