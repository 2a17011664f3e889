/* http: libcurl underneath, the retry policy of docs/providers.md on top. */
#include "http.h"

#include "interrupt.h"
#include "json.h"
#include "log.h"
#include "num.h"
#include "timeutil.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define USER_AGENT "health-sync/" HS_VERSION " (+local sqlite cache)"
#define MAX_POOLED_HANDLES 16
#define RATE_WINDOW_MAX 1024

/* ---- process-wide share: DNS and TLS sessions ---- */

static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)h, (void)access, (void)arg;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    (void)h, (void)arg;
    pthread_mutex_unlock(&share_locks[data]);
}

int http_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&share_locks[i], NULL);
    share = curl_share_init();
    if (!share)
        return -1;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    /* Not CURL_LOCK_DATA_CONNECT: a connection cache shared by handles in
     * several threads is not thread-safe in libcurl 7.x (upstream's known
     * bug 11.11; here it corrupted the heap about one sync in fifteen).
     * Each pooled easy handle keeps its own connections alive instead. */
    return 0;
}

void http_global_cleanup(void)
{
    if (share) {
        curl_share_cleanup(share);
        share = NULL;
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_destroy(&share_locks[i]);
    }
    curl_global_cleanup();
}

/* ---- client ---- */

struct http_client {
    char *name;
    pthread_mutex_t lock;
    CURL *pool[MAX_POOLED_HANDLES]; /* idle easy handles, reused */
    int pooled;
    struct http_hooks hooks;
    long requests;
    int rate_max, rate_seconds; /* 0 = no local rate limit */
    char *headers[8];           /* "Name: value" sent with every request */
    int nheaders;
    double sent_at[RATE_WINDOW_MAX];
    int sent_head, sent_count;
};

struct http_client *http_client_new(const char *name)
{
    struct http_client *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->pooled; i++)
        curl_easy_cleanup(c->pool[i]);
    for (int i = 0; i < c->nheaders; i++)
        free(c->headers[i]);
    pthread_mutex_destroy(&c->lock);
    free(c->name);
    free(c);
}

void http_client_set_hooks(struct http_client *c, const struct http_hooks *hooks)
{
    c->hooks = hooks ? *hooks : (struct http_hooks){0};
}

void http_client_set_rate_limit(struct http_client *c, int max_requests, int per_seconds)
{
    pthread_mutex_lock(&c->lock);
    c->rate_max = max_requests > RATE_WINDOW_MAX ? RATE_WINDOW_MAX : max_requests;
    c->rate_seconds = per_seconds;
    pthread_mutex_unlock(&c->lock);
}

void http_client_set_header(struct http_client *c, const char *name, const char *value)
{
    struct buf line = BUF_INIT;
    buf_addf(&line, "%s: %s", name, value);
    pthread_mutex_lock(&c->lock);
    if (c->nheaders < 8)
        c->headers[c->nheaders++] = buf_detach(&line);
    pthread_mutex_unlock(&c->lock);
    buf_free(&line);
}

long http_client_request_count(const struct http_client *c)
{
    return c->requests;
}

static CURL *handle_get(struct http_client *c)
{
    pthread_mutex_lock(&c->lock);
    CURL *h = c->pooled ? c->pool[--c->pooled] : NULL;
    pthread_mutex_unlock(&c->lock);
    return h ? h : curl_easy_init();
}

