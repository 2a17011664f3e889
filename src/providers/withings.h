/* withings.h: what withings.c and withings_auth.c share; nothing outside
 * them. */
#ifndef HS_WITHINGS_H
#define HS_WITHINGS_H

#include "oauth2.h"
#include "provider.h"

/* POSTs `form` (which starts with action=<action>) to base_url + path and
 * returns the reply's `body` once its status is 0: after a 401 the token is
 * refreshed once (data calls only, t not NULL), a 601 is waited out. */
int withings_post(struct provider_run *run, struct task *t, const char *path, const char *action,
                  const char *form, json_t **body, struct hs_error *err);

/* withings_auth.c: the signed OAuth2 flow, and prepare (rate limit + token). */
extern const struct oauth2_flow withings_oauth2;
int withings_prepare(struct provider_run *run, struct hs_error *err);

#endif
