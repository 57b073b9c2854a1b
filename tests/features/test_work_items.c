/* test_work_items.c — work_items.feature, scenario by scenario. Each test
 * is named after its scenario's title and runs against its own real server
 * (native transport) through the client library; the helpers below are the
 * steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>

#include "live.h"
#include "platform.h"
#include "work_items.scenarios.h"

#define Q "Jobs"

/* What a scenario sees: a fresh service, me, and sometimes other workers. */
struct world {
    wqt_live live;
    wq_client *me;
    wq_client *worker;
    wq_client *other;
};

static int a_fresh_service(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    *state = w;
    wqt_live_start(&w->live, "wi", NULL);
    w->me = wqt_live_client(&w->live);
    return 0;
}

static int service_gone(void **state)
{
    struct world *w = *state;
    wq_client_close(w->other);
    wq_client_close(w->worker);
    wq_client_close(w->me);
    wqt_live_stop(&w->live);
    free(w);
    return 0;
}

/* ---- steps ------------------------------------------------------------- */

static void the_work_queue_exists(struct world *w)
{
    assert_int_equal(wq_client_create(w->me, Q), WQ_OK);
}

static void the_work_queue_is_started(struct world *w)
{
    the_work_queue_exists(w);
    assert_int_equal(wq_client_start(w->me, Q), WQ_OK);
}

static uint64_t publish(wq_client *c, const char *payload)
{
    uint64_t id = 0;
    assert_int_equal(wq_client_publish(c, Q, payload, strlen(payload), &id), WQ_OK);
    assert_true(id > 0);
    return id;
}

/* Retrieve (wait_ms < 0: at once) and expect an item with this payload;
 * returns its id. */
static uint64_t retrieve_expecting(wq_client *c, int64_t wait_ms, const char *payload)
{
    wq_item item;
    int found = 0;
    assert_int_equal(wq_client_retrieve(c, Q, wait_ms, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.len, strlen(payload));
    assert_memory_equal(item.payload, payload, item.len);
    uint64_t id = item.id;
    wq_free(item.payload);
    return id;
}

static void retrieving_gives_nothing(wq_client *c, int64_t wait_ms)
{
    wq_item item;
    int found = 1;
    assert_int_equal(wq_client_retrieve(c, Q, wait_ms, &item, &found), WQ_OK);
    assert_int_equal(found, 0);
    assert_null(item.payload);
}

/* STATUS as the wire shows it: "OK Jobs <state> <ready> <leased> <published> <completed>". */
static void the_status_is(struct world *w, const char *status)
{
    char want[256];
    snprintf(want, sizeof want, "OK " Q " %s", status);
    wqt_expect(w->me, "STATUS " Q, want);
}

/* ---- scenarios --------------------------------------------------------- */

static void publish_a_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w);
    uint64_t id = publish(w->me, "hello");
    uint64_t id2 = publish(w->me, "world");
    assert_true(id2 > id);
    the_status_is(w, "stopped 2 0 2 0");
    wqt_expect_prefix(w->me, "PUBLISH " Q " raw", "OK ");
}

static void publish_a_work_item_with_any_bytes(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    static const char odd[] = "a b  c\nline two\r\n\0after NUL \xff\xfe\x80 end\n";
    size_t odd_len = sizeof odd - 1;
    uint64_t id1, id2;
    assert_int_equal(wq_client_publish(w->me, Q, odd, odd_len, &id1), WQ_OK);
    assert_int_equal(wq_client_publish(w->me, Q, "", 0, &id2), WQ_OK);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(w->me, Q, -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.id, id1);
    assert_int_equal(item.len, odd_len);
    assert_memory_equal(item.payload, odd, odd_len);
    wq_free(item.payload);
    assert_int_equal(wq_client_retrieve(w->me, Q, -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.id, id2);
    assert_int_equal(item.len, 0);
    wq_free(item.payload);
}

static void publish_to_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    assert_int_equal(wq_client_publish(w->me, Q, "hello", 5, NULL), WQ_ENOTFOUND);
    wqt_expect_prefix(w->me, "PUBLISH " Q " hello", "ERROR 404 ");
    wqt_expect(w->me, "LIST", "OK 0");
}

