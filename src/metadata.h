/* metadata: a Datasette metadata document for the database: a title and a
 * description for every view and table, a description for every column with
 * its unit, and the README's example queries as canned queries. */
#ifndef HS_METADATA_H
#define HS_METADATA_H

#include "error.h"
#include "store.h"

#include <jansson.h>

/* Builds the document for the views and tables the database has; db_name is
 * the name Datasette gives it (the file name without its extension).
 * Returns a new reference (caller decrefs), or NULL with err set. */
json_t *metadata_build(struct store *s, const char *db_name, struct hs_error *err);

/* The canned queries, ended by a NULL name: also what the README shows. */
struct canned_query {
    const char *name, *title, *sql;
};
extern const struct canned_query canned_queries[];

#endif
