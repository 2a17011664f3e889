/* cmd: what the command files share: the parsed global options and the
 * common steps of loading the config and opening the database. */
#ifndef HS_CMD_H
#define HS_CMD_H

#include "buf.h"
#include "config.h"
#include "store.h"

#include <jansson.h>

#include <stdbool.h>
#include <stdio.h>

/* Exit codes. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,      /* a provider failed (the others still ran) */
    EXIT_USAGE = 2,       /* usage or config error */
    EXIT_INTERRUPTED = 130,
};

struct cli {
    const char *config_path; /* NULL = ./health-sync.toml */
    const char *db_path;     /* NULL = [app].db */
    int argc;                /* the command's own arguments (argv[0] = command name) */
    char **argv;
};

struct command {
    const char *name;
    int (*run)(struct cli *cli);
    const char *summary;
    const char *usage; /* full help text for `health-sync COMMAND --help` */
};

extern const struct command commands[];

int cmd_init(struct cli *cli);
int cmd_init_db(struct cli *cli);
int cmd_auth(struct cli *cli);
int cmd_sync(struct cli *cli);
int cmd_status(struct cli *cli);
int cmd_export(struct cli *cli);
int cmd_providers(struct cli *cli);
int cmd_import(struct cli *cli);
int cmd_report(struct cli *cli);
int cmd_metadata(struct cli *cli);

/* Prints every key the config tables know, one "section.key" a line, in
 * table order (the hidden --list-config-keys, for tests).  -1 when out of
 * memory. */
int cli_list_config_keys(FILE *out);
/* Loads the config (printing any error); NULL on failure. */
struct config *cli_load_config(const struct cli *cli);
/* The database's absolute path: --db (relative to the working directory),
 * else [app].db (relative to the config file's directory), ~ expanded;
 * caller frees; NULL when out of memory. */
char *cli_db_path(const struct cli *cli, const struct config *cfg);
/* Opens the database (printing any error); NULL on failure. */
struct store *cli_open_store(const struct cli *cli, const struct config *cfg);
/* Both of the above: *cfg and *s set and EXIT_OK, or the exit code to return
 * (nothing left open).  Release with cli_close. */
int cli_open(const struct cli *cli, struct config **cfg, struct store **s);
/* cli_open for commands that only read: a missing database is an error
 * naming the path, never a new empty file. */
int cli_open_existing(const struct cli *cli, struct config **cfg, struct store **s);
void cli_close(struct config *cfg, struct store *s);
/* For each of the n providers without a token in the database: the one the
 * npm health-sync left in .health-sync.creds beside the config, copied into
 * the database with a line saying so (once: the database has it afterwards).
 * The file is never written. */
struct provider;
void cli_import_npm_tokens(const struct config *cfg, struct store *s,
                           const struct provider *const *list, size_t n);
/* status --runs N (cmd_status_runs.c): the last n runs of each resource as
 * a JSON array (caller owns; NULL and err on failure), and as a table. */
json_t *status_runs_collect(struct store *s, int n, struct hs_error *err);
void status_runs_print(const json_t *runs, int n);
/* auth's options shared with init (--listen-host, --listen-port, --timeout,
 * --no-browser) at cli->argv[*i]: 0 taken (*i moved past its value),
 * EXIT_USAGE when malformed (printed), -1 when not one of them. */
struct auth_ctx;
int auth_parse_option(const char *command, struct cli *cli, int *i, struct auth_ctx *ctx);
/* Authorizes p (its `auth`), enabling it in the config when it was not;
 * with then_probe, one cheap request then tells what the account holds.
 * Returns an exit code. */
int auth_provider(const struct config *cfg, struct store *s, const struct provider *p,
                  struct auth_ctx *ctx, bool then_probe);
/* Without signing in again: prepare (refreshing a token that is due) and
 * the probe's one request, saying what it found.  Returns an exit code. */
int auth_check(const struct config *cfg, struct store *s, const struct provider *p);
/* providers: the state of p's credentials in a few words (cmd_providers.c). */
void providers_auth_state(const struct config *cfg, struct store *s, const struct provider *p,
                          struct buf *out);
/* The files a command's --output must never replace: the database and its
 * companions (-wal, -shm, -journal), the sync lock and the config, compared
 * by device and inode so that a symlink or a hard link to one is caught too.
 * 0, or EXIT_USAGE after saying which file it is. */
int cli_refuse_own_files(const char *command, const struct config *cfg, const char *db,
                         const char *output);
/* True when argv[i] is --help or -h. */
bool cli_wants_help(const struct cli *cli);
/* Prints "error: <msg>" plus a usage hint and returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "oura withings ...": every provider's name, from the provider table. */
const char *known_providers(void);

#endif