static void retrieve_a_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    uint64_t id = publish(w->me, "hello");
    char want[64];
    snprintf(want, sizeof want, "ITEM %llu hello", (unsigned long long)id);
    wqt_expect(w->me, "RETRIEVE " Q, want);
    the_status_is(w, "started 0 1 1 0");
}

static void retrieve_from_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(w->me, Q, -1, &item, &found), WQ_ENOTFOUND);
    assert_int_equal(wq_client_retrieve(w->me, Q, 10, &item, &found), WQ_ENOTFOUND);
    wqt_expect_prefix(w->me, "RETRIEVE " Q, "ERROR 404 ");
}

static void work_items_are_retrieved_in_the_order_they_were_published(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    char payload[16];
    for (int i = 0; i < 10; i++) {
        snprintf(payload, sizeof payload, "item %d", i);
        publish(w->me, payload);
    }
    uint64_t last = 0;
    for (int i = 0; i < 10; i++) {
        snprintf(payload, sizeof payload, "item %d", i);
        uint64_t id = retrieve_expecting(w->me, -1, payload);
        assert_true(id > last);
        last = id;
    }
    retrieving_gives_nothing(w->me, -1);
}

static void acknowledge_a_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "hello");
    uint64_t id = retrieve_expecting(w->me, -1, "hello");
    assert_int_equal(wq_client_ack(w->me, Q, id), WQ_OK);
    the_status_is(w, "started 0 0 1 1");
    retrieving_gives_nothing(w->me, -1);
}

static void acknowledge_a_work_item_twice(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "hello");
    uint64_t id = retrieve_expecting(w->me, -1, "hello");
    assert_int_equal(wq_client_ack(w->me, Q, id), WQ_OK);
    assert_int_equal(wq_client_ack(w->me, Q, id), WQ_ENOTFOUND);
    the_status_is(w, "started 0 0 1 1");
}

static void acknowledge_a_work_item_held_by_another_connection(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "hello");
    w->other = wqt_live_client(&w->live);
    uint64_t id = retrieve_expecting(w->other, -1, "hello");
    /* When I acknowledge it: 404, and nothing changes. */
    assert_int_equal(wq_client_ack(w->me, Q, id), WQ_ENOTFOUND);
    assert_int_equal(wq_client_release(w->me, Q, id), WQ_ENOTFOUND);
    the_status_is(w, "started 0 1 1 0");
    /* The other connection still holds it. */
    assert_int_equal(wq_client_ack(w->other, Q, id), WQ_OK);
    the_status_is(w, "started 0 0 1 1");
}

static void release_a_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "hello");
    uint64_t id = retrieve_expecting(w->me, -1, "hello");
    assert_int_equal(wq_client_release(w->me, Q, id), WQ_OK);
    the_status_is(w, "started 1 0 1 0");
    assert_int_equal(retrieve_expecting(w->me, -1, "hello"), id);
}

static void a_released_work_item_goes_back_to_its_place(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    uint64_t a = publish(w->me, "a");
    uint64_t b = publish(w->me, "b");
    uint64_t c = publish(w->me, "c");
    assert_int_equal(retrieve_expecting(w->me, -1, "a"), a);
    assert_int_equal(retrieve_expecting(w->me, -1, "b"), b);
    /* Release "b" first: it goes before "c", and "a" then before both. */
    assert_int_equal(wq_client_release(w->me, Q, b), WQ_OK);
    assert_int_equal(wq_client_release(w->me, Q, a), WQ_OK);
    assert_int_equal(retrieve_expecting(w->me, -1, "a"), a);
    assert_int_equal(retrieve_expecting(w->me, -1, "b"), b);
    assert_int_equal(retrieve_expecting(w->me, -1, "c"), c);
}

