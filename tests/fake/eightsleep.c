/* fake/eightsleep.c: the unofficial Eight Sleep API the mobile app uses:
 * auth-api.8slp.net/v1/tokens and client-api.8slp.net/v1, both under
 * /eightsleep here.
 *
 * Shapes as public clients of the API record them (pyEight, the Home
 * Assistant integration, eight_sleep_client's API notes): a password grant
 * answering {access_token, token_type, expires_in, refresh_token, userId};
 * a wrong password is 400 {"status":400,"code":"BadRequest","error":
 * "invalid_grant"}, a wrong client pair 401; /users/me and /users/<id> as
 * {"user":{userId, ..., currentDevice, devices}}; /devices/<id> as
 * {"result":{deviceId, leftUserId, rightUserId, awaySides?...}}; trends as
 * {"days":[...]} for local days from..to inclusive (full interval objects
 * under `sessions` with include-all-sessions=true); intervals newest first,
 * 10 a page, {"next": base64 {"v","lastEventTs"}, "intervals":[...]}, with
 * `next` absent on the last page.  An unknown or expired token is 401.
 *
 * One account: the logged-in user sleeps on the left of the main Pod, a
 * partner on the right; a guest-room Pod is the user's alone.  A night per
 * user on fake_opt.density of the days, none yet for today.
 *
 * Admin actions (POST /_admin/eightsleep/<action>):
 *   ids                     {"left": user id, "right": partner id}
 *   add-night?user=&day=    a night (user = left|right|<id>, day default today)
 *   edit-night?user=&day=   rescore a night (its session gets editDate)
 *   delete-night?user=&day= delete a night (trend day and session go away)
 *   expire-tokens?after=N   revoke every token at the N-th next API request (0: now)
 *   burst5xx?n=N            answer the next N requests 503
 *   break-trends?on=1|0     `days` becomes an object (an API change)
 *   break-device?on=1|0     the guest pod's reply has no `result` (an API change) */
#include "fake.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUSERS 2
#define PAGE_SIZE 10

struct sleeper {
    char id[40];
    const char *email, *first, *last, *side;
};

struct night {
    int user;
    char day[16];
    time_t start, end; /* presence */
    int score;
    bool deleted;
    time_t edited_at; /* 0 = never */
};

static struct sleeper sleepers[NUSERS];
static char main_pod[40], guest_pod[40];
static struct night *nights;
static size_t nnights, capnights;
static time_t clock_tick;
static long revoke_after; /* > 0: API requests until every token is revoked */
static long burst5xx;
static bool broken_trends, broken_device;

/* ---- data ---- */

static void hex_id(char out[40], uint64_t a, uint64_t b)
{
    snprintf(out, 40, "%016llx%016llx", (unsigned long long)fake_hash(a, b),
             (unsigned long long)fake_hash(b, a));
}

static struct night *night_add(int user, time_t day_start, uint64_t seed)
{
    if (nnights == capnights) {
        capnights = capnights ? capnights * 2 : 512;
        nights = realloc(nights, capnights * sizeof *nights);
    }
    struct night *n = &nights[nnights++];
    memset(n, 0, sizeof *n);
    n->user = user;
    fake_date(day_start, n->day);
    /* Into bed between 22:00 and midnight the evening before, 6.5-8.5 h. */
    n->start = day_start - 7200 + (time_t)(fake_hash(seed, 1) % 7200) / 60 * 60;
    n->end = n->start + 23400 + (time_t)(fake_hash(seed, 2) % 7200) / 60 * 60;
    n->score = 55 + (int)(fake_hash(seed, 3) % 45);
    return n;
}

static void eightsleep_init(void)
{
    static const struct sleeper people[NUSERS] = {
        {"", FAKE_EIGHTSLEEP_EMAIL, "Zoë", "Lefèvre", "left"},
        {"", "partner@example.com", "José", "Muñoz", "right"},
    };
    for (int u = 0; u < NUSERS; u++) {
        sleepers[u] = people[u];
        hex_id(sleepers[u].id, 0xE1, (uint64_t)u);
    }
    hex_id(main_pod, 0xDE, 1);
    hex_id(guest_pod, 0xDE, 2);
    uint64_t rng = fake_opt.seed ^ 0xE165;
    long days = fake_day_count();
    /* Today's night is still being processed: none yet (add-night makes one). */
    for (long d = 0; d + 1 < days; d++)
        for (int u = 0; u < NUSERS; u++)
            if (fake_uniform(&rng) < fake_opt.density)
                night_add(u, fake_day_start(d), (uint64_t)d * 2 + (uint64_t)u);
    clock_tick = fake_opt.now;
}

