/* conn_fixture.c — shared helpers of the transport tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "conn_fixture.h"

wqt_listening *wqt_listening_open(const wq_transport *t, const char *tag)
{
    wqt_listening *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->t = t;
    wqt_scratch_init(&f->ep, t, tag);
    assert_int_equal(wq_listener_open(t, f->ep.endpoint, NULL, &f->l), WQ_OK);
    return f;
}

void wqt_listening_close(wqt_listening *f)
{
    wq_listener_close(f->l);
    wqt_scratch_cleanup(&f->ep);
    free(f);
}

void wqt_pair(wqt_listening *f, wq_conn **client, wq_conn **server)
{
    assert_int_equal(wq_conn_connect(f->t, f->ep.endpoint, WQT_LONG_MS, client), WQ_OK);
    assert_int_equal(wq_listener_accept(f->l, WQT_LONG_MS, server), WQ_OK);
}

void wqt_send_str(wq_conn *c, const char *s)
{
    assert_int_equal(wq_conn_send(c, s, strlen(s), WQT_LONG_MS), WQ_OK);
}

void wqt_expect_msg(wq_conn *c, const void *msg, size_t n)
{
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(c, n + 64, WQT_LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, msg, n);
    assert_int_equal(((char *)buf)[n], '\0');
    wq_free(buf);
}

void wqt_expect_str(wq_conn *c, const char *s)
{
    wqt_expect_msg(c, s, strlen(s));
}

unsigned char *wqt_pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n > 0 ? n : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    return p;
}

static void sender_main(void *arg)
{
    wqt_sender *s = arg;
    s->result = wq_conn_send(s->c, s->buf, s->len, s->timeout_ms);
}

void wqt_sender_start(wqt_sender *s, wq_conn *c, const void *buf, size_t len, int timeout_ms)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->buf = buf;
    s->len = len;
    s->timeout_ms = timeout_ms;
    assert_int_equal(wqi_thread_start(&s->t, sender_main, s), WQ_OK);
}

wq_err wqt_sender_join(wqt_sender *s)
{
    wqi_thread_join(&s->t);
    return s->result;
}

static size_t largest_alloc;

static void note_alloc(size_t size)
{
    if (size > largest_alloc) {
        largest_alloc = size;
    }
}

void wqt_alloc_watch(void)
{
    largest_alloc = 0;
    wqi_alloc_set_observer(note_alloc);
}

size_t wqt_alloc_unwatch(void)
{
    wqi_alloc_set_observer(NULL);
    return largest_alloc;
}
