/* test_manage_work_queues.c — manage_work_queues.feature, scenario by
 * scenario. Each test is named after its scenario's title and runs against
 * its own real server (native transport) through the client library; the
 * helpers below are the steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>

#include "live.h"
#include "manage_work_queues.scenarios.h"

/* What a scenario sees: a fresh service, me, and sometimes a worker. */
struct world {
    wqt_live live;
    wq_client *me;
    wq_client *worker;
};

static int a_fresh_service(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    *state = w;
    wqt_live_start(&w->live, "mq", NULL);
    w->me = wqt_live_client(&w->live);
    return 0;
}

static int service_gone(void **state)
{
    struct world *w = *state;
    wq_client_close(w->worker);
    wq_client_close(w->me);
    wqt_live_stop(&w->live);
    free(w);
    return 0;
}

/* ---- steps ------------------------------------------------------------- */

static void the_work_queue_does_not_exist(struct world *w, const char *q)
{
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, q, &info), WQ_ENOTFOUND);
}

static void the_work_queue_exists(struct world *w, const char *q)
{
    assert_int_equal(wq_client_create(w->me, q), WQ_OK);
}

static void the_work_queue_exists_and_is_started(struct world *w, const char *q)
{
    the_work_queue_exists(w, q);
    assert_int_equal(wq_client_start(w->me, q), WQ_OK);
}

static void i_create_the_work_queue(struct world *w, const char *q)
{
    assert_int_equal(wq_client_create(w->me, q), WQ_OK);
}

static void the_work_queue_will_be_created(struct world *w, const char *q)
{
    wq_queue_info *rows;
    size_t n;
    assert_int_equal(wq_client_list(w->me, &rows, &n), WQ_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].name, q);
    assert_int_equal(rows[0].ready, 0);
    assert_int_equal(rows[0].leased, 0);
    wq_free(rows);
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, q, &info), WQ_OK);
    assert_string_equal(info.name, q);
    assert_int_equal(info.ready + info.leased + info.published + info.completed, 0);
}

static void the_work_queue_will_be_stopped(struct world *w, const char *q)
{
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, q, &info), WQ_OK);
    assert_int_equal(info.started, 0);
}

static void the_work_queue_will_be_started(struct world *w, const char *q)
{
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, q, &info), WQ_OK);
    assert_int_not_equal(info.started, 0);
}

static void the_list_is(struct world *w, const char *expected)
{
    wqt_expect(w->me, "LIST", expected);
}

/* ---- scenarios --------------------------------------------------------- */

static void create_a_work_queue(void **state)
{
    struct world *w = *state;
    the_work_queue_does_not_exist(w, "MyWorkQueue");
    i_create_the_work_queue(w, "MyWorkQueue");
    the_work_queue_will_be_created(w, "MyWorkQueue");
    the_work_queue_will_be_stopped(w, "MyWorkQueue");
}

static void create_a_work_queue_that_already_exists(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "MyWorkQueue");
    /* When I create it again: 409, naming it. */
    wqt_expect(w->me, "CREATE MyWorkQueue", "ERROR 409 queue MyWorkQueue already exists");
    assert_int_equal(wq_client_create(w->me, "MyWorkQueue"), WQ_EEXIST);
    assert_non_null(strstr(wq_client_message(w->me), "MyWorkQueue"));
    /* Then there is still one work queue. */
    the_list_is(w, "OK 1\nMyWorkQueue stopped 0 0");
}

static void create_a_work_queue_whose_name_differs_only_in_case(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "MyWorkQueue");
    /* The error shows the stored spelling, not the one asked for
     * (docs/protocol.md's example session). Only the code is the contract, so
     * the check is on the code and on the name the sentence carries. */
    char *reply = wqt_request(w->me, "CREATE myworkqueue");
    assert_memory_equal(reply, "ERROR 409 ", 10);
    assert_non_null(strstr(reply, "MyWorkQueue"));
    assert_null(strstr(reply, "myworkqueue"));
    wq_free(reply);
    assert_int_equal(wq_client_create(w->me, "MYWORKQUEUE"), WQ_EEXIST);
    assert_non_null(strstr(wq_client_message(w->me), "MyWorkQueue"));
    the_list_is(w, "OK 1\nMyWorkQueue stopped 0 0");
}

static void refer_to_a_work_queue_in_another_case(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "MyWorkQueue");
    assert_int_equal(wq_client_start(w->me, "MYWORKQUEUE"), WQ_OK);
    wqt_expect(w->me, "STATUS myworkqueue", "OK MyWorkQueue started 0 0 0 0");
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, "mYwOrKqUeUe", &info), WQ_OK);
    assert_string_equal(info.name, "MyWorkQueue");
    assert_int_not_equal(info.started, 0);
}

