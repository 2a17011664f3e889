/* buf: a growable byte/string buffer, always NUL-terminated, never NULL data.
 *
 * Like git's strbuf: initialise with BUF_INIT or buf_init(), append with the
 * buf_add* family, release with buf_free().  A non-zero `limit` caps the
 * length (for data from the network); an append past it fails with -1 and
 * leaves the buffer unchanged.
 *
 * A failed append is remembered (like curl's dynbuf): every later append
 * fails too, buf_failed() says so and buf_detach() returns NULL, so a string
 * missing a piece cannot be used by a caller that checked only the end.
 * buf_reset() and buf_free() forget the failure. */
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;   /* always points at a NUL-terminated string */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t cap;   /* bytes allocated (0 while data points at the static "") */
    size_t limit; /* 0 = unlimited */
    int failed;   /* an append failed: the contents are incomplete */
};

extern char buf_empty_string[];
#define BUF_INIT {buf_empty_string, 0, 0, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* length 0, keeps memory, forgets a failure */
/* Non-zero when an append failed since the last init/reset/free. */
static inline int buf_failed(const struct buf *b)
{
    return b->failed;
}
/* Marks b as missing a piece (a writer whose own step failed); returns -1. */
static inline int buf_fail(struct buf *b)
{
    b->failed = 1;
    return -1;
}
int buf_add(struct buf *b, const void *data, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Makes room for n more bytes plus the NUL at data + len, leaving the contents
 * alone; -1 (buffer unchanged, no failure remembered: the caller may try a
 * smaller piece) past the limit or out of memory.  For writers
 * that fill data + len directly: they must then advance len and store the NUL. */
int buf_grow(struct buf *b, size_t n);
/* buf_grow with the common case (room already there) inlined. */
static inline int buf_reserve(struct buf *b, size_t n)
{
    if (n < b->cap - b->len && (!b->limit || b->len + n <= b->limit))
        return 0;
    return buf_grow(b, n);
}
/* Gives back the memory beyond the contents (for a buffer kept a while). */
void buf_shrink(struct buf *b);
/* Returns the malloc'ed string (caller frees) and leaves b empty; NULL (and
 * the contents freed) when an append failed or out of memory. */
char *buf_detach(struct buf *b);

#endif
