/* health-sync init: sets providers up.  On a terminal it shows what is set
 * up, asks which provider to add or change, where to register and what
 * redirect URI to give, then the provider's values (secrets without echo);
 * for scripts, `--provider NAME` takes them from flags, files or standard
 * input.  Values go into the config file edited in place (config_edit.h),
 * then the provider's `auth` runs and one cheap request shows what the
 * account holds; the first sync is offered at the end. */
#include "cmd.h"

#include "config_edit.h"
#include "interrupt.h"
#include "log.h"
#include "provider.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_CONFIG "health-sync.toml"
#define MAX_VALUES 32

/* A value for the config from the command line (--client-id ID,
 * --client-secret-file PATH, --password-stdin). */
struct given {
    const struct config_key *key;
    char *value;
};

struct init_args {
    const struct provider *provider; /* --provider: no questions asked */
    struct given given[MAX_VALUES];
    size_t ngiven;
    bool sync; /* --sync: the first sync after a --provider setup */
    struct auth_ctx ctx;
};

struct session {
    struct cli *cli;
    const char *path; /* the config file */
    struct init_args *args;
    bool interactive;
    const struct provider *done[16]; /* set up in this session, for the first sync */
    size_t ndone;
};

/* ---- answers ---- */

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

/* One line from standard input (NULL at its end or on an interrupt). */
static char *read_line(void)
{
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, stdin) < 0) {
        free(line);
        return NULL;
    }
    trim(line);
    return line;
}

/* Asks and reads the answer; a secret is typed without echo (turned off
 * before the prompt shows, so no keystroke can come before it). */
static char *ask(const char *prompt, bool secret)
{
    struct termios saved, quiet;
    bool hide = secret && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (hide) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    fputs(prompt, stdout);
    fflush(stdout);
    char *line = read_line();
    if (hide)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (line && secret)
        log_add_secret(line);
    return line;
}

/* The first line of a file (a key or secret kept in a file). */
static char *file_line(const char *path, struct hs_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        hs_error_set(err, HS_ERR_CONFIG, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    if (n < 0) {
        free(line);
        hs_error_set(err, HS_ERR_CONFIG, "%s is empty", path);
        return NULL;
    }
    trim(line);
    return line;
}

/* ---- the command line ---- */

/* The provider's key a flag names: "--client-secret-file" is client_secret
 * read from a file.  *source: 'v' value, 'f' file, 's' standard input. */
static const struct config_key *flag_key(const struct provider *p, const char *flag, char *source)
{
    static const struct {
        const char *suffix;
        char source;
    } forms[] = {{"-file", 'f'}, {"-stdin", 's'}, {"", 'v'}};
    if (strncmp(flag, "--", 2))
        return NULL;
    flag += 2;
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        size_t n = strlen(flag), sn = strlen(forms[f].suffix);
        if (n <= sn || strcmp(flag + n - sn, forms[f].suffix))
            continue;
        for (const struct config_key *k = provider_config_keys(p); k->name; k++) {
            bool same = strlen(k->name) == n - sn;
            for (size_t i = 0; same && i < n - sn; i++)
                same = (k->name[i] == '_' ? '-' : k->name[i]) == flag[i];
            if (same && strcmp(k->name, "enabled")) {
                *source = forms[f].source;
                return k;
            }
        }
    }
    return NULL;
}

static int take_value(struct init_args *a, struct cli *cli, int *i, struct hs_error *err)
{
    char source;
    const struct config_key *k = flag_key(a->provider, cli->argv[*i], &source);
    if (!k)
        return hs_error_set(err, HS_ERR_CONFIG, "unknown option '%s' for %s", cli->argv[*i],
                            a->provider->name);
    if (a->ngiven == MAX_VALUES)
        return hs_error_set(err, HS_ERR_CONFIG, "too many values");
    if (source != 's' && *i + 1 >= cli->argc)
        return hs_error_set(err, HS_ERR_CONFIG, "%s needs a value", cli->argv[*i]);
    char *value = source == 'v'   ? strdup(cli->argv[++*i])
                  : source == 'f' ? file_line(cli->argv[++*i], err)
                                  : read_line();
    if (!value)
        return hs_error_set(err, HS_ERR_CONFIG, "no value for %s", k->name);
    if (k->type == CFG_SECRET)
        log_add_secret(value);
    a->given[a->ngiven++] = (struct given){k, value};
    return 0;
}