static void create_a_work_queue_with_a_bad_name(void **state)
{
    struct world *w = *state;
    char long_name[7 + 129 + 1] = "CREATE ";
    memset(long_name + 7, 'a', 129);
    long_name[7 + 129] = '\0';
    const char *bad[] = {
        "CREATE",          "CREATE ",          "CREATE bad name",    "CREATE bad/name",
        "CREATE bad*name", "CREATE tab\tname", "CREATE caf\xc3\xa9", "CREATE bad\\name",
        "CREATE bad:name", long_name,
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wqt_expect_prefix(w->me, bad[i], "ERROR 400 ");
    }
    /* The client library refuses such names before sending anything. */
    assert_int_equal(wq_client_create(w->me, "bad/name"), WQ_EBADREQ);
    assert_int_equal(wq_client_create(w->me, ""), WQ_EBADREQ);
    assert_int_equal(wq_client_create(w->me, long_name + 7), WQ_EBADREQ);
    /* And no work queue exists. */
    the_list_is(w, "OK 0");
}

static void create_a_work_queue_with_the_longest_name(void **state)
{
    struct world *w = *state;
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    char name[129];
    for (size_t i = 0; i < 128; i++) {
        name[i] = chars[i % (sizeof chars - 1)];
    }
    name[128] = '\0';
    i_create_the_work_queue(w, name);
    the_work_queue_will_be_created(w, name);
}

static void list_work_queues_when_there_are_none(void **state)
{
    struct world *w = *state;
    the_list_is(w, "OK 0");
    wq_queue_info *rows = (wq_queue_info *)1;
    size_t n = 99;
    assert_int_equal(wq_client_list(w->me, &rows, &n), WQ_OK);
    assert_int_equal(n, 0);
    wq_free(rows);
}

static void list_work_queues(void **state)
{
    struct world *w = *state;
    const char *names[] = {"beta", "Alpha", "_tmp", "Gamma", "delta", "9lives"};
    for (size_t i = 0; i < 6; i++) {
        the_work_queue_exists(w, names[i]);
    }
    /* "Alpha" is started and holds 2 items, one of them leased. */
    assert_int_equal(wq_client_start(w->me, "Alpha"), WQ_OK);
    assert_int_equal(wq_client_publish(w->me, "Alpha", "one", 3, NULL), WQ_OK);
    assert_int_equal(wq_client_publish(w->me, "Alpha", "two", 3, NULL), WQ_OK);
    w->worker = wqt_live_client(&w->live);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(w->worker, "Alpha", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    wq_free(item.payload);
    /* Sorted by name compared case-insensitively: "_" (0x5F) sorts before
     * every letter once letters are lowercased, after them if not. */
    the_list_is(w, "OK 6\n"
                   "9lives stopped 0 0\n"
                   "_tmp stopped 0 0\n"
                   "Alpha started 1 1\n"
                   "beta stopped 0 0\n"
                   "delta stopped 0 0\n"
                   "Gamma stopped 0 0");
    wq_queue_info *rows;
    size_t n;
    assert_int_equal(wq_client_list(w->me, &rows, &n), WQ_OK);
    assert_int_equal(n, 6);
    const char *order[] = {"9lives", "_tmp", "Alpha", "beta", "delta", "Gamma"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(rows[i].name, order[i]);
    }
    assert_int_not_equal(rows[2].started, 0);
    assert_int_equal(rows[2].ready, 1);
    assert_int_equal(rows[2].leased, 1);
    wq_free(rows);
}

static void delete_a_work_queue(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "Doomed");
    the_work_queue_exists(w, "Kept");
    assert_int_equal(wq_client_delete(w->me, "doomed"), WQ_OK);
    the_list_is(w, "OK 1\nKept stopped 0 0");
    wqt_expect_prefix(w->me, "STATUS Doomed", "ERROR 404 ");
    the_work_queue_does_not_exist(w, "Doomed");
}

static void delete_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    the_work_queue_does_not_exist(w, "Ghost");
    wqt_expect_prefix(w->me, "DELETE Ghost", "ERROR 404 ");
    assert_int_equal(wq_client_delete(w->me, "Ghost"), WQ_ENOTFOUND);
    the_list_is(w, "OK 0");
}

