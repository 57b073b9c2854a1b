/* test_npipe_robustness.c — the npipe backend under awkward clients and
 * sizes (checklist T-WPR-a, -c, T-WPS-d, WPR-3/4/6/9): long messages read
 * in pieces come out byte-exact and the size limit is enforced before
 * allocating; clients that come and go are absorbed without leaking
 * handles; the pipe always has an instance for the next client; blocked
 * and timed-out writes are cancelled cleanly; a raw Win32 client in message
 * mode (what a .NET NamedPipeClientStream does) talks to us unchanged.
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

#define LONG_MS WQT_LONG_MS

static const wq_transport *T;

/* ---- helpers ---------------------------------------------------------- */

static int open_listener(void **state)
{
    *state = wqt_listening_open(T, "rob");
    return 0;
}

static int close_listener(void **state)
{
    wqt_listening_close(*state);
    return 0;
}

/* A raw Win32 client on the endpoint: synchronous, no SQOS, as simple
 * as clients written against the pipe directly are. */
static HANDLE open_raw(const char *endpoint, int message_mode)
{
    char full[WQ_ENDPOINT_MAX];
    assert_int_equal(wq_endpoint_resolve(T, endpoint, full, sizeof full), WQ_OK);
    WCHAR name[WQ_ENDPOINT_MAX];
    assert_true(MultiByteToWideChar(CP_UTF8, 0, full, -1, name, WQ_ENDPOINT_MAX) > 0);
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    if (message_mode) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        assert_true(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    }
    return h;
}

static DWORD handle_count(void)
{
    DWORD n = 0;
    assert_true(GetProcessHandleCount(GetCurrentProcess(), &n));
    return n;
}

/* ---- long messages ------------------------------------------------------ */

/* Sizes around the backend's first read and the pipe's buffer: each is
 * read whole at max == size, and size + 1 is refused without allocating
 * more than max. */
static void messages_read_in_pieces_are_exact_and_bounded(void **state)
{
    wqt_listening *f = *state;
    const size_t sizes[] = {1, 16, 17, 4096, 8191, 8192, 8193, 65536, 65537, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const size_t n = sizes[i];
        unsigned char *msg = wqt_pattern(n + 1, (unsigned)i);
        wq_conn *client, *server;
        wqt_pair(f, &client, &server);

        wqt_sender s;
        wqt_sender_start(&s, client, msg, n, LONG_MS);
        void *buf;
        size_t len;
        assert_int_equal(wq_conn_recv(server, n, LONG_MS, &buf, &len), WQ_OK);
        assert_int_equal(wqt_sender_join(&s), WQ_OK);
        assert_int_equal(len, n);
        assert_memory_equal(buf, msg, n);
        assert_int_equal(((char *)buf)[n], '\0');
        wq_free(buf);

        wqt_sender_start(&s, client, msg, n + 1, LONG_MS);
        wqt_alloc_watch();
        wq_err err = wq_conn_recv(server, n, LONG_MS, &buf, &len);
        size_t largest = wqt_alloc_unwatch();
        assert_int_equal(err, WQ_EMSGSIZE);
        assert_null(buf);
        assert_true(largest <= n);
        assert_int_equal(wq_conn_recv(server, n, 0, &buf, &len), WQ_EPROTO);
        /* Closing the server releases a sender still blocked on the rest. */
        wq_conn_close(server);
        wq_err sent = wqt_sender_join(&s);
        assert_true(sent == WQ_OK || sent == WQ_ECLOSED);
        wq_conn_close(client);
        free(msg);
    }
}

