/* What every command does first: load the config, find and open the database. */
#include "cmd.h"

#include "buf.h"
#include "fspath.h"
#include "log.h"
#include "npm_creds.h"
#include "provider.h"
#include "textsafe.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        sections[i + 1].keys = provider_config_keys(providers[i]);
    }
    return sections;
}

int cli_list_config_keys(FILE *out)
{
    struct config_section *sections = config_sections();
    if (!sections)
        return -1;
    for (const struct config_section *s = sections; s->name; s++)
        for (const struct config_key *k = s->keys; k->name; k++)
            fprintf(out, "%s.%s\n", s->name, k->name);
    free(sections);
    return 0;
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
        struct buf b = BUF_INIT;
        buf_adds(&b, home);
        buf_adds(&b, path + 1);
        return buf_detach(&b);
    }
    return strdup(path);
}

/* --db is relative to where the user typed it; [app].db (or its default)
 * to the config file that names it, so a timer running elsewhere finds the
 * same database; with no config file, to the working directory. */
char *cli_db_path(const struct cli *cli, const struct config *cfg)
{
    const char *path = cli->db_path;
    char *base = NULL;
    if (!path) {
        path = config_str(cfg, "app", "db");
        if (!path || !*path)
            path = "./health.sqlite";
        if (config_file_found(cfg) && !(base = fspath_dirname(config_path(cfg))))
            return NULL;
    }
    char *expanded = expand_home(path);
    char *abs = expanded ? fspath_absolute(expanded, base) : NULL;
    free(expanded);
    free(base);
    return abs;
}

/* The database holds tokens and health data: say so when others can read it
 * (SQLite gives its -wal and -shm the database's mode). */
static void warn_if_shared(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
        return;
    struct buf files = BUF_INIT;
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", ".lock"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        struct buf name = BUF_INIT;
        buf_addf(&name, "%s%s", path, suffixes[i]);
        if (!buf_failed(&name) && (i == 0 || access(name.data, F_OK) == 0))
            buf_addf(&files, " %s", name.data);
        buf_free(&name);
    }
    log_warn("%s holds your tokens and health data and is readable by other users; run: chmod "
             "600%s",
             path, files.data);
    buf_free(&files);
}

static struct store *open_store_at(const struct cli *cli, const struct config *cfg,
                                   bool must_exist)
{
    char *path = cli_db_path(cli, cfg);
    if (!path) {
        log_error("out of memory");
        return NULL;
    }
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = must_exist ? store_open_existing(path, &err) : store_open(path, &err);
    if (!s)
        log_error("%s", err.msg);
    else
        warn_if_shared(path);
    free(path);
    return s;
}

struct store *cli_open_store(const struct cli *cli, const struct config *cfg)
{
    return open_store_at(cli, cfg, false);
}

static int open_both(const struct cli *cli, struct config **cfg, struct store **s,
                     bool must_exist)
{
    *s = NULL;
    if (!(*cfg = cli_load_config(cli)))
        return EXIT_USAGE;
    if (!(*s = open_store_at(cli, *cfg, must_exist))) {
        config_free(*cfg);
        *cfg = NULL;
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

int cli_open_existing(const struct cli *cli, struct config **cfg, struct store **s)
{
    return open_both(cli, cfg, s, true);
}

int cli_open(const struct cli *cli, struct config **cfg, struct store **s)
{
    return open_both(cli, cfg, s, false);
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

const char *known_providers(void)
{
    static struct buf names = BUF_INIT; /* built once, kept for the process */
    if (!names.len)
        provider_names(&names, " ", PROVIDERS_ALL);
    return names.data;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct buf msg = BUF_INIT;
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    char *safe = text_escaped(msg.data); /* it may quote what was typed */
    fprintf(stderr, "error: %s", safe ? safe : "invalid arguments");
    free(safe);
    buf_free(&msg);
    if (command)
        fprintf(stderr, "\nRun 'health-sync %s --help' for usage.\n", command);
    else
        fputs("\nRun 'health-sync --help' for usage.\n", stderr);
    return EXIT_USAGE;
}

int cli_refuse_own_files(const char *command, const struct config *cfg, const char *db,
                         const char *output)
{
    static const struct {
        const char *suffix, *what;
    } companions[] = {
        {"", "the database"},
        {"-wal", "the database's write-ahead log"},
        {"-shm", "the database's shared-memory index"},
        {"-journal", "the database's journal"},
        {".lock", "the sync lock"},
    };
    int rc = 0;
    for (size_t i = 0; !rc && i < sizeof companions / sizeof *companions; i++) {
        struct buf name = BUF_INIT;
        buf_addf(&name, "%s%s", db, companions[i].suffix);
        /* The same file, or (a -wal not there yet) the same name. */
        if (!buf_failed(&name) &&
            (fspath_same_file(output, name.data) || fspath_same_name(output, name.data)))
            rc = cli_usage_error(command, "refusing to write the %s over %s (%s)", command,
                                 name.data, companions[i].what);
        buf_free(&name);
    }
    if (!rc && config_file_found(cfg) && fspath_same_file(output, config_path(cfg)))
        rc = cli_usage_error(command, "refusing to write the %s over %s (the config file)", command,
                             config_path(cfg));
    return rc;
}
