/* health-sync status: watermarks, record counts and the last run of each
 * provider/resource. */
#include "cmd.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static int print_state_row(void *arg, const struct state_row *row)
{
    int *rows = arg;
    if ((*rows)++ == 0)
        printf("%-11s %-26s %9s  %-25s %-21s %s\n", "PROVIDER", "RESOURCE", "RECORDS",
               "WATERMARK", "LAST RUN", "RESULT");
    char result[160];
    if (!row->last_run_status)
        snprintf(result, sizeof result, "-");
    else if (!strcmp(row->last_run_status, "success"))
        snprintf(result, sizeof result, "success (+%ld ~%ld -%ld)", row->last_inserted,
                 row->last_updated, row->last_deleted);
    else
        snprintf(result, sizeof result, "%s: %.120s", row->last_run_status,
                 or_dash(row->last_run_error));
    printf("%-11s %-26s %9ld  %-25s %-21s %s\n", row->provider, row->resource, row->record_count,
           or_dash(row->watermark), or_dash(row->last_run_started), result);
    return 0;
}

int cmd_status(struct cli *cli)
{
    if (cli->argc > 1 && !cli_wants_help(cli))
        return cli_usage_error("status", "unexpected argument '%s'", cli->argv[1]);
    struct config *cfg = cli_load_config(cli);
    if (!cfg)
        return EXIT_USAGE;
    struct store *s = cli_open_store(cli, cfg);
    if (!s) {
        config_free(cfg);
        return EXIT_FAILED;
    }
    struct hs_error err = HS_ERROR_INIT;
    int rows = 0;
    int rc = store_each_status(s, print_state_row, &rows, &err);
    if (rc == 0 && rows == 0)
        printf("Nothing synced yet in %s. Run `health-sync sync`.\n", store_path(s));
    if (rc < 0)
        log_error("%s", err.msg);
    store_close(s);
    config_free(cfg);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}