static int user_index(const char *id)
{
    if (id && !strcmp(id, "me"))
        return 0;
    for (int u = 0; id && u < NUSERS; u++)
        if (!strcmp(sleepers[u].id, id) || !strcmp(sleepers[u].side, id))
            return u;
    return -1;
}

static struct night *find_night(int user, const char *day)
{
    for (size_t i = 0; day && i < nnights; i++)
        if (nights[i].user == user && !nights[i].deleted && !strcmp(nights[i].day, day))
            return &nights[i];
    return NULL;
}

/* ---- JSON ---- */

/* 2026-03-28T07:41:00.000Z, as the API writes times. */
static json_t *api_time(time_t t)
{
    char iso[32], out[40];
    fake_iso(t, iso);
    snprintf(out, sizeof out, "%.19s.000Z", iso);
    return json_string(out);
}

static void set(json_t *o, const char *key, json_t *v)
{
    json_object_set_new(o, key, v);
}

static json_t *user_json(int u)
{
    const struct sleeper *s = &sleepers[u];
    json_t *o = json_object();
    set(o, "userId", json_string(s->id));
    set(o, "email", json_string(s->email));
    set(o, "firstName", json_string(s->first));
    set(o, "lastName", json_string(s->last));
    set(o, "gender", json_string(u ? "male" : "female"));
    set(o, "tempPreference", json_string(u ? "warm" : "cool"));
    set(o, "dob", json_string(u ? "1985-11-23T00:00:00.000Z" : "1988-04-02T00:00:00.000Z"));
    set(o, "zip", json_integer(94105));
    set(o, "emailVerified", json_true());
    set(o, "sharingMetricsTo", json_pack("[s]", sleepers[1 - u].id));
    set(o, "sharingMetricsFrom", json_pack("[s]", sleepers[1 - u].id));
    set(o, "notifications",
        json_pack("{s:b,s:b,s:b}", "weeklyReportEmail", 1, "sessionProcessed", 1, "bedtimeReminder",
                  u));
    set(o, "displaySettings",
        json_pack("{s:b,s:s,s:s,s:s}", "useRealTemperatures", 0, "locale", u ? "es-ES" : "fr-FR",
                  "clockSystem", "24-hour", "measurementSystem", "metric"));
    set(o, "createdAt", api_time(fake_day_start(0) - 86400 * 30));
    set(o, "experimentalFeatures", json_false());
    set(o, "autopilotEnabled", json_boolean(!u));
    set(o, "sleepTracking", json_pack("{s:o}", "enabledSince", api_time(fake_day_start(0))));
    set(o, "features",
        json_pack("[s,s,s,s,s]", "warming", "cooling", "vibration", "tapControls", "alarms"));
    set(o, "currentDevice",
        json_pack("{s:s,s:s,s:s,s:s}", "id", main_pod, "side", s->side, "timeZone", "Europe/Lisbon",
                  "specialization", "pod"));
    set(o, "hotelGuest", json_false());
    set(o, "devices", u ? json_pack("[s]", main_pod) : json_pack("[s,s]", main_pod, guest_pod));
    return json_pack("{s:o}", "user", o);
}

