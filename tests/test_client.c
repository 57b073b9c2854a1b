/* test_client.c — the client library against a scripted fake server: it
 * writes exactly the requests docs/protocol.md describes, believes only replies
 * that match it (anything else is WQ_EPROTO), and maps ERROR lines to
 * wq_err with the server's sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>

#include "platform.h"
#include "scratch.h"

#define MAX_STEPS 8

/* The fake server answers each request with the next scripted reply and
 * records what it received. */
struct script {
    const char *replies[MAX_STEPS];
    size_t reply_lens[MAX_STEPS]; /* 0: strlen */
    size_t n;
    char received[MAX_STEPS][256];
    size_t received_lens[MAX_STEPS];
    size_t got;
    size_t batch; /* > 1: read this many requests before answering them */
    wq_listener *l;
    wqi_thread t;
};

static void fake_server(void *arg)
{
    struct script *s = arg;
    wq_conn *c;
    if (wq_listener_accept(s->l, 20000, &c) != WQ_OK) {
        return;
    }
    size_t answered = 0;
    while (answered < s->n) {
        /* Take the next request (or the next `batch` of them: a client
         * that waits for a reply before sending its next request then
         * never gets one), then answer what was taken. */
        size_t upto = s->batch > 1 ? answered + s->batch : answered + 1;
        for (; s->got < upto && s->got < s->n; s->got++) {
            void *msg;
            size_t len;
            if (wq_conn_recv(c, 255, 20000, &msg, &len) != WQ_OK) {
                wq_conn_close(c);
                return;
            }
            memcpy(s->received[s->got], msg, len);
            s->received_lens[s->got] = len;
            wq_free(msg);
        }
        for (; answered < s->got; answered++) {
            const char *r = s->replies[answered];
            size_t rl = s->reply_lens[answered] ? s->reply_lens[answered] : strlen(r);
            if (wq_conn_send(c, r, rl, 20000) != WQ_OK) {
                wq_conn_close(c);
                return;
            }
        }
    }
    wq_conn_close(c);
}

static wqt_scratch ep;
static struct script sc;

/* Start the fake server with a script (answering `batch` requests at a
 * time) and open a client to it. */
static wq_client *scripted_batch(const char *const *replies, size_t n, size_t batch)
{
    memset(&sc, 0, sizeof sc);
    sc.batch = batch;
    for (size_t i = 0; i < n; i++) {
        sc.replies[i] = replies[i];
    }
    sc.n = n;
    wqt_scratch_init(&ep, wq_transport_mem(), "client");
    assert_int_equal(wq_listener_open(wq_transport_mem(), ep.endpoint, NULL, &sc.l), WQ_OK);
    assert_int_equal(wqi_thread_start(&sc.t, fake_server, &sc), WQ_OK);
    wq_client_opts o;
    wq_client_opts_init(&o);
    o.transport = wq_transport_mem();
    wq_client *c;
    assert_int_equal(wq_client_open(ep.endpoint, &o, &c), WQ_OK);
    return c;
}

static wq_client *scripted(const char *const *replies, size_t n)
{
    return scripted_batch(replies, n, 1);
}

static void finish(wq_client *c)
{
    wq_client_close(c);
    wqi_thread_join(&sc.t);
    wq_listener_close(sc.l);
    wqt_scratch_cleanup(&ep);
}

static void assert_request(size_t i, const char *expect, size_t len)
{
    assert_true(i < sc.got);
    assert_int_equal(sc.received_lens[i], len);
    assert_memory_equal(sc.received[i], expect, len);
}

