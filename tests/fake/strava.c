/* fake/strava.c: the Strava API v3 and its OAuth2 endpoints, under /strava.
 *
 * As documented at developers.strava.com: comma-separated scopes; a token
 * reply with an absolute `expires_at`, `expires_in` and (for a code) the
 * athlete; single-use rotating refresh tokens; errors shaped
 * {"message", "errors": [{"resource", "field", "code"}]}; summary activities
 * without updated_at; `after`/`before` epoch filters on the start time (with
 * only `after` the list is oldest first, otherwise newest first); per_page at
 * most 200; and on every API reply X-RateLimit-Limit/Usage (overall, 200 per
 * 15 minutes and 2000 a day) and X-ReadRateLimit-Limit/Usage (100 and 1000),
 * 429 past them.  The 15-minute windows end at :00, :15, :30 and :45; with
 * HEALTH_SYNC_SLEEP_SCALE < 1 (tests) a spent window also ends 900 x scale s
 * after it ran out, as the client's waits are scaled the same way.
 *
 * Admin actions (POST /_admin/strava/<action>):
 *   add[?start=EPOCH]   a new activity (an hour ago, or an old one uploaded late)
 *   edit?id=ID          rename an activity (its start time stays)
 *   delete?id=ID        delete an activity
 *   set-usage?short=N&long=M   set the 15-minute and daily usage of both budgets
 *   expire-tokens       access tokens issued so far stop working (refresh tokens stay) */
#include "fake.h"

#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define ATHLETE_ID 48213907
#define AUTH_CODE "strava-code-6c1f0e"
#define FIRST_ACTIVITY_ID INT64_C(9100000000)
#define UPLOADED_ACTIVITY_ID INT64_C(12400000000)
#define MAX_PER_PAGE 200

struct kind {
    const char *type, *sport_type, *name;
    double speed; /* m/s */
    double climb; /* m per km */
};

