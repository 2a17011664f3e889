/* Hevy's workout events, end to end in one process (the HTTP transport
 * replaced, a real database): an event's record id is built whole whatever
 * the length of the workout id it names (it was cut at 511 bytes, so two
 * long ids could merge into one record). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "provider.h"
#include "sync.h"

static char long_id[701];

static void transport(const struct http_request *req, struct http_response *resp)
{
    if (strstr(req->url, "/v1/workouts/events")) {
        resp->status = 200;
        buf_addf(&resp->body,
                 "{\"page\":1,\"page_count\":1,\"events\":[{\"type\":\"deleted\",\"id\":\"%s\","
                 "\"deleted_at\":\"2024-02-02T00:00:00Z\"}]}",
                 long_id);
    } else if (strstr(req->url, "/v1/workouts/count")) {
        resp->status = 200;
        buf_adds(&resp->body, "{\"workout_count\":0}");
    } else {
        resp->status = 404;
        buf_adds(&resp->body, "{\"error\":\"Not found\"}");
    }
}

static int found_id(void *arg, const struct cell *cells, int n)
{
    (void)n;
    char **out = arg;
    *out = strdup(cells[0].text ? cells[0].text : "");
    return 1;
}

static void test_long_workout_id_kept_whole(void **state)
{
    (void)state;
    memset(long_id, 'w', sizeof long_id - 1);
    char dir[] = "/tmp/hs-test-hevy-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], db[64];
    snprintf(path, sizeof path, "%s/c.toml", dir);
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[app]\nreconcile_days = 3650\n[hevy]\nenabled = true\napi_key = \"unit-key\"\n"
          "base_url = \"http://127.0.0.1:9\"\n",
          f);
    fclose(f);
    struct config_section sections[] = {{"app", config_app_keys},
                                        {"hevy", provider_config_keys(provider_find("hevy"))},
                                        {NULL, NULL}};
    struct hs_error err = HS_ERROR_INIT;
    struct config *cfg = config_load(path, true, sections, &err);
    assert_non_null(cfg);
    struct store *s = store_open(db, &err);
    assert_non_null(s);
    /* A delta sync: workouts have a watermark and a recent full pass. */
    assert_int_equal(store_set_state(s, "hevy", "workouts", "2024-02-01T00:00:00Z", NULL,
                                     "{\"last_full_sync\":\"2024-02-01T00:00:00Z\"}", &err),
                     0);
    http_set_test_transport(transport);
    struct sync_runner *r = sync_runner_new(s, cfg, NULL);
    assert_non_null(r);
    struct provider_result result;
    sync_provider(r, provider_find("hevy"), &result);
    sync_runner_free(r);
    http_set_test_transport(NULL);

    char *id = NULL;
    const char *params[] = {"hevy", "workout_events"};
    assert_int_equal(store_each_row(s,
                                    "SELECT record_id FROM records WHERE provider = ?1 AND "
                                    "resource = ?2",
                                    params, 2, found_id, &id, &err),
                     0);
    assert_non_null(id);
    char expected[800];
    snprintf(expected, sizeof expected, "deleted:%s:2024-02-02T00:00:00Z", long_id);
    assert_int_equal(strlen(id), strlen(expected));
    assert_string_equal(id, expected);
    free(id);
    store_close(s);
    config_free(cfg);
    unlink(db);
    unlink(path);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db);
    unlink(wal);
    rmdir(dir);
}

int main(void)
{
    setenv("HEALTH_SYNC_NOW", "2024-02-03T00:00:00Z", 1);
    setenv("HEALTH_SYNC_SLEEP_SCALE", "0", 1);
    log_init(LOG_QUIET);
    http_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_workout_id_kept_whole),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    return rc;
}
