/* eightsleep_intervals.c: the intervals resource, each user's sleep
 * sessions, newest first, paged by the reply's `next` cursor.  The walk of
 * older history goes on from sync to sync within the history budget. */
#include "eightsleep.h"

#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sessions of one page: `intervals` (what the API sends) or `sessions`. */
static json_t *interval_list(const json_t *reply, const char *url, struct hs_error *err)
{
    json_t *list = json_object_get(reply, "intervals");
    if (!list)
        list = json_object_get(reply, "sessions");
    if (!json_is_array(list)) {
        eightsleep_shape_error(url, "`intervals` is not an array", err);
        return NULL;
    }
    return list;
}

/* Puts one session; *oldest tracks the earliest start seen on the page. */
static int put_interval(struct task *t, const char *user_id, const json_t *item, time_t *oldest,
                        struct hs_error *err)
{
    struct buf rid = BUF_INIT;
    json_t *id = JSON_FIRST(item, "id");
    buf_addf(&rid, "%s:", user_id);
    if (id) {
        json_str(id, &rid);
    } else {
        char hash[65];
        json_hash(item, hash);
        buf_adds(&rid, hash);
    }
    json_t *ts_v = JSON_FIRST(item, "ts");
    json_t *updated_v = JSON_FIRST(item, "deviceTimeAtUpdate", "ts");
    char *start = ts_v ? json_strdup(ts_v) : NULL;
    char *end = json_strdup(json_object_get(item, "presenceEnd"));
    char *updated = updated_v ? json_strdup(updated_v) : NULL;
    time_t at;
    if (start && time_parse(start, &at) == 0 && at < *oldest)
        *oldest = at;
    int rc = task_put(t, rid.data, start, end, updated, item, err);
    free(start);
    free(end);
    free(updated);
    buf_free(&rid);
    return rc;
}

/* intervals: every user's sleep sessions, a listing newest first, ten a
 * page, each page naming the next with a `next` cursor: a chain no client
 * can fetch side by side (five years are 164 requests one after another).
 * So the whole history is walked within the history budget
 * (provider.h): on every sync each user's recent end first, from the newest
 * page back to the watermark's day minus overlap_days, then older history
 * from where the last sync stopped (its cursor kept per user in the
 * history state) until the budget is spent or the listing ends.  Each page
 * is committed with that position.  A user seen for the first time, and
 * every user on a full pass, is walked from the newest page down.
 * [eightsleep].intervals_days > 0 stops the walk that many days back. */

#define NO_SESSION ((time_t)1 << 62)

/* One user's walk in this sync. */
struct user_walk {
    const char *id;
    char *next;          /* cursor older history resumes at (NULL: none) */
    bool done;           /* the listing was walked to its end (or the limit) */
    time_t oldest;       /* the oldest session reached, in any sync (NO_SESSION: none) */
    /* From the newest page down without a gap, in this sync: how far (the
     * range a sweep may trust) and whether to the end. */
    time_t contiguous;
    bool contiguous_to_end;
};

struct intervals_walk {
    struct user_walk *users;
    size_t n;
    time_t cutoff; /* the recent end reaches back to here (0: no watermark) */
    time_t limit;  /* intervals_days: nothing older is asked for (0: none) */
};

/* The history state: {"oldest", "complete", "users": {id: {"next"|"done", "oldest"}}}. */
static json_t *walk_history(const struct intervals_walk *w)
{
    json_t *users = json_object();
    time_t oldest = NO_SESSION;
    bool complete = true;
    for (size_t i = 0; i < w->n; i++) {
        const struct user_walk *u = &w->users[i];
        json_t *entry = json_object();
        if (u->done)
            json_object_set_new(entry, "done", json_true());
        else if (u->next)
            json_object_set_new(entry, "next", json_string(u->next));
        if (u->oldest != NO_SESSION) {
            char iso[TIME_ISO_LEN];
            time_format_iso(u->oldest, iso);
            json_object_set_new(entry, "oldest", json_string(iso));
            oldest = u->oldest < oldest ? u->oldest : oldest;
        }
        complete = complete && u->done;
        json_object_set_new(users, u->id, entry);
    }
    json_t *h = json_pack("{s:b,s:o}", "complete", complete, "users", users);
    if (oldest != NO_SESSION) {
        char iso[TIME_ISO_LEN];
        time_format_iso(oldest, iso);
        json_object_set_new(h, "oldest", json_string(iso));
    }
    return h;
}

