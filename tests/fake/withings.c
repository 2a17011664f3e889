/* fake/withings.c: the Withings Health Data API (wbsapi.withings.net) and its
 * OAuth2 authorize page (account.withings.com), at the host root.
 *
 * As documented at developer.withings.com: every answer is HTTP 200 with the
 * outcome in the body, {"status": 0, "body": {...}} or {"status": N, "body":
 * {}, "error": "..."}: 401 for an invalid or expired token, 503 "Invalid
 * Params", 601 when the application sends more than 120 requests a minute,
 * 2554 for an unknown action.  Token calls are signed: the client fetches a
 * nonce (Signature v2 getnonce, valid 30 minutes, single use) and signs
 * "action,client_id,nonce|timestamp" with HMAC-SHA256 keyed by the client
 * secret.  Authorization codes live 30 s and are single use; refresh tokens
 * rotate.  Lists page with `more` + `offset` and filter with `lastupdate`
 * (items modified since).  Sleep v2 Get answers at most the 24 h after
 * startdate.  In the fake, a "minute" lasts 60 s times
 * HEALTH_SYNC_SLEEP_SCALE (as the client's waits do in tests).
 *
 * Admin actions (POST /_admin/withings/<action>):
 *   add-measure            a new weigh-in now         -> {"grpid": N}
 *   edit-measure?grpid=N   change its weight (modified moves)
 *   delete-measure?grpid=N delete the group (no feed: only a full pass sees it)
 *   expire-tokens          every access token issued so far answers 401
 *   burst601?n=N           the next N data calls answer status 601
 *   burst?status=S&n=N     the next N data calls answer status S
 * The unsigned token variant (client_secret in the form) works as upstream
 * but is counted under the stats path "client_secret sent". */
#include "fake.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 100
#define RATE_LIMIT 120
#define NONCE_TTL 1800
#define CODE_TTL 30
#define SLEEP_GET_MAX 86400
#define FIRST_GRPID 5000000000LL /* group ids exceed 2^32 */
#define FIRST_WORKOUT_ID 5400000000LL

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ data */

struct measure {
    int type;
    long long value;
    int unit;
};

struct group {
    long long grpid;
    int attrib, category;
    time_t date, created, modified;
    bool manual;
    const char *comment;
    struct measure m[16];
    int nm;
    bool deleted;
};

static struct group *groups;
static size_t ngroups, capgroups;
static time_t started_at;   /* wall clock at start */
static time_t last_change;  /* mutation times only move forward */
static double minute_scale = 1.0;

static const char device_hash[] = "3b4a1f0c9d2e8a7b6c5d4e3f2a1b0c9d8e7f6a5b";
static const char tracker_hash[] = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d";
static const char sleep_hash[] = "c0ffee00d15ea5e5b0a710ad5ca1ab1e00ddba11";

/* The fake's current time: its "now" plus the wall-clock time since start. */
static time_t clock_now(void)
{
    return fake_opt.now + (time(NULL) - started_at);
}

static time_t next_change_time(void)
{
    time_t t = clock_now();
    last_change = t > last_change ? t : last_change + 1;
    return last_change;
}

static struct group *group_add(void)
{
    if (ngroups == capgroups) {
        capgroups = capgroups ? capgroups * 2 : 512;
        groups = realloc(groups, capgroups * sizeof *groups);
    }
    struct group *g = &groups[ngroups++];
    memset(g, 0, sizeof *g);
    g->category = 1;
    return g;
}

static void measure_add(struct group *g, int type, long long value, int unit)
{
    if (g->nm < (int)(sizeof g->m / sizeof g->m[0]))
        g->m[g->nm++] = (struct measure){type, value, unit};
}

/* A Body Scan weigh-in: weight (g), fat ratio, fat/fat-free/muscle/bone
 * mass, hydration, and the types outside the Python tool's list of 17
 * (which only a request without a type filter returns, as upstream):
 * visceral fat 170, extra-/intracellular water 168/169, basal metabolic
 * rate 226, metabolic age 227, vascular age 155, nerve health score 167.
 * The newer values come from a stream of their own, so the older ones stay
 * what they were. */
static void scale_measures(struct group *g, double kg, uint64_t *rng)
{
    double fat_ratio = 21.0 + fake_uniform(rng) * 3.0;
    double fat = kg * fat_ratio / 100;
    measure_add(g, 1, (long long)(kg * 1000), -3);
    measure_add(g, 6, (long long)(fat_ratio * 1000), -3);
    measure_add(g, 8, (long long)(fat * 1000), -3);
    measure_add(g, 5, (long long)((kg - fat) * 1000), -3);
    measure_add(g, 76, (long long)((kg - fat) * 0.94 * 1000), -3);
    measure_add(g, 77, (long long)(kg * 0.55 * 1000), -3);
    measure_add(g, 88, (long long)(3100 + fake_rand(rng) % 200), -3);
    measure_add(g, 170, (long long)(70 + fake_rand(rng) % 30), -1);
    uint64_t newer = fake_hash((uint64_t)g->grpid, 0xB0D75CA);
    double water = kg * 0.55;
    measure_add(g, 168, (long long)(water * 0.41 * 1000), -3);
    measure_add(g, 169, (long long)(water * 0.59 * 1000), -3);
    measure_add(g, 226, (long long)(1650 + fake_rand(&newer) % 120), 0);
    measure_add(g, 227, (long long)(33 + fake_rand(&newer) % 8), 0);
    measure_add(g, 155, (long long)(36 + fake_rand(&newer) % 6), 0);
    measure_add(g, 167, (long long)(60 + fake_rand(&newer) % 25), 0);
}

