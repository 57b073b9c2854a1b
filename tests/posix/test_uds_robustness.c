/* test_uds_robustness.c — the uds wire against a raw socket peer
 * (checklist T-UR-a..d, T-US-b, US-7): hostile lengths, slow and split
 * writes, pipelining, peers that vanish, SIGPIPE, peer credentials,
 * close-on-exec and descriptor leaks.
 *
 * The raw peer is a plain blocking AF_UNIX socket driven with write() and
 * read(), so the bytes on the wire are exactly what each test says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/sockios.h> /* SIOCOUTQ */
#endif

#include <workq/transport.h>

#include "alloc.h"
#include "platform.h"
#include "raw_unix.h"
#include "scratch.h"

#define LONG_MS 20000
#define MAX 64u /* the receive limit most tests use */

static const wq_transport *T; /* native: uds */

/* ---- raw peer --------------------------------------------------------- */

static void raw_write(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

static void raw_read(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

static void put_header(uint8_t *out, uint32_t n)
{
    out[0] = (uint8_t)(n >> 24);
    out[1] = (uint8_t)(n >> 16);
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
}

/* Append one frame (header + body) to a byte buffer at *at. */
static void put_frame(uint8_t *out, size_t *at, const void *body, uint32_t len)
{
    put_header(out + *at, len);
    if (len > 0) {
        memcpy(out + *at + 4, body, len);
    }
    *at += 4 + (size_t)len;
}

static void raw_header(int fd, uint32_t len)
{
    uint8_t hdr[4];
    put_header(hdr, len);
    raw_write(fd, hdr, sizeof hdr);
}

static void raw_frame(int fd, const void *body, uint32_t len)
{
    raw_header(fd, len);
    raw_write(fd, body, len);
}

/* Read one frame from the raw side and compare it byte for byte, header
 * included: the length must be big-endian. */
static void expect_raw_frame(int fd, const void *body, uint32_t len)
{
    uint8_t want[4], got[4 + 64];
    assert_true(len <= 64);
    put_header(want, len);
    raw_read(fd, got, 4 + (size_t)len);
    assert_memory_equal(got, want, 4);
    if (len > 0) {
        assert_memory_equal(got + 4, body, len);
    }
}

/* ---- fixture: a listener, a raw client and its accepted server end ---- */

struct fixture {
    wqt_scratch s;
    wq_listener *l;
    wq_conn *server;
    int raw;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    wqt_scratch_init(&f->s, T, "r");
    assert_int_equal(wq_listener_open(T, f->s.endpoint, NULL, &f->l), WQ_OK);
    f->raw = wqt_unix_connect(f->s.endpoint);
    assert_int_equal(wq_listener_accept(f->l, LONG_MS, &f->server), WQ_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    wqi_alloc_set_observer(NULL);
    if (f->raw >= 0) {
        close(f->raw);
    }
    wq_conn_close(f->server);
    wq_listener_close(f->l);
    wqt_scratch_cleanup(&f->s);
    free(f);
    return 0;
}

static void close_raw(struct fixture *f)
{
    assert_int_equal(close(f->raw), 0);
    f->raw = -1;
}

static void expect_msg(wq_conn *c, size_t max, const void *body, size_t len)
{
    void *msg = NULL;
    size_t got = 0;
    assert_int_equal(wq_conn_recv(c, max, LONG_MS, &msg, &got), WQ_OK);
    assert_non_null(msg);
    assert_int_equal(got, len);
    if (len > 0) {
        assert_memory_equal(msg, body, len);
    }
    assert_int_equal(((char *)msg)[len], '\0');
    wq_free(msg);
}

static void expect_recv_err(wq_conn *c, size_t max, int timeout_ms, wq_err want)
{
    void *msg = (void *)1;
    size_t len = 1;
    assert_int_equal(wq_conn_recv(c, max, timeout_ms, &msg, &len), want);
    assert_null(msg);
    assert_int_equal(len, 0);
}

/* ---- allocation observer ---------------------------------------------- */

static size_t biggest_alloc;
static size_t total_alloc; /* bytes asked for */
static size_t count_alloc;

static void note_alloc(size_t size)
{
    if (size > biggest_alloc) {
        biggest_alloc = size;
    }
    total_alloc += size;
    count_alloc++;
}

static void watch_allocations(void)
{
    biggest_alloc = 0;
    total_alloc = 0;
    count_alloc = 0;
    wqi_alloc_set_observer(note_alloc);
}

/* ---- hostile lengths (T-UR-b) ----------------------------------------- */

static void oversized_header_is_rejected_before_allocating(uint32_t announced, void **state)
{
    struct fixture *f = *state;
    uint8_t hdr[4];
    put_header(hdr, announced);
    watch_allocations();
    raw_write(f->raw, hdr, sizeof hdr); /* no body follows: must not wait for it */
    expect_recv_err(f->server, MAX, LONG_MS, WQ_EMSGSIZE);
    wqi_alloc_set_observer(NULL);
    assert_true(biggest_alloc <= MAX + 1);

    /* The receive side is finished; the send side still carries a reply. */
    expect_recv_err(f->server, MAX, 0, WQ_EPROTO);
    assert_int_equal(wq_conn_send(f->server, "ERROR 413", 9, LONG_MS), WQ_OK);
    expect_raw_frame(f->raw, "ERROR 413", 9);
}

static void header_announcing_max_plus_one_is_rejected(void **state)
{
    oversized_header_is_rejected_before_allocating(MAX + 1, state);
}

static void header_announcing_4gib_is_rejected(void **state)
{
    oversized_header_is_rejected_before_allocating(0xFFFFFFFFu, state);
}

static void exactly_max_is_accepted(void **state)
{
    struct fixture *f = *state;
    uint8_t wire[4 + MAX], body[MAX];
    size_t at = 0;
    memset(body, 'm', sizeof body);
    put_frame(wire, &at, body, MAX);
    watch_allocations();
    raw_write(f->raw, wire, at);
    expect_msg(f->server, MAX, body, MAX);
    wqi_alloc_set_observer(NULL);
    assert_true(biggest_alloc <= MAX + 1);
}

/* ---- split and merged writes (T-UR-a) --------------------------------- */

struct trickle {
    int fd;
    const uint8_t *data;
    size_t len;
    size_t step; /* bytes per write() */
};

static void trickle_main(void *arg)
{
    struct trickle *t = arg;
    for (size_t i = 0; i < t->len; i += t->step) {
        size_t n = t->len - i < t->step ? t->len - i : t->step;
        const uint8_t *p = t->data + i;
        while (n > 0) {
            ssize_t k = write(t->fd, p, n);
            if (k <= 0) {
                return; /* the receiving assertions will report it */
            }
            p += k;
            n -= (size_t)k;
        }
    }
}

static void byte_at_a_time_writer_arrives_intact(void **state)
{
    struct fixture *f = *state;
    static uint8_t wire[2 * (4 + 300)];
    uint8_t body[300];
    for (size_t i = 0; i < sizeof body; i++) {
        body[i] = (uint8_t)(i * 7 + 1);
    }
    size_t at = 0;
    put_frame(wire, &at, body, sizeof body);
    put_frame(wire, &at, "tail", 4);
    struct trickle t = {f->raw, wire, at, 1};
    wqi_thread th;
    assert_int_equal(wqi_thread_start(&th, trickle_main, &t), WQ_OK);
    expect_msg(f->server, 1024, body, sizeof body);
    expect_msg(f->server, 1024, "tail", 4);
    wqi_thread_join(&th);
}

static void frames_in_one_write_arrive_separately_in_order(void **state)
{
    struct fixture *f = *state;
    uint8_t wire[64];
    size_t at = 0;
    put_frame(wire, &at, "one", 3);
    put_frame(wire, &at, "", 0);
    put_frame(wire, &at, "three", 5);
    raw_write(f->raw, wire, at); /* one write() */
    expect_msg(f->server, MAX, "one", 3);
    expect_msg(f->server, MAX, "", 0);
    expect_msg(f->server, MAX, "three", 5);
    expect_recv_err(f->server, MAX, 0, WQ_ETIMEDOUT); /* nothing invented */
}

/* ---- the read buffer (item 8: idle connections cost little) ----------- */

/* A listener, a raw client connected to it and the server end, accepted
 * while allocations are watched (from before the accept on). */
struct watched_pair {
    wqt_scratch s;
    wq_listener *l;
    int raw;
    wq_conn *server;
};

static void watched_pair_open(struct watched_pair *p, const char *tag)
{
    wqt_scratch_init(&p->s, T, tag);
    p->l = NULL;
    assert_int_equal(wq_listener_open(T, p->s.endpoint, NULL, &p->l), WQ_OK);
    p->raw = wqt_unix_connect(p->s.endpoint);
    watch_allocations();
    p->server = NULL;
    assert_int_equal(wq_listener_accept(p->l, LONG_MS, &p->server), WQ_OK);
}

static void watched_pair_close(struct watched_pair *p)
{
    close(p->raw);
    wq_conn_close(p->server);
    wq_listener_close(p->l);
    wqt_scratch_cleanup(&p->s);
}

/* A connection that only ever exchanges small messages, one at a time, is
 * served from the buffer on the receiving thread's stack: neither accepting
 * it nor its traffic allocates anything near the 64 KiB burst buffer. */
static void request_reply_traffic_never_allocates_a_large_buffer(void **state)
{
    (void)state;
    struct watched_pair p;
    watched_pair_open(&p, "rb");
    char body[48];
    memset(body, 'r', sizeof body);
    for (int i = 0; i < 100; i++) {
        raw_frame(p.raw, body, sizeof body);
        expect_msg(p.server, 4096, body, sizeof body);
    }
    wqi_alloc_set_observer(NULL);
    assert_true(biggest_alloc <= 4096);
    watched_pair_close(&p);
}

/* An idle connection holds no read buffer: accepting one allocates only
 * its small struct (reads between messages go to a buffer on the receiving
 * thread's stack), and each small message received one at a time
 * allocates the message and nothing else. */
static void an_idle_connection_holds_no_read_buffer(void **state)
{
    (void)state;
    struct watched_pair p;
    watched_pair_open(&p, "ri");
    wqi_alloc_set_observer(NULL);
    if (total_alloc > 256) {
        fail_msg("accepting a connection allocated %zu bytes", total_alloc);
    }
    char body[48];
    memset(body, 'i', sizeof body);
    for (uint32_t i = 1; i <= sizeof body; i++) {
        raw_frame(p.raw, body, i);
        watch_allocations();
        expect_msg(p.server, 4096, body, i);
        wqi_alloc_set_observer(NULL);
        assert_int_equal(count_alloc, 1);
        assert_int_equal(total_alloc, i + 1); /* the message and its NUL */
    }
    watched_pair_close(&p);
}

#if defined(__linux__)
/* Writes part 1, waits until the receiver has read all of it (the
 * sender's queue is empty: SIOCOUTQ), then writes part 2. */
struct two_parts {
    int fd;
    const uint8_t *p1, *p2;
    size_t n1, n2;
    int ok;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) {
            return 0;
        }
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

static void two_parts_main(void *arg)
{
    struct two_parts *t = arg;
    if (!write_all(t->fd, t->p1, t->n1)) {
        return;
    }
    int queued = 1;
    while (queued > 0) {
        if (ioctl(t->fd, SIOCOUTQ, &queued) != 0) {
            return;
        }
        sched_yield();
    }
    t->ok = write_all(t->fd, t->p2, t->n2);
}

/* A read that completes a body and brings in the next frame behind it
 * (which lands in the stack buffer) keeps that frame for the next
 * receive: the message is returned, the frame is not lost. */
static void a_frame_behind_a_completed_body_is_kept(void **state)
{
    struct fixture *f = *state;
    static uint8_t wire[4 + 300 + 4 + 5];
    uint8_t body[300];
    for (size_t i = 0; i < sizeof body; i++) {
        body[i] = (uint8_t)(i * 11 + 3);
    }
    size_t at = 0;
    put_frame(wire, &at, body, sizeof body);
    put_frame(wire, &at, "after", 5);
    /* Part 1: the header and 100 body bytes; part 2: the other 200 body
     * bytes and the whole next frame. */
    struct two_parts t = {f->raw, wire, wire + 104, 104, at - 104, 0};
    wqi_thread th;
    assert_int_equal(wqi_thread_start(&th, two_parts_main, &t), WQ_OK);
    expect_msg(f->server, 1024, body, sizeof body);
    wqi_thread_join(&th);
    assert_true(t.ok);
    expect_msg(f->server, 1024, "after", 5);
    expect_recv_err(f->server, MAX, 0, WQ_ETIMEDOUT); /* nothing invented */
}
#endif

/* Bursts move reads to the large buffer and quiet moves them back; no byte
 * is lost or reordered at either switch, including a read that exactly
 * fills the small buffer with one whole message. */
static void bursts_and_quiet_spells_keep_every_byte_in_order(void **state)
{
    struct fixture *f = *state;
    static uint8_t wire[16384];
    char body[600];
    for (size_t i = 0; i < sizeof body; i++) {
        body[i] = (char)('a' + i % 26);
    }
    for (int round = 0; round < 3; round++) {
        /* A burst: 400 frames of 1..20 bytes in one write (about 6 KiB). */
        size_t at = 0;
        for (uint32_t i = 0; i < 400; i++) {
            put_frame(wire, &at, body + i % 7, 1 + i % 20);
        }
        watch_allocations();
        raw_write(f->raw, wire, at);
        for (uint32_t i = 0; i < 400; i++) {
            expect_msg(f->server, 4096, body + i % 7, 1 + i % 20);
        }
        wqi_alloc_set_observer(NULL);
        if (biggest_alloc < 64u * 1024u) { /* the burst buffer was taken */
            fail_msg("round %d: biggest allocation %zu", round, biggest_alloc);
        }
        /* One message of exactly the small buffer's size (header
         * included), then one larger than it. */
        raw_frame(f->raw, body, 512 - 4);
        expect_msg(f->server, 4096, body, 512 - 4);
        raw_frame(f->raw, body, sizeof body);
        expect_msg(f->server, 4096, body, sizeof body);
        /* Quiet: one small message at a time gives the burst buffer back,
         * so the next round's burst takes it again. */
        for (uint32_t i = 0; i < 5; i++) {
            raw_frame(f->raw, body, 10 + i);
            expect_msg(f->server, 4096, body, 10 + i);
        }
    }
    expect_recv_err(f->server, MAX, 0, WQ_ETIMEDOUT); /* nothing invented */
}

static void large_frame_followed_by_small_ones_in_one_stream(void **state)
{
    struct fixture *f = *state;
    const size_t big = (1u << 20) + 3;
    size_t total = 4 + big + 4 + 5 + 4 + 0;
    uint8_t *wire = malloc(total);
    uint8_t *body = malloc(big);
    assert_non_null(wire);
    assert_non_null(body);
    for (size_t i = 0; i < big; i++) {
        body[i] = (uint8_t)(i ^ (i >> 9));
    }
    size_t at = 0;
    put_frame(wire, &at, body, (uint32_t)big);
    put_frame(wire, &at, "after", 5);
    put_frame(wire, &at, "", 0);
    /* Odd-sized writes so that frame boundaries fall inside reads. */
    struct trickle t = {f->raw, wire, at, 4093};
    wqi_thread th;
    assert_int_equal(wqi_thread_start(&th, trickle_main, &t), WQ_OK);
    expect_msg(f->server, big, body, big);
    expect_msg(f->server, big, "after", 5);
    expect_msg(f->server, big, "", 0);
    wqi_thread_join(&th);
    free(wire);
    free(body);
}

/* ---- peers that stop or vanish (T-UR-c) ------------------------------- */

static void peer_closing_mid_header_gives_eclosed(void **state)
{
    struct fixture *f = *state;
    raw_write(f->raw, "\0\0", 2);
    close_raw(f);
    expect_recv_err(f->server, MAX, LONG_MS, WQ_ECLOSED);
    expect_recv_err(f->server, MAX, LONG_MS, WQ_ECLOSED);
}

static void peer_closing_mid_body_gives_eclosed(void **state)
{
    struct fixture *f = *state;
    raw_header(f->raw, 10);
    raw_write(f->raw, "abc", 3);
    close_raw(f);
    expect_recv_err(f->server, MAX, LONG_MS, WQ_ECLOSED);
}

static void messages_sent_before_close_are_delivered_first(void **state)
{
    struct fixture *f = *state;
    uint8_t wire[32];
    size_t at = 0;
    put_frame(wire, &at, "last", 4);
    raw_write(f->raw, wire, at);
    close_raw(f);
    expect_msg(f->server, MAX, "last", 4);
    expect_recv_err(f->server, MAX, LONG_MS, WQ_ECLOSED);
}

static void timeout_with_nothing_consumed_keeps_the_connection(void **state)
{
    struct fixture *f = *state;
    expect_recv_err(f->server, MAX, 0, WQ_ETIMEDOUT);
    expect_recv_err(f->server, MAX, 10, WQ_ETIMEDOUT);
    raw_frame(f->raw, "ok", 2);
    expect_msg(f->server, MAX, "ok", 2);
}

static void timeout_mid_message_breaks_the_receive_side(void **state)
{
    struct fixture *f = *state;
    raw_header(f->raw, 5);
    raw_write(f->raw, "ab", 2); /* the rest never comes */
    expect_recv_err(f->server, MAX, 10, WQ_ETIMEDOUT);
    raw_write(f->raw, "cde", 3);
    expect_recv_err(f->server, MAX, LONG_MS, WQ_EPROTO);
    /* Sending still works. */
    assert_int_equal(wq_conn_send(f->server, "", 0, LONG_MS), WQ_OK);
    expect_raw_frame(f->raw, "", 0);
}

/* ---- SIGPIPE (T-UR-d) ------------------------------------------------- */

static void send_to_a_closed_peer_gives_eclosed_without_sigpipe(void **state)
{
    struct fixture *f = *state;
    /* Default disposition, not blocked: a SIGPIPE would kill this test. */
    void (*old)(int) = signal(SIGPIPE, SIG_DFL);
    sigset_t pipe_only, old_mask;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &pipe_only, &old_mask), 0);
    close_raw(f);
    wq_err err = WQ_OK;
    for (int i = 0; i < 100 && err == WQ_OK; i++) {
        err = wq_conn_send(f->server, "reply", 5, LONG_MS);
    }
    assert_int_equal(err, WQ_ECLOSED);
    assert_int_equal(wq_conn_send(f->server, "again", 5, LONG_MS), WQ_ECLOSED);

    /* The client side too: a server that went away. */
    wq_conn *client = NULL, *srv = NULL;
    assert_int_equal(wq_conn_connect(T, f->s.endpoint, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(f->l, LONG_MS, &srv), WQ_OK);
    wq_conn_close(srv);
    err = WQ_OK;
    for (int i = 0; i < 100 && err == WQ_OK; i++) {
        err = wq_conn_send(client, "req", 3, LONG_MS);
    }
    assert_int_equal(err, WQ_ECLOSED);
    wq_conn_close(client);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    signal(SIGPIPE, old);
}

/* ---- the wire format of sends ----------------------------------------- */

static void send_writes_a_big_endian_length_and_the_body(void **state)
{
    struct fixture *f = *state;
    static const uint8_t want[] = {0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 1, 2};
    uint8_t body[0x102], got[sizeof want + sizeof body];
    memset(body, 'b', sizeof body);
    assert_int_equal(wq_conn_send(f->server, "hello", 5, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(f->server, "", 0, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_send(f->server, body, sizeof body, LONG_MS), WQ_OK);
    raw_read(f->raw, got, sizeof got);
    assert_memory_equal(got, want, sizeof want);
    assert_memory_equal(got + sizeof want, body, sizeof body);
    if ((uint64_t)SIZE_MAX > 0xFFFFFFFFu) {
        /* Too long for the 4-byte length: refused before reading buf. */
        size_t huge = (size_t)0xFFFFFFFFu + 1u;
        assert_int_equal(wq_conn_send(f->server, "x", huge, LONG_MS), WQ_EINVAL);
    }
}

/* ---- identity and descriptors (T-US-b, US-7) -------------------------- */

static void expect_self(wq_conn *c)
{
    wq_peer p;
    assert_int_equal(wq_conn_peer(c, &p), WQ_OK);
    assert_int_equal(p.has_ugid, 1);
    assert_int_equal(p.pid, (uint64_t)getpid());
    assert_int_equal(p.uid, (uint32_t)geteuid());
    assert_int_equal(p.gid, (uint32_t)getegid());
    assert_string_equal(p.sid, "");
}

static void peer_credentials_are_those_of_this_process(void **state)
{
    struct fixture *f = *state;
    expect_self(f->server); /* the raw client is this process */
    wq_conn *client = NULL, *srv = NULL;
    assert_int_equal(wq_conn_connect(T, f->s.endpoint, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(f->l, LONG_MS, &srv), WQ_OK);
    expect_self(client); /* the listener is this process too */
    expect_self(srv);
    wq_conn_close(client);
    wq_conn_close(srv);
}

#define FD_SCAN 1024

static void open_fds(unsigned char *open)
{
    for (int fd = 0; fd < FD_SCAN; fd++) {
        open[fd] = fcntl(fd, F_GETFD) != -1;
    }
}

static int scratch_setup(void **state)
{
    wqt_scratch *s = calloc(1, sizeof *s);
    assert_non_null(s);
    wqt_scratch_init(s, T, "fd");
    *state = s;
    return 0;
}

static int scratch_teardown(void **state)
{
    wqt_scratch_cleanup(*state);
    free(*state);
    return 0;
}

static void every_descriptor_is_cloexec_and_none_leak(void **state)
{
    const wqt_scratch *s = *state;
    static unsigned char before[FD_SCAN], during[FD_SCAN], after[FD_SCAN];
    open_fds(before);
    wq_listener *l = NULL;
    wq_conn *client = NULL, *server = NULL;
    assert_int_equal(wq_listener_open(T, s->endpoint, NULL, &l), WQ_OK);
    assert_int_equal(wq_conn_connect(T, s->endpoint, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    open_fds(during);
    int added = 0;
    for (int fd = 0; fd < FD_SCAN; fd++) {
        if (during[fd] && !before[fd]) {
            added++;
            assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        }
    }
    assert_true(added >= 3); /* listening socket, client, server at least */
    /* A few clients that leave before being accepted change nothing. */
    for (int i = 0; i < 4; i++) {
        close(wqt_unix_connect(s->endpoint));
    }
    for (int i = 0; i < 4; i++) {
        wq_conn *c = NULL;
        assert_int_equal(wq_listener_accept(l, LONG_MS, &c), WQ_OK);
        expect_recv_err(c, MAX, LONG_MS, WQ_ECLOSED);
        wq_conn_close(c);
    }
    wq_conn_close(client);
    wq_conn_close(server);
    wq_listener_close(l);
    open_fds(after);
    assert_memory_equal(before, after, sizeof before);
}

int main(void)
{
    T = wq_transport_native();
    assert_string_equal(wq_transport_name(T), "uds");
#define RAW(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        RAW(header_announcing_max_plus_one_is_rejected),
        RAW(header_announcing_4gib_is_rejected),
        RAW(exactly_max_is_accepted),
        RAW(byte_at_a_time_writer_arrives_intact),
        RAW(frames_in_one_write_arrive_separately_in_order),
        RAW(large_frame_followed_by_small_ones_in_one_stream),
        cmocka_unit_test(request_reply_traffic_never_allocates_a_large_buffer),
        cmocka_unit_test(an_idle_connection_holds_no_read_buffer),
#if defined(__linux__)
        RAW(a_frame_behind_a_completed_body_is_kept),
#endif
        RAW(bursts_and_quiet_spells_keep_every_byte_in_order),
        RAW(peer_closing_mid_header_gives_eclosed),
        RAW(peer_closing_mid_body_gives_eclosed),
        RAW(messages_sent_before_close_are_delivered_first),
        RAW(timeout_with_nothing_consumed_keeps_the_connection),
        RAW(timeout_mid_message_breaks_the_receive_side),
        RAW(send_to_a_closed_peer_gives_eclosed_without_sigpipe),
        RAW(send_writes_a_big_endian_length_and_the_body),
        RAW(peer_credentials_are_those_of_this_process),
        cmocka_unit_test_setup_teardown(every_descriptor_is_cloexec_and_none_leak, scratch_setup,
                                        scratch_teardown),
    };
    return cmocka_run_group_tests_name("uds.robustness", tests, NULL, NULL);
}
