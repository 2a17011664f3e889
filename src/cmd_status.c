/* health-sync status: per provider the last successful sync and its age
 * (flagged when older than [app].stale_after_hours), then per resource the
 * record count, watermark and last run.  `--json` gives the same for scripts. */
#include "cmd.h"

#include "lock.h"
#include "log.h"
#include "provider.h"
#include "textsafe.h"
#include "timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

struct collected {
    json_t *rows;
    bool sync_running; /* another process holds the sync lock */
};

/* A run still marked 'running' when no sync holds the lock belongs to a
 * process that is gone (killed, crashed, machine off). */
static const char *run_status(const struct collected *c, const char *status)
{
    return status && !strcmp(status, "running") && !c->sync_running ? "interrupted" : status;
}

/* The same for status --runs's list. */
static void mark_gone_runs(const struct collected *c, json_t *runs)
{
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        const char *status = json_string_value(json_object_get(run, "status"));
        if (status && run_status(c, status) != status)
            json_object_set_new(run, "status", json_string(run_status(c, status)));
    }
}

static int collect_row(void *arg, const struct state_row *row)
{
    struct collected *c = arg;
    json_t *rows = c->rows;
    json_array_append_new(
        rows, json_pack("{s:s,s:s,s:I,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:I,s:I,s:I}}", "provider",
                        row->provider, "resource", row->resource,
                        "records", (json_int_t)row->record_count, "watermark",
                        str_or_null(row->watermark), "updated_at", str_or_null(row->updated_at),
                        "last_run", "status", str_or_null(run_status(c, row->last_run_status)), "started_at",
                        str_or_null(row->last_run_started), "finished_at",
                        str_or_null(row->last_run_finished), "error",
                        str_or_null(row->last_run_error), "inserted",
                        (json_int_t)row->last_inserted, "updated", (json_int_t)row->last_updated,
                        "deleted", (json_int_t)row->last_deleted));
    return 0;
}

/* "3h", "2d": how long ago t was. */
static void format_age(long long seconds, char *out, size_t n)
{
    if (seconds < 120)
        snprintf(out, n, "%llds", seconds);
    else if (seconds < 7200)
        snprintf(out, n, "%lldm", seconds / 60);
    else if (seconds < 172800)
        snprintf(out, n, "%lldh", seconds / 3600);
    else
        snprintf(out, n, "%lldd", seconds / 86400);
}

/* The provider's last run, from each resource's latest run: when it
 * started, whether any resource failed, and the summed counts. */
static json_t *last_run_of(const json_t *rows, const char *provider)
{
    const char *started = NULL, *result = NULL;
    json_int_t counts[3] = {0, 0, 0};
    static const char *const names[] = {"inserted", "updated", "deleted"};
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_t *run = json_object_get(r, "last_run");
        const char *status = json_string_value(json_object_get(run, "status"));
        const char *at = json_string_value(json_object_get(run, "started_at"));
        if (strcmp(json_string_value(json_object_get(r, "provider")), provider) || !status)
            continue;
        if (!started || strcmp(at, started) > 0)
            started = at;
        if (!result || strcmp(status, "success"))
            result = !result || !strcmp(result, "success") ? status : result;
        /* The provider's own row ("*") holds the totals of its resources'. */
        bool pass_row = !strcmp(json_string_value(json_object_get(r, "resource")), "*");
        for (int k = 0; k < 3 && !pass_row; k++)
            counts[k] += json_integer_value(json_object_get(run, names[k]));
    }
    if (!started)
        return json_null();
    return json_pack("{s:s,s:s,s:I,s:I,s:I}", "started_at", started, "status", result,
                     "inserted", counts[0], "updated", counts[1], "deleted", counts[2]);
}

/* Adds "history": {"oldest_day", "complete"} to each row of a resource
 * that walks its history within the history budget (null for the others):
 * how far back it has reached and whether it is all in. */
static void add_history(struct store *s, json_t *rows)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        struct sync_state st = {0};
        struct hs_error err = HS_ERROR_INIT;
        json_t *history = json_null();
        if (store_get_state(s, json_string_value(json_object_get(r, "provider")),
                            json_string_value(json_object_get(r, "resource")), &st, &err) == 0 &&
            st.extra_json) {
            json_t *extra = json_loads(st.extra_json, 0, NULL);
            json_t *h = json_object_get(extra, "history");
            const char *oldest = json_string_value(json_object_get(h, "oldest"));
            if (json_is_object(h))
                history = json_pack("{s:s%,s:b}", "oldest_day", oldest ? oldest : "",
                                    oldest ? (size_t)10 : 0, "complete",
                                    json_is_true(json_object_get(h, "complete")));
            json_decref(extra);
        }
        store_state_clear(&st);
        json_object_set_new(r, "history", history);
    }
}