static const struct kind kinds[] = {
    {"Run", "Run", "Morning Run", 3.1, 9},
    {"Ride", "Ride", "Volta à Serra de Sintra 🚴", 7.4, 14},
    {"Run", "TrailRun", "Trilho dos Moinhos", 2.4, 38},
    {"Swim", "Swim", "Natação — piscina", 0.9, 0},
    {"Walk", "Walk", "Lunch Walk", 1.4, 6},
    {"Ride", "VirtualRide", "Zwift – Watopia", 8.6, 11},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

struct activity {
    int64_t id;
    time_t start;
    int kind;
    int moving, elapsed; /* seconds */
    char name[96];
    bool deleted;
};

static struct activity *activities;
static size_t nactivities, capactivities;
static int64_t next_upload_id = UPLOADED_ACTIVITY_ID;
static time_t clock_tick; /* admin changes move forward from "now" */
static unsigned long long last_token, expired_through; /* access token serials */

/* ---- data ---- */

static struct activity *activity_add(void)
{
    if (nactivities == capactivities) {
        capactivities = capactivities ? capactivities * 2 : 256;
        activities = realloc(activities, capactivities * sizeof *activities);
    }
    struct activity *a = &activities[nactivities++];
    memset(a, 0, sizeof *a);
    return a;
}

static void activity_fill(struct activity *a, int64_t id, time_t start, uint64_t *rng)
{
    memset(a, 0, sizeof *a);
    a->id = id;
    a->start = start;
    a->kind = (int)(fake_rand(rng) % NKINDS);
    a->moving = 1200 + (int)(fake_rand(rng) % 5400);
    a->elapsed = a->moving + (int)(fake_rand(rng) % 600);
    snprintf(a->name, sizeof a->name, "%s", kinds[a->kind].name);
}

static void strava_init(void)
{
    uint64_t rng = fake_opt.seed ^ 0x57A7A;
    long days = fake_day_count();
    /* About one activity every other day with data, ids growing with time. */
    for (long d = 0; d < days; d++) {
        if (fake_uniform(&rng) > fake_opt.density * 0.55)
            continue;
        time_t start = fake_day_start(d) + 6 * 3600 + (time_t)(fake_rand(&rng) % (13 * 3600));
        struct activity a;
        activity_fill(&a, FIRST_ACTIVITY_ID + d * 7, start, &rng);
        if (a.start + a.elapsed < fake_opt.now)
            *activity_add() = a;
    }
    clock_tick = fake_opt.now;
}

/* Europe/Lisbon: UTC+1 from the last Sunday of March to the last Sunday of
 * October, 01:00 UTC. */
static long last_sunday(int year, unsigned month, unsigned day)
{
    long long days = time_days_from_civil(year, month, day);
    return (long)(days - (days + 4) % 7); /* 1970-01-01 was a Thursday */
}

static int lisbon_offset(time_t t)
{
    int y;
    unsigned m, d;
    time_civil_from_days((long long)(t / 86400), &y, &m, &d);
    time_t from = (time_t)last_sunday(y, 3, 31) * 86400 + 3600;
    time_t to = (time_t)last_sunday(y, 10, 31) * 86400 + 3600;
    return t >= from && t < to ? 3600 : 0;
}

static double tenths(double v)
{
    return (double)(long long)(v * 10 + 0.5) / 10;
}

static json_t *latlng(double lat, double lng)
{
    return json_pack("[f,f]", lat, lng);
}

/* A summary activity (resource_state 2), keys in the API's order. */
static json_t *activity_json(const struct activity *a)
{
    const struct kind *k = &kinds[a->kind];
    uint64_t r = fake_hash((uint64_t)a->id, 3);
    double distance = tenths(k->speed * a->moving);
    double climb = tenths(k->climb * distance / 1000);
    double avg_speed = (double)(long long)(distance / a->moving * 1000) / 1000;
    char start[32], local[32], map_id[32], upload[32], external[48];
    fake_iso(a->start, start);
    fake_iso(a->start + lisbon_offset(a->start), local); /* Strava's quirk: local time with Z */
    snprintf(map_id, sizeof map_id, "a%" PRId64, a->id);
    int64_t upload_id = a->id + INT64_C(1000000000);
    snprintf(upload, sizeof upload, "%" PRId64, upload_id);
    snprintf(external, sizeof external, "garmin_ping_%" PRIu64, r % 1000000000u);
    double lat = 38.7 + (double)(r % 100) / 1000, lng = -9.15 + (double)(r / 100 % 100) / 1000;
    bool indoor = !strcmp(k->sport_type, "VirtualRide") || !strcmp(k->sport_type, "Swim");

    json_t *o = json_object();
    json_object_set_new(o, "resource_state", json_integer(2));
    json_object_set_new(o, "athlete", json_pack("{s:i,s:i}", "id", ATHLETE_ID, "resource_state", 1));
    json_object_set_new(o, "name", json_string(a->name));
    json_object_set_new(o, "distance", json_real(distance));
    json_object_set_new(o, "moving_time", json_integer(a->moving));
    json_object_set_new(o, "elapsed_time", json_integer(a->elapsed));
    json_object_set_new(o, "total_elevation_gain", json_real(climb));
    json_object_set_new(o, "type", json_string(k->type));
    json_object_set_new(o, "sport_type", json_string(k->sport_type));
    json_object_set_new(o, "workout_type", strcmp(k->type, "Run") ? json_null() : json_integer(0));
    json_object_set_new(o, "id", json_integer(a->id));
    json_object_set_new(o, "start_date", json_string(start));
    json_object_set_new(o, "start_date_local", json_string(local));
    json_object_set_new(o, "timezone", json_string("(GMT+00:00) Europe/Lisbon"));
    json_object_set_new(o, "utc_offset", json_real(lisbon_offset(a->start)));
    json_object_set_new(o, "location_city", json_null());
    json_object_set_new(o, "location_state", json_null());
    json_object_set_new(o, "location_country", json_string("Portugal"));
    json_object_set_new(o, "achievement_count", json_integer((json_int_t)(r % 4)));
    json_object_set_new(o, "kudos_count", json_integer((json_int_t)(r / 7 % 23)));
    json_object_set_new(o, "comment_count", json_integer((json_int_t)(r / 11 % 3)));
    json_object_set_new(o, "athlete_count", json_integer(1));
    json_object_set_new(o, "photo_count", json_integer(0));
    json_object_set_new(o, "map", json_pack("{s:s,s:s,s:i}", "id", map_id, "summary_polyline",
                                            indoor ? "" : "}_ilFjk~uOnFcDdAiEl@{A",
                                            "resource_state", 2));
    json_object_set_new(o, "trainer", json_boolean(indoor && a->kind == 5));
    json_object_set_new(o, "commute", json_false());
    json_object_set_new(o, "manual", json_false());
    json_object_set_new(o, "private", json_false());
    json_object_set_new(o, "visibility", json_string("everyone"));
    json_object_set_new(o, "flagged", json_false());
    json_object_set_new(o, "gear_id", strcmp(k->type, "Run") ? json_null() : json_string("g9043117"));
    json_object_set_new(o, "start_latlng", indoor ? json_array() : latlng(lat, lng));
    json_object_set_new(o, "end_latlng", indoor ? json_array() : latlng(lat + 0.004, lng - 0.002));
    json_object_set_new(o, "average_speed", json_real(avg_speed));
    json_object_set_new(o, "max_speed", json_real(tenths(avg_speed * 1.6)));
    json_object_set_new(o, "has_heartrate", json_true());
    json_object_set_new(o, "average_heartrate", json_real(tenths(128 + (double)(r % 300) / 10)));
    json_object_set_new(o, "max_heartrate", json_real((double)(160 + r % 30)));
    json_object_set_new(o, "heartrate_opt_out", json_false());
    json_object_set_new(o, "display_hide_heartrate_option", json_true());
    json_object_set_new(o, "elev_high", json_real(tenths(40 + climb / 2)));
    json_object_set_new(o, "elev_low", json_real(tenths(12.4)));
    json_object_set_new(o, "upload_id", json_integer(upload_id));
    json_object_set_new(o, "upload_id_str", json_string(upload));
    json_object_set_new(o, "external_id", json_string(external));
    json_object_set_new(o, "from_accepted_tag", json_false());
    json_object_set_new(o, "pr_count", json_integer((json_int_t)(r % 3)));
    json_object_set_new(o, "total_photo_count", json_integer(0));
    json_object_set_new(o, "has_kudoed", json_false());
    return o;
}

/* The athlete: summary (resource_state 2, in token replies) or detailed (3). */
static json_t *athlete_json(bool detailed)
{
    json_t *o = json_pack(
        "{s:i,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:i,s:f,s:s,s:s,s:n,s:n}", "id",
        ATHLETE_ID, "username", "zoe_corre", "resource_state", detailed ? 3 : 2, "firstname",
        "Zoë", "lastname", "Gonçalves", "bio", "Corro à beira-Tejo 🏃‍♀️", "city", "Lisboa", "state",
        "Lisboa", "country", "Portugal", "sex", "F", "premium", 1, "summit", 1, "created_at",
        "2016-03-14T08:21:07Z", "updated_at", "2024-05-02T19:03:44Z", "badge_type_id", 1, "weight",
        58.5, "profile_medium", "https://dgalywyr863hv.cloudfront.net/pictures/athletes/medium.jpg",
        "profile", "https://dgalywyr863hv.cloudfront.net/pictures/athletes/large.jpg", "friend",
        "follower");
    if (!detailed)
        return o;
    json_object_set_new(o, "follower_count", json_integer(42));
    json_object_set_new(o, "friend_count", json_integer(37));
    json_object_set_new(o, "mutual_friend_count", json_integer(0));
    json_object_set_new(o, "athlete_type", json_integer(1));
    json_object_set_new(o, "date_preference", json_string("%d/%m/%Y"));
    json_object_set_new(o, "measurement_preference", json_string("meters"));
    json_object_set_new(o, "clubs", json_array());
    json_object_set_new(o, "ftp", json_null());
    json_object_set_new(o, "bikes", json_array());
    json_object_set_new(o, "shoes",
                        json_pack("[{s:s,s:b,s:s,s:i,s:f}]", "id", "g9043117", "primary", 1,
                                  "name", "Pegasus 40 — treino", "resource_state", 2, "distance",
                                  812345.0));
    return o;
}

/* Strava's error body: {"message", "errors": [{"resource", "field", "code"}]}. */
static int strava_error(struct fake_response *resp, int status, const char *message,
                        const char *resource, const char *field, const char *code)
{
    return fake_json(resp, status,
                     json_pack("{s:s,s:[{s:s,s:s,s:s}]}", "message", message, "errors", "resource",
                               resource, "field", field, "code", code));
}

/* ---- rate limits ---- */

enum { SHORT_WINDOW, DAILY_WINDOW };

static struct budget {
    const char *limit_header, *usage_header;
    long limit[2], usage[2];
} budgets[] = {
    {"X-RateLimit-Limit", "X-RateLimit-Usage", {200, 2000}, {0, 0}},
    {"X-ReadRateLimit-Limit", "X-ReadRateLimit-Usage", {100, 1000}, {0, 0}},
};
#define NBUDGETS 2

static long long window_quarter = -1, window_day = -1;
static double spent_at_ms; /* when a 15-minute budget ran out; 0 = not spent */

static double now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec * 1000 + tv.tv_usec / 1000.0;
}

