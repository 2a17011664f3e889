/* Unit tests of order_gate: a commit whose key sorts after a held bulk
 * listing waits until it is released; keys before it, the listing itself
 * and other providers' keys sorting before it go straight on; would_wait
 * tells the same without waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "order_gate.h"

static void test_keys_before_do_not_wait(void **state)
{
    (void)state;
    struct order_gate *g = order_gate_new();
    assert_non_null(g);
    order_gate_hold(g, "oura", "heartrate");
    /* Returns 0 seconds at once (a wait here would hang the test). */
    assert_true(order_gate_wait(g, "oura", "heartrate") == 0);
    assert_true(order_gate_wait(g, "oura", "daily_activity") == 0);
    assert_true(order_gate_wait(g, "hevy", "workouts") == 0);
    assert_true(order_gate_wait(g, "eightsleep", "trends") == 0);
    order_gate_free(g);
}

struct waiter {
    struct order_gate *g;
    const char *provider, *resource;
    atomic_bool done;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    order_gate_wait(w->g, w->provider, w->resource);
    atomic_store(&w->done, true);
    return NULL;
}

/* Starts a waiter for provider/resource and tells whether it is still
 * waiting 50 ms later. */
static bool still_waits(struct waiter *w, pthread_t *t)
{
    assert_int_equal(pthread_create(t, NULL, wait_thread, w), 0);
    usleep(50 * 1000);
    return !atomic_load(&w->done);
}

static void test_keys_after_wait_for_release(void **state)
{
    (void)state;
    struct order_gate *g = order_gate_new();
    order_gate_hold(g, "oura", "heartrate");
    order_gate_hold(g, "oura", "other_bulk");
    struct waiter sleep = {g, "oura", "sleep", false}, strava = {g, "strava", "activities", false};
    pthread_t t1, t2;
    assert_true(still_waits(&sleep, &t1));
    assert_true(still_waits(&strava, &t2));
    order_gate_release(g, "oura", "heartrate"); /* "other_bulk" still sorts before both */
    usleep(50 * 1000);
    assert_false(atomic_load(&sleep.done));
    order_gate_release(g, "oura", NULL); /* all of the provider's */
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_true(atomic_load(&sleep.done) && atomic_load(&strava.done));
    assert_true(order_gate_wait(g, "withings", "measures") == 0);
    order_gate_free(g);
}

/* SQLite compares text keys bytewise: "sleep" sorts before "sleep_time". */
static void test_prefix_order(void **state)
{
    (void)state;
    struct order_gate *g = order_gate_new();
    order_gate_hold(g, "oura", "sleep_time");
    assert_true(order_gate_wait(g, "oura", "sleep") == 0);
    struct waiter w = {g, "oura", "sleep_times", false};
    pthread_t t;
    assert_true(still_waits(&w, &t));
    order_gate_release(g, "oura", "sleep_time");
    pthread_join(t, NULL);
    order_gate_free(g);
}

/* would_wait tells, without waiting, what wait would do. */
static void test_would_wait(void **state)
{
    (void)state;
    struct order_gate *g = order_gate_new();
    assert_non_null(g);
    assert_false(order_gate_would_wait(g, "strava", "activities")); /* nothing held */
    order_gate_hold(g, "oura", "heartrate");
    assert_true(order_gate_would_wait(g, "strava", "activities"));
    assert_true(order_gate_would_wait(g, "oura", "sleep"));
    assert_false(order_gate_would_wait(g, "oura", "heartrate"));
    assert_false(order_gate_would_wait(g, "oura", "daily_activity"));
    assert_false(order_gate_would_wait(g, "hevy", "workouts"));
    order_gate_release(g, "oura", "heartrate");
    assert_false(order_gate_would_wait(g, "strava", "activities"));
    order_gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_before_do_not_wait),
        cmocka_unit_test(test_keys_after_wait_for_release),
        cmocka_unit_test(test_prefix_order),
        cmocka_unit_test(test_would_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
