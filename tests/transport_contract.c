/* transport_contract.c — what every transport backend promises.
 *
 * One file, run once per backend: `transport_contract mem` and
 * `transport_contract native` (npipe on Windows, uds on POSIX). Each test
 * reads as a sentence of include/workq/transport.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "conn_fixture.h"
#include "platform.h"
#include "scratch.h"

static const wq_transport *T; /* the backend under test */

/* ---- helpers ---------------------------------------------------------- */

static int open_listener(void **state)
{
    *state = wqt_listening_open(T, "c");
    return 0;
}

static int close_listener(void **state)
{
    wqt_listening_close(*state);
    return 0;
}

/* An echo server: an accept loop that gives every connection a thread
 * which sends back each message until the peer closes. */
#define ECHO_MAX_CONNS 2048

struct echo_conn {
    wqi_thread t;
    wq_conn *c;
};

struct echo_server {
    wq_listener *l;
    wqi_thread t;
    struct echo_conn *conns;
    size_t n;
    int threaded; /* 0: serve connections one at a time in the loop */
};

static void echo_loop(wq_conn *c)
{
    for (;;) {
        void *buf;
        size_t len;
        if (wq_conn_recv(c, 1 << 21, WQT_LONG_MS, &buf, &len) != WQ_OK) {
            return;
        }
        wq_err err = wq_conn_send(c, buf, len, WQT_LONG_MS);
        wq_free(buf);
        if (err != WQ_OK) {
            return;
        }
    }
}

static void echo_conn_main(void *arg)
{
    echo_loop(((struct echo_conn *)arg)->c);
}

static void echo_accept_main(void *arg)
{
    struct echo_server *s = arg;
    for (;;) {
        wq_conn *c;
        wq_err err = wq_listener_accept(s->l, WQ_WAIT_FOREVER, &c);
        if (err == WQ_ECLOSED) {
            return;
        }
        if (err != WQ_OK) {
            continue;
        }
        if (!s->threaded || s->n == ECHO_MAX_CONNS) {
            echo_loop(c);
            wq_conn_close(c);
            continue;
        }
        struct echo_conn *ec = &s->conns[s->n];
        ec->c = c;
        if (wqi_thread_start(&ec->t, echo_conn_main, ec) != WQ_OK) {
            wq_conn_close(c);
            continue;
        }
        s->n++;
    }
}

static void echo_start(struct echo_server *s, wq_listener *l, int threaded)
{
    memset(s, 0, sizeof *s);
    s->l = l;
    s->threaded = threaded;
    s->conns = calloc(ECHO_MAX_CONNS, sizeof *s->conns);
    assert_non_null(s->conns);
    assert_int_equal(wqi_thread_start(&s->t, echo_accept_main, s), WQ_OK);
}

/* Clients must have closed their connections before this. */
static void echo_stop(struct echo_server *s)
{
    wq_listener_shutdown(s->l);
    wqi_thread_join(&s->t);
    for (size_t i = 0; i < s->n; i++) {
        wqi_thread_join(&s->conns[i].t);
        wq_conn_close(s->conns[i].c);
    }
    free(s->conns);
}

/* ---- the contract ----------------------------------------------------- */

static void listen_connect_accept_and_echo(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    wqt_send_str(client, "hello");
    wqt_expect_str(server, "hello");
    wqt_send_str(server, "world");
    wqt_expect_str(client, "world");
    wq_conn_close(client);
    wq_conn_close(server);
}

static void three_messages_back_to_back_arrive_as_three(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    wqt_send_str(client, "one");
    wqt_send_str(client, "two two");
    wqt_send_str(client, "three three three");
    wqt_expect_str(server, "one");
    wqt_expect_str(server, "two two");
    wqt_expect_str(server, "three three three");
    wq_conn_close(client);
    wq_conn_close(server);
}