/* "History walked newest first" lines for the rows that have one. */
static void print_history(const json_t *rows)
{
    size_t i;
    json_t *r;
    bool first = true;
    json_array_foreach(rows, i, r)
    {
        json_t *h = json_object_get(r, "history");
        if (!json_is_object(h))
            continue;
        if (first)
            printf("\nHistory walked newest first, within [app].history_budget_seconds a sync:\n");
        first = false;
        const char *oldest = json_string_value(json_object_get(h, "oldest_day"));
        printf("  %s/%s: back to %s, %s\n", json_string_value(json_object_get(r, "provider")),
               json_string_value(json_object_get(r, "resource")),
               oldest && *oldest ? oldest : "(nothing yet)",
               json_is_true(json_object_get(h, "complete")) ? "complete"
                                                             : "incomplete (the next sync goes on)");
    }
}

/* The resources [<provider>].resources leaves out, as a JSON array. */
static json_t *resources_off(const struct config *cfg, const struct provider *p)
{
    json_t *off = json_array();
    for (const struct resource *r = p->resources; r->name; r++)
        if (!provider_resource_on(cfg, p, r->name))
            json_array_append_new(off, json_string(r->name));
    return off;
}

/* One object per provider: enabled, last run, last success, its age, stale. */
static json_t *provider_summary(struct store *s, const struct config *cfg, const json_t *rows,
                                time_t now)
{
    json_t *out = json_array();
    long long stale_after = config_int(cfg, "app", "stale_after_hours") * 3600;
    for (const struct provider *const *p = providers; *p; p++) {
        char *last = store_last_success(s, (*p)->name);
        bool enabled = config_bool(cfg, (*p)->name, "enabled");
        time_t when;
        json_t *age = json_null();
        bool stale = enabled;
        if (last && time_parse(last, &when) == 0) {
            age = json_integer((json_int_t)(now - when));
            stale = enabled && now - when > stale_after;
        }
        json_array_append_new(out, json_pack("{s:s,s:b,s:o,s:o,s:o,s:b,s:o}", "name", (*p)->name,
                                             "enabled", enabled, "last_run",
                                             last_run_of(rows, (*p)->name), "last_success",
                                             str_or_null(last), "age_seconds", age, "stale",
                                             stale, "resources_off", resources_off(cfg, *p)));
        free(last);
    }
    return out;
}

static void print_providers(const json_t *summary)
{
    size_t i;
    json_t *p;
    printf("%-11s %-8s %-21s %-6s %-32s %s\n", "PROVIDER", "ENABLED", "LAST SUCCESS", "AGE",
           "LAST RUN", "");
    json_array_foreach(summary, i, p)
    {
        char age[32] = "-";
        json_t *a = json_object_get(p, "age_seconds");
        if (json_is_integer(a))
            format_age((long long)json_integer_value(a), age, sizeof age);
        bool enabled = json_is_true(json_object_get(p, "enabled"));
        json_t *run = json_object_get(p, "last_run");
        char last[64] = "-";
        if (json_is_object(run))
            snprintf(last, sizeof last, "%s (+%lld ~%lld -%lld)",
                     json_string_value(json_object_get(run, "status")),
                     (long long)json_integer_value(json_object_get(run, "inserted")),
                     (long long)json_integer_value(json_object_get(run, "updated")),
                     (long long)json_integer_value(json_object_get(run, "deleted")));
        printf("%-11s %-8s %-21s %-6s %-32s %s\n", json_string_value(json_object_get(p, "name")),
               enabled ? "yes" : "no",
               or_dash(json_string_value(json_object_get(p, "last_success"))), age, last,
               json_is_true(json_object_get(p, "stale")) ? "STALE" : "");
    }
}

/* "Off in [withings].resources: sleep, workouts", per provider with any. */
static void print_resources_off(const json_t *summary)
{
    size_t i, j;
    json_t *p, *name;
    json_array_foreach(summary, i, p)
    {
        json_t *off = json_object_get(p, "resources_off");
        if (!json_array_size(off))
            continue;
        printf("Off in [%s].resources:", json_string_value(json_object_get(p, "name")));
        json_array_foreach(off, j, name)
            printf("%s %s", j ? "," : "", json_string_value(name));
        printf("\n");
    }
}

