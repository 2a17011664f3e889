/* eightsleep_auth.c: signing in to Eight Sleep.  A password grant at
 * auth_url with the app's client id and secret; the token lives about 20
 * hours and is never refreshed with a refresh token: a new login replaces
 * it, on expiry or on a 401.  A configured access_token is used as is. */
#include "eightsleep.h"

#include "log.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_MARGIN_SECONDS 60

static bool static_token_configured(const struct provider_run *run)
{
    const char *v = run_config_str(run, "access_token");
    return v && *v;
}

/* expires_at as ISO, or starting with YYYY-MM-DD (the Python tool's reading). */
static bool token_fresh(const struct token *t, time_t now)
{
    time_t at;
    const char *s = t->expires_at;
    if (!s || !*s)
        return false;
    if (time_parse(s, &at) < 0) {
        char date[TIME_DATE_LEN];
        if (strlen(s) < 10)
            return false;
        memcpy(date, s, 10);
        date[10] = '\0';
        if (time_parse_date(date, &at) < 0)
            return false;
    }
    return at - now > TOKEN_MARGIN_SECONDS;
}

/* All four keys of the password grant, naming every missing one at once. */
static int require_login_keys(struct provider_run *run, struct hs_error *err)
{
    static const char *const keys[] = {"email", "password", "client_id", "client_secret"};
    struct buf missing = BUF_INIT;
    for (size_t i = 0; i < 4; i++) {
        const char *v = run_config_str(run, keys[i]);
        if (!v || !*v)
            buf_addf(&missing, "%s[eightsleep].%s", missing.len ? ", " : "", keys[i]);
    }
    int rc = 0;
    if (missing.len)
        rc = hs_error_set(err, HS_ERR_CONFIG,
                          "missing %s in %s (the Eight Sleep password login needs email, "
                          "password, client_id and client_secret; or set "
                          "[eightsleep].access_token)",
                          missing.data, config_path(run->cfg));
    buf_free(&missing);
    return rc;
}

static char *login_body(struct provider_run *run)
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s}", "client_id", run_config_str(run, "client_id"),
                             "client_secret", run_config_str(run, "client_secret"), "grant_type",
                             "password", "username", run_config_str(run, "email"), "password",
                             run_config_str(run, "password"));
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    return s;
}

/* expires_in is a number of seconds, possibly fractional or a numeric string. */
static bool expires_in_seconds(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    char *end;
    *out = strtod(json_string_value(v), &end);
    return end != json_string_value(v) && *end == '\0';
}

/* The row the Python tool stores: no refresh token, type Bearer, expires_at
 * = now + expires_in, extra = every field but access_token and expires_in. */
static int token_from_reply(const json_t *reply, time_t now, struct token *tok,
                            struct hs_error *err)
{
    memset(tok, 0, sizeof *tok);
    const char *access = json_string_value(json_object_get(reply, "access_token"));
    if (!access || !*access)
        return hs_error_set(err, HS_ERR_AUTH, "the Eight Sleep login reply has no access_token");
    /* A refresh token may come back; it is kept in extra but never used. */
    log_add_secret(json_string_value(json_object_get(reply, "refresh_token")));
    char iso[TIME_ISO_LEN];
    time_format_iso(now, iso);
    tok->provider = strdup("eightsleep");
    tok->access_token = strdup(access);
    tok->token_type = strdup("Bearer");
    tok->obtained_at = strdup(iso);
    double seconds;
    if (expires_in_seconds(json_object_get(reply, "expires_in"), &seconds)) {
        time_format_iso(now + (time_t)seconds, iso);
        tok->expires_at = strdup(iso);
    }
    json_t *extra = json_deep_copy(reply);
    json_object_del(extra, "access_token");
    json_object_del(extra, "expires_in");
    if (json_object_size(extra)) {
        struct buf b = BUF_INIT;
        json_dump_python(extra, false, &b);
        tok->extra_json = buf_detach(&b);
    }
    json_decref(extra);
    return 0;
}