/* Reassembly stops at the end of its message: what follows is intact. */
static void a_long_message_does_not_eat_the_next_one(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    const size_t n = 20000;
    unsigned char *msg = wqt_pattern(n, 9);
    assert_int_equal(wq_conn_send(client, msg, n, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(client, "", 0, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(client, "next", 4, LONG_MS), WQ_OK);
    wqt_expect_msg(server, msg, n);
    wqt_expect_msg(server, "", 0);
    wqt_expect_msg(server, "next", 4);
    free(msg);
    wq_conn_close(client);
    wq_conn_close(server);
}

/* ---- clients that come and go ------------------------------------------- */

/* WPR-4 / T-WPR-c: a client that opens a fresh instance and closes it
 * before accept has called ConnectNamedPipe makes that call say
 * ERROR_NO_DATA; accept disconnects, listens again and hands out nothing.
 * Each round's accept leaves a fresh instance for the next round, so every
 * round takes that path; none may leak a handle. */
static void a_client_that_leaves_before_accept_is_absorbed(void **state)
{
    wqt_listening *f = *state;
    DWORD before = 0;
    for (int i = 0; i < 100; i++) {
        if (i == 1) {
            before = handle_count(); /* after one warm-up round */
        }
        CloseHandle(open_raw(f->ep.endpoint, 0));
        wq_conn *c = NULL;
        assert_int_equal(wq_listener_accept(f->l, 0, &c), WQ_ETIMEDOUT);
        assert_null(c);
        /* The instance listens again: the next client is served. */
        wq_conn *client, *server;
        wqt_pair(f, &client, &server);
        assert_int_equal(wq_conn_send(client, "served", 6, LONG_MS), WQ_OK);
        wqt_expect_msg(server, "served", 6);
        wq_conn_close(client);
        wq_conn_close(server);
    }
    /* Leaking per round would be 99 or more; allow for the OS's noise. */
    assert_true(handle_count() <= before + 8);
}

/* A client that leaves while ConnectNamedPipe is pending does not make
 * accept fail; at worst accept hands out a connection that is already
 * closed, and the next client is served. */
static void a_client_that_leaves_during_a_pending_connect_does_not_fail_accept(void **state)
{
    wqt_listening *f = *state;
    wq_conn *c = NULL;
    assert_int_equal(wq_listener_accept(f->l, 0, &c), WQ_ETIMEDOUT); /* connect pending */
    CloseHandle(open_raw(f->ep.endpoint, 0));
    assert_int_equal(wq_listener_accept(f->l, LONG_MS, &c), WQ_OK);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(c, 16, LONG_MS, &buf, &len), WQ_ECLOSED);
    wq_conn_close(c);

    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    assert_int_equal(wq_conn_send(server, "next", 4, LONG_MS), WQ_OK);
    wqt_expect_msg(client, "next", 4);
    wq_conn_close(client);
    wq_conn_close(server);
}

/* T-WPS-d: while one thread connects again and again, 200 accept/close
 * cycles never leave the pipe without an instance, so the connecting
 * thread never sees WQ_ENOENT. */
struct connector {
    wqi_thread t;
    const char *endpoint;
    volatile LONG stop;
    volatile LONG done;
    int connects;
    int enoent;
    int other;
};

static void connector_main(void *arg)
{
    struct connector *k = arg;
    while (!InterlockedCompareExchange(&k->stop, 0, 0)) {
        wq_conn *c;
        wq_err err = wq_conn_connect(T, k->endpoint, LONG_MS, &c);
        if (err == WQ_OK) {
            k->connects++;
            wq_conn_close(c);
        } else if (err == WQ_ENOENT) {
            k->enoent++;
        } else {
            k->other++;
        }
    }
    InterlockedExchange(&k->done, 1);
}

static void the_pipe_always_has_an_instance_for_the_next_client(void **state)
{
    wqt_listening *f = *state;
    struct connector k = {.endpoint = f->ep.endpoint};
    assert_int_equal(wqi_thread_start(&k.t, connector_main, &k), WQ_OK);
    for (int i = 0; i < 200; i++) {
        wq_conn *c;
        assert_int_equal(wq_listener_accept(f->l, LONG_MS, &c), WQ_OK);
        wq_conn_close(c);
    }
    /* Keep accepting until the connector has seen the stop flag: its last
     * connect may be waiting for an instance. */
    InterlockedExchange(&k.stop, 1);
    while (!InterlockedCompareExchange(&k.done, 0, 0)) {
        wq_conn *c;
        if (wq_listener_accept(f->l, 100, &c) == WQ_OK) {
            wq_conn_close(c);
        }
    }
    wqi_thread_join(&k.t);
    assert_int_equal(k.enoent, 0);
    assert_int_equal(k.other, 0);
    assert_true(k.connects >= 200);
}

/* ---- cancellation ------------------------------------------------------- */

/* WPR-6/9: a write the reader does not take times out, is cancelled and
 * waited for, and the connection can still be closed cleanly. */
static void a_write_nobody_reads_times_out(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    const size_t n = 1u << 20; /* far beyond the pipe's buffer */
    unsigned char *msg = wqt_pattern(n, 5);
    assert_int_equal(wq_conn_send(client, msg, n, 50), WQ_ETIMEDOUT);
    free(msg);
    wq_conn_close(client);
    /* The sender must close after a timeout; whatever part got through is
     * never taken for the whole message, and then the reader sees the
     * close. */
    wq_err err;
    do {
        void *buf;
        size_t len;
        err = wq_conn_recv(server, n, LONG_MS, &buf, &len);
        if (err == WQ_OK) {
            assert_true(len < n);
            wq_free(buf);
        }
    } while (err == WQ_OK);
    assert_true(err == WQ_ECLOSED || err == WQ_EPROTO);
    wq_conn_close(server);
}

/* Shutdown from another thread wakes a blocked send, too. */
static void shutdown_wakes_a_blocked_send(void **state)
{
    wqt_listening *f = *state;
    wq_conn *client, *server;
    wqt_pair(f, &client, &server);
    const size_t n = 1u << 20;
    unsigned char *msg = wqt_pattern(n, 6);
    wqt_sender s;
    wqt_sender_start(&s, client, msg, n, WQ_WAIT_FOREVER);
    wq_conn_shutdown(client);
    assert_int_equal(wqt_sender_join(&s), WQ_ECLOSED);
    free(msg);
    wq_conn_close(client);
    wq_conn_close(server);
}

/* ---- a raw client --------------------------------------------------------- */

/* No length prefix on Windows (docs/protocol.md): one WriteFile is one message
 * each way, empty ones included. */
static void a_raw_message_mode_client_talks_to_us(void **state)
{
    wqt_listening *f = *state;
    HANDLE raw = open_raw(f->ep.endpoint, 1);
    wq_conn *server;
    assert_int_equal(wq_listener_accept(f->l, LONG_MS, &server), WQ_OK);
    DWORD put = 0;
    assert_true(WriteFile(raw, "PING", 4, &put, NULL));
    assert_true(WriteFile(raw, "", 0, &put, NULL));
    assert_true(WriteFile(raw, "PING again", 10, &put, NULL));
    wqt_expect_msg(server, "PING", 4);
    wqt_expect_msg(server, "", 0);
    wqt_expect_msg(server, "PING again", 10);

    assert_int_equal(wq_conn_send(server, "OK PONG", 7, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(server, "2nd", 3, LONG_MS), WQ_OK);
    char buf[64];
    DWORD got = 0;
    assert_true(ReadFile(raw, buf, sizeof buf, &got, NULL));
    assert_int_equal(got, 7);
    assert_memory_equal(buf, "OK PONG", 7);
    assert_true(ReadFile(raw, buf, sizeof buf, &got, NULL));
    assert_int_equal(got, 3);

    CloseHandle(raw);
    void *msg;
    size_t len;
    assert_int_equal(wq_conn_recv(server, 16, LONG_MS, &msg, &len), WQ_ECLOSED);
    wq_conn_close(server);
}

int main(void)
{
    T = wq_transport_native();
#define WITH_LISTENER(fn) cmocka_unit_test_setup_teardown(fn, open_listener, close_listener)
    const struct CMUnitTest tests[] = {
        WITH_LISTENER(messages_read_in_pieces_are_exact_and_bounded),
        WITH_LISTENER(a_long_message_does_not_eat_the_next_one),
        WITH_LISTENER(a_client_that_leaves_before_accept_is_absorbed),
        WITH_LISTENER(a_client_that_leaves_during_a_pending_connect_does_not_fail_accept),
        WITH_LISTENER(the_pipe_always_has_an_instance_for_the_next_client),
        WITH_LISTENER(a_write_nobody_reads_times_out),
        WITH_LISTENER(shutdown_wakes_a_blocked_send),
        WITH_LISTENER(a_raw_message_mode_client_talks_to_us),
    };
    return cmocka_run_group_tests_name("npipe.robustness", tests, NULL, NULL);
}
