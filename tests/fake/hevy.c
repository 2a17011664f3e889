/* fake/hevy.c: the Hevy public API (api.hevyapp.com/v1), Pro accounts.
 *
 * Shapes as documented at https://api.hevyapp.com/docs: paged lists
 * {"page", "page_count", "<items>": [...]}, pageSize at most 10 for workouts
 * (100 for exercise templates), 404 for a page past page_count, events newest
 * first, an `api-key` header, 401 for a bad key.
 *
 * Admin actions (POST /_admin/hevy/<action>):
 *   add            a new workout now
 *   edit?id=ID     retitle a workout (updated_at moves)
 *   delete?id=ID   delete a workout (a `deleted` event appears)
 *   stealth-delete?id=ID   delete without an event (only a full re-list sees it)
 *   first          {"id": <oldest workout id>} (for tests) */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct workout {
    char id[40];
    char title[64];
    time_t start, end, created, updated;
    int kind; /* which exercises */
    bool deleted;
    time_t deleted_at;
    bool silent; /* deleted without an event */
};

static struct workout *workouts;
static size_t nworkouts, capworkouts;
static time_t clock_tick; /* mutation times move forward from "now" */

static const char *const exercise_names[] = {
    "Bench Press (Barbell)", "Squat (Barbell)", "Deadlift (Barbell)", "Overhead Press (Dumbbell)",
    "Lat Pulldown (Cable)", "Bulgarian Split Squat", "Leg Press (Machine)", "Pull Up",
};

static struct workout *workout_add(void)
{
    if (nworkouts == capworkouts) {
        capworkouts = capworkouts ? capworkouts * 2 : 256;
        workouts = realloc(workouts, capworkouts * sizeof *workouts);
    }
    struct workout *w = &workouts[nworkouts++];
    memset(w, 0, sizeof *w);
    return w;
}

static void make_id(char out[40], uint64_t n)
{
    uint64_t a = fake_hash(n, 0x4E7), b = fake_hash(n, 0x4E8);
    snprintf(out, 40, "%08llx-%04llx-4%03llx-a%03llx-%012llx", (unsigned long long)(a >> 32),
             (unsigned long long)(a & 0xFFFF), (unsigned long long)((a >> 16) & 0xFFF),
             (unsigned long long)(b & 0xFFF), (unsigned long long)(b >> 16) & 0xFFFFFFFFFFFFULL);
}

static void hevy_init(void)
{
    uint64_t rng = fake_opt.seed ^ 0x4E5E;
    long days = fake_day_count();
    static const char *const titles[] = {"Push Day", "Pull Day", "Leg Day 🦵", "Full Body",
                                         "Séance du matin"};
    /* A workout on roughly every other day with data. */
    for (long d = 0; d < days; d++) {
        if (fake_uniform(&rng) > fake_opt.density * 0.5)
            continue;
        struct workout *w = workout_add();
        make_id(w->id, (uint64_t)d);
        w->kind = (int)(fake_rand(&rng) % 5);
        snprintf(w->title, sizeof w->title, "%s", titles[w->kind]);
        w->start = fake_day_start(d) + 17 * 3600 + (time_t)(fake_rand(&rng) % 7200);
        w->end = w->start + 2700 + (time_t)(fake_rand(&rng) % 2700);
        w->created = w->end + 60;
        w->updated = w->created + (fake_uniform(&rng) < 0.2 ? 86400 : 0);
        if (w->updated > fake_opt.now)
            w->updated = w->created;
        if (w->created > fake_opt.now)
            nworkouts--; /* not finished yet */
    }
    clock_tick = fake_opt.now;
}

static json_t *set_json(uint64_t seed, int i)
{
    uint64_t s = seed + (uint64_t)i;
    double weight = 40 + (double)(fake_rand(&s) % 80) + 0.5 * (double)(fake_rand(&s) % 2);
    return json_pack("{s:i,s:s,s:f,s:i,s:n,s:n,s:o,s:n}", "index", i, "type",
                     i == 0 ? "warmup" : "normal", "weight_kg", weight, "reps",
                     5 + (int)(fake_rand(&s) % 8), "distance_meters", "duration_seconds", "rpe",
                     i == 2 ? json_real(8.5) : json_null(), "custom_metric");
}

