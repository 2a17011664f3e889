/* health-sync: entry point.  Global options, the command table, exit codes. */
#include "cmd.h"
#include "http.h"
#include "interrupt.h"
#include "json.h"
#include "log.h"
#include "provider.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const struct command commands[] = {
    {"init", cmd_init, "set providers up: where to register, keys, sign-in, first sync",
     "usage: health-sync [GLOBAL OPTIONS] init\n"
     "       health-sync [GLOBAL OPTIONS] init --provider NAME [--KEY VALUE | --KEY-file PATH |\n"
     "                                    --KEY-stdin]... [--sync] [auth options]\n"
     "\n"
     "On a terminal: shows each provider's state, asks which one to add or change,\n"
     "shows where to register an application (and the exact redirect URI), asks for\n"
     "its client id and secret, API key or e-mail and password (secrets are not\n"
     "echoed), writes them into the config file in place (0600; comments and order\n"
     "kept), runs its `auth`, makes one request to show what the account holds,\n"
     "and offers the first sync.\n"
     "\n"
     "For scripts, --provider NAME takes the provider's config keys as options, with\n"
     "dashes for underscores: --client-id ID, --client-secret-file PATH (first line\n"
     "of the file), --password-stdin (one line of standard input); a secret given as\n"
     "--KEY VALUE is visible to other users in the process list.\n"
     "\n"
     "  --sync              with --provider: run the first sync afterwards\n"
     "  --listen-host H, --listen-port P, --no-browser, --timeout SECONDS\n"
     "                      as for `auth`\n"},
    {"init-db", cmd_init_db, "create or upgrade the database",
     "usage: health-sync [GLOBAL OPTIONS] init-db\n"
     "\n"
     "Creates the database (mode 0600) or applies the schema to an existing one.\n"
     "Safe to run any number of times; existing rows are kept.\n"},
    {"auth", cmd_auth, "authorize a provider (OAuth2, or check a key/password)",
     "usage: health-sync [GLOBAL OPTIONS] auth PROVIDER [--listen-host H] [--listen-port P]\n"
     "                   [--no-browser] [--timeout SECONDS]\n"
     "\n"
     "@OAUTH2@:\n"
     "  prints the authorize URL, opens a browser when one is available, and waits\n"
     "  for the redirect on the redirect_uri's port (or for the callback URL, its\n"
     "  query string or the bare code pasted on standard input).\n"
     "@NOT_OAUTH2@:\n"
     "  checks the configured credentials with one cheap request.\n"
     "\n"
     "  --listen-host H     address for the callback listener (default 127.0.0.1)\n"
     "  --listen-port P     port for the callback listener (default: redirect_uri's)\n"
     "  --no-browser        do not try to open a browser\n"
     "  --timeout SECONDS   how long to wait for the authorization (default 300)\n"},
    {"sync", cmd_sync, "fetch new and changed data from the enabled providers",
     "usage: health-sync [GLOBAL OPTIONS] sync [--providers P ...] [--full]\n"
     "                                       [--lock-timeout SECONDS]\n"
     "\n"
     "The first sync backfills history; later ones fetch what changed since the\n"
     "watermarks (plus a small overlap) and delete what was deleted upstream.\n"
     "\n"
     "  --providers P ...   only these providers (space or comma separated):\n"
     "                      @PROVIDERS@\n"
     "  --full              re-list each resource's whole history and reconcile\n"
     "                      edits and deletions anywhere\n"
     "  --lock-timeout S    wait up to S seconds for another sync of the same\n"
     "                      database to finish (default 0: fail at once)\n"},
    {"status", cmd_status, "show watermarks, record counts and the last runs",
     "usage: health-sync [GLOBAL OPTIONS] status [--json] [--runs N]\n"
     "\n"
     "Prints per provider the last successful sync and its age (STALE when older\n"
     "than [app].stale_after_hours), then per resource the record count, the\n"
     "watermark and the last run.\n"
     "\n"
     "  --json              the same as one JSON document, for scripts and monitoring\n"
     "  --runs N            also the last N runs of each resource: start, duration,\n"
     "                      result, counts, watermark before and after, first error line\n"},
    {"export", cmd_export, "write a view or a provider's resource as CSV or JSON Lines",
     "usage: health-sync [GLOBAL OPTIONS] export VIEW|PROVIDER/RESOURCE [--format csv|jsonl]\n"
     "                                         [--since DATE] [--until DATE] [--output FILE]\n"
     "\n"
     "Streams rows ordered by start time: a typed view (see the README) or the raw\n"
     "records of one resource, e.g. hevy/workouts.\n"
     "\n"
     "  --format F          csv (default; RFC 4180 quoting) or jsonl (one object per line)\n"
     "  --since DATE        rows starting on or after DATE (YYYY-MM-DD)\n"
     "  --until DATE        rows starting on or before DATE\n"
     "  --output FILE       write to FILE instead of standard output\n"},
    {"providers", cmd_providers, "list the providers: enabled, credentials, resources",
     "usage: health-sync [GLOBAL OPTIONS] providers\n"
     "\n"
     "Prints every provider: whether it is enabled, the state of its credentials\n"
     "(the stored token and when it expires, or which keys the config lacks) and\n"
     "its resources, naming those [<provider>].resources leaves out.\n"},
    {"import", cmd_import, "import an Apple Health export (export.zip or export.xml)",
     "usage: health-sync [GLOBAL OPTIONS] import apple-health PATH [--prune] [--batch N]\n"
     "\n"
     "Reads the export the Health app writes (profile, Export All Health Data) as\n"
     "a stream, zip or unpacked export.xml, into provider apple_health: one\n"
     "resource per type (step_count, heart_rate, sleep_analysis, blood_pressure,\n"
     "workouts, activity_summaries, ...), times in UTC.  Exact duplicates are one\n"
     "row; importing the same or a later export again adds only what is new.\n"
     "Commits in batches: an interrupted import keeps them and a re-run completes it.\n"
     "\n"
     "  --prune             also delete apple_health records the export no longer\n"
     "                      holds, between its first and last start time\n"
     "  --batch N           records per transaction (default 8192)\n"},
    {"report", cmd_report, "write an offline HTML report with charts of your data",
     "usage: health-sync [GLOBAL OPTIONS] report [--since DATE] [--until DATE] [--output FILE]\n"
     "\n"
     "Writes one self-contained HTML page (inline SVG charts, no script, nothing\n"
     "fetched when opened): sleep, sleep by source, recovery, heart rate, activity,\n"
     "body, training and freshness, each with a table of its numbers.\n"
     "\n"
     "  --since DATE        first day (YYYY-MM-DD; default: 364 days before --until)\n"
     "  --until DATE        last day (default: today)\n"
     "  --output FILE       where to write it (default health-report.html, mode 0600;\n"
     "                      - for standard output)\n"},
    {"metadata", cmd_metadata, "print a Datasette metadata document for the database",
     "usage: health-sync [GLOBAL OPTIONS] metadata\n"
     "\n"
     "Prints JSON for `datasette health.sqlite -m metadata.json`: a title and a\n"
     "description for every view and table, every column's meaning and unit, and\n"
     "the README's example queries as canned queries.\n"},
    {NULL, NULL, NULL, NULL},
};