static void add_first_day_groups(void)
{
    time_t day0 = fake_day_start(0);
    struct group *g = group_add();
    g->grpid = FIRST_GRPID;
    g->attrib = 2;
    g->manual = true;
    g->date = day0 + 9 * 3600;
    g->created = g->modified = g->date + 30;
    g->comment = "Taille mesurée à la maison — pieds nus 📏";
    measure_add(g, 4, 1780, -3);
    g = group_add(); /* a goal (category 2): not a measure */
    g->grpid = FIRST_GRPID + 1;
    g->attrib = 2;
    g->category = 2;
    g->manual = true;
    g->date = day0 + 9 * 3600 + 60;
    g->created = g->modified = g->date + 30;
    measure_add(g, 1, 75000, -3);
}

static void add_day_groups(long d)
{
    uint64_t rng = fake_hash((uint64_t)d, 0x3EA5);
    if (fake_uniform(&rng) > fake_opt.density)
        return;
    time_t day = fake_day_start(d);
    double kg = 79.0 - 0.004 * (double)d + (fake_uniform(&rng) - 0.5) * 0.8;
    time_t at = day + 6 * 3600 + (time_t)(fake_rand(&rng) % 5400);
    if (at <= fake_opt.now && fake_uniform(&rng) < 0.8) {
        struct group *g = group_add();
        g->grpid = FIRST_GRPID + 10 * d + 10;
        g->date = at;
        g->created = g->modified = at + 40;
        scale_measures(g, kg, &rng);
    }
    at = day + 19 * 3600 + (time_t)(fake_rand(&rng) % 3600);
    if (at <= fake_opt.now && fake_uniform(&rng) < 0.25) {
        struct group *g = group_add();
        g->grpid = FIRST_GRPID + 10 * d + 11;
        g->attrib = d % 7 == 0 ? 5 : 0;
        g->date = at;
        g->created = g->modified = at + 25;
        measure_add(g, 9, 72 + (long long)(fake_rand(&rng) % 16), 0);
        measure_add(g, 10, 112 + (long long)(fake_rand(&rng) % 22), 0);
        measure_add(g, 11, 58 + (long long)(fake_rand(&rng) % 20), 0);
        if (d % 3 == 0)
            measure_add(g, 54, 950 + (long long)(fake_rand(&rng) % 40), -1);
        if (d % 5 == 0)
            measure_add(g, 71, 3650 + (long long)(fake_rand(&rng) % 60), -2);
    }
}

static void withings_init(void)
{
    const char *scale = getenv("HEALTH_SYNC_SLEEP_SCALE");
    if (scale && atof(scale) > 0)
        minute_scale = atof(scale);
    started_at = time(NULL);
    last_change = fake_opt.now;
    add_first_day_groups();
    for (long d = 0; d < fake_day_count(); d++)
        add_day_groups(d);
}

/* Activity, workouts and nights are derived from the day index. */

struct night {
    long long id;
    long day;
    time_t start, end, created, modified;
    int score;
};

static bool night_of(long d, struct night *n)
{
    uint64_t rng = fake_hash((uint64_t)d, 0x51EE9);
    if (fake_uniform(&rng) > fake_opt.density * 0.95)
        return false;
    n->id = 2700000 + d;
    n->day = d;
    n->start = fake_day_start(d) - 7200 + (time_t)(fake_rand(&rng) % 3600);
    n->end = n->start + 23400 + (time_t)(fake_rand(&rng) % 7200);
    n->created = n->end + 900;
    n->modified = n->created + (fake_uniform(&rng) < 0.1 ? 3600 : 0);
    n->score = 55 + (int)(fake_rand(&rng) % 40);
    return n->modified <= fake_opt.now;
}

struct workout {
    long long id;
    long day;
    int category;
    time_t start, end, modified;
    uint64_t seed;
};

static bool workout_of(long d, struct workout *w)
{
    uint64_t rng = fake_hash((uint64_t)d, 0x30B);
    if (fake_uniform(&rng) > fake_opt.density * 0.35)
        return false;
    static const int categories[] = {1, 2, 6, 7, 16, 187};
    w->id = FIRST_WORKOUT_ID + d;
    w->day = d;
    w->category = categories[fake_rand(&rng) % 6];
    w->start = fake_day_start(d) + 17 * 3600 + (time_t)(fake_rand(&rng) % 7200);
    w->end = w->start + 1800 + (time_t)(fake_rand(&rng) % 3600);
    w->modified = w->end + 600;
    w->seed = fake_rand(&rng);
    return w->modified <= fake_opt.now;
}

static bool activity_of(long d, time_t *modified)
{
    uint64_t rng = fake_hash((uint64_t)d, 0xAC7);
    if (fake_uniform(&rng) > fake_opt.density)
        return false;
    time_t m = fake_day_start(d) + 86400 + 3600; /* the day is final an hour after it ends */
    *modified = m < fake_opt.now ? m : fake_opt.now;
    return true;
}

/* --------------------------------------------------------------- helpers */

/* fake_arg returns form values in one per-thread buffer: copy at once. */
static const char *arg(const struct fake_request *req, const char *name, char *out, size_t n)
{
    const char *v = fake_arg(req, name);
    if (!v)
        return NULL;
    snprintf(out, n, "%s", v);
    return out;
}

static bool arg_int(const struct fake_request *req, const char *name, long long *out)
{
    char v[32];
    if (!arg(req, name, v, sizeof v) || !*v || strspn(v, "0123456789") != strlen(v))
        return false;
    *out = strtoll(v, NULL, 10);
    return true;
}

static int reply_ok(struct fake_response *resp, json_t *body)
{
    return fake_json(resp, 200, json_pack("{s:i,s:o}", "status", 0, "body", body));
}

static int reply_status(struct fake_response *resp, int status, const char *error)
{
    return fake_json(resp, 200, json_pack("{s:i,s:{},s:s}", "status", status, "body", "error",
                                          error));
}

static int invalid_params(struct fake_response *resp, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Invalid Params%s%s", what ? ": " : "", what ? what : "");
    return reply_status(resp, 503, msg);
}

