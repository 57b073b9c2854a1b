/* test_memory.c — docs/protocol.md "Memory": the budget (max_memory)
 * answers PUBLISH beyond it with 507 and changes nothing; a request the
 * server has no memory to receive or answer gets 507 on a connection that
 * stays usable; and once memory has run out, PUBLISH is refused while
 * STATUS, LIST, PURGE, DELETE and new connections keep working, until
 * memory is back.
 *
 * Running out of memory is simulated through the allocator's seam
 * (wqi_alloc_fail_from: every allocation from a size up fails), which the
 * in-process server shares with this test. A real cap (RLIMIT_AS on a
 * workqd process) is programs.memory_cap. */
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

#include "alloc.h"
#include "live.h"

#define PAYLOAD 1000u
/* Requests this large cannot be allocated while memory is "short". */
#define SHORT_FROM (200u * 1024u)
#define BIG (256u * 1024u)

static wqt_live live; /* stopped by the teardown, also after a failure */
static wq_client *me;

static int start_live(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.max_memory = 3 * (PAYLOAD + 16); /* three items of PAYLOAD bytes */
    wqt_live_start(&live, "mem", &cfg);
    me = wqt_live_client(&live);
    return 0;
}

static int stop_live(void **state)
{
    (void)state;
    wqi_alloc_fail_from(0);
    wq_client_close(me);
    me = NULL;
    wqt_live_stop(&live);
    return 0;
}

/* "PUBLISH <queue> " followed by n bytes of 'p' (NUL-terminated). */
static char *publish_request(const char *queue, size_t n, size_t *len)
{
    size_t head = strlen("PUBLISH ") + strlen(queue) + 1;
    char *r = malloc(head + n + 1);
    assert_non_null(r);
    snprintf(r, head + 1, "PUBLISH %s ", queue);
    memset(r + head, 'p', n);
    r[head + n] = '\0';
    *len = head + n;
    return r;
}

static void publishes_beyond_the_budget_get_507_and_change_nothing(void **state)
{
    (void)state;
    size_t len;
    char *req = publish_request("Jobs", PAYLOAD, &len);
    wqt_expect(me, "CREATE Jobs", "OK");
    wqt_expect(me, "PUBLISH Jobs a", "OK 1");
    wqt_expect(me, "PURGE Jobs", "OK 1");
    wqt_expect(me, "START Jobs", "OK");
    wqt_expect(me, req, "OK 2");
    wqt_expect(me, req, "OK 3");
    wqt_expect(me, req, "OK 4");
    wqt_expect(me, req, "ERROR 507 the server's memory budget of 3048 bytes is full");
    assert_int_equal(wq_client_publish(me, "Jobs", "x", 1, NULL), WQ_ELIMIT);
    wqt_expect(me, "STATUS Jobs", "OK Jobs started 3 0 4 0");
    /* A leased item still counts; an acknowledged one does not. */
    char *item = wqt_request(me, "RETRIEVE Jobs");
    assert_memory_equal(item, "ITEM 2 ", 7);
    wq_free(item);
    wqt_expect_prefix(me, "PUBLISH Jobs x", "ERROR 507 ");
    wqt_expect(me, "ACK Jobs 2", "OK");
    wqt_expect(me, "PUBLISH Jobs x", "OK 5");
    /* PURGE and DELETE give the memory back. */
    wqt_expect(me, "PURGE Jobs", "OK 3");
    wqt_expect(me, req, "OK 6");
    wqt_expect(me, "DELETE Jobs", "OK");
    wqt_expect(me, "CREATE Jobs", "OK");
    wqt_expect(me, req, "OK 7");
    wqt_expect(me, req, "OK 8");
    wqt_expect(me, req, "OK 9");
    wqt_expect(me, "DELETE Jobs", "OK");
    free(req);
}

static void expect_reply(wq_conn *c, const char *reply)
{
    void *msg;
    size_t len;
    assert_int_equal(wq_conn_recv(c, 1 << 20, WQT_LONG_MS, &msg, &len), WQ_OK);
    if (len != strlen(reply) || memcmp(msg, reply, len) != 0) {
        fail_msg("expected \"%s\", got \"%.*s\"", reply, (int)len, (const char *)msg);
    }
    wq_free(msg);
}

/* A request the server cannot allocate is read past and answered 507 in
 * its place among pipelined requests; the connection carries on. Memory
 * having run out, PUBLISH is then refused (the reserve is spent) while
 * the requests that free memory or look, and new connections, work. */
static void out_of_memory_leaves_management_working(void **state)
{
    (void)state;
    wqt_expect(me, "CREATE Keep", "OK");
    wqt_expect(me, "PUBLISH Keep kept", "OK 1");
    wq_conn *c = wqt_live_conn(&live);
    size_t big_len;
    char *big = publish_request("Keep", BIG, &big_len);
    wqi_alloc_fail_from(SHORT_FROM);
    static const char ping[] = "PING";
    assert_int_equal(wq_conn_send(c, ping, 4, WQT_LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(c, big, big_len, WQT_LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(c, ping, 4, WQT_LONG_MS), WQ_OK);
    expect_reply(c, "OK PONG");
    expect_reply(c, "ERROR 507 out of memory");
    expect_reply(c, "OK PONG");
    free(big);

    /* Short of memory: even a small PUBLISH is refused and changes nothing. */
    wqt_expect(me, "PUBLISH Keep small", "ERROR 507 out of memory");
    wqt_expect(me, "STATUS Keep", "OK Keep stopped 1 0 1 0");
    wqt_expect(me, "LIST", "OK 1\nKeep stopped 1 0");
    wqt_expect(me, "CREATE Gone", "OK");
    wqt_expect(me, "DELETE Gone", "OK");
    wq_client *other = wqt_live_client(&live);
    wqt_expect(other, "PING", "OK PONG");
    wqt_expect(other, "PURGE Keep", "OK 1");
    wq_client_close(other);

    /* Memory is back: the next request's end takes the reserve again,
     * and PUBLISH works. */
    wqi_alloc_fail_from(0);
    wqt_expect(me, "PING", "OK PONG");
    wqt_expect(me, "PUBLISH Keep again", "OK 2");
    wqt_expect(me, "STATUS Keep", "OK Keep stopped 1 0 2 0");
    wqt_expect(me, "DELETE Keep", "OK");
    wq_conn_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(publishes_beyond_the_budget_get_507_and_change_nothing,
                                        start_live, stop_live),
        cmocka_unit_test_setup_teardown(out_of_memory_leaves_management_working, start_live,
                                        stop_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