/* --provider must come first: the flags after it are its keys. */
static int parse_init_args(struct cli *cli, struct init_args *a)
{
    a->ctx.open_browser = true;
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        int rc = auth_parse_option("init", cli, &i, &a->ctx);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        struct hs_error err = HS_ERROR_INIT;
        if (!strcmp(arg, "--provider") && i + 1 < cli->argc && !a->provider) {
            if (!(a->provider = provider_find(cli->argv[++i])))
                return cli_usage_error("init", "unknown provider '%s'", cli->argv[i]);
        } else if (!strcmp(arg, "--sync")) {
            a->sync = true;
        } else if (!a->provider) {
            return cli_usage_error("init", "unexpected argument '%s'", arg);
        } else if (take_value(a, cli, &i, &err) < 0) {
            return cli_usage_error("init", "%s", err.msg);
        }
    }
    return 0;
}

static void free_args(struct init_args *a)
{
    for (size_t i = 0; i < a->ngiven; i++)
        free(a->given[i].value);
}

/* ---- one provider ---- */

/* The value as TOML: booleans and integers bare, everything else quoted. */
static void toml_value(const struct config_key *k, const char *value, struct buf *out)
{
    if (k->type == CFG_BOOL || k->type == CFG_INT)
        buf_adds(out, value);
    else
        config_edit_quote(out, value);
}

static void show_where_to_register(const struct config *cfg, const struct provider *p)
{
    printf("\n== %s ==\n", p->title);
    if (p->setup_url)
        printf("%s at: %s\n",
               p->auth == AUTH_API_KEY ? "Create an API key" : "Register an application",
               p->setup_url);
    if (p->auth == AUTH_OAUTH2)
        printf("Redirect URI to register (exactly): %s\n",
               config_str(cfg, p->name, "redirect_uri"));
}

/* Asks for one setup key; Enter keeps a value already set.  NULL when the
 * answer keeps it (or input ended). */
static char *ask_key(const struct config *cfg, const struct provider *p, const struct config_key *k,
                     bool *ended)
{
    const char *current = config_str(cfg, p->name, k->name);
    struct buf prompt = BUF_INIT;
    buf_addf(&prompt, "%s (%s)", k->help, k->name);
    if (current && k->type == CFG_SECRET)
        buf_adds(&prompt, " [set; Enter keeps it]");
    else if (current)
        buf_addf(&prompt, " [%s; Enter keeps it]", current);
    buf_adds(&prompt, ": ");
    char *answer = NULL;
    for (;;) {
        free(answer);
        answer = ask(prompt.data, k->type == CFG_SECRET);
        if (!answer || *answer || current)
            break;
        printf("%s is needed.\n", k->name);
    }
    buf_free(&prompt);
    *ended = !answer;
    if (answer && !*answer) {
        free(answer);
        return NULL;
    }
    return answer;
}

/* The values typed for p's setup keys into out (values owned); -1 when
 * the input ended. */
static int ask_values(const struct config *cfg, const struct provider *p, struct given *out,
                      size_t *nv)
{
    for (const struct config_key *k = provider_config_keys(p); k->name; k++) {
        if (!provider_key_is_setup(k) || *nv == MAX_VALUES)
            continue;
        bool ended = false;
        char *v = ask_key(cfg, p, k, &ended);
        if (ended)
            return -1;
        if (v)
            out[(*nv)++] = (struct given){k, v};
    }
    return 0;
}

/* The values given on the command line into out (copies); -1, said, when
 * a setup key has a value neither there nor in the config. */
static int given_values(const struct session *ss, const struct config *cfg,
                        const struct provider *p, struct given *out, size_t *nv)
{
    for (size_t i = 0; i < ss->args->ngiven; i++)
        out[(*nv)++] = (struct given){ss->args->given[i].key, strdup(ss->args->given[i].value)};
    int rc = 0;
    for (const struct config_key *k = provider_config_keys(p); k->name; k++) {
        bool given = false;
        for (size_t i = 0; i < *nv; i++)
            given |= out[i].key == k;
        if (!provider_key_is_setup(k) || given || config_str(cfg, p->name, k->name))
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "--%s", k->name);
        for (char *c = flag; *c; c++)
            *c = *c == '_' ? '-' : *c;
        log_error("%s needs %s (or %s-file PATH, %s-stdin)", p->name, flag, flag, flag);
        rc = -1;
    }
    return rc;
}