static void hmac_hex(const char *key, const char *msg, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &len);
    for (unsigned int i = 0; i < 32 && i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static bool signature_ok(const char *action, const char *client_id, const char *third,
                         const char *signature)
{
    char msg[512], want[65] = "";
    snprintf(msg, sizeof msg, "%s,%s,%s", action, client_id, third);
    hmac_hex(FAKE_WITHINGS_CLIENT_SECRET, msg, want);
    return signature && strcmp(signature, want) == 0;
}

/* True when name is in the comma-separated list (no list: everything). */
static bool field_wanted(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t m = strcspn(p, ",");
        if (m == n && strncmp(p, name, n) == 0)
            return true;
        p += m + (p[m] == ',');
    }
    return false;
}

/* ------------------------------------------------------ rate and faults */

static double sent_at[RATE_LIMIT];
static int sent_head, sent_count;
static int burst_left, burst_status;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 120 calls per (scaled) minute, a sliding window; true when over it. */
static bool over_rate_limit(void)
{
    double now = now_seconds(), window = 60.0 * minute_scale;
    pthread_mutex_lock(&lock);
    while (sent_count && now - sent_at[sent_head] >= window) {
        sent_head = (sent_head + 1) % RATE_LIMIT;
        sent_count--;
    }
    bool over = sent_count >= RATE_LIMIT;
    if (!over)
        sent_at[(sent_head + sent_count++) % RATE_LIMIT] = now;
    pthread_mutex_unlock(&lock);
    return over;
}

/* The status an admin burst forces on this data call, or 0. */
static int burst_take(void)
{
    pthread_mutex_lock(&lock);
    int status = burst_left > 0 ? burst_status : 0;
    if (burst_left > 0)
        burst_left--;
    pthread_mutex_unlock(&lock);
    return status;
}

static int burst_reply(struct fake_response *resp, int status)
{
    if (status == 601)
        return reply_status(resp, 601, "Too Many Requests");
    if (status == 2555)
        return reply_status(resp, 2555, "An unknown error occurred");
    return reply_status(resp, status, "Error");
}

/* ---------------------------------------------------------------- tokens */

#define MAX_KEPT 256

static struct {
    char code[48], redirect_uri[512], scope[256];
    time_t issued;
    bool used;
} codes[MAX_KEPT];
static int ncodes;

static struct {
    char nonce[48];
    time_t issued;
    bool used;
} nonces[MAX_KEPT];
static int nnonces;

static struct {
    char access[64];
    bool expired;
} issued[MAX_KEPT];
static int nissued;
static char granted_scope[256] = "user.metrics,user.activity";
static uint64_t token_serial;

static const char *const known_scopes[] = {"user.info", "user.metrics", "user.activity",
                                           "user.sleepevents", NULL};

static bool scopes_valid(const char *scope)
{
    if (!scope || !*scope)
        return false;
    for (const char *p = scope; *p;) {
        size_t m = strcspn(p, ",");
        bool known = false;
        for (const char *const *k = known_scopes; *k && !known; k++)
            known = strlen(*k) == m && strncmp(p, *k, m) == 0;
        if (!known)
            return false;
        p += m + (p[m] == ',');
    }
    return true;
}

static int authorize(struct fake_request *req, struct fake_response *resp)
{
    char scope[256] = "", redirect[512] = "", type[16] = "";
    arg(req, "scope", scope, sizeof scope);
    arg(req, "redirect_uri", redirect, sizeof redirect);
    arg(req, "response_type", type, sizeof type);
    if (strcmp(type, "code") != 0)
        return fake_text(resp, 400, "text/plain", "response_type must be code\n");
    if (!scopes_valid(scope) && strncmp(redirect, "http", 4) == 0) {
        char location[1024], state[256] = "";
        arg(req, "state", state, sizeof state);
        snprintf(location, sizeof location, "%s?error=invalid_scope&state=%s", redirect, state);
        fake_text(resp, 302, "text/html", "<html><body>Redirecting</body></html>\n");
        fake_add_header(resp, "Location", location);
        return 0;
    }
    pthread_mutex_lock(&lock);
    int slot = ncodes++ % MAX_KEPT;
    snprintf(codes[slot].code, sizeof codes[slot].code, "wcode%llx%04x",
             (unsigned long long)fake_hash(++token_serial, 0xC0DE), slot);
    snprintf(codes[slot].redirect_uri, sizeof codes[slot].redirect_uri, "%s", redirect);
    snprintf(codes[slot].scope, sizeof codes[slot].scope, "%s", scope);
    codes[slot].issued = time(NULL);
    codes[slot].used = false;
    char code[48];
    snprintf(code, sizeof code, "%s", codes[slot].code);
    pthread_mutex_unlock(&lock);
    return fake_authorize_redirect(req, resp, FAKE_WITHINGS_CLIENT_ID, code);
}

static int get_nonce(struct fake_request *req, struct fake_response *resp)
{
    char client[128] = "", signature[80] = "";
    long long ts;
    arg(req, "client_id", client, sizeof client);
    arg(req, "signature", signature, sizeof signature);
    if (strcmp(client, FAKE_WITHINGS_CLIENT_ID) != 0 || !arg_int(req, "timestamp", &ts))
        return invalid_params(resp, "client_id or timestamp");
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", ts);
    if (!signature_ok("getnonce", client, digits, signature))
        return invalid_params(resp, "invalid signature");
    if (llabs(ts - (long long)time(NULL)) > NONCE_TTL)
        return invalid_params(resp, "timestamp too far from now");
    pthread_mutex_lock(&lock);
    int slot = nnonces++ % MAX_KEPT;
    snprintf(nonces[slot].nonce, sizeof nonces[slot].nonce, "%016llx%08x",
             (unsigned long long)fake_hash(++token_serial, 0x90CE), (unsigned)slot);
    nonces[slot].issued = time(NULL);
    nonces[slot].used = false;
    json_t *body = json_pack("{s:s}", "nonce", nonces[slot].nonce);
    pthread_mutex_unlock(&lock);
    return reply_ok(resp, body);
}

