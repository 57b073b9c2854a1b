/* test_stop_deadline.c — docs/protocol.md "Shutting down": a graceful stop
 * has a deadline. A client asks for a reply far larger than the
 * transport's buffers and never reads it, so the server's connection
 * thread stays busy sending; wq_server_stop must still return, having cut
 * that connection once the deadline (wq_server_config.stop_timeout_ms)
 * passed.
 *
 * What is asserted is the result: the stop returned, the server reports
 * one connection cut at the deadline, and the client finds its connection
 * closed with the reply incomplete. The bound on the stop's return is a
 * correctness check, not a measurement: it is far above the deadline but
 * below the server's own 10 s send timeout, which would otherwise end the
 * stalled reply by itself (so a server without the deadline fails here). */
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

/* The stop's deadline in this test. */
#define STOP_MS 500
/* How long after the deadline wq_server_stop may take to cut and join:
 * generous, and below the server's 10 s send timeout (see the top). */
#define STOP_MARGIN_MS 6000
/* A reply no pipe or socket buffers hold: the server's send must wait
 * for a reader that never comes. */
#define BIG_PAYLOAD (3u * 1024u * 1024u)

static wqt_live live;

/* Log lines that report connections cut at the deadline. */
static wqi_mutex log_lock;
static int cut_lines;
static char cut_line[512];

static void capture_log(void *ctx, wq_log_level level, const char *line)
{
    (void)ctx;
    if (level == WQ_LOG_WARN && strstr(line, "stop deadline") != NULL) {
        wqi_mutex_lock(&log_lock);
        cut_lines++;
        snprintf(cut_line, sizeof cut_line, "%s", line);
        wqi_mutex_unlock(&log_lock);
    }
}

/* wq_server_stop on its own thread, so that the test can tell whether it
 * returned in time and still join it (and free everything) if not. */
struct stopper {
    wqi_thread t;
    wq_server *server;
    wqi_mutex lock;
    wqi_cond done_cond;
    int done;
};

static void stopper_main(void *arg)
{
    struct stopper *st = arg;
    wq_server_stop(st->server);
    wqi_mutex_lock(&st->lock);
    st->done = 1;
    wqi_cond_broadcast(&st->done_cond);
    wqi_mutex_unlock(&st->lock);
}

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

/* Wait (a bounded retry) until queue has n leased items: the server has
 * taken the stalled client's RETRIEVE and is answering it. */
static int wait_leased(wq_client *c, const char *queue, uint64_t n)
{
    int64_t deadline = wqi_deadline(WQT_LONG_MS);
    for (;;) {
        wq_queue_info info;
        if (wq_client_status(c, queue, &info) == WQ_OK && info.leased == n) {
            return 1;
        }
        if (wqi_clock_ms() >= deadline) {
            return 0;
        }
        wqi_sleep_ms(5); /* a retry interval, not synchronisation */
    }
}

static void a_client_that_never_reads_is_cut_at_the_deadline(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    assert_int_equal(cfg.stop_timeout_ms, WQ_DEFAULT_STOP_TIMEOUT_MS);
    cfg.stop_timeout_ms = STOP_MS;
    cfg.log = capture_log;
    wqt_live_start(&live, "deadline", &cfg);

    wq_client *admin = wqt_live_client(&live);
    assert_int_equal(wq_client_create(admin, "Big"), WQ_OK);
    assert_int_equal(wq_client_start(admin, "Big"), WQ_OK);
    char *payload = malloc(BIG_PAYLOAD);
    assert_non_null(payload);
    memset(payload, 'x', BIG_PAYLOAD);
    assert_int_equal(wq_client_publish(admin, "Big", payload, BIG_PAYLOAD, NULL), WQ_OK);
    free(payload);

    /* The stalled client: asks, never reads. */
    wq_conn *stalled = wqt_live_conn(&live);
    assert_int_equal(wq_conn_send(stalled, "RETRIEVE Big", 12, WQT_LONG_MS), WQ_OK);
    /* Leased means dispatched: the connection is busy from before that
     * until its reply has left, which it cannot. */
    assert_true(wait_leased(admin, "Big", 1));
    wq_client_close(admin);

    struct stopper st;
    memset(&st, 0, sizeof st);
    st.server = live.server;
    live.server = NULL; /* the stopper owns it now */
    wqi_mutex_init(&st.lock);
    wqi_cond_init(&st.done_cond);
    if (wqi_thread_start(&st.t, stopper_main, &st) != WQ_OK) {
        live.server = st.server; /* the teardown stops it */
        fail_msg("cannot start a thread");
    }
    int64_t bound = wqi_deadline(STOP_MS + STOP_MARGIN_MS);
    wqi_mutex_lock(&st.lock);
    while (!st.done && wqi_cond_wait_until(&st.done_cond, &st.lock, bound) == WQ_OK) {
    }
    int returned = st.done;
    wqi_mutex_unlock(&st.lock);
    wqi_thread_join(&st.t); /* whenever it returns: nothing is left running */
    wqi_cond_destroy(&st.done_cond);
    wqi_mutex_destroy(&st.lock);
    wqt_scratch_cleanup(&live.ep);

    /* The client's side: what arrived, then the end, never the whole. */
    void *msg = NULL;
    size_t n = 0;
    wq_err err = wq_conn_recv(stalled, BIG_PAYLOAD + 64, WQT_LONG_MS, &msg, &n);
    if (err == WQ_OK) {
        wq_free(msg);
    }
    wq_conn_close(stalled);

    assert_true(returned);
    wqi_mutex_lock(&log_lock);
    int lines = cut_lines;
    wqi_mutex_unlock(&log_lock);
    if (lines != 1 || strstr(cut_line, "cutting 1 connection ") == NULL) {
        fail_msg("expected one line reporting 1 connection cut, got %d: %s", lines, cut_line);
    }
    assert_true(err == WQ_ECLOSED || err == WQ_EPROTO);
}

int main(void)
{
    wqi_mutex_init(&log_lock);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(a_client_that_never_reads_is_cut_at_the_deadline, stop_live),
    };
    int rc = cmocka_run_group_tests_name("e2e.stop_deadline", tests, NULL, NULL);
    wqi_mutex_destroy(&log_lock);
    return rc;
}
