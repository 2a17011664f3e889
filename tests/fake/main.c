/* fake-provider: serves every fake provider on one loopback port.
 *
 *   fake-provider --print-config URL [--enable P,...|all] [--set P.KEY=VALUE]...
 *                 (the client config for every fake provider: client_config.c)
 *   fake-provider [--port N] [--port-file F] [--years Y | --days N] [--density D]
 *                 [--seed S] [--latency-ms MS] [--error-rate R] [--drop-rate R]
 *                 [--rate429 R] [--token-ttl S] [--heartrate-hours H]
 *                 [--heartrate-page-size N] [--oura-collections C,...]
 *
 * Test control (not part of any real API):
 *   GET  /_admin/stats          request counts per provider and per path, the longest
 *                               chain of continuation pages, the most answered at once
 *                               (in all, and per route: the path with its ids as "*")
 *   POST /_admin/reset-stats
 *   POST /_admin/config?error_rate=&drop_rate=&rate429=&garbage_rate=&garbage_kind=&latency_ms=&token_ttl=&next_token_pad=
 *                       &absent=PATH,...   (those paths answer 404, as a server without them)
 *   POST /_admin/expire?provider=P  every access token of P expires now
 *   POST /_admin/revoke?provider=P  revoke every token of P
 *   POST /_admin/<provider>/<action>?...   data changes (see each provider)
 */
#include "fake.h"

#include "timeutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FAKES 16
static const struct fake_provider *fakes[MAX_FAKES + 1];

/* Runs before main (constructors): prefixed providers first, so that the
 * root ones never see another's paths. */
void fake_register(const struct fake_provider *p)
{
    size_t n = 0;
    while (fakes[n])
        n++;
    if (n == MAX_FAKES)
        abort();
    size_t at = n;
    while (at > 0 && *p->prefix && !*fakes[at - 1]->prefix)
        at--;
    memmove(&fakes[at + 1], &fakes[at], (n - at) * sizeof *fakes);
    fakes[at] = p;
}

const struct fake_provider *const *fake_providers(void)
{
    return fakes;
}

/* ---- stats ---- */

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *stats_paths, *stats_providers;
static long stats_total;
static long stats_in_flight, stats_max_in_flight; /* requests being answered at once */
/* The same per route (the path with its ids as "*"), so that tests can
 * tell a client asked for several users or devices side by side. */
static json_t *route_in_flight, *route_max_in_flight;

/* A path segment of 16 or more letters and digits is an id. */
static void route_of(const char *path, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 2 < size;) {
        size_t n = strcspn(p, "/?");
        size_t alnum = 0;
        while (alnum < n && isalnum((unsigned char)p[alnum]))
            alnum++;
        if (n >= 16 && alnum == n) {
            out[o++] = '*';
        } else {
            size_t k = n < size - 2 - o ? n : size - 2 - o;
            memcpy(out + o, p, k);
            o += k;
        }
        p += n;
        if (*p != '/')
            break;
        out[o++] = *p++;
    }
    out[o] = '\0';
}

static void count_in_flight(const char *path, int delta)
{
    char route[512];
    route_of(path, route, sizeof route);
    pthread_mutex_lock(&stats_lock);
    stats_in_flight += delta;
    if (stats_in_flight > stats_max_in_flight)
        stats_max_in_flight = stats_in_flight;
    json_int_t now = json_integer_value(json_object_get(route_in_flight, route)) + delta;
    json_object_set_new(route_in_flight, route, json_integer(now));
    if (now > json_integer_value(json_object_get(route_max_in_flight, route)))
        json_object_set_new(route_max_in_flight, route, json_integer(now));
    pthread_mutex_unlock(&stats_lock);
}

void fake_count(const char *provider, const char *path)
{
    pthread_mutex_lock(&stats_lock);
    char key[512];
    snprintf(key, sizeof key, "%s %s", provider, path);
    json_object_set_new(stats_paths, key,
                        json_integer(json_integer_value(json_object_get(stats_paths, key)) + 1));
    json_object_set_new(
        stats_providers, provider,
        json_integer(json_integer_value(json_object_get(stats_providers, provider)) + 1));
    stats_total++;
    pthread_mutex_unlock(&stats_lock);
}

/* Requests that follow a continuation (Oura next_token, Withings offset,
 * Eight Sleep next) cannot be sent before the previous page has arrived:
 * counting them per listing gives the longest chain a client must walk one
 * request after another (benchmarks report it as the lower bound). */
static json_t *stats_chains;
static long stats_longest_chain;
static char longest_listing[2048]; /* the listing of that chain */

static bool is_continuation(const char *name)
{
    return !strcmp(name, "next_token") || !strcmp(name, "offset") || !strcmp(name, "next");
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    json_t *args = cls;
    if (!is_continuation(key))
        json_object_set_new(args, key, json_string(value ? value : ""));
    return MHD_YES;
}