/* The client scales its waits by HEALTH_SYNC_SLEEP_SCALE; so does the fake's
 * "rest of a spent window". */
static double spent_window_ms(void)
{
    const char *s = getenv("HEALTH_SYNC_SLEEP_SCALE");
    double scale = s ? atof(s) : 1;
    return 900000.0 * (scale > 0 && scale < 1 ? scale : 1);
}

static void reset_window(int w)
{
    for (int b = 0; b < NBUDGETS; b++)
        budgets[b].usage[w] = 0;
    if (w == SHORT_WINDOW)
        spent_at_ms = 0;
}

static void roll_windows(void)
{
    double ms = now_ms();
    long long quarter = (long long)(ms / 900000), day = (long long)(ms / 86400000);
    if (quarter != window_quarter || (spent_at_ms && ms - spent_at_ms >= spent_window_ms()))
        reset_window(SHORT_WINDOW);
    if (day != window_day)
        reset_window(DAILY_WINDOW);
    window_quarter = quarter;
    window_day = day;
}

static void note_spent(void)
{
    for (int b = 0; b < NBUDGETS && !spent_at_ms; b++)
        if (budgets[b].usage[SHORT_WINDOW] >= budgets[b].limit[SHORT_WINDOW])
            spent_at_ms = now_ms();
}