/* Consumes a nonce: true when it was issued, unused and fresh. */
static bool nonce_use(const char *nonce)
{
    bool ok = false;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_KEPT && i < nnonces && !ok; i++)
        if (!strcmp(nonces[i].nonce, nonce) && !nonces[i].used &&
            time(NULL) - nonces[i].issued <= NONCE_TTL) {
            nonces[i].used = true;
            ok = true;
        }
    pthread_mutex_unlock(&lock);
    return ok;
}

/* Consumes an authorization code issued for redirect_uri; copies its scope. */
static bool code_use(const char *code, const char *redirect_uri, char scope[256])
{
    bool ok = false;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_KEPT && i < ncodes && !ok; i++)
        if (!strcmp(codes[i].code, code) && !codes[i].used &&
            !strcmp(codes[i].redirect_uri, redirect_uri) &&
            time(NULL) - codes[i].issued <= CODE_TTL) {
            codes[i].used = true;
            snprintf(scope, 256, "%s", codes[i].scope);
            ok = true;
        }
    pthread_mutex_unlock(&lock);
    return ok;
}

static bool token_valid(const char *access)
{
    if (!fake_token_valid("withings", access))
        return false;
    bool expired = false;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_KEPT && i < nissued; i++)
        if (!strcmp(issued[i].access, access))
            expired = issued[i].expired;
    pthread_mutex_unlock(&lock);
    return !expired;
}

static int token_reply(struct fake_response *resp, const char *scope)
{
    struct fake_token tok;
    fake_issue_token("withings", &tok);
    pthread_mutex_lock(&lock);
    int slot = nissued++ % MAX_KEPT;
    snprintf(issued[slot].access, sizeof issued[slot].access, "%s", tok.access);
    issued[slot].expired = false;
    if (scope)
        snprintf(granted_scope, sizeof granted_scope, "%s", scope);
    json_t *body = json_pack("{s:i,s:s,s:s,s:i,s:s,s:s,s:s}", "userid", 36356, "access_token",
                             tok.access, "refresh_token", tok.refresh, "expires_in",
                             fake_opt.token_ttl, "scope", granted_scope, "csrf_token",
                             "PACnnxwHTaBQOzF7bQqwFUUotIuvtzSM", "token_type", "Bearer");
    pthread_mutex_unlock(&lock);
    return reply_ok(resp, body);
}

/* The call is the signed variant (nonce + signature) or the plain one
 * (client_secret), as upstream; the plain one is counted for the tests. */
static bool token_call_authentic(const struct fake_request *req, const char *client,
                                 struct fake_response *resp)
{
    char secret[128], nonce[64] = "", signature[80] = "";
    if (arg(req, "client_secret", secret, sizeof secret)) {
        fake_count("withings", "client_secret sent");
        if (strcmp(secret, FAKE_WITHINGS_CLIENT_SECRET) == 0)
            return true;
        invalid_params(resp, "invalid client_secret");
        return false;
    }
    arg(req, "nonce", nonce, sizeof nonce);
    arg(req, "signature", signature, sizeof signature);
    if (!signature_ok("requesttoken", client, nonce, signature)) {
        invalid_params(resp, "invalid signature");
        return false;
    }
    if (!nonce_use(nonce)) {
        invalid_params(resp, "invalid nonce");
        return false;
    }
    return true;
}

static int request_token(struct fake_request *req, struct fake_response *resp)
{
    char client[128] = "", grant[32] = "", code[64] = "", redirect[512] = "", refresh[80] = "";
    arg(req, "client_id", client, sizeof client);
    arg(req, "grant_type", grant, sizeof grant);
    if (strcmp(client, FAKE_WITHINGS_CLIENT_ID) != 0)
        return invalid_params(resp, "invalid client_id");
    if (!token_call_authentic(req, client, resp))
        return 0;
    if (!strcmp(grant, "authorization_code")) {
        char scope[256];
        arg(req, "code", code, sizeof code);
        arg(req, "redirect_uri", redirect, sizeof redirect);
        if (!code_use(code, redirect, scope))
            return invalid_params(resp, "invalid code");
        return token_reply(resp, scope);
    }
    if (!strcmp(grant, "refresh_token")) {
        arg(req, "refresh_token", refresh, sizeof refresh);
        if (!fake_refresh_use("withings", refresh))
            return invalid_params(resp, "invalid refresh_token");
        return token_reply(resp, NULL);
    }
    return invalid_params(resp, "grant_type");
}

/* ---------------------------------------------------------------- paging */

/* One page of items (an array we own) under key, with more/offset; `more`
 * is an integer for getmeas and a boolean elsewhere, as upstream. */
static json_t *page_body(json_t *items, const char *key, long long offset, bool int_more)
{
    long long n = (long long)json_array_size(items);
    json_t *slice = json_array();
    for (long long i = offset; i < n && i < offset + PAGE_SIZE; i++)
        json_array_append(slice, json_array_get(items, (size_t)i));
    json_decref(items);
    bool more = offset + PAGE_SIZE < n;
    json_t *body = json_object();
    json_object_set_new(body, key, slice);
    json_object_set_new(body, "more", int_more ? json_integer(more) : json_boolean(more));
    json_object_set_new(body, "offset", json_integer(more ? offset + PAGE_SIZE : 0));
    return body;
}

/* The window of a list call: lastupdate (changes since) or a date range. */
struct window {
    bool by_update;
    long long lastupdate;
    time_t from, to; /* when !by_update */
};

/* startdateymd/enddateymd or lastupdate, exactly one of them, as upstream. */
static bool ymd_window(const struct fake_request *req, struct window *w)
{
    char from[16], to[16];
    bool has_from = arg(req, "startdateymd", from, sizeof from) != NULL;
    bool has_to = arg(req, "enddateymd", to, sizeof to) != NULL;
    w->by_update = arg_int(req, "lastupdate", &w->lastupdate);
    if (w->by_update)
        return !has_from && !has_to;
    if (!has_from || !has_to || fake_parse_time(from, &w->from) < 0 ||
        fake_parse_time(to, &w->to) < 0)
        return false;
    w->to += 86399;
    return true;
}

