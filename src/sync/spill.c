/* spill: see spill.h.  A part is its length (a uint64_t, NULL_PART for a
 * NULL part) followed by its bytes. */
#include "spill.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NULL_PART UINT64_MAX

struct spill {
    FILE *f;
    char *path; /* for messages: the file itself is gone */
    size_t pages;
    long end;    /* bytes of whole pages: a failed write is cut back to it */
    bool broken; /* and that failed too */
};

static int spill_error(struct spill *s, struct hs_error *err, const char *what)
{
    return hs_error_set(err, HS_ERR_FINAL, "temporary file %s: %s: %s", s->path, what,
                        errno ? strerror(errno) : "unexpected end");
}

struct spill *spill_open(const char *beside, struct hs_error *err)
{
    struct spill *s = calloc(1, sizeof *s);
    size_t n = strlen(beside) + sizeof "-held-XXXXXX";
    if (!s || !(s->path = malloc(n))) {
        free(s);
        hs_error_set(err, HS_ERR_FINAL, "out of memory");
        return NULL;
    }
    snprintf(s->path, n, "%s-held-XXXXXX", beside);
    int fd = mkstemp(s->path); /* mode 0600 */
    if (fd < 0 || unlink(s->path) < 0 || !(s->f = fdopen(fd, "w+b"))) {
        spill_error(s, err, "cannot create it");
        if (fd >= 0)
            close(fd);
        spill_close(s);
        return NULL;
    }
    return s;
}

void spill_close(struct spill *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->path);
    free(s);
}

static bool put_part(FILE *f, const struct spill_part *part)
{
    uint64_t len = part->data ? (uint64_t)part->len : NULL_PART;
    return fwrite(&len, sizeof len, 1, f) == 1 &&
           (!part->data || !part->len || fwrite(part->data, part->len, 1, f) == 1);
}

int spill_put(struct spill *s, const struct spill_part *parts, size_t n, struct hs_error *err)
{
    errno = 0;
    if (s->broken)
        return spill_error(s, err, "cannot write");
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = put_part(s->f, &parts[i]);
    long at = ok && fflush(s->f) == 0 ? ftell(s->f) : -1;
    if (at < 0) {
        spill_error(s, err, "cannot write");
        /* A part-written page would misalign every page after it. */
        s->broken = ftruncate(fileno(s->f), s->end) != 0 || fseek(s->f, s->end, SEEK_SET) != 0;
        return -1;
    }
    s->end = at;
    s->pages++;
    return 0;
}

size_t spill_pages(const struct spill *s)
{
    return s ? s->pages : 0;
}

int spill_rewind(struct spill *s, struct hs_error *err)
{
    errno = 0;
    if (s->broken || fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
        return spill_error(s, err, "cannot read it back");
    return 0;
}

int spill_get(struct spill *s, struct buf *out, bool *is_null, struct hs_error *err)
{
    uint64_t len;
    errno = 0;
    buf_reset(out);
    if (fread(&len, sizeof len, 1, s->f) != 1)
        return spill_error(s, err, "cannot read");
    *is_null = len == NULL_PART;
    if (*is_null || len == 0)
        return 0;
    if (len > SIZE_MAX - 1 || buf_reserve(out, (size_t)len) < 0)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    if (fread(out->data, (size_t)len, 1, s->f) != 1)
        return spill_error(s, err, "cannot read");
    out->len = (size_t)len;
    out->data[out->len] = '\0';
    return 0;
}

int spill_empty(struct spill *s, struct hs_error *err)
{
    errno = 0;
    if (fflush(s->f) != 0 || ftruncate(fileno(s->f), 0) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
        return spill_error(s, err, "cannot empty it");
    s->pages = 0;
    s->end = 0;
    s->broken = false;
    return 0;
}