/* A rejected login is the person's to fix, so it says which keys to check. */
static int login_failed(struct provider_run *run, struct hs_error *http_err, struct hs_error *err)
{
    bool rejected = http_err->http_status == 401 || http_err->http_status == 403 ||
                    (http_err->http_status == 400 && strstr(http_err->msg, "invalid_grant"));
    if (!rejected) {
        *err = *http_err;
        return hs_error_prefix(err, "Eight Sleep login failed: ");
    }
    return hs_error_set(err, HS_ERR_AUTH,
                        "Eight Sleep rejected the email/password (or client_id/client_secret) "
                        "of [eightsleep] in %s: %s",
                        config_path(run->cfg), http_err->msg);
}

/* Logs in with the password grant and stores the token. */
static int login(struct provider_run *run, bool say, struct hs_error *err)
{
    if (require_login_keys(run, err) < 0)
        return -1;
    char *body = login_body(run);
    if (!body)
        return hs_error_set(err, HS_ERR_FINAL, "out of memory");
    struct http_request req = {
        .method = "POST",
        .url = run_config_str(run, "auth_url"),
        .body = body,
        .content_type = "application/json",
    };
    json_t *reply = NULL;
    struct hs_error http_err = HS_ERROR_INIT;
    int rc = http_send_json(run->http, &req, &reply, &http_err);
    free(body);
    if (rc < 0)
        return login_failed(run, &http_err, err);
    struct token tok;
    rc = token_from_reply(reply, time_now(), &tok, err);
    json_decref(reply);
    if (rc == 0)
        rc = run_save_token(run, &tok, err);
    if (rc == 0) {
        run_set_access_token(run, tok.access_token);
        if (say)
            log_info("Eight Sleep accepted the email/password; token stored (expires %s).",
                     tok.expires_at ? tok.expires_at : "never");
    }
    store_token_clear(&tok);
    return rc;
}

int eightsleep_prepare(struct provider_run *run, struct hs_error *err)
{
    if (static_token_configured(run)) {
        run_set_access_token(run, run_config_str(run, "access_token"));
        return 0;
    }
    struct token t = {0};
    int found = run_load_token(run, &t, err);
    if (found < 0)
        return -1;
    bool reuse = found == 1 && token_fresh(&t, time_now());
    if (reuse)
        run_set_access_token(run, t.access_token);
    store_token_clear(&t);
    if (reuse)
        return 0;
    log_debug("eightsleep: no live token stored, logging in");
    return login(run, false, err);
}

/* After a 401: the token expired early or was revoked; log in again. */
int eightsleep_refresh(struct provider_run *run, struct hs_error *err)
{
    if (static_token_configured(run))
        return hs_error_set(err, HS_ERR_AUTH,
                            "Eight Sleep rejected [eightsleep].access_token in %s (HTTP 401); "
                            "replace it, or remove it to log in with the email/password",
                            config_path(run->cfg));
    log_debug("eightsleep: token rejected, logging in again");
    return login(run, false, err);
}

/* `health-sync auth eightsleep`: says plainly whether the credentials work. */
int eightsleep_authenticate(struct auth_ctx *a, struct hs_error *err)
{
    struct provider_run *run = a->run;
    if (!static_token_configured(run))
        return login(run, true, err);
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s/users/me", run_config_str(run, "client_api_url"));
    struct http_request req = {.url = url.data, .bearer = run_config_str(run, "access_token")};
    json_t *reply = NULL;
    int rc = http_built(&url, err) < 0 ? -1 : http_send_json(run->http, &req, &reply, err);
    json_decref(reply);
    buf_free(&url);
    if (rc < 0)
        return hs_error_prefix(err, "the configured [eightsleep].access_token does not work: ");
    log_info("Eight Sleep accepted [eightsleep].access_token (used as is; nothing stored).");
    return 0;
}
