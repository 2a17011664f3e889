/* oauth2: the authorization-code grant and its refresh, described by a table.
 *
 * The OAuth2 providers differ only in details: how the client proves who it
 * is (HTTP Basic, client_id/client_secret in the form body, or a signed
 * request as Withings wants), how scopes are joined, which extra parameters
 * go along, whether the expiry is relative or absolute, whether a refresh
 * token is single use.  A provider states those in a struct oauth2_flow and
 * points its authenticate/refresh at oauth2_authenticate/oauth2_refresh;
 * its prepare calls oauth2_prepare after whatever else it sets up.
 *
 * The config keys read are client_id, client_secret, redirect_uri, scopes,
 * authorize_url and token_url (docs/providers.md lists their defaults). */
#ifndef HS_OAUTH2_H
#define HS_OAUTH2_H

#include "oauth.h"
#include "provider.h"

enum oauth2_client_auth {
    OAUTH2_CLIENT_BASIC,  /* Authorization: Basic base64(client_id:client_secret) */
    OAUTH2_CLIENT_BODY,   /* client_id and client_secret in the form body */
    OAUTH2_CLIENT_SIGNED, /* the flow's send_token_request signs and sends */
};

/* One grant: the authorization code (code set) or a refresh (refresh_token set). */
struct oauth2_grant {
    const char *grant_type; /* "authorization_code" or "refresh_token" */
    const char *code;
    const char *redirect_uri;
    const char *refresh_token;
    const char *token_url; /* where the request goes (config, or a stored endpoint) */
};

/* An authorize parameter: a fixed value, or the value of a config key. */
struct oauth2_param {
    const char *name;
    const char *value;
    const char *config_key;
};

struct oauth2_flow {
    /* Defaults of [<provider>].authorize_url, token_url (NULL: no such key,
     * the signing hook knows where), redirect_uri and scopes. */
    const char *authorize_url, *token_url, *redirect_uri, *scopes;
    enum oauth2_client_auth client_auth;
    /* Joins the scopes in the authorize URL (' ' or ','); the configured
     * list may use commas or spaces either way, repeats are dropped. */
    char scope_separator;
    /* Scope names the provider does not know, read as another ({from, to}
     * pairs, ended by {NULL}); NULL: none. */
    const char *const (*scope_aliases)[2];
    /* Sent with the authorize request after the standard ones ({NULL}-ended). */
    const struct oauth2_param *authorize_params;
    /* Sent with a refresh ({NULL}-ended), e.g. WHOOP's scope=offline. */
    const struct oauth2_param *refresh_params;
    /* The code exchange carries no redirect_uri (Strava). */
    bool code_grant_without_redirect;
    /* The reply's expiry is an absolute epoch `expires_at` (Strava), not
     * `expires_in` seconds. */
    bool expires_at_absolute;
    /* Each refresh token is single use: the reply's replaces it, and a
     * reply without one leaves none (rather than keeping the spent one). */
    bool rotating_refresh;
    /* A refresh token comes only when this scope was granted (WHOOP's
     * "offline"); auth says so when the scopes lack it.  NULL: always. */
    const char *refresh_scope;
    /* A config key holding a static access token that overrides OAuth2
     * (used as is, never refreshed), and the `method` auth stores it with. */
    const char *static_token_key;
    const char *static_token_method;
    const char *static_token_name; /* for messages: "personal access token" */
    /* Token-reply fields carried over from the stored token into each new
     * one (Oura's issuer discovery), {NULL}-ended; the stored one named
     * "token_endpoint" replaces token_url.  NULL: none. */
    const char *const *kept_fields;
    /* After the callback, before the code exchange: fields to keep with
     * the token (a discovered token_endpoint moves the exchange).  May be NULL. */
    json_t *(*after_callback)(struct provider_run *r, const struct oauth_callback *cb);
    /* OAUTH2_CLIENT_SIGNED: sends the grant and returns the token reply. */
    int (*send_token_request)(struct provider_run *r, const struct oauth2_grant *g,
                              json_t **reply, struct hs_error *err);
};

/* provider->authenticate of an OAuth2 provider. */
int oauth2_authenticate(struct auth_ctx *a, struct hs_error *err);
/* provider->refresh: grant_type=refresh_token; the reply is stored at once
 * (a rotated refresh token must not be lost).  A rejected refresh is
 * HS_ERR_AUTH with a hint to run `health-sync auth <name>`. */
int oauth2_refresh(struct provider_run *r, struct hs_error *err);
/* The token part of provider->prepare: the static token when configured,
 * else the stored one, refreshed when it expires within a minute. */
int oauth2_prepare(struct provider_run *r, struct hs_error *err);

/* The configured scopes split on commas and white space, aliases applied,
 * repeats dropped, joined with `separator`; caller frees. */
char *oauth2_join_scopes(const char *scopes, char separator, const char *const (*aliases)[2]);
/* True when the scope list (any separator) holds `scope`. */
bool oauth2_has_scope(const char *scopes, const char *scope);

#endif