static json_t *workout_json(const struct workout *w)
{
    char start[40], end[40], created[40], updated[40];
    fake_iso_ms(w->start, start);
    fake_iso_ms(w->end, end);
    fake_iso_ms(w->created, created);
    fake_iso_ms(w->updated, updated);
    json_t *exercises = json_array();
    for (int e = 0; e < 3; e++) {
        const char *name = exercise_names[(w->kind + e * 3) % 8];
        json_t *sets = json_array();
        for (int s = 0; s < 3; s++)
            json_array_append_new(sets, set_json(fake_hash((uint64_t)w->start, (uint64_t)e), s));
        char tmpl[16];
        snprintf(tmpl, sizeof tmpl, "%08llX",
                 (unsigned long long)(fake_hash((uint64_t)((w->kind + e * 3) % 8), 7) &
                                      0xFFFFFFFF));
        json_array_append_new(
            exercises,
            json_pack("{s:i,s:s,s:s,s:s,s:n,s:o}", "index", e, "title", name, "notes",
                      e == 0 ? "Grip felt good — keep elbows tucked 💪" : "", "exercise_template_id",
                      tmpl, "supersets_id", "sets", sets));
    }
    return json_pack("{s:s,s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:o}", "id", w->id, "title", w->title,
                     "routine_id", "description", w->kind == 4 ? "Entraînement à la maison" : "",
                     "start_time", start, "end_time", end, "updated_at", updated, "created_at",
                     created, "exercises", exercises);
}

/* Reads page/pageSize and validates them as the real API does. */
static int paging(struct fake_request *req, struct fake_response *resp, int max_size, int *page,
                  int *size)
{
    const char *p = fake_arg(req, "page"), *s = fake_arg(req, "pageSize");
    *page = p ? atoi(p) : 1;
    *size = s ? atoi(s) : 5;
    if (*page < 1)
        return fake_json(resp, 400, json_pack("{s:s}", "error", "page must be >= 1")), -1;
    if (*size < 1 || *size > max_size) {
        char msg[80];
        snprintf(msg, sizeof msg, "pageSize must be between 1 and %d", max_size);
        return fake_json(resp, 400, json_pack("{s:s}", "error", msg)), -1;
    }
    return 0;
}

/* Answers one page of `items` (a JSON array we own) under key. */
static int page_of(struct fake_response *resp, const char *key, json_t *items, int page, int size)
{
    int n = (int)json_array_size(items);
    int pages = (n + size - 1) / size;
    if (page > (pages ? pages : 1)) {
        json_decref(items);
        return fake_json(resp, 404, json_pack("{s:s}", "error", "Page not found"));
    }
    json_t *slice = json_array();
    for (int i = (page - 1) * size; i < n && i < page * size; i++)
        json_array_append(slice, json_array_get(items, (size_t)i));
    json_decref(items);
    return fake_json(resp, 200, json_pack("{s:i,s:i,s:o}", "page", page, "page_count", pages, key,
                                          slice));
}

/* Newest first, as the app lists them. */
static int cmp_start_desc(const void *a, const void *b)
{
    const struct workout *x = *(struct workout *const *)a, *y = *(struct workout *const *)b;
    return x->start < y->start ? 1 : x->start > y->start ? -1 : 0;
}

