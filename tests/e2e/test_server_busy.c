/* test_server_busy.c — docs/protocol.md: "a connection beyond the server's
 * connection limit receives ERROR 503 busy <sentence> as its first
 * message, unasked, and is closed"; "busy" is the reason token clients act
 * on. Once a connection closes, there is room again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>
#include <workq/transport.h>

#include "live.h"

static wqt_live live; /* stopped by the teardown, also after a failure */

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

static void a_connection_over_the_limit_is_told_503_and_closed(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.max_connections = 2;
    wqt_live_start(&live, "busy", &cfg);

    wq_client *a = wqt_live_client(&live);
    wq_client *b = wqt_live_client(&live);
    assert_int_equal(wq_client_ping(a), WQ_OK);
    assert_int_equal(wq_client_ping(b), WQ_OK);
    assert_int_equal(wq_server_connections(live.server), 2);

    /* The third: told unasked, then closed. */
    wq_conn *third = wqt_live_conn(&live);
    void *msg;
    size_t n;
    assert_int_equal(wq_conn_recv(third, 4096, WQT_LONG_MS, &msg, &n), WQ_OK);
    /* The reason token, then a sentence. */
    static const char head[] = "ERROR 503 busy ";
    assert_true(n > sizeof head - 1);
    assert_memory_equal(msg, head, sizeof head - 1);
    wq_free(msg);
    assert_int_equal(wq_conn_recv(third, 4096, WQT_LONG_MS, &msg, &n), WQ_ECLOSED);
    wq_conn_close(third);

    /* Through the client library: the first request says busy. */
    wq_client *fourth = wqt_live_client(&live);
    assert_int_equal(wq_client_ping(fourth), WQ_EBUSY);
    assert_true(strncmp(wq_client_message(fourth), "busy ", 5) == 0);
    wq_client_close(fourth);

    /* The two served are unaffected. */
    assert_int_equal(wq_client_create(a, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_ping(b), WQ_OK);
    assert_int_equal(wq_server_connections(live.server), 2);

    /* One leaves: the server notices on its own; then a newcomer is
     * served. */
    wq_client_close(a);
    assert_true(wqt_wait_connections(live.server, 1));
    wq_client *c = wqt_live_client(&live);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    wq_queue_info info;
    assert_int_equal(wq_client_status(c, "Jobs", &info), WQ_OK);
    assert_int_equal(wq_server_connections(live.server), 2);

    wq_client_close(c);
    wq_client_close(b);
    wqt_live_stop(&live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(a_connection_over_the_limit_is_told_503_and_closed, stop_live),
    };
    return cmocka_run_group_tests_name("e2e.server_busy", tests, NULL, NULL);
}