static void handle_put(struct http_client *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->lock);
    if (c->pooled < MAX_POOLED_HANDLES) {
        c->pool[c->pooled++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (h)
        curl_easy_cleanup(h);
}

static double sleep_scale(void)
{
    const char *s = getenv("HEALTH_SYNC_SLEEP_SCALE");
    double v;
    return s && num_parse_double(s, &v) == 0 && v >= 0 ? v : 1.0;
}

int http_sleep_ms(long ms)
{
    double remaining = ms * sleep_scale() / 1000.0;
    while (remaining > 0) {
        if (hs_interrupted)
            return -1;
        double step = remaining > 0.1 ? 0.1 : remaining;
        struct timespec ts = {(time_t)step, (long)((step - (time_t)step) * 1e9)};
        nanosleep(&ts, NULL);
        remaining -= step;
    }
    return hs_interrupted ? -1 : 0;
}

/* Local sliding-window limit (e.g. Withings' 120 requests per minute). */
static int rate_limit_wait(struct http_client *c, struct hs_error *err)
{
    for (;;) {
        pthread_mutex_lock(&c->lock);
        if (c->rate_max <= 0) {
            pthread_mutex_unlock(&c->lock);
            return 0;
        }
        double now = time_monotonic(), window = c->rate_seconds * sleep_scale();
        while (c->sent_count && now - c->sent_at[c->sent_head] >= window) {
            c->sent_head = (c->sent_head + 1) % RATE_WINDOW_MAX;
            c->sent_count--;
        }
        if (c->sent_count < c->rate_max) {
            c->sent_at[(c->sent_head + c->sent_count++) % RATE_WINDOW_MAX] = now;
            pthread_mutex_unlock(&c->lock);
            return 0;
        }
        double wait = window - (now - c->sent_at[c->sent_head]);
        pthread_mutex_unlock(&c->lock);
        if (wait >= 1.0)
            log_progress(c->name, NULL, "rate limit: %d requests per %d s reached, waiting %.0f s",
                         c->rate_max, c->rate_seconds, wait);
        struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        if (hs_interrupted)
            return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    }
}

/* ---- transfer callbacks ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct http_response *resp = arg;
    struct buf *b = &resp->body;
    if (b->len == 0) {
        /* Room for the whole body at once: a page of months of samples
         * would otherwise end in a buffer up to twice its size. */
        char *length = http_response_header(resp, "content-length");
        long long want = 0;
        if (length && num_parse_ll(length, 0, HTTP_MAX_BODY, &want) < 0)
            want = 0; /* no usable length: grow as the body comes */
        free(length);
        if (want > 0 && want <= HTTP_MAX_BODY)
            buf_grow(b, (size_t)want);
    }
    return buf_add(b, data, size * n) < 0 ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    if (size * n > 5 && !strncmp(data, "HTTP/", 5))
        buf_reset(b); /* a new response (after a redirect or 100 Continue) */
    buf_add(b, data, size * n);
    return size * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    return hs_interrupted ? 1 : 0;
}

/* Plain http only to loopback (tests and local proxies); TLS is always verified. */
static bool url_allowed(const char *url)
{
    if (!strncasecmp(url, "https://", 8))
        return true;
    if (strncasecmp(url, "http://", 7))
        return false;
    const char *host = url + 7;
    static const char *const loopback[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(loopback[i]);
        if (!strncasecmp(host, loopback[i], n) && strchr(":/?", host[n] ? host[n] : '/'))
            return true;
    }
    return getenv("HEALTH_SYNC_ALLOW_HTTP") != NULL;
}

static struct curl_slist *build_headers(const struct http_client *c,
                                        const struct http_request *req, struct buf *scratch)
{
    struct curl_slist *list = curl_slist_append(NULL, "Accept: application/json");
    for (int i = 0; i < c->nheaders; i++)
        list = curl_slist_append(list, c->headers[i]);
    if (req->bearer) {
        buf_reset(scratch);
        buf_addf(scratch, "Authorization: Bearer %s", req->bearer);
        list = curl_slist_append(list, scratch->data);
    }
    if (req->body && req->content_type) {
        buf_reset(scratch);
        buf_addf(scratch, "Content-Type: %s", req->content_type);
        list = curl_slist_append(list, scratch->data);
    }
    for (const struct http_header *h = req->headers; h && h->name; h++) {
        buf_reset(scratch);
        buf_addf(scratch, "%s: %s", h->name, h->value);
        list = curl_slist_append(list, scratch->data);
    }
    list = curl_slist_append(list, "Expect:");
    return list;
}

static void set_options(CURL *h, const struct http_request *req, struct curl_slist *headers,
                        struct http_response *resp)
{
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp->headers);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    if (req->basic_user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, req->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, req->basic_password ? req->basic_password : "");
    }
    const char *method = req->method ? req->method : "GET";
    if (req->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
    }
    if (strcmp(method, "GET") && !(req->body && !strcmp(method, "POST")))
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST") && !req->body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
}

/* One attempt.  Returns the curl code; resp->status is 0 on transport errors. */
static http_transport_fn test_transport;

void http_set_test_transport(http_transport_fn transport)
{
    test_transport = transport;
}

static CURLcode attempt(struct http_client *c, const struct http_request *req,
                        struct http_response *resp, char *curl_err)
{
    if (test_transport) {
        buf_reset(&resp->body);
        buf_reset(&resp->headers);
        resp->status = 0;
        test_transport(req, resp);
        __atomic_add_fetch(&c->requests, 1, __ATOMIC_RELAXED);
        return CURLE_OK;
    }
    CURL *h = handle_get(c);
    if (!h)
        return CURLE_OUT_OF_MEMORY;
    struct buf scratch = BUF_INIT;
    struct curl_slist *headers = build_headers(c, req, &scratch);
    buf_free(&scratch);
    buf_reset(&resp->body);
    buf_reset(&resp->headers);
    resp->body.limit = HTTP_MAX_BODY;
    resp->status = 0;
    set_options(h, req, headers, resp);
    curl_err[0] = '\0';
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    __atomic_add_fetch(&c->requests, 1, __ATOMIC_RELAXED);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    handle_put(c, h);
    return rc;
}