/* Counts one API request; true when it is over a budget (answer 429). */
static bool count_request(void)
{
    roll_windows();
    bool over = false;
    for (int b = 0; b < NBUDGETS; b++)
        for (int w = 0; w < 2; w++)
            over |= ++budgets[b].usage[w] > budgets[b].limit[w];
    note_spent();
    return over;
}

static void add_rate_headers(struct fake_response *resp)
{
    for (int b = 0; b < NBUDGETS; b++) {
        char v[64];
        snprintf(v, sizeof v, "%ld,%ld", budgets[b].limit[0], budgets[b].limit[1]);
        fake_add_header(resp, budgets[b].limit_header, v);
        snprintf(v, sizeof v, "%ld,%ld", budgets[b].usage[0], budgets[b].usage[1]);
        fake_add_header(resp, budgets[b].usage_header, v);
    }
}

/* ---- OAuth ---- */

static bool known_scope(const char *s, size_t n)
{
    static const char *const scopes[] = {"read",         "read_all",      "profile:read_all",
                                         "profile:write", "activity:read", "activity:read_all",
                                         "activity:write"};
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        if (strlen(scopes[i]) == n && !strncmp(scopes[i], s, n))
            return true;
    return false;
}

/* Comma-separated known scopes, nothing else (no spaces). */
static bool valid_scope(const char *scope)
{
    if (!scope || !*scope)
        return false;
    for (const char *p = scope;;) {
        size_t n = strcspn(p, ",");
        if (!known_scope(p, n))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

static int authorize(struct fake_request *req, struct fake_response *resp)
{
    const char *type = fake_arg(req, "response_type"), *prompt = fake_arg(req, "approval_prompt");
    if (!type || strcmp(type, "code"))
        return strava_error(resp, 400, "Bad Request", "Authorize", "response_type", "invalid");
    if (!valid_scope(fake_arg(req, "scope")))
        return strava_error(resp, 400, "Bad Request", "Authorize", "scope", "invalid");
    if (prompt && strcmp(prompt, "auto") && strcmp(prompt, "force"))
        return strava_error(resp, 400, "Bad Request", "Authorize", "approval_prompt", "invalid");
    return fake_authorize_redirect(req, resp, FAKE_STRAVA_CLIENT_ID, AUTH_CODE);
}

static unsigned long long token_serial(const char *access)
{
    unsigned long long n = 0;
    return access && sscanf(access, "strava-access-%llu-", &n) == 1 ? n : 0;
}

static int token_reply(struct fake_response *resp, bool with_athlete)
{
    struct fake_token tok;
    fake_issue_token("strava", &tok);
    fake_lock();
    last_token = token_serial(tok.access);
    fake_unlock();
    json_t *o = json_pack("{s:s,s:I,s:i,s:s,s:s}", "token_type", "Bearer", "expires_at",
                          (json_int_t)tok.expires, "expires_in", fake_opt.token_ttl,
                          "refresh_token", tok.refresh, "access_token", tok.access);
    if (with_athlete)
        json_object_set_new(o, "athlete", athlete_json(false));
    return fake_json(resp, 200, o);
}

/* fake_arg's form values share one buffer: compare each before the next call. */
static bool arg_is(const struct fake_request *req, const char *name, const char *want)
{
    const char *v = fake_arg(req, name);
    return v && !strcmp(v, want);
}

static int token(struct fake_request *req, struct fake_response *resp)
{
    if (strcmp(req->method, "POST"))
        return strava_error(resp, 404, "Record Not Found", "resource", "path", "invalid");
    if (!arg_is(req, "client_id", FAKE_STRAVA_CLIENT_ID))
        return strava_error(resp, 400, "Bad Request", "Application", "client_id", "invalid");
    if (!arg_is(req, "client_secret", FAKE_STRAVA_CLIENT_SECRET))
        return strava_error(resp, 401, "Authorization Error", "Application", "client_secret",
                            "invalid");
    if (arg_is(req, "grant_type", "authorization_code")) {
        if (!arg_is(req, "code", AUTH_CODE))
            return strava_error(resp, 400, "Bad Request", "AuthorizationCode", "code", "invalid");
        return token_reply(resp, true);
    }
    if (arg_is(req, "grant_type", "refresh_token")) {
        if (!fake_refresh_use("strava", fake_arg(req, "refresh_token")))
            return strava_error(resp, 400, "Bad Request", "RefreshToken", "refresh_token",
                                "invalid");
        return token_reply(resp, false);
    }
    return strava_error(resp, 400, "Bad Request", "Application", "grant_type", "invalid");
}

/* ---- API ---- */

/* An optional integer query parameter: 1 set, 0 absent, -1 invalid. */
static int int_arg(const struct fake_request *req, const char *name, long long *out)
{
    const char *v = fake_arg(req, name);
    if (!v)
        return 0;
    char *end;
    *out = strtoll(v, &end, 10);
    return *v && !*end ? 1 : -1;
}

static int cmp_start_asc(const void *x, const void *y)
{
    const struct activity *a = *(struct activity *const *)x, *b = *(struct activity *const *)y;
    return a->start < b->start ? -1 : a->start > b->start ? 1 : (a->id > b->id) - (a->id < b->id);
}

static int cmp_start_desc(const void *x, const void *y)
{
    return cmp_start_asc(y, x);
}

static int list_activities(struct fake_request *req, struct fake_response *resp)
{
    long long after = 0, before = 0, page = 1, per_page = 30;
    int has_after = int_arg(req, "after", &after), has_before = int_arg(req, "before", &before);
    int has_page = int_arg(req, "page", &page), has_per_page = int_arg(req, "per_page", &per_page);
    if (has_after < 0 || has_before < 0)
        return strava_error(resp, 400, "Bad Request", "Activity", has_after < 0 ? "after" : "before",
                            "invalid");
    if (has_page < 0 || page < 1)
        return strava_error(resp, 400, "Bad Request", "Activity", "page", "invalid");
    if (has_per_page < 0 || per_page < 1 || per_page > MAX_PER_PAGE)
        return strava_error(resp, 400, "Bad Request", "Activity", "per_page", "invalid");
    struct activity **v = malloc((nactivities + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < nactivities; i++) {
        struct activity *a = &activities[i];
        if (!a->deleted && (!has_after || a->start > after) && (!has_before || a->start < before))
            v[n++] = a;
    }
    qsort(v, n, sizeof *v, has_after && !has_before ? cmp_start_asc : cmp_start_desc);
    json_t *out = json_array();
    for (long long i = (page - 1) * per_page; i < (long long)n && i < page * per_page; i++)
        json_array_append_new(out, activity_json(v[i]));
    free(v);
    return fake_json(resp, 200, out);
}

static int api(struct fake_request *req, struct fake_response *resp)
{
    bool authorized = fake_token_valid("strava", fake_bearer(req)); /* takes the lock itself */
    fake_lock();
    if (count_request())
        strava_error(resp, 429, "Rate Limit Exceeded", "Application", "rate limit", "exceeded");
    else if (!authorized || token_serial(fake_bearer(req)) <= expired_through)
        strava_error(resp, 401, "Authorization Error", "Athlete", "access_token", "invalid");
    else if (strcmp(req->method, "GET"))
        strava_error(resp, 404, "Record Not Found", "resource", "path", "invalid");
    else if (!strcmp(req->path, "/api/v3/athlete"))
        fake_json(resp, 200, athlete_json(true));
    else if (!strcmp(req->path, "/api/v3/athlete/activities"))
        list_activities(req, resp);
    else
        strava_error(resp, 404, "Record Not Found", "resource", "path", "invalid");
    add_rate_headers(resp);
    fake_unlock();
    return 0;
}

static int strava_handle(struct fake_request *req, struct fake_response *resp)
{
    if (!strcmp(req->path, "/oauth/authorize"))
        return authorize(req, resp);
    if (!strcmp(req->path, "/oauth/token"))
        return token(req, resp);
    if (!strncmp(req->path, "/api/v3/", 8))
        return api(req, resp);
    return -1;
}

/* ---- admin ---- */

static struct activity *find(const char *id)
{
    long long want = id ? strtoll(id, NULL, 10) : 0;
    for (size_t i = 0; i < nactivities; i++)
        if (activities[i].id == want && !activities[i].deleted)
            return &activities[i];
    return NULL;
}

static int set_usage(struct fake_request *req, struct fake_response *resp)
{
    long long v;
    roll_windows();
    for (int w = 0; w < 2; w++)
        if (int_arg(req, w == SHORT_WINDOW ? "short" : "long", &v) == 1)
            for (int b = 0; b < NBUDGETS; b++)
                budgets[b].usage[w] = (long)v;
    spent_at_ms = 0;
    note_spent();
    return fake_json(resp, 200, json_pack("{s:[i,i]}", "usage", (int)budgets[1].usage[0],
                                          (int)budgets[1].usage[1]));
}

/* Every record a complete listing returns (the conformance suite's exact
 * check).  Under fake_lock. */
static int dump(struct fake_response *resp)
{
    json_t *list = json_array();
    for (size_t i = 0; i < nactivities; i++)
        if (!activities[i].deleted)
            json_array_append_new(list, activity_json(&activities[i]));
    return fake_json(resp, 200, json_pack("{s:o,s:[o]}", "activities", list, "athlete",
                                          athlete_json(true)));
}

/* The latest activity: its id as text, or NULL. */
static const char *latest_id(char out[32])
{
    struct activity *latest = NULL;
    for (size_t i = 0; i < nactivities; i++)
        if (!activities[i].deleted && (!latest || activities[i].start > latest->start))
            latest = &activities[i];
    if (!latest)
        return NULL;
    snprintf(out, 32, "%" PRId64, latest->id);
    return out;
}

static int strava_admin(const char *action, struct fake_request *req, struct fake_response *resp)
{
    fake_lock();
    char latest[32];
    if (!strcmp(action, "dump")) {
        dump(resp);
        fake_unlock();
        return 0;
    }
    /* The conformance suite's upstream change: the latest activity renamed
     * or deleted, inside the week a plain sync lists again. */
    const char *id = fake_arg(req, "id");
    if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete")) {
        id = latest_id(latest);
        action += strlen("conform-");
    }
    clock_tick += 60;
    struct activity *a = NULL;
    long long start;
    if (!strcmp(action, "set-usage")) {
        set_usage(req, resp);
    } else if (!strcmp(action, "expire-tokens")) {
        expired_through = last_token;
        fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    } else if (!strcmp(action, "add")) {
        uint64_t rng = fake_hash((uint64_t)next_upload_id, 9);
        bool old = int_arg(req, "start", &start) == 1;
        a = activity_add();
        activity_fill(a, next_upload_id++, old ? (time_t)start : clock_tick - 3600, &rng);
        snprintf(a->name, sizeof a->name, "Nova atividade %zu — %s", nactivities,
                 kinds[a->kind].name);
    } else if (!(a = find(id))) {
        fake_error(resp, 404, "no such activity");
    } else if (!strcmp(action, "edit")) {
        snprintf(a->name, sizeof a->name, "Editada %" PRId64 " ✓", a->id);
    } else if (!strcmp(action, "delete")) {
        a->deleted = true;
    } else {
        a = NULL;
        fake_error(resp, 404, "no such action");
    }
    if (a)
        fake_json(resp, 200, json_pack("{s:I,s:s}", "id", (json_int_t)a->id, "name", a->name));
    fake_unlock();
    return 0;
}

static const struct fake_provider fake_strava = {
    .name = "strava",
    .prefix = "/strava",
    .init = strava_init,
    .handle = strava_handle,
    .admin = strava_admin,
    .client_config = "client_id = \"fake-strava-client\"\n"
                     "client_secret = \"fake-strava-SECRET-9d04\"\n"
                     "redirect_uri = \"http://127.0.0.1:@PORT@/callback\"\n"
                     "authorize_url = \"@URL@/strava/oauth/authorize\"\n"
                     "token_url = \"@URL@/strava/oauth/token\"\n"
                     "base_url = \"@URL@/strava/api/v3\"\n",
};
FAKE_PROVIDER(fake_strava)

