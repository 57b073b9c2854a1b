/* test_server_slow_clients.c — a server is not held hostage by clients that
 * send half a message and stall (checklist UR-4, T-UR-f): they are cut
 * after the deadline, and a well-behaved client is served meanwhile.
 * POSIX-only because it speaks raw bytes on a Unix socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>
#include <workq/transport.h>

#include "raw_unix.h"
#include "scratch.h"

#define STALLERS 50

/* The server closed the connection: read sees end of file. */
static void assert_closed_by_server(int fd)
{
    char b;
    ssize_t n;
    while ((n = read(fd, &b, 1)) > 0) {
    }
    assert_int_equal(n, 0);
}

static void run(uint32_t idle_timeout_ms, const uint8_t *partial, size_t partial_len)
{
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "slow");
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.endpoint = ep.endpoint;
    cfg.idle_timeout_ms = idle_timeout_ms;
    wq_server *s;
    assert_int_equal(wq_server_start(&cfg, &s), WQ_OK);

    int fds[STALLERS];
    for (int i = 0; i < STALLERS; i++) {
        fds[i] = wqt_unix_connect(ep.endpoint);
        assert_int_equal(write(fds[i], partial, partial_len), (ssize_t)partial_len);
    }
    /* While they stall, a normal client is served. */
    wq_client *c;
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    assert_int_equal(wq_client_create(c, "q"), WQ_OK);
    for (int i = 0; i < STALLERS; i++) {
        assert_closed_by_server(fds[i]);
        close(fds[i]);
    }
    wq_client_close(c);
    /* And the server serves newcomers as before. (The first client, idle
     * all this while, was rightly closed by the idle timeout too.) */
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    wq_client_close(c);
    wq_server_stop(s);
    wqt_scratch_cleanup(&ep);
}

static void half_a_header_is_cut_after_the_deadline(void **state)
{
    (void)state;
    const uint8_t half_header[2] = {0, 0};
    run(300, half_header, sizeof half_header);
}

static void half_a_body_is_cut_after_the_deadline(void **state)
{
    (void)state;
    uint8_t msg[4 + 5] = {0, 0, 0, 100, 'P', 'U', 'B', 'L', 'I'};
    run(300, msg, sizeof msg);
}

/* Without any idle timeout, a receive that would wait for ever still gives
 * up on a message that started and stalled. */
static void message_timeout_cuts_a_stalled_message_even_without_a_receive_timeout(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "msgto");
    wq_listener *l;
    assert_int_equal(wq_listener_open(NULL, ep.endpoint, NULL, &l), WQ_OK);
    int fd = wqt_unix_connect(ep.endpoint);
    wq_conn *c;
    assert_int_equal(wq_listener_accept(l, 10000, &c), WQ_OK);
    assert_int_equal(wq_conn_set_message_timeout(c, 100), WQ_OK);
    const uint8_t partial[6] = {0, 0, 0, 10, 'a', 'b'};
    assert_int_equal(write(fd, partial, sizeof partial), (ssize_t)sizeof partial);
    void *msg;
    size_t len;
    assert_int_equal(wq_conn_recv(c, 1024, WQ_WAIT_FOREVER, &msg, &len), WQ_ETIMEDOUT);
    assert_int_equal(wq_conn_recv(c, 1024, WQ_WAIT_FOREVER, &msg, &len), WQ_EPROTO);
    /* Whole messages are unaffected by the setting. */
    wq_conn_close(c);
    close(fd);
    fd = wqt_unix_connect(ep.endpoint);
    assert_int_equal(wq_listener_accept(l, 10000, &c), WQ_OK);
    assert_int_equal(wq_conn_set_message_timeout(c, 100), WQ_OK);
    const uint8_t whole[6] = {0, 0, 0, 2, 'o', 'k'};
    assert_int_equal(write(fd, whole, sizeof whole), (ssize_t)sizeof whole);
    assert_int_equal(wq_conn_recv(c, 1024, WQ_WAIT_FOREVER, &msg, &len), WQ_OK);
    assert_int_equal(len, 2);
    wq_free(msg);
    wq_conn_close(c);
    close(fd);
    wq_listener_close(l);
    wqt_scratch_cleanup(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(half_a_header_is_cut_after_the_deadline),
        cmocka_unit_test(half_a_body_is_cut_after_the_deadline),
        cmocka_unit_test(message_timeout_cuts_a_stalled_message_even_without_a_receive_timeout),
    };
    return cmocka_run_group_tests_name("server.slow_clients", tests, NULL, NULL);
}