/* The live workouts, newest first; caller frees the array. */
static struct workout **live_sorted(size_t *n)
{
    struct workout **v = malloc((nworkouts + 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < nworkouts; i++)
        if (!workouts[i].deleted)
            v[(*n)++] = &workouts[i];
    if (v)
        qsort(v, *n, sizeof *v, cmp_start_desc);
    return v;
}

/* One page of /v1/workouts: only that page's workouts are turned into JSON
 * (five years of them, for every page, made the fake the bottleneck). */
static int workouts_page(struct fake_response *resp, int page, int size)
{
    size_t n;
    struct workout **v = live_sorted(&n);
    int pages = ((int)n + size - 1) / size;
    if (page > (pages ? pages : 1)) {
        free(v);
        return fake_json(resp, 404, json_pack("{s:s}", "error", "Page not found"));
    }
    json_t *slice = json_array();
    for (size_t i = (size_t)(page - 1) * (size_t)size; i < n && i < (size_t)page * (size_t)size; i++)
        json_array_append_new(slice, workout_json(v[i]));
    free(v);
    return fake_json(resp, 200, json_pack("{s:i,s:i,s:o}", "page", page, "page_count", pages,
                                          "workouts", slice));
}

struct event {
    time_t at;
    const struct workout *w;
};

static int cmp_event_desc(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    return x->at < y->at ? 1 : x->at > y->at ? -1 : strcmp(x->w->id, y->w->id);
}

static json_t *events_since(time_t since)
{
    struct event *ev = malloc((nworkouts + 1) * sizeof *ev);
    size_t n = 0;
    for (size_t i = 0; i < nworkouts; i++) {
        const struct workout *w = &workouts[i];
        time_t at = w->deleted ? w->deleted_at : w->updated;
        if (at > since && !(w->deleted && w->silent))
            ev[n++] = (struct event){at, w};
    }
    qsort(ev, n, sizeof *ev, cmp_event_desc);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (ev[i].w->deleted) {
            char at[40];
            fake_iso_ms(ev[i].at, at);
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "type", "deleted", "id",
                                                 ev[i].w->id, "deleted_at", at));
        } else {
            json_array_append_new(arr, json_pack("{s:s,s:o}", "type", "updated", "workout",
                                                 workout_json(ev[i].w)));
        }
    }
    free(ev);
    return arr;
}

static json_t *routine_folders(void)
{
    return json_pack("[{s:i,s:i,s:s,s:s,s:s},{s:i,s:i,s:s,s:s,s:s}]", "id", 101, "index", 0,
                     "title", "Strength 💪", "updated_at", "2023-03-01T10:00:00.000Z",
                     "created_at", "2023-03-01T10:00:00.000Z", "id", 102, "index", 1, "title",
                     "Mobilité", "updated_at", "2023-04-02T10:00:00.000Z", "created_at",
                     "2023-04-02T10:00:00.000Z");
}

static json_t *routines(void)
{
    json_t *arr = json_array();
    for (int i = 0; i < 4; i++) {
        char id[40];
        make_id(id, 900000u + (unsigned)i);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:i,s:s,s:s,s:[]}", "id", id, "title",
                           i % 2 ? "Upper body" : "Lower body", "folder_id", 101 + i % 2,
                           "updated_at", "2024-05-01T09:00:00.000Z", "created_at",
                           "2023-05-01T09:00:00.000Z", "exercises"));
    }
    return arr;
}

static json_t *exercise_templates(void)
{
    static const char *const muscles[] = {"chest", "quadriceps", "hamstrings", "shoulders",
                                          "lats", "glutes", "biceps", "triceps"};
    json_t *arr = json_array();
    for (int i = 0; i < 130; i++) {
        char id[16], title[80];
        snprintf(id, sizeof id, "%08llX",
                 (unsigned long long)(fake_hash((uint64_t)i, 7) & 0xFFFFFFFF));
        if (i < 8)
            snprintf(title, sizeof title, "%s", exercise_names[i]);
        else
            snprintf(title, sizeof title, "Exercise %d", i);
        bool custom = i >= 127;
        if (custom)
            snprintf(title, sizeof title, "Élévation latérale custom %d", i - 126);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s,s:b}", "id", id, "title", title, "type",
                           "weight_reps", "primary_muscle_group", muscles[i % 8],
                           "secondary_muscle_groups", muscles[(i + 3) % 8], "equipment",
                           "barbell", "is_custom", custom));
    }
    return arr;
}