static bool in_window(const struct window *w, time_t at, time_t modified)
{
    if (w->by_update)
        return (long long)modified >= w->lastupdate;
    return at >= w->from && at <= w->to;
}

/* ---------------------------------------------------------------- getmeas */

static bool type_wanted(const char *types, int type)
{
    char t[16];
    snprintf(t, sizeof t, "%d", type);
    return field_wanted(types, t);
}

static json_t *group_json(const struct group *g, const char *types)
{
    json_t *measures = json_array();
    for (int i = 0; i < g->nm; i++)
        if (type_wanted(types, g->m[i].type))
            json_array_append_new(measures, json_pack("{s:I,s:i,s:i,s:i,s:i}", "value",
                                                      (json_int_t)g->m[i].value, "type",
                                                      g->m[i].type, "unit", g->m[i].unit, "algo",
                                                      0, "fm", g->manual ? 5 : 3));
    if (!json_array_size(measures)) {
        json_decref(measures);
        return NULL;
    }
    const char *device = g->manual ? NULL : device_hash;
    return json_pack("{s:I,s:i,s:I,s:I,s:I,s:i,s:s?,s:s?,s:o,s:s?,s:s}", "grpid",
                     (json_int_t)g->grpid, "attrib", g->attrib, "date", (json_int_t)g->date,
                     "created", (json_int_t)g->created, "modified", (json_int_t)g->modified,
                     "category", g->category, "deviceid", device, "hash_deviceid", device,
                     "measures", measures, "comment", g->comment, "timezone", "Europe/Paris");
}

static int cmp_group_newest(const void *a, const void *b)
{
    const struct group *x = *(struct group *const *)a, *y = *(struct group *const *)b;
    if (x->date != y->date)
        return x->date < y->date ? 1 : -1;
    return x->grpid < y->grpid ? 1 : x->grpid > y->grpid ? -1 : 0;
}

static int get_meas(struct fake_request *req, struct fake_response *resp)
{
    char one[32], list[512];
    const char *types = arg(req, "meastypes", list, sizeof list);
    const char *single = arg(req, "meastype", one, sizeof one);
    if (single && strspn(single, "0123456789") != strlen(single))
        return invalid_params(resp, NULL); /* meastype takes one type */
    if (!types)
        types = single;
    long long category = 0, lastupdate = -1, from = -1, to = -1, offset = 0;
    arg_int(req, "category", &category);
    arg_int(req, "lastupdate", &lastupdate);
    arg_int(req, "startdate", &from);
    arg_int(req, "enddate", &to);
    arg_int(req, "offset", &offset);
    pthread_mutex_lock(&lock);
    struct group **v = malloc((ngroups + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < ngroups; i++) {
        const struct group *g = &groups[i];
        if (g->deleted || (category && g->category != category) ||
            (lastupdate >= 0 && g->modified < lastupdate) || (from >= 0 && g->date < from) ||
            (to >= 0 && g->date > to))
            continue;
        v[n++] = &groups[i];
    }
    qsort(v, n, sizeof *v, cmp_group_newest);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *g = group_json(v[i], types);
        if (g)
            json_array_append_new(items, g);
    }
    pthread_mutex_unlock(&lock);
    free(v);
    json_t *body = page_body(items, "measuregrps", offset, true);
    json_object_set_new(body, "updatetime", json_integer((json_int_t)clock_now()));
    json_object_set_new(body, "timezone", json_string("Europe/Paris"));
    return reply_ok(resp, body);
}

/* ------------------------------------------------- getactivity/getworkouts */

/* Sets key to value when data_fields asks for it. */
static void set_field(json_t *obj, const char *fields, const char *key, json_t *value)
{
    if (field_wanted(fields, key))
        json_object_set_new(obj, key, value);
    else
        json_decref(value);
}

static json_t *activity_json(long d, const char *fields)
{
    uint64_t rng = fake_hash((uint64_t)d, 0xAC8);
    char date[16];
    fake_date(fake_day_start(d), date);
    long steps = 3000 + (long)(fake_rand(&rng) % 12000);
    int soft = 1800 + (int)(fake_rand(&rng) % 7200), moderate = (int)(fake_rand(&rng) % 2400);
    int intense = (int)(fake_rand(&rng) % 1200);
    double calories = (double)steps * 0.04 + (double)(fake_rand(&rng) % 100) / 4;
    json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:i,s:b}", "date", date, "timezone", "Europe/Paris",
                          "deviceid", tracker_hash, "hash_deviceid", tracker_hash, "brand", 18,
                          "is_tracker", 1);
    set_field(a, fields, "steps", json_integer(steps));
    set_field(a, fields, "distance", json_real((double)steps * 0.74));
    set_field(a, fields, "elevation", json_real((double)(fake_rand(&rng) % 300) / 10));
    set_field(a, fields, "soft", json_integer(soft));
    set_field(a, fields, "moderate", json_integer(moderate));
    set_field(a, fields, "intense", json_integer(intense));
    set_field(a, fields, "active", json_integer(moderate + intense));
    set_field(a, fields, "calories", json_real(calories));
    set_field(a, fields, "totalcalories", json_real(calories + 1650.5));
    set_field(a, fields, "hr_average", json_integer(64 + (int)(fake_rand(&rng) % 20)));
    set_field(a, fields, "hr_min", json_integer(48 + (int)(fake_rand(&rng) % 8)));
    set_field(a, fields, "hr_max", json_integer(120 + (int)(fake_rand(&rng) % 60)));
    for (int z = 0; z < 4; z++) {
        char key[24];
        snprintf(key, sizeof key, "hr_zone_%d", z);
        set_field(a, fields, key, json_integer((int)(fake_rand(&rng) % (z ? 1800 : 30000))));
    }
    return a;
}

