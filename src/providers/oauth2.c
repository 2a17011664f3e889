#include "oauth2.h"

#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct oauth2_flow *flow_of(const struct provider_run *r)
{
    return r->provider->oauth2;
}

/* ---------------------------------------------------------------- scopes */

static const char scope_blanks[] = ", \t\r\n";

bool oauth2_has_scope(const char *scopes, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = scopes ? scopes : ""; *p;) {
        p += strspn(p, scope_blanks);
        size_t len = strcspn(p, scope_blanks);
        if (len == n && !strncmp(p, scope, n))
            return true;
        p += len;
    }
    return false;
}

static const char *alias_of(const char *scope, size_t len, const char *const (*aliases)[2])
{
    for (size_t i = 0; aliases && aliases[i][0]; i++)
        if (strlen(aliases[i][0]) == len && !strncmp(aliases[i][0], scope, len))
            return aliases[i][1];
    return NULL;
}

char *oauth2_join_scopes(const char *scopes, char separator, const char *const (*aliases)[2])
{
    struct buf out = BUF_INIT;
    for (const char *p = scopes ? scopes : ""; *p;) {
        p += strspn(p, scope_blanks);
        size_t len = strcspn(p, scope_blanks);
        if (!len)
            break;
        const char *alias = alias_of(p, len, aliases);
        char *scope = alias ? strdup(alias) : strndup(p, len);
        p += len;
        if (scope && !oauth2_has_scope(out.data, scope)) {
            if (out.len)
                buf_add(&out, &separator, 1);
            buf_adds(&out, scope);
        }
        free(scope);
    }
    return buf_detach(&out);
}

/* ---------------------------------------------------------------- authorize */

static void add_params(struct buf *b, const struct oauth2_param *params,
                       const struct provider_run *r, bool form)
{
    for (const struct oauth2_param *p = params; p && p->name; p++) {
        const char *v = p->config_key ? run_config_str(r, p->config_key) : p->value;
        if (!v)
            continue;
        if (form)
            http_form_add(b, p->name, v);
        else
            http_url_add_param(b, p->name, v);
    }
}

/* Prints the authorize URL (with a fresh random state), opens a browser
 * when asked, and waits for the callback or a pasted code (checking the
 * state).  On success *cb holds the code (and iss). */
static int authorize(struct auth_ctx *a, const char *client_id, const char *redirect_uri,
                     struct oauth_callback *cb, struct hs_error *err)
{
    struct provider_run *r = a->run;
    const struct oauth2_flow *f = flow_of(r);
    /* 16 random bytes: 22 characters, above any provider's minimum (WHOOP: 8). */
    char *state = oauth_random_state();
    if (!state)
        return hs_error_set(err, HS_ERR_FINAL, "cannot generate a random state");
    char *scope = oauth2_join_scopes(run_config_str(r, "scopes"), f->scope_separator,
                                     f->scope_aliases);
    struct buf url = BUF_INIT;
    buf_adds(&url, run_config_str(r, "authorize_url"));
    http_url_add_param(&url, "response_type", "code");
    http_url_add_param(&url, "client_id", client_id);
    http_url_add_param(&url, "redirect_uri", redirect_uri);
    http_url_add_param(&url, "scope", scope ? scope : "");
    add_params(&url, f->authorize_params, r, false);
    http_url_add_param(&url, "state", state);
    free(scope);
    if (http_built(&url, err) < 0) {
        buf_free(&url);
        free(state);
        return -1;
    }
    printf("Open this URL in a browser to authorize %s:\n\n%s\n\n", r->provider->title, url.data);
    printf("Waiting for the redirect to %s (or paste the redirected URL or code here)...\n",
           redirect_uri);
    fflush(stdout);
    if (a->open_browser)
        oauth_open_browser(url.data);
    struct oauth_wait w = {
        .provider_title = r->provider->title,
        .redirect_uri = redirect_uri,
        .listen_host = a->listen_host,
        .listen_port = a->listen_port,
        .expected_state = state,
        .timeout_seconds = a->timeout_seconds > 0 ? a->timeout_seconds : 300,
        .read_stdin = a->read_stdin,
    };
    int rc = oauth_wait_for_code(&w, cb, err);
    buf_free(&url);
    free(state);
    return rc;
}

/* ---------------------------------------------------------------- token requests */

