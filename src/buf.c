#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char buf_empty_string[1];

void buf_init(struct buf *b)
{
    b->data = buf_empty_string;
    b->len = 0;
    b->cap = 0;
    b->limit = 0;
    b->failed = 0;
}

void buf_free(struct buf *b)
{
    if (b->cap)
        free(b->data);
    size_t limit = b->limit;
    buf_init(b);
    b->limit = limit;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->cap) /* never write the shared empty string: other threads read it */
        b->data[0] = '\0';
}

int buf_grow(struct buf *b, size_t extra)
{
    if (extra > (size_t)-1 / 2 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (b->limit && b->len + extra > b->limit)
        return -1;
    if (need <= b->cap)
        return 0;
    /* A fresh buffer gets what it is first asked for (a body of known
     * length fits exactly); one that grows doubles. */
    size_t cap = b->cap ? b->cap : need > 64 ? need : 64;
    while (cap < need)
        cap *= 2;
    char *p = b->cap ? realloc(b->data, cap) : malloc(cap);
    if (!p)
        return -1;
    if (!b->cap)
        p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return 0;
}

void buf_shrink(struct buf *b)
{
    if (!b->cap || b->cap == b->len + 1)
        return;
    char *p = realloc(b->data, b->len + 1);
    if (p) {
        b->data = p;
        b->cap = b->len + 1;
    }
}

/* Marks b as missing a piece; returns -1. */
static int fail(struct buf *b)
{
    b->failed = 1;
    return -1;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->failed || buf_grow(b, n) < 0)
        return fail(b);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (b->failed || n < 0 || buf_grow(b, (size_t)n) < 0)
        return fail(b);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_detach(struct buf *b)
{
    if (b->failed) {
        buf_free(b);
        return NULL;
    }
    char *s = b->cap ? b->data : strdup("");
    size_t limit = b->limit;
    buf_init(b);
    b->limit = limit;
    return s;
}
