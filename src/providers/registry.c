/* The provider table: adding a provider is one file and one line here. */
#include "provider.h"

#include <stdlib.h>
#include <string.h>

extern const struct provider oura_provider;
extern const struct provider withings_provider;
extern const struct provider hevy_provider;
extern const struct provider strava_provider;
extern const struct provider eightsleep_provider;
extern const struct provider whoop_provider;

/* Run order when no --providers is given (the Python tool's). */
const struct provider *const providers[] = {
    &oura_provider, &withings_provider, &hevy_provider, &strava_provider, &eightsleep_provider,
    &whoop_provider, NULL,
};

const struct provider *provider_find(const char *name)
{
    for (const struct provider *const *p = providers; *p; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

void provider_names(struct buf *out, const char *sep, int kinds)
{
    for (const struct provider *const *p = providers; *p; p++)
        if (kinds & (1 << (*p)->auth))
            buf_addf(out, "%s%s", out->len ? sep : "", (*p)->name);
}

void provider_titles(struct buf *out)
{
    for (const struct provider *const *p = providers; *p; p++)
        buf_addf(out, "%s%s", p == providers ? "" : p[1] ? ", " : " and ", (*p)->title);
}

static const struct resource *find_resource(const struct provider *p, const char *name)
{
    for (const struct resource *r = p->resources; r->name; r++)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

bool provider_resource_on(const struct config *cfg, const struct provider *p,
                          const char *resource)
{
    size_t n = 0;
    const char *const *names = config_list(cfg, p->name, "resources", &n);
    if (!config_is_set(cfg, p->name, "resources"))
        return true;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], resource) == 0)
            return true;
    return false;
}

bool provider_key_is_setup(const struct config_key *k)
{
    return (k->type == CFG_STRING || k->type == CFG_SECRET) && !k->def &&
           strcmp(k->name, "access_token") != 0;
}

/* "a, b, c": the provider's resource names (caller frees). */
static char *resource_names(const struct provider *p)
{
    struct buf names = BUF_INIT;
    for (const struct resource *r = p->resources; r->name; r++)
        buf_addf(&names, "%s%s", names.len ? ", " : "", r->name);
    return buf_detach(&names);
}

/* The first resource the selection keeps that builds on one it drops. */
static int check_feeds(const struct config *cfg, const struct provider *p, int line,
                       struct hs_error *err)
{
    const struct resource *dropped = NULL;
    for (const struct resource *r = p->resources; r->name; r++) {
        bool on = provider_resource_on(cfg, p, r->name);
        if (on && dropped)
            return hs_error_set(err, HS_ERR_CONFIG,
                                "%s:%d: [%s].resources: %s needs %s (it finds what %s uses); "
                                "add it",
                                config_path(cfg), line, p->name, r->name, dropped->name,
                                r->name);
        if (!on && r->feeds_later && !dropped)
            dropped = r;
    }
    return 0;
}

int provider_check_resources(const struct config *cfg, struct hs_error *err)
{
    for (const struct provider *const *p = providers; *p; p++) {
        if (!config_is_set(cfg, (*p)->name, "resources"))
            continue;
        int line = config_line(cfg, (*p)->name, "resources");
        size_t n = 0;
        const char *const *names = config_list(cfg, (*p)->name, "resources", &n);
        for (size_t i = 0; i < n; i++) {
            if (find_resource(*p, names[i]))
                continue;
            char *valid = resource_names(*p);
            hs_error_set(err, HS_ERR_CONFIG,
                         "%s:%d: [%s].resources: unknown resource '%s' (valid: %s)",
                         config_path(cfg), line, (*p)->name, names[i], valid);
            free(valid);
            return -1;
        }
        if (check_feeds(cfg, *p, line, err) < 0)
            return -1;
    }
    return 0;
}