static json_t *device_json(bool guest)
{
    json_t *r = json_object();
    set(r, "deviceId", json_string(guest ? guest_pod : main_pod));
    set(r, "ownerId", json_string(sleepers[0].id));
    set(r, "leftUserId", json_string(sleepers[0].id));
    set(r, "rightUserId", json_string(sleepers[guest ? 0 : 1].id));
    set(r, "leftHeatingLevel", json_integer(-20));
    set(r, "leftTargetHeatingLevel", json_integer(-10));
    set(r, "leftNowHeating", json_false());
    set(r, "rightHeatingLevel", json_integer(guest ? -20 : 15));
    set(r, "rightTargetHeatingLevel", json_integer(guest ? -10 : 20));
    set(r, "rightNowHeating", json_boolean(!guest));
    set(r, "priming", json_false());
    set(r, "needsPriming", json_false());
    set(r, "hasWater", json_true());
    set(r, "ledBrightnessLevel", json_integer(30));
    set(r, "sensorInfo",
        json_pack("{s:s,s:s,s:s,s:i,s:b}", "label", guest ? "guest" : "main", "skuName", "queen",
                  "model", guest ? "Pod3" : "Pod4", "version", guest ? 3 : 4, "connected", 1));
    set(r, "timezone", json_string("Europe/Lisbon"));
    set(r, "firmwareVersion", json_string("2.5.12"));
    set(r, "firmwareUpdated", json_true());
    set(r, "lastHeard", api_time(fake_opt.now));
    set(r, "online", json_true());
    set(r, "features", json_pack("[s,s,s]", "warming", "cooling", "alarms"));
    set(r, "modelString", json_string(guest ? "Pod 3" : "Pod 4"));
    set(r, "wifiInfo", json_pack("{s:i,s:s}", "signalStrength", -53, "ssid", "Maison 🏠"));
    /* The API lists awaySides only while someone is away. */
    if (guest)
        set(r, "awaySides", json_pack("{s:s}", "rightUserId", sleepers[0].id));
    return json_pack("{s:o}", "result", r);
}

/* [[time, value], ...]: four readings across the night. */
static json_t *series(const struct night *n, double base, double step)
{
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(
            a,
            json_pack("[o,f]", api_time(n->start + (n->end - n->start) * i / 4), base + step * i));
    return a;
}

static uint64_t night_seed(const struct night *n)
{
    return (uint64_t)n->start * 2 + (uint64_t)n->user;
}

static json_t *stages_json(const struct night *n, long *deep, long *rem, long *light)
{
    static const char *const cycle[] = {"awake", "light", "deep", "light", "rem"};
    long total = (long)(n->end - n->start), used = 0;
    *deep = *rem = *light = 0;
    json_t *a = json_array();
    for (int i = 0; used < total; i++) {
        long d = 600 + (long)(fake_hash(night_seed(n), (uint64_t)i + 10) % 30) * 60;
        if (d > total - used)
            d = total - used;
        const char *stage = cycle[i % 5];
        *deep += !strcmp(stage, "deep") ? d : 0;
        *rem += !strcmp(stage, "rem") ? d : 0;
        *light += !strcmp(stage, "light") ? d : 0;
        json_array_append_new(a, json_pack("{s:s,s:i}", "stage", stage, "duration", (int)d));
        used += d;
    }
    return a;
}

static char *session_id(const struct night *n, char out[24])
{
    snprintf(out, 24, "%lld", (long long)n->start);
    return out;
}

/* One sleep session, as /intervals and the trends' `sessions` carry it. */
static json_t *interval_json(const struct night *n)
{
    char id[24];
    long deep, rem, light;
    json_t *stages = stages_json(n, &deep, &rem, &light);
    long total = (long)(n->end - n->start);
    json_t *o = json_object();
    set(o, "id", json_string(session_id(n, id)));
    set(o, "deviceTimeAtUpdate", api_time(n->edited_at ? n->edited_at : n->end + 120));
    set(o, "ts", api_time(n->start));
    set(o, "sleepStart", api_time(n->start + 720));
    set(o, "sleepEnd", api_time(n->end - 60));
    set(o, "presenceEnd", api_time(n->end));
    set(o, "duration", json_integer(total));
    set(o, "score", json_integer(n->score));
    set(o, "timezone", json_string("Europe/Lisbon"));
    set(o, "device",
        json_pack("{s:s,s:s,s:s}", "id", main_pod, "side", sleepers[n->user].side, "specialization",
                  "pod"));
    set(o, "sleepAlgorithmVersion", json_string("0.1.1"));
    set(o, "presenceAlgorithmVersion", json_string("3.2.1"));
    set(o, "hrvAlgorithmVersion", json_string("1.1.0"));
    set(o, "stages", stages);
    set(o, "snoring",
        json_pack("[{s:s,s:i},{s:s,s:i}]", "intensity", "none", "duration", (int)total - 300,
                  "intensity", "light", "duration", 300));
    set(o, "stageSummary",
        json_pack("{s:i,s:i,s:i,s:i,s:i}", "totalDuration", (int)total, "sleepDuration",
                  (int)(deep + rem + light), "lightDuration", (int)light, "deepDuration", (int)deep,
                  "remDuration", (int)rem));
    json_t *ts = json_object();
    set(ts, "tnt", series(n, 1, 0));
    set(ts, "tempRoomC", series(n, 19.5, -0.25));
    set(ts, "tempBedC", series(n, 31.0, 0.5));
    set(ts, "respiratoryRate", series(n, 14.0, -0.5));
    set(ts, "heartRate", series(n, 58.0, -2.0));
    set(ts, "hrv", series(n, 32.0, 1.5));
    set(o, "timeseries", ts);
    if (n->edited_at) {
        set(o, "edit", json_true());
        set(o, "editDate", api_time(n->edited_at));
    }
    return o;
}

