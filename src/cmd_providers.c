/* health-sync providers: every provider with whether it is enabled, the
 * state of its credentials (token and its expiry, keys present or missing)
 * and its resources, marking those [<provider>].resources leaves out. */
#include "cmd.h"

#include "buf.h"
#include "log.h"
#include "provider.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

/* "client_id, client_secret": the setup keys the config lacks (or has). */
static void setup_keys(const struct config *cfg, const struct provider *p, bool set,
                       struct buf *out)
{
    for (const struct config_key *k = provider_config_keys(p); k->name; k++)
        if (provider_key_is_setup(k) && config_is_set(cfg, p->name, k->name) == set)
            buf_addf(out, "%s%s", out->len ? ", " : "", k->name);
}

/* The stored token in a few words: when it expires and whether it renews. */
static void token_state(struct store *s, const struct provider *p, struct buf *out)
{
    struct token t = {0};
    struct hs_error err = HS_ERROR_INIT;
    int found = store_get_token(s, p->name, &t, &err);
    if (found < 0)
        buf_addf(out, "token unreadable (%s)", err.msg);
    else if (found == 0 && p->auth == AUTH_PASSWORD)
        buf_adds(out, "credentials set; signs in at the next sync");
    else if (found == 0)
        buf_addf(out, "no token: run `health-sync auth %s`", p->name);
    else if (!t.expires_at)
        buf_adds(out, "token stored (no expiry)");
    else {
        time_t when = 0;
        bool expired = time_parse(t.expires_at, &when) < 0 || when <= time_now();
        buf_addf(out, "token %s %s", expired ? "expired" : "expires", t.expires_at);
        if (t.refresh_token)
            buf_adds(out, expired ? " (renewed at the next sync)" : " (renewed when due)");
        else if (p->auth == AUTH_PASSWORD)
            buf_adds(out, " (signs in again when due)");
        else if (expired)
            buf_addf(out, ": run `health-sync auth %s`", p->name);
    }
    store_token_clear(&t);
}

static bool has_key(const struct provider *p, const char *name)
{
    for (const struct config_key *k = provider_config_keys(p); k->name; k++)
        if (!strcmp(k->name, name))
            return true;
    return false;
}

void providers_auth_state(const struct config *cfg, struct store *s, const struct provider *p,
                          struct buf *out)
{
    struct buf missing = BUF_INIT;
    setup_keys(cfg, p, false, &missing);
    if (has_key(p, "access_token") && config_is_set(cfg, p->name, "access_token"))
        buf_adds(out, "static access_token in the config (used as is)");
    else if (missing.len)
        buf_addf(out, "missing %s in the config", missing.data);
    else if (p->auth == AUTH_API_KEY)
        buf_adds(out, "key set in the config");
    else
        token_state(s, p, out);
    buf_free(&missing);
}

static void print_provider(const struct config *cfg, struct store *s, const struct provider *p)
{
    struct buf auth = BUF_INIT, on = BUF_INIT, off = BUF_INIT;
    providers_auth_state(cfg, s, p, &auth);
    for (const struct resource *r = p->resources; r->name; r++) {
        struct buf *b = provider_resource_on(cfg, p, r->name) ? &on : &off;
        buf_addf(b, "%s%s", b->len ? " " : "", r->name);
    }
    printf("%s (%s): %s\n", p->name, p->title,
           config_bool(cfg, p->name, "enabled") ? "enabled" : "disabled");
    printf("  auth:      %s\n", auth.data);
    printf("  resources: %s%s\n", on.data, off.len ? "" : " (all selected)");
    if (off.len)
        printf("  left out:  %s (not in [%s].resources)\n", off.data, p->name);
    buf_free(&auth);
    buf_free(&on);
    buf_free(&off);
}

int cmd_providers(struct cli *cli)
{
    if (cli->argc > 1)
        return cli_usage_error("providers", "unexpected argument '%s'", cli->argv[1]);
    struct config *cfg;
    struct store *s;
    int rc = cli_open(cli, &cfg, &s);
    if (rc != EXIT_OK)
        return rc;
    size_t n = 0;
    while (providers[n])
        n++;
    cli_import_npm_tokens(cfg, s, providers, n);
    for (size_t i = 0; i < n; i++)
        print_provider(cfg, s, providers[i]);
    cli_close(cfg, s);
    return EXIT_OK;
}