static void requests_are_written_as_the_protocol_says(void **state)
{
    (void)state;
    const char *replies[] = {"OK", "OK 7", "EMPTY", "OK", "OK", "OK 3", "OK PONG"};
    wq_client *c = scripted(replies, 7);
    uint64_t id = 0, purged = 0;
    wq_item item;
    int found = 1;
    assert_int_equal(wq_client_create(c, "MyWorkQueue"), WQ_OK);
    assert_int_equal(wq_client_publish(c, "q", "a b\n\0c", 6, &id), WQ_OK);
    assert_int_equal(id, 7);
    assert_int_equal(wq_client_retrieve(c, "q", 250, &item, &found), WQ_OK);
    assert_int_equal(found, 0);
    assert_int_equal(wq_client_ack(c, "q", UINT64_MAX), WQ_OK);
    assert_int_equal(wq_client_release(c, "q", 0), WQ_OK);
    assert_int_equal(wq_client_purge(c, "q", &purged), WQ_OK);
    assert_int_equal(purged, 3);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    finish(c);
    assert_request(0, "CREATE MyWorkQueue", 18);
    assert_request(1, "PUBLISH q a b\n\0c", 16);
    assert_request(2, "RETRIEVE q 250", 14);
    assert_request(3, "ACK q 18446744073709551615", 26);
    assert_request(4, "RELEASE q 0", 11);
    assert_request(5, "PURGE q", 7);
    assert_request(6, "PING", 4);
}

static void good_replies_are_parsed(void **state)
{
    (void)state;
    const char *replies[] = {
        "OK 2\nalpha started 3 1\nBeta stopped 0 0",
        "OK Beta stopped 4 2 10 4",
        "ITEM 42 two words\nand a line",
        "OK workq 1.2.3 1 4194304",
    };
    wq_client *c = scripted(replies, 4);
    wq_queue_info *rows;
    size_t n;
    assert_int_equal(wq_client_list(c, &rows, &n), WQ_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].name, "alpha");
    assert_int_equal(rows[0].started, 1);
    assert_int_equal(rows[0].ready, 3);
    assert_int_equal(rows[0].leased, 1);
    assert_string_equal(rows[1].name, "Beta");
    assert_int_equal(rows[1].started, 0);
    wq_free(rows);
    wq_queue_info q;
    assert_int_equal(wq_client_status(c, "Beta", &q), WQ_OK);
    assert_string_equal(q.name, "Beta");
    assert_int_equal(q.ready, 4);
    assert_int_equal(q.leased, 2);
    assert_int_equal(q.published, 10);
    assert_int_equal(q.completed, 4);
    wq_item item;
    int found = 0;
    assert_int_equal(wq_client_retrieve(c, "q", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.id, 42);
    assert_int_equal(item.len, 20);
    assert_memory_equal(item.payload, "two words\nand a line", 20);
    wq_free(item.payload);
    char version[16];
    uint64_t max = 0;
    assert_int_equal(wq_client_hello(c, version, sizeof version, &max), WQ_OK);
    assert_string_equal(version, "1.2.3");
    assert_int_equal(max, 4194304);
    finish(c);
    assert_request(2, "RETRIEVE q", 10); /* no wait: no number */
}

static void error_replies_become_their_codes_with_the_sentence(void **state)
{
    (void)state;
    const char *replies[] = {
        "ERROR 409 queue MyWorkQueue already exists",
        "ERROR 404 no such queue nope",
        "ERROR 503 shutdown server is stopping",
        "ERROR 503 busy connection limit reached",
        "ERROR 507 queue q is full",
    };
    wq_client *c = scripted(replies, 5);
    assert_int_equal(wq_client_create(c, "myworkqueue"), WQ_EEXIST);
    assert_string_equal(wq_client_message(c), "queue MyWorkQueue already exists");
    assert_int_equal(wq_client_delete(c, "nope"), WQ_ENOTFOUND);
    assert_string_equal(wq_client_message(c), "no such queue nope");
    assert_int_equal(wq_client_ping(c), WQ_ESHUTDOWN);
    assert_string_equal(wq_client_message(c), "shutdown server is stopping");
    assert_int_equal(wq_client_ping(c), WQ_EBUSY);
    assert_string_equal(wq_client_message(c), "busy connection limit reached");
    assert_int_equal(wq_client_publish(c, "q", "x", 1, NULL), WQ_ELIMIT);
    finish(c);
}