static json_t *score_part(long current, long average, int score)
{
    return json_pack("{s:I,s:I,s:i}", "current", (json_int_t)current, "average",
                     (json_int_t)average, "score", score);
}

/* One night of /trends (model v2). */
static json_t *trend_day_json(const struct night *n, bool with_sessions)
{
    char id[24];
    long deep, rem, light;
    json_decref(stages_json(n, &deep, &rem, &light));
    long sleep = deep + rem + light, presence = (long)(n->end - n->start);
    uint64_t seed = night_seed(n);
    json_t *o = json_object();
    set(o, "day", json_string(n->day));
    set(o, "presenceDuration", json_integer(presence));
    set(o, "sleepDuration", json_integer(sleep));
    set(o, "remDuration", json_integer(rem));
    set(o, "lightDuration", json_integer(light));
    set(o, "deepDuration", json_integer(deep));
    set(o, "snoreDuration", json_integer(300));
    set(o, "presenceStart", api_time(n->start));
    set(o, "presenceEnd", api_time(n->end));
    set(o, "sleepStart", api_time(n->start + 720));
    set(o, "sleepEnd", api_time(n->end - 60));
    set(o, "tnt", json_integer(20 + (int)(seed % 40)));
    set(o, "mainSessionId", json_string(session_id(n, id)));
    set(o, "sessionIds", json_pack("[s]", id));
    set(o, "incomplete", json_false());
    set(o, "tags",
        seed % 5 ? json_array()
                 : json_pack("[{s:s,s:s,s:b,s:s}]", "id", "caffeine", "name", "Café tardío ☕",
                             "value", 1, "source", "user-input"));
    set(o, "score", json_integer(n->score));
    set(o, "sleepQualityScore",
        json_pack("{s:i,s:o,s:o,s:o}", "total", n->score + 3, "sleepDurationSeconds",
                  score_part(sleep, 25200, 80), "heartRate", score_part(54, 56, 85), "hrv",
                  score_part(30, 28, 70)));
    set(o, "sleepRoutineScore",
        json_pack("{s:i,s:{s:s,s:s,s:i},s:o,s:o}", "total", n->score - 5, "wakeupConsistency",
                  "current", "07:12:00", "average", "07:05:00", "score", 90, "latencyAsleepSeconds",
                  score_part(720, 900, 75), "latencyOutSeconds", score_part(60, 300, 95)));
    if (with_sessions)
        set(o, "sessions", json_pack("[o]", interval_json(n)));
    return o;
}

/* ---- API ---- */

static int api_error(struct fake_response *resp, int status, const char *code, const char *error)
{
    return fake_json(resp, status,
                     json_pack("{s:i,s:s,s:s}", "status", status, "code", code, "error", error));
}

static bool json_field_is(const json_t *o, const char *key, const char *want)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && !strcmp(v, want);
}

