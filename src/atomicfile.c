#include "atomicfile.h"

#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct atomic_file {
    char *target;
    char *temp;
    FILE *out;
};

struct atomic_file *atomic_file_open(const char *target, struct hs_error *err)
{
    struct atomic_file *f = calloc(1, sizeof *f);
    struct buf temp = BUF_INIT;
    buf_addf(&temp, "%s.tmp-XXXXXX", target);
    char *name = buf_detach(&temp);
    if (!f || !name || !(f->target = strdup(target))) {
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
    int rc = 0;
    if (fflush(f->out) != 0 || ferror(f->out) || fsync(fileno(f->out)) != 0)
        rc = hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", f->temp, strerror(errno));
    if (fclose(f->out) != 0 && rc == 0)
        rc = hs_error_set(err, HS_ERR_FINAL, "cannot write %s: %s", f->temp, strerror(errno));
    f->out = NULL;
    if (rc == 0 && rename(f->temp, f->target) != 0)
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
