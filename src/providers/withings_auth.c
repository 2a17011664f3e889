/* withings_auth.c: signing in to Withings.  OAuth2 with a Withings twist:
 * the token calls are signed (lowercase hex HMAC-SHA256 of
 * "action,client_id,nonce" keyed with the client secret, after fetching a
 * single-use nonce), so the secret never leaves this machine
 * (docs/providers.md, "Withings"). */
#include "withings.h"

#include "log.h"
#include "timeutil.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lowercase hex HMAC-SHA256 of message keyed with secret. */
static void hmac_sha256_hex(const char *secret, const char *message, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)message,
         strlen(message), mac, &len);
    for (unsigned int i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    out[2 * (len < 32 ? len : 32)] = '\0';
}

/* signature = HMAC over the values joined by commas: "<a>,<b>,<c>". */
static void sign3(const char *secret, const char *a, const char *b, const char *c, char out[65])
{
    struct buf msg = BUF_INIT;
    buf_addf(&msg, "%s,%s,%s", a, b, c);
    hmac_sha256_hex(secret, msg.data, out);
    buf_free(&msg);
}

struct app_credentials {
    const char *client_id;
    const char *client_secret;
};

static int app_credentials(const struct provider_run *run, struct app_credentials *app,
                           struct hs_error *err)
{
    app->client_id = run_config_require(run, "client_id", err);
    app->client_secret = app->client_id ? run_config_require(run, "client_secret", err) : NULL;
    return app->client_secret ? 0 : -1;
}

/* Signature v2 getnonce: a single-use token for the next signed call.
 * Caller frees *nonce. */
static int get_nonce(struct provider_run *run, const struct app_credentials *app, char **nonce,
                     struct hs_error *err)
{
    char timestamp[24], signature[65];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)time(NULL));
    sign3(app->client_secret, "getnonce", app->client_id, timestamp, signature);
    struct buf form = BUF_INIT;
    http_form_add(&form, "action", "getnonce");
    http_form_add(&form, "client_id", app->client_id);
    http_form_add(&form, "timestamp", timestamp);
    http_form_add(&form, "signature", signature);
    json_t *body = NULL;
    int rc = http_built(&form, err) < 0
                 ? -1
                 : withings_post(run, NULL, "/v2/signature", "getnonce", form.data, &body, err);
    buf_free(&form);
    if (rc < 0)
        return -1;
    const char *value = json_string_value(json_object_get(body, "nonce"));
    *nonce = value ? strdup(value) : NULL;
    json_decref(body);
    if (!*nonce)
        return hs_error_set(err, HS_ERR_FINAL, "Withings getnonce reply has no nonce");
    return 0;
}

/* OAuth2 requesttoken, signed with a fresh nonce (OAUTH2_CLIENT_SIGNED):
 * the client secret signs, it is never sent.  *reply is the token reply. */
static int request_token(struct provider_run *run, const struct oauth2_grant *g, json_t **reply,
                         struct hs_error *err)
{
    struct app_credentials app;
    char *nonce = NULL;
    if (app_credentials(run, &app, err) < 0 || get_nonce(run, &app, &nonce, err) < 0)
        return -1;
    char signature[65];
    sign3(app.client_secret, "requesttoken", app.client_id, nonce, signature);
    struct buf form = BUF_INIT;
    http_form_add(&form, "action", "requesttoken");
    http_form_add(&form, "grant_type", g->grant_type);
    http_form_add(&form, "client_id", app.client_id);
    if (g->code) {
        http_form_add(&form, "code", g->code);
        http_form_add(&form, "redirect_uri", g->redirect_uri);
    }
    if (g->refresh_token)
        http_form_add(&form, "refresh_token", g->refresh_token);
    http_form_add(&form, "nonce", nonce);
    http_form_add(&form, "signature", signature);
    int rc = http_built(&form, err) < 0
                 ? -1
                 : withings_post(run, NULL, "/v2/oauth2", "requesttoken", form.data, reply, err);
    buf_free(&form);
    free(nonce);
    return rc;
}

/* user.sleep is not a Withings scope: the Python tool read it as user.activity. */
static const char *const withings_scope_aliases[][2] = {
    {"user.sleep", "user.activity"},
    {NULL, NULL},
};

const struct oauth2_flow withings_oauth2 = {
    .authorize_url = "https://account.withings.com/oauth2_user/authorize2",
    .redirect_uri = "http://127.0.0.1:8485/callback",
    .scopes = "user.metrics,user.activity",
    .client_auth = OAUTH2_CLIENT_SIGNED,
    .scope_separator = ',',
    .scope_aliases = withings_scope_aliases,
    .send_token_request = request_token,
};

int withings_prepare(struct provider_run *run, struct hs_error *err)
{
    http_client_set_rate_limit(run->http, 120, 60);
    return oauth2_prepare(run, err);
}
