/* health-sync sync: run the enabled providers and summarise. */
#include "cmd.h"

#include "http.h"
#include "interrupt.h"
#include "lock.h"
#include "log.h"
#include "provider.h"
#include "sync.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SELECTED 16

struct sync_args {
    const struct provider *chosen[MAX_SELECTED];
    size_t n_chosen;
    bool explicit_providers;
    int lock_timeout; /* seconds to wait for another sync on the same database */
    struct sync_options opt;
};

static int add_provider_names(struct sync_args *a, const char *list)
{
    char *copy = strdup(list);
    if (!copy)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, ", ", &save); name; name = strtok_r(NULL, ", ", &save)) {
        const struct provider *p = provider_find(name);
        if (!p) {
            rc = cli_usage_error("sync", "unknown provider '%s' (known: %s)", name,
                                 known_providers());
            break;
        }
        bool dup = false;
        for (size_t i = 0; i < a->n_chosen; i++)
            dup = dup || a->chosen[i] == p;
        if (!dup && a->n_chosen < MAX_SELECTED)
            a->chosen[a->n_chosen++] = p;
    }
    free(copy);
    return rc;
}

/* "--providers" naming nothing would sync nothing and look like success. */
static int providers_missing(void)
{
    return cli_usage_error("sync", "--providers needs one or more names (%s)", known_providers());
}

static int parse_sync_args(struct cli *cli, struct sync_args *a)
{
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        if (!strcmp(arg, "--full")) {
            a->opt.full = true;
        } else if (!strcmp(arg, "--lock-timeout") || !strncmp(arg, "--lock-timeout=", 15)) {
            const char *v = arg[14] == '=' ? arg + 15 : i + 1 < cli->argc ? cli->argv[++i] : "";
            char *end;
            long secs = strtol(v, &end, 10);
            if (!*v || *end || secs < 0 || secs > 86400)
                return cli_usage_error("sync", "--lock-timeout wants seconds (0-86400), not '%s'",
                                       v);
            a->lock_timeout = (int)secs;
        } else if (!strcmp(arg, "--history-budget") || !strncmp(arg, "--history-budget=", 17)) {
            const char *v = arg[16] == '=' ? arg + 17 : i + 1 < cli->argc ? cli->argv[++i] : "";
            char *end;
            long secs = strtol(v, &end, 10);
            if (!*v || *end || secs < 0 || secs > 86400)
                return cli_usage_error("sync",
                                       "--history-budget wants seconds (0-86400, 0: no limit), "
                                       "not '%s'", v);
            a->opt.history_budget = secs;
            a->opt.history_budget_set = true;
        } else if (!strncmp(arg, "--providers=", 12)) {
            a->explicit_providers = true;
            if (add_provider_names(a, arg + 12))
                return EXIT_USAGE;
            if (a->n_chosen == 0)
                return providers_missing();
        } else if (!strcmp(arg, "--providers")) {
            a->explicit_providers = true;
            size_t before = a->n_chosen;
            while (i + 1 < cli->argc && cli->argv[i + 1][0] != '-')
                if (add_provider_names(a, cli->argv[++i]))
                    return EXIT_USAGE;
            if (a->n_chosen == before)
                return providers_missing();
        } else {
            return cli_usage_error("sync", "unexpected argument '%s'", arg);
        }
    }
    return 0;
}

/* Without --providers: every enabled provider in table order.  With it: the
 * given ones in the given order, minus disabled ones (each said). */
static size_t select_providers(const struct sync_args *a, const struct config *cfg,
                               const struct provider **out)
{
    size_t n = 0;
    if (!a->explicit_providers) {
        for (const struct provider *const *p = providers; *p; p++)
            if (config_bool(cfg, (*p)->name, "enabled") && n < MAX_SELECTED)
                out[n++] = *p;
        return n;
    }
    for (size_t i = 0; i < a->n_chosen; i++) {
        const struct provider *p = a->chosen[i];
        if (config_bool(cfg, p->name, "enabled"))
            out[n++] = p;
        else
            log_info("Skipping %s: disabled in config (set [%s].enabled = true).", p->name,
                     p->name);
    }
    return n;
}

/* One row of the table that ends a sync. */
static void print_summary_row(const struct provider_result *r)
{
    long resources = r->resources_ok + r->resources_failed + r->resources_skipped;
    char done[32];
    snprintf(done, sizeof done, "%ld/%ld", r->resources_ok, resources);
    log_info("%-11s %-7s %9s %8ld %8ld %8ld %10ld %8.1f", r->provider->name,
             r->failed ? "FAILED" : "ok", done, r->counts.inserted, r->counts.updated,
             r->counts.deleted, r->counts.unchanged, r->seconds);
}

