/* workq/client.h — talk to a workq service.
 *
 * One wq_client is one connection. Every call sends one request and
 * blocks until its reply arrives or the client's timeout passes. A client
 * is not thread-safe: use it from one thread at a time (one client per
 * thread is the intended pattern; clients are cheap).
 *
 * Errors: a protocol error reply (ERROR <code> <message>) is returned as
 * the wq_err of its code (wq_err_from_code: 404 → WQ_ENOTFOUND, …) and its
 * message is kept for wq_client_message(). A 503 is WQ_ESHUTDOWN when the
 * first word of its message (the reason token) is "shutdown", else
 * WQ_EBUSY (the token "busy": connection limit). Transport failures are returned
 * as they are (WQ_ECLOSED, WQ_ETIMEDOUT, …); after a transport failure the
 * connection is unusable and the client should be closed. A reply that
 * does not match docs/protocol.md gives WQ_EPROTO.
 *
 * Trust: a client sends nothing until it has checked who serves the
 * endpoint (wq_client_connect; docs/protocol.md "Trust"), so that a local
 * user who got to the endpoint first cannot receive its requests or hand
 * it work items.
 */
#ifndef WORKQ_CLIENT_H
#define WORKQ_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "export.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wq_client wq_client;

#define WQ_DEFAULT_MAX_REPLY (64u * 1024u * 1024u)
#define WQ_DEFAULT_CLIENT_TIMEOUT_MS 30000

typedef struct wq_client_opts {
    const wq_transport *transport; /* NULL: native */
    int connect_timeout_ms;        /* while every server instance is busy */
    int timeout_ms;                /* per request, on top of a RETRIEVE's wait */
    size_t max_reply;              /* larger replies fail with WQ_EMSGSIZE */
    /* One more account the server may run as, besides the defaults (this
     * process's own account, and root on POSIX or SYSTEM, Administrators
     * and NT SERVICE\<pipe name> on Windows; docs/protocol.md "Trust").
     * POSIX: a user name or a numeric uid ("workq", "998"). Windows: an
     * account name ("NT SERVICE\WorkQueueService", "DOMAIN\user") or a SID
     * string ("S-1-5-19"). NULL or "": $WORKQ_SERVER_ACCOUNT if that is set
     * and not empty, else none. Copied by wq_client_new/wq_client_open;
     * resolved by the OS when connecting (an unknown account is WQ_EINVAL). */
    const char *server_account;
} wq_client_opts;

/* Fill *opts with the defaults: native transport, 5000 ms to connect,
 * WQ_DEFAULT_CLIENT_TIMEOUT_MS per request, WQ_DEFAULT_MAX_REPLY, no
 * server_account. */
WQ_API void wq_client_opts_init(wq_client_opts *opts);

/* Connect to the service at endpoint (NULL: $WORKQ_ENDPOINT or the
 * default; see wq_endpoint_resolve): wq_client_new and wq_client_connect
 * in one call. opts NULL means defaults. On success *out is owned by the
 * caller (wq_client_close); on failure *out is NULL and nothing is left to
 * free — use the two calls instead to read wq_client_message after a
 * failure. Errors: those of wq_client_connect. A server that is full
 * accepts and then says "ERROR 503 busy ...": the first request returns
 * WQ_EBUSY. Blocks up to connect_timeout_ms. Thread-safe.
 */
WQ_API wq_err wq_client_open(const char *endpoint, const wq_client_opts *opts, wq_client **out);

/* A client that is not connected yet, with a copy of opts (NULL:
 * defaults). On success *out is owned by the caller (wq_client_close).
 * Requests on it fail with WQ_ECLOSED until wq_client_connect succeeds.
 * Errors: WQ_EINVAL (out NULL), WQ_ENOMEM. Does not block; thread-safe. */
WQ_API wq_err wq_client_new(const wq_client_opts *opts, wq_client **out);

/* Connect c to the service at endpoint (NULL: $WORKQ_ENDPOINT or the
 * default). Before anything is sent, and in this order (docs/protocol.md
 * "Trust"):
 *   - POSIX, an endpoint in the private runtime directory (a plain name):
 *     that directory must be a real directory (not a symlink) owned by
 *     this process's effective uid and writable by nobody else, else
 *     WQ_EUNSAFE, without connecting;
 *   - every native endpoint: the server must run as this process's own
 *     account, as root (POSIX) or SYSTEM / Administrators / NT
 *     SERVICE\<pipe name> (Windows), or as opts->server_account, else
 *     WQ_EUNTRUSTED: the connection is closed unused.
 * The in-process transport (mem) has nobody to check. On failure c stays
 * unconnected, wq_client_message(c) says why — for WQ_EUNSAFE and
 * WQ_EUNTRUSTED naming what was found and what was expected — and the call
 * may be repeated. Errors: WQ_EUNSAFE, WQ_EUNTRUSTED, WQ_EINVAL (c NULL,
 * already connected, a bad endpoint name, or a server_account the OS does
 * not know), WQ_ENOMEM, and those of wq_conn_connect (WQ_ENOENT when no
 * server runs there, WQ_ETIMEDOUT, WQ_EACCES, ...). Blocks up to
 * connect_timeout_ms, plus the OS's account lookups. Not thread-safe for
 * one c (like every call on a client).
 */
WQ_API wq_err wq_client_connect(wq_client *c, const char *endpoint);

/* Close the connection and free c (NULL is fine). Items leased through
 * this client go back to their queues on the server. */
WQ_API void wq_client_close(wq_client *c);

