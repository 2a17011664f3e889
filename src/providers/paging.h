/* paging: listings paged by a cursor, as Oura and WHOOP page theirs.
 *
 * A page is an object {"<items>": [item, ...], "<token>": "..."}; the next
 * page is the same request with <param>=<token>, until the token is absent,
 * null or empty. */
#ifndef HS_PAGING_H
#define HS_PAGING_H

#include "provider.h"

struct cursor_paging {
    const char *items; /* the reply's array of items: "data", "records" */
    const char *token; /* the reply's continuation: "next_token" */
    const char *param; /* the request parameter that carries it: "next_token", "nextToken" */
    /* Oura: `items` may also be one object, and a reply without it is itself
     * one item.  Otherwise only the objects of the array are items. */
    bool lenient;
};

/* The page's continuation token, or NULL on the last page. */
const char *cursor_next_token(const json_t *page, const struct cursor_paging *c);
/* url with its cursor parameter set to the page's token (an earlier one
 * replaced; it is always the last parameter), NULL on the last page, or
 * task_next_url_failed when it cannot be built (the listing must fail).
 * Caller frees. */
char *cursor_next_url(const char *url, const json_t *page, const struct cursor_paging *c);

typedef int (*cursor_item_fn)(struct task *t, json_t *item, void *arg, struct hs_error *err);
/* Hands each item of the page to fn. */
int cursor_each_item(struct task *t, json_t *page, const struct cursor_paging *c,
                     cursor_item_fn fn, void *arg, struct hs_error *err);
/* Every page of url, one after another, each item to fn; with commit_pages
 * each page is committed (watermark and cursor kept) once its items are
 * queued.  *pages (may be NULL) counts the pages asked for. */
int cursor_list(struct task *t, const char *url, const struct cursor_paging *c,
                cursor_item_fn fn, void *arg, bool commit_pages, int *pages,
                struct hs_error *err);

#endif
