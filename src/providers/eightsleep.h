/* eightsleep.h: what the Eight Sleep provider's files share (eightsleep.c,
 * eightsleep_auth.c, eightsleep_intervals.c); nothing outside them. */
#ifndef HS_EIGHTSLEEP_H
#define HS_EIGHTSLEEP_H

#include "provider.h"
#include "timeutil.h"

#include <stdbool.h>
#include <time.h>

#define DAY_SECONDS 86400

struct strlist {
    char **v;
    size_t n, cap;
};

/* What users_me and devices learn for the resources after them. */
struct account {
    char *me_id;            /* first(userId, id) of /users/me, else "me" */
    struct strlist devices; /* user.devices */
    struct strlist users;   /* sorted: me, and everyone on the devices */
    bool me_ok, devices_ok; /* those two resources succeeded in this run */
    /* The earliest createdAt of the users' profiles (0: unknown): no night
     * predates the account, so a backfill's trends start there. */
    time_t created;
};

/* The account the resources before this one found; NULL (err set) when
 * users_me or devices failed, so that nobody's nights are swept away. */
struct account *eightsleep_require_users(struct task *t, struct hs_error *err);
/* <client_api_url>/<first>/<id>[/<rest>], the id percent-encoded, into url. */
void eightsleep_api_url(struct task *t, struct buf *url, const char *first, const char *id,
                        const char *rest);
/* GET with the API's headers, through the task (token, retries). */
int eightsleep_api_get(struct task *t, const char *url, json_t **out, struct hs_error *err);
/* A reply of an unexpected shape: a final error naming the URL. */
int eightsleep_shape_error(const char *url, const char *what, struct hs_error *err);
void eightsleep_now_iso(const struct task *t, char out[TIME_ISO_LEN]);

/* eightsleep_auth.c: the password login and what the provider table points at. */
int eightsleep_prepare(struct provider_run *run, struct hs_error *err);
int eightsleep_refresh(struct provider_run *run, struct hs_error *err);
int eightsleep_authenticate(struct auth_ctx *a, struct hs_error *err);

/* eightsleep_intervals.c: the intervals resource. */
int eightsleep_sync_intervals(struct task *t, struct hs_error *err);

#endif
