/* fake/whoop.c: the WHOOP developer API v2 and its OAuth2 endpoints, under
 * /whoop (the real hosts: api.prod.whoop.com/developer and /oauth/oauth2).
 *
 * As developer.whoop.com documents it:
 *   GET  /whoop/oauth/oauth2/auth    302 to redirect_uri?code=&state= (a state
 *                                    shorter than 8 characters is refused)
 *   POST /whoop/oauth/oauth2/token   client_id and client_secret in the form
 *        body; authorization_code (redirect_uri must match) and refresh_token
 *        (with scope=offline) grants; a refresh token only when the granted
 *        scopes hold `offline`; refresh tokens rotate and are single use;
 *        errors {"error", "error_description"}
 *   GET  /whoop/developer/v2/user/profile/basic, /v2/user/measurement/body
 *   GET  /whoop/developer/v2/cycle, /v2/recovery, /v2/activity/sleep,
 *        /v2/activity/workout   ?limit=(1-25, default 10; more is 400)
 *        &start=&end= (ISO 8601; a record is listed when it overlaps them)
 *        &nextToken=   ->  {"records": [...], "next_token": "..."|null},
 *        newest first.
 * Every API reply carries X-RateLimit-Limit ("100, 100;window=60,
 * 10000;window=86400"), X-RateLimit-Remaining and X-RateLimit-Reset (seconds);
 * past a budget 429.  With HEALTH_SYNC_SLEEP_SCALE < 1 (tests) a spent minute
 * ends 60 x scale s after it was spent, as the client's waits are scaled the
 * same way, and one not spent does not end (so that a slow client meets
 * the limit as a fast one does).
 *
 * Data: a cycle per worn day (integer id; the current one has no `end`), its
 * sleep (UUID) and recovery (no id of its own: cycle_id), some naps and
 * workouts.  The latest sleep and recovery are PENDING_SCORE until scored.
 *
 * Admin actions (POST /_admin/whoop/<action>):
 *   score-pending                 the pending sleep and recovery get their scores
 *   rescore?resource=R&id=ID      new score values for a record (updated_at moves)
 *   delete?resource=R&id=ID       the record goes (a workout or nap removed)
 *   add-workout[?days_ago=N]      a new workout N days ago (default 0)
 *   limit?minute=N&day=M          the request budgets
 *   dump                          every record served, by resource (for exact checks) */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define FAKE_WHOOP_CLIENT_ID "fake-whoop-client"
#define FAKE_WHOOP_CLIENT_SECRET "fake-whoop-SECRET-4a7d"
#define USER_ID 10129
#define AUTH_CODE_PREFIX "whoop-code-"
#define FIRST_CYCLE_ID 93845000LL
#define MAX_LIMIT 25
#define DEFAULT_LIMIT 10

enum { R_CYCLES, R_RECOVERIES, R_SLEEP, R_WORKOUTS, N_RES };

static const struct {
    const char *name; /* the client's resource name, for admin and dump */
    const char *path;
} res[N_RES] = {
    {"cycles", "/developer/v2/cycle"},
    {"recoveries", "/developer/v2/recovery"},
    {"sleep", "/developer/v2/activity/sleep"},
    {"workouts", "/developer/v2/activity/workout"},
};

struct rec {
    json_t *doc;
    char id[48];
    time_t start, end; /* end 0: ongoing */
    bool deleted;
};

static struct {
    struct rec *v;
    size_t n, cap;
} recs[N_RES];
static time_t clock_tick; /* admin changes move updated_at forward */

/* ---------------------------------------------------------------- data */

static struct rec *rec_add(int r)
{
    if (recs[r].n == recs[r].cap) {
        recs[r].cap = recs[r].cap ? recs[r].cap * 2 : 512;
        recs[r].v = realloc(recs[r].v, recs[r].cap * sizeof *recs[r].v);
    }
    struct rec *x = &recs[r].v[recs[r].n++];
    memset(x, 0, sizeof *x);
    return x;
}

/* WHOOP's time format: milliseconds and Z. */
static json_t *when(time_t t, int ms)
{
    char iso[32], out[40];
    fake_iso(t, iso);
    snprintf(out, sizeof out, "%.19s.%03dZ", iso, ms % 1000);
    return json_string(out);
}