static int get_activity(struct fake_request *req, struct fake_response *resp)
{
    struct window w;
    if (!ymd_window(req, &w))
        return invalid_params(resp, NULL);
    char fields_buf[1024];
    const char *fields = arg(req, "data_fields", fields_buf, sizeof fields_buf);
    long long offset = 0;
    arg_int(req, "offset", &offset);
    json_t *items = json_array();
    for (long d = 0; d < fake_day_count(); d++) {
        time_t modified;
        if (activity_of(d, &modified) && in_window(&w, fake_day_start(d), modified))
            json_array_append_new(items, activity_json(d, fields));
    }
    return reply_ok(resp, page_body(items, "activities", offset, false));
}

static json_t *workout_json(const struct workout *wo, const char *fields)
{
    uint64_t rng = wo->seed;
    char date[16];
    fake_date(fake_day_start(wo->day), date);
    long duration = (long)(wo->end - wo->start);
    json_t *data = json_object();
    set_field(data, fields, "calories", json_integer(duration / 6));
    set_field(data, fields, "effduration", json_integer(duration - 60));
    set_field(data, fields, "intensity", json_integer(0));
    set_field(data, fields, "manual_distance", json_integer(0));
    set_field(data, fields, "manual_calories", json_integer(0));
    set_field(data, fields, "hr_average", json_integer(120 + (int)(fake_rand(&rng) % 40)));
    set_field(data, fields, "hr_min", json_integer(80 + (int)(fake_rand(&rng) % 20)));
    set_field(data, fields, "hr_max", json_integer(160 + (int)(fake_rand(&rng) % 30)));
    for (int z = 0; z < 4; z++) {
        char key[24];
        snprintf(key, sizeof key, "hr_zone_%d", z);
        set_field(data, fields, key, json_integer(duration / 4));
    }
    set_field(data, fields, "pause_duration", json_integer(0));
    set_field(data, fields, "algo_pause_duration", json_null());
    set_field(data, fields, "spo2_average", json_null());
    bool swim = wo->category == 7;
    set_field(data, fields, "steps", json_integer(swim ? 0 : duration * 2));
    set_field(data, fields, "distance", json_integer(swim ? 1500 : duration * 2));
    set_field(data, fields, "elevation", json_integer((int)(fake_rand(&rng) % 40)));
    set_field(data, fields, "pool_laps", json_integer(swim ? 60 : 0));
    set_field(data, fields, "strokes", json_integer(swim ? 900 : 0));
    set_field(data, fields, "pool_length", json_integer(swim ? 25 : 0));
    return json_pack("{s:I,s:i,s:s,s:i,s:i,s:I,s:I,s:s,s:I,s:s,s:s,s:o}", "id",
                     (json_int_t)wo->id, "category", wo->category, "timezone", "Europe/Paris",
                     "model", 93, "attrib", 7, "startdate", (json_int_t)wo->start, "enddate",
                     (json_int_t)wo->end, "date", date, "modified", (json_int_t)wo->modified,
                     "deviceid", tracker_hash, "hash_deviceid", tracker_hash, "data", data);
}

static int get_workouts(struct fake_request *req, struct fake_response *resp)
{
    struct window w;
    if (!ymd_window(req, &w))
        return invalid_params(resp, NULL);
    char fields_buf[1024];
    const char *fields = arg(req, "data_fields", fields_buf, sizeof fields_buf);
    long long offset = 0;
    arg_int(req, "offset", &offset);
    json_t *items = json_array();
    for (long d = 0; d < fake_day_count(); d++) {
        struct workout wo;
        if (workout_of(d, &wo) && in_window(&w, wo.start, wo.modified))
            json_array_append_new(items, workout_json(&wo, fields));
    }
    return reply_ok(resp, page_body(items, "series", offset, false));
}

/* ------------------------------------------------------------- v2/sleep */

static json_t *summary_json(const struct night *n, const char *fields)
{
    uint64_t rng = fake_hash((uint64_t)n->day, 0x5A3);
    char date[16];
    fake_date(fake_day_start(n->day), date);
    long total = (long)(n->end - n->start);
    long deep = total / 5, rem = total / 5, wake = 600 + (long)(fake_rand(&rng) % 1200);
    json_t *data = json_object();
    set_field(data, fields, "sleep_score", json_integer(n->score));
    set_field(data, fields, "lightsleepduration", json_integer(total - deep - rem - wake));
    set_field(data, fields, "deepsleepduration", json_integer(deep));
    set_field(data, fields, "remsleepduration", json_integer(rem));
    set_field(data, fields, "wakeupcount", json_integer(1 + (int)(fake_rand(&rng) % 4)));
    set_field(data, fields, "wakeupduration", json_integer(wake));
    set_field(data, fields, "durationtosleep", json_integer(300 + (int)(fake_rand(&rng) % 900)));
    set_field(data, fields, "durationtowakeup", json_integer((int)(fake_rand(&rng) % 600)));
    set_field(data, fields, "hr_average", json_integer(52 + (int)(fake_rand(&rng) % 10)));
    set_field(data, fields, "hr_min", json_integer(44 + (int)(fake_rand(&rng) % 6)));
    set_field(data, fields, "hr_max", json_integer(70 + (int)(fake_rand(&rng) % 20)));
    set_field(data, fields, "rr_average", json_integer(13 + (int)(fake_rand(&rng) % 4)));
    set_field(data, fields, "rr_min", json_integer(10 + (int)(fake_rand(&rng) % 3)));
    set_field(data, fields, "rr_max", json_integer(18 + (int)(fake_rand(&rng) % 4)));
    set_field(data, fields, "snoring", json_integer((int)(fake_rand(&rng) % 1800)));
    set_field(data, fields, "snoringepisodecount", json_integer((int)(fake_rand(&rng) % 12)));
    set_field(data, fields, "breathing_disturbances_intensity",
              json_integer((int)(fake_rand(&rng) % 30)));
    return json_pack("{s:I,s:s,s:i,s:i,s:s,s:I,s:I,s:s,s:I,s:I,s:b,s:o}", "id",
                     (json_int_t)n->id, "timezone", "Europe/Paris", "model", 32, "model_id", 63,
                     "hash_deviceid", sleep_hash, "startdate", (json_int_t)n->start, "enddate",
                     (json_int_t)n->end, "date", date, "created", (json_int_t)n->created,
                     "modified", (json_int_t)n->modified, "completed", 1, "data", data);
}

