#include "checkpoint.h"

#include "log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Log frames at which the checkpointer is woken (SQLite's own default for
 * its automatic checkpoint), and at which the writer checkpoints itself. */
#define WAKE_FRAMES 1000
#define CAP_FRAMES 2000 /* 32 MB of log at 16 KiB pages */

struct checkpointer {
    sqlite3 *writer;
    char *path;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* pending or stop was set */
    pthread_cond_t idle; /* running was cleared */
    pthread_t thread;
    sqlite3 *db; /* the thread's own connection */
    bool started, failed, pending, running, stop;
};

static void checkpoint_on(sqlite3 *db, const char *who)
{
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK)
        log_debug("database checkpoint (%s): %s", who, sqlite3_errmsg(db));
}

static void *checkpointer_main(void *arg)
{
    struct checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->wake, &c->lock);
        if (c->stop)
            break;
        c->pending = false;
        c->running = true;
        pthread_mutex_unlock(&c->lock);
        checkpoint_on(c->db, "background");
        pthread_mutex_lock(&c->lock);
        c->running = false;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* The second connection and the thread, on the writer's thread. */
static bool start(struct checkpointer *c)
{
    if (sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        /* A connection learns the file is in WAL mode when it first reads it;
         * until then its checkpoints do nothing. */
        sqlite3_exec(c->db, "PRAGMA journal_mode", NULL, NULL, NULL) != SQLITE_OK ||
        pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        log_debug("database %s: no background checkpoints: %s", c->path, sqlite3_errmsg(c->db));
        sqlite3_close(c->db);
        c->db = NULL;
        return false;
    }
    return true;
}

/* sqlite3_wal_hook: after every commit, on the committing thread. */
static int on_commit(void *arg, sqlite3 *db, const char *schema, int frames)
{
    struct checkpointer *c = arg;
    (void)schema;
    if (frames < WAKE_FRAMES)
        return SQLITE_OK;
    if (!c->started && !c->failed) {
        c->started = start(c);
        c->failed = !c->started;
    }
    if (c->failed) {
        checkpoint_on(db, "writer");
        return SQLITE_OK;
    }
    pthread_mutex_lock(&c->lock);
    if (frames >= CAP_FRAMES) {
        /* SQLite lets one checkpoint run at a time and would refuse ours:
         * wait for the thread's, and keep it from starting another. */
        while (c->running)
            pthread_cond_wait(&c->idle, &c->lock);
        c->pending = false;
        checkpoint_on(db, "writer");
    } else {
        c->pending = true;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return SQLITE_OK;
}

struct checkpointer *checkpointer_attach(sqlite3 *writer, const char *path)
{
    struct checkpointer *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return NULL;
    }
    c->writer = writer;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->idle, NULL);
    sqlite3_wal_hook(writer, on_commit, c);
    return c;
}

void checkpointer_detach(struct checkpointer *c)
{
    if (!c)
        return;
    sqlite3_wal_hook(c->writer, NULL, NULL);
    if (c->started) {
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
        sqlite3_close(c->db);
    }
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->idle);
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}