static void uuid(uint64_t a, uint64_t b, char out[48])
{
    uint64_t h = fake_hash(a, b), l = fake_hash(b, a ^ 0x5eed);
    snprintf(out, 48, "%08llx-%04llx-4%03llx-a%03llx-%012llx", (unsigned long long)(h >> 32),
             (unsigned long long)(h >> 16 & 0xffff), (unsigned long long)(h & 0xfff),
             (unsigned long long)(l >> 48 & 0xfff), (unsigned long long)(l & 0xffffffffffffULL));
}

static double round_to(double v, double step)
{
    return (double)(long long)(v / step + 0.5) * step;
}

static void stamp(json_t *doc, time_t created, time_t updated, int ms)
{
    json_object_set_new(doc, "created_at", when(created, ms));
    json_object_set_new(doc, "updated_at", when(updated, ms + 111));
}

static json_t *cycle_score(uint64_t *s)
{
    return json_pack("{s:f,s:f,s:i,s:i}", "strain", round_to(4 + 14 * fake_uniform(s), 0.0001),
                     "kilojoule", round_to(7000 + 6000 * fake_uniform(s), 0.001),
                     "average_heart_rate", 55 + (int)(20 * fake_uniform(s)), "max_heart_rate",
                     140 + (int)(50 * fake_uniform(s)));
}

static json_t *sleep_score(uint64_t *s, long in_bed_ms, bool nap)
{
    long awake = (long)(in_bed_ms * (0.05 + 0.08 * fake_uniform(s)));
    long rem = (long)((in_bed_ms - awake) * 0.22), deep = (long)((in_bed_ms - awake) * 0.2);
    json_t *stages = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}", "total_in_bed_time_milli",
                               (json_int_t)in_bed_ms, "total_awake_time_milli", (json_int_t)awake,
                               "total_no_data_time_milli", (json_int_t)0,
                               "total_light_sleep_time_milli",
                               (json_int_t)(in_bed_ms - awake - rem - deep),
                               "total_slow_wave_sleep_time_milli", (json_int_t)deep,
                               "total_rem_sleep_time_milli", (json_int_t)rem, "sleep_cycle_count",
                               nap ? 1 : 3 + (int)(3 * fake_uniform(s)), "disturbance_count",
                               (int)(12 * fake_uniform(s)));
    json_t *needed = json_pack("{s:I,s:I,s:I,s:I}", "baseline_milli", (json_int_t)27120740,
                               "need_from_sleep_debt_milli", (json_int_t)(900000 * fake_uniform(s)),
                               "need_from_recent_strain_milli",
                               (json_int_t)(600000 * fake_uniform(s)),
                               "need_from_recent_nap_milli", (json_int_t)(nap ? 0 : -1800000));
    return json_pack("{s:o,s:o,s:f,s:i,s:i,s:f}", "stage_summary", stages, "sleep_needed", needed,
                     "respiratory_rate", round_to(13 + 4 * fake_uniform(s), 0.00001),
                     "sleep_performance_percentage", 60 + (int)(40 * fake_uniform(s)),
                     "sleep_consistency_percentage", 50 + (int)(45 * fake_uniform(s)),
                     "sleep_efficiency_percentage", round_to(85 + 14 * fake_uniform(s), 0.00001));
}

static json_t *recovery_score(uint64_t *s)
{
    return json_pack("{s:b,s:i,s:i,s:f,s:f,s:f}", "user_calibrating", 0, "recovery_score",
                     10 + (int)(89 * fake_uniform(s)), "resting_heart_rate",
                     45 + (int)(20 * fake_uniform(s)), "hrv_rmssd_milli",
                     round_to(25 + 90 * fake_uniform(s), 0.000001), "spo2_percentage",
                     round_to(94 + 5 * fake_uniform(s), 0.0001), "skin_temp_celsius",
                     round_to(33 + 1.8 * fake_uniform(s), 0.01));
}

static const char *const sports[] = {"running", "cycling", "functional-fitness", "yoga",
                                     "swimming", "hiit", "tennis", "weightlifting"};
#define N_SPORTS (sizeof sports / sizeof *sports)