static int get_summary(struct fake_request *req, struct fake_response *resp)
{
    struct window w;
    if (!ymd_window(req, &w))
        return invalid_params(resp, NULL);
    char fields_buf[1024];
    const char *fields = arg(req, "data_fields", fields_buf, sizeof fields_buf);
    long long offset = 0;
    arg_int(req, "offset", &offset);
    json_t *items = json_array();
    for (long d = 0; d < fake_day_count(); d++) {
        struct night n;
        if (night_of(d, &n) && in_window(&w, n.start, n.modified))
            json_array_append_new(items, summary_json(&n, fields));
    }
    return reply_ok(resp, page_body(items, "series", offset, false));
}

/* A time series sampled every 10 minutes over [from, to): {"<epoch>": v}. */
static json_t *samples(time_t from, time_t to, uint64_t *rng, int base, int spread)
{
    json_t *s = json_object();
    for (time_t t = from; t < to; t += 600) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)t);
        json_object_set_new(s, key, json_integer(base + (int)(fake_rand(rng) % (uint64_t)spread)));
    }
    return s;
}

/* One night as sleep-state segments: awake, then light/deep/REM cycles. */
static void night_segments(const struct night *n, time_t from, time_t to, const char *fields,
                           json_t *out)
{
    uint64_t rng = fake_hash((uint64_t)n->day, 0x5E6);
    static const int cycle[] = {1, 2, 1, 3};
    time_t t = n->start;
    for (int i = 0; t < n->end; i++) {
        int state = i == 0 ? 0 : cycle[(i - 1) % 4];
        time_t len = 900 + (time_t)(fake_rand(&rng) % 1800);
        time_t end = t + len < n->end ? t + len : n->end;
        if (t >= from && t < to) {
            uint64_t srng = fake_hash((uint64_t)n->day * 64 + (uint64_t)i, 0x5E7);
            json_t *seg = json_pack("{s:I,s:I,s:i,s:s,s:i,s:s}", "startdate", (json_int_t)t,
                                    "enddate", (json_int_t)end, "state", state, "model",
                                    "Aura Sensor V2", "model_id", 63, "hash_deviceid",
                                    sleep_hash);
            set_field(seg, fields, "hr", samples(t, end, &srng, 48, 14));
            set_field(seg, fields, "rr", samples(t, end, &srng, 11, 6));
            set_field(seg, fields, "snoring", samples(t, t + 1, &srng, 0, 60));
            set_field(seg, fields, "sdnn_1", samples(t, end, &srng, 40, 50));
            set_field(seg, fields, "rmssd", samples(t, end, &srng, 30, 40));
            set_field(seg, fields, "hrv_quality", samples(t, end, &srng, 1, 4));
            set_field(seg, fields, "mvt_score", samples(t, end, &srng, 0, 120));
            set_field(seg, fields, "chest_movement_rate", samples(t, end, &srng, 10, 8));
            json_array_append_new(out, seg);
        }
        t = end;
    }
}

static int get_sleep(struct fake_request *req, struct fake_response *resp)
{
    long long from, to;
    if (!arg_int(req, "startdate", &from) || !arg_int(req, "enddate", &to) || to < from)
        return invalid_params(resp, NULL);
    if (to - from > SLEEP_GET_MAX)
        to = from + SLEEP_GET_MAX; /* only the first 24 h after startdate */
    char fields_buf[1024];
    const char *fields = arg(req, "data_fields", fields_buf, sizeof fields_buf);
    json_t *series = json_array();
    for (long d = 0; d < fake_day_count(); d++) {
        struct night n;
        if (night_of(d, &n) && n.end > from && n.start < to)
            night_segments(&n, (time_t)from, (time_t)to, fields, series);
    }
    return reply_ok(resp, json_pack("{s:o,s:i}", "series", series, "model", 32));
}

/* --------------------------------------------------------------- routing */

struct route {
    const char *path, *action;
    int (*fn)(struct fake_request *, struct fake_response *);
    bool data; /* needs a Bearer token */
};

static const struct route routes[] = {
    {"/v2/signature", "getnonce", get_nonce, false},
    {"/v2/oauth2", "requesttoken", request_token, false},
    {"/measure", "getmeas", get_meas, true},
    {"/v2/measure", "getactivity", get_activity, true},
    {"/v2/measure", "getworkouts", get_workouts, true},
    {"/v2/sleep", "getsummary", get_summary, true},
    {"/v2/sleep", "get", get_sleep, true},
    {NULL, NULL, NULL, false},
};

static bool is_api_path(const char *path)
{
    for (const struct route *r = routes; r->path; r++)
        if (!strcmp(path, r->path))
            return true;
    return false;
}

static int withings_handle(struct fake_request *req, struct fake_response *resp)
{
    if (!strcmp(req->path, "/oauth2_user/authorize2"))
        return authorize(req, resp);
    if (!is_api_path(req->path))
        return -1;
    char action[32] = "";
    arg(req, "action", action, sizeof action);
    const struct route *r = routes;
    while (r->path && (strcmp(req->path, r->path) || strcmp(action, r->action)))
        r++;
    if (over_rate_limit())
        return reply_status(resp, 601, "Too Many Requests");
    if (!r->path)
        return reply_status(resp, 2554, "Unknown action");
    if (r->data) {
        if (!token_valid(fake_bearer(req)))
            return reply_status(resp, 401, "XRequestID: Not provided invalid_token: The access "
                                           "token provided is invalid");
        int forced = burst_take();
        if (forced)
            return burst_reply(resp, forced);
    }
    return r->fn(req, resp);
}

/* ------------------------------------------------------------------ admin */

