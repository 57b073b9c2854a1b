/* workq/server.h — the work-queue service, embeddable.
 *
 * wq_server_start() opens a listener and serves docs/protocol.md on it from a
 * background accept thread, one thread per connection, until
 * wq_server_stop(). workqd is a thin program around these calls; an
 * application can run the same service in-process (for example over the
 * mem transport).
 */
#ifndef WORKQ_SERVER_H
#define WORKQ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "export.h"
#include "transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wq_server wq_server;

/* Severity of a server log line. */
typedef enum wq_log_level {
    WQ_LOG_ERROR = 0,
    WQ_LOG_WARN = 1,
    WQ_LOG_INFO = 2,
    WQ_LOG_DEBUG = 3
} wq_log_level;

/* Receives the server's log lines: one sentence, no newline, no timestamp.
 * Called from the server's threads, possibly concurrently: it must be
 * thread-safe and must not call back into the server. Those threads have
 * a 256 KiB stack (set explicitly, so that each connection reserves no
 * more): keep large buffers off the stack in a log function. */
typedef void (*wq_log_fn)(void *ctx, wq_log_level level, const char *line);

/* Defaults: docs/protocol.md's "Server limits". */
#define WQ_DEFAULT_MAX_MESSAGE (4u * 1024u * 1024u)
#define WQ_DEFAULT_MAX_CONNECTIONS 1024u
#define WQ_DEFAULT_MAX_QUEUES 65536u
/* How long wq_server_stop lets busy connections finish: well inside
 * systemd's stop timeout (the unit sets 30 s, systemd's default is 90 s)
 * and the Windows Service Control Manager's preshutdown wait (10 s by
 * default since Windows 10 1703; workqd install sets 15 s). */
#define WQ_DEFAULT_STOP_TIMEOUT_MS 5000u
/* The default memory budget (max_memory) is this fraction of
 * wq_server_memory_limit(): the rest is for what the budget does not
 * count (connections, requests being received, replies being sent, LIST)
 * and for the allocator's own overhead. */
#define WQ_DEFAULT_MAX_MEMORY_SHARE 4u
/* ... or this, when the limit cannot be told. */
#define WQ_DEFAULT_MAX_MEMORY_UNKNOWN (1024ull * 1024u * 1024u)

typedef struct wq_server_config {
    const wq_transport *transport; /* NULL: native */
    const char *endpoint;          /* NULL: $WORKQ_ENDPOINT or the default */
    wq_listen_opts listen;         /* passed to wq_listener_open */
    size_t max_message;            /* largest request in bytes; 413 beyond */
    /* One more gets "ERROR 503 busy ...". On POSIX each connection
     * takes a file descriptor: the process's RLIMIT_NOFILE must allow
     * max_connections plus a few (workqd raises it). A client the process
     * has no descriptor for gets the same 503: the server holds one spare
     * descriptor to accept it, answer and close it, and logs a warning at
     * most once a minute. */
    uint32_t max_connections;
    uint32_t max_queues;      /* CREATE beyond gets 507 */
    uint64_t max_items;       /* per queue, ready + leased; 0 = unlimited */
    uint32_t idle_timeout_ms; /* close idle connections; 0 = never */
    wq_log_fn log;            /* NULL: no logging */
    void *log_ctx;
    wq_log_level log_level; /* lines above this level are not produced */
    /* An already-open listener to serve instead of opening endpoint (for
     * example a socket inherited from systemd socket activation). NULL
     * (the default): open endpoint with `listen`. The server takes
     * ownership of it, also when wq_server_start fails, and closes it in
     * wq_server_stop. It must belong to `transport`. endpoint is then
     * only the name wq_server_endpoint() and the log report, used as
     * given (not resolved); NULL reports "(inherited listener)". */
    wq_listener *listener;
    /* The deadline of wq_server_stop, in milliseconds: how long
     * connections busy with a request may take to send their replies once
     * the stop has begun. After it their transports are shut down (the
     * replies not yet sent are lost) and the stop completes. 0 cuts busy
     * connections at once. Default WQ_DEFAULT_STOP_TIMEOUT_MS. */
    uint32_t stop_timeout_ms;
    /* The memory budget in bytes: what the items held, ready or leased,
     * may take together, each counted as its payload plus 16 bytes. A
     * PUBLISH beyond it gets "ERROR 507" (and so does any request the
     * server finds no memory for). 0: no budget. Default: a
     * WQ_DEFAULT_MAX_MEMORY_SHARE-th of wq_server_memory_limit(). The
     * server also holds 16 MiB in reserve (address space, not resident
     * memory): if memory runs out anyway, it gives the reserve back and
     * refuses PUBLISH until memory is free again, so that PURGE, DELETE,
     * LIST, STATUS and new connections still work. */
    uint64_t max_memory;
} wq_server_config;

