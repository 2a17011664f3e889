/* health-sync metadata: prints the Datasette metadata document for the
 * database (src/metadata.c), for `datasette health.sqlite -m metadata.json`. */
#include "cmd.h"

#include "log.h"
#include "metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Datasette names a database after its file, without the extension. */
static char *database_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

int cmd_metadata(struct cli *cli)
{
    if (cli->argc > 1)
        return cli_usage_error("metadata", "unexpected argument '%s'", cli->argv[1]);
    struct config *cfg;
    struct store *s;
    int rc = cli_open_existing(cli, &cfg, &s);
    if (rc != EXIT_OK)
        return rc;
    struct hs_error err = HS_ERROR_INIT;
    char *name = database_name(store_path(s));
    json_t *doc = name ? metadata_build(s, name, &err) : NULL;
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (!text) {
        log_error("metadata: %s", err.msg[0] ? err.msg : "out of memory");
        rc = EXIT_FAILED;
    } else if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
        rc = EXIT_FAILED;
    }
    free(text);
    json_decref(doc);
    free(name);
    cli_close(cfg, s);
    return rc;
}