static struct group *find_group(long long grpid)
{
    for (size_t i = 0; i < ngroups; i++)
        if (groups[i].grpid == grpid && !groups[i].deleted)
            return &groups[i];
    return NULL;
}

static int admin_add_measure(struct fake_response *resp)
{
    pthread_mutex_lock(&lock);
    struct group *g = group_add();
    uint64_t rng = fake_hash(ngroups, 0xADD);
    g->grpid = FIRST_GRPID + 10 * fake_day_count() + 100 + (long long)ngroups;
    g->date = next_change_time();
    g->created = g->modified = g->date;
    scale_measures(g, 77.7, &rng);
    long long grpid = g->grpid;
    pthread_mutex_unlock(&lock);
    return fake_json(resp, 200, json_pack("{s:I}", "grpid", (json_int_t)grpid));
}

static int admin_change_measure(struct fake_request *req, struct fake_response *resp,
                                bool delete)
{
    long long grpid;
    if (!arg_int(req, "grpid", &grpid))
        return fake_error(resp, 400, "grpid required");
    pthread_mutex_lock(&lock);
    struct group *g = find_group(grpid);
    if (g && delete)
        g->deleted = true;
    if (g && !delete) {
        for (int i = 0; i < g->nm; i++)
            g->m[i].value += g->m[i].type == 1 ? 300 : 1;
        g->modified = next_change_time();
    }
    pthread_mutex_unlock(&lock);
    if (!g)
        return fake_error(resp, 404, "no measure group %lld", grpid);
    return fake_json(resp, 200, json_pack("{s:I}", "grpid", (json_int_t)grpid));
}

static int admin_burst(struct fake_request *req, struct fake_response *resp, int status)
{
    long long n = 1, s = status;
    arg_int(req, "n", &n);
    if (!status && !arg_int(req, "status", &s))
        return fake_error(resp, 400, "status required");
    pthread_mutex_lock(&lock);
    burst_left = (int)n;
    burst_status = (int)s;
    pthread_mutex_unlock(&lock);
    return fake_json(resp, 200, json_pack("{s:I,s:I}", "status", (json_int_t)s, "n",
                                          (json_int_t)n));
}

static int admin_expire_tokens(struct fake_response *resp)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_KEPT && i < nissued; i++)
        issued[i].expired = true;
    pthread_mutex_unlock(&lock);
    return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

/* Every record a complete listing returns, with every data field (the
 * conformance suite's exact check); the per-night sleep detail, off by
 * default, is left out. */
static int admin_dump(struct fake_response *resp)
{
    json_t *measures = json_array(), *activity = json_array(), *workouts = json_array(),
           *summaries = json_array();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < ngroups; i++) {
        json_t *g = groups[i].deleted || groups[i].category != 1 ? NULL
                                                                 : group_json(&groups[i], NULL);
        if (g)
            json_array_append_new(measures, g);
    }
    pthread_mutex_unlock(&lock);
    for (long d = 0; d < fake_day_count(); d++) {
        time_t modified;
        struct workout wo;
        struct night n;
        if (activity_of(d, &modified))
            json_array_append_new(activity, activity_json(d, NULL));
        if (workout_of(d, &wo))
            json_array_append_new(workouts, workout_json(&wo, NULL));
        if (night_of(d, &n))
            json_array_append_new(summaries, summary_json(&n, NULL));
    }
    return fake_json(resp, 200, json_pack("{s:o,s:o,s:o,s:o}", "measures", measures, "activity",
                                          activity, "workouts", workouts, "sleep_summary",
                                          summaries));
}

/* The conformance suite's upstream change to the latest measure group: an
 * edit (its modified time moves, so lastupdate finds it) or a deletion
 * (Withings has no deletion feed: only a full pass sees it). */
static int admin_conform(struct fake_response *resp, bool delete)
{
    pthread_mutex_lock(&lock);
    struct group *latest = NULL;
    for (size_t i = 0; i < ngroups; i++)
        if (!groups[i].deleted && groups[i].category == 1 && (!latest || groups[i].date > latest->date))
            latest = &groups[i];
    if (latest && delete)
        latest->deleted = true;
    else if (latest) {
        for (int i = 0; i < latest->nm; i++)
            latest->m[i].value += latest->m[i].type == 1 ? 300 : 1;
        latest->modified = next_change_time();
    }
    pthread_mutex_unlock(&lock);
    return fake_json(resp, latest ? 200 : 404, json_pack("{s:b}", "plain_sync_sees_it", !delete));
}

static int withings_admin(const char *action, struct fake_request *req, struct fake_response *resp)
{
    if (!strcmp(action, "dump"))
        return admin_dump(resp);
    if (!strcmp(action, "conform-edit") || !strcmp(action, "conform-delete"))
        return admin_conform(resp, !strcmp(action, "conform-delete"));
    if (!strcmp(action, "add-measure"))
        return admin_add_measure(resp);
    if (!strcmp(action, "edit-measure"))
        return admin_change_measure(req, resp, false);
    if (!strcmp(action, "delete-measure"))
        return admin_change_measure(req, resp, true);
    if (!strcmp(action, "expire-tokens"))
        return admin_expire_tokens(resp);
    if (!strcmp(action, "burst601"))
        return admin_burst(req, resp, 601);
    if (!strcmp(action, "burst"))
        return admin_burst(req, resp, 0);
    return fake_error(resp, 404, "no withings admin action %s", action);
}

static const struct fake_provider fake_withings = {
    .name = "withings",
    .prefix = "",
    .init = withings_init,
    .handle = withings_handle,
    .admin = withings_admin,
    .client_config = "client_id = \"fake-withings-client\"\n"
                     "client_secret = \"fake-withings-SECRET-77a2\"\n"
                     "redirect_uri = \"http://127.0.0.1:@PORT@/callback\"\n"
                     "authorize_url = \"@URL@/oauth2_user/authorize2\"\n"
                     "base_url = \"@URL@\"\n",
};
FAKE_PROVIDER(fake_withings)

