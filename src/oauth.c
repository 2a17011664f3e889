/* oauth: waiting for an authorization code (loopback callback and pasted
 * input at once), parsing what people paste, and token bookkeeping. */
#include "oauth.h"

#include "buf.h"
#include "http.h"
#include "interrupt.h"
#include "json.h"
#include "log.h"
#include "textsafe.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void oauth_callback_clear(struct oauth_callback *cb)
{
    free(cb->code);
    free(cb->state);
    free(cb->error);
    free(cb->iss);
    memset(cb, 0, sizeof *cb);
}

char *oauth_random_state(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return NULL;
    /* base64url without padding: 16 bytes -> 22 characters. */
    char *out = malloc(23);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned int acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 6) {
            out[o++] = alphabet[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return out;
}

static void set_once(char **field, const char *value)
{
    if (!*field)
        *field = strdup(value);
}

int oauth_parse_query(const char *query, struct oauth_callback *out)
{
    int found = 0;
    char *copy = strdup(query), *save = NULL;
    if (!copy)
        return 0;
    for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq)
            *eq = '\0';
        char *key = http_unescape(pair, true);
        char *value = http_unescape(eq ? eq + 1 : "", true);
        char **field = !strcmp(key, "code")    ? &out->code
                       : !strcmp(key, "state") ? &out->state
                       : !strcmp(key, "error") ? &out->error
                       : !strcmp(key, "iss") || !strcmp(key, "issuer") ? &out->iss
                                                                          : NULL;
        if (field) {
            set_once(field, value);
            found = 1;
        }
        free(key);
        free(value);
    }
    free(copy);
    return found;
}

/* Tries one candidate query ("a=1&b=2"); 1 when it held callback fields. */
static int try_query(const char *q, size_t n, struct oauth_callback *out)
{
    char *part = strndup(q, n);
    if (!part)
        return 0;
    int found = oauth_parse_query(part, out);
    free(part);
    if (!found)
        oauth_callback_clear(out);
    return found;
}

int oauth_parse_paste(const char *line, struct oauth_callback *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    while (isspace((unsigned char)*line))
        line++;
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        n--;
    if (n == 0)
        return 0;
    char *s = strndup(line, n);
    if (!s)
        return -1;
    bool structured = true;
    int found = 0;
    char *q = strchr(s, '?'), *frag = strchr(s, '#');
    if (strstr(s, "://")) {
        if (q && (!frag || q < frag))
            found = try_query(q + 1, frag ? (size_t)(frag - q - 1) : strlen(q + 1), out);
        if (!found && frag)
            found = try_query(frag + 1, strlen(frag + 1), out);
    } else if (s[0] == '/') {
        if (q)
            found = try_query(q + 1, frag && frag > q ? (size_t)(frag - q - 1) : strlen(q + 1),
                              out);
    } else if (s[0] == '?') {
        found = try_query(s + 1, strlen(s + 1), out);
    } else if (strchr(s, '=') && (strchr(s, '&') || !strncmp(s, "code=", 5) ||
                                  !strncmp(s, "state=", 6) || !strncmp(s, "error=", 6))) {
        found = try_query(s, strlen(s), out);
    } else {
        structured = false;
    }
    int rc;
    if (found) {
        rc = 1;
    } else if (structured) {
        snprintf(why, whylen, "no code, state or error in what was pasted; still waiting");
        rc = -1;
    } else if (strpbrk(s, " \t")) {
        snprintf(why, whylen, "that does not look like a code or a redirect URL; still waiting");
        rc = -1;
    } else {
        out->code = s;
        s = NULL;
        rc = 1;
    }
    free(s);
    return rc;
}

int oauth_parse_redirect_uri(const char *uri, struct oauth_redirect *out, struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    const char *rest;
    if (!strncmp(uri, "http://", 7)) {
        out->scheme = strdup("http");
        out->port = 80;
        rest = uri + 7;
    } else if (!strncmp(uri, "https://", 8)) {
        out->scheme = strdup("https");
        out->port = 443;
        rest = uri + 8;
    } else {
        return hs_error_set(err, HS_ERR_CONFIG, "redirect_uri %s must start with http:// or https://",
                            uri);
    }
    size_t hostlen = strcspn(rest, "/?#");
    const char *hostport = rest, *colon = NULL;
    if (*hostport == '[') {
        const char *close = memchr(hostport, ']', hostlen);
        if (close && close + 1 < hostport + hostlen && close[1] == ':')
            colon = close + 1;
        out->host = close ? strndup(hostport + 1, (size_t)(close - hostport - 1)) : NULL;
    } else {
        colon = memchr(hostport, ':', hostlen);
        out->host = strndup(hostport, colon ? (size_t)(colon - hostport) : hostlen);
    }
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != hostport + hostlen || port <= 0 || port > 65535) {
            oauth_redirect_clear(out);
            return hs_error_set(err, HS_ERR_CONFIG, "redirect_uri %s has an invalid port", uri);
        }
        out->port = (int)port;
    }
    const char *path = rest + hostlen;
    size_t pathlen = strcspn(path, "?#");
    out->path = pathlen && *path == '/' ? strndup(path, pathlen) : strdup("/callback");
    if (!out->scheme || !out->host || !out->path || !*out->host) {
        oauth_redirect_clear(out);
        return hs_error_set(err, HS_ERR_CONFIG, "redirect_uri %s is not a valid URL", uri);
    }
    return 0;
}