static json_t *workout_score(uint64_t *s, long seconds, int sport)
{
    long z[6], left = seconds * 1000;
    for (int i = 0; i < 5; i++) {
        z[i] = (long)(left * (0.1 + 0.3 * fake_uniform(s)));
        left -= z[i];
    }
    z[5] = left;
    json_t *zones = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "zone_zero_milli", (json_int_t)z[0],
                              "zone_one_milli", (json_int_t)z[1], "zone_two_milli",
                              (json_int_t)z[2], "zone_three_milli", (json_int_t)z[3],
                              "zone_four_milli", (json_int_t)z[4], "zone_five_milli",
                              (json_int_t)z[5]);
    json_t *score = json_pack("{s:f,s:i,s:i,s:f,s:f}", "strain",
                              round_to(5 + 12 * fake_uniform(s), 0.0001), "average_heart_rate",
                              110 + (int)(40 * fake_uniform(s)), "max_heart_rate",
                              150 + (int)(40 * fake_uniform(s)), "kilojoule",
                              round_to(800 + 2000 * fake_uniform(s), 0.001), "percent_recorded",
                              100.0);
    if (sport < 2) { /* distance sports */
        json_object_set_new(score, "distance_meter", json_real(round_to(seconds * 3.1, 0.1)));
        json_object_set_new(score, "altitude_gain_meter",
                            json_real(round_to(80 * fake_uniform(s), 0.01)));
        json_object_set_new(score, "altitude_change_meter",
                            json_real(round_to(10 * fake_uniform(s) - 5, 0.01)));
    }
    json_object_set_new(score, "zone_durations", zones);
    return score;
}

/* The common head of an activity record, in WHOOP's field order. */
static json_t *activity(const char *id, long long v1_id, time_t start, time_t end, int ms)
{
    json_t *doc = json_pack("{s:s,s:I,s:i}", "id", id, "v1_id", (json_int_t)v1_id, "user_id",
                            USER_ID);
    stamp(doc, end + 300, end + 1200, ms);
    json_object_set_new(doc, "start", when(start, ms));
    json_object_set_new(doc, "end", when(end, ms + 500));
    json_object_set_new(doc, "timezone_offset", json_string("+01:00"));
    return doc;
}

static void add_workout(long d, uint64_t *s, int serial)
{
    int sport = (int)(fake_uniform(s) * N_SPORTS);
    long seconds = 1800 + (long)(3600 * fake_uniform(s));
    time_t start = fake_day_start(d) + 16 * 3600 + (time_t)(10800 * fake_uniform(s));
    if (start + seconds > fake_opt.now + clock_tick) /* today's: just finished */
        start = fake_opt.now + clock_tick - seconds - 600;
    struct rec *w = rec_add(R_WORKOUTS);
    uuid((uint64_t)d, 0x3000 + (uint64_t)serial, w->id);
    w->start = start;
    w->end = start + seconds;
    w->doc = activity(w->id, 4000000 + d * 10 + serial, start, w->end, (int)(d % 997));
    json_object_set_new(w->doc, "sport_name", json_string(sports[sport]));
    json_object_set_new(w->doc, "score_state", json_string("SCORED"));
    json_object_set_new(w->doc, "score", workout_score(s, seconds, sport));
    json_object_set_new(w->doc, "sport_id", json_integer(sport));
}

static struct rec *add_sleep(long d, long long cycle_id, time_t start, long seconds, bool nap,
                             uint64_t *s)
{
    struct rec *x = rec_add(R_SLEEP);
    uuid((uint64_t)d, nap ? 0x2001 : 0x2000, x->id);
    x->start = start;
    x->end = start + seconds;
    x->doc = activity(x->id, 2000000 + d * 2 + nap, start, x->end, (int)(d * 7 % 1000));
    json_object_set_new(x->doc, "cycle_id", json_integer(cycle_id));
    json_object_set_new(x->doc, "nap", json_boolean(nap));
    json_object_set_new(x->doc, "score_state", json_string("SCORED"));
    json_object_set_new(x->doc, "score", sleep_score(s, seconds * 1000, nap));
    return x;
}

