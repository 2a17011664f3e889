/* health-sync init-db: create or upgrade the database. */
#include "cmd.h"

#include "log.h"

#include <stdlib.h>

int cmd_init_db(struct cli *cli)
{
    if (cli->argc > 1)
        return cli_usage_error("init-db", "unexpected argument '%s'", cli->argv[1]);
    struct config *cfg;
    struct store *s;
    int rc = cli_open(cli, &cfg, &s);
    if (rc != EXIT_OK)
        return rc;
    log_info("Initialized DB at: %s", store_path(s));
    cli_close(cfg, s);
    return EXIT_OK;
}