static void empty_message_is_a_message(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    assert_int_equal(wq_conn_send(client, NULL, 0, WQT_LONG_MS), WQ_OK);
    wqt_send_str(client, "after");
    void *buf;
    size_t len = 99;
    assert_int_equal(wq_conn_recv(server, 100, WQT_LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, 0);
    assert_non_null(buf);
    assert_int_equal(((char *)buf)[0], '\0');
    wq_free(buf);
    wqt_expect_str(server, "after");
    wq_conn_close(client);
    wq_conn_close(server);
}

static void one_mebibyte_message_arrives_intact(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    size_t n = 1u << 20;
    unsigned char *msg = wqt_pattern(n, 7);
    wqt_sender s;
    wqt_sender_start(&s, client, msg, n, WQT_LONG_MS);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(server, n, WQT_LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(wqt_sender_join(&s), WQ_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, msg, n);
    wq_free(buf);
    free(msg);
    wq_conn_close(client);
    wq_conn_close(server);
}

static void max_size_accepted_and_max_plus_one_rejected_without_allocating(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    /* Small enough to sit in any OS buffer, so the sends complete without
     * a reader. */
    const size_t max = 16 * 1024;
    unsigned char *msg = wqt_pattern(max + 1, 3);
    assert_int_equal(wq_conn_send(client, msg, max, WQT_LONG_MS), WQ_OK);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(server, max, WQT_LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, max);
    assert_memory_equal(buf, msg, max);
    wq_free(buf);

    assert_int_equal(wq_conn_send(client, msg, max + 1, WQT_LONG_MS), WQ_OK);
    wqt_alloc_watch();
    wq_err err = wq_conn_recv(server, max, WQT_LONG_MS, &buf, &len);
    size_t largest = wqt_alloc_unwatch();
    assert_int_equal(err, WQ_EMSGSIZE);
    assert_null(buf);
    assert_true(largest <= max);
    /* The receive side is finished, the send side still works: a server
     * can still tell the client why before it closes. */
    assert_int_equal(wq_conn_recv(server, max, WQT_LONG_MS, &buf, &len), WQ_EPROTO);
    wqt_send_str(server, "ERROR 413 message too large");
    wqt_expect_str(client, "ERROR 413 message too large");
    free(msg);
    wq_conn_close(client);
    wq_conn_close(server);
}

#define CLIENTS 16
#define ROUND_TRIPS 1000

struct client_job {
    wqi_thread t;
    const char *endpoint;
    unsigned id;
    int ok_trips;
    wq_err err;
};

static void client_main(void *arg)
{
    struct client_job *j = arg;
    wq_conn *c;
    j->err = wq_conn_connect(T, j->endpoint, WQT_LONG_MS, &c);
    if (j->err != WQ_OK) {
        return;
    }
    for (int i = 0; i < ROUND_TRIPS; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "client %u trip %d", j->id, i);
        j->err = wq_conn_send(c, msg, (size_t)n, WQT_LONG_MS);
        void *buf = NULL;
        size_t len = 0;
        if (j->err == WQ_OK) {
            j->err = wq_conn_recv(c, 256, WQT_LONG_MS, &buf, &len);
        }
        if (j->err != WQ_OK) {
            break;
        }
        if (len == (size_t)n && memcmp(buf, msg, len) == 0) {
            j->ok_trips++;
        }
        wq_free(buf);
    }
    wq_conn_close(c);
}

static void sixteen_clients_each_do_a_thousand_round_trips(void **state)
{
    wqt_listening *f = *state;
    struct echo_server s;
    echo_start(&s, f->l, 1);
    struct client_job jobs[CLIENTS];
    for (unsigned i = 0; i < CLIENTS; i++) {
        jobs[i] = (struct client_job){.endpoint = f->ep.endpoint, .id = i};
        assert_int_equal(wqi_thread_start(&jobs[i].t, client_main, &jobs[i]), WQ_OK);
    }
    for (unsigned i = 0; i < CLIENTS; i++) {
        wqi_thread_join(&jobs[i].t);
    }
    echo_stop(&s);
    for (unsigned i = 0; i < CLIENTS; i++) {
        assert_int_equal(jobs[i].err, WQ_OK);
        assert_int_equal(jobs[i].ok_trips, ROUND_TRIPS);
    }
}

static void connect_to_a_missing_endpoint_fails_at_once(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, T, "missing");
    wq_conn *c = (wq_conn *)&ep; /* must be reset to NULL */
    assert_int_equal(wq_conn_connect(T, ep.endpoint, WQT_LONG_MS, &c), WQ_ENOENT);
    assert_null(c);
    wqt_scratch_cleanup(&ep);
}

static void second_listener_gets_addrinuse_and_first_still_works(void **state)
{
    wqt_listening *f = *state;
    wq_listener *second = NULL;
    assert_int_equal(wq_listener_open(T, f->ep.endpoint, NULL, &second), WQ_EADDRINUSE);
    assert_null(second);
    struct echo_server s;
    echo_start(&s, f->l, 0);
    wq_conn *c;
    assert_int_equal(wq_conn_connect(T, f->ep.endpoint, WQT_LONG_MS, &c), WQ_OK);
    wqt_send_str(c, "still here");
    wqt_expect_str(c, "still here");
    wq_conn_close(c);
    echo_stop(&s);
}

