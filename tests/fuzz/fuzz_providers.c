/* libFuzzer target: every provider's page handling.  The fuzz input is the
 * body of the first replies every provider gets (HTTP 200), then 404s end
 * the listings; each provider syncs every resource into a fresh database.
 * Whatever the bytes, nothing may crash, leak or loop. */
#include "http.h"
#include "log.h"
#include "provider.h"
#include "sync.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPLIES_PER_INPUT 6

static const uint8_t *input;
static size_t input_len;
static int replies;

static void fuzz_transport(const struct http_request *req, struct http_response *resp)
{
    (void)req;
    if (__atomic_fetch_add(&replies, 1, __ATOMIC_RELAXED) < REPLIES_PER_INPUT) {
        resp->status = 200;
        buf_add(&resp->body, input, input_len);
    } else {
        resp->status = 404;
        buf_adds(&resp->body, "{\"detail\":\"Not Found\"}");
    }
}

static const char config_text[] =
    "[app]\nmax_concurrency = 1\n"
    "[oura]\nenabled = true\naccess_token = \"fuzz-oura-pat\"\nstart_date = \"2024-01-01\"\n"
    "[withings]\nenabled = true\nsleep_detail = true\n"
    "[hevy]\nenabled = true\napi_key = \"fuzz-key\"\n"
    "[strava]\nenabled = true\naccess_token = \"fuzz-strava\"\nstart_date = \"2024-01-01\"\n"
    "[eightsleep]\nenabled = true\naccess_token = \"fuzz-8s\"\nstart_date = \"2024-01-01\"\n";

static char dir[] = "/tmp/hs-fuzz-XXXXXX";
static struct config *cfg;

static struct config *load_config(void)
{
    char path[64];
    snprintf(path, sizeof path, "%s/c.toml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(config_text, f);
    fclose(f);
    size_t n = 0;
    while (providers[n])
        n++;
    struct config_section *sections = calloc(n + 2, sizeof *sections);
    sections[0] = (struct config_section){"app", config_app_keys};
    for (size_t i = 0; i < n; i++)
        sections[i + 1] = (struct config_section){providers[i]->name, provider_config_keys(providers[i])};
    struct hs_error err = HS_ERROR_INIT;
    struct config *c = config_load(path, true, sections, &err);
    free(sections);
    if (!c)
        abort();
    return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!mkdtemp(dir))
        abort();
    setenv("HEALTH_SYNC_SLEEP_SCALE", "0", 1);
    setenv("HEALTH_SYNC_NOW", "2024-03-01T12:00:00Z", 1);
    log_init(LOG_QUIET);
    http_global_init();
    http_set_test_transport(fuzz_transport);
    cfg = load_config();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char db[64];
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    unlink(db);
    struct hs_error err = HS_ERROR_INIT;
    struct store *s = store_open(db, &err);
    if (!s)
        abort();
    /* Withings has no static token: a stored one that does not expire. */
    struct token t = {.provider = "withings", .access_token = "fuzz-withings",
                      .token_type = "Bearer", .obtained_at = "2024-01-01T00:00:00Z"};
    store_put_token(s, &t, &err);
    input = data;
    input_len = size;
    struct sync_options opt = {.full = size % 2 == 0};
    struct sync_runner *r = sync_runner_new(s, cfg, &opt);
    for (const struct provider *const *p = providers; *p; p++) {
        replies = 0;
        struct provider_result result;
        sync_provider(r, *p, &result);
    }
    sync_runner_free(r);
    store_close(s);
    return 0;
}