static int handle_tokens(struct fake_request *req, struct fake_response *resp)
{
    if (strcmp(req->method, "POST"))
        return api_error(resp, 405, "MethodNotAllowed", "POST is required");
    const json_t *b = req->json;
    static const char *const fields[] = {"client_id", "client_secret", "grant_type", "username",
                                         "password"};
    for (size_t i = 0; i < 5; i++)
        if (!json_is_string(json_object_get(b, fields[i])))
            return api_error(resp, 400, "BadRequest",
                             "\"value\" does not match any of the allowed types");
    if (!json_field_is(b, "grant_type", "password"))
        return api_error(resp, 400, "BadRequest", "unsupported_grant_type");
    if (!json_field_is(b, "client_id", FAKE_EIGHTSLEEP_CLIENT_ID) ||
        !json_field_is(b, "client_secret", FAKE_EIGHTSLEEP_CLIENT_SECRET))
        return api_error(resp, 401, "Unauthorized", "invalid_client");
    if (!json_field_is(b, "username", FAKE_EIGHTSLEEP_EMAIL) ||
        !json_field_is(b, "password", FAKE_EIGHTSLEEP_PASSWORD))
        return api_error(resp, 400, "BadRequest", "invalid_grant");
    struct fake_token tok;
    fake_issue_token("eightsleep", &tok);
    return fake_json(resp, 200,
                     json_pack("{s:s,s:s,s:i,s:s,s:s}", "access_token", tok.access, "token_type",
                               "bearer", "expires_in", fake_opt.token_ttl, "refresh_token",
                               tok.refresh, "userId", sleepers[0].id));
}

static int handle_trends(struct fake_request *req, struct fake_response *resp, int user)
{
    const char *tz = fake_arg(req, "tz"), *from = fake_arg(req, "from"), *to = fake_arg(req, "to");
    time_t t;
    if (!tz || !*tz)
        return api_error(resp, 400, "BadRequest", "\"tz\" is required");
    if (fake_parse_time(from, &t) < 0 || fake_parse_time(to, &t) < 0 || strlen(from) != 10 ||
        strlen(to) != 10 || strcmp(from, to) > 0)
        return api_error(resp, 400, "BadRequest", "\"from\" and \"to\" must be dates, from <= to");
    const char *all = fake_arg(req, "include-all-sessions");
    bool with_sessions = all && !strcmp(all, "true");
    json_t *days = json_array();
    for (size_t i = 0; i < nnights; i++) {
        const struct night *n = &nights[i];
        if (n->user == user && !n->deleted && strcmp(n->day, from) >= 0 && strcmp(n->day, to) <= 0)
            json_array_append_new(days, trend_day_json(n, with_sessions));
    }
    if (broken_trends) {
        json_decref(days);
        days = json_pack("{s:b}", "moved", 1);
    }
    return fake_json(resp, 200, json_pack("{s:o}", "days", days));
}

static int cmp_start_desc(const void *a, const void *b)
{
    const struct night *x = *(struct night *const *)a, *y = *(struct night *const *)b;
    return x->start < y->start ? 1 : x->start > y->start ? -1 : 0;
}

static char *encode_cursor(time_t last)
{
    char json[96];
    char iso[32];
    fake_iso(last, iso);
    snprintf(json, sizeof json, "{\"v\":\"1\",\"lastEventTs\":\"%.19s.000Z\"}", iso);
    char *out = malloc(4 * sizeof json / 3 + 4);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)json, (int)strlen(json));
    return out;
}

/* The cursor's lastEventTs, or -1 when it is not one we issued. */
static int decode_cursor(const char *cursor, time_t *out)
{
    unsigned char raw[256];
    size_t len = strlen(cursor);
    if (len == 0 || len % 4 || len > 4 * (sizeof raw - 1) / 3)
        return -1;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)cursor, (int)len);
    if (n < 0)
        return -1;
    raw[n] = '\0';
    json_t *c = json_loads((const char *)raw, JSON_DISABLE_EOF_CHECK, NULL);
    int rc = fake_parse_time(json_string_value(json_object_get(c, "lastEventTs")), out);
    json_decref(c);
    return rc;
}

