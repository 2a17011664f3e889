/* health-sync import apple-health PATH: the Health app's export into the
 * database, with progress (share of the file read and an ETA). */
#include "cmd.h"

#include "importer.h"
#include "lock.h"
#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A terminal's line is redrawn at most this often; plain output gets a
 * line this often (seconds). */
#define TTY_EVERY 0.2
#define PLAIN_EVERY 10.0

struct import_args {
    const char *source; /* "apple-health" */
    const char *path;
    bool prune;
    long batch; /* records per transaction, 0: the default */
};

struct progress_state {
    double started, last;
    const char *name; /* the file's base name */
};

static int parse_import_args(struct cli *cli, struct import_args *a)
{
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        if (!strcmp(arg, "--prune")) {
            a->prune = true;
        } else if (!strcmp(arg, "--batch")) {
            char *end = NULL;
            a->batch = i + 1 < cli->argc ? strtol(cli->argv[++i], &end, 10) : 0;
            if (!end || *end || a->batch < 1 || a->batch > 1000000)
                return cli_usage_error("import", "--batch wants a number of records (1-1000000)");
        } else if (arg[0] == '-' && arg[1]) {
            return cli_usage_error("import", "unknown option %s", arg);
        } else if (!a->source) {
            a->source = arg;
        } else if (!a->path) {
            a->path = arg;
        } else {
            return cli_usage_error("import", "unexpected argument '%s'", arg);
        }
    }
    if (!a->source || strcmp(a->source, "apple-health") != 0)
        return cli_usage_error("import", a->source ? "unknown source '%s' (only apple-health)"
                                                   : "name the source: apple-health%s",
                               a->source ? a->source : "");
    if (!a->path)
        return cli_usage_error("import", "give the path of export.zip or export.xml");
    return 0;
}

static void format_duration(double s, char *out, size_t n)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, n, "%lds", t);
}

static void on_progress(void *arg, const struct import_progress *p)
{
    struct progress_state *st = arg;
    double now = time_monotonic(), elapsed = now - st->started;
    double every = log_is_tty() ? TTY_EVERY : PLAIN_EVERY;
    if (!p->finished && now - st->last < every)
        return;
    st->last = now;
    double share = p->total ? (double)p->done / (double)p->total : 1.0;
    char eta[32] = "";
    if (!p->finished && share > 0.001) {
        char d[24];
        format_duration(elapsed / share - elapsed, d, sizeof d);
        snprintf(eta, sizeof eta, ", ETA %s", d);
    }
    log_progress("apple_health", "import", "%.0f%% of %s read (%.1f of %.1f MB), %ld records%s",
                 share * 100, st->name, (double)p->done / 1e6, (double)p->total / 1e6,
                 p->records, eta);
}

static void print_result(const struct import_result *res, double seconds)
{
    log_progress_done();
    log_info("apple_health: %ld records read in %.1f s: %ld new, %ld changed, %ld unchanged"
             " (duplicates included), %ld deleted; %ld committed batches",
             res->records, seconds, res->counts.inserted, res->counts.updated,
             res->counts.unchanged, res->counts.deleted, res->commits);
    if (res->first[0])
        log_info("apple_health: the export runs from %s to %s%s%s", res->first, res->last,
                 res->export_date[0] ? "; exported " : "", res->export_date);
    if (res->skipped)
        log_warn("apple_health: %ld elements left out: no readable type, date or day (-v shows "
                 "where)",
                 res->skipped);
}

static int run_import(struct store *s, const struct import_args *a)
{
    struct hs_error err = HS_ERROR_INIT;
    struct sync_lock *lock = sync_lock_acquire(store_path(s), 0, &err);
    if (!lock) {
        log_error("%s", err.msg);
        return EXIT_FAILED;
    }
    const char *slash = strrchr(a->path, '/');
    struct progress_state st = {.started = time_monotonic(), .name = slash ? slash + 1 : a->path};
    st.last = st.started;
    struct import_options opt = {.prune = a->prune, .batch_records = (size_t)a->batch,
                                 .progress = on_progress, .progress_arg = &st};
    struct import_result res;
    int rc = import_apple_health(s, a->path, &opt, &res, &err);
    sync_lock_release(lock);
    if (rc == 0 || res.records > 0)
        print_result(&res, time_monotonic() - st.started);
    if (rc == 0)
        return EXIT_OK;
    if (err.kind == HS_ERR_INTERRUPTED)
        return EXIT_INTERRUPTED; /* main says so */
    log_error("%s", err.msg);
    if (err.kind == HS_ERR_CONFIG)
        return EXIT_USAGE;
    if (res.records > 0)
        log_error("apple_health: kept the %ld complete records before that point%s; a complete "
                  "export imports the rest",
                  res.records, a->prune ? " and pruned nothing" : "");
    return EXIT_FAILED;
}

int cmd_import(struct cli *cli)
{
    struct import_args a = {0};
    int rc = parse_import_args(cli, &a);
    if (rc)
        return rc;
    struct config *cfg;
    struct store *s;
    if ((rc = cli_open(cli, &cfg, &s)) != EXIT_OK)
        return rc;
    rc = run_import(s, &a);
    cli_close(cfg, s);
    return rc;
}