/* The most memory this process may use, in bytes: the smallest of the
 * machine's physical memory and the OS's limits on the process (Linux:
 * the cgroup v2 memory.max of its cgroup and their parents, RLIMIT_AS,
 * RLIMIT_DATA; Windows: its job object's memory limits). 0 if unknown.
 * Reads the OS on each call (a few small reads). Thread-safe. */
WQ_API uint64_t wq_server_memory_limit(void);

/* The default max_memory: wq_server_memory_limit() divided by
 * WQ_DEFAULT_MAX_MEMORY_SHARE, or WQ_DEFAULT_MAX_MEMORY_UNKNOWN. */
WQ_API uint64_t wq_server_default_max_memory(void);

/* Fill *cfg with the defaults above (native transport, default endpoint,
 * no logging, level INFO, the default memory budget). Always call it first, then change fields, so
 * that fields added later get their defaults. */
WQ_API void wq_server_config_init(wq_server_config *cfg);

/* Open the listener (or take cfg->listener) and start serving in
 * background threads.
 * The configuration is copied (the endpoint string too). On success *out
 * is owned by the caller and must be given to wq_server_stop().
 * Errors: those of wq_listener_open (WQ_EADDRINUSE when another server has
 * the endpoint, WQ_EACCES, WQ_EUNSAFE, …), WQ_EINVAL (cfg or out NULL,
 * max_message or max_connections 0), WQ_ENOMEM (also: the memory reserve
 * could not be had), WQ_EIO (a thread could not
 * start). Returns once the listener is open: clients can connect then.
 * Thread-safe. */
WQ_API wq_err wq_server_start(const wq_server_config *cfg, wq_server **out);

/* Stop gracefully and free the server: no new connections; requests
 * waiting in RETRIEVE get "ERROR 503 shutdown ..."; idle connections are
 * closed; a connection busy with a request gets its reply (and those of
 * requests already received behind it) if they can be sent within
 * cfg.stop_timeout_ms of the stop's start; connections still busy then
 * are cut (shut down, replies not yet sent lost; logged as a warning).
 * Every thread is joined and leased items go back to their queues before
 * the memory is freed. Blocks until all that is done: about
 * stop_timeout_ms at most, plus the time to cut and join. s may be NULL.
 * Call once, from one thread; no other call on s may follow. */
WQ_API void wq_server_stop(wq_server *s);

/* Ask the server to stop without waiting: safe from any thread and from
 * a signal-handling thread (not from an async signal handler itself).
 * wq_server_stop() must still be called to wait and free. Idempotent. */
WQ_API void wq_server_request_stop(wq_server *s);

/* Block until wq_server_request_stop() was called or timeout_ms passed.
 * Returns WQ_OK when stop was requested, WQ_ETIMEDOUT otherwise. */
WQ_API wq_err wq_server_wait(wq_server *s, int timeout_ms);

/* The resolved endpoint the server listens on (a pipe name or socket
 * path). Valid until wq_server_stop(). Thread-safe. */
WQ_API const char *wq_server_endpoint(const wq_server *s);

/* Connections currently open. Thread-safe; for tests and monitoring. */
WQ_API uint32_t wq_server_connections(wq_server *s);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_SERVER_H */