/* The changes for p: its values (asked, or given on the command line) as
 * TOML in texts, and enabled = true.  -1 when a needed value is missing. */
static int collect_changes(struct session *ss, const struct config *cfg, const struct provider *p,
                           struct config_change *changes, struct buf *texts, size_t *n)
{
    struct given values[MAX_VALUES];
    size_t nv = 0;
    int rc =
        ss->interactive ? ask_values(cfg, p, values, &nv) : given_values(ss, cfg, p, values, &nv);
    *n = 0;
    for (size_t i = 0; i < nv; i++) {
        if (rc == 0) {
            toml_value(values[i].key, values[i].value, &texts[*n]);
            changes[*n] = (struct config_change){p->name, values[i].key->name, texts[*n].data};
            ++*n;
        }
        free(values[i].value);
    }
    changes[(*n)++] = (struct config_change){p->name, "enabled", "true"};
    return rc;
}

/* Writes p's values and enables it; the config is reloaded into *cfg.
 * *changed tells whether the file changed. */
static int save_provider(struct session *ss, struct config **cfg, const struct provider *p,
                         bool *changed)
{
    struct config_change changes[MAX_VALUES + 1];
    struct buf texts[MAX_VALUES];
    for (size_t i = 0; i < MAX_VALUES; i++)
        buf_init(&texts[i]);
    size_t n = 0;
    int rc = collect_changes(ss, *cfg, p, changes, texts, &n);
    struct hs_error err = HS_ERROR_INIT;
    *changed = false;
    if (rc == 0 && config_edit_file(ss->path, changes, n, changed, &err) < 0) {
        log_error("%s", err.msg);
        rc = -1;
    }
    for (size_t i = 0; i < MAX_VALUES; i++)
        buf_free(&texts[i]);
    if (rc < 0)
        return -1;
    printf(*changed ? "Saved [%s] in %s.\n" : "[%s] in %s unchanged.\n", p->name, ss->path);
    config_free(*cfg);
    *cfg = cli_load_config(ss->cli);
    return *cfg ? 0 : -1;
}

static bool ask_yes(const char *prompt, bool default_yes)
{
    char *answer = ask(prompt, false);
    bool yes = answer && (*answer ? *answer == 'y' || *answer == 'Y' : default_yes);
    free(answer);
    return yes;
}

/* An OAuth2 provider already signed in whose values did not change need
 * not go through the browser again, if the person says so. */
static bool keep_sign_in(struct session *ss, struct store *s, const struct provider *p,
                         bool changed)
{
    if (!ss->interactive || changed || p->auth != AUTH_OAUTH2)
        return false;
    struct token t = {0};
    struct hs_error err = HS_ERROR_INIT;
    int found = store_get_token(s, p->name, &t, &err);
    store_token_clear(&t);
    if (found != 1)
        return false;
    struct buf prompt = BUF_INIT;
    buf_addf(&prompt, "%s is signed in. Sign in again? [y/N] ", p->title);
    bool again = ask_yes(prompt.data, false);
    buf_free(&prompt);
    return !again;
}

static int setup_provider(struct session *ss, struct config **cfg, const struct provider *p)
{
    show_where_to_register(*cfg, p);
    bool changed = false;
    if (save_provider(ss, cfg, p, &changed) < 0)
        return EXIT_USAGE;
    struct store *s = cli_open_store(ss->cli, *cfg);
    if (!s)
        return EXIT_FAILED;
    /* A code pasted on a terminal; piped answers are all ours. */
    ss->args->ctx.read_stdin = ss->interactive && isatty(STDIN_FILENO);
    int rc = keep_sign_in(ss, s, p, changed) ? auth_check(*cfg, s, p)
                                             : auth_provider(*cfg, s, p, &ss->args->ctx, true);
    store_close(s);
    if (rc == EXIT_OK && ss->ndone < sizeof ss->done / sizeof *ss->done)
        ss->done[ss->ndone++] = p;
    return rc;
}

/* ---- the session ---- */

static void show_overview(const struct config *cfg, struct store *s)
{
    printf("Providers in %s:\n", config_path(cfg));
    size_t i = 0;
    for (const struct provider *const *p = providers; *p; p++, i++) {
        struct buf auth = BUF_INIT;
        providers_auth_state(cfg, s, *p, &auth);
        printf("  %zu) %-11s %-8s %s\n", i + 1, (*p)->name,
               config_bool(cfg, (*p)->name, "enabled") ? "enabled" : "off", auth.data);
        buf_free(&auth);
    }
}