static struct rec *add_recovery(long long cycle_id, const struct rec *sl, uint64_t *s)
{
    struct rec *x = rec_add(R_RECOVERIES);
    snprintf(x->id, sizeof x->id, "%lld", cycle_id);
    x->start = sl->start;
    x->end = sl->end;
    x->doc = json_pack("{s:I,s:s,s:i}", "cycle_id", (json_int_t)cycle_id, "sleep_id", sl->id,
                       "user_id", USER_ID);
    stamp(x->doc, sl->end + 240, sl->end + 900, (int)(cycle_id % 1000));
    json_object_set_new(x->doc, "score_state", json_string("SCORED"));
    json_object_set_new(x->doc, "score", recovery_score(s));
    return x;
}

/* The latest sleep and recovery are still being scored. */
static void make_pending(struct rec *x)
{
    json_object_set_new(x->doc, "score_state", json_string("PENDING_SCORE"));
    json_object_del(x->doc, "score");
}

static void whoop_init(void)
{
    long days = fake_day_count();
    struct rec *last_cycle = NULL, *last_sleep = NULL, *last_recovery = NULL;
    for (long d = 0; d < days; d++) {
        uint64_t s = fake_hash((uint64_t)d, 0x3400);
        if (fake_uniform(&s) >= fake_opt.density)
            continue;
        long long cycle_id = FIRST_CYCLE_ID + d;
        time_t start = fake_day_start(d) - 5400 + (time_t)(3600 * fake_uniform(&s));
        if (last_cycle) { /* the previous cycle ends where this one starts */
            last_cycle->end = start;
            json_object_set_new(last_cycle->doc, "end", when(start, 250));
        }
        struct rec *c = rec_add(R_CYCLES);
        snprintf(c->id, sizeof c->id, "%lld", cycle_id);
        c->start = start;
        c->doc = json_pack("{s:I,s:i}", "id", (json_int_t)cycle_id, "user_id", USER_ID);
        stamp(c->doc, start + 60, start + 80000, (int)(d % 1000));
        json_object_set_new(c->doc, "start", when(start, 250));
        json_object_set_new(c->doc, "timezone_offset", json_string("+01:00"));
        json_object_set_new(c->doc, "score_state", json_string("SCORED"));
        json_object_set_new(c->doc, "score", cycle_score(&s));
        last_cycle = c;
        last_sleep = add_sleep(d, cycle_id, start + 600, 23400 + (long)(5400 * fake_uniform(&s)),
                               false, &s);
        last_recovery = add_recovery(cycle_id, last_sleep, &s);
        if (fake_uniform(&s) < 0.1 && fake_day_start(d) + 15 * 3600 < fake_opt.now)
            add_sleep(d, cycle_id, fake_day_start(d) + 14 * 3600, 1800, true, &s);
        if (fake_uniform(&s) < 0.4)
            add_workout(d, &s, 0);
    }
    /* A recovery is listed by its cycle's times. */
    for (size_t i = 0; i < recs[R_RECOVERIES].n; i++) {
        recs[R_RECOVERIES].v[i].start = recs[R_CYCLES].v[i].start;
        recs[R_RECOVERIES].v[i].end = recs[R_CYCLES].v[i].end;
    }
    if (last_sleep) {
        make_pending(last_sleep);
        make_pending(last_recovery);
    }
}

/* ---------------------------------------------------------------- rate limits */

static struct {
    long minute_limit, day_limit;
    long minute_used, day_used;
    double minute_began, spent_at; /* seconds */
} budget = {100, 10000, 0, 0, 0, 0};

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* The client scales its waits by HEALTH_SYNC_SLEEP_SCALE; so does the minute. */
static double scale(void)
{
    const char *s = getenv("HEALTH_SYNC_SLEEP_SCALE");
    double v = s ? atof(s) : 1;
    return v > 0 && v < 1 ? v : 1;
}

