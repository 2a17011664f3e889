/* oauth: the provider-independent parts of an OAuth2 authorization-code flow:
 * the random state, the authorize URL, waiting for the code (loopback HTTP
 * callback and pasted input at the same time), and token bookkeeping. */
#ifndef HS_OAUTH_H
#define HS_OAUTH_H

#include "error.h"
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

struct oauth_callback {
    char *code; /* each NULL when absent */
    char *state;
    char *error;
    char *iss;
};
void oauth_callback_clear(struct oauth_callback *cb);

/* 16 random bytes (OpenSSL RAND_bytes), base64url without padding; caller frees. */
char *oauth_random_state(void);

/* Parses one pasted line (the rules: docs/providers.md, "Signing in").  Returns 1 with *out filled,
 * 0 when the line is empty (ignore it), -1 when it is rejected (why says
 * why; keep waiting). */
int oauth_parse_paste(const char *line, struct oauth_callback *out, char *why, size_t whylen);

/* Parses a query string "a=1&b=2" into the callback fields (first value
 * wins).  Returns 1 when any of code/state/error/iss/issuer was present. */
int oauth_parse_query(const char *query, struct oauth_callback *out);

struct oauth_redirect {
    char *scheme; /* "http" / "https" */
    char *host;
    int port;   /* explicit, else 80/443 */
    char *path; /* explicit, else "/callback" */
};
int oauth_parse_redirect_uri(const char *uri, struct oauth_redirect *out, struct hs_error *err);
void oauth_redirect_clear(struct oauth_redirect *r);

struct oauth_wait {
    const char *provider_title; /* "Oura", for messages */
    const char *redirect_uri;
    const char *listen_host; /* default 127.0.0.1 */
    int listen_port;         /* 0 = the redirect_uri's port */
    const char *expected_state;
    int timeout_seconds;  /* default 300 */
    bool read_stdin;      /* also accept a pasted URL/query/code on stdin */
};

/* Waits for a code for this authorization: the HTTP callback on the
 * redirect path (others get 404) or a pasted line, until the timeout.  A
 * callback without our state, with another state or without a code is
 * answered 400 and the wait goes on (so is a pasted URL with another state,
 * or a paste over 4 KB); an error= carrying our state ends it ("<Title>
 * refused: <error>").  The browser page says which.
 * Returns 0 with *out filled, or -1. */
int oauth_wait_for_code(const struct oauth_wait *w, struct oauth_callback *out,
                        struct hs_error *err);

/* Tries xdg-open/open/sensible-browser in the background; 0 when one started. */
int oauth_open_browser(const char *url);

/* Fills *out from a token endpoint's JSON reply: access_token (required),
 * refresh_token (absent: keeps `previous_refresh`, may be NULL), token_type
 * (default Bearer), scope, expires_at (now + expires_in, or the absolute
 * epoch `expires_at` when expires_at_absolute), obtained_at = now, and
 * extra_json = the remaining fields.  Secrets are registered for redaction. */
int oauth_token_from_json(const char *provider, const json_t *reply, bool expires_at_absolute,
                          const char *previous_refresh, time_t now, struct token *out,
                          struct hs_error *err);

/* docs/providers.md, "Tokens": a token without refresh_token or expires_at is
 * used as is; else it
 * needs a refresh when it expires within 60 s or expires_at is unparseable. */
bool oauth_token_needs_refresh(const struct token *t, time_t now);

#endif