static void count_chain(const char *provider, const struct fake_request *req)
{
    json_t *args = json_object();
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_arg, args);
    char *body = strdup(req->body), *save = NULL;
    for (char *pair = strtok_r(body, "&", &save); pair && !req->json;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        if (eq)
            *eq++ = '\0';
        add_arg(args, MHD_POSTDATA_KIND, pair, eq);
    }
    free(body);
    char *listing = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
    char key[2048];
    snprintf(key, sizeof key, "%s %s %s", provider, req->path, listing ? listing : "");
    free(listing);
    json_decref(args);
    pthread_mutex_lock(&stats_lock);
    json_int_t n = json_integer_value(json_object_get(stats_chains, key)) + 1;
    json_object_set_new(stats_chains, key, json_integer(n));
    if (n > stats_longest_chain) {
        stats_longest_chain = (long)n;
        snprintf(longest_listing, sizeof longest_listing, "%s", key);
    }
    pthread_mutex_unlock(&stats_lock);
}

static int admin_stats(struct fake_response *resp, bool reset)
{
    pthread_mutex_lock(&stats_lock);
    json_t *out = json_pack("{s:I,s:O,s:O,s:I,s:s,s:I,s:O}", "total", (json_int_t)stats_total,
                            "providers", stats_providers, "paths", stats_paths, "longest_chain",
                            (json_int_t)stats_longest_chain, "longest_chain_listing",
                            longest_listing, "max_in_flight", (json_int_t)stats_max_in_flight,
                            "max_in_flight_by_route", route_max_in_flight);
    if (reset) {
        json_object_clear(stats_paths);
        json_object_clear(stats_providers);
        json_object_clear(stats_chains);
        stats_total = 0;
        stats_longest_chain = 0;
        longest_listing[0] = '\0';
        stats_max_in_flight = stats_in_flight;
        json_object_clear(route_max_in_flight);
    }
    pthread_mutex_unlock(&stats_lock);
    return fake_json(resp, 200, out);
}

/* Request paths answered 404 as by a server that has no such endpoint (an
 * older API version, or one that never had a newer collection). */
static pthread_mutex_t absent_lock = PTHREAD_MUTEX_INITIALIZER;
static char absent_paths[2048]; /* comma separated */

static void set_absent_paths(const char *list)
{
    pthread_mutex_lock(&absent_lock);
    snprintf(absent_paths, sizeof absent_paths, "%s", list);
    pthread_mutex_unlock(&absent_lock);
}

static bool path_absent(const char *path)
{
    size_t n = strlen(path);
    bool found = false;
    pthread_mutex_lock(&absent_lock);
    for (const char *p = absent_paths; *p && !found;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        found = len == n && !strncmp(p, path, n);
        p += comma ? len + 1 : len;
    }
    pthread_mutex_unlock(&absent_lock);
    return found;
}

static int admin_config(struct fake_request *req, struct fake_response *resp)
{
    const char *v;
    if ((v = fake_arg(req, "error_rate")))
        fake_opt.error_rate = atof(v);
    if ((v = fake_arg(req, "drop_rate")))
        fake_opt.drop_rate = atof(v);
    if ((v = fake_arg(req, "rate429")))
        fake_opt.rate429 = atof(v);
    if ((v = fake_arg(req, "garbage_rate")))
        fake_opt.garbage_rate = atof(v);
    if ((v = fake_arg(req, "garbage_kind")))
        fake_opt.garbage_kind = atoi(v);
    if ((v = fake_arg(req, "latency_ms")))
        fake_opt.latency_ms = atoi(v);
    if ((v = fake_arg(req, "token_ttl")))
        fake_opt.token_ttl = atoi(v);
    if ((v = fake_arg(req, "next_token_pad")))
        fake_opt.next_token_pad = atoi(v);
    if ((v = fake_arg(req, "absent")))
        set_absent_paths(v);
    return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
}

