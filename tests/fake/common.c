/* fake/common.c: what every fake provider shares: request helpers,
 * responses, tokens, deterministic randomness and dates. */
#include "fake.h"

#include "timeutil.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fake_options fake_opt = {.years = 2, .density = 0.9, .seed = 42, .token_ttl = 3600,
                                .garbage_kind = -1,
                                .hr_hours = 3, .hr_page_size = 100};

static pthread_mutex_t data_lock = PTHREAD_MUTEX_INITIALIZER;

void fake_lock(void)
{
    pthread_mutex_lock(&data_lock);
}

void fake_unlock(void)
{
    pthread_mutex_unlock(&data_lock);
}

/* ---- requests ---- */

/* Looks name up in an x-www-form-urlencoded body; returns a static-per-thread copy. */
static const char *form_value(const char *body, const char *name)
{
    static __thread char value[4096];
    size_t n = strlen(name);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > n && !strncmp(p, name, n) && p[n] == '=') {
            size_t o = 0;
            for (const char *q = p + n + 1; q < p + len && o + 1 < sizeof value; q++) {
                if (*q == '%' && q + 2 < p + len + 1) {
                    char hex[3] = {q[1], q[2], 0};
                    value[o++] = (char)strtol(hex, NULL, 16);
                    q += 2;
                } else {
                    value[o++] = *q == '+' ? ' ' : *q;
                }
            }
            value[o] = '\0';
            return value;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

const char *fake_arg(const struct fake_request *req, const char *name)
{
    const char *ct = fake_header(req, "Content-Type");
    if (req->body_len && ct && strstr(ct, "x-www-form-urlencoded")) {
        const char *v = form_value(req->body, name);
        if (v)
            return v;
    }
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *fake_header(const struct fake_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *fake_bearer(const struct fake_request *req)
{
    const char *auth = fake_header(req, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return NULL;
    return auth + 7;
}

/* ---- responses ---- */

int fake_json(struct fake_response *resp, int status, json_t *body)
{
    resp->status = status;
    resp->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    resp->content_type = "application/json";
    json_decref(body);
    return 0;
}

int fake_text(struct fake_response *resp, int status, const char *content_type, const char *text)
{
    resp->status = status;
    resp->body = strdup(text);
    resp->content_type = content_type;
    return 0;
}

int fake_error(struct fake_response *resp, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fake_json(resp, status, json_pack("{s:s}", "detail", msg));
}

void fake_add_header(struct fake_response *resp, const char *name, const char *value)
{
    if (resp->nheaders >= (int)(sizeof resp->headers / sizeof resp->headers[0]))
        return;
    snprintf(resp->headers[resp->nheaders][0], sizeof resp->headers[0][0], "%s", name);
    snprintf(resp->headers[resp->nheaders][1], sizeof resp->headers[0][1], "%s", value);
    resp->nheaders++;
}

int fake_authorize_redirect(const struct fake_request *req, struct fake_response *resp,
                            const char *expected_client_id, const char *code)
{
    const char *client = fake_arg(req, "client_id"), *redirect = fake_arg(req, "redirect_uri");
    const char *state = fake_arg(req, "state");
    if (!redirect || strncmp(redirect, "http", 4))
        return fake_text(resp, 400, "text/plain", "missing redirect_uri\n");
    char location[2048];
    if (!client || strcmp(client, expected_client_id))
        snprintf(location, sizeof location, "%s?error=invalid_client%s%s", redirect,
                 state ? "&state=" : "", state ? state : "");
    else
        snprintf(location, sizeof location, "%s?code=%s%s%s", redirect, code,
                 state ? "&state=" : "", state ? state : "");
    fake_text(resp, 302, "text/html", "<html><body>Redirecting</body></html>\n");
    fake_add_header(resp, "Location", location);
    return 0;
}

/* ---- tokens ---- */

#define MAX_TOKENS 4096
static struct {
    char provider[16];
    struct fake_token tok;
    bool refresh_used;
    bool revoked;
} tokens[MAX_TOKENS];
static int ntokens;
static uint64_t token_counter;

void fake_issue_token(const char *provider, struct fake_token *out)
{
    fake_lock();
    uint64_t n = ++token_counter;
    snprintf(out->access, sizeof out->access, "%s-access-%llu-%llx", provider,
             (unsigned long long)n, (unsigned long long)fake_hash(n, 1));
    snprintf(out->refresh, sizeof out->refresh, "%s-refresh-%llu-%llx", provider,
             (unsigned long long)n, (unsigned long long)fake_hash(n, 2));
    out->expires = time(NULL) + fake_opt.token_ttl;
    int slot = ntokens < MAX_TOKENS ? ntokens++ : (int)(n % MAX_TOKENS);
    snprintf(tokens[slot].provider, sizeof tokens[slot].provider, "%s", provider);
    tokens[slot].tok = *out;
    tokens[slot].refresh_used = false;
    tokens[slot].revoked = false;
    fake_unlock();
}

bool fake_token_valid(const char *provider, const char *access)
{
    bool ok = false;
    if (!access)
        return false;
    fake_lock();
    for (int i = 0; i < ntokens && !ok; i++)
        ok = !strcmp(tokens[i].provider, provider) && !strcmp(tokens[i].tok.access, access) &&
             !tokens[i].revoked && tokens[i].tok.expires > time(NULL);
    fake_unlock();
    return ok;
}

bool fake_refresh_use(const char *provider, const char *refresh)
{
    bool ok = false;
    if (!refresh)
        return false;
    fake_lock();
    for (int i = 0; i < ntokens && !ok; i++)
        if (!strcmp(tokens[i].provider, provider) && !strcmp(tokens[i].tok.refresh, refresh) &&
            !tokens[i].refresh_used && !tokens[i].revoked) {
            tokens[i].refresh_used = true; /* rotated: single use */
            ok = true;
        }
    fake_unlock();
    return ok;
}

void fake_expire_access(const char *provider)
{
    fake_lock();
    for (int i = 0; i < ntokens; i++)
        if (!strcmp(tokens[i].provider, provider))
            tokens[i].tok.expires = 0;
    fake_unlock();
}

void fake_revoke(const char *provider)
{
    fake_lock();
    for (int i = 0; i < ntokens; i++)
        if (!strcmp(tokens[i].provider, provider))
            tokens[i].revoked = true;
    fake_unlock();
}

/* ---- randomness (splitmix64) ---- */

uint64_t fake_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double fake_uniform(uint64_t *state)
{
    return (double)(fake_rand(state) >> 11) / 9007199254740992.0;
}

uint64_t fake_hash(uint64_t a, uint64_t b)
{
    uint64_t s = a * 0x100000001B3ULL ^ b ^ fake_opt.seed;
    return fake_rand(&s);
}

/* ---- days ---- */

long fake_day_count(void)
{
    return fake_opt.days > 0 ? fake_opt.days : (long)fake_opt.years * 365;
}

time_t fake_day_start(long d)
{
    time_t today = fake_opt.now - fake_opt.now % 86400;
    return today - (time_t)(fake_day_count() - 1 - d) * 86400;
}

void fake_iso(time_t t, char out[32])
{
    char iso[TIME_ISO_LEN];
    time_format_iso(t, iso);
    snprintf(out, 32, "%s", iso);
}

void fake_iso_ms(time_t t, char out[40])
{
    char iso[TIME_ISO_LEN];
    time_format_iso(t, iso);
    snprintf(out, 40, "%.19s.000+00:00", iso);
}

void fake_date(time_t t, char out[16])
{
    char d[TIME_DATE_LEN];
    time_format_date(t, d);
    snprintf(out, 16, "%s", d);
}

int fake_parse_time(const char *s, time_t *out)
{
    return s ? time_parse(s, out) : -1;
}