/* Each user's position as the last commit left it (a full pass starts over). */
static void load_walks(struct task *t, struct intervals_walk *w)
{
    json_t *h = t->full ? NULL : task_history(t);
    json_t *users = json_object_get(h, "users");
    for (size_t i = 0; i < w->n; i++) {
        struct user_walk *u = &w->users[i];
        json_t *entry = json_object_get(users, u->id);
        const char *next = json_string_value(json_object_get(entry, "next"));
        const char *oldest = json_string_value(json_object_get(entry, "oldest"));
        u->oldest = NO_SESSION;
        u->contiguous = NO_SESSION;
        if (oldest)
            time_parse(oldest, &u->oldest);
        u->done = json_is_true(json_object_get(entry, "done"));
        u->next = next ? strdup(next) : NULL;
        if (!u->done && !u->next)
            u->oldest = NO_SESSION; /* never walked: from the newest page down */
    }
    json_decref(h);
}

static void free_walks(struct intervals_walk *w)
{
    for (size_t i = 0; w->users && i < w->n; i++)
        free(w->users[i].next);
    free(w->users);
}

/* Fetches one page of user u (cursor NULL: the newest) and queues its
 * sessions; *next receives the page's `next` cursor (NULL at the end) and
 * *page_oldest its oldest session. */
static int fetch_interval_page(struct task *t, const struct user_walk *u, const char *cursor,
                               char **next, time_t *page_oldest, struct hs_error *err)
{
    struct buf url = BUF_INIT;
    eightsleep_api_url(t, &url, "users", u->id, "intervals");
    if (cursor)
        http_url_add_param(&url, "next", cursor);
    json_t *reply = NULL;
    int rc = eightsleep_api_get(t, url.data, &reply, err);
    json_t *list = rc == 0 ? interval_list(reply, url.data, err) : NULL;
    *next = NULL;
    *page_oldest = NO_SESSION;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (json_is_object(item) && put_interval(t, u->id, item, page_oldest, err) < 0) {
            list = NULL;
            break;
        }
    }
    const char *after = json_string_value(json_object_get(reply, "next"));
    if (list && json_array_size(list) && after && *after) {
        if (cursor && !strcmp(cursor, after))
            list = NULL, eightsleep_shape_error(url.data, "the `next` cursor repeats", err);
        else
            *next = strdup(after);
    }
    json_decref(reply);
    buf_free(&url);
    return list ? 0 : -1;
}

/* Commits the queued page with the walk's position. */
static int commit_position(struct task *t, const struct intervals_walk *w, struct hs_error *err)
{
    json_t *h = walk_history(w);
    int rc = h ? task_set_history(t, h, err) : hs_error_set(err, HS_ERR_FINAL, "out of memory");
    json_decref(h);
    return rc < 0 ? -1 : task_commit(t, NULL, NULL, err);
}

/* Where user u's older history goes on after a page whose `next` is next
 * (taken) and whose oldest session is page_oldest. */
static void move_position(const struct intervals_walk *w, struct user_walk *u, char *next,
                          time_t page_oldest)
{
    if (page_oldest < u->oldest)
        u->oldest = page_oldest;
    free(u->next);
    u->next = next;
    if (!next || (w->limit && page_oldest < w->limit)) {
        free(u->next);
        u->next = NULL;
        u->done = true;
    }
}

/* The recent end of user u, from the newest page down to the cutoff (no
 * watermark: the newest page).  A user never walked goes on below its
 * newest page; one walked before resumes its older history where it was. */
