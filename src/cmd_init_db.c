/* health-sync init-db: create or upgrade the database. */
#include "cmd.h"

#include "log.h"

#include <stdlib.h>

int cmd_init_db(struct cli *cli)
{
    if (cli->argc > 1)
        return cli_usage_error("init-db", "unexpected argument '%s'", cli->argv[1]);
    struct config *cfg = cli_load_config(cli);
    if (!cfg)
        return EXIT_USAGE;
    struct store *s = cli_open_store(cli, cfg);
    int rc = s ? EXIT_OK : EXIT_FAILED;
    if (s)
        log_info("Initialized DB at: %s", store_path(s));
    store_close(s);
    config_free(cfg);
    return rc;
}