static void receive_after_peer_closed_gets_eclosed(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    /* A message sent just before closing is still delivered: a server
     * answers "ERROR 413" and then hangs up. */
    wqt_send_str(server, "last words");
    wq_conn_close(server);
    wqt_expect_str(client, "last words");
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(client, 100, WQT_LONG_MS, &buf, &len), WQ_ECLOSED);
    assert_null(buf);
    /* And in the other direction. */
    wq_conn *client2, *server2;
    wqt_pair(f, &client2, &server2);
    wq_conn_close(client2);
    assert_int_equal(wq_conn_recv(server2, 100, WQT_LONG_MS, &buf, &len), WQ_ECLOSED);
    wq_conn_close(server2);
    wq_conn_close(client);
}

static void send_after_peer_closed_gets_eclosed(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    wq_conn_close(server);
    /* The first send may still be taken by the OS before it notices; a
     * later one must fail, and never kill the process (SIGPIPE). */
    wq_err err = WQ_OK;
    for (int i = 0; i < 100 && err == WQ_OK; i++) {
        err = wq_conn_send(client, "x", 1, WQT_LONG_MS);
    }
    assert_int_equal(err, WQ_ECLOSED);
    wq_conn_close(client);
}

static void receive_timeout_gets_etimedout_and_the_connection_lives(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(server, 100, 50, &buf, &len), WQ_ETIMEDOUT);
    assert_null(buf);
    assert_int_equal(wq_conn_recv(server, 100, 0, &buf, &len), WQ_ETIMEDOUT);
    wqt_send_str(client, "late");
    wqt_expect_str(server, "late");
    /* Each call's own timeout counts, whatever the one before used: after
     * an unbounded wait that got its message, a short one still ends (a
     * backend that kept the earlier bound would hang here). */
    wqt_send_str(client, "now");
    assert_int_equal(wq_conn_recv(server, 100, WQ_WAIT_FOREVER, &buf, &len), WQ_OK);
    assert_int_equal(len, 3);
    wq_free(buf);
    assert_int_equal(wq_conn_recv(server, 100, 20, &buf, &len), WQ_ETIMEDOUT);
    wqt_send_str(client, "again");
    assert_int_equal(wq_conn_recv(server, 100, 60000, &buf, &len), WQ_OK);
    assert_memory_equal(buf, "again", 5);
    wq_free(buf);
    assert_int_equal(wq_conn_recv(server, 100, 0, &buf, &len), WQ_ETIMEDOUT);
    /* A zero timeout does not wait, but takes what has already arrived
     * (a send returns once its message is with the peer). */
    wqt_send_str(client, "here");
    wqt_send_str(client, "too");
    assert_int_equal(wq_conn_recv(server, 100, 0, &buf, &len), WQ_OK);
    assert_memory_equal(buf, "here", 4);
    wq_free(buf);
    assert_int_equal(wq_conn_recv(server, 100, 0, &buf, &len), WQ_OK);
    assert_memory_equal(buf, "too", 3);
    wq_free(buf);
    assert_int_equal(wq_conn_recv(server, 100, 0, &buf, &len), WQ_ETIMEDOUT);
    wq_conn_close(client);
    wq_conn_close(server);
}

static void accept_timeout_gets_etimedout(void **state)
{
    wqt_listening *f = *state;
    wq_conn *c = NULL;
    assert_int_equal(wq_listener_accept(f->l, 50, &c), WQ_ETIMEDOUT);
    assert_null(c);
    wq_conn *client, *server;
    wqt_pair(f, &client, &server); /* the listener still works */
    wq_conn_close(client);
    wq_conn_close(server);
}

struct blocked_recv {
    wqi_thread t;
    wq_conn *c;
    wq_err result;
};

static void blocked_recv_main(void *arg)
{
    struct blocked_recv *b = arg;
    void *buf;
    size_t len;
    b->result = wq_conn_recv(b->c, 100, WQ_WAIT_FOREVER, &buf, &len);
}