static void delete_a_work_queue_removes_its_items(void **state)
{
    struct world *w = *state;
    the_work_queue_exists_and_is_started(w, "Jobs");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(wq_client_publish(w->me, "Jobs", "x", 1, NULL), WQ_OK);
    }
    /* A worker holds one of them. */
    w->worker = wqt_live_client(&w->live);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(w->worker, "Jobs", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    uint64_t held = item.id;
    wq_free(item.payload);
    /* When I delete the work queue and create it again. */
    assert_int_equal(wq_client_delete(w->me, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_create(w->me, "Jobs"), WQ_OK);
    /* Then it is empty: no ready, no leased, nothing counted. */
    wqt_expect(w->me, "STATUS Jobs", "OK Jobs stopped 0 0 0 0");
    assert_int_equal(wq_client_start(w->me, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_retrieve(w->me, "Jobs", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 0);
    /* And the worker's former lease is gone with the old queue. */
    assert_int_equal(wq_client_ack(w->worker, "Jobs", held), WQ_ENOTFOUND);
    assert_int_equal(wq_client_release(w->worker, "Jobs", held), WQ_ENOTFOUND);
    wqt_expect(w->me, "STATUS Jobs", "OK Jobs started 0 0 0 0");
}

static void start_a_work_queue(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "Jobs");
    assert_int_equal(wq_client_start(w->me, "Jobs"), WQ_OK);
    the_work_queue_will_be_started(w, "Jobs");
    the_list_is(w, "OK 1\nJobs started 0 0");
}

static void start_a_work_queue_that_is_already_started(void **state)
{
    struct world *w = *state;
    the_work_queue_exists_and_is_started(w, "Jobs");
    wqt_expect(w->me, "START Jobs", "OK");
    assert_int_equal(wq_client_start(w->me, "jobs"), WQ_OK);
    the_work_queue_will_be_started(w, "Jobs");
}

static void stop_a_work_queue(void **state)
{
    struct world *w = *state;
    the_work_queue_exists_and_is_started(w, "Jobs");
    assert_int_equal(wq_client_stop(w->me, "Jobs"), WQ_OK);
    the_work_queue_will_be_stopped(w, "Jobs");
    the_list_is(w, "OK 1\nJobs stopped 0 0");
}

static void stop_a_work_queue_that_is_already_stopped(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "Jobs");
    wqt_expect(w->me, "STOP Jobs", "OK");
    assert_int_equal(wq_client_stop(w->me, "JOBS"), WQ_OK);
    the_work_queue_will_be_stopped(w, "Jobs");
}

static void start_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    the_work_queue_does_not_exist(w, "Ghost");
    wqt_expect_prefix(w->me, "START Ghost", "ERROR 404 ");
    assert_int_equal(wq_client_start(w->me, "Ghost"), WQ_ENOTFOUND);
    the_list_is(w, "OK 0");
}

static void stop_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    the_work_queue_does_not_exist(w, "Ghost");
    wqt_expect_prefix(w->me, "STOP Ghost", "ERROR 404 ");
    assert_int_equal(wq_client_stop(w->me, "Ghost"), WQ_ENOTFOUND);
    the_list_is(w, "OK 0");
}

static void status_of_a_work_queue_that_does_not_exist(void **state)
{
    struct world *w = *state;
    the_work_queue_exists(w, "Other");
    wqt_expect_prefix(w->me, "STATUS Ghost", "ERROR 404 ");
    wq_queue_info info;
    assert_int_equal(wq_client_status(w->me, "Ghost", &info), WQ_ENOTFOUND);
    assert_non_null(strstr(wq_client_message(w->me), "Ghost"));
}

/* ---- every scenario has a test ---------------------------------------- */

/* One list makes both the CMocka table and the table of names, so they
 * cannot drift apart. */
#define SCENARIO_TESTS(X)                                                                          \
    X(create_a_work_queue)                                                                         \
    X(create_a_work_queue_that_already_exists)                                                     \
    X(create_a_work_queue_whose_name_differs_only_in_case)                                         \
    X(refer_to_a_work_queue_in_another_case)                                                       \
    X(create_a_work_queue_with_a_bad_name)                                                         \
    X(create_a_work_queue_with_the_longest_name)                                                   \
    X(list_work_queues_when_there_are_none)                                                        \
    X(list_work_queues)                                                                            \
    X(delete_a_work_queue)                                                                         \
    X(delete_a_work_queue_that_does_not_exist)                                                     \
    X(delete_a_work_queue_removes_its_items)                                                       \
    X(start_a_work_queue)                                                                          \
    X(start_a_work_queue_that_is_already_started)                                                  \
    X(stop_a_work_queue)                                                                           \
    X(stop_a_work_queue_that_is_already_stopped)                                                   \
    X(start_a_work_queue_that_does_not_exist)                                                      \
    X(stop_a_work_queue_that_does_not_exist)                                                       \
    X(status_of_a_work_queue_that_does_not_exist)

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
    return cmocka_run_group_tests_name("features.manage_work_queues", tests, NULL, NULL);
}