/* ---- retry policy ---- */

static long jitter_ms(long base_ms)
{
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (unsigned int)rand();
    return base_ms / 4 ? (long)(r % (unsigned long)(base_ms / 4 + 1)) : 0;
}

static long retry_after_ms(const char *retry_after, time_t now)
{
    if (!retry_after || !*retry_after)
        return -1;
    char *end;
    long secs = strtol(retry_after, &end, 10);
    if (end != retry_after && *end == '\0')
        return secs * 1000;
    time_t when = curl_getdate(retry_after, NULL); /* the HTTP-date form */
    if (when < 0)
        return -1;
    return when > now ? (long)(when - now) * 1000 : 0; /* past: clamped up to 1 s */
}

long http_retry_delay_ms(int attempt, long status, const char *retry_after, time_t now)
{
    long backoff = 1000L << (attempt < 6 ? attempt : 6);
    if (backoff > 60000)
        backoff = 60000;
    if (status == 429) {
        long ra = retry_after_ms(retry_after, now);
        if (ra < 0)
            return backoff;
        return ra < 1000 ? 1000 : ra > 60000 ? 60000 : ra;
    }
    if (status == 0 || status >= 500)
        return backoff + jitter_ms(backoff);
    return -1;
}

/* ---- errors ---- */

static void append_detail(struct buf *msg, const struct http_response *resp)
{
    static const char *const fields[] = {"error", "error_description", "detail", "message", NULL};
    json_t *body = json_parse_body(resp->body.data, resp->body.len, NULL, 0);
    size_t added = 0;
    for (const char *const *f = fields; body && json_is_object(body) && *f; f++) {
        json_t *v = json_object_get(body, *f);
        if (json_is_string(v) && json_string_length(v)) {
            buf_addf(msg, "%s%s=%s", added++ ? ", " : ": ", *f, json_string_value(v));
        }
    }
    if (!added && body) {
        buf_adds(msg, ": ");
        struct buf dumped = BUF_INIT;
        json_dump_python(body, false, &dumped);
        buf_addf(msg, "%.500s", dumped.data);
        buf_free(&dumped);
    } else if (!added && resp->body.len) {
        buf_adds(msg, ": ");
        for (size_t i = 0; i < resp->body.len && i < 500; i++) {
            char ch = resp->body.data[i];
            buf_addc(msg, ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch);
        }
    }
    json_decref(body);
}

static enum hs_err_kind kind_of_status(long status)
{
    if (status == 401 || status == 403)
        return HS_ERR_AUTH;
    if (status == 429)
        return HS_ERR_WAIT;
    if (status == 0 || status >= 500)
        return HS_ERR_TEMP;
    return HS_ERR_FINAL;
}

static int fail(const struct http_request *req, const struct http_response *resp,
                CURLcode rc, const char *curl_err, int attempts, struct hs_error *err)
{
    const char *method = req->method ? req->method : "GET";
    char *url = http_redact_url(req->url);
    struct buf msg = BUF_INIT;
    if (rc == CURLE_ABORTED_BY_CALLBACK && hs_interrupted) {
        hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted during %s %s", method, url);
        free(url);
        return -1;
    }
    if (rc != CURLE_OK) {
        buf_addf(&msg, "%s %s failed after %d attempt%s: %s", method, url, attempts,
                 attempts == 1 ? "" : "s",
                 rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED
                     ? "response larger than the size cap"
                     : (curl_err && *curl_err ? curl_err : curl_easy_strerror(rc)));
    } else {
        buf_addf(&msg, "HTTP %ld for %s %s", resp->status, method, url);
        char *trace = http_response_header(resp, "x-trace-id");
        if (!trace)
            trace = http_response_header(resp, "x-request-id");
        if (trace)
            buf_addf(&msg, " (trace_id=%s)", trace);
        free(trace);
        append_detail(&msg, resp);
    }
    char *safe = log_redact(msg.data);
    hs_error_set(err, kind_of_status(rc == CURLE_OK ? resp->status : 0), "%s",
                 safe ? safe : msg.data);
    err->http_status = rc == CURLE_OK ? resp->status : 0;
    free(safe);
    buf_free(&msg);
    free(url);
    return -1;
}

