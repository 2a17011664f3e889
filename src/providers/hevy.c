/* Hevy: not implemented yet (config keys only). */
#include "provider.h"

static const struct config_key hevy_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"api_key", CFG_SECRET, NULL, 0, 0, "API key from hevy.com/settings?developer (Pro accounts)"},
    {"base_url", CFG_URL, "https://api.hevyapp.com", 0, 0, "API root holding /v1"},
    {"overlap_seconds", CFG_INT, "300", 0, 315360000, "seconds re-fetched before the watermark"},
    {"page_size", CFG_INT, "10", 1, 10, "workouts per page (the API allows at most 10)"},
    {"since", CFG_STRING, "1970-01-01T00:00:00Z", 0, 0, "fallback start of the events feed"},
    {"max_concurrency", CFG_INT, "2", 1, 64, "parallel requests to this provider"},
    {NULL},
};

static const struct resource hevy_resources[] = {
    {NULL},
};

const struct provider hevy_provider = {
    .name = "hevy",
    .title = "Hevy",
    .auth = AUTH_API_KEY,
    .config_keys = hevy_keys,
    .resources = hevy_resources,
};
