/* health-sync export: one view or one provider's resource as CSV or JSON
 * Lines, streamed row by row. */
#include "cmd.h"

#include "apple_health.h"
#include "atomicfile.h"
#include "buf.h"
#include "interrupt.h"
#include "log.h"
#include "provider.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct export_args {
    const char *what; /* a view name, or provider/resource */
    const char *format;
    const char *since, *until;
    const char *output;
};

struct writer {
    FILE *out;
    bool csv;
    bool header_done;
    int error;
};

static void csv_field(FILE *out, const char *v)
{
    if (!v)
        return;
    if (!strpbrk(v, ",\"\r\n")) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static int write_csv_header(struct writer *w, const struct cell *cells, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', w->out);
        csv_field(w->out, cells[i].name);
    }
    fputs("\r\n", w->out);
    w->header_done = true;
    return 0;
}

static int write_csv(struct writer *w, const struct cell *cells, int n)
{
    if (!w->header_done)
        write_csv_header(w, cells, n);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', w->out);
        csv_field(w->out, cells[i].text);
    }
    fputs("\r\n", w->out);
    return 0;
}

static json_t *cell_json(const struct cell *c)
{
    if (!c->text)
        return json_null();
    if (c->type == SQLITE_INTEGER)
        return json_integer(strtoll(c->text, NULL, 10));
    if (c->type == SQLITE_FLOAT)
        return json_real(strtod(c->text, NULL));
    if (!strcmp(c->name, "payload_json")) {
        json_t *v = json_loads(c->text, JSON_DECODE_ANY, NULL);
        if (v)
            return v;
    }
    return json_string(c->text);
}

static int write_jsonl(struct writer *w, const struct cell *cells, int n)
{
    json_t *obj = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(obj, !strcmp(cells[i].name, "payload_json") ? "payload" : cells[i].name,
                            cell_json(&cells[i]));
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (!line)
        return w->error = 1;
    fprintf(w->out, "%s\n", line);
    free(line);
    return 0;
}

static int write_row(void *arg, const struct cell *cells, int n)
{
    struct writer *w = arg;
    int rc = w->csv ? write_csv(w, cells, n) : write_jsonl(w, cells, n);
    if (ferror(w->out))
        w->error = 1;
    return rc || w->error || hs_interrupted;
}

static int parse_export_args(struct cli *cli, struct export_args *a)
{
    a->format = "csv";
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        const char **slot = !strcmp(arg, "--format")   ? &a->format
                            : !strcmp(arg, "--since")  ? &a->since
                            : !strcmp(arg, "--until")  ? &a->until
                            : !strcmp(arg, "--output") ? &a->output
                                                       : NULL;
        if (slot) {
            if (i + 1 >= cli->argc)
                return cli_usage_error("export", "%s needs a value", arg);
            *slot = cli->argv[++i];
        } else if (arg[0] == '-' || a->what) {
            return cli_usage_error("export", "unexpected argument '%s'", arg);
        } else {
            a->what = arg;
        }
    }
    if (!a->what)
        return cli_usage_error("export", "name a view or a provider/resource");
    if (strcmp(a->format, "csv") && strcmp(a->format, "jsonl"))
        return cli_usage_error("export", "--format is csv or jsonl, not '%s'", a->format);
    if ((a->since && !time_is_valid_date(a->since)) || (a->until && !time_is_valid_date(a->until)))
        return cli_usage_error("export", "--since and --until take a date YYYY-MM-DD");
    return 0;
}

static int found_column(void *arg, const struct cell *cells, int n)
{
    (void)cells, (void)n;
    *(bool *)arg = true;
    return 1;
}

static bool view_has_start_time(struct store *s, const char *view)
{
    bool found = false;
    struct hs_error err = HS_ERROR_INIT;
    const char *params[] = {view};
    store_each_row(s, "SELECT 1 FROM pragma_table_info(?1) WHERE name = 'start_time'", params, 1,
                   found_column, &found, &err);
    return found;
}

/* "what" is checked against the provider table or the views before it goes
 * into SQL; a name that is neither is a usage error listing the valid ones. */
static int add_view_name(void *arg, const char *name)
{
    buf_addf(arg, " %s", name);
    return 0;
}

static int add_imported_name(void *arg, const char *provider, const char *resource, long n)
{
    (void)n;
    if (!strcmp(provider, APPLE_HEALTH_PROVIDER))
        buf_addf(arg, " %s/%s", provider, resource);
    return 0;
}

static int unknown_what(struct store *s, const char *what)
{
    struct buf names = BUF_INIT;
    struct hs_error err = HS_ERROR_INIT;
    store_each_view(s, add_view_name, &names, &err);
    for (const struct provider *const *p = providers; *p; p++)
        for (const struct resource *r = (*p)->resources; r->name; r++)
            buf_addf(&names, " %s/%s", (*p)->name, r->name);
    store_each_count(s, add_imported_name, &names, &err);
    int rc = cli_usage_error("export", "'%s' is neither a view nor a provider/resource; valid:%s",
                             what, buf_failed(&names) ? " (out of memory)" : names.data);
    buf_free(&names);
    return rc;
}

/* A synced provider's resource, or a type an import has stored (Apple
 * Health's resources are whatever types the export holds). */
