/* order_gate: see order_gate.h. */
#include "order_gate.h"

#include "timeutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HELD 8 /* one per provider with a bulk listing is plenty */

struct held {
    const char *provider, *resource;
};

struct order_gate {
    pthread_mutex_t lock;
    pthread_cond_t released;
    struct held held[MAX_HELD];
    size_t n_held;
};

struct order_gate *order_gate_new(void)
{
    struct order_gate *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->released, NULL);
    return g;
}

void order_gate_free(struct order_gate *g)
{
    if (!g)
        return;
    pthread_cond_destroy(&g->released);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void order_gate_hold(struct order_gate *g, const char *provider, const char *resource)
{
    pthread_mutex_lock(&g->lock);
    if (g->n_held < MAX_HELD)
        g->held[g->n_held++] = (struct held){provider, resource};
    pthread_mutex_unlock(&g->lock);
}

/* Is h the listing provider/resource (resource NULL: any of provider's)? */
static bool held_as(const struct held *h, const char *provider, const char *resource)
{
    return !strcmp(h->provider, provider) && (!resource || !strcmp(h->resource, resource));
}

bool order_gate_release(struct order_gate *g, const char *provider, const char *resource)
{
    bool released = false;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_held;) {
        if (held_as(&g->held[i], provider, resource)) {
            g->held[i] = g->held[--g->n_held];
            released = true;
        } else {
            i++;
        }
    }
    pthread_cond_broadcast(&g->released);
    pthread_mutex_unlock(&g->lock);
    return released;
}

/* Does the key (provider, resource) sort after a held listing's? */
static bool sorts_after_held(const struct order_gate *g, const char *provider,
                             const char *resource)
{
    for (size_t i = 0; i < g->n_held; i++) {
        int c = strcmp(provider, g->held[i].provider);
        if (c == 0)
            c = strcmp(resource, g->held[i].resource);
        if (c > 0)
            return true;
    }
    return false;
}

double order_gate_wait(struct order_gate *g, const char *provider, const char *resource)
{
    double began = 0;
    pthread_mutex_lock(&g->lock);
    while (sorts_after_held(g, provider, resource)) {
        if (began == 0)
            began = time_monotonic();
        pthread_cond_wait(&g->released, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return began == 0 ? 0 : time_monotonic() - began;
}

bool order_gate_would_wait(struct order_gate *g, const char *provider, const char *resource)
{
    pthread_mutex_lock(&g->lock);
    bool wait = sorts_after_held(g, provider, resource);
    pthread_mutex_unlock(&g->lock);
    return wait;
}
