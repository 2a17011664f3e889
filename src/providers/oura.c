/* Oura: not implemented yet (config keys only). */
#include "provider.h"

static const struct config_key oura_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"access_token", CFG_SECRET, NULL, 0, 0, "personal access token (legacy; OAuth2 is preferred)"},
    {"client_id", CFG_STRING, NULL, 0, 0, "OAuth2 client id of your Oura application"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "OAuth2 client secret"},
    {"redirect_uri", CFG_URL, "http://localhost:8484/callback", 0, 0, "must match the application; Oura rejects 127.0.0.1"},
    {"scopes", CFG_STRING, "personal daily sleep workout heartrate tag session spo2", 0, 0, "space-separated OAuth2 scopes"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_days", CFG_INT, "7", 0, 3650, "days re-fetched before the watermark on each sync"},
    {"base_url", CFG_URL, "https://api.ouraring.com", 0, 0, "API root holding /v2/usercollection"},
    {"authorize_url", CFG_URL, "https://cloud.ouraring.com/oauth/authorize", 0, 0, "OAuth2 authorize endpoint"},
    {"token_url", CFG_URL, "https://api.ouraring.com/oauth/token", 0, 0, "OAuth2 token endpoint"},
    {"max_concurrency", CFG_INT, "4", 1, 64, "parallel requests to this provider"},
    {NULL},
};

static const struct resource oura_resources[] = {
    {NULL},
};

const struct provider oura_provider = {
    .name = "oura",
    .title = "Oura",
    .auth = AUTH_OAUTH2,
    .config_keys = oura_keys,
    .resources = oura_resources,
};