static void replies_that_break_the_protocol_are_eproto(void **state)
{
    (void)state;
    const char *replies[] = {
        "OK x",                /* publish: not a number */
        "OK 2\nq started 1 1", /* list: a row missing */
        "OK 1\nq running 1 1", /* list: unknown state */
        "ITEM x hello",        /* retrieve: bad id */
        "OK q stopped 1 2 3",  /* status: a counter missing */
        "ERROR 4x4 what",      /* malformed error line */
        "OK PONG extra",       /* ping: trailing junk */
        "OK workq 1.0 1 -5",   /* hello: bad number */
    };
    wq_client *c = scripted(replies, 8);
    wq_queue_info *rows = NULL;
    size_t n = 0;
    wq_item item;
    int found = 0;
    wq_queue_info q;
    assert_int_equal(wq_client_publish(c, "q", "x", 1, NULL), WQ_EPROTO);
    assert_int_equal(wq_client_list(c, &rows, &n), WQ_EPROTO);
    assert_null(rows);
    assert_int_equal(wq_client_list(c, &rows, &n), WQ_EPROTO);
    assert_int_equal(wq_client_retrieve(c, "q", -1, &item, &found), WQ_EPROTO);
    assert_int_equal(found, 0);
    assert_null(item.payload);
    assert_int_equal(wq_client_status(c, "q", &q), WQ_EPROTO);
    assert_int_equal(wq_client_create(c, "q"), WQ_EPROTO);
    assert_int_equal(wq_client_ping(c), WQ_EPROTO);
    assert_int_equal(wq_client_hello(c, NULL, 0, NULL), WQ_EPROTO);
    finish(c);
}

static void a_bad_queue_name_is_refused_before_anything_is_sent(void **state)
{
    (void)state;
    const char *replies[] = {"OK PONG"};
    wq_client *c = scripted(replies, 1);
    /* A space would smuggle an argument: "ACK a 5 7". */
    assert_int_equal(wq_client_ack(c, "a 5", 7), WQ_EBADREQ);
    assert_int_equal(wq_client_create(c, ""), WQ_EBADREQ);
    assert_int_equal(wq_client_publish(c, "bad\nname", "x", 1, NULL), WQ_EBADREQ);
    assert_string_equal(wq_client_message(c), "bad queue name");
    assert_int_equal(wq_client_ping(c), WQ_OK);
    finish(c);
    assert_int_equal(sc.got, 1);
    assert_request(0, "PING", 4); /* the first thing the server saw */
}

/* ACK and RETRIEVE in one round trip: the fake server reads both requests
 * before it answers either, so a client that waited in between would never
 * see a reply. */