static void shutdown_from_another_thread_wakes_a_blocked_receive(void **state)
{
    wqt_listening *f = *state;
    /* The shutdown may land before or after the receive blocks; over many
     * rounds both orders happen, and a receive that is not woken hangs the
     * test until CTest's timeout fails it. */
    for (int round = 0; round < 20; round++) {
        wq_conn *client, *server;
        wqt_pair(f, &client, &server);
        struct blocked_recv b = {.c = client};
        assert_int_equal(wqi_thread_start(&b.t, blocked_recv_main, &b), WQ_OK);
        wq_conn_shutdown(client);
        wqi_thread_join(&b.t);
        assert_int_equal(b.result, WQ_ECLOSED);
        /* Later calls fail too, and the peer sees the connection closed. */
        assert_int_equal(wq_conn_send(client, "x", 1, WQT_LONG_MS), WQ_ECLOSED);
        void *buf;
        size_t len;
        assert_int_equal(wq_conn_recv(server, 100, WQT_LONG_MS, &buf, &len), WQ_ECLOSED);
        wq_conn_close(client);
        wq_conn_close(server);
    }
}

struct blocked_accept {
    wqi_thread t;
    wq_listener *l;
    wq_err result;
};

static void blocked_accept_main(void *arg)
{
    struct blocked_accept *b = arg;
    wq_conn *c = NULL;
    b->result = wq_listener_accept(b->l, WQ_WAIT_FOREVER, &c);
    wq_conn_close(c);
}

static void listener_shutdown_wakes_a_blocked_accept_and_refuses_clients(void **state)
{
    (void)state;
    for (int round = 0; round < 10; round++) {
        wqt_scratch ep;
        wqt_scratch_init(&ep, T, "sd");
        struct blocked_accept b = {0};
        assert_int_equal(wq_listener_open(T, ep.endpoint, NULL, &b.l), WQ_OK);
        assert_int_equal(wqi_thread_start(&b.t, blocked_accept_main, &b), WQ_OK);
        wq_listener_shutdown(b.l);
        wqi_thread_join(&b.t);
        assert_int_equal(b.result, WQ_ECLOSED);
        wq_conn *c = NULL;
        assert_int_equal(wq_listener_accept(b.l, 0, &c), WQ_ECLOSED);
        wq_err err = wq_conn_connect(T, ep.endpoint, 0, &c);
        assert_true(err == WQ_ENOENT || err == WQ_ECLOSED || err == WQ_ETIMEDOUT);
        assert_null(c);
        wq_listener_close(b.l);
        wqt_scratch_cleanup(&ep);
    }
}

static void peer_identity_names_this_process(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    wqt_send_str(client, "who");
    wqt_expect_str(server, "who");
    wqt_send_str(server, "me");
    wqt_expect_str(client, "me");

    uint32_t uid, gid;
    int has_ugid = wqi_process_ugid(&uid, &gid);
    char sid[192];
    wqi_process_sid(sid, sizeof sid);
    wq_conn *ends[2] = {server, client};
    for (int i = 0; i < 2; i++) {
        wq_peer p;
        memset(&p, 0xAB, sizeof p);
        assert_int_equal(wq_conn_peer(ends[i], &p), WQ_OK);
        assert_int_equal(p.pid, wqi_process_id());
        assert_int_equal(p.has_ugid, has_ugid);
        if (has_ugid) {
            assert_int_equal(p.uid, uid);
            assert_int_equal(p.gid, gid);
        }
        assert_string_equal(p.sid, sid);
    }
    wq_conn_close(client);
    wq_conn_close(server);
}

static void a_thousand_clients_that_leave_at_once_do_not_stop_the_listener(void **state)
{
    wqt_listening *f = *state;
    struct echo_server s;
    echo_start(&s, f->l, 0);
    for (int i = 0; i < 1000; i++) {
        wq_conn *c;
        assert_int_equal(wq_conn_connect(T, f->ep.endpoint, WQT_LONG_MS, &c), WQ_OK);
        wq_conn_close(c);
    }
    wq_conn *c;
    assert_int_equal(wq_conn_connect(T, f->ep.endpoint, WQT_LONG_MS, &c), WQ_OK);
    wqt_send_str(c, "served");
    wqt_expect_str(c, "served");
    wq_conn_close(c);
    echo_stop(&s);
}