static void print_summary(const struct provider_result *results, size_t n)
{
    size_t failed = 0;
    struct buf names = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const struct provider_result *r = &results[i];
        if (r->failed) {
            failed++;
            buf_addf(&names, "%s%s", names.len ? ", " : "", r->provider->name);
            log_warn("%s sync failed: %s", r->provider->name, r->error.msg);
        }
    }
    log_info("%-11s %-7s %9s %8s %8s %8s %10s %8s", "PROVIDER", "RESULT", "RESOURCES", "NEW",
             "UPDATED", "DELETED", "UNCHANGED", "SECONDS");
    for (size_t i = 0; i < n; i++)
        print_summary_row(&results[i]);
    if (failed) {
        log_warn("Sync completed with warnings (%zu/%zu providers failed): %s", failed, n,
                 names.data);
        if (failed == n)
            log_warn("All selected providers failed.");
    } else {
        log_info("Sync completed.");
    }
    buf_free(&names);
}

struct provider_job {
    struct sync_runner *runner;
    const struct provider *provider;
    struct provider_result *result;
    pthread_t thread;
    bool started;
};

static void *provider_thread(void *arg)
{
    struct provider_job *job = arg;
    log_info("Syncing provider: %s", job->provider->name);
    sync_provider(job->runner, job->provider, job->result);
    return NULL;
}

/* Providers are independent: they run at the same time, each with its own
 * HTTP client; the runner serialises their writes to the store. */
static size_t run_providers(struct sync_runner *runner, const struct provider **selected,
                            size_t n, struct provider_result *results)
{
    struct provider_job jobs[MAX_SELECTED];
    for (size_t i = 0; i < n; i++)
        sync_runner_expect(runner, selected[i]);
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct provider_job){runner, selected[i], &results[i], 0, false};
        memset(&results[i], 0, sizeof results[i]);
        results[i].provider = selected[i];
        jobs[i].started = pthread_create(&jobs[i].thread, NULL, provider_thread, &jobs[i]) == 0;
        if (!jobs[i].started)
            provider_thread(&jobs[i]); /* no thread: run it here */
    }
    for (size_t i = 0; i < n; i++)
        if (jobs[i].started)
            pthread_join(jobs[i].thread, NULL);
    return n;
}

/* Opens the database, takes the sync lock and runs the providers. */
static int sync_selected(const struct cli *cli, const struct config *cfg,
                         const struct sync_args *a, const struct provider **selected, size_t n)
{
    struct store *s = cli_open_store(cli, cfg);
    if (!s)
        return EXIT_FAILED;
    struct hs_error err = HS_ERROR_INIT;
    struct sync_lock *lock = sync_lock_acquire(store_path(s), a->lock_timeout, &err);
    struct sync_runner *runner = NULL;
    bool failed = true;
    if (!lock || store_abort_stale_runs(s, &err) < 0) {
        log_error("%s", err.msg);
    } else {
        cli_import_npm_tokens(cfg, s, selected, n);
        runner = sync_runner_new(s, cfg, &a->opt);
    }
    if (runner) {
        struct provider_result results[MAX_SELECTED];
        size_t ran = run_providers(runner, selected, n, results);
        if (!hs_interrupted) /* then main says one line, not one per provider */
            print_summary(results, ran);
        sync_runner_log_stats(runner);
        failed = false;
        for (size_t i = 0; i < ran; i++)
            failed = failed || results[i].failed;
    }
    sync_runner_free(runner);
    sync_lock_release(lock);
    store_close(s);
    return failed ? EXIT_FAILED : EXIT_OK;
}

int cmd_sync(struct cli *cli)
{
    struct sync_args a = {0};
    int rc = parse_sync_args(cli, &a);
    if (rc)
        return rc;
    struct config *cfg = cli_load_config(cli);
    if (!cfg)
        return EXIT_USAGE;
    const struct provider *selected[MAX_SELECTED];
    size_t n = select_providers(&a, cfg, selected);
    if (n == 0)
        log_info("Nothing to sync: no provider is enabled. Set [<provider>].enabled = true in %s.",
                 config_path(cfg));
    else
        rc = sync_selected(cli, cfg, &a, selected, n);
    config_free(cfg);
    return rc;
}
