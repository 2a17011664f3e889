/* status --runs N: the last N runs of each resource from sync_runs, with
 * how long each took, its counts, how it moved the watermark and the first
 * line of its error. */
#include "cmd.h"

#include "textsafe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static const char runs_sql[] =
    "SELECT provider, resource, started_at, finished_at,"
    " CAST(ROUND((julianday(finished_at) - julianday(started_at)) * 86400) AS INTEGER)"
    "  AS duration_seconds,"
    " status, inserted_count AS inserted, updated_count AS updated,"
    " deleted_count AS deleted, unchanged_count AS unchanged,"
    " watermark_before, watermark_after, error_text AS error"
    " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY provider, resource"
    "       ORDER BY started_at DESC, id DESC) AS nth FROM sync_runs)"
    " WHERE nth <= CAST(?1 AS INTEGER)"
    " ORDER BY provider, resource, started_at DESC, id DESC";

/* A cell as JSON; an error keeps its first line only (the rest is detail
 * for -v logs, not for a table). */
static json_t *cell_json(const struct cell *c)
{
    if (!c->text)
        return json_null();
    if (c->type == SQLITE_INTEGER)
        return json_integer(strtoll(c->text, NULL, 10));
    if (!strcmp(c->name, "error"))
        return json_stringn(c->text, strcspn(c->text, "\r\n"));
    return json_string(c->text);
}

static int collect_run(void *arg, const struct cell *cells, int ncells)
{
    json_t *run = json_object();
    for (int i = 0; i < ncells; i++)
        json_object_set_new(run, cells[i].name, cell_json(&cells[i]));
    return json_array_append_new(arg, run);
}

json_t *status_runs_collect(struct store *s, int n, struct hs_error *err)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", n);
    const char *params[] = {limit};
    json_t *runs = json_array();
    if (store_each_row(s, runs_sql, params, 1, collect_run, runs, err) < 0) {
        json_decref(runs);
        return NULL;
    }
    return runs;
}

/* "0s", "42s", "3m05s", "2h07m" */
static void format_duration(const json_t *seconds, char *out, size_t n)
{
    if (!json_is_integer(seconds)) {
        snprintf(out, n, "-");
        return;
    }
    long long s = (long long)json_integer_value(seconds);
    if (s < 60)
        snprintf(out, n, "%llds", s);
    else if (s < 3600)
        snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
    else
        snprintf(out, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
}

static const char *text_of(const json_t *run, const char *key)
{
    const char *s = json_string_value(json_object_get(run, key));
    return s && *s ? s : "-";
}

/* The resource column: a provider's whole pass is booked under "*". */
static const char *resource_of(const json_t *run)
{
    const char *r = text_of(run, "resource");
    return strcmp(r, "*") ? r : "(whole pass)";
}

static long long count_of(const json_t *run, const char *key)
{
    return (long long)json_integer_value(json_object_get(run, key));
}

void status_runs_print(const json_t *runs, int n)
{
    printf("\nLast %d run%s of each resource:\n", n, n == 1 ? "" : "s");
    if (!json_array_size(runs)) {
        printf("  (no runs yet)\n");
        return;
    }
    printf("%-11s %-26s %-21s %6s  %-11s %6s %6s %6s %6s  %s\n", "PROVIDER", "RESOURCE", "STARTED",
           "TOOK", "RESULT", "NEW", "UPD", "DEL", "SAME", "WATERMARK BEFORE -> AFTER");
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        char took[32];
        format_duration(json_object_get(run, "duration_seconds"), took, sizeof took);
        /* Watermarks and errors come from the providers' replies. */
        char *before = text_escaped(text_of(run, "watermark_before"));
        char *after = text_escaped(text_of(run, "watermark_after"));
        printf("%-11s %-26s %-21s %6s  %-11s %6lld %6lld %6lld %6lld  %s -> %s\n",
               text_of(run, "provider"), resource_of(run), text_of(run, "started_at"), took,
               text_of(run, "status"), count_of(run, "inserted"), count_of(run, "updated"),
               count_of(run, "deleted"), count_of(run, "unchanged"), before ? before : "-",
               after ? after : "-");
        free(before);
        free(after);
        if (json_is_string(json_object_get(run, "error"))) {
            char *error = text_escaped(text_of(run, "error"));
            printf("%-11s %-26s error: %s\n", "", "", error ? error : "-");
            free(error);
        }
    }
}
