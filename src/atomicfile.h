/* atomicfile: writing a file so that it appears whole or not at all.
 *
 * The data goes to a private (0600) temporary file beside the target, which
 * is renamed over the target only once it is complete and on disk: a failure
 * or an interrupt leaves the target as it was. */
#ifndef HS_ATOMICFILE_H
#define HS_ATOMICFILE_H

#include "error.h"

#include <stdio.h>

struct atomic_file;

/* Creates the temporary file for `target`; NULL (err set) on failure. */
struct atomic_file *atomic_file_open(const char *target, struct hs_error *err);
/* Where to write. */
FILE *atomic_file_stream(struct atomic_file *f);
/* Flushes, syncs and renames into place; frees f.  -1 (err set, the target
 * untouched, the temporary file removed) on failure. */
int atomic_file_commit(struct atomic_file *f, struct hs_error *err);
/* Removes the temporary file and frees f.  NULL is a no-op. */
void atomic_file_abort(struct atomic_file *f);

#endif