static int handle_admin(struct fake_request *req, struct fake_response *resp)
{
    const char *p = req->full_path + strlen("/_admin/");
    if (!strcmp(p, "stats"))
        return admin_stats(resp, false);
    if (!strcmp(p, "reset-stats"))
        return admin_stats(resp, true);
    if (!strcmp(p, "config"))
        return admin_config(req, resp);
    if (!strcmp(p, "expire") && fake_arg(req, "provider")) {
        fake_expire_access(fake_arg(req, "provider"));
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    if (!strcmp(p, "revoke") && fake_arg(req, "provider")) {
        /* Every token of the provider, refresh tokens included: the user
         * revoked the application's access. */
        fake_revoke(fake_arg(req, "provider"));
        return fake_json(resp, 200, json_pack("{s:b}", "ok", 1));
    }
    for (const struct fake_provider *const *f = fakes; *f; f++) {
        size_t n = strlen((*f)->name);
        if (!strncmp(p, (*f)->name, n) && p[n] == '/' && (*f)->admin)
            return (*f)->admin(p + n + 1, req, resp);
    }
    return fake_error(resp, 404, "no admin action %s", p);
}

/* ---- faults ---- */

static double fault_roll(void)
{
    static uint64_t state = 0x5EED;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    double v = fake_uniform(&state);
    pthread_mutex_unlock(&lock);
    return v;
}

/* Real services' error bursts end: the same request (path, query and
 * body) never fails more than MAX_FAULTS_IN_A_ROW times in a row (unless
 * every request fails), so a client that retries as it should always gets
 * through, however many other requests to that path it has in flight:
 * tests stay deterministic in outcome. */
#define MAX_FAULTS_IN_A_ROW 2
#define FAULT_SLOTS 65536
static unsigned char faults_in_a_row[FAULT_SLOTS];

static unsigned hash_add(unsigned h, const char *s)
{
    for (; s && *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h * 33 + '&';
}

static enum MHD_Result hash_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    unsigned *h = cls;
    *h = hash_add(hash_add(*h, key), value);
    return MHD_YES;
}

/* Which request this is, whatever else is in flight to the same path. */
static unsigned request_hash(const struct fake_request *req)
{
    unsigned h = hash_add(5381, req->full_path);
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, hash_arg, &h);
    return hash_add(h, req->body);
}

static bool fault_allowed(unsigned h, bool fault)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    unsigned char *n = &faults_in_a_row[h % FAULT_SLOTS];
    bool allowed = fault && *n < MAX_FAULTS_IN_A_ROW;
    *n = allowed ? (unsigned char)(*n + 1) : 0;
    pthread_mutex_unlock(&lock);
    return allowed;
}

/* Returns true when a fault was injected into resp. */
static bool inject_fault(const struct fake_request *req, struct fake_response *resp)
{
    double r = fault_roll();
    double total = fake_opt.drop_rate + fake_opt.error_rate + fake_opt.rate429 +
                   fake_opt.garbage_rate;
    /* A rate of 1 is a service that is simply broken: no end to the burst. */
    if (total < 1 && !fault_allowed(request_hash(req), r < total))
        return false;
    if (r < fake_opt.drop_rate) {
        resp->drop = true;
        return true;
    }
    r -= fake_opt.drop_rate;
    if (r < fake_opt.error_rate) {
        static const int codes[] = {500, 502, 503};
        fake_text(resp, codes[(int)(r * 1000) % 3], "text/html",
                  "<html><body><h1>Server Error</h1></body></html>\n");
        return true;
    }
    r -= fake_opt.error_rate;
    if (r < fake_opt.rate429) {
        fake_error(resp, 429, "Too Many Requests");
        fake_add_header(resp, "Retry-After", "1");
        return true;
    }
    r -= fake_opt.rate429;
    if (r < fake_opt.garbage_rate) {
        /* What proxies and half-broken backends send with a 200. */
        static const char *const garbage[] = {
            "<html><head><title>Maintenance</title></head><body>Back soon</body></html>\n",
            "{\"data\":[{\"id\":\"abc\",\"day\":\"2024-0",
            "{\"detail\":\"\xff\xfe invalid UTF-8\"}",
            "",
            /* Cut off after a whole record: a client streaming the page
             * must not keep that record when it retries. */
            "{\"data\":[{\"id\":\"cut-off-record\",\"day\":\"2024-01-01\",\"bpm\":60,"
            "\"timestamp\":\"2024-01-01T00:00:00+00:00\"},{\"id\":\"cut",
        };
        int kind = fake_opt.garbage_kind >= 0 && fake_opt.garbage_kind < 5 ? fake_opt.garbage_kind
                                                                            : (int)(r * 1e6) % 5;
        fake_text(resp, 200, "application/json", garbage[kind]);
        return true;
    }
    return false;
}

/* ---- dispatch ---- */

static void dispatch_to_provider(struct fake_request *req, struct fake_response *resp)
{
    if (fake_opt.latency_ms > 0)
        usleep((useconds_t)fake_opt.latency_ms * 1000);
    if (inject_fault(req, resp))
        return;
    if (path_absent(req->full_path)) {
        fake_error(resp, 404, "Not Found: %s", req->full_path);
        return;
    }
    for (const struct fake_provider *const *f = fakes; *f; f++) {
        size_t n = strlen((*f)->prefix);
        if (strncmp(req->full_path, (*f)->prefix, n))
            continue;
        req->path = req->full_path + n;
        if ((*f)->handle(req, resp) == 0) {
            fake_count((*f)->name, req->path);
            count_chain((*f)->name, req);
            return;
        }
    }
    fake_error(resp, 404, "Not Found: %s", req->full_path);
}