static bool is_known_resource(struct store *s, const char *what, const char *slash)
{
    size_t n = (size_t)(slash - what);
    if (n == strlen(APPLE_HEALTH_PROVIDER) && !strncmp(what, APPLE_HEALTH_PROVIDER, n)) {
        struct hs_error err = HS_ERROR_INIT;
        return store_has_records(s, APPLE_HEALTH_PROVIDER, slash + 1, &err) == 1;
    }
    for (const struct provider *const *p = providers; *p; p++) {
        if (strlen((*p)->name) != (size_t)(slash - what) ||
            strncmp((*p)->name, what, (size_t)(slash - what)))
            continue;
        for (const struct resource *r = (*p)->resources; r->name; r++)
            if (!strcmp(r->name, slash + 1))
                return true;
    }
    return false;
}

static int build_query(struct store *s, const struct export_args *a, struct buf *sql,
                       const char **params, int *nparams, char **provider)
{
    *nparams = 0;
    const char *slash = strchr(a->what, '/');
    const char *time_col;
    if (slash && is_known_resource(s, a->what, slash)) {
        if (!(*provider = strndup(a->what, (size_t)(slash - a->what))))
            return EXIT_FAILED;
        buf_adds(sql, "SELECT provider, resource, record_id, start_time, end_time,"
                      " source_updated_at, payload_json, fetched_at FROM records"
                      " WHERE provider = ?1 AND resource = ?2");
        params[(*nparams)++] = *provider;
        params[(*nparams)++] = slash + 1;
        time_col = "start_time";
    } else if (!slash && store_has_view(s, a->what)) {
        buf_addf(sql, "SELECT * FROM \"%s\" WHERE 1", a->what);
        time_col = view_has_start_time(s, a->what) ? "start_time" : NULL;
        if (!time_col && (a->since || a->until))
            return cli_usage_error("export", "%s has no start_time: --since/--until do not apply",
                                   a->what);
    } else {
        return unknown_what(s, a->what);
    }
    /* Dates compare as text against ISO times; --until includes the whole day. */
    if (a->since) {
        params[*nparams] = a->since;
        buf_addf(sql, " AND %s >= ?%d", time_col, ++*nparams);
    }
    if (a->until) {
        params[*nparams] = a->until;
        buf_addf(sql, " AND substr(%s, 1, 10) <= ?%d", time_col, ++*nparams);
    }
    if (time_col)
        buf_addf(sql, " ORDER BY %s", time_col);
    return buf_failed(sql) ? EXIT_FAILED : 0;
}

static int write_header_once(void *arg, const struct cell *cells, int n)
{
    struct writer *w = arg;
    return w->csv && !w->header_done ? write_csv_header(w, cells, n) : 0;
}

/* Streams the rows to out; an empty CSV result still gets its header. */
static int write_rows(struct store *s, const struct export_args *a, const char *sql,
                      const char *const *params, int nparams, FILE *out)
{
    struct writer w = {out, !strcmp(a->format, "csv"), false, 0};
    struct hs_error err = HS_ERROR_INIT;
    if (store_each_row(s, sql, params, nparams, write_row, &w, &err) < 0 ||
        (!hs_interrupted && store_query_columns(s, sql, write_header_once, &w, &err) < 0)) {
        log_error("export %s: %s", a->what, err.msg);
        return EXIT_FAILED;
    }
    if (hs_interrupted)
        return EXIT_INTERRUPTED;
    if (w.error || fflush(out) != 0) {
        if (errno != EPIPE) /* a reader that stopped early (| head) is no error to report */
            log_error("export %s: write error: %s", a->what, strerror(errno));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

static int export_to_file(struct store *s, const struct export_args *a, const char *sql,
                          const char *const *params, int nparams)
{
    struct hs_error err = HS_ERROR_INIT;
    struct atomic_file *f = atomic_file_open(a->output, &err);
    if (!f) {
        log_error("export %s: %s", a->what, err.msg);
        return EXIT_FAILED;
    }
    int rc = write_rows(s, a, sql, params, nparams, atomic_file_stream(f));
    if (rc != EXIT_OK) {
        atomic_file_abort(f);
    } else if (atomic_file_commit(f, &err) < 0) {
        log_error("export %s: %s", a->what, err.msg);
        rc = EXIT_FAILED;
    }
    return rc;
}

int cmd_export(struct cli *cli)
{
    struct export_args a = {0};
    int rc = parse_export_args(cli, &a);
    if (rc)
        return rc;
    struct config *cfg;
    struct store *s;
    if ((rc = cli_open_existing(cli, &cfg, &s)) != EXIT_OK)
        return rc;
    struct buf sql = BUF_INIT;
    const char *params[4];
    int nparams;
    char *provider = NULL;
    bool to_stdout = !a.output || !strcmp(a.output, "-");
    rc = build_query(s, &a, &sql, params, &nparams, &provider);
    if (!rc && !to_stdout)
        rc = cli_refuse_own_files("export", cfg, store_path(s), a.output);
    if (!rc)
        rc = to_stdout ? write_rows(s, &a, sql.data, params, nparams, stdout)
                       : export_to_file(s, &a, sql.data, params, nparams);
    free(provider);
    buf_free(&sql);
    cli_close(cfg, s);
    return rc;
}