static void log_request(const char *name, const struct http_request *req, long status,
                        double ms, size_t bytes)
{
    if (log_get_level() < LOG_VERBOSE)
        return;
    char *url = http_redact_url(req->url);
    log_debug("%s: %s %s -> %ld (%.0f ms, %zu bytes)%s%s", name, req->method ? req->method : "GET",
              url, status, ms, bytes, req->body ? " body: " : "", req->body ? req->body : "");
    free(url);
}

int http_send(struct http_client *c, const struct http_request *req, struct http_response *resp,
              struct hs_error *err)
{
    memset(resp, 0, sizeof *resp);
    buf_init(&resp->body);
    buf_init(&resp->headers);
    if (!url_allowed(req->url)) {
        char *url = http_redact_url(req->url);
        hs_error_set(err, HS_ERR_CONFIG, "refusing %s: only https:// (or http:// to loopback)",
                     url);
        free(url);
        return -1;
    }
    int max = req->max_attempts > 0 ? req->max_attempts : HTTP_MAX_ATTEMPTS;
    char curl_err[CURL_ERROR_SIZE];
    CURLcode rc = CURLE_OK;
    for (int i = 0; i < max; i++) {
        if (hs_interrupted)
            return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
        if ((c->hooks.before && c->hooks.before(c->hooks.arg, err) < 0) ||
            rate_limit_wait(c, err) < 0)
            return -1;
        double t0 = time_monotonic();
        rc = attempt(c, req, resp, curl_err);
        log_request(c->name, req, resp->status, (time_monotonic() - t0) * 1000, resp->body.len);
        if (rc == CURLE_OK && c->hooks.after)
            c->hooks.after(c->hooks.arg, resp);
        if (rc == CURLE_OK && resp->status >= 200 && resp->status < 300)
            return 0;
        if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_WRITE_ERROR ||
            rc == CURLE_FILESIZE_EXCEEDED || rc == CURLE_UNSUPPORTED_PROTOCOL ||
            rc == CURLE_URL_MALFORMAT)
            break;
        char *ra = rc == CURLE_OK ? http_response_header(resp, "retry-after") : NULL;
        long delay = http_retry_delay_ms(i, rc == CURLE_OK ? resp->status : 0, ra, time(NULL));
        free(ra);
        if (delay < 0 || i + 1 >= max)
            return fail(req, resp, rc, curl_err, i + 1, err);
        char *url = http_redact_url(req->url);
        log_progress(c->name, NULL, "%s %s: %s, retrying in %.1f s (attempt %d of %d)",
                     req->method ? req->method : "GET", url,
                     rc == CURLE_OK ? (resp->status == 429 ? "rate limited (429)" : "server error")
                                    : "network error",
                     delay / 1000.0, i + 2, max);
        free(url);
        if (http_sleep_ms(delay) < 0)
            return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    }
    return fail(req, resp, rc, curl_err, max, err);
}

void http_response_free(struct http_response *resp)
{
    buf_free(&resp->body);
    buf_free(&resp->headers);
}