/* Counts the request; false when a budget is spent (429).  Under fake_lock. */
static bool count_request(struct fake_response *resp)
{
    double now = now_s(), minute = 60 * scale();
    /* With a scaled clock (tests) a window that is not spent never ends, so
     * how fast the client runs (valgrind, a busy machine) does not decide
     * whether it meets the limit; a spent one ends a scaled minute after. */
    bool spent = budget.minute_used >= budget.minute_limit;
    double began = scale() < 1 ? (spent ? budget.spent_at : now) : budget.minute_began;
    if (now - began >= minute && (scale() == 1 || spent)) {
        budget.minute_began = now;
        budget.minute_used = 0;
    }
    bool ok = budget.minute_used < budget.minute_limit && budget.day_used < budget.day_limit;
    if (ok) {
        budget.minute_used++;
        budget.day_used++;
        if (budget.minute_used == budget.minute_limit)
            budget.spent_at = now;
    }
    long minute_left = budget.minute_limit - budget.minute_used;
    long day_left = budget.day_limit - budget.day_used;
    bool daily_closer = day_left < minute_left;
    double from = budget.minute_began;
    if (scale() < 1)
        from = budget.minute_used >= budget.minute_limit ? budget.spent_at : now;
    long reset = daily_closer ? 86400 - (long)fake_opt.now % 86400
                              : (long)((minute - (now - from)) / scale()) + 1;
    char limit[128], n[32];
    snprintf(limit, sizeof limit, "%ld, %ld;window=60, %ld;window=86400",
             daily_closer ? budget.day_limit : budget.minute_limit, budget.minute_limit,
             budget.day_limit);
    fake_add_header(resp, "X-RateLimit-Limit", limit);
    snprintf(n, sizeof n, "%ld", daily_closer ? day_left : minute_left);
    fake_add_header(resp, "X-RateLimit-Remaining", n);
    snprintf(n, sizeof n, "%ld", reset);
    fake_add_header(resp, "X-RateLimit-Reset", n);
    return ok;
}

/* ---------------------------------------------------------------- OAuth2 */

#define MAX_CODES 64
static struct {
    char code[48], redirect_uri[512];
    bool offline, used;
} codes[MAX_CODES];
static int ncodes;