void oauth_redirect_clear(struct oauth_redirect *r)
{
    free(r->scheme);
    free(r->host);
    free(r->path);
    memset(r, 0, sizeof *r);
}

/* ---- waiting for the code ---- */

/* Pasted text longer than this is no code or redirect URL (and is dropped
 * rather than kept in memory). */
#define PASTE_MAX 4096

enum verdict {
    AUTHORIZED, /* a code for the authorization we started */
    REFUSED,    /* the provider said no (error=), for our authorization */
    NOT_OURS,   /* missing or wrong state, or nothing usable: keep waiting */
};

/* Anything on this machine can call the listener, and a pasted URL may be
 * an old one: only what carries the state we sent is about our
 * authorization.  A bare pasted code (typed by the person running `auth`)
 * is the one thing allowed without a state. */
static enum verdict judge(const char *expected_state, const struct oauth_callback *cb,
                          bool needs_state, const char **why)
{
    if (!cb->state && needs_state)
        return *why = "it carries no state", NOT_OURS;
    if (cb->state && strcmp(cb->state, expected_state))
        return *why = "its state is not the one health-sync sent", NOT_OURS;
    if (cb->error)
        return *why = cb->error, REFUSED;
    if (!cb->code || !*cb->code)
        return *why = "it holds no code", NOT_OURS;
    return *why = NULL, AUTHORIZED;
}

struct waiter {
    pthread_mutex_t lock;
    const char *path;
    const char *title;
    const char *expected_state;
    bool done;
    struct oauth_callback result;
    int turned_away; /* callbacks answered 400 (for a message) */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static void take_arg(struct MHD_Connection *conn, const char *name, char **field)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    if (v && !*field)
        *field = strdup(v);
}

/* The page the browser shows: what happened, in words. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, const char *fmt,
                              const char *title, const char *detail)
{
    struct buf page = BUF_INIT, safe = BUF_INIT;
    text_escape(&safe, detail ? detail : "", 200);
    buf_addf(&page, fmt, title, safe.data);
    enum MHD_Result rc = reply(conn, status, buf_failed(&page) ? "health-sync\n" : page.data);
    buf_free(&page);
    buf_free(&safe);
    return rc;
}

static enum MHD_Result on_callback(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_size, void **req_cls)
{
    (void)method, (void)version, (void)upload_data, (void)upload_size, (void)req_cls;
    struct waiter *w = cls;
    if (strcmp(url, w->path))
        return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    struct oauth_callback cb = {0};
    take_arg(conn, "code", &cb.code);
    take_arg(conn, "state", &cb.state);
    take_arg(conn, "error", &cb.error);
    take_arg(conn, "iss", &cb.iss);
    take_arg(conn, "issuer", &cb.iss);
    const char *why;
    enum verdict v = judge(w->expected_state, &cb, true, &why);
    pthread_mutex_lock(&w->lock);
    bool late = w->done;
    if (v == NOT_OURS || late) {
        w->turned_away += !late;
        pthread_mutex_unlock(&w->lock);
        enum MHD_Result rc =
            answer(conn, MHD_HTTP_BAD_REQUEST,
                   late ? "health-sync: %s authorization already finished; this request (%s) was "
                          "not used.\n"
                        : "health-sync: not this request: %s authorization is still waiting for "
                          "the redirect it started (%s).\n",
                   w->title, late ? "ignored" : why);
        oauth_callback_clear(&cb);
        return rc;
    }
    w->result = cb;
    w->done = true;
    pthread_mutex_unlock(&w->lock);
    if (v == REFUSED)
        return answer(conn, MHD_HTTP_OK,
                      "health-sync: %s refused: %s\n"
                      "Nothing was stored. Run `health-sync auth` again to retry.\n",
                      w->title, why);
    return answer(conn, MHD_HTTP_OK,
                  "health-sync: %s authorized health-sync%s. You can close this tab.\n", w->title,
                  "");
}

static struct MHD_Daemon *start_listener(const char *host, int port, struct waiter *w,
                                         struct hs_error *err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        flags |= MHD_USE_IPv6;
    } else {
        hs_error_set(err, HS_ERR_CONFIG, "--listen-host %s is not an IP address", host);
        return NULL;
    }
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_callback, w, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&ss,
                         /* a previous run's connections in TIME_WAIT must not block it */
                         MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!d)
        hs_error_set(err, HS_ERR_FINAL,
                     "cannot listen on %s:%d for the OAuth callback (port in use?); pass "
                     "--listen-port or paste the redirected URL",
                     host, port);
    return d;
}