static void purge_a_work_queue(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w);
    for (int i = 0; i < 3; i++) {
        publish(w->me, "x");
    }
    uint64_t purged = 0;
    assert_int_equal(wq_client_purge(w->me, Q, &purged), WQ_OK);
    assert_int_equal(purged, 3);
    the_status_is(w, "stopped 0 0 3 0");
    wqt_expect(w->me, "PURGE " Q, "OK 0");
}

static void purge_leaves_leased_work_items(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "mine");
    publish(w->me, "x");
    publish(w->me, "y");
    uint64_t id = retrieve_expecting(w->me, -1, "mine");
    uint64_t purged = 0;
    assert_int_equal(wq_client_purge(w->me, Q, &purged), WQ_OK);
    assert_int_equal(purged, 2);
    the_status_is(w, "started 0 1 3 0");
    assert_int_equal(wq_client_ack(w->me, Q, id), WQ_OK);
    the_status_is(w, "started 0 0 3 1");
}

static void a_stopped_work_queue_holds_its_items_until_it_is_started(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w);
    uint64_t id = publish(w->me, "hello");
    retrieving_gives_nothing(w->me, -1);
    retrieving_gives_nothing(w->me, 50);
    the_status_is(w, "stopped 1 0 1 0");
    assert_int_equal(wq_client_start(w->me, Q), WQ_OK);
    assert_int_equal(retrieve_expecting(w->me, -1, "hello"), id);
}

static void a_worker_that_disconnects_returns_its_work_items(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    uint64_t ids[4];
    const char *payloads[4] = {"1", "2", "3", "4"};
    for (int i = 0; i < 4; i++) {
        ids[i] = publish(w->me, payloads[i]);
    }
    w->worker = wqt_live_client(&w->live);
    w->other = wqt_live_client(&w->live);
    /* The worker holds 1 to 3; the other worker holds 4. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(retrieve_expecting(w->worker, -1, payloads[i]), ids[i]);
    }
    assert_int_equal(retrieve_expecting(w->other, -1, "4"), ids[3]);
    the_status_is(w, "started 0 4 4 0");
    /* When the first worker disconnects: the server notices on its own
     * thread, and returns the items before it forgets the connection. */
    wq_client_close(w->worker);
    w->worker = NULL;
    assert_true(wqt_wait_connections(w->live.server, 2));
    the_status_is(w, "started 3 1 4 0");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(retrieve_expecting(w->me, -1, payloads[i]), ids[i]);
    }
    retrieving_gives_nothing(w->me, -1);
}

static void a_wait_that_ends_with_no_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    retrieving_gives_nothing(w->me, 50);
    wqt_expect(w->me, "RETRIEVE " Q " 50", "EMPTY");
    wqt_expect(w->me, "RETRIEVE " Q " 0", "EMPTY");
}

/* A worker retrieving with a long wait, on its own thread. */
struct waiting_worker {
    wqi_thread t;
    wq_client *c;
    wq_err err;
    int found;
    wq_item item;
};

static void waiting_worker_main(void *arg)
{
    struct waiting_worker *ww = arg;
    ww->err = wq_client_retrieve(ww->c, Q, WQT_LONG_MS, &ww->item, &ww->found);
}

/* Start the worker's long RETRIEVE on its own thread, once the server has
 * its connection. */
static void a_worker_is_retrieving_with_a_long_wait(struct world *w, struct waiting_worker *ww)
{
    memset(ww, 0, sizeof *ww);
    w->worker = ww->c = wqt_live_client(&w->live);
    assert_true(wqt_wait_connections(w->live.server, 2));
    assert_int_equal(wqi_thread_start(&ww->t, waiting_worker_main, ww), WQ_OK);
}

static void the_worker_gets(struct waiting_worker *ww, uint64_t id, const char *payload)
{
    wqi_thread_join(&ww->t);
    assert_int_equal(ww->err, WQ_OK);
    assert_int_equal(ww->found, 1);
    assert_int_equal(ww->item.id, id);
    assert_int_equal(ww->item.len, strlen(payload));
    assert_memory_equal(ww->item.payload, payload, ww->item.len);
    wq_free(ww->item.payload);
}

