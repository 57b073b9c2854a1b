/* live.h — a real workq server for acceptance and end-to-end tests.
 *
 * Each test starts its own server with wq_server_start() on a fresh
 * scratch endpoint over the native transport (Unix sockets on POSIX, named
 * pipes on Windows) and talks to it through the client library, exactly as
 * a separate program would. Also: the check that every scenario of a
 * .feature file has a CMocka test of the same name.
 */
#ifndef WQT_LIVE_H
#define WQT_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include <workq/client.h>
#include <workq/server.h>
#include <workq/transport.h>

#include "scratch.h"

/* Generous: a wait this long only ends a test that is already broken. */
#define WQT_LONG_MS 20000

typedef struct wqt_live {
    wqt_scratch ep;
    wq_server *server;
} wqt_live;

/* Start a server on a new scratch endpoint. cfg NULL: the defaults of
 * wq_server_config_init; otherwise a copy of *cfg is used with the
 * transport and endpoint replaced (native, the scratch endpoint). */
void wqt_live_start(wqt_live *l, const char *tag, const wq_server_config *cfg);

/* Stop the server (if started) and remove the scratch endpoint. */
void wqt_live_stop(wqt_live *l);

/* A new client connected to the live server (fails the test otherwise). */
wq_client *wqt_live_client(const wqt_live *l);

/* A raw connection to the live server (wq_conn_connect, native). */
wq_conn *wqt_live_conn(const wqt_live *l);

/* Poll wq_server_connections() until it equals n: a bounded retry (the
 * server notices a closed connection on its own thread). Returns 1 when it
 * did, 0 after about WQT_LONG_MS. */
int wqt_wait_connections(wq_server *s, uint32_t n);

/* Send request (a NUL-terminated string) with wq_client_request and return
 * the reply as a NUL-terminated string the caller frees with wq_free. */
char *wqt_request(wq_client *c, const char *request);

/* Send request and assert the reply is exactly `reply`. */
void wqt_expect(wq_client *c, const char *request, const char *reply);

/* Send request and assert the reply starts with `prefix` ("ERROR 404 "). */
void wqt_expect_prefix(wq_client *c, const char *request, const char *prefix);

/* Send len bytes on a raw connection as one message and receive one reply
 * of at most max bytes; the reply is the caller's (wq_free). */
void *wqt_conn_round_trip(wq_conn *c, const void *msg, size_t len, size_t max, size_t *reply_len);

/* The UTF-16LE encoding (no BOM) of NUL-terminated, valid UTF-8 text, as
 * .NET's Encoding.Unicode writes it: a new allocation (free()) of *len
 * bytes. */
unsigned char *wqt_utf16le(const char *utf8, size_t *len);

/* Assert that msg[0..len) is exactly the UTF-16LE encoding of utf8. */
void wqt_assert_utf16le(const void *msg, size_t len, const char *utf8);

/* Assert that msg[0..len) is UTF-16LE text starting with the encoding of
 * utf8 (no BOM, even length). */
void wqt_assert_utf16le_prefix(const void *msg, size_t len, const char *utf8);

/* "Create a work queue" -> "create_a_work_queue": ASCII letters and digits
 * lowercased, every run of anything else one '_', none at either end.
 * Returns 0 if the result does not fit in size. */
int wqt_snake_case(const char *title, char *out, size_t size);

/* Fail the test unless each title in scenarios (NULL-terminated, read from
 * `feature` at configure time) has a test whose name is its snake case in
 * tests[0..ntests), and each test but `self` has a scenario. Names every
 * scenario without a test (and test without a scenario) on stderr. */
void wqt_check_scenarios(const char *feature, const char *const *scenarios,
                         const char *const *tests, size_t ntests, const char *self);

#endif /* WQT_LIVE_H */
