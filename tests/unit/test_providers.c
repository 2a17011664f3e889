/* Unit tests of what the providers share: the config keys declared once
 * (keys.c) and the cursor paging helper (paging.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "oauth2.h"
#include "paging.h"
#include "provider.h"

static const struct config_key *key(const struct provider *p, const char *name)
{
    for (const struct config_key *k = provider_config_keys(p); k->name; k++)
        if (!strcmp(k->name, name))
            return k;
    return NULL;
}

/* Every section has the shared keys once, with the provider's defaults. */
static void test_shared_keys(void **state)
{
    (void)state;
    for (const struct provider *const *p = providers; *p; p++) {
        const struct config_key *keys = provider_config_keys(*p);
        for (const struct config_key *k = keys; k->name; k++)
            for (const struct config_key *l = k + 1; l->name; l++)
                if (!strcmp(k->name, l->name))
                    fail_msg("[%s].%s is declared twice", (*p)->name, k->name);
        assert_non_null(key(*p, "enabled"));
        assert_string_equal(key(*p, "enabled")->def, "false");
        assert_non_null(key(*p, "resources"));
        assert_non_null(key(*p, "max_concurrency"));
        assert_true(!(*p)->base_url || !strcmp(key(*p, "base_url")->def, (*p)->base_url));
        if ((*p)->auth != AUTH_OAUTH2)
            continue;
        assert_non_null((*p)->oauth2);
        static const char *const oauth[] = {"client_id", "client_secret", "redirect_uri",
                                            "scopes", "authorize_url"};
        for (size_t i = 0; i < sizeof oauth / sizeof *oauth; i++)
            if (!key(*p, oauth[i]))
                fail_msg("OAuth2 provider %s lacks [%s].%s", (*p)->name, (*p)->name, oauth[i]);
        assert_string_equal(key(*p, "authorize_url")->def, (*p)->oauth2->authorize_url);
    }
    const struct provider *oura = provider_find("oura");
    assert_string_equal(key(oura, "max_concurrency")->def, "16");
    assert_null(key(provider_find("withings"), "token_url")); /* signed: no such key */
    assert_null(key(provider_find("hevy"), "client_id"));
    assert_null(key(provider_find("eightsleep"), "base_url"));
}

static const struct cursor_paging records = {"records", "next_token", "nextToken", false};

static void expect_next(const char *url, const char *page_json, const char *expected)
{
    json_t *page = json_loads(page_json, 0, NULL);
    char *got = cursor_next_url(url, page, &records);
    if (expected ? !got || strcmp(got, expected) : got != NULL)
        fail_msg("%s + %s: %s, expected %s", url, page_json, got ? got : "NULL",
                 expected ? expected : "NULL");
    free(got);
    json_decref(page);
}

static void test_cursor_next_url(void **state)
{
    (void)state;
    expect_next("http://h/v2/cycle?limit=25", "{\"records\":[],\"next_token\":\"a b\"}",
                "http://h/v2/cycle?limit=25&nextToken=a%20b");
    expect_next("http://h/v2/cycle?limit=25&nextToken=a", "{\"next_token\":\"b\"}",
                "http://h/v2/cycle?limit=25&nextToken=b");
    expect_next("http://h/v2/cycle", "{\"next_token\":\"b\"}", "http://h/v2/cycle?nextToken=b");
    expect_next("http://h/v2/cycle?nextToken=a", "{\"next_token\":\"b\"}",
                "http://h/v2/cycle?nextToken=b");
    expect_next("http://h/v2/cycle?limit=25", "{\"records\":[],\"next_token\":null}", NULL);
    expect_next("http://h/v2/cycle?limit=25", "{\"records\":[],\"next_token\":\"\"}", NULL);
    /* A next page whose URL cannot be built is not "no next page". */
    size_t n = TASK_URL_MAX + 10;
    char *token = malloc(n + 1);
    assert_non_null(token);
    memset(token, 'x', n);
    token[n] = '\0';
    json_t *page = json_pack("{s:s}", "next_token", token);
    char *next = cursor_next_url("http://h/v2/cycle?limit=25", page, &records);
    assert_ptr_equal(next, task_next_url_failed);
    json_decref(page);
    free(token);
    expect_next("http://h/v2/cycle?limit=25", "{\"records\":[]}", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_keys),
        cmocka_unit_test(test_cursor_next_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
