/* health-sync report: the offline HTML report (src/report/) written to a
 * file (through a temporary file renamed over it, mode 0600) or to
 * standard output. */
#include "cmd.h"

#include "log.h"
#include "report/report.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The same file as the database or the config (or their WAL, journal and lock files)? */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
    bool same = ra && rb && !strcmp(ra, rb);
    free(ra);
    free(rb);
    return same;
}

static bool is_protected(const char *output, const char *db, const char *config)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(db) + strlen(suffixes[i]) + 1;
        char *path = malloc(n);
        if (!path)
            return true;
        snprintf(path, n, "%s%s", db, suffixes[i]);
        bool same = same_file(output, path);
        free(path);
        if (same)
            return true;
    }
    return config && same_file(output, config);
}

/* Writes the page beside the target and renames it over, so that a failure
 * leaves any earlier report whole; the file is created 0600. */
static int write_file(const char *path, const struct buf *page)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        log_error("cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t done = 0;
    while (done < page->len) {
        ssize_t w = write(fd, page->data + done, page->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int rc = done == page->len && fchmod(fd, 0600) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc < 0) {
        log_error("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
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
    if ((rc = cli_open(cli, &cfg, &s)) != EXIT_OK)
        return rc;
    bool to_stdout = !strcmp(a.output, "-");
    if (!to_stdout && is_protected(a.output, store_path(s),
                                   cli->config_path ? cli->config_path : "health-sync.toml")) {
        log_error("refusing to write the report over %s: it is the database or the config",
                  a.output);
        cli_close(cfg, s);
        return EXIT_USAGE;
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
