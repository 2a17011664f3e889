/* history.c: resources whose history can only be walked one request after
 * another (a cursor chain, or a per-minute limit) walk it newest first,
 * a budget of time per sync at a time.  The walk's progress lives in
 * sync_state.extra_json under "history" ({"oldest": ISO, "complete": bool,
 * plus the provider's own resume position}), committed with the pages it
 * describes, so a sync that stops (budget spent, interrupted) resumes
 * where the last commit left it.  `status` reads "oldest" and "complete". */
#include "sync_internal.h"

#include "timeutil.h"

#include <stdlib.h>

static json_t *extra_object(const char *extra_json)
{
    json_t *extra = extra_json ? json_loads(extra_json, 0, NULL) : NULL;
    if (!json_is_object(extra)) {
        json_decref(extra);
        extra = json_object();
    }
    return extra;
}

json_t *task_history(const struct task *t)
{
    json_t *extra = extra_object(state_of(t)->extra_json);
    json_t *history = json_object_get(extra, "history");
    json_t *copy = json_is_object(history) ? json_deep_copy(history) : NULL;
    json_decref(extra);
    return copy;
}

int task_set_history(struct task *t, const json_t *history, struct hs_error *err)
{
    struct task_state *ts = state_of(t);
    json_t *extra = extra_object(ts->extra_json);
    json_object_set_new(extra, "history", json_deep_copy(history));
    char *s = json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(extra);
    if (!s)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    free(ts->extra_json);
    ts->extra_json = s;
    return 0;
}

void task_history_begin(struct task *t)
{
    state_of(t)->history_started = time_monotonic();
}

/* The budget is the runner's (sync --history-budget, else [app]); a test
 * may count it in steps instead (HEALTH_SYNC_HISTORY_STEPS=N: spent after
 * N steps), so that a walk stopping part-way does not depend on speed. */
bool task_history_spent(struct task *t)
{
    struct task_state *ts = state_of(t);
    const struct sync_runner *r = t->run->runner;
    long step = atomic_fetch_add(&ts->history_steps, 1);
    if (r->history_steps > 0)
        return step >= r->history_steps;
    return r->history_budget > 0 &&
           time_monotonic() - ts->history_started >= (double)r->history_budget;
}
