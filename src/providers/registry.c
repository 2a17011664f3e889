/* The provider table: adding a provider is one file and one line here. */
#include "provider.h"

#include <string.h>

extern const struct provider oura_provider;
extern const struct provider withings_provider;
extern const struct provider hevy_provider;
extern const struct provider strava_provider;
extern const struct provider eightsleep_provider;

/* Run order when no --providers is given (the Python tool's). */
const struct provider *const providers[] = {
    &oura_provider, &withings_provider, &hevy_provider, &strava_provider, &eightsleep_provider,
    NULL,
};

const struct provider *provider_find(const char *name)
{
    for (const struct provider *const *p = providers; *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}