static int oauth_error(struct fake_response *resp, int status, const char *error,
                       const char *description)
{
    return fake_json(resp, status,
                     json_pack("{s:s,s:s,s:i}", "error", error, "error_description", description,
                               "status_code", status));
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list ? strstr(list, word) : NULL; p; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

static int authorize(struct fake_request *req, struct fake_response *resp)
{
    const char *state = fake_arg(req, "state");
    const char *redirect = fake_arg(req, "redirect_uri");
    if (!state || strlen(state) < 8) /* WHOOP: "state must be at least 8 characters" */
        return oauth_error(resp, 400, "invalid_state",
                           "The state is missing or has less than 8 characters");
    if (!fake_arg(req, "response_type") || strcmp(fake_arg(req, "response_type"), "code"))
        return oauth_error(resp, 400, "unsupported_response_type", "response_type must be code");
    char code[48];
    fake_lock();
    int slot = ncodes++ % MAX_CODES;
    snprintf(code, sizeof code, AUTH_CODE_PREFIX "%d", ncodes);
    snprintf(codes[slot].code, sizeof codes[slot].code, "%s", code);
    snprintf(codes[slot].redirect_uri, sizeof codes[slot].redirect_uri, "%s",
             redirect ? redirect : "");
    codes[slot].offline = has_word(fake_arg(req, "scope"), "offline");
    codes[slot].used = false;
    fake_unlock();
    return fake_authorize_redirect(req, resp, FAKE_WHOOP_CLIENT_ID, code);
}

/* Uses a code once; -1 unknown or spent, else whether `offline` was granted. */
static int use_code(const char *code, const char *redirect_uri)
{
    int found = -1;
    fake_lock();
    for (int i = 0; i < ncodes && i < MAX_CODES && found < 0; i++)
        if (!strcmp(codes[i].code, code) && !codes[i].used &&
            !strcmp(codes[i].redirect_uri, redirect_uri ? redirect_uri : "")) {
            codes[i].used = true;
            found = codes[i].offline;
        }
    fake_unlock();
    return found;
}

static int issue(struct fake_response *resp, bool offline)
{
    struct fake_token tok;
    fake_issue_token("whoop", &tok);
    json_t *reply = json_pack("{s:s,s:i}", "access_token", tok.access, "expires_in",
                              fake_opt.token_ttl);
    if (offline)
        json_object_set_new(reply, "refresh_token", json_string(tok.refresh));
    json_object_set_new(reply, "scope",
                        json_string(offline ? "offline read:recovery read:cycles read:workout "
                                              "read:sleep read:profile read:body_measurement"
                                            : "read:recovery read:cycles read:workout read:sleep "
                                              "read:profile read:body_measurement"));
    json_object_set_new(reply, "token_type", json_string("bearer"));
    return fake_json(resp, 200, reply);
}

static bool arg_is(const struct fake_request *req, const char *name, const char *want)
{
    const char *v = fake_arg(req, name);
    return v && !strcmp(v, want);
}

static int token(struct fake_request *req, struct fake_response *resp)
{
    if (strcmp(req->method, "POST"))
        return oauth_error(resp, 405, "invalid_request", "POST only");
    /* client_secret_post: the credentials are in the body, never Basic. */
    if (!arg_is(req, "client_id", FAKE_WHOOP_CLIENT_ID) ||
        !arg_is(req, "client_secret", FAKE_WHOOP_CLIENT_SECRET))
        return oauth_error(resp, 401, "invalid_client", "Client authentication failed");
    char grant[64], value[512];
    snprintf(grant, sizeof grant, "%s", fake_arg(req, "grant_type") ? fake_arg(req, "grant_type") : "");
    if (!strcmp(grant, "authorization_code")) {
        snprintf(value, sizeof value, "%s", fake_arg(req, "code") ? fake_arg(req, "code") : "");
        int offline = use_code(value, fake_arg(req, "redirect_uri"));
        if (offline < 0)
            return oauth_error(resp, 400, "invalid_grant",
                               "The authorization code is invalid, spent, or was issued to "
                               "another redirect_uri");
        return issue(resp, offline == 1);
    }
    if (!strcmp(grant, "refresh_token")) {
        if (!arg_is(req, "scope", "offline"))
            return oauth_error(resp, 400, "invalid_scope", "a refresh asks for scope=offline");
        snprintf(value, sizeof value, "%s",
                 fake_arg(req, "refresh_token") ? fake_arg(req, "refresh_token") : "");
        if (!fake_refresh_use("whoop", value))
            return oauth_error(resp, 400, "invalid_grant",
                               "The refresh token is invalid, expired, revoked or was used");
        return issue(resp, true);
    }
    return oauth_error(resp, 400, "unsupported_grant_type", "grant_type not supported");
}

/* ---------------------------------------------------------------- API */

static int api_error(struct fake_response *resp, int status, const char *message)
{
    return fake_json(resp, status, json_pack("{s:s}", "message", message));
}

static int cmp_newest_first(const void *a, const void *b)
{
    const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
    if (x->start != y->start)
        return x->start > y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* nextToken: the offset, bound to the query it continues. */
static void make_token(const char *start, const char *end, long offset, char out[64])
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = start ? start : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = end ? end : "-"; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out, 64, "MTIz%lx.%llx", offset, (unsigned long long)fake_hash(h, (uint64_t)offset));
}

static int list(int r, struct fake_request *req, struct fake_response *resp)
{
    const char *lim = fake_arg(req, "limit"), *start_s = fake_arg(req, "start");
    const char *end_s = fake_arg(req, "end"), *tok = fake_arg(req, "nextToken");
    long limit = lim ? strtol(lim, NULL, 10) : DEFAULT_LIMIT;
    if (limit < 1 || limit > MAX_LIMIT)
        return api_error(resp, 400, "limit must be between 1 and 25");
    time_t from = 0, to = fake_opt.now + 86400;
    if ((start_s && fake_parse_time(start_s, &from) < 0) ||
        (end_s && fake_parse_time(end_s, &to) < 0))
        return api_error(resp, 400, "start and end must be ISO 8601 date-times");
    long offset = 0;
    if (tok && *tok) {
        char expected[64];
        offset = strtol(tok + 4, NULL, 16);
        make_token(start_s, end_s, offset, expected);
        if (strncmp(tok, "MTIz", 4) || strcmp(tok, expected))
            return api_error(resp, 400, "nextToken is not valid");
    }
    fake_lock();
    struct rec **hits = calloc(recs[r].n + 1, sizeof *hits);
    size_t n = 0;
    for (size_t i = 0; i < recs[r].n; i++) {
        struct rec *x = &recs[r].v[i];
        time_t end = x->end ? x->end : fake_opt.now;
        if (!x->deleted && end >= from && x->start < to)
            hits[n++] = x;
    }
    qsort(hits, n, sizeof *hits, cmp_newest_first);
    json_t *records = json_array();
    for (size_t i = (size_t)offset; i < n && i < (size_t)(offset + limit); i++)
        json_array_append_new(records, json_deep_copy(hits[i]->doc));
    fake_unlock();
    free(hits);
    json_t *next = json_null();
    if ((size_t)(offset + limit) < n) {
        char t[64];
        make_token(start_s, end_s, offset + limit, t);
        next = json_string(t);
    }
    return fake_json(resp, 200, json_pack("{s:o,s:o}", "records", records, "next_token", next));
}

