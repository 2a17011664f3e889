/* Withings: not implemented yet (config keys only). */
#include "provider.h"

static const struct config_key withings_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"client_id", CFG_STRING, NULL, 0, 0, "OAuth2 client id of your Withings application"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "OAuth2 client secret (used to sign, never sent)"},
    {"redirect_uri", CFG_URL, "http://127.0.0.1:8485/callback", 0, 0, "must match the application"},
    {"scopes", CFG_STRING, "user.metrics,user.activity", 0, 0, "comma-separated OAuth2 scopes"},
    {"overlap_seconds", CFG_INT, "300", 0, 315360000, "seconds re-fetched before the watermark"},
    {"meastypes", CFG_LIST, "1,4,5,6,8,9,10,11,12,54,71,73,76,77,88,91,123", 0, 0, "measure type ids to fetch"},
    {"base_url", CFG_URL, "https://wbsapi.withings.net", 0, 0, "host root holding /measure, /v2/measure, /v2/sleep, /v2/oauth2"},
    {"authorize_url", CFG_URL, "https://account.withings.com/oauth2_user/authorize2", 0, 0, "OAuth2 authorize endpoint"},
    {"max_concurrency", CFG_INT, "2", 1, 64, "parallel requests to this provider"},
    {NULL},
};

static const struct resource withings_resources[] = {
    {NULL},
};

const struct provider withings_provider = {
    .name = "withings",
    .title = "Withings",
    .auth = AUTH_OAUTH2,
    .config_keys = withings_keys,
    .resources = withings_resources,
};
