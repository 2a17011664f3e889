/* What every command does first: load the config, find and open the database. */
#include "cmd.h"

#include "log.h"
#include "npm_creds.h"
#include "provider.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG "health-sync.toml"

/* [app] first, then one section per provider, from the provider table. */
static struct config_section *config_sections(void)
{
    size_t n = 0;
    while (providers[n])
        n++;
    struct config_section *sections = calloc(n + 2, sizeof *sections);
    if (!sections)
        return NULL;
    sections[0].name = "app";
    sections[0].keys = config_app_keys;
    for (size_t i = 0; i < n; i++) {
        sections[i + 1].name = providers[i]->name;
        sections[i + 1].keys = providers[i]->config_keys;
    }
    return sections;
}

struct config *cli_load_config(const struct cli *cli)
{
    struct config_section *sections = config_sections();
    if (!sections) {
        log_error("out of memory");
        return NULL;
    }
    struct hs_error err = HS_ERROR_INIT;
    const char *path = cli->config_path ? cli->config_path : DEFAULT_CONFIG;
    struct config *cfg = config_load(path, cli->config_path != NULL, sections, &err);
    free(sections);
    if (cfg && provider_check_resources(cfg, &err) < 0) {
        config_free(cfg);
        cfg = NULL;
    }
    if (!cfg) {
        log_error("%s", err.msg);
        return NULL;
    }
    if (!config_file_found(cfg))
        log_warn("no config file at %s: using defaults (every provider disabled)", path);
    return cfg;
}

static char *expand_home(const char *path)
{
    const char *home = getenv("HOME");
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home) {
        size_t n = strlen(home) + strlen(path);
        char *out = malloc(n);
        if (out)
            snprintf(out, n, "%s%s", home, path + 1);
        return out;
    }
    return strdup(path);
}

char *cli_db_path(const struct cli *cli, const struct config *cfg)
{
    const char *path = cli->db_path;
    if (!path)
        path = config_str(cfg, "app", "db");
    if (!path || !*path)
        path = "./health.sqlite";
    return expand_home(path);
}

struct store *cli_open_store(const struct cli *cli, const struct config *cfg)
{
    char *path = cli_db_path(cli, cfg);
    if (!path) {
        log_error("out of memory");
        return NULL;
    }
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = store_open(path, &err);
    if (!s)
        log_error("%s", err.msg);
    free(path);
    return s;
}

int cli_open(const struct cli *cli, struct config **cfg, struct store **s)
{
    *s = NULL;
    if (!(*cfg = cli_load_config(cli)))
        return EXIT_USAGE;
    if (!(*s = cli_open_store(cli, *cfg))) {
        config_free(*cfg);
        *cfg = NULL;
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

void cli_close(struct config *cfg, struct store *s)
{
    store_close(s);
    config_free(cfg);
}

/* 1 when p's token came from the npm tool's file, 0 when none was wanted or
 * found, -1 when the file is unusable (err). */
static int import_npm_token(const char *path, struct store *s, const struct provider *p,
                            struct hs_error *err)
{
    struct token t = {0};
    int rc = store_get_token(s, p->name, &t, err);
    store_token_clear(&t);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if ((rc = npm_creds_read(path, p->name, time_now(), &t, err)) != 1)
        return rc;
    log_add_secret(t.access_token);
    log_add_secret(t.refresh_token);
    rc = store_put_token(s, &t, err) < 0 ? -1 : 1;
    store_token_clear(&t);
    return rc;
}

void cli_import_npm_tokens(const struct config *cfg, struct store *s,
                           const struct provider *const *list, size_t n)
{
    char *path = npm_creds_path(config_path(cfg));
    if (!path || access(path, F_OK) != 0) {
        free(path);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (list[i]->auth == AUTH_API_KEY)
            continue; /* a key lives in the config, never in the token file */
        struct hs_error err = HS_ERROR_INIT;
        int rc = import_npm_token(path, s, list[i], &err);
        if (rc < 0) {
            log_warn("not using %s: %s", path, err.msg);
            break;
        }
        if (rc == 1)
            log_info("Using the %s token the npm health-sync left in %s (kept in the database "
                     "from now on; that file is left as it is).",
                     list[i]->title, path);
    }
    free(path);
}

bool cli_wants_help(const struct cli *cli)
{
    for (int i = 1; i < cli->argc; i++)
        if (!strcmp(cli->argv[i], "--help") || !strcmp(cli->argv[i], "-h"))
            return true;
    return false;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (command)
        fprintf(stderr, "\nRun 'health-sync %s --help' for usage.\n", command);
    else
        fputs("\nRun 'health-sync --help' for usage.\n", stderr);
    return EXIT_USAGE;
}
