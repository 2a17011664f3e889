/* checkpoint: copies the write-ahead log back into the database on a thread
 * of its own, so that the one writer never waits for a checkpoint's fsyncs.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000
 * WAL frames, on the committing thread, with its fsyncs: in a backfill the
 * writer stalls every few pages.  Once attached, a commit past that
 * point only wakes the checkpointer, which runs a passive checkpoint on a
 * second connection while the writer goes on.  Should the log still reach
 * the cap (the checkpointer cannot keep up), the writer checkpoints itself,
 * so the log stays bounded. */
#ifndef HS_CHECKPOINT_H
#define HS_CHECKPOINT_H

#include <sqlite3.h>

struct checkpointer;

/* Takes over checkpointing of `writer`, the connection to the WAL-mode
 * database at `path` (SQLite's own automatic checkpoint is turned off).
 * The thread and its connection start on first need.  NULL when out of
 * memory: SQLite's automatic checkpoint then stays. */
struct checkpointer *checkpointer_attach(sqlite3 *writer, const char *path);

/* Waits for a checkpoint in progress, stops the thread and closes its
 * connection; call before closing the writer.  NULL is ignored. */
void checkpointer_detach(struct checkpointer *c);

#endif