static int hevy_handle(struct fake_request *req, struct fake_response *resp)
{
    if (strncmp(req->path, "/v1/", 4))
        return -1;
    const char *key = fake_header(req, "api-key");
    if (!key || strcmp(key, FAKE_HEVY_API_KEY))
        return fake_json(resp, 401, json_pack("{s:s}", "error", "Unauthorized")), 0;
    int page, size;
    fake_lock();
    if (!strcmp(req->path, "/v1/workouts/count")) {
        size_t n;
        free(live_sorted(&n));
        fake_json(resp, 200, json_pack("{s:i}", "workout_count", (int)n));
    } else if (!strcmp(req->path, "/v1/workouts")) {
        if (paging(req, resp, 10, &page, &size) == 0)
            workouts_page(resp, page, size);
    } else if (!strcmp(req->path, "/v1/workouts/events")) {
        time_t since = 0;
        const char *s = fake_arg(req, "since");
        if (s && fake_parse_time(s, &since) < 0)
            fake_json(resp, 400, json_pack("{s:s}", "error", "since must be a valid date"));
        else if (paging(req, resp, 10, &page, &size) == 0)
            page_of(resp, "events", events_since(since), page, size);
    } else if (!strcmp(req->path, "/v1/routines")) {
        if (paging(req, resp, 10, &page, &size) == 0)
            page_of(resp, "routines", routines(), page, size);
    } else if (!strcmp(req->path, "/v1/routine_folders")) {
        if (paging(req, resp, 10, &page, &size) == 0)
            page_of(resp, "routine_folders", routine_folders(), page, size);
    } else if (!strcmp(req->path, "/v1/exercise_templates")) {
        if (paging(req, resp, 100, &page, &size) == 0)
            page_of(resp, "exercise_templates", exercise_templates(), page, size);
    } else {
        fake_json(resp, 404, json_pack("{s:s}", "error", "Not found"));
    }
    fake_unlock();
    return 0;
}

static struct workout *find(const char *id)
{
    for (size_t i = 0; id && i < nworkouts; i++)
        if (!strcmp(workouts[i].id, id) && !workouts[i].deleted)
            return &workouts[i];
    return NULL;
}

/* The latest live workout, or NULL. */
static struct workout *latest(void)
{
    struct workout *w = NULL;
    for (size_t i = 0; i < nworkouts; i++)
        if (!workouts[i].deleted && (!w || workouts[i].start > w->start))
            w = &workouts[i];
    return w;
}

/* Every workout a complete listing returns (the conformance suite's exact
 * check).  Under fake_lock. */
static int dump(struct fake_response *resp)
{
    json_t *list = json_array();
    for (size_t i = 0; i < nworkouts; i++)
        if (!workouts[i].deleted)
            json_array_append_new(list, workout_json(&workouts[i]));
    return fake_json(resp, 200, json_pack("{s:o}", "workouts", list));
}

static int hevy_admin(const char *action, struct fake_request *req, struct fake_response *resp)
{
    fake_lock();
    if (!strcmp(action, "dump")) {
        dump(resp);
        fake_unlock();
        return 0;
    }
    /* The conformance suite's upstream change: the latest workout edited or
     * deleted (the events feed reports both). */
    const char *id = fake_arg(req, "id");
    if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete")) {
        id = latest() ? latest()->id : NULL;
        action += strlen("conform-");
    }
    clock_tick += 60;
    struct workout *w = NULL;
    int rc = 0;
    if (!strcmp(action, "add")) {
        w = workout_add();
        make_id(w->id, 1000000u + nworkouts);
        snprintf(w->title, sizeof w->title, "Nouvelle séance %zu", nworkouts);
        w->start = clock_tick - 3600;
        w->end = clock_tick - 60;
        w->created = w->updated = clock_tick;
    } else if (!strcmp(action, "first")) {
        w = nworkouts ? &workouts[0] : NULL;
    } else if (!(w = find(id))) {
        rc = -1;
    } else if (!strcmp(action, "edit")) {
        snprintf(w->title, sizeof w->title, "Edited %s", w->id);
        w->updated = clock_tick;
    } else if (!strcmp(action, "delete") || !strcmp(action, "stealth-delete")) {
        w->deleted = true;
        w->deleted_at = clock_tick;
        w->silent = !strcmp(action, "stealth-delete");
    } else {
        rc = -1;
    }
    if (rc == 0 && w)
        fake_json(resp, 200, json_pack("{s:s}", "id", w->id));
    else
        fake_error(resp, 404, "no such workout or action");
    fake_unlock();
    return 0;
}

static const struct fake_provider fake_hevy = {
    .name = "hevy",
    .prefix = "",
    .init = hevy_init,
    .handle = hevy_handle,
    .admin = hevy_admin,
    .client_config = "api_key = \"fake-hevy-SECRET-key-5e1b\"\n"
                     "base_url = \"@URL@\"\n",
};
FAKE_PROVIDER(fake_hevy)