static int walk_recent(struct task *t, struct intervals_walk *w, struct user_walk *u,
                       struct hs_error *err)
{
    bool fresh = !u->done && !u->next;
    char *cursor = NULL;
    for (;;) {
        char *next = NULL;
        time_t page_oldest;
        if (fetch_interval_page(t, u, cursor, &next, &page_oldest, err) < 0) {
            free(cursor);
            return -1;
        }
        free(cursor);
        cursor = NULL;
        if (page_oldest < u->contiguous)
            u->contiguous = page_oldest;
        u->contiguous_to_end = !next;
        bool reached = !w->cutoff || page_oldest < w->cutoff ||
                       (w->limit && page_oldest < w->limit);
        if (fresh || !next) {
            move_position(w, u, next, page_oldest); /* the end, or older history from here */
            return commit_position(t, w, err);
        }
        if (reached) {
            free(next);
            if (page_oldest < u->oldest)
                u->oldest = page_oldest;
            return commit_position(t, w, err);
        }
        cursor = next;
        if (task_commit(t, NULL, NULL, err) < 0) {
            free(cursor);
            return -1;
        }
    }
}

/* Older history of user u from its cursor, until the budget is spent.  A
 * walk that goes on right below this sync's recent pages keeps the range
 * a sweep may trust growing. */
static int walk_older(struct task *t, struct intervals_walk *w, struct user_walk *u,
                      struct hs_error *err)
{
    bool contiguous = u->contiguous != NO_SESSION && u->contiguous == u->oldest;
    long pages = 0;
    while (u->next && !u->done) {
        if (task_history_spent(t)) {
            task_progress(t, "user %.8s: history budget spent, going on next sync", u->id);
            return 0;
        }
        char *next = NULL;
        time_t page_oldest;
        if (fetch_interval_page(t, u, u->next, &next, &page_oldest, err) < 0)
            return -1;
        if (contiguous) {
            u->contiguous = page_oldest < u->contiguous ? page_oldest : u->contiguous;
            u->contiguous_to_end = !next;
        }
        move_position(w, u, next, page_oldest);
        if (commit_position(t, w, err) < 0)
            return -1;
        if (++pages % 10 == 0 && u->oldest != NO_SESSION) {
            char day[TIME_DATE_LEN];
            time_format_date(u->oldest, day);
            task_progress(t, "user %.8s: sessions back to %s", u->id, day);
        }
    }
    return 0;
}

/* Deletes what the walks listed completely but did not return: everything
 * when every user was walked to the end in this sync, else the range every
 * user covered from its newest page down. */
static int sweep_intervals(struct task *t, const struct intervals_walk *w, struct hs_error *err)
{
    time_t from = 0;
    bool all = true;
    for (size_t i = 0; i < w->n; i++) {
        const struct user_walk *u = &w->users[i];
        if (u->contiguous_to_end)
            continue;
        all = false;
        if (u->contiguous == NO_SESSION)
            return 0; /* a user with nothing listed: no range to trust */
        from = u->contiguous > from ? u->contiguous : from;
    }
    char iso[TIME_ISO_LEN];
    time_format_iso(from, iso);
    return task_sweep(t, all ? NULL : iso, NULL, err);
}

int eightsleep_sync_intervals(struct task *t, struct hs_error *err)
{
    struct account *a = eightsleep_require_users(t, err);
    if (!a)
        return -1;
    struct intervals_walk w = {calloc(a->users.n ? a->users.n : 1, sizeof *w.users), a->users.n,
                               0, 0};
    if (!w.users)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    for (size_t i = 0; i < w.n; i++)
        w.users[i].id = a->users.v[i];
    load_walks(t, &w);
    /* Back to the start of the watermark's day minus overlap_days: the same
     * nights trends re-fetches. */
    time_t wm;
    if (t->state.watermark && time_parse(t->state.watermark, &wm) == 0)
        w.cutoff =
            wm - wm % DAY_SECONDS - (time_t)run_config_int(t->run, "overlap_days") * DAY_SECONDS;
    long long days = run_config_int(t->run, "intervals_days");
    if (days > 0)
        w.limit = t->run->now - t->run->now % DAY_SECONDS - (time_t)days * DAY_SECONDS;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        rc = walk_recent(t, &w, &w.users[i], err);
    task_history_begin(t);
    for (size_t i = 0; rc == 0 && i < w.n; i++)
        rc = walk_older(t, &w, &w.users[i], err);
    if (rc == 0)
        rc = sweep_intervals(t, &w, err);
    if (rc == 0) {
        char now[TIME_ISO_LEN];
        eightsleep_now_iso(t, now);
        rc = task_commit(t, now, NULL, err);
    }
    free_walks(&w);
    return rc;
}
