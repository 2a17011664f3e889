/* strset: a set of strings (open addressing), for "which ids did we see". */
#ifndef HS_STRSET_H
#define HS_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
    char **slots;
    size_t cap; /* power of two, 0 when empty */
    size_t len;
};

#define STRSET_INIT {NULL, 0, 0}

/* Adds a copy of s; returns 1 if added, 0 if present, -1 on allocation failure. */
int strset_add(struct strset *set, const char *s);
bool strset_has(const struct strset *set, const char *s);
void strset_free(struct strset *set);

#endif
