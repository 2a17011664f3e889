#include "fspath.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Appends path to out one part at a time, skipping empty and "." parts. */
static int add_parts(struct buf *out, const char *path)
{
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n && !(n == 1 && p[0] == '.')) {
            buf_addc(out, '/');
            buf_add(out, p, n);
        }
        p += n;
        while (*p == '/')
            p++;
    }
    return buf_failed(out) ? -1 : 0;
}

static int add_working_directory(struct buf *out)
{
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return -1;
    int rc = add_parts(out, cwd);
    free(cwd);
    return rc;
}

char *fspath_absolute(const char *path, const char *base_dir)
{
    struct buf out = BUF_INIT;
    int rc = 0;
    if (path[0] != '/') {
        if (!base_dir || base_dir[0] != '/')
            rc = add_working_directory(&out);
        if (rc == 0 && base_dir)
            rc = add_parts(&out, base_dir);
    }
    if (rc == 0)
        rc = add_parts(&out, path);
    if (rc == 0 && out.len == 0)
        rc = buf_addc(&out, '/');
    if (rc < 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_detach(&out);
}

char *fspath_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

bool fspath_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool fspath_same_name(const char *a, const char *b)
{
    if (strcmp(base_of(a), base_of(b)))
        return false;
    char *da = fspath_dirname(a), *db = fspath_dirname(b);
    bool same = da && db && fspath_same_file(da, db);
    free(da);
    free(db);
    return same;
}
