/* Eight Sleep: not implemented yet (config keys only). */
#include "provider.h"

static const struct config_key eightsleep_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"access_token", CFG_SECRET, NULL, 0, 0, "static access token (overrides the password login)"},
    {"email", CFG_STRING, NULL, 0, 0, "account e-mail for the password grant"},
    {"password", CFG_SECRET, NULL, 0, 0, "account password"},
    {"client_id", CFG_STRING, NULL, 0, 0, "client id of the Eight Sleep app"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "client secret of the Eight Sleep app"},
    {"timezone", CFG_STRING, "UTC", 0, 0, "IANA zone for trend days (sent as tz)"},
    {"auth_url", CFG_URL, "https://auth-api.8slp.net/v1/tokens", 0, 0, "token endpoint"},
    {"client_api_url", CFG_URL, "https://client-api.8slp.net/v1", 0, 0, "API root holding /users"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first night to backfill"},
    {"overlap_days", CFG_INT, "2", 0, 3650, "days re-fetched before the watermark"},
    {"max_concurrency", CFG_INT, "2", 1, 64, "parallel requests to this provider"},
    {NULL},
};

static const struct resource eightsleep_resources[] = {
    {NULL},
};

const struct provider eightsleep_provider = {
    .name = "eightsleep",
    .title = "Eight Sleep",
    .auth = AUTH_PASSWORD,
    .config_keys = eightsleep_keys,
    .resources = eightsleep_resources,
};
