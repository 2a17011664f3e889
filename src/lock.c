#include "lock.h"

#include "buf.h"
#include "interrupt.h"
#include "num.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sync_lock {
    int fd;
};

/* The pid the holder wrote, 0 when unreadable (only used in messages). */
static long holder_pid(int fd)
{
    char text[32] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    long long pid;
    return n > 0 && num_parse_ll(text, 1, INT32_MAX, &pid) == 0 ? (long)pid : 0;
}

static void record_owner(int fd)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) != n) {
        /* Only used in messages: a lock without a pid still works. */
    }
}

struct sync_lock *sync_lock_acquire(const char *db_path, int timeout_seconds,
                                    struct hs_error *err)
{
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s.lock", db_path);
    if (buf_failed(&path)) {
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    /* Not through a symlink: the lock is truncated, and a link planted in
     * its place must not make us truncate the file it points at. */
    int fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        hs_error_set(err, HS_ERR_FINAL, "cannot open the lock file %s: %s%s", path.data,
                     strerror(errno),
                     errno == ELOOP ? " (it is a symbolic link; remove it and run again)" : "");
        buf_free(&path);
        return NULL;
    }
    /* A hard link would make the truncation below hit another file too. */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
        hs_error_set(err, HS_ERR_FINAL,
                     "the lock file %s is not a plain file of its own (a link?); remove it and "
                     "run again",
                     path.data);
        buf_free(&path);
        close(fd);
        return NULL;
    }
    buf_free(&path);
    time_t deadline = time(NULL) + (timeout_seconds > 0 ? timeout_seconds : 0);
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK || time(NULL) >= deadline || hs_interrupted) {
            char who[32] = "pid unknown"; /* the file may hold anything */
            long pid = holder_pid(fd);
            if (pid > 0)
                snprintf(who, sizeof who, "pid %ld", pid);
            hs_error_set(err, HS_ERR_FINAL,
                         "another health-sync sync (%s) is using %s; waited %d s "
                         "(see --lock-timeout)",
                         who, db_path, timeout_seconds > 0 ? timeout_seconds : 0);
            close(fd);
            return NULL;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    record_owner(fd);
    struct sync_lock *l = malloc(sizeof *l);
    if (!l) {
        close(fd);
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    l->fd = fd;
    return l;
}

void sync_lock_release(struct sync_lock *l)
{
    if (!l)
        return;
    if (ftruncate(l->fd, 0) != 0) {
        /* the pid left behind is harmless: flock is what counts */
    }
    close(l->fd); /* closing drops the flock */
    free(l);
}

bool sync_lock_held(const char *db_path)
{
    struct buf path = BUF_INIT;
    buf_addf(&path, "%s.lock", db_path);
    int fd = buf_failed(&path) ? -1 : open(path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    buf_free(&path);
    if (fd < 0)
        return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* drops the shared lock if we got it */
    return held;
}
