/* authflow: the interactive part of `health-sync auth` shared by the OAuth2
 * providers, and the token bookkeeping they all do the same way. */
#ifndef HS_AUTHFLOW_H
#define HS_AUTHFLOW_H

#include "oauth.h"
#include "provider.h"

/* Builds the authorize URL from `authorize_url` plus params (key/value pairs,
 * ended by {NULL, NULL}) plus a fresh random state, prints it on a line of its
 * own, opens a browser when asked, and waits for the callback or a pasted
 * code (checking the state).  On success *cb holds the code (and iss). */
int authflow_authorize(struct auth_ctx *a, const char *authorize_url,
                       const struct http_header *params, struct oauth_callback *cb,
                       struct hs_error *err);

/* Stores a token reply (see oauth_token_from_json), sets run->access_token
 * and tells the user where it went.  `say` prints "Stored <Title> token." */
int authflow_store_reply(struct provider_run *run, const json_t *reply, bool expires_at_absolute,
                         const char *previous_refresh, bool say, struct hs_error *err);

/* The common start of an OAuth2 provider's prepare(): loads the stored token;
 * if it needs a refresh (oauth_token_needs_refresh), calls provider->refresh.
 * Without any token: HS_ERR_AUTH "no <Title> token stored; run `health-sync
 * auth <name>`".  On success run->access_token is set. */
int authflow_prepare(struct provider_run *run, struct hs_error *err);

#endif
