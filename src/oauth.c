/* oauth: waiting for an authorization code (loopback callback and pasted
 * input at once), parsing what people paste, and token bookkeeping. */
#include "oauth.h"

#include "buf.h"
#include "http.h"
#include "interrupt.h"
#include "json.h"
#include "log.h"
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

struct waiter {
    pthread_mutex_t lock;
    const char *path;
    bool done;
    struct oauth_callback result;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
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
    if (!cb.code && !cb.state && !cb.error && !cb.iss)
        return reply(conn, MHD_HTTP_BAD_REQUEST, "no authorization code in this request\n");
    pthread_mutex_lock(&w->lock);
    if (!w->done) {
        w->result = cb;
        w->done = true;
    } else {
        oauth_callback_clear(&cb);
    }
    pthread_mutex_unlock(&w->lock);
    return reply(conn, MHD_HTTP_OK,
                 "health-sync: authorization received, you can close this tab.\n");
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
 * or NULL.  *eof is set at end of input. */
static char *read_stdin_line(struct buf *pending, bool *eof)
{
    char chunk[1024];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        *eof = true;
    if (n > 0)
        buf_add(pending, chunk, (size_t)n);
    char *nl = memchr(pending->data, '\n', pending->len);
    if (!nl && !(*eof && pending->len))
        return NULL;
    size_t len = nl ? (size_t)(nl - pending->data) : pending->len;
    char *line = strndup(pending->data, len);
    size_t consumed = nl ? len + 1 : len;
    memmove(pending->data, pending->data + consumed, pending->len - consumed + 1);
    pending->len -= consumed;
    return line;
}

/* A redirect to the listener must carry our state (anything on this
 * machine can call the listener); only a bare code pasted by the person
 * running `auth` comes without one. */
static int check_result(const struct oauth_wait *w, struct oauth_callback *cb, bool from_listener,
                        struct hs_error *err)
{
    if (cb->error)
        return hs_error_set(err, HS_ERR_AUTH, "%s auth error: %s", w->provider_title, cb->error);
    if (!cb->code || !*cb->code)
        return hs_error_set(err, HS_ERR_AUTH, "%s auth failed: missing_code (no code in the "
                            "callback)", w->provider_title);
    if (from_listener && !cb->state)
        return hs_error_set(err, HS_ERR_AUTH, "%s auth failed: the callback carries no state; "
                            "start `health-sync auth` again", w->provider_title);
    if (cb->state && strcmp(cb->state, w->expected_state))
        return hs_error_set(err, HS_ERR_AUTH, "%s auth failed: the state does not match; "
                            "start `health-sync auth` again", w->provider_title);
    return 0;
}

int oauth_wait_for_code(const struct oauth_wait *w, struct oauth_callback *out,
                        struct hs_error *err)
{
    memset(out, 0, sizeof *out);
    struct oauth_redirect r;
    if (oauth_parse_redirect_uri(w->redirect_uri, &r, err) < 0)
        return -1;
    struct waiter wt = {.path = r.path};
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
    struct buf pending = BUF_INIT;
    bool eof = !w->read_stdin, got = false, from_listener = false;
    time_t deadline = time(NULL) + (w->timeout_seconds > 0 ? w->timeout_seconds : 300);
    int rc = -1;
    while (!got) {
        if (hs_interrupted) {
            hs_error_set(err, HS_ERR_INTERRUPTED, "interrupted");
            break;
        }
        if (time(NULL) >= deadline) {
            hs_error_set(err, HS_ERR_AUTH, "%s auth timed out after %d s without a callback",
                         w->provider_title, w->timeout_seconds > 0 ? w->timeout_seconds : 300);
            break;
        }
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        if (!eof && poll(&pfd, 1, 200) > 0) {
            char *line = read_stdin_line(&pending, &eof);
            if (line) {
                char why[200];
                struct oauth_callback cb;
                int p = oauth_parse_paste(line, &cb, why, sizeof why);
                if (p > 0) {
                    *out = cb;
                    got = true;
                } else if (p < 0) {
                    log_warn("%s", why);
                }
                free(line);
            }
        } else if (eof) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            if (!d) {
                hs_error_set(err, HS_ERR_AUTH, "%s auth: no callback listener and no input",
                             w->provider_title);
                break;
            }
        }
        pthread_mutex_lock(&wt.lock);
        if (!got && wt.done) {
            *out = wt.result;
            memset(&wt.result, 0, sizeof wt.result);
            got = from_listener = true;
        }
        pthread_mutex_unlock(&wt.lock);
    }
    if (d)
        MHD_stop_daemon(d);
    oauth_callback_clear(&wt.result);
    pthread_mutex_destroy(&wt.lock);
    buf_free(&pending);
    oauth_redirect_clear(&r);
    if (got)
        rc = check_result(w, out, from_listener, err);
    if (rc < 0)
        oauth_callback_clear(out);
    return rc;
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