static void a_waiting_worker_gets_a_work_item_published_while_it_waits(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    struct waiting_worker ww;
    a_worker_is_retrieving_with_a_long_wait(w, &ww);
    /* Whether the RETRIEVE reaches the server before or after this
     * PUBLISH, the worker must get the item and nobody else may: its wait
     * is far longer than any test runs. */
    uint64_t id = publish(w->me, "hello");
    the_worker_gets(&ww, id, "hello");
    the_status_is(w, "started 0 1 1 0");
    assert_int_equal(wq_client_ack(w->worker, Q, id), WQ_OK);
}

static void a_waiting_worker_gets_a_work_item_when_a_stopped_work_queue_is_started(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w);
    uint64_t id = publish(w->me, "hello");
    struct waiting_worker ww;
    a_worker_is_retrieving_with_a_long_wait(w, &ww);
    /* Before or after its RETRIEVE arrives, only START can hand it out. */
    assert_int_equal(wq_client_start(w->me, Q), WQ_OK);
    the_worker_gets(&ww, id, "hello");
    the_status_is(w, "started 0 1 1 0");
}

static void a_waiting_worker_gets_a_released_work_item(void **state)
{
    struct world *w = *state;
    the_work_queue_is_started(w);
    publish(w->me, "hello");
    uint64_t id = retrieve_expecting(w->me, -1, "hello");
    struct waiting_worker ww;
    a_worker_is_retrieving_with_a_long_wait(w, &ww);
    assert_int_equal(wq_client_release(w->me, Q, id), WQ_OK);
    the_worker_gets(&ww, id, "hello");
    assert_int_equal(wq_client_ack(w->worker, Q, id), WQ_OK);
    the_status_is(w, "started 0 0 1 1");
}

/* ---- every scenario has a test ---------------------------------------- */

/* One list makes both the CMocka table and the table of names, so they
 * cannot drift apart. */
#define SCENARIO_TESTS(X)                                                                          \
    X(publish_a_work_item)                                                                         \
    X(publish_a_work_item_with_any_bytes)                                                          \
    X(publish_to_a_work_queue_that_does_not_exist)                                                 \
    X(retrieve_a_work_item)                                                                        \
    X(retrieve_from_a_work_queue_that_does_not_exist)                                              \
    X(work_items_are_retrieved_in_the_order_they_were_published)                                   \
    X(acknowledge_a_work_item)                                                                     \
    X(acknowledge_a_work_item_twice)                                                               \
    X(acknowledge_a_work_item_held_by_another_connection)                                          \
    X(release_a_work_item)                                                                         \
    X(a_released_work_item_goes_back_to_its_place)                                                 \
    X(purge_a_work_queue)                                                                          \
    X(purge_leaves_leased_work_items)                                                              \
    X(a_stopped_work_queue_holds_its_items_until_it_is_started)                                    \
    X(a_worker_that_disconnects_returns_its_work_items)                                            \
    X(a_wait_that_ends_with_no_work_item)                                                          \
    X(a_waiting_worker_gets_a_work_item_published_while_it_waits)                                  \
    X(a_waiting_worker_gets_a_work_item_when_a_stopped_work_queue_is_started)                      \
    X(a_waiting_worker_gets_a_released_work_item)

#define AS_NAME(fn) #fn,
#define AS_TEST(fn) cmocka_unit_test_setup_teardown(fn, a_fresh_service, service_gone),

static const char *const test_names[] = {SCENARIO_TESTS(AS_NAME)};

static void every_scenario_has_a_test(void **state)
{
    (void)state;
    wqt_check_scenarios(WQT_FEATURE_FILE, wqt_feature_scenarios, test_names,
                        sizeof test_names / sizeof *test_names, __func__);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_scenario_has_a_test),
                                       SCENARIO_TESTS(AS_TEST)};
    return cmocka_run_group_tests_name("features.work_items", tests, NULL, NULL);
}