static int api(struct fake_request *req, struct fake_response *resp)
{
    fake_lock();
    bool within = count_request(resp);
    fake_unlock();
    if (!within)
        return fake_text(resp, 429, "text/plain", "Too Many Requests\n");
    if (!fake_token_valid("whoop", fake_bearer(req)))
        return api_error(resp, 401, "Authorization was not valid");
    if (!strcmp(req->path, "/developer/v2/user/profile/basic"))
        return fake_json(resp, 200,
                         json_pack("{s:i,s:s,s:s,s:s}", "user_id", USER_ID, "email",
                                   "jane.doe@example.com", "first_name", "Jane", "last_name",
                                   "Doé"));
    if (!strcmp(req->path, "/developer/v2/user/measurement/body"))
        return fake_json(resp, 200,
                         json_pack("{s:f,s:f,s:i}", "height_meter", 1.8288, "weight_kilogram",
                                   90.7185, "max_heart_rate", 200));
    for (int r = 0; r < N_RES; r++)
        if (!strcmp(req->path, res[r].path))
            return list(r, req, resp);
    return -1;
}

static int whoop_handle(struct fake_request *req, struct fake_response *resp)
{
    if (strncmp(req->path, "/", 1))
        return -1;
    if (!strcmp(req->path, "/oauth/oauth2/auth"))
        return authorize(req, resp);
    if (!strcmp(req->path, "/oauth/oauth2/token"))
        return token(req, resp);
    if (!strncmp(req->path, "/developer/", 11))
        return api(req, resp);
    return -1;
}

/* ---------------------------------------------------------------- admin */

static int resource_index(const char *name)
{
    for (int r = 0; name && r < N_RES; r++)
        if (!strcmp(res[r].name, name))
            return r;
    return -1;
}

static struct rec *find(int r, const char *id)
{
    for (size_t i = 0; r >= 0 && id && i < recs[r].n; i++)
        if (!strcmp(recs[r].v[i].id, id) && !recs[r].v[i].deleted)
            return &recs[r].v[i];
    return NULL;
}

static void touch(struct rec *x)
{
    clock_tick += 60;
    json_object_set_new(x->doc, "updated_at", when(fake_opt.now + clock_tick, 0));
}

static json_t *new_score(int r, struct rec *x, uint64_t *s)
{
    switch (r) {
    case R_CYCLES: return cycle_score(s);
    case R_RECOVERIES: return recovery_score(s);
    case R_SLEEP:
        return sleep_score(s, (long)(x->end - x->start) * 1000,
                           json_is_true(json_object_get(x->doc, "nap")));
    default: return workout_score(s, (long)(x->end - x->start), 1);
    }
}

static int score_pending(struct fake_response *resp)
{
    int scored = 0;
    for (int r = 0; r < N_RES; r++)
        for (size_t i = 0; i < recs[r].n; i++) {
            struct rec *x = &recs[r].v[i];
            const char *st = json_string_value(json_object_get(x->doc, "score_state"));
            if (x->deleted || !st || strcmp(st, "PENDING_SCORE"))
                continue;
            uint64_t s = fake_hash(i, 0x5c0e);
            json_object_set_new(x->doc, "score_state", json_string("SCORED"));
            json_object_set_new(x->doc, "score", new_score(r, x, &s));
            touch(x);
            scored++;
        }
    return fake_json(resp, 200, json_pack("{s:i}", "scored", scored));
}