/* POSTs the grant to g->token_url, the client authenticated per the flow. */
static int post_grant(struct provider_run *r, const struct oauth2_grant *g, json_t **reply,
                      struct hs_error *err)
{
    const struct oauth2_flow *f = flow_of(r);
    if (f->client_auth == OAUTH2_CLIENT_SIGNED)
        return f->send_token_request(r, g, reply, err);
    const char *client_id = run_config_require(r, "client_id", err);
    const char *secret = client_id ? run_config_require(r, "client_secret", err) : NULL;
    if (!secret)
        return -1;
    struct buf form = BUF_INIT;
    http_form_add(&form, "grant_type", g->grant_type);
    if (g->code) {
        http_form_add(&form, "code", g->code);
        if (g->redirect_uri)
            http_form_add(&form, "redirect_uri", g->redirect_uri);
    } else {
        http_form_add(&form, "refresh_token", g->refresh_token);
        add_params(&form, f->refresh_params, r, true);
    }
    bool basic = f->client_auth == OAUTH2_CLIENT_BASIC;
    if (!basic) {
        http_form_add(&form, "client_id", client_id);
        http_form_add(&form, "client_secret", secret);
    }
    struct http_request req = {
        .method = "POST",
        .url = g->token_url,
        .body = form.data,
        .content_type = "application/x-www-form-urlencoded",
        .basic_user = basic ? client_id : NULL,
        .basic_password = basic ? secret : NULL,
    };
    int rc = http_built(&form, err) < 0 ? -1 : http_send_json(r->http, &req, reply, err);
    buf_free(&form);
    return rc;
}

/* Copies the kept fields of `from` that `reply` lacks. */
static void keep_fields(const struct oauth2_flow *f, json_t *reply, const json_t *from)
{
    for (size_t i = 0; f->kept_fields && f->kept_fields[i]; i++) {
        json_t *v = json_object_get(from, f->kept_fields[i]);
        if (json_is_string(v) && !json_object_get(reply, f->kept_fields[i]))
            json_object_set(reply, f->kept_fields[i], v);
    }
}

/* Stores a token reply, sets run->access_token, and says so when asked. */
static int store_reply(struct provider_run *r, const json_t *reply, const char *previous_refresh,
                       bool say, struct hs_error *err)
{
    struct token t = {0};
    if (oauth_token_from_json(r->provider->name, reply, flow_of(r)->expires_at_absolute,
                              previous_refresh, time_now(), &t, err) < 0)
        return -1;
    int rc = run_save_token(r, &t, err);
    if (rc == 0) {
        run_set_access_token(r, t.access_token);
        if (say)
            log_info("Stored %s token (expires %s).", r->provider->title,
                     t.expires_at ? t.expires_at : "never");
    }
    store_token_clear(&t);
    return rc;
}

/* The token endpoint: one kept from discovery, else [<provider>].token_url
 * (a signed flow knows its own). */
static const char *token_url_of(const struct provider_run *r, const json_t *kept)
{
    if (flow_of(r)->client_auth == OAUTH2_CLIENT_SIGNED)
        return NULL;
    const char *endpoint = json_string_value(json_object_get(kept, "token_endpoint"));
    return endpoint ? endpoint : run_config_str(r, "token_url");
}

/* ---------------------------------------------------------------- authenticate */

static const char *static_token(const struct provider_run *r)
{
    const struct oauth2_flow *f = flow_of(r);
    const char *v = f->static_token_key ? run_config_str(r, f->static_token_key) : NULL;
    return v && *v ? v : NULL;
}

/* `auth` with a static token configured stores it (used as is, never refreshed). */
static int store_static_token(struct provider_run *r, struct hs_error *err)
{
    const struct oauth2_flow *f = flow_of(r);
    json_t *reply = json_pack("{s:s,s:s,s:s}", "access_token", static_token(r), "token_type",
                              "Bearer", "method", f->static_token_method);
    struct token t = {0};
    int rc = oauth_token_from_json(r->provider->name, reply, false, NULL, time_now(), &t, err);
    if (rc == 0)
        rc = run_save_token(r, &t, err);
    if (rc == 0)
        log_info("Stored the %s access_token from the config (used as is, never refreshed).",
                 r->provider->title);
    store_token_clear(&t);
    json_decref(reply);
    return rc;
}

/* A flow whose refresh tokens need a scope: say so when it is missing. */
static void warn_without_refresh_scope(const struct provider_run *r)
{
    const struct oauth2_flow *f = flow_of(r);
    if (f->refresh_scope && !oauth2_has_scope(run_config_str(r, "scopes"), f->refresh_scope))
        log_warn("[%s].scopes lacks \"%s\": %s will send no refresh token, so the access "
                 "token cannot be renewed and `health-sync auth %s` is needed once it expires",
                 r->provider->name, f->refresh_scope, r->provider->title, r->provider->name);
}

