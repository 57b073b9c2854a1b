/* test_oversize_request.c — docs/protocol.md "Message size and 413": a
 * larger request gets ERROR 413 and the server then closes that connection;
 * other connections are not affected. The server runs with max_message
 * 1024. */
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

#define MAX 1024

/* "PUBLISH Jobs " and payload bytes up to a request of total bytes. */
static char *publish_request(size_t total)
{
    static const char head[] = "PUBLISH Jobs ";
    char *r = malloc(total);
    assert_non_null(r);
    memcpy(r, head, sizeof head - 1);
    memset(r + sizeof head - 1, 'x', total - (sizeof head - 1));
    return r;
}

static void an_oversize_request_gets_413_and_only_its_connection_closes(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.max_message = MAX;
    wqt_live_start(&live, "big", &cfg);

    /* A bystander, connected the whole time, holding a lease. */
    wq_client *other = wqt_live_client(&live);
    uint64_t max = 0;
    assert_int_equal(wq_client_hello(other, NULL, 0, &max), WQ_OK);
    assert_int_equal(max, MAX);
    assert_int_equal(wq_client_create(other, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_start(other, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_publish(other, "Jobs", "held", 4, NULL), WQ_OK);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(other, "Jobs", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    uint64_t held = item.id;
    wq_free(item.payload);

    /* One byte over the limit, on a raw connection. */
    wq_conn *big = wqt_live_conn(&live);
    assert_true(wqt_wait_connections(live.server, 2));
    char *request = publish_request(MAX + 1);
    wq_err err = wq_conn_send(big, request, MAX + 1, WQT_LONG_MS);
    /* The server may hang up before it has read everything: the send can
     * then fail, but the reply was sent first and is there to read. */
    assert_true(err == WQ_OK || err == WQ_ECLOSED);
    void *reply;
    size_t n;
    assert_int_equal(wq_conn_recv(big, 4096, WQT_LONG_MS, &reply, &n), WQ_OK);
    assert_true(n > 10);
    assert_memory_equal(reply, "ERROR 413 ", 10);
    wq_free(reply);
    /* Then that connection is closed. */
    assert_int_equal(wq_conn_recv(big, 4096, WQT_LONG_MS, &reply, &n), WQ_ECLOSED);
    wq_conn_close(big);
    assert_true(wqt_wait_connections(live.server, 1));

    /* Nothing else is affected: the bystander still holds its lease, and
     * a request of exactly the limit is accepted. */
    assert_int_equal(wq_client_ping(other), WQ_OK);
    void *ok;
    assert_int_equal(wq_client_request(other, request, MAX, &ok, &n), WQ_OK);
    assert_string_equal(ok, "OK 2");
    wq_free(ok);
    free(request);
    char *status = wqt_request(other, "STATUS Jobs");
    assert_string_equal(status, "OK Jobs started 1 1 2 0");
    wq_free(status);
    assert_int_equal(wq_client_ack(other, "Jobs", held), WQ_OK);

    /* And through the client library, the oversize request is a 413. */
    wq_client *c = wqt_live_client(&live);
    char *big_payload = malloc(MAX);
    assert_non_null(big_payload);
    memset(big_payload, 'y', MAX);
    assert_int_equal(wq_client_publish(c, "Jobs", big_payload, MAX, NULL), WQ_EMSGSIZE);
    free(big_payload);
    wq_client_close(c);
    assert_true(wqt_wait_connections(live.server, 1));
    assert_int_equal(wq_client_ping(other), WQ_OK);

    wq_client_close(other);
    wqt_live_stop(&live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(an_oversize_request_gets_413_and_only_its_connection_closes,
                                  stop_live),
    };
    return cmocka_run_group_tests_name("e2e.oversize_request", tests, NULL, NULL);
}