static int handle_intervals(struct fake_request *req, struct fake_response *resp, int user)
{
    time_t before = (time_t)1 << 62;
    const char *cursor = fake_arg(req, "next");
    if (cursor && decode_cursor(cursor, &before) < 0)
        return api_error(resp, 400, "BadRequest", "Invalid cursor");
    struct night **v = malloc((nnights + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < nnights; i++)
        if (nights[i].user == user && !nights[i].deleted && nights[i].start < before)
            v[n++] = &nights[i];
    qsort(v, n, sizeof *v, cmp_start_desc);
    json_t *page = json_array();
    for (size_t i = 0; i < n && i < PAGE_SIZE; i++)
        json_array_append_new(page, interval_json(v[i]));
    json_t *body = json_object();
    if (n > PAGE_SIZE) {
        char *next = encode_cursor(v[PAGE_SIZE - 1]->start);
        set(body, "next", json_string(next));
        free(next);
    }
    set(body, "intervals", page);
    free(v);
    return fake_json(resp, 200, body);
}

/* /v1/users/<id>[/trends|/intervals] */
static int handle_users(struct fake_request *req, struct fake_response *resp, const char *rest)
{
    char id[64];
    size_t len = strcspn(rest, "/");
    snprintf(id, sizeof id, "%.*s", (int)(len < sizeof id ? len : sizeof id - 1), rest);
    const char *sub = rest + len;
    int user = user_index(id);
    if (user < 0 || !strcmp(id, "left") || !strcmp(id, "right"))
        return api_error(resp, 404, "NotFound", "User not found");
    if (!*sub)
        return fake_json(resp, 200, user_json(user));
    if (!strcmp(sub, "/trends"))
        return handle_trends(req, resp, user);
    if (!strcmp(sub, "/intervals"))
        return handle_intervals(req, resp, user);
    return api_error(resp, 404, "NotFound", "Not Found");
}

static int handle_device(struct fake_response *resp, const char *id)
{
    if (strcmp(id, main_pod) && strcmp(id, guest_pod))
        return api_error(resp, 404, "NotFound", "Device not found");
    bool guest = !strcmp(id, guest_pod);
    if (guest && broken_device)
        return fake_json(resp, 200, json_pack("{s:o}", "device", device_json(true)));
    return fake_json(resp, 200, device_json(guest));
}

/* Counts a request towards expire-tokens?after=N; true once they are revoked. */
static bool revoke_due(void)
{
    fake_lock();
    bool due = revoke_after == 1;
    if (revoke_after > 0)
        revoke_after--;
    fake_unlock();
    return due;
}

static bool burst_due(void)
{
    fake_lock();
    bool due = burst5xx > 0;
    if (due)
        burst5xx--;
    fake_unlock();
    return due;
}

static int eightsleep_handle(struct fake_request *req, struct fake_response *resp)
{
    if (burst_due())
        return fake_text(
            resp, 503, "text/html",
            "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n");
    if (!strcmp(req->path, "/v1/tokens"))
        return handle_tokens(req, resp); /* reads only what init wrote */
    if (strncmp(req->path, "/v1/", 4))
        return api_error(resp, 404, "NotFound", "Not Found");
    if (revoke_due())
        fake_revoke("eightsleep");
    if (!fake_token_valid("eightsleep", fake_bearer(req)))
        return api_error(resp, 401, "Unauthorized", "Unauthorized");
    fake_lock();
    if (!strncmp(req->path, "/v1/users/", 10))
        handle_users(req, resp, req->path + 10);
    else if (!strncmp(req->path, "/v1/devices/", 12))
        handle_device(resp, req->path + 12);
    else
        api_error(resp, 404, "NotFound", "Not Found");
    fake_unlock();
    return 0;
}

/* ---- admin ---- */

static int night_info(struct fake_response *resp, const struct night *n)
{
    char id[24];
    return fake_json(resp, 200,
                     json_pack("{s:s,s:s,s:s,s:i}", "user", sleepers[n->user].id, "day", n->day,
                               "id", session_id(n, id), "score", n->score));
}

static int admin_night(const char *action, struct fake_request *req, struct fake_response *resp)
{
    int user = user_index(fake_arg(req, "user"));
    char today[16];
    fake_date(fake_opt.now, today);
    const char *day = fake_arg(req, "day") ? fake_arg(req, "day") : today;
    time_t day_start;
    if (user < 0 || fake_parse_time(day, &day_start) < 0)
        return fake_error(resp, 400, "need user=left|right|<id> and day=YYYY-MM-DD");
    struct night *n = find_night(user, day);
    clock_tick += 60;
    if (!strcmp(action, "add-night")) {
        if (n)
            return fake_error(resp, 409, "%s already has a night on %s", sleepers[user].id, day);
        n = night_add(user, day_start - day_start % 86400, (uint64_t)clock_tick);
        return night_info(resp, n);
    }
    if (!n)
        return fake_error(resp, 404, "no night on %s", day);
    if (!strcmp(action, "edit-night")) {
        n->score = (n->score + 7) % 100;
        n->edited_at = clock_tick;
    } else {
        n->deleted = true;
    }
    return night_info(resp, n);
}

/* Sets a knob from a query parameter (default when absent). */
static int admin_knob(struct fake_request *req, struct fake_response *resp, const char *name,
                      long *knob, long fallback)
{
    const char *v = fake_arg(req, name);
    fake_lock();
    *knob = v ? atol(v) : fallback;
    fake_unlock();
    return fake_json(resp, 200, json_pack("{s:I}", name, (json_int_t)*knob));
}

/* Every record a complete listing returns (the conformance suite's exact
 * check): the snapshots as the client stores them (whole replies) and
 * every night's trend day and session.  Under fake_lock. */
static int dump(struct fake_response *resp)
{
    json_t *trends = json_array(), *intervals = json_array();
    for (size_t i = 0; i < nnights; i++)
        if (!nights[i].deleted) {
            json_array_append_new(trends, trend_day_json(&nights[i], true));
            json_array_append_new(intervals, interval_json(&nights[i]));
        }
    return fake_json(resp, 200,
                     json_pack("{s:[o],s:[o,o],s:[o,o],s:o,s:o}", "users_me", user_json(0),
                               "devices", device_json(false), device_json(true), "users",
                               user_json(0), user_json(1), "trends", trends, "intervals",
                               intervals));
}

/* The conformance suite's upstream change: the user's latest night
 * rescored (edit) or deleted, inside the days a plain sync lists again. */
static int conform(struct fake_response *resp, bool delete)
{
    struct night *latest = NULL;
    for (size_t i = 0; i < nnights; i++)
        if (nights[i].user == 0 && !nights[i].deleted &&
            (!latest || strcmp(nights[i].day, latest->day) > 0))
            latest = &nights[i];
    if (!latest)
        return fake_error(resp, 404, "no night");
    clock_tick += 60;
    if (delete) {
        latest->deleted = true;
    } else {
        latest->score = (latest->score + 7) % 100;
        latest->edited_at = clock_tick;
    }
    return fake_json(resp, 200, json_pack("{s:b}", "plain_sync_sees_it", 1));
}

static int eightsleep_admin(const char *action, struct fake_request *req,
                            struct fake_response *resp)
{
    if (!strcmp(action, "expire-tokens")) {
        admin_knob(req, resp, "after", &revoke_after, 0);
        if (revoke_after == 0)
            fake_revoke("eightsleep");
        return 0;
    }
    if (!strcmp(action, "burst5xx"))
        return admin_knob(req, resp, "n", &burst5xx, 1);
    fake_lock();
    if (!strcmp(action, "dump")) {
        dump(resp);
    } else if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete")) {
        conform(resp, !strcmp(action, "conform-delete"));
    } else if (!strcmp(action, "ids")) {
        fake_json(resp, 200,
                  json_pack("{s:s,s:s,s:s,s:s}", "left", sleepers[0].id, "right", sleepers[1].id,
                            "main_pod", main_pod, "guest_pod", guest_pod));
    } else if (!strcmp(action, "add-night") || !strcmp(action, "edit-night") ||
               !strcmp(action, "delete-night")) {
        admin_night(action, req, resp);
    } else if (!strcmp(action, "break-trends")) {
        const char *on = fake_arg(req, "on");
        broken_trends = !on || atoi(on) != 0;
        fake_json(resp, 200, json_pack("{s:b}", "on", broken_trends));
    } else if (!strcmp(action, "break-device")) {
        const char *on = fake_arg(req, "on");
        broken_device = !on || atoi(on) != 0;
        fake_json(resp, 200, json_pack("{s:b}", "on", broken_device));
    } else {
        fake_error(resp, 404, "no admin action %s", action);
    }
    fake_unlock();
    return 0;
}

static const struct fake_provider fake_eightsleep = {
    .name = "eightsleep",
    .prefix = "/eightsleep",
    .init = eightsleep_init,
    .handle = eightsleep_handle,
    .admin = eightsleep_admin,
    .client_config = "email = \"sleeper@example.com\"\n"
                     "password = \"fake-eightsleep-SECRET-pw\"\n"
                     "client_id = \"fake-eightsleep-client\"\n"
                     "client_secret = \"fake-eightsleep-SECRET-0b3c\"\n"
                     "auth_url = \"@URL@/eightsleep/v1/tokens\"\n"
                     "client_api_url = \"@URL@/eightsleep/v1\"\n",
};
FAKE_PROVIDER(fake_eightsleep)