static int exchange_code(struct provider_run *r, const char *code, const char *redirect_uri,
                         json_t *kept, struct hs_error *err)
{
    const struct oauth2_flow *f = flow_of(r);
    log_add_secret(code);
    struct oauth2_grant g = {
        .grant_type = "authorization_code",
        .code = code,
        .redirect_uri = f->code_grant_without_redirect ? NULL : redirect_uri,
        .token_url = token_url_of(r, kept),
    };
    json_t *reply = NULL;
    int rc = post_grant(r, &g, &reply, err);
    if (rc < 0 && err->http_status >= 400 && err->http_status < 500)
        err->kind = HS_ERR_AUTH; /* a refused code or client: authorize again */
    if (rc == 0) {
        keep_fields(f, reply, kept);
        rc = store_reply(r, reply, NULL, true, err);
    }
    if (rc == 0 && f->refresh_scope && !json_object_get(reply, "refresh_token"))
        log_warn("%s sent no refresh token (it does without the \"%s\" scope): run "
                 "`health-sync auth %s` again when the access token expires",
                 r->provider->title, f->refresh_scope, r->provider->name);
    json_decref(reply);
    return rc;
}

int oauth2_authenticate(struct auth_ctx *a, struct hs_error *err)
{
    struct provider_run *r = a->run;
    const struct oauth2_flow *f = flow_of(r);
    if (static_token(r))
        return store_static_token(r, err);
    const char *client_id = run_config_require(r, "client_id", err);
    const char *redirect_uri = client_id ? run_config_require(r, "redirect_uri", err) : NULL;
    if (!redirect_uri || !run_config_require(r, "client_secret", err))
        return -1;
    warn_without_refresh_scope(r);
    struct oauth_callback cb = {0};
    int rc = authorize(a, client_id, redirect_uri, &cb, err);
    if (rc == 0) {
        json_t *kept = f->after_callback ? f->after_callback(r, &cb) : NULL;
        rc = exchange_code(r, cb.code, redirect_uri, kept, err);
        json_decref(kept);
    }
    oauth_callback_clear(&cb);
    return rc;
}

/* ---------------------------------------------------------------- refresh */

/* A refresh the token endpoint refused (a 4xx, a reply without a token, a
 * Withings status) needs a new authorization (the runner adds the hint); a
 * network error, a 5xx or an interruption keeps its kind. */
static void explain_refresh_failure(const struct provider_run *r, struct hs_error *err)
{
    if (err->kind == HS_ERR_FINAL)
        err->kind = HS_ERR_AUTH;
    hs_error_prefix(err, "%s token refresh failed: ", r->provider->title);
}

int oauth2_refresh(struct provider_run *r, struct hs_error *err)
{
    const struct provider *p = r->provider;
    const struct oauth2_flow *f = flow_of(r);
    if (static_token(r))
        return hs_error_set(err, HS_ERR_AUTH,
                            "%s rejected the %s in [%s].%s; replace it, or remove it and run "
                            "`health-sync auth %s`",
                            p->title, f->static_token_name, p->name, f->static_token_key, p->name);
    struct token old = {0};
    int found = run_load_token(r, &old, err);
    if (found < 0)
        return -1;
    if (found == 0 || !old.refresh_token || !*old.refresh_token) {
        store_token_clear(&old);
        return hs_error_set(err, HS_ERR_AUTH, "no %s refresh token stored; run `health-sync auth %s`",
                            p->title, p->name);
    }
    json_t *kept = old.extra_json ? json_loads(old.extra_json, 0, NULL) : NULL;
    struct oauth2_grant g = {
        .grant_type = "refresh_token",
        .refresh_token = old.refresh_token,
        .token_url = token_url_of(r, kept),
    };
    json_t *reply = NULL;
    int rc = post_grant(r, &g, &reply, err);
    if (rc == 0) {
        keep_fields(f, reply, kept);
        rc = store_reply(r, reply, f->rotating_refresh ? NULL : old.refresh_token, false, err);
    }
    if (rc < 0)
        explain_refresh_failure(r, err);
    json_decref(reply);
    json_decref(kept);
    store_token_clear(&old);
    return rc;
}

/* ---------------------------------------------------------------- prepare */

int oauth2_prepare(struct provider_run *r, struct hs_error *err)
{
    const struct provider *p = r->provider;
    if (static_token(r)) {
        run_set_access_token(r, static_token(r));
        return 0;
    }
    struct token t = {0};
    int found = run_load_token(r, &t, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return hs_error_set(err, HS_ERR_AUTH, "no %s token stored; run `health-sync auth %s`",
                            p->title, p->name);
    run_set_access_token(r, t.access_token);
    bool refresh = oauth_token_needs_refresh(&t, time_now());
    store_token_clear(&t);
    if (!refresh)
        return 0;
    log_debug("%s: access token expires soon, refreshing", p->name);
    return p->refresh(r, err);
}