/* Reads what is available on stdin; returns a complete line (caller frees)
 * or NULL.  *eof is set at end of input.  A line longer than PASTE_MAX is
 * dropped as it arrives, and *overlong says so once it ends. */
static char *read_stdin_line(struct buf *pending, bool *eof, bool *dropping, bool *overlong)
{
    char chunk[1024];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        *eof = true;
    if (n > 0 && buf_add(pending, chunk, (size_t)n) < 0)
        buf_reset(pending);
    char *nl = memchr(pending->data, '\n', pending->len);
    if (!nl && pending->len > PASTE_MAX) {
        *dropping = true;
        buf_reset(pending);
    }
    if (!nl && !(*eof && pending->len))
        return NULL;
    size_t len = nl ? (size_t)(nl - pending->data) : pending->len;
    char *line = *dropping || len > PASTE_MAX ? NULL : strndup(pending->data, len);
    *overlong = *dropping || len > PASTE_MAX;
    *dropping = false;
    size_t consumed = nl ? len + 1 : len;
    memmove(pending->data, pending->data + consumed, pending->len - consumed + 1);
    pending->len -= consumed;
    return line;
}

struct wait_state {
    const struct oauth_wait *w;
    struct oauth_callback *out;
    struct hs_error *err;
    struct buf pending;
    bool eof, dropping;
    int warned_away; /* turned-away callbacks already reported */
};

/* One pasted line: 1 when it ended the wait (out or err set), else 0. */
static int take_paste(struct wait_state *ws, const char *line, bool overlong)
{
    if (overlong) {
        log_warn("what was pasted is longer than %d bytes: no code or redirect URL is; still "
                 "waiting",
                 PASTE_MAX);
        return 0;
    }
    char why_paste[200];
    struct oauth_callback cb;
    int p = oauth_parse_paste(line, &cb, why_paste, sizeof why_paste);
    if (p < 0)
        log_warn("%s", why_paste);
    if (p <= 0)
        return 0;
    const char *why;
    enum verdict v = judge(ws->w->expected_state, &cb, false, &why);
    if (v == NOT_OURS) {
        log_warn("not this authorization: %s; still waiting", why);
        oauth_callback_clear(&cb);
        return 0;
    }
    if (v == REFUSED) {
        hs_error_set(ws->err, HS_ERR_AUTH, "%s refused: %s",
                     ws->w->provider_title, why);
        oauth_callback_clear(&cb);
        return 1;
    }
    *ws->out = cb;
    return 1;
}

/* What the listener took, if anything: 1 when it ended the wait. */
static int take_callback(struct wait_state *ws, struct waiter *wt)
{
    int ended = 0;
    pthread_mutex_lock(&wt->lock);
    int away = wt->turned_away;
    if (wt->done) {
        const char *why;
        if (judge(ws->w->expected_state, &wt->result, true, &why) == REFUSED) {
            hs_error_set(ws->err, HS_ERR_AUTH, "%s refused: %s",
                         ws->w->provider_title, why);
            oauth_callback_clear(&wt->result);
        } else {
            *ws->out = wt->result;
        }
        memset(&wt->result, 0, sizeof wt->result);
        ended = 1;
    }
    pthread_mutex_unlock(&wt->lock);
    if (away > ws->warned_away) {
        log_warn("turned away %d callback%s that did not carry this authorization's state; "
                 "still waiting",
                 away - ws->warned_away, away - ws->warned_away == 1 ? "" : "s");
        ws->warned_away = away;
    }
    return ended;
}

