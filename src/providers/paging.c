#include "paging.h"

#include <stdlib.h>
#include <string.h>

const char *cursor_next_token(const json_t *page, const struct cursor_paging *c)
{
    const char *token = json_string_value(json_object_get(page, c->token));
    return token && *token ? token : NULL;
}

char *cursor_next_url(const char *url, const json_t *page, const struct cursor_paging *c)
{
    const char *token = cursor_next_token(page, c);
    if (!token)
        return NULL;
    struct buf key = BUF_INIT, next = BUF_INIT;
    next.limit = TASK_URL_MAX; /* a cursor too long for a URL fails the listing */
    if (buf_addf(&key, "&%s=", c->param) < 0)
        return task_next_url_failed;
    const char *old = strstr(url, key.data);
    if (!old) { /* the only parameter */
        key.data[0] = '?';
        old = strstr(url, key.data);
    }
    buf_add(&next, url, old ? (size_t)(old - url) : strlen(url));
    http_url_add_param(&next, c->param, token);
    buf_free(&key);
    return task_next_url_of(&next);
}

int cursor_each_item(struct task *t, json_t *page, const struct cursor_paging *c,
                     cursor_item_fn fn, void *arg, struct hs_error *err)
{
    json_t *items = json_is_object(page) ? json_object_get(page, c->items) : NULL;
    if (c->lenient && !items)
        items = page;
    if (c->lenient && json_is_object(items))
        return fn(t, items, arg, err);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *item = json_array_get(items, i);
        if (json_is_object(item) && fn(t, item, arg, err) < 0)
            return -1;
    }
    return 0;
}

int cursor_list(struct task *t, const char *url, const struct cursor_paging *c,
                cursor_item_fn fn, void *arg, bool commit_pages, int *pages,
                struct hs_error *err)
{
    char *page_url = strdup(url);
    int rc = page_url ? 0 : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    while (rc == 0 && page_url) {
        if (pages)
            ++*pages;
        json_t *page = NULL;
        rc = task_get_json(t, page_url, &page, err);
        if (rc == 0)
            rc = cursor_each_item(t, page, c, fn, arg, err);
        if (rc == 0 && commit_pages)
            rc = task_commit(t, NULL, NULL, err);
        char *next = rc == 0 ? cursor_next_url(page_url, page, c) : NULL;
        if (next == task_next_url_failed) { /* a listing cut short is no complete one */
            next = NULL;
            rc = hs_error_set(err, HS_ERR_FINAL,
                              "cannot build the URL of the page after %s: the listing is "
                              "incomplete",
                              page_url);
        }
        json_decref(page);
        free(page_url);
        page_url = next;
    }
    free(page_url);
    return rc;
}