static void bad_arguments_get_einval(void **state)
{
    wqt_listening *f = *state;
    char buf[WQ_ENDPOINT_MAX];
    wq_listener *l = NULL;
    wq_conn *c = NULL;
    void *msg = NULL;
    size_t len = 0;
    wq_peer p;

    assert_int_equal(wq_listener_open(T, f->ep.endpoint, NULL, NULL), WQ_EINVAL);
    assert_int_equal(wq_listener_open(T, "bad\nname", NULL, &l), WQ_EINVAL);
    assert_null(l);
    assert_int_equal(wq_listener_accept(NULL, 0, &c), WQ_EINVAL);
    assert_int_equal(wq_listener_accept(f->l, 0, NULL), WQ_EINVAL);
    assert_int_equal(wq_conn_connect(T, f->ep.endpoint, 0, NULL), WQ_EINVAL);
    assert_int_equal(wq_conn_connect(T, "bad\x01name", 0, &c), WQ_EINVAL);
    assert_int_equal(wq_endpoint_resolve(T, "x", NULL, 10), WQ_EINVAL);
    assert_int_equal(wq_endpoint_resolve(T, "x", buf, 0), WQ_EINVAL);
    assert_int_equal(wq_conn_send(NULL, "x", 1, 0), WQ_EINVAL);
    assert_int_equal(wq_conn_recv(NULL, 10, 0, &msg, &len), WQ_EINVAL);
    assert_int_equal(wq_conn_peer(NULL, &p), WQ_EINVAL);

    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    assert_int_equal(wq_conn_send(client, NULL, 5, 0), WQ_EINVAL);
    assert_int_equal(wq_conn_recv(server, 10, 0, NULL, &len), WQ_EINVAL);
    assert_int_equal(wq_conn_recv(server, 10, 0, &msg, NULL), WQ_EINVAL);
    assert_int_equal(wq_conn_peer(server, NULL), WQ_EINVAL);
    /* None of that disturbed the connection. */
    wqt_send_str(client, "fine");
    wqt_expect_str(server, "fine");
    wq_conn_close(client);
    wq_conn_close(server);
    /* NULL is accepted where the header says so. */
    wq_listener_close(NULL);
    wq_conn_close(NULL);
    wq_listener_shutdown(NULL);
    wq_conn_shutdown(NULL);
    wq_free(NULL);
}

static void endpoint_names_follow_the_default_rule(void **state)
{
    (void)state;
    char a[WQ_ENDPOINT_MAX], b[WQ_ENDPOINT_MAX];
    /* NULL and "" mean the same default; the default names the service. */
    assert_int_equal(wq_endpoint_resolve(T, NULL, a, sizeof a), WQ_OK);
    assert_int_equal(wq_endpoint_resolve(T, "", b, sizeof b), WQ_OK);
    assert_string_equal(a, b);
    const char *env = wqi_getenv("WORKQ_ENDPOINT");
    if (env == NULL || env[0] == '\0') {
        assert_non_null(strstr(a, WQ_DEFAULT_ENDPOINT));
    }
    /* A result that does not fit is refused, not truncated. */
    assert_int_equal(wq_endpoint_resolve(T, "abc", a, 3), WQ_ENAMETOOLONG);
    assert_string_equal(a, "");
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "mem") != 0 && strcmp(argv[1], "native") != 0)) {
        fprintf(stderr, "usage: transport_contract mem|native\n");
        return 2;
    }
    T = strcmp(argv[1], "mem") == 0 ? wq_transport_mem() : wq_transport_native();
    char group[64];
    snprintf(group, sizeof group, "contract.%s", wq_transport_name(T));

#define WITH_LISTENER(fn) cmocka_unit_test_setup_teardown(fn, open_listener, close_listener)
    const struct CMUnitTest tests[] = {
        WITH_LISTENER(listen_connect_accept_and_echo),
        WITH_LISTENER(three_messages_back_to_back_arrive_as_three),
        WITH_LISTENER(empty_message_is_a_message),
        WITH_LISTENER(one_mebibyte_message_arrives_intact),
        WITH_LISTENER(max_size_accepted_and_max_plus_one_rejected_without_allocating),
        WITH_LISTENER(sixteen_clients_each_do_a_thousand_round_trips),
        cmocka_unit_test(connect_to_a_missing_endpoint_fails_at_once),
        WITH_LISTENER(second_listener_gets_addrinuse_and_first_still_works),
        WITH_LISTENER(receive_after_peer_closed_gets_eclosed),
        WITH_LISTENER(send_after_peer_closed_gets_eclosed),
        WITH_LISTENER(receive_timeout_gets_etimedout_and_the_connection_lives),
        WITH_LISTENER(accept_timeout_gets_etimedout),
        WITH_LISTENER(shutdown_from_another_thread_wakes_a_blocked_receive),
        cmocka_unit_test(listener_shutdown_wakes_a_blocked_accept_and_refuses_clients),
        WITH_LISTENER(peer_identity_names_this_process),
        WITH_LISTENER(a_thousand_clients_that_leave_at_once_do_not_stop_the_listener),
        WITH_LISTENER(bad_arguments_get_einval),
        cmocka_unit_test(endpoint_names_follow_the_default_rule),
    };
    return cmocka_run_group_tests_name(group, tests, NULL, NULL);
}
