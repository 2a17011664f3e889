/* The config keys providers share, declared once: every section's, then
 * those of an OAuth2 provider, their defaults taken from the provider's
 * table entry and its OAuth2 flow.  A provider declares only its own. */
#include "oauth2.h"
#include "provider.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_CONCURRENCY "4"
#define MAX_PROVIDERS 32

static const struct config_key every_provider_keys[] = {
    {"enabled", CFG_BOOL, "false", 0, 0, "sync this provider"},
    {"resources", CFG_LIST, NULL, 0, 0, "resources to sync (unset: every one)"},
    {"max_concurrency", CFG_INT, DEFAULT_MAX_CONCURRENCY, 1, 64,
     "parallel requests to this provider"},
    {"base_url", CFG_URL, NULL, 0, 0, "API root (tests and proxies may point it elsewhere)"},
    {NULL},
};

static const struct config_key oauth2_keys[] = {
    {"client_id", CFG_STRING, NULL, 0, 0, "OAuth2 client id of your application"},
    {"client_secret", CFG_SECRET, NULL, 0, 0, "OAuth2 client secret"},
    {"redirect_uri", CFG_URL, NULL, 0, 0, "must match the application's"},
    {"scopes", CFG_STRING, NULL, 0, 0, "OAuth2 scopes (space or comma separated)"},
    {"authorize_url", CFG_URL, NULL, 0, 0, "OAuth2 authorize endpoint"},
    {"token_url", CFG_URL, NULL, 0, 0, "OAuth2 token endpoint"},
    {NULL},
};

/* The default the provider gives a shared key, or NULL when the provider
 * has no such key. */
static bool shared_default(const struct provider *p, const char *name, const char **def)
{
    const struct oauth2_flow *f = p->oauth2;
    *def = NULL;
    if (!strcmp(name, "max_concurrency"))
        *def = p->max_concurrency ? p->max_concurrency : DEFAULT_MAX_CONCURRENCY;
    else if (!strcmp(name, "base_url"))
        return (*def = p->base_url) != NULL;
    else if (!strcmp(name, "redirect_uri"))
        *def = f->redirect_uri;
    else if (!strcmp(name, "scopes"))
        *def = f->scopes;
    else if (!strcmp(name, "authorize_url"))
        *def = f->authorize_url;
    else if (!strcmp(name, "token_url"))
        return (*def = f->token_url) != NULL;
    return true;
}

static size_t count(const struct config_key *keys)
{
    size_t n = 0;
    while (keys && keys[n].name)
        n++;
    return n;
}

static struct config_key *add_shared(struct config_key *out, const struct provider *p,
                                     const struct config_key *shared)
{
    for (const struct config_key *k = shared; k->name; k++) {
        const char *def;
        if (!shared_default(p, k->name, &def))
            continue;
        *out = *k;
        if (def || out->def)
            out->def = def ? def : out->def;
        out++;
    }
    return out;
}

static struct config_key *build(const struct provider *p)
{
    size_t n = count(every_provider_keys) + count(oauth2_keys) + count(p->own_keys) + 1;
    struct config_key *keys = calloc(n, sizeof *keys);
    if (!keys)
        return NULL;
    struct config_key *out = add_shared(keys, p, every_provider_keys);
    if (p->oauth2)
        out = add_shared(out, p, oauth2_keys);
    for (const struct config_key *k = p->own_keys; k && k->name; k++)
        *out++ = *k;
    return keys;
}

const struct config_key *provider_config_keys(const struct provider *p)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        const struct provider *p;
        struct config_key *keys;
    } built[MAX_PROVIDERS];
    static const struct config_key none[] = {{NULL}};
    const struct config_key *found = NULL;
    pthread_mutex_lock(&lock);
    size_t i = 0;
    while (i < MAX_PROVIDERS && built[i].p && built[i].p != p)
        i++;
    if (i < MAX_PROVIDERS && !built[i].p && (built[i].keys = build(p)))
        built[i].p = p;
    if (i < MAX_PROVIDERS)
        found = built[i].keys;
    pthread_mutex_unlock(&lock);
    return found ? found : none;
}
