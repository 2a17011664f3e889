#include "authflow.h"

#include "log.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int authflow_authorize(struct auth_ctx *a, const char *authorize_url,
                       const struct http_header *params, struct oauth_callback *cb,
                       struct hs_error *err)
{
    const struct provider *p = a->run->provider;
    const char *redirect_uri = run_config_require(a->run, "redirect_uri", err);
    if (!redirect_uri)
        return -1;
    char *state = oauth_random_state();
    if (!state)
        return hs_error_set(err, HS_ERR_FINAL, "cannot generate a random state");
    struct buf url = BUF_INIT;
    buf_adds(&url, authorize_url);
    for (const struct http_header *h = params; h->name; h++)
        http_url_add_param(&url, h->name, h->value);
    http_url_add_param(&url, "state", state);

    printf("Open this URL in a browser to authorize %s:\n\n%s\n\n", p->title, url.data);
    printf("Waiting for the redirect to %s (or paste the redirected URL or code here)...\n",
           redirect_uri);
    fflush(stdout);
    if (a->open_browser)
        oauth_open_browser(url.data);
    struct oauth_wait w = {
        .provider_title = p->title,
        .redirect_uri = redirect_uri,
        .listen_host = a->listen_host,
        .listen_port = a->listen_port,
        .expected_state = state,
        .timeout_seconds = a->timeout_seconds > 0 ? a->timeout_seconds : 300,
        .read_stdin = a->read_stdin,
    };
    int rc = oauth_wait_for_code(&w, cb, err);
    buf_free(&url);
    free(state);
    return rc;
}

int authflow_store_reply(struct provider_run *run, const json_t *reply, bool expires_at_absolute,
                         const char *previous_refresh, bool say, struct hs_error *err)
{
    struct token t = {0};
    if (oauth_token_from_json(run->provider->name, reply, expires_at_absolute, previous_refresh,
                              time_now(), &t, err) < 0)
        return -1;
    int rc = run_save_token(run, &t, err);
    if (rc == 0) {
        run_set_access_token(run, t.access_token);
        if (say)
            log_info("Stored %s token (expires %s).", run->provider->title,
                     t.expires_at ? t.expires_at : "never");
    }
    store_token_clear(&t);
    return rc;
}

int authflow_prepare(struct provider_run *run, struct hs_error *err)
{
    const struct provider *p = run->provider;
    struct token t = {0};
    int found = run_load_token(run, &t, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return hs_error_set(err, HS_ERR_AUTH, "no %s token stored; run `health-sync auth %s`",
                            p->title, p->name);
    run_set_access_token(run, t.access_token);
    bool refresh = oauth_token_needs_refresh(&t, time_now());
    store_token_clear(&t);
    if (!refresh)
        return 0;
    if (!p->refresh)
        return hs_error_set(err, HS_ERR_AUTH, "the %s token has expired; run `health-sync auth %s`",
                            p->title, p->name);
    log_debug("%s: access token expires soon, refreshing", p->name);
    return p->refresh(run, err);
}