/* Waits until a callback or a paste ends it, or the time is up. */
static void wait_loop(struct wait_state *ws, struct waiter *wt, struct MHD_Daemon *d)
{
    int timeout = ws->w->timeout_seconds > 0 ? ws->w->timeout_seconds : 300;
    time_t deadline = time(NULL) + timeout;
    for (;;) {
        if (hs_interrupted) {
            hs_error_set(ws->err, HS_ERR_INTERRUPTED, "interrupted");
            return;
        }
        if (time(NULL) >= deadline) {
            hs_error_set(ws->err, HS_ERR_AUTH,
                         "no authorization within %d s (no redirect came back and nothing was "
                         "pasted)",
                         timeout);
            return;
        }
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        if (!ws->eof && poll(&pfd, 1, 200) > 0) {
            bool overlong = false;
            char *line = read_stdin_line(&ws->pending, &ws->eof, &ws->dropping, &overlong);
            int ended = line || overlong ? take_paste(ws, line, overlong) : 0;
            free(line);
            if (ended)
                return;
        } else if (ws->eof) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (!d) {
                hs_error_set(ws->err, HS_ERR_AUTH, "no callback listener and no input");
                return;
            }
        }
        if (take_callback(ws, wt))
            return;
    }
}

int oauth_wait_for_code(const struct oauth_wait *w, struct oauth_callback *out,
                        struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    struct oauth_redirect r;
    if (oauth_parse_redirect_uri(w->redirect_uri, &r, err) < 0)
        return -1;
    struct waiter wt = {.path = r.path, .title = w->provider_title,
                        .expected_state = w->expected_state};
    pthread_mutex_init(&wt.lock, NULL);
    struct MHD_Daemon *d = start_listener(w->listen_host ? w->listen_host : "127.0.0.1",
                                          w->listen_port ? w->listen_port : r.port, &wt, err);
    if (!d && !w->read_stdin) {
        oauth_redirect_clear(&r);
        pthread_mutex_destroy(&wt.lock);
        return -1;
    }
    if (!d) {
        log_warn("%s", err->msg);
        hs_error_clear(err);
    }
    struct wait_state ws = {.w = w, .out = out, .err = err, .pending = BUF_INIT,
                            .eof = !w->read_stdin};
    wait_loop(&ws, &wt, d);
    if (d)
        MHD_stop_daemon(d);
    oauth_callback_clear(&wt.result);
    pthread_mutex_destroy(&wt.lock);
    buf_free(&ws.pending);
    oauth_redirect_clear(&r);
    if (out->code)
        return 0;
    oauth_callback_clear(out);
    return -1;
}

int oauth_open_browser(const char *url)
{
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
        execlp("xdg-open", "xdg-open", url, (char *)NULL);
        execlp("sensible-browser", "sensible-browser", url, (char *)NULL);
        _exit(127);
    }
    return 0;
}

/* ---- tokens ---- */

static char *string_field(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) && json_string_length(v) ? strdup(json_string_value(v)) : NULL;
}

int oauth_token_from_json(const char *provider, const json_t *reply, bool expires_at_absolute,
                          const char *previous_refresh, time_t now, struct token *out,
                          struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(reply) || !(out->access_token = string_field(reply, "access_token")))
        return hs_error_set(err, HS_ERR_AUTH, "%s token reply has no access_token", provider);
    out->provider = strdup(provider);
    out->refresh_token = string_field(reply, "refresh_token");
    if (!out->refresh_token && previous_refresh)
        out->refresh_token = strdup(previous_refresh);
    out->token_type = string_field(reply, "token_type");
    if (!out->token_type)
        out->token_type = strdup("Bearer");
    out->scope = string_field(reply, "scope");
    const char *expiry_key = expires_at_absolute ? "expires_at" : "expires_in";
    json_t *exp = json_object_get(reply, expiry_key);
    if (json_is_number(exp)) {
        double v = json_number_value(exp);
        time_t at = expires_at_absolute ? (time_t)v : now + (time_t)v;
        char iso[TIME_ISO_LEN];
        time_format_iso(at, iso);
        out->expires_at = strdup(iso);
    }
    char obtained[TIME_ISO_LEN];
    time_format_iso(now, obtained);
    out->obtained_at = strdup(obtained);
    json_t *extra = json_deep_copy(reply);
    static const char *const known[] = {"access_token", "refresh_token", "token_type", "scope"};
    for (size_t i = 0; i < 4; i++)
        json_object_del(extra, known[i]);
    json_object_del(extra, expiry_key);
    if (json_object_size(extra)) {
        struct buf b = BUF_INIT;
        json_dump_python(extra, false, &b);
        out->extra_json = buf_detach(&b);
    }
    json_decref(extra);
    log_add_secret(out->access_token);
    log_add_secret(out->refresh_token);
    return 0;
}

bool oauth_token_needs_refresh(const struct token *t, time_t now)
{
    if (!t->refresh_token || !*t->refresh_token || !t->expires_at || !*t->expires_at)
        return false;
    time_t at;
    if (time_parse(t->expires_at, &at) < 0)
        return true;
    return at - now <= 60;
}