/* The server's sentence from the last ERROR reply ("queue MyWorkQueue
 * already exists"), the reason a connect was refused (wq_client_connect),
 * or the wq_strerror text of the last local failure. Valid until the next
 * call on c. Never NULL. */
WQ_API const char *wq_client_message(const wq_client *c);

/* CREATE, DELETE, START, STOP <queue>. */
WQ_API wq_err wq_client_create(wq_client *c, const char *queue);
WQ_API wq_err wq_client_delete(wq_client *c, const char *queue);
WQ_API wq_err wq_client_start(wq_client *c, const char *queue);
WQ_API wq_err wq_client_stop(wq_client *c, const char *queue);

/* The longest queue name, in characters (names are ASCII, so also bytes);
 * docs/protocol.md "Queue names". */
#define WQ_QUEUE_NAME_MAX 128

/* A queue as LIST and STATUS show it. */
typedef struct wq_queue_info {
    char name[WQ_QUEUE_NAME_MAX + 1]; /* as first written; NUL-terminated */
    int started;                      /* nonzero: started; zero: stopped */
    uint64_t ready;
    uint64_t leased;
    uint64_t published; /* STATUS only (0 from LIST) */
    uint64_t completed; /* STATUS only (0 from LIST) */
} wq_queue_info;

/* LIST: *rows is an array of *n entries sorted by name, owned by the
 * caller (wq_free; NULL when n is 0). */
WQ_API wq_err wq_client_list(wq_client *c, wq_queue_info **rows, size_t *n);

/* STATUS <queue> into *info. */
WQ_API wq_err wq_client_status(wq_client *c, const char *queue, wq_queue_info *info);

/* PUBLISH <queue> <payload>: len bytes (binary-safe; 0 is fine); *id (may
 * be NULL) receives the item's id. */
WQ_API wq_err wq_client_publish(wq_client *c, const char *queue, const void *payload, size_t len,
                                uint64_t *id);

/* A retrieved work item. */
typedef struct wq_item {
    uint64_t id;
    void *payload; /* owned by the caller: wq_free; NUL-terminated one past len */
    size_t len;
} wq_item;

/* RETRIEVE <queue> [<wait_ms>]: wait_ms < 0 asks without waiting, else the
 * server waits up to wait_ms for an item (the client allows for that on
 * top of its timeout). On WQ_OK, *found is 1 and *item holds the leased
 * item, or *found is 0 (EMPTY) and *item is zeroed. */
WQ_API wq_err wq_client_retrieve(wq_client *c, const char *queue, int64_t wait_ms, wq_item *item,
                                 int *found);

/* ACK / RELEASE <queue> <id> for an item this client holds. */
WQ_API wq_err wq_client_ack(wq_client *c, const char *queue, uint64_t id);
WQ_API wq_err wq_client_release(wq_client *c, const char *queue, uint64_t id);

/* The pipelining window (docs/protocol.md "Pipelining"). A client that
 * sends requests without reading the replies in between may have at most
 * WQ_PIPELINE_MAX_REQUESTS requests, of at most WQ_PIPELINE_MAX_BYTES
 * bytes together (message bodies), sent and not yet answered (the reply
 * not yet read). Within it the client's writes always fit in the
 * operating system's buffers, so it never blocks sending while the server
 * blocks sending replies it does not read, however large the replies;
 * once it reads, every reply comes, in order. Beyond it, a client must
 * read replies as it sends (another thread, or a non-blocking loop).
 * wq_client_ack_retrieve, the one call of this library that pipelines,
 * sends two requests of at most a few hundred bytes. */
#define WQ_PIPELINE_MAX_REQUESTS 64
#define WQ_PIPELINE_MAX_BYTES 32768

/* A worker's step: ACK <queue> <id>, then RETRIEVE <queue> [<wait_ms>],
 * both sent before either reply is read (pipelined), so one round trip
 * does what wq_client_ack and wq_client_retrieve do in two. Blocks like
 * wq_client_retrieve. The server runs the RETRIEVE whatever became of the
 * ACK, so *found and *item always describe the RETRIEVE (on WQ_OK or a
 * protocol error reply; the caller owns a found item either way). Returns
 * the ACK's error if it failed (e.g. WQ_ENOTFOUND, with its sentence in
 * wq_client_message), else the RETRIEVE's. A bad queue name or argument
 * sends nothing (WQ_EBADREQ, WQ_EINVAL). */
WQ_API wq_err wq_client_ack_retrieve(wq_client *c, const char *queue, uint64_t id, int64_t wait_ms,
                                     wq_item *item, int *found);

/* PURGE <queue>; *purged (may be NULL) receives how many went. */
WQ_API wq_err wq_client_purge(wq_client *c, const char *queue, uint64_t *purged);

/* PING: WQ_OK when the server answered "OK PONG". */
WQ_API wq_err wq_client_ping(wq_client *c);

/* HELLO: the server's version (copied into version, at most size - 1
 * bytes, NUL-terminated; may be NULL) and its largest accepted request
 * (may be NULL). */
WQ_API wq_err wq_client_hello(wq_client *c, char *version, size_t size, uint64_t *max_message);

/* Send any request text as one message and return the reply as it came:
 * *reply (owned by the caller, wq_free; NUL-terminated one past
 * *reply_len). An ERROR reply is returned as WQ_OK here — the raw call
 * does not interpret replies. For tests and tools. */
WQ_API wq_err wq_client_request(wq_client *c, const void *request, size_t len, void **reply,
                                size_t *reply_len);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_CLIENT_H */