/* Writes text with the provider lists filled in from the provider table:
 * @PROVIDERS@ every name, @OAUTH2@ / @NOT_OAUTH2@ by how they sign in,
 * @TITLES@ "Oura, ... and WHOOP". */
static void put_text(const char *text, FILE *f)
{
    static const struct {
        const char *mark;
        int kinds;
        const char *sep; /* NULL: the titles */
    } marks[] = {
        {"@PROVIDERS@", PROVIDERS_ALL, " "},
        {"@OAUTH2@", 1 << AUTH_OAUTH2, ", "},
        {"@NOT_OAUTH2@", PROVIDERS_ALL & ~(1 << AUTH_OAUTH2), ", "},
        {"@TITLES@", 0, NULL},
    };
    while (*text) {
        size_t i = 0, n = sizeof marks / sizeof *marks;
        while (i < n && strncmp(text, marks[i].mark, strlen(marks[i].mark)))
            i++;
        if (i == n) {
            fputc(*text++, f);
            continue;
        }
        struct buf list = BUF_INIT;
        if (marks[i].sep)
            provider_names(&list, marks[i].sep, marks[i].kinds);
        else
            provider_titles(&list);
        fputs(list.data, f);
        buf_free(&list);
        text += strlen(marks[i].mark);
    }
}

static void print_usage(FILE *f)
{
    put_text("usage: health-sync [--config FILE] [--db FILE] [-v|-q] COMMAND [OPTIONS]\n"
             "\n"
             "Keeps your health data from @TITLES@\n"
             "in a SQLite file you control.\n"
             "\n"
             "Commands:\n",
             f);
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-9s %s\n", c->name, c->summary);
    fputs("\n"
          "Global options (accepted before or after the command):\n"
          "  --config FILE   config file (default ./health-sync.toml)\n"
          "  --db FILE       database (default [app].db, else ./health.sqlite)\n"
          "  -v, --verbose   log every HTTP request (secrets redacted)\n"
          "  -q, --quiet     only warnings and errors\n"
          "  -h, --help      this help; `health-sync COMMAND --help` for a command\n"
          "  --version       print the version\n"
          "\n"
          "Exit status: 0 ok, 1 a provider failed, 2 usage or config error, 130 interrupted.\n",
          f);
}

