/* conn_fixture.h — what transport tests share: a listening endpoint as a
 * CMocka fixture, connected pairs, message patterns, a sender on its own
 * thread, and an allocation watcher. Every helper asserts (failing the
 * current test) rather than returning errors. */
#ifndef WQT_CONN_FIXTURE_H
#define WQT_CONN_FIXTURE_H

#include <stddef.h>

#include <workq/transport.h>

#include "platform.h"
#include "scratch.h"

/* Long enough that only a broken test ever waits this long. */
#define WQT_LONG_MS 20000

typedef struct wqt_listening {
    const wq_transport *t;
    wqt_scratch ep;
    wq_listener *l;
} wqt_listening;

/* A listener on a fresh endpoint of t (NULL: native), tagged for its name;
 * free with wqt_listening_close. */
wqt_listening *wqt_listening_open(const wq_transport *t, const char *tag);
void wqt_listening_close(wqt_listening *f);

/* Connect a client to f and accept its server end. */
void wqt_pair(wqt_listening *f, wq_conn **client, wq_conn **server);

/* Send s as one message; receive one and check it is exactly s (or the
 * n bytes at msg), NUL-terminated one past the end as the API promises. */
void wqt_send_str(wq_conn *c, const char *s);
void wqt_expect_str(wq_conn *c, const char *s);
void wqt_expect_msg(wq_conn *c, const void *msg, size_t n);

/* n bytes of a seeded pseudo-random pattern (catches reordering and loss);
 * free() it. */
unsigned char *wqt_pattern(size_t n, unsigned seed);

/* One send on its own thread, for messages larger than OS buffers, which
 * complete only as the reader takes them. Join with wqt_sender_join. */
typedef struct wqt_sender {
    wqi_thread t;
    wq_conn *c;
    const void *buf;
    size_t len;
    int timeout_ms;
    wq_err result;
} wqt_sender;

void wqt_sender_start(wqt_sender *s, wq_conn *c, const void *buf, size_t len, int timeout_ms);
wq_err wqt_sender_join(wqt_sender *s);

/* The largest allocation the library asks for between wqt_alloc_watch and
 * wqt_alloc_unwatch (which returns it). */
void wqt_alloc_watch(void);
size_t wqt_alloc_unwatch(void);

#endif /* WQT_CONN_FIXTURE_H */
