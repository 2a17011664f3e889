#include "atomicfile.h"

#include "buf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct atomic_file {
    char *target;
    char *temp;
    FILE *out;
};

/* Where the finished file goes: a regular file named through a symlink is
 * replaced where it lies, so the link stays a link. */
static char *final_name(const char *target)
{
    char *real = realpath(target, NULL);
    return real ? real : strdup(target);
}

/* /dev/null, a FIFO, a terminal: written straight away (there is no file
 * to replace, and renaming over a device would destroy it). */
static struct atomic_file *open_special(struct atomic_file *f, const char *target,
                                        struct hs_error *err)
{
    if (!(f->out = fopen(target, "w"))) {
        hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", target, strerror(errno));
        atomic_file_abort(f);
        return NULL;
    }
    return f;
}

struct atomic_file *atomic_file_open(const char *target, struct hs_error *err)
{
    struct stat st;
    bool exists = stat(target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        hs_error_set(err, HS_ERR_FINAL, "%s is a directory: name a file", target);
        return NULL;
    }
    struct atomic_file *f = calloc(1, sizeof *f);
    if (f && exists && !S_ISREG(st.st_mode))
        return open_special(f, target, err);
    struct buf temp = BUF_INIT;
    if (f && (f->target = final_name(target)))
        buf_addf(&temp, "%s.tmp-XXXXXX", f->target);
    char *name = buf_detach(&temp);
    if (!f || !f->target || !name) {
        free(name);
        atomic_file_abort(f);
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    int fd = mkstemp(name); /* mode 0600 whatever the umask */
    if (fd >= 0)
        f->temp = name; /* from now on ours to remove */
    else
        free(name);
    if (fd < 0 || !(f->out = fdopen(fd, "w"))) {
        hs_error_set(err, HS_ERR_FINAL, "cannot create a temporary file beside %s: %s", target,
                     strerror(errno));
        if (fd >= 0 && !f->out)
            close(fd);
        atomic_file_abort(f);
        return NULL;
    }
    return f;
}

FILE *atomic_file_stream(struct atomic_file *f)
{
    return f->out;
}

int atomic_file_commit(struct atomic_file *f, struct hs_error *err)
{
    bool special = !f->temp; /* written in place: nothing to sync or rename */
    const char *name = special ? "the output" : f->temp;
    int rc = 0;
    if (fflush(f->out) != 0 || ferror(f->out) || (!special && fsync(fileno(f->out)) != 0))
        rc = hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", name, strerror(errno));
    if (fclose(f->out) != 0 && rc == 0)
        rc = hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", name, strerror(errno));
    f->out = NULL;
    if (rc == 0 && !special && rename(f->temp, f->target) != 0)
        rc = hs_error_set(err, HS_ERR_FINAL, "cannot rename %s to %s: %s", f->temp, f->target,
                          strerror(errno));
    if (rc == 0) {
        free(f->temp);
        f->temp = NULL; /* nothing left to remove */
    }
    atomic_file_abort(f);
    return rc;
}

void atomic_file_abort(struct atomic_file *f)
{
    if (!f)
        return;
    if (f->out)
        fclose(f->out);
    if (f->temp)
        unlink(f->temp);
    free(f->temp);
    free(f->target);
    free(f);
}