static const struct command *find_command(const char *name)
{
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Takes "--opt VALUE" or "--opt=VALUE" at argv[*i]; returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *opt, bool *bad)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

struct parsed {
    struct cli cli;
    const struct command *command;
    int verbosity;
    bool help, version, list_config_keys;
};

/* Global options may stand before or after the command; a later value wins. */
static int parse_args(int argc, char **argv, struct parsed *p, char **rest)
{
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        const char *v;
        if ((v = option_value(argc, argv, &i, "--config", &bad)) && !*v)
            return cli_usage_error(NULL, "--config needs a file name");
        else if (v)
            p->cli.config_path = v;
        else if ((v = option_value(argc, argv, &i, "--db", &bad)) && !*v)
            return cli_usage_error(NULL, "--db needs a file name");
        else if (v)
            p->cli.db_path = v;
        else if (bad)
            return cli_usage_error(NULL, "%s needs a value", argv[i]);
        else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
            p->verbosity = LOG_VERBOSE;
        else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            p->verbosity = LOG_QUIET;
        else if (!strcmp(argv[i], "--version") && !p->command)
            p->version = true;
        else if (!strcmp(argv[i], "--list-config-keys") && !p->command)
            p->list_config_keys = true; /* hidden: for tests and tooling */
        else if ((!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) && !p->command)
            p->help = true;
        else if (!p->command && argv[i][0] == '-')
            return cli_usage_error(NULL, "unknown option %s", argv[i]);
        else if (!p->command) {
            p->command = find_command(argv[i]);
            if (!p->command)
                return cli_usage_error(NULL, "unknown command '%s'", argv[i]);
            rest[nrest++] = argv[i];
        } else
            rest[nrest++] = argv[i];
    }
    rest[nrest] = NULL;
    p->cli.argc = nrest;
    p->cli.argv = rest;
    return 0;
}

int main(int argc, char **argv)
{
    /* Fetching threads come and go; an arena each (or even two in all)
     * would keep their freed pages and multiply the peak memory.  The JSON
     * of pages is parsed into arenas of our own, so one malloc arena no
     * longer means contention. */
    mallopt(M_ARENA_MAX, 1);
    /* Page bodies and queues are large and short-lived: map them on their
     * own, so that freeing one returns it (the dynamic threshold would move
     * them into the arenas, where they fragment and the peak only grows). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    /* Everything we create (database, its -wal and -shm, lock, temporary
     * files, exports) holds health data or tokens: private whatever the
     * umask; the places that create files also ask for 0600 themselves. */
    umask(077);
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return EXIT_FAILED;
    struct parsed p = {.verbosity = LOG_NORMAL};
    int rc = parse_args(argc, argv, &p, rest);
    if (rc == 0 && p.version) {
        printf("health-sync %s\n", HS_VERSION);
    } else if (rc == 0 && p.list_config_keys) {
        rc = cli_list_config_keys(stdout) < 0 ? EXIT_FAILED : EXIT_OK;
    } else if (rc == 0 && (p.help || !p.command)) {
        print_usage(p.help ? stdout : stderr);
        rc = p.help ? EXIT_OK : EXIT_USAGE;
    } else if (rc == 0) {
        log_init((enum log_level)p.verbosity);
        json_init(); /* before any thread: jansson's allocator is process-wide */
        interrupt_install_handlers();
        if (http_global_init() < 0) {
            log_error("cannot initialise libcurl");
            rc = EXIT_FAILED;
        } else {
            rc = cli_wants_help(&p.cli) ? (put_text(p.command->usage, stdout), EXIT_OK)
                                        : p.command->run(&p.cli);
            http_global_cleanup();
        }
        if (hs_interrupted) {
            /* One line, -q or not: every commit made is kept and the
             * watermarks say where the next sync starts. */
            log_progress_done();
            fputs(!strcmp(p.command->name, "sync") ? "interrupted: progress kept, the next sync "
                                                     "resumes\n"
                                                   : "interrupted\n",
                  stderr);
            rc = EXIT_INTERRUPTED;
        }
    }
    log_clear_secrets();
    free(rest);
    return rc;
}
