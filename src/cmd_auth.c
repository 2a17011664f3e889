/* health-sync auth PROVIDER: obtain and store credentials (OAuth2), or check
 * a key or password. */
#include "cmd.h"

#include "config_edit.h"
#include "log.h"
#include "provider.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct auth_args {
    const struct provider *provider;
    struct auth_ctx ctx;
};

static int parse_port(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

int auth_parse_option(const char *command, struct cli *cli, int *i, struct auth_ctx *ctx)
{
    const char *arg = cli->argv[*i];
    bool has_value = *i + 1 < cli->argc;
    if (!strcmp(arg, "--listen-host") && has_value) {
        ctx->listen_host = cli->argv[++*i];
    } else if (!strcmp(arg, "--listen-port") && has_value) {
        if (parse_port(cli->argv[++*i], &ctx->listen_port) < 0)
            return cli_usage_error(command, "--listen-port needs a port number (0-65535)");
    } else if (!strcmp(arg, "--timeout") && has_value) {
        if (parse_port(cli->argv[++*i], &ctx->timeout_seconds) < 0 || ctx->timeout_seconds == 0)
            return cli_usage_error(command, "--timeout needs seconds (1-65535)");
    } else if (!strcmp(arg, "--no-browser")) {
        ctx->open_browser = false;
    } else {
        return -1;
    }
    return 0;
}

static int parse_auth_args(struct cli *cli, struct auth_args *a)
{
    a->ctx.open_browser = true;
    a->ctx.read_stdin = true;
    for (int i = 1; i < cli->argc; i++) {
        const char *arg = cli->argv[i];
        int rc = auth_parse_option("auth", cli, &i, &a->ctx);
        if (rc >= 0) {
            if (rc > 0)
                return rc;
        } else if (arg[0] == '-') {
            return cli_usage_error("auth", "unknown or incomplete option '%s'", arg);
        } else if (!a->provider) {
            a->provider = provider_find(arg);
            if (!a->provider)
                return cli_usage_error("auth", "unknown provider '%s'", arg);
        } else {
            return cli_usage_error("auth", "unexpected argument '%s'", arg);
        }
    }
    if (!a->provider)
        return cli_usage_error("auth", "which provider? (%s)", known_providers());
    return 0;
}

/* An authorized provider is one the user means to sync: turn it on in the
 * config file (edited in place) unless it already is. */
static void enable_provider(const struct config *cfg, const struct provider *p)
{
    if (config_bool(cfg, p->name, "enabled"))
        return;
    struct config_change c = {p->name, "enabled", "true"};
    struct hs_error err = HS_ERROR_INIT;
    bool changed = false;
    if (config_edit_file(config_path(cfg), &c, 1, &changed, &err) < 0)
        log_warn("could not enable %s: %s; set [%s].enabled = true yourself", p->name, err.msg,
                 p->name);
    else if (changed)
        log_info("Enabled %s in %s ([%s].enabled = true).", p->title, config_path(cfg), p->name);
}

/* p->probe's finding.  Without one, an OAuth2 provider says its sign-in
 * worked; a key or password was checked by a request already, and auth
 * said what it found. */
static int probe(struct provider_run *run, const struct provider *p)
{
    struct hs_error err = HS_ERROR_INIT;
    struct buf found = BUF_INIT;
    int rc = 0;
    if (!p->probe && p->auth == AUTH_OAUTH2)
        log_info("%s: signed in; the first sync fetches your data.", p->title);
    else if (!p->probe)
        ;
    else if (p->prepare(run, &err) < 0 || p->probe(run, &found, &err) < 0) {
        log_warn("%s: signed in, but the first request failed: %s", p->title, err.msg);
        rc = -1;
    } else
        log_info("%s: %s.", p->title, found.data);
    buf_free(&found);
    return rc;
}

int auth_check(const struct config *cfg, struct store *s, const struct provider *p)
{
    struct sync_runner *runner = sync_runner_new(s, cfg, NULL);
    struct provider_run *run = runner ? sync_provider_run_new(runner, p) : NULL;
    int rc = run && probe(run, p) == 0 ? EXIT_OK : EXIT_FAILED;
    sync_provider_run_free(run);
    sync_runner_free(runner);
    return rc;
}

int auth_provider(const struct config *cfg, struct store *s, const struct provider *p,
                  struct auth_ctx *ctx, bool then_probe)
{
    if (!p->authenticate) {
        log_error("%s: `auth` is not available for this provider yet", p->name);
        return EXIT_USAGE;
    }
    struct sync_runner *runner = sync_runner_new(s, cfg, NULL);
    struct provider_run *run = runner ? sync_provider_run_new(runner, p) : NULL;
    struct hs_error err = HS_ERROR_INIT;
    int rc = EXIT_FAILED;
    if (run) {
        ctx->run = run;
        if (p->authenticate(ctx, &err) == 0) {
            rc = EXIT_OK;
            enable_provider(cfg, p);
            if (then_probe)
                probe(run, p);
        } else
            log_error("%s auth failed: %s", p->name, err.msg);
        if (err.kind == HS_ERR_CONFIG)
            rc = EXIT_USAGE;
    }
    sync_provider_run_free(run);
    sync_runner_free(runner);
    return rc;
}

int cmd_auth(struct cli *cli)
{
    struct auth_args a = {0};
    int rc = parse_auth_args(cli, &a);
    if (rc)
        return rc;
    struct config *cfg;
    struct store *s;
    if ((rc = cli_open(cli, &cfg, &s)) != EXIT_OK)
        return rc;
    rc = auth_provider(cfg, s, a.provider, &a.ctx, false);
    cli_close(cfg, s);
    return rc;
}