/* The provider an answer names, by name or number. */
static const struct provider *chosen(const char *answer)
{
    char *end;
    long n = strtol(answer, &end, 10);
    if (*answer && !*end) {
        for (long i = 0; providers[i]; i++)
            if (i + 1 == n)
                return providers[i];
        return NULL;
    }
    return provider_find(answer);
}

static const struct provider *ask_provider(struct session *ss, struct config *cfg, bool *ended)
{
    struct store *s = cli_open_store(ss->cli, cfg);
    if (!s) {
        *ended = true;
        return NULL;
    }
    show_overview(cfg, s);
    store_close(s);
    for (;;) {
        char *answer = ask("Set up which provider? (number or name; Enter when done): ", false);
        if (!answer || !*answer) {
            *ended = true;
            free(answer);
            return NULL;
        }
        const struct provider *p = chosen(answer);
        if (!p)
            printf("No provider '%s'.\n", answer);
        free(answer);
        if (p)
            return p;
    }
}

/* The first sync of what this session set up. */
static int first_sync(struct session *ss)
{
    struct buf names = BUF_INIT;
    for (size_t i = 0; i < ss->ndone; i++)
        buf_addf(&names, "%s%s", i ? "," : "", ss->done[i]->name);
    char *argv[] = {"sync", "--providers", names.data, NULL};
    struct cli sync_cli = *ss->cli;
    sync_cli.argc = 3;
    sync_cli.argv = argv;
    int rc = cmd_sync(&sync_cli);
    buf_free(&names);
    return rc;
}

static bool offer_first_sync(struct session *ss)
{
    struct buf prompt = BUF_INIT;
    buf_adds(&prompt, "\nRun the first sync now (");
    for (size_t i = 0; i < ss->ndone; i++)
        buf_addf(&prompt, "%s%s", i ? ", " : "", ss->done[i]->title);
    buf_adds(&prompt, ")? [Y/n] ");
    bool yes = ask_yes(prompt.data, true);
    buf_free(&prompt);
    return yes;
}

static int run_interactive(struct session *ss, struct config **cfg)
{
    int rc = EXIT_OK;
    for (;;) {
        bool ended = false;
        const struct provider *p = ask_provider(ss, *cfg, &ended);
        if (ended || hs_interrupted)
            break;
        int one = setup_provider(ss, cfg, p);
        if (!*cfg)
            return EXIT_USAGE;
        if (one != EXIT_OK) {
            rc = one;
            printf("%s is not set up yet; choose it again to retry.\n", p->title);
        }
        printf("\n");
    }
    if (ss->ndone && !hs_interrupted && offer_first_sync(ss))
        return first_sync(ss);
    if (!ss->ndone)
        printf("Nothing set up. `health-sync init` again any time.\n");
    return rc;
}

/* A config file to edit: an absent one starts with a line saying what it is. */
static int ensure_config_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    static const char header[] = "# health-sync configuration (written by `health-sync init`; "
                                 "edit freely, see health-sync.example.toml)\n";
    ssize_t w = write(fd, header, sizeof header - 1);
    close(fd);
    return w == (ssize_t)(sizeof header - 1) ? 0 : -1;
}

int cmd_init(struct cli *cli)
{
    struct init_args a = {0};
    int rc = parse_init_args(cli, &a);
    const char *path = cli->config_path ? cli->config_path : DEFAULT_CONFIG;
    struct session ss = {cli, path, &a, !a.provider, {0}, 0};
    if (rc == 0 && ensure_config_file(path) < 0) {
        log_error("cannot create %s: %s", path, strerror(errno));
        rc = EXIT_FAILED;
    }
    struct config *cfg = rc == 0 ? cli_load_config(cli) : NULL;
    if (rc == 0 && !cfg)
        rc = EXIT_USAGE;
    if (rc == 0 && ss.interactive) {
        rc = run_interactive(&ss, &cfg);
    } else if (rc == 0) {
        rc = setup_provider(&ss, &cfg, a.provider);
        if (rc == EXIT_OK && a.sync)
            rc = first_sync(&ss);
    }
    config_free(cfg);
    free_args(&a);
    return rc;
}