static int dump(struct fake_response *resp)
{
    json_t *out = json_object();
    for (int r = 0; r < N_RES; r++) {
        json_t *list_ = json_object();
        for (size_t i = 0; i < recs[r].n; i++)
            if (!recs[r].v[i].deleted)
                json_object_set(list_, recs[r].v[i].id, recs[r].v[i].doc);
        json_object_set_new(out, res[r].name, list_);
    }
    json_object_set_new(out, "profile_basic",
                        json_pack("{s:{s:i,s:s,s:s,s:s}}", "10129", "user_id", USER_ID, "email",
                                  "jane.doe@example.com", "first_name", "Jane", "last_name",
                                  "Doé"));
    json_object_set_new(out, "body_measurement",
                        json_pack("{s:{s:f,s:f,s:i}}", "me", "height_meter", 1.8288,
                                  "weight_kilogram", 90.7185, "max_heart_rate", 200));
    return fake_json(resp, 200, out);
}

static int admin_locked(const char *action, struct fake_request *req, struct fake_response *resp)
{
    int r = resource_index(fake_arg(req, "resource"));
    struct rec *x_for_conform = NULL;
    if (!strcmp(action, "score-pending"))
        return score_pending(resp);
    if (!strcmp(action, "dump"))
        return dump(resp);
    /* The conformance suite's upstream change: the latest workout re-scored
     * or deleted, inside the days a plain sync lists again. */
    if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete")) {
        struct rec *w = NULL;
        for (size_t i = 0; i < recs[R_WORKOUTS].n; i++)
            if (!recs[R_WORKOUTS].v[i].deleted && (!w || recs[R_WORKOUTS].v[i].start > w->start))
                w = &recs[R_WORKOUTS].v[i];
        if (!w)
            return fake_error(resp, 404, "no workout");
        r = R_WORKOUTS;
        x_for_conform = w;
        action += strlen("conform-");
    }
    if (!strcmp(action, "limit")) {
        const char *m = fake_arg(req, "minute"), *d = fake_arg(req, "day");
        if (m)
            budget.minute_limit = atol(m);
        if (d)
            budget.day_limit = atol(d);
        budget.minute_used = budget.day_used = 0;
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    if (!strcmp(action, "add-workout")) {
        const char *ago = fake_arg(req, "days_ago");
        long d = fake_day_count() - 1 - (ago ? atol(ago) : 0);
        uint64_t s = fake_hash((uint64_t)d, 0xadd0 + clock_tick);
        add_workout(d, &s, 1 + (int)(clock_tick / 60));
        touch(&recs[R_WORKOUTS].v[recs[R_WORKOUTS].n - 1]);
        return fake_json(resp, 200,
                         json_pack("{s:s}", "id", recs[R_WORKOUTS].v[recs[R_WORKOUTS].n - 1].id));
    }
    struct rec *x = x_for_conform ? x_for_conform : find(r, fake_arg(req, "id"));
    if (!x)
        return fake_error(resp, 404, "no such record");
    if (!strcmp(action, "delete")) {
        x->deleted = true;
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    if (!strcmp(action, "rescore")) {
        uint64_t s = fake_hash((uint64_t)clock_tick, 0x7e5c);
        json_object_set_new(x->doc, "score", new_score(r, x, &s));
        json_object_set_new(x->doc, "score_state", json_string("SCORED"));
        touch(x);
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    return fake_error(resp, 404, "no admin action whoop/%s", action);
}

static int whoop_admin(const char *action, struct fake_request *req, struct fake_response *resp)
{
    fake_lock();
    int rc = admin_locked(action, req, resp);
    fake_unlock();
    return rc;
}

static const struct fake_provider fake_whoop = {
    .name = "whoop",
    .prefix = "/whoop",
    .init = whoop_init,
    .handle = whoop_handle,
    .admin = whoop_admin,
    .client_config = "client_id = \"fake-whoop-client\"\n"
                     "client_secret = \"fake-whoop-SECRET-4a7d\"\n"
                     "redirect_uri = \"http://localhost:@PORT@/callback\"\n"
                     "authorize_url = \"@URL@/whoop/oauth/oauth2/auth\"\n"
                     "token_url = \"@URL@/whoop/oauth/oauth2/token\"\n"
                     "base_url = \"@URL@/whoop/developer\"\n",
};
FAKE_PROVIDER(fake_whoop)

