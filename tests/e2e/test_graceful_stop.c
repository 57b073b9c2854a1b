/* test_graceful_stop.c — wq_server_stop with 4 workers blocked in
 * RETRIEVE (each holding a lease) and 4 idle clients: it returns (a hang
 * fails by the CTest timeout; nothing here measures time), the waiting
 * workers get "ERROR 503 shutdown ..." or see the connection closed, the
 * idle ones see it closed, and the leased items go back before the
 * registry is freed (valgrind-clean on Linux). */
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
#include <workq/transport.h>

#include "live.h"
#include "platform.h"

#define WORKERS 4
#define IDLE 4
/* Far longer than any test may run: only the stop can end this wait. */
#define FOREVER_MS 3600000

static wqt_live live;

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

struct worker {
    wqi_thread t;
    wq_client *c;
    uint64_t held;     /* the item it leased before waiting */
    wq_err wait_err;   /* what the long RETRIEVE returned */
    char message[256]; /* and the client's message for it */
    int found;
};

static void worker_main(void *arg)
{
    struct worker *w = arg;
    wq_item item;
    w->wait_err = wq_client_retrieve(w->c, "Empty", FOREVER_MS, &item, &w->found);
    snprintf(w->message, sizeof w->message, "%s", wq_client_message(w->c));
    if (w->wait_err == WQ_OK) {
        wq_free(item.payload);
    }
}

/* docs/protocol.md: "ERROR 503 shutdown <sentence>", which the client reports
 * as WQ_ESHUTDOWN by its reason token (client.h), with the server's
 * message. */
static int shutting_down(const struct worker *w)
{
    return w->wait_err == WQ_ESHUTDOWN && strncmp(w->message, "shutdown ", 9) == 0;
}

static void stop_returns_with_workers_waiting_and_clients_idle(void **state)
{
    (void)state;
    wqt_live_start(&live, "stop", NULL);
    wq_client *admin = wqt_live_client(&live);
    assert_int_equal(wq_client_create(admin, "Held"), WQ_OK);
    assert_int_equal(wq_client_create(admin, "Empty"), WQ_OK);
    assert_int_equal(wq_client_start(admin, "Held"), WQ_OK);
    assert_int_equal(wq_client_start(admin, "Empty"), WQ_OK);
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(wq_client_publish(admin, "Held", "job", 3, NULL), WQ_OK);
    }

    /* Each worker leases one item, then waits on an empty queue. */
    struct worker workers[WORKERS];
    memset(workers, 0, sizeof workers);
    for (int i = 0; i < WORKERS; i++) {
        workers[i].c = wqt_live_client(&live);
        wq_item item;
        int found;
        assert_int_equal(wq_client_retrieve(workers[i].c, "Held", -1, &item, &found), WQ_OK);
        assert_int_equal(found, 1);
        workers[i].held = item.id;
        wq_free(item.payload);
    }
    wq_queue_info info;
    assert_int_equal(wq_client_status(admin, "Held", &info), WQ_OK);
    assert_int_equal(info.leased, WORKERS);
    wq_client_close(admin);

    /* Idle: two library clients and two raw connections. */
    wq_client *idle_clients[IDLE / 2];
    wq_conn *idle_conns[IDLE - IDLE / 2];
    for (int i = 0; i < IDLE / 2; i++) {
        idle_clients[i] = wqt_live_client(&live);
        assert_int_equal(wq_client_ping(idle_clients[i]), WQ_OK);
    }
    for (int i = 0; i < IDLE - IDLE / 2; i++) {
        idle_conns[i] = wqt_live_conn(&live);
    }
    assert_true(wqt_wait_connections(live.server, WORKERS + IDLE));

    int started = 0;
    for (; started < WORKERS; started++) {
        if (wqi_thread_start(&workers[started].t, worker_main, &workers[started]) != WQ_OK) {
            break;
        }
    }

    /* Whether each worker's RETRIEVE is already waiting or still on its
     * way, the stop must end it. */
    wq_server_stop(live.server);
    live.server = NULL;
    wqt_scratch_cleanup(&live.ep);

    for (int i = 0; i < started; i++) {
        wqi_thread_join(&workers[i].t);
    }
    assert_int_equal(started, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        if (!shutting_down(&workers[i]) && workers[i].wait_err != WQ_ECLOSED) {
            fail_msg("worker %d: %s (%s), found %d", i, wq_strerror(workers[i].wait_err),
                     workers[i].message, workers[i].found);
        }
        /* The connection is gone now either way. */
        assert_int_equal(wq_client_ping(workers[i].c), WQ_ECLOSED);
        wq_client_close(workers[i].c);
    }
    for (int i = 0; i < IDLE / 2; i++) {
        assert_int_equal(wq_client_ping(idle_clients[i]), WQ_ECLOSED);
        wq_client_close(idle_clients[i]);
    }
    for (int i = 0; i < IDLE - IDLE / 2; i++) {
        void *msg;
        size_t n;
        assert_int_equal(wq_conn_recv(idle_conns[i], 4096, WQT_LONG_MS, &msg, &n), WQ_ECLOSED);
        wq_conn_close(idle_conns[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(stop_returns_with_workers_waiting_and_clients_idle, stop_live),
    };
    return cmocka_run_group_tests_name("e2e.graceful_stop", tests, NULL, NULL);
}