static void print_resources(const json_t *rows)
{
    size_t i;
    json_t *r;
    printf("\n%-11s %-26s %9s  %-25s %-21s %s\n", "PROVIDER", "RESOURCE", "RECORDS", "WATERMARK",
           "LAST RUN", "RESULT");
    json_array_foreach(rows, i, r)
    {
        json_t *run = json_object_get(r, "last_run");
        const char *status = json_string_value(json_object_get(run, "status"));
        /* The provider's own row ("*") repeats the line above unless its
         * pass failed before or beside its resources (credentials, ...). */
        if (!strcmp(json_string_value(json_object_get(r, "resource")), "*") && status &&
            !strcmp(status, "success"))
            continue;
        char result[160];
        if (!status)
            snprintf(result, sizeof result, "-");
        else if (!strcmp(status, "success"))
            snprintf(result, sizeof result, "success (+%lld ~%lld -%lld)",
                     (long long)json_integer_value(json_object_get(run, "inserted")),
                     (long long)json_integer_value(json_object_get(run, "updated")),
                     (long long)json_integer_value(json_object_get(run, "deleted")));
        else
            snprintf(result, sizeof result, "%s: %.120s", status,
                     or_dash(json_string_value(json_object_get(run, "error"))));
        /* Error texts and watermarks come from the providers' replies. */
        char *safe_result = text_escaped(result);
        char *watermark = text_escaped(or_dash(json_string_value(json_object_get(r, "watermark"))));
        printf("%-11s %-26s %9lld  %-25s %-21s %s\n",
               json_string_value(json_object_get(r, "provider")),
               json_string_value(json_object_get(r, "resource")),
               (long long)json_integer_value(json_object_get(r, "records")), or_dash(watermark),
               or_dash(json_string_value(json_object_get(run, "started_at"))), or_dash(safe_result));
        free(safe_result);
        free(watermark);
    }
}

int cmd_status(struct cli *cli)
{
    bool as_json = false;
    int runs = 0; /* --runs N: also the last N runs of each resource */
    for (int i = 1; i < cli->argc; i++) {
        if (!strcmp(cli->argv[i], "--json"))
            as_json = true;
        else if (!strcmp(cli->argv[i], "--runs")) {
            char *end = NULL;
            long v = i + 1 < cli->argc ? strtol(cli->argv[++i], &end, 10) : 0;
            if (!end || *end || v < 1 || v > 1000)
                return cli_usage_error("status", "--runs needs a number of runs (1-1000)");
            runs = (int)v;
        } else
            return cli_usage_error("status", "unexpected argument '%s'", cli->argv[i]);
    }
    struct config *cfg;
    struct store *s;
    int opened = cli_open_existing(cli, &cfg, &s);
    if (opened != EXIT_OK)
        return opened;
    struct hs_error err = HS_ERROR_INIT;
    json_t *rows = json_array();
    struct collected c = {rows, sync_lock_held(store_path(s))};
    int rc = store_each_status(s, collect_row, &c, &err);
    if (rc == 0)
        add_history(s, rows);
    json_t *summary = provider_summary(s, cfg, rows, time_now());
    json_t *last_runs = rc == 0 && runs ? status_runs_collect(s, runs, &err) : NULL;
    mark_gone_runs(&c, last_runs);
    if (rc == 0 && runs && !last_runs)
        rc = -1;
    if (rc < 0) {
        log_error("%s", err.msg);
    } else if (as_json) {
        json_t *doc = json_pack("{s:s,s:O,s:O}", "database", store_path(s), "providers", summary,
                                "resources", rows);
        if (last_runs)
            json_object_set(doc, "runs", last_runs);
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
        json_decref(doc);
    } else {
        print_providers(summary);
        print_resources_off(summary);
        if (json_array_size(rows)) {
            print_resources(rows);
            print_history(rows);
        } else
            printf("\nNothing synced yet in %s. Run `health-sync sync`.\n", store_path(s));
        if (last_runs)
            status_runs_print(last_runs, runs);
    }
    json_decref(last_runs);
    json_decref(rows);
    json_decref(summary);
    cli_close(cfg, s);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}