static void dispatch(struct fake_request *req, struct fake_response *resp)
{
    if (!strncmp(req->full_path, "/_admin/", 8)) {
        handle_admin(req, resp);
        return;
    }
    count_in_flight(req->full_path, 1);
    dispatch_to_provider(req, resp);
    count_in_flight(req->full_path, -1);
}

struct conn_state {
    char *body;
    size_t len;
};

static enum MHD_Result send_response(struct MHD_Connection *conn, struct fake_response *r)
{
    const char *body = r->body ? r->body : "";
    struct MHD_Response *mr = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                              MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(mr, "Content-Type",
                            r->content_type ? r->content_type : "application/json");
    for (int i = 0; i < r->nheaders; i++)
        MHD_add_response_header(mr, r->headers[i][0], r->headers[i][1]);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **req_cls)
{
    (void)cls, (void)version;
    struct conn_state *cs = *req_cls;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        *req_cls = cs;
        return MHD_YES;
    }
    if (*upload_size) {
        char *grown = realloc(cs->body, cs->len + *upload_size + 1);
        if (!grown)
            return MHD_NO;
        memcpy(grown + cs->len, upload, *upload_size);
        cs->body = grown;
        cs->len += *upload_size;
        cs->body[cs->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    struct fake_request req = {
        .method = method, .full_path = url, .conn = conn,
        .body = cs->body ? cs->body : "", .body_len = cs->len,
    };
    if (cs->len && cs->body[0] == '{')
        req.json = json_loadb(cs->body, cs->len, 0, NULL);
    struct fake_response resp = {.status = 500};
    dispatch(&req, &resp);
    json_decref(req.json);
    enum MHD_Result rc = resp.drop ? MHD_NO : send_response(conn, &resp);
    free(resp.body);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)conn, (void)toe;
    struct conn_state *cs = *req_cls;
    if (cs) {
        free(cs->body);
        free(cs);
        *req_cls = NULL;
    }
}

/* ---- main ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: fake-provider [--port N] [--port-file F] [--years Y | --days N] "
                    "[--density D] "
                    "[--seed S] [--latency-ms MS] [--error-rate R] [--drop-rate R] "
                    "[--rate429 R] [--token-ttl S] [--heartrate-hours H] "
                    "[--heartrate-page-size N] [--oura-collections C,...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int port = 0;
    const char *port_file = NULL;
    if (argc > 1 && !strcmp(argv[1], "--print-config"))
        return fake_print_config(argc - 2, argv + 2);
    fake_opt.now = time_now();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--port-file"))
            port_file = v;
        else if (!strcmp(a, "--years"))
            fake_opt.years = atoi(v) > 0 ? atoi(v) : 1;
        else if (!strcmp(a, "--days"))
            fake_opt.days = atoi(v) > 0 ? atoi(v) : 1;
        else if (!strcmp(a, "--density"))
            fake_opt.density = atof(v);
        else if (!strcmp(a, "--seed"))
            fake_opt.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--latency-ms"))
            fake_opt.latency_ms = atoi(v);
        else if (!strcmp(a, "--error-rate"))
            fake_opt.error_rate = atof(v);
        else if (!strcmp(a, "--drop-rate"))
            fake_opt.drop_rate = atof(v);
        else if (!strcmp(a, "--rate429"))
            fake_opt.rate429 = atof(v);
        else if (!strcmp(a, "--garbage-rate"))
            fake_opt.garbage_rate = atof(v);
        else if (!strcmp(a, "--token-ttl"))
            fake_opt.token_ttl = atoi(v);
        else if (!strcmp(a, "--heartrate-hours"))
            fake_opt.hr_hours = atoi(v) >= 1 && atoi(v) <= 24 ? atoi(v) : 3;
        else if (!strcmp(a, "--heartrate-page-size"))
            fake_opt.hr_page_size = atoi(v) > 0 ? atoi(v) : 100;
        else if (!strcmp(a, "--oura-collections"))
            fake_opt.oura_collections = v;
        else
            return usage();
        i++;
    }
    stats_paths = json_object();
    stats_providers = json_object();
    route_in_flight = json_object();
    route_max_in_flight = json_object();
    stats_chains = json_object();
    for (const struct fake_provider *const *f = fakes; *f; f++)
        if ((*f)->init)
            (*f)->init();

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL,
        NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "fake-provider: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int bound = info ? info->port : port;
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file)) {
            fprintf(stderr, "fake-provider: cannot write %s\n", port_file);
            return 1;
        }
    }
    fprintf(stderr, "fake-provider: listening on http://127.0.0.1:%d (%ld days of data)\n",
            bound, fake_day_count());
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    json_decref(stats_paths);
    json_decref(stats_providers);
    json_decref(stats_chains);
    return 0;
}
