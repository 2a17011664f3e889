/* importer: an Apple Health export into the records table, in batches of
 * one transaction each, so that an interrupted import keeps what it
 * committed and a re-run completes it (every record is an upsert by its
 * identity: what is there already is left unchanged). */
#ifndef HS_IMPORTER_H
#define HS_IMPORTER_H

#include "error.h"
#include "store.h"
#include "timeutil.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct import_progress {
    uint64_t done, total; /* bytes of the file read, of its size */
    long records;         /* elements read so far */
    bool finished;        /* the last call, after the end of the export */
};

struct import_options {
    bool prune;           /* delete what the export no longer holds, in its date range */
    size_t batch_records; /* records per transaction; 0: the default */
    /* Called now and then (every few thousand records) and once at the end. */
    void (*progress)(void *arg, const struct import_progress *p);
    void *progress_arg;
};

struct import_result {
    long records;            /* elements stored (a duplicate counts each time) */
    long skipped;            /* elements left out: no readable type or date */
    long commits;            /* transactions committed */
    struct run_counts counts; /* inserted / updated / unchanged / deleted rows */
    char export_date[TIME_ISO_LEN]; /* "" when the export has none */
    char first[TIME_ISO_LEN], last[TIME_ISO_LEN]; /* the export's start times, "" if none */
};

/* Imports PATH (export.zip or export.xml).  0 when the whole export was
 * read; -1 with err set otherwise, *res then telling what was committed
 * before it stopped (HS_ERR_CONFIG: not an export, nothing imported;
 * HS_ERR_FINAL: the export ends early or is broken there, and err says
 * where; HS_ERR_INTERRUPTED).  With opt->prune, records of apple_health
 * starting inside [first, last] that the export does not hold are deleted,
 * and only when it was read to its end. */
int import_apple_health(struct store *s, const char *path, const struct import_options *opt,
                        struct import_result *res, struct hs_error *err);

#endif
