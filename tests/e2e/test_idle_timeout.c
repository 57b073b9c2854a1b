/* test_idle_timeout.c — docs/protocol.md "Idle clients and partial
 * messages": with an idle timeout set, the server closes a connection whose
 * next request has not arrived for that long, without a message; a request
 * waiting in RETRIEVE is not idle. The server runs with idle_timeout_ms =
 * 100. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/server.h>
#include <workq/transport.h>

#include "live.h"

static wqt_live live;

static int start_live(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.idle_timeout_ms = 100;
    wqt_live_start(&live, "idle", &cfg);
    return 0;
}

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

static void an_idle_connection_is_closed_without_a_message(void **state)
{
    (void)state;
    wq_conn *c = wqt_live_conn(&live);
    void *msg;
    size_t n;
    /* The receive waits far longer than the idle timeout: what ends it is
     * the server hanging up, with nothing sent first. */
    assert_int_equal(wq_conn_recv(c, 4096, WQT_LONG_MS, &msg, &n), WQ_ECLOSED);
    wq_conn_close(c);
    assert_true(wqt_wait_connections(live.server, 0));
}

static void a_connection_waiting_in_retrieve_is_not_idle(void **state)
{
    (void)state;
    wq_conn *c = wqt_live_conn(&live);
    /* Sent together, so no gap between requests can count as idle; the
     * RETRIEVE then waits 500 ms, five times the idle timeout. */
    static const char *const requests[] = {"CREATE Jobs", "START Jobs", "RETRIEVE Jobs 500"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(wq_conn_send(c, requests[i], strlen(requests[i]), WQT_LONG_MS), WQ_OK);
    }
    static const char *const replies[] = {"OK", "OK", "EMPTY"};
    for (size_t i = 0; i < 3; i++) {
        void *msg;
        size_t n;
        assert_int_equal(wq_conn_recv(c, 4096, WQT_LONG_MS, &msg, &n), WQ_OK);
        assert_int_equal(n, strlen(replies[i]));
        assert_memory_equal(msg, replies[i], n);
        wq_free(msg);
    }
    /* Idle again afterwards: closed. */
    void *msg;
    size_t n;
    assert_int_equal(wq_conn_recv(c, 4096, WQT_LONG_MS, &msg, &n), WQ_ECLOSED);
    wq_conn_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(an_idle_connection_is_closed_without_a_message, start_live,
                                        stop_live),
        cmocka_unit_test_setup_teardown(a_connection_waiting_in_retrieve_is_not_idle, start_live,
                                        stop_live),
    };
    return cmocka_run_group_tests_name("e2e.idle_timeout", tests, NULL, NULL);
}
