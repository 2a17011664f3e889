/* npm_creds: reads the token file of the npm health-sync tool.
 *
 * That tool keeps OAuth tokens in `.health-sync.creds` beside its config
 * and removes them from the database, so a database it wrote holds none.
 * The file is JSON: {"version":1,"updatedAt":...,"tokens":{"<provider>":
 * {"accessToken","refreshToken","tokenType","scope","expiresAt",
 * "obtainedAt","extra"}}}.  We only ever read it: the tokens go into our
 * database (docs/providers.md, switching from the npm tool). */
#ifndef HS_NPM_CREDS_H
#define HS_NPM_CREDS_H

#include "error.h"
#include "store.h"

#include <time.h>

/* The file's path for a config path: .health-sync.creds in the config's
 * directory.  Caller frees; NULL when out of memory. */
char *npm_creds_path(const char *config_path);

/* The provider's token from the file at path into *out (owned: free with
 * store_token_clear; times as ISO Z, obtained_at `now` when absent).
 * 1 found, 0 no file or no usable token for the provider, -1 a file that
 * cannot be read or is not that JSON (err says why). */
int npm_creds_read(const char *path, const char *provider, time_t now, struct token *out,
                   struct hs_error *err);

#endif
