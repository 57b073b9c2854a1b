/* test_server_limits.c — docs/protocol.md "Server limits": CREATE beyond
 * max_queues and PUBLISH to a queue holding max_items (ready + leased) get
 * 507; the checks run in order syntax (400), existence (404, 409), limits
 * (507), so CREATE of an existing name is 409 even at the queue limit. */
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

static wqt_live live; /* stopped by the teardown, also after a failure */
static wq_client *me;

static int start_live(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.max_queues = 2;
    cfg.max_items = 2;
    wqt_live_start(&live, "lim", &cfg);
    me = wqt_live_client(&live);
    return 0;
}

static int stop_live(void **state)
{
    (void)state;
    wq_client_close(me);
    me = NULL;
    wqt_live_stop(&live);
    return 0;
}

static void create_beyond_the_queue_limit_gets_507_and_existing_names_409(void **state)
{
    (void)state;
    wqt_expect(me, "CREATE One", "OK");
    wqt_expect(me, "CREATE Two", "OK");
    wqt_expect_prefix(me, "CREATE Three", "ERROR 507 ");
    wqt_expect_prefix(me, "CREATE one", "ERROR 409 ");
    wqt_expect_prefix(me, "CREATE bad/name", "ERROR 400 ");
    assert_int_equal(wq_client_create(me, "Three"), WQ_ELIMIT);
    wqt_expect(me, "LIST", "OK 2\nOne stopped 0 0\nTwo stopped 0 0");
    /* Room again after a DELETE. */
    wqt_expect(me, "DELETE Two", "OK");
    wqt_expect(me, "CREATE Three", "OK");
}

static void publish_to_a_full_queue_gets_507_counting_leased_items(void **state)
{
    (void)state;
    wqt_expect(me, "CREATE Jobs", "OK");
    wqt_expect(me, "START Jobs", "OK");
    wqt_expect(me, "PUBLISH Jobs a", "OK 1");
    wqt_expect(me, "PUBLISH Jobs b", "OK 2");
    wqt_expect_prefix(me, "PUBLISH Jobs c", "ERROR 507 ");
    wqt_expect_prefix(me, "PUBLISH Missing c", "ERROR 404 ");
    /* A leased item still counts. */
    wqt_expect(me, "RETRIEVE Jobs", "ITEM 1 a");
    assert_int_equal(wq_client_publish(me, "Jobs", "c", 1, NULL), WQ_ELIMIT);
    wqt_expect(me, "STATUS Jobs", "OK Jobs started 1 1 2 0");
    /* A completed one does not. */
    wqt_expect(me, "ACK Jobs 1", "OK");
    wqt_expect(me, "PUBLISH Jobs c", "OK 3");
    /* Nor a purged one. */
    wqt_expect(me, "PURGE Jobs", "OK 2");
    wqt_expect(me, "PUBLISH Jobs d", "OK 4");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, start_live, stop_live)
    const struct CMUnitTest tests[] = {
        T(create_beyond_the_queue_limit_gets_507_and_existing_names_409),
        T(publish_to_a_full_queue_gets_507_counting_leased_items),
    };
    return cmocka_run_group_tests_name("e2e.server_limits", tests, NULL, NULL);
}
