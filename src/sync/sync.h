/* sync: the runner.  Runs providers' resource tasks, owns the store on their
 * behalf (one writer, one transaction per page), and books every run in
 * sync_runs.  Also implements the task_* and run_* calls of provider.h. */
#ifndef HS_SYNC_H
#define HS_SYNC_H

#include "config.h"
#include "error.h"
#include "provider.h"
#include "store.h"

#include <stdbool.h>

struct sync_options {
    bool full; /* re-list everything and reconcile deletions */
    /* Seconds each resource walked one request at a time may spend on its
     * older history in this sync (0: no limit); history_budget_set false
     * means [app].history_budget_seconds. */
    bool history_budget_set;
    long history_budget;
};

struct provider_result {
    const struct provider *provider;
    bool failed;
    long resources_ok, resources_failed, resources_skipped;
    struct run_counts counts;
    double seconds;        /* how long the provider took */
    struct hs_error error; /* the first failure */
};

struct sync_runner;

struct sync_runner *sync_runner_new(struct store *store, const struct config *cfg,
                                    const struct sync_options *opt);
void sync_runner_free(struct sync_runner *r);
/* With -v: the pages committed and how long the database writer was busy. */
void sync_runner_log_stats(const struct sync_runner *r);
/* Before the providers start: p's bulk listings (struct resource.bulk) will
 * run, so the rows that sort after them wait (order_gate.h). */
void sync_runner_expect(struct sync_runner *r, const struct provider *p);

/* Runs every resource of one provider; fills *result.  Returns 0 when all
 * went well, -1 otherwise (details in result). */
int sync_provider(struct sync_runner *r, const struct provider *p, struct provider_result *result);

/* A provider_run for `health-sync auth` (config, http client, token storage);
 * free with sync_provider_run_free. */
struct provider_run *sync_provider_run_new(struct sync_runner *r, const struct provider *p);
void sync_provider_run_free(struct provider_run *run);

#endif
