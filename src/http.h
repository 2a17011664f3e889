/* http: every request the program makes goes through here.
 *
 * libcurl underneath: one easy handle per client (connection reuse), a
 * process-wide share of DNS, TLS sessions and connections, compression,
 * HTTP/2 where offered, timeouts, a response size cap.  The retry policy of
 * docs/providers.md ("Requests and retries"): 429 honouring Retry-After, 5xx
 * and network errors with bounded
 * exponential backoff and jitter, no retry of other 4xx.  With -v every
 * request is logged with its secrets redacted. */
#ifndef HS_HTTP_H
#define HS_HTTP_H

#include "buf.h"
#include "error.h"
#include "json.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define HTTP_MAX_ATTEMPTS 5
#define HTTP_MAX_BODY (64L * 1024 * 1024)

struct http_header {
    const char *name;
    const char *value;
};

struct http_request {
    const char *method;       /* "GET" (default) or "POST" */
    const char *url;          /* complete, query included */
    const char *body;         /* request body or NULL */
    const char *content_type; /* of body, e.g. "application/x-www-form-urlencoded" */
    const char *bearer;       /* sends Authorization: Bearer <bearer> */
    const char *basic_user;   /* with basic_password: Authorization: Basic */
    const char *basic_password;
    const struct http_header *headers; /* extra headers, ended by {NULL, NULL} */
    int max_attempts;                  /* 0 = HTTP_MAX_ATTEMPTS; 1 = no retry */
    /* http_send_json only: taken before the body is parsed and, when it
     * returns 0, still held (the caller unlocks once done with *out), so
     * that few parsed pages exist at once.  NULL: none. */
    pthread_mutex_t *parse_lock;
    /* With parse_lock: the arena the body is parsed into (json.h), attached
     * to the thread while the lock is held; the caller resets and detaches
     * it before unlocking. */
    struct json_arena *arena;
    /* http_send_json only: the page's array under items->key goes to
     * items->on_item item by item as it is parsed (json_parse_items), not
     * into *out; items->on_restart runs before each parse.  When on_item
     * fails, http_send_json returns -1 without retrying (on_item keeps its
     * own error).  NULL: the body is parsed whole. */
    const struct json_item_sink *items;
};

struct http_response {
    long status;
    struct buf body;
    struct buf headers; /* raw "Name: value\r\n" lines of the final response */
};

struct http_client;

/* Called before each attempt (to wait for a rate-limit budget) and after
 * each response; either may be NULL.  `before` returning -1 with err set
 * aborts the request. */
struct http_hooks {
    int (*before)(void *arg, struct hs_error *err);
    void (*after)(void *arg, const struct http_response *resp);
    void *arg;
};

/* One per provider run.  `name` prefixes log lines ("oura"). */
struct http_client *http_client_new(const char *name);
void http_client_free(struct http_client *c);
void http_client_set_hooks(struct http_client *c, const struct http_hooks *hooks);
/* At most `max_requests` attempts per `per_seconds` (a sliding window);
 * requests beyond it wait, with a visible message. */
void http_client_set_rate_limit(struct http_client *c, int max_requests, int per_seconds);
/* A header sent with every request of this client (e.g. Hevy's api-key);
 * set before requests start.  At most 8. */
void http_client_set_header(struct http_client *c, const char *name, const char *value);
/* Number of attempts sent so far (for tests and benchmarks). */
long http_client_request_count(const struct http_client *c);

/* Sends req, retrying per policy.  Returns 0 for a 2xx response.  Otherwise
 * -1 with err describing it ("HTTP 404 for GET <url>: detail"; the URL
 * redacted), err->http_status set, and kind: 401/403 HS_ERR_AUTH, 429
 * HS_ERR_WAIT, 5xx and transport HS_ERR_TEMP, other HS_ERR_FINAL.  resp
 * holds the last response either way (free with http_response_free). */
int http_send(struct http_client *c, const struct http_request *req, struct http_response *resp,
              struct hs_error *err);
void http_response_free(struct http_response *resp);
/* A response header's value (case-insensitive name), malloc'ed, or NULL. */
char *http_response_header(const struct http_response *resp, const char *name);

/* http_send, then the body parsed as a JSON object or array; a 2xx with
 * anything else (HTML, a cut-off or empty body) is retried like a 5xx.
 * Caller owns *out. */
int http_send_json(struct http_client *c, const struct http_request *req, json_t **out,
                   struct hs_error *err);

/* The delay before retry number `attempt` (0-based) after a response with
 * `status` (0 = transport error) and the given Retry-After header (may be
 * NULL), in milliseconds; -1 when the policy does not retry that status.
 * Exposed for unit tests. */
long http_retry_delay_ms(int attempt, long status, const char *retry_after, time_t now);

/* Sleeps ms milliseconds (scaled by HEALTH_SYNC_SLEEP_SCALE in tests),
 * waking early when interrupted.  Returns -1 if interrupted. */
int http_sleep_ms(long ms);

/* URL and form building: appends key=value, percent-encoding both (spaces as
 * %20), with the right separator ('?' or '&' for URLs, '&' for forms).
 * -1 when it could not (the buf then stays failed, see buf_failed): check
 * the result, or the buf once before sending what was built. */
int http_url_add_param(struct buf *url, const char *key, const char *value);
int http_form_add(struct buf *form, const char *key, const char *value);
/* 0 when b (a URL or form built with the calls above) is whole, else -1
 * with err set: what is sent must never be missing a piece. */
int http_built(const struct buf *b, struct hs_error *err);
/* Percent-encodes s; caller frees. */
char *http_escape(const char *s);
/* Percent-decodes s (and '+' as space when plus_is_space); caller frees. */
char *http_unescape(const char *s, bool plus_is_space);

/* The URL with secret query values masked, for messages; caller frees. */
char *http_redact_url(const char *url);

/* Fuzzing only: answer every request with `transport` instead of the
 * network (it fills status and body; NULL restores the network). */
typedef void (*http_transport_fn)(const struct http_request *req, struct http_response *resp);
void http_set_test_transport(http_transport_fn transport);

/* Process-wide setup/teardown (curl_global_init, the share handle). */
int http_global_init(void);
void http_global_cleanup(void);

#endif
