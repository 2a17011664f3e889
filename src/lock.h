/* lock: one sync at a time per database.  An advisory lock (flock) on
 * "<database>.lock", which also holds the owner's pid for messages.  The
 * kernel drops it when the process dies, so a killed sync never leaves a
 * stale lock behind. */
#ifndef HS_LOCK_H
#define HS_LOCK_H

#include "error.h"

#include <stdbool.h>

struct sync_lock;

/* Takes the lock, waiting up to timeout_seconds (0 = do not wait).  On
 * failure err names the process holding it. */
struct sync_lock *sync_lock_acquire(const char *db_path, int timeout_seconds,
                                    struct hs_error *err);
void sync_lock_release(struct sync_lock *l);
/* Whether a sync of this database holds its lock right now (so its runs
 * marked 'running' are really running).  Creates nothing. */
bool sync_lock_held(const char *db_path);

#endif
