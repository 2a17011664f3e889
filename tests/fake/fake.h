/* fake: the bundled fake provider server.  One libmicrohttpd daemon serves
 * every provider's endpoints on one loopback port, with the URL layout of
 * the real hosts (Oura and Withings and Hevy at the root, Strava under
 * /strava, Eight Sleep under /eightsleep), generated deterministic data,
 * OAuth authorize/token endpoints, and fault knobs.  Each provider lives in
 * its own file and registers a struct fake_provider in main.c's table.
 *
 * Test-only control endpoints live under /_admin (see main.c). */
#ifndef HS_FAKE_H
#define HS_FAKE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Fixed credentials the fake accepts (the demo and tests use them). */
#define FAKE_OURA_CLIENT_ID "fake-oura-client"
#define FAKE_OURA_CLIENT_SECRET "fake-oura-SECRET-c13f"
#define FAKE_WITHINGS_CLIENT_ID "fake-withings-client"
#define FAKE_WITHINGS_CLIENT_SECRET "fake-withings-SECRET-77a2"
#define FAKE_HEVY_API_KEY "fake-hevy-SECRET-key-5e1b"
#define FAKE_STRAVA_CLIENT_ID "fake-strava-client"
#define FAKE_STRAVA_CLIENT_SECRET "fake-strava-SECRET-9d04"
#define FAKE_EIGHTSLEEP_EMAIL "sleeper@example.com"
#define FAKE_EIGHTSLEEP_PASSWORD "fake-eightsleep-SECRET-pw"
#define FAKE_EIGHTSLEEP_CLIENT_ID "fake-eightsleep-client"
#define FAKE_EIGHTSLEEP_CLIENT_SECRET "fake-eightsleep-SECRET-0b3c"

struct fake_options {
    time_t now;           /* the fake's "today" (HEALTH_SYNC_NOW or the clock) */
    int years;            /* history length */
    int days;             /* history length in days instead, when > 0 */
    double density;       /* 0..1: share of days with data */
    uint64_t seed;        /* data generator seed */
    int latency_ms;       /* added to every request */
    double error_rate;    /* share of requests answered 500/502/503 */
    double drop_rate;     /* share of connections closed without an answer */
    double rate429;       /* share of requests answered 429 */
    double garbage_rate;  /* share answered 200 with HTML, truncated or invalid JSON */
    int garbage_kind;     /* which of those (main.c), or -1: any */
    int token_ttl;        /* seconds an issued access token lives */
    int hr_hours;         /* Oura heart rate: hours a worn day has samples (from 06:00 UTC) */
    int hr_page_size;     /* Oura heart rate: samples a page */
    int next_token_pad;   /* Oura: '~' bytes appended to every next_token (a cursor
                             too long to put in a URL) */
    const char *oura_collections; /* Oura: the document collections served (comma
                                   * separated; heart rate always), NULL: all */
};
extern struct fake_options fake_opt;

struct fake_request {
    const char *method;
    const char *path;       /* below the provider prefix, e.g. "/v1/workouts" */
    const char *full_path;  /* as received */
    void *conn;             /* struct MHD_Connection * */
    const char *body;       /* request body (NUL-terminated), may be empty */
    size_t body_len;
    json_t *json;           /* body parsed as JSON when it was JSON, else NULL */
};

struct fake_response {
    int status;
    char *body;                /* malloc'ed, or NULL */
    const char *content_type;  /* default application/json */
    char headers[8][2][2100];  /* extra headers: name, value */
    int nheaders;
    bool drop;                 /* close the connection without answering */
};

/* A query parameter or form field (form first for POST), or NULL.  A form
 * value lives in a per-thread buffer that the next call overwrites: copy it
 * or use it before asking for another. */
const char *fake_arg(const struct fake_request *req, const char *name);
/* A request header, or NULL. */
const char *fake_header(const struct fake_request *req, const char *name);
/* The Bearer token of the request, or NULL. */
const char *fake_bearer(const struct fake_request *req);

/* Response helpers: take ownership of / serialise the JSON. */
int fake_json(struct fake_response *resp, int status, json_t *body);
int fake_text(struct fake_response *resp, int status, const char *content_type, const char *text);
int fake_error(struct fake_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fake_add_header(struct fake_response *resp, const char *name, const char *value);
/* 302 redirect for authorize endpoints: redirect_uri?code=<code>&state=<state>. */
int fake_authorize_redirect(const struct fake_request *req, struct fake_response *resp,
                            const char *expected_client_id, const char *code);

/* Tokens: issues an access/refresh pair for a provider (valid token_ttl s). */
struct fake_token {
    char access[64];
    char refresh[64];
    time_t expires;
};
void fake_issue_token(const char *provider, struct fake_token *out);
/* True when `access` is a live access token of provider. */
bool fake_token_valid(const char *provider, const char *access);
/* Consumes a refresh token (single use); true when it was valid. */
bool fake_refresh_use(const char *provider, const char *refresh);
/* Every access token of provider issued so far expires (refresh tokens stay good). */
void fake_expire_access(const char *provider);
/* Revokes every token of provider (tests: "revoked"). */
void fake_revoke(const char *provider);

/* Deterministic randomness: a stream per provider and per item. */
uint64_t fake_rand(uint64_t *state);
double fake_uniform(uint64_t *state); /* [0, 1) */
uint64_t fake_hash(uint64_t a, uint64_t b);

/* Day helpers: UTC midnight of day index d (0 = first day of history). */
time_t fake_day_start(long d);
long fake_day_count(void);
void fake_iso(time_t t, char out[32]);      /* 2024-01-02T03:04:05Z */
void fake_iso_ms(time_t t, char out[40]);   /* 2024-01-02T03:04:05.000+00:00 */
void fake_date(time_t t, char out[16]);     /* 2024-01-02 */
/* Parses what the clients send: ISO date-time, date, or epoch. -1 when invalid. */
int fake_parse_time(const char *s, time_t *out);

struct fake_provider {
    const char *name;    /* for stats and /_admin/<name>/... */
    const char *prefix;  /* URL prefix it owns ("" = root, matched by routes) */
    void (*init)(void);  /* generate data */
    /* Handles a request below its prefix; returns 0 when it handled it, -1
     * when the path is not one of its own. */
    int (*handle)(struct fake_request *req, struct fake_response *resp);
    /* The [name] section of a client config pointed at this server, with
     * @URL@ standing for its base URL and @PORT@ for a free loopback port
     * (fake-provider --print-config). */
    const char *client_config;
    /* /_admin/<name>/<action>: mutations for tests. */
    int (*admin)(const char *action, struct fake_request *req, struct fake_response *resp);
};

/* Each provider's file registers itself (FAKE_PROVIDER(var) after its
 * struct), so a new fake provider is one file.  Prefixed ones are tried
 * before those at the root. */
void fake_register(const struct fake_provider *p);
/* The registered providers, NULL-ended. */
const struct fake_provider *const *fake_providers(void);
/* fake-provider --print-config URL ... (client_config.c); argv[0] is URL. */
int fake_print_config(int argc, char **argv);
#define FAKE_PROVIDER(var)                                                                       \
    static void register_##var(void) __attribute__((constructor));                               \
    static void register_##var(void) { fake_register(&var); }

/* Request counters for /_admin/stats (thread-safe). */
void fake_count(const char *provider, const char *path);

/* One lock for all provider data: handlers run on MHD's threads. */
void fake_lock(void);
void fake_unlock(void);

#endif
