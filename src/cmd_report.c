/* health-sync report: the offline HTML report (src/report/) written to a
 * file or to standard output. */
#include "cmd.h"

#include "atomicfile.h"
#include "log.h"
#include "report/report.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_OUTPUT "health-report.html"

struct report_args {
    const char *since, *until, *output;
};

static int parse_report_args(struct cli *cli, struct report_args *a)
{
    a->output = DEFAULT_OUTPUT;
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        const char **slot = !strcmp(arg, "--since")    ? &a->since
                            : !strcmp(arg, "--until")  ? &a->until
                            : !strcmp(arg, "--output") ? &a->output
                                                       : NULL;
        if (!slot)
            return cli_usage_error("report", "unexpected argument '%s'", arg);
        if (i + 1 >= cli->argc)
            return cli_usage_error("report", "%s needs a value", arg);
        *slot = cli->argv[++i];
    }
    if ((a->since && !time_is_valid_date(a->since)) || (a->until && !time_is_valid_date(a->until)))
        return cli_usage_error("report", "--since and --until take a date YYYY-MM-DD");
    if (a->since && a->until && strcmp(a->since, a->until) > 0)
        return cli_usage_error("report", "--since %s is after --until %s", a->since, a->until);
    if (!*a->output)
        return cli_usage_error("report", "--output needs a file name");
    return 0;
}

/* The page appears whole or not at all (atomicfile.c), mode 0600. */
static int write_file(const char *path, const struct buf *page)
{
    struct hs_error err = HS_ERROR_INIT;
    struct atomic_file *f = atomic_file_open(path, &err);
    if (!f) {
        log_error("report: %s", err.msg);
        return -1;
    }
    if (fwrite(page->data, 1, page->len, atomic_file_stream(f)) != page->len) {
        log_error("report: cannot write %s: %s", path, strerror(errno));
        atomic_file_abort(f);
        return -1;
    }
    if (atomic_file_commit(f, &err) < 0) {
        log_error("report: %s", err.msg);
        return -1;
    }
    return 0;
}

static int write_stdout(const struct buf *page)
{
    if (fwrite(page->data, 1, page->len, stdout) != page->len || fflush(stdout) != 0) {
        if (errno != EPIPE)
            log_error("report: write error: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int cmd_report(struct cli *cli)
{
    struct report_args a = {0};
    int rc = parse_report_args(cli, &a);
    if (rc)
        return rc;
    struct config *cfg;
    struct store *s;
    if ((rc = cli_open_existing(cli, &cfg, &s)) != EXIT_OK)
        return rc;
    bool to_stdout = !strcmp(a.output, "-");
    if (!to_stdout && (rc = cli_refuse_own_files("report", cfg, store_path(s), a.output))) {
        cli_close(cfg, s);
        return rc;
    }
    struct buf page = BUF_INIT;
    struct hs_error err = HS_ERROR_INIT;
    struct report_options o = {a.since, a.until, time_now()};
    if (report_write(s, &o, &page, &err) < 0) {
        log_error("report: %s", err.msg);
        rc = err.kind == HS_ERR_CONFIG ? EXIT_USAGE : EXIT_FAILED;
    } else if (to_stdout ? write_stdout(&page) < 0 : write_file(a.output, &page) < 0) {
        rc = EXIT_FAILED;
    } else if (!to_stdout) {
        log_info("wrote %s (%zu bytes)", a.output, page.len);
    }
    buf_free(&page);
    cli_close(cfg, s);
    return rc;
}
