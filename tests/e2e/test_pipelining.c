/* test_pipelining.c — docs/protocol.md "Pipelining": a client may send
 * several requests before reading; the server answers each, in order. */
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

static wqt_live live;

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

static void send_all(wq_conn *c, const char *const *requests, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(wq_conn_send(c, requests[i], strlen(requests[i]), WQT_LONG_MS), WQ_OK);
    }
}

static void expect_all(wq_conn *c, const char *const *replies, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *msg;
        size_t len;
        assert_int_equal(wq_conn_recv(c, 1 << 20, WQT_LONG_MS, &msg, &len), WQ_OK);
        if (len != strlen(replies[i]) || memcmp(msg, replies[i], len) != 0) {
            print_error("reply %lu: expected \"%s\", got \"%.*s\"\n", (unsigned long)i, replies[i],
                        (int)len, (const char *)msg);
            wq_free(msg);
            fail();
        }
        wq_free(msg);
    }
}

static void three_requests_sent_back_to_back_get_three_replies_in_order(void **state)
{
    (void)state;
    wqt_live_start(&live, "pipe", NULL);
    wq_conn *c = wqt_live_conn(&live);
    static const char *const requests[] = {"CREATE Pipe", "LIST", "PING"};
    static const char *const replies[] = {"OK", "OK 1\nPipe stopped 0 0", "OK PONG"};
    send_all(c, requests, 3);
    expect_all(c, replies, 3);

    /* An error in the middle changes nothing around it. */
    static const char *const requests2[] = {"START Pipe\n", "FROB", "PUBLISH Pipe a b\n"};
    send_all(c, requests2, 3);
    void *msg;
    size_t len;
    assert_int_equal(wq_conn_recv(c, 1 << 20, WQT_LONG_MS, &msg, &len), WQ_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(msg, "OK", 2);
    wq_free(msg);
    assert_int_equal(wq_conn_recv(c, 1 << 20, WQT_LONG_MS, &msg, &len), WQ_OK);
    assert_true(len > 10);
    assert_memory_equal(msg, "ERROR 400 ", 10);
    wq_free(msg);
    static const char *const replies2[] = {"OK 1"};
    expect_all(c, replies2, 1);
    wq_conn_close(c);
}

static void many_requests_sent_back_to_back_are_answered_in_order(void **state)
{
    (void)state;
    wqt_live_start(&live, "pipe", NULL);
    wq_conn *c = wqt_live_conn(&live);
    static const char *const setup[] = {"CREATE Pipe", "START Pipe"};
    static const char *const ok2[] = {"OK", "OK"};
    send_all(c, setup, 2);
    expect_all(c, ok2, 2);
    /* 50 publishes, then 50 retrieves, then read all 100 replies. */
    char request[64];
    char reply[64];
    for (int i = 1; i <= 50; i++) {
        snprintf(request, sizeof request, "PUBLISH Pipe payload %d", i);
        assert_int_equal(wq_conn_send(c, request, strlen(request), WQT_LONG_MS), WQ_OK);
    }
    for (int i = 1; i <= 50; i++) {
        assert_int_equal(wq_conn_send(c, "RETRIEVE Pipe", 13, WQT_LONG_MS), WQ_OK);
    }
    for (int i = 1; i <= 50; i++) {
        snprintf(reply, sizeof reply, "OK %d", i);
        const char *one[] = {reply};
        expect_all(c, one, 1);
    }
    for (int i = 1; i <= 50; i++) {
        snprintf(reply, sizeof reply, "ITEM %d payload %d", i, i);
        const char *one[] = {reply};
        expect_all(c, one, 1);
    }
    wq_conn_close(c);
}

/* docs/protocol.md "Pipelining", the window: a client may send
 * WQ_PIPELINE_MAX_REQUESTS requests of WQ_PIPELINE_MAX_BYTES together
 * without reading anything, even when their replies are far larger than
 * the OS's buffers (the server then blocks sending them), and then gets
 * every reply, in order. Here half the requests retrieve 16 KiB items
 * (512 KiB of replies), the other half publish 1000-byte payloads; every
 * send must complete before the first read. */
#define BIG_ITEM (16u * 1024u)
#define HALF (WQ_PIPELINE_MAX_REQUESTS / 2)
#define PUBLISH_BYTES 1000u

static void a_full_window_sent_without_reading_gets_every_reply(void **state)
{
    (void)state;
    wqt_live_start(&live, "pipew", NULL);
    wq_client *me = wqt_live_client(&live);
    assert_int_equal(wq_client_create(me, "Big"), WQ_OK);
    assert_int_equal(wq_client_start(me, "Big"), WQ_OK);
    char *payload = malloc(BIG_ITEM);
    assert_non_null(payload);
    for (unsigned i = 0; i < HALF; i++) {
        memset(payload, 'a' + (int)(i % 26), BIG_ITEM);
        assert_int_equal(wq_client_publish(me, "Big", payload, BIG_ITEM, NULL), WQ_OK);
    }
    wq_client_close(me);

    static const char retrieve[] = "RETRIEVE Big";
    char publish[PUBLISH_BYTES + 1];
    size_t head = (size_t)snprintf(publish, sizeof publish, "PUBLISH Big ");
    memset(publish + head, 'p', PUBLISH_BYTES - head);
    size_t total = HALF * (sizeof retrieve - 1) + HALF * PUBLISH_BYTES;
    assert_true(total <= WQ_PIPELINE_MAX_BYTES);

    wq_conn *c = wqt_live_conn(&live);
    for (unsigned i = 0; i < HALF; i++) {
        assert_int_equal(wq_conn_send(c, retrieve, sizeof retrieve - 1, WQT_LONG_MS), WQ_OK);
    }
    for (unsigned i = 0; i < HALF; i++) {
        assert_int_equal(wq_conn_send(c, publish, PUBLISH_BYTES, WQT_LONG_MS), WQ_OK);
    }
    for (unsigned i = 0; i < HALF; i++) {
        void *msg;
        size_t len;
        assert_int_equal(wq_conn_recv(c, 1 << 20, WQT_LONG_MS, &msg, &len), WQ_OK);
        char want[32];
        int n = snprintf(want, sizeof want, "ITEM %u ", i + 1);
        assert_int_equal(len, (size_t)n + BIG_ITEM);
        assert_memory_equal(msg, want, (size_t)n);
        assert_int_equal(((const char *)msg)[n + BIG_ITEM - 1], 'a' + (int)(i % 26));
        wq_free(msg);
    }
    for (unsigned i = 0; i < HALF; i++) {
        char want[32];
        snprintf(want, sizeof want, "OK %u", HALF + i + 1);
        const char *one[] = {want};
        expect_all(c, one, 1);
    }
    wq_conn_close(c);
    free(payload);
}

/* Replies to pipelined requests may leave together, but never wait for a
 * RETRIEVE that waits: the three replies before it arrive while it is
 * still waiting (if they were held, these reads would time out). */
static void replies_before_a_waiting_retrieve_are_not_held_back(void **state)
{
    (void)state;
    wqt_live_start(&live, "pipe", NULL);
    wq_conn *c = wqt_live_conn(&live);
    static const char *const requests[] = {"CREATE Wait", "START Wait", "PING",
                                           "RETRIEVE Wait 60000"};
    static const char *const replies[] = {"OK", "OK", "OK PONG"};
    send_all(c, requests, 4);
    expect_all(c, replies, 3);
    wq_client *other = wqt_live_client(&live);
    assert_int_equal(wq_client_publish(other, "Wait", "x", 1, NULL), WQ_OK);
    static const char *const item[] = {"ITEM 1 x"};
    expect_all(c, item, 1);
    wq_client_close(other);
    wq_conn_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(three_requests_sent_back_to_back_get_three_replies_in_order,
                                  stop_live),
        cmocka_unit_test_teardown(many_requests_sent_back_to_back_are_answered_in_order, stop_live),
        cmocka_unit_test_teardown(a_full_window_sent_without_reading_gets_every_reply, stop_live),
        cmocka_unit_test_teardown(replies_before_a_waiting_retrieve_are_not_held_back, stop_live),
    };
    return cmocka_run_group_tests_name("e2e.pipelining", tests, NULL, NULL);
}