char *http_response_header(const struct http_response *resp, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = resp->headers.data; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n && !strncasecmp(line, name, n) && line[n] == ':') {
            const char *v = line + n + 1;
            const char *end = line + len;
            while (v < end && isspace((unsigned char)*v))
                v++;
            while (end > v && isspace((unsigned char)end[-1]))
                end--;
            return strndup(v, (size_t)(end - v));
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* The body of a 2xx reply as JSON: an object or an array (every endpoint
 * we call answers one; an empty body is an error, not {}).  NULL with why
 * filled otherwise. */
static json_t *json_of_body(const struct http_request *req, const struct http_response *resp,
                            bool *stopped, char *why, size_t whylen)
{
    size_t i = 0;
    while (i < resp->body.len && isspace((unsigned char)resp->body.data[i]))
        i++;
    if (i == resp->body.len) {
        snprintf(why, whylen, "an empty body");
        return NULL;
    }
    json_t *v = req->items ? json_parse_items(resp->body.data, resp->body.len, req->items,
                                              stopped, why, whylen)
                           : json_parse_body(resp->body.data, resp->body.len, why, whylen);
    if (v && !json_is_object(v) && !json_is_array(v)) {
        snprintf(why, whylen, "a JSON %s, not an object or array",
                 json_is_string(v) ? "string" : "scalar");
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* A 2xx whose body is not JSON (a proxy's HTML page, a cut-off transfer)
 * is retried like a server error: it is usually gone a moment later. */
int http_send_json(struct http_client *c, const struct http_request *req, json_t **out,
                   struct hs_error *err)
{
    *out = NULL;
    int max = req->max_attempts > 0 ? req->max_attempts : HTTP_MAX_ATTEMPTS;
    for (int attempt = 0;; attempt++) {
        struct http_response resp;
        int rc = http_send(c, req, &resp, err);
        char why[256] = "";
        if (rc == 0 && req->parse_lock) {
            pthread_mutex_lock(req->parse_lock);
            if (req->arena)
                json_arena_attach(req->arena);
        }
        bool stopped = false;
        /* Every parse starts clean: an earlier reply to this request may
         * have handed items over before it broke off (retried here, or
         * by the caller after a 401). */
        if (rc == 0 && req->items && req->items->on_restart)
            req->items->on_restart(req->items->arg);
        json_t *v = rc == 0 ? json_of_body(req, &resp, &stopped, why, sizeof why) : NULL;
        if (rc == 0 && !v && req->parse_lock) {
            if (req->arena) {
                json_arena_trim(req->arena);
                json_arena_attach(NULL);
            }
            pthread_mutex_unlock(req->parse_lock);
        }
        long status = resp.status;
        http_response_free(&resp);
        if (rc < 0)
            return -1;
        if (v) {
            *out = v;
            return 0;
        }
        if (stopped)
            return hs_error_set(err, HS_ERR_FINAL, "a record of the page was refused");
        char *url = http_redact_url(req->url);
        long delay = attempt + 1 < max ? http_retry_delay_ms(attempt, 0, NULL, time(NULL)) : -1;
        if (delay < 0) {
            hs_error_set(err, HS_ERR_TEMP, "%s %s: HTTP %ld but the body is not JSON (%s)",
                         req->method ? req->method : "GET", url, status, why);
            free(url);
            return -1;
        }
        log_progress(c->name, NULL, "%s %s: the reply is not JSON (%.80s), retrying in %.1f s",
                     req->method ? req->method : "GET", url, why, delay / 1000.0);
        free(url);
        if (http_sleep_ms(delay) < 0)
            return hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
    }
}

/* ---- URLs and forms ---- */

char *http_escape(const char *s)
{
    struct buf b = BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            buf_addc(&b, (char)*p);
        else
            buf_addf(&b, "%%%02X", *p);
    }
    return buf_detach(&b);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

char *http_unescape(const char *s, bool plus_is_space)
{
    struct buf b = BUF_INIT;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
            buf_addc(&b, (char)(hi * 16 + lo));
            p += 2;
        } else {
            buf_addc(&b, plus_is_space && *p == '+' ? ' ' : *p);
        }
    }
    return buf_detach(&b);
}

static int add_pair(struct buf *b, const char *sep, const char *key, const char *value)
{
    char *k = http_escape(key), *v = http_escape(value ? value : "");
    int rc = k && v ? buf_addf(b, "%s%s=%s", sep, k, v) : buf_fail(b);
    free(k);
    free(v);
    return rc;
}

int http_url_add_param(struct buf *url, const char *key, const char *value)
{
    return add_pair(url, strchr(url->data, '?') ? "&" : "?", key, value);
}

int http_form_add(struct buf *form, const char *key, const char *value)
{
    return add_pair(form, form->len ? "&" : "", key, value);
}

int http_built(const struct buf *b, struct hs_error *err)
{
    if (!buf_failed(b))
        return 0;
    return hs_error_set(err, HS_ERR_FINAL, "out of memory building a request");
}

static bool is_secret_param(const char *name, size_t n)
{
    static const char *const names[] = {"access_token", "refresh_token", "client_secret",
                                        "password",     "code",          "api_key",
                                        "token",        "signature",     "id_token",
                                        "apikey",       NULL};
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && !strncasecmp(*p, name, n))
            return true;
    return false;
}

char *http_redact_url(const char *url)
{
    struct buf b = BUF_INIT;
    const char *q = strchr(url, '?');
    if (!q) {
        buf_adds(&b, url);
    } else {
        buf_add(&b, url, (size_t)(q - url));
        for (const char *p = q; *p;) {
            buf_addc(&b, *p++); /* '?' or '&' */
            size_t nlen = strcspn(p, "=&#");
            buf_add(&b, p, nlen);
            p += nlen;
            if (*p != '=')
                continue;
            size_t vlen = strcspn(p + 1, "&#");
            buf_addc(&b, '=');
            if (is_secret_param(p - nlen, nlen))
                buf_adds(&b, "[REDACTED]");
            else
                buf_add(&b, p + 1, vlen);
            p += 1 + vlen;
            if (*p == '#')
                break;
        }
    }
    char *out = log_redact(b.data);
    buf_free(&b);
    return out;
}