static void ack_retrieve_sends_both_requests_before_reading_a_reply(void **state)
{
    (void)state;
    const char *replies[] = {"OK", "ITEM 9 next job", "OK", "EMPTY"};
    wq_client *c = scripted_batch(replies, 4, 2);
    wq_item item;
    int found = 0;
    assert_int_equal(wq_client_ack_retrieve(c, "q", 5, 100, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.id, 9);
    assert_int_equal(item.len, 8);
    assert_memory_equal(item.payload, "next job", 8);
    wq_free(item.payload);
    assert_int_equal(wq_client_ack_retrieve(c, "q", 9, -1, &item, &found), WQ_OK);
    assert_int_equal(found, 0);
    assert_null(item.payload);
    finish(c);
    assert_request(0, "ACK q 5", 7);
    assert_request(1, "RETRIEVE q 100", 14);
    assert_request(2, "ACK q 9", 7);
    assert_request(3, "RETRIEVE q", 10);
}

/* A failed ACK is what the call returns, but the RETRIEVE still ran: its
 * item is handed over, not lost. */
static void ack_retrieve_returns_the_ack_error_and_still_hands_over_the_item(void **state)
{
    (void)state;
    const char *replies[] = {"ERROR 404 no lease 5 on q",    "ITEM 10 x", "OK 3", "EMPTY", "OK",
                             "ERROR 410 queue q was deleted"};
    wq_client *c = scripted(replies, 6);
    wq_item item;
    int found = 0;
    assert_int_equal(wq_client_ack_retrieve(c, "q", 5, -1, &item, &found), WQ_ENOTFOUND);
    assert_string_equal(wq_client_message(c), "no lease 5 on q");
    assert_int_equal(found, 1);
    assert_int_equal(item.id, 10);
    assert_memory_equal(item.payload, "x", 1);
    wq_free(item.payload);
    /* An ACK reply that is not "OK" breaks the protocol. */
    assert_int_equal(wq_client_ack_retrieve(c, "q", 10, -1, &item, &found), WQ_EPROTO);
    assert_int_equal(found, 0);
    /* ACK fine, RETRIEVE refused: the RETRIEVE's error. */
    assert_int_equal(wq_client_ack_retrieve(c, "q", 11, -1, &item, &found), WQ_EGONE);
    assert_string_equal(wq_client_message(c), "queue q was deleted");
    assert_int_equal(found, 0);
    /* Bad arguments send nothing. */
    assert_int_equal(wq_client_ack_retrieve(c, "bad name", 1, -1, &item, &found), WQ_EBADREQ);
    assert_int_equal(wq_client_ack_retrieve(c, "q", 1, -1, NULL, &found), WQ_EINVAL);
    finish(c);
    assert_int_equal(sc.got, 6);
}

/* wq_client_new + wq_client_connect: a client before (or after a failed)
 * connect refuses requests locally and says why; connect works once. */
static void a_client_connects_in_two_steps_and_keeps_the_reason_it_could_not(void **state)
{
    (void)state;
    wq_client_opts o;
    wq_client_opts_init(&o);
    o.transport = wq_transport_mem();
    o.server_account = "copied"; /* the client keeps its own copy */
    wq_client *c = NULL;
    assert_int_equal(wq_client_new(&o, &c), WQ_OK);
    o.server_account = NULL;
    assert_non_null(c);
    assert_string_equal(wq_client_message(c), "");
    assert_int_equal(wq_client_ping(c), WQ_ECLOSED);
    assert_string_equal(wq_client_message(c), "not connected");
    wq_item item;
    int found = 1;
    assert_int_equal(wq_client_ack_retrieve(c, "q", 1, -1, &item, &found), WQ_ECLOSED);
    assert_int_equal(found, 0);

    /* Nobody listens yet: the connect fails, the client stays usable. */
    wqt_scratch_init(&ep, wq_transport_mem(), "two");
    assert_int_equal(wq_client_connect(c, ep.endpoint), WQ_ENOENT);
    assert_string_equal(wq_client_message(c), wq_strerror(WQ_ENOENT));
    assert_int_equal(wq_client_connect(c, "bad\nname"), WQ_EINVAL);

    /* Now someone does (mem has nobody to distrust: in-process). */
    static const char *const replies[] = {"OK PONG"};
    memset(&sc, 0, sizeof sc);
    sc.replies[0] = replies[0];
    sc.n = 1;
    assert_int_equal(wq_listener_open(wq_transport_mem(), ep.endpoint, NULL, &sc.l), WQ_OK);
    assert_int_equal(wqi_thread_start(&sc.t, fake_server, &sc), WQ_OK);
    assert_int_equal(wq_client_connect(c, ep.endpoint), WQ_OK);
    assert_int_equal(wq_client_connect(c, ep.endpoint), WQ_EINVAL);
    assert_string_equal(wq_client_message(c), "already connected");
    assert_int_equal(wq_client_ping(c), WQ_OK);
    finish(c);
    assert_int_equal(sc.got, 1);

    /* The one-call form leaves nothing behind on failure. */
    wq_client *none = (wq_client *)&o; /* not NULL, to see it cleared */
    wqt_scratch_init(&ep, wq_transport_mem(), "gone");
    assert_int_equal(wq_client_open(ep.endpoint, &o, &none), WQ_ENOENT);
    assert_null(none);
    wqt_scratch_cleanup(&ep);
    assert_int_equal(wq_client_new(NULL, NULL), WQ_EINVAL);
    assert_int_equal(wq_client_connect(NULL, ep.endpoint), WQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_are_written_as_the_protocol_says),
        cmocka_unit_test(good_replies_are_parsed),
        cmocka_unit_test(error_replies_become_their_codes_with_the_sentence),
        cmocka_unit_test(replies_that_break_the_protocol_are_eproto),
        cmocka_unit_test(a_bad_queue_name_is_refused_before_anything_is_sent),
        cmocka_unit_test(ack_retrieve_sends_both_requests_before_reading_a_reply),
        cmocka_unit_test(ack_retrieve_returns_the_ack_error_and_still_hands_over_the_item),
        cmocka_unit_test(a_client_connects_in_two_steps_and_keeps_the_reason_it_could_not),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
