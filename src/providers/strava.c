/* Strava: not implemented yet (config keys only). */
#include "provider.h"

static const struct config_key strava_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"access_token", CFG_SECRET, NULL, 0, 0, "static access token (overrides OAuth2; never refreshed)"},
    {"client_id", CFG_STRING, NULL, 0, 0, "OAuth2 client id of your Strava application"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "OAuth2 client secret"},
    {"redirect_uri", CFG_URL, "http://127.0.0.1:8486/callback", 0, 0, "its host must be the application callback domain"},
    {"scopes", CFG_STRING, "read,activity:read_all", 0, 0, "comma-separated OAuth2 scopes"},
    {"approval_prompt", CFG_STRING, "auto", 0, 0, "auto or force"},
    {"start_date", CFG_DATE, "2010-01-01", 0, 0, "first day to backfill"},
    {"overlap_seconds", CFG_INT, "604800", 0, 315360000, "seconds re-fetched before the watermark"},
    {"page_size", CFG_INT, "100", 1, 200, "activities per page (1-200)"},
    {"base_url", CFG_URL, "https://www.strava.com/api/v3", 0, 0, "API root holding /athlete"},
    {"authorize_url", CFG_URL, "https://www.strava.com/oauth/authorize", 0, 0, "OAuth2 authorize endpoint"},
    {"token_url", CFG_URL, "https://www.strava.com/oauth/token", 0, 0, "OAuth2 token endpoint"},
    {"max_concurrency", CFG_INT, "4", 1, 64, "parallel requests to this provider"},
    {NULL},
};

static const struct resource strava_resources[] = {
    {NULL},
};

const struct provider strava_provider = {
    .name = "strava",
    .title = "Strava",
    .auth = AUTH_OAUTH2,
    .config_keys = strava_keys,
    .resources = strava_resources,
};
