/* workq/transport.h — whole-message IPC between processes (or in-process).
 *
 * A transport moves whole messages: what one side sends with one
 * wq_conn_send() the other side receives with one wq_conn_recv(), byte for
 * byte, in order, empty messages included. Three backends exist:
 *
 *   native  the operating system's: Windows named pipes in message mode
 *           (\\.\pipe\<name>), or Unix-domain stream sockets with a 4-byte
 *           big-endian length prefix on POSIX;
 *   mem     an in-process pair of message queues, on every platform, for
 *           tests and for embedding server and client in one program.
 *
 * Every function that takes a `const wq_transport *` accepts NULL for the
 * native backend.
 *
 * Timeouts are in milliseconds: WQ_WAIT_FOREVER (-1) waits without limit,
 * 0 tries once without waiting, a positive value bounds the wait. A timed-out
 * call returns WQ_ETIMEDOUT and leaves the object usable.
 *
 * Threads: a listener may be accepted on by one thread while another calls
 * wq_listener_shutdown(). A connection may have one thread in send and one in
 * recv at the same time, and any thread may call wq_conn_shutdown() to wake
 * both. The _close functions must be called once, when no other call on the
 * object is in progress.
 */
#ifndef WORKQ_TRANSPORT_H
#define WORKQ_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wait without limit. */
#define WQ_WAIT_FOREVER (-1)

/* The default endpoint name when neither the caller nor WORKQ_ENDPOINT gives one. */
#define WQ_DEFAULT_ENDPOINT "WorkQueueService"

/* Longest endpoint (resolved path or pipe name) any backend accepts, in bytes
 * including the terminating NUL. */
#define WQ_ENDPOINT_MAX 512

typedef struct wq_transport wq_transport; /* a backend's const ops table */
typedef struct wq_listener wq_listener;   /* a listening endpoint */
typedef struct wq_conn wq_conn;           /* one connection, either side */

/* Who is at the other end of a connection, as the operating system says. */
typedef struct wq_peer {
    uint64_t pid;  /* process id; 0 if the OS does not tell */
    int has_ugid;  /* nonzero when uid and gid are valid (POSIX) */
    uint32_t uid;  /* effective user id of the peer at connect time */
    uint32_t gid;  /* effective group id of the peer at connect time */
    char sid[192]; /* Windows: the peer's user SID ("S-1-5-…"); "" elsewhere */
} wq_peer;

/* Options for wq_listener_open(). Zero-initialise, then set what you need;
 * NULL means all defaults. Fields a backend does not use are ignored. */
typedef struct wq_listen_opts {
    /* npipe: the pipe's security descriptor in SDDL. NULL: the default
     * protected DACL (SYSTEM, Administrators and the creator's user full
     * control; Authenticated Users read/write without the right to create
     * pipe instances). */
    const char *sddl;
    /* uds: permission bits of the socket file (for example 0660); 0 means
     * 0600. Bits above 0777 are WQ_EINVAL. */
    unsigned socket_mode;
    /* uds: nonzero to give the socket file to group socket_group (a gid)
     * so that its members can connect (with a socket_mode such as 0660).
     * The private runtime directory, when the socket lives there, then
     * becomes 0750 with that group, so the group can reach the socket but
     * never write to the directory; a directory the caller named is left
     * as it is. Zero (the default): the socket keeps the process's group
     * and the private directory is 0700 with the process's group — made
     * so again if an earlier listener had opened it to a group. The
     * private directory is shared by every plain-named endpoint of the
     * user, so the listener opened last decides its access: to serve a
     * group beside private endpoints, give the group's socket its own
     * directory (a path). Changing to a group the process is not a member
     * of needs privilege (WQ_EACCES). */
    int has_socket_group;
    uint32_t socket_group;
} wq_listen_opts;

/* The native backend: named pipes on Windows, Unix-domain sockets on POSIX.
 * Never NULL. Thread-safe. */
WQ_API const wq_transport *wq_transport_native(void);

/* The in-process backend. Its endpoints are names in a table private to the
 * process; a listener exists until closed. Never NULL. Thread-safe. */
WQ_API const wq_transport *wq_transport_mem(void);

/* The backend's short name: "npipe", "uds" or "mem". t NULL means native. */
WQ_API const char *wq_transport_name(const wq_transport *t);

/* Resolve an endpoint name to what the backend will open.
 *
 * name NULL or "" means $WORKQ_ENDPOINT if set and not empty, else
 * WQ_DEFAULT_ENDPOINT. A plain name (no '/' or '\\') maps to
 * \\.\pipe\<name> on npipe and to <runtime dir>/<name>.sock on uds, where the
 * runtime dir is $XDG_RUNTIME_DIR/workq if that is set, else
 * /tmp/workq-<uid>. A name containing a path separator is used as given.
 * mem uses the name as given.
 *
 * Writes the NUL-terminated result to buf. Errors: WQ_EINVAL (buf NULL,
 * size 0, or a name with control characters), WQ_ENAMETOOLONG (result does not
 * fit in size, or is longer than the OS allows: 107 bytes for a socket path,
 * 256 characters for a pipe name). Non-blocking; thread-safe.
 */
WQ_API wq_err wq_endpoint_resolve(const wq_transport *t, const char *name, char *buf, size_t size);

/* Start listening on an endpoint (resolved as by wq_endpoint_resolve).
 *
 * npipe creates the first pipe instance with FILE_FLAG_FIRST_PIPE_INSTANCE;
 * uds creates the private runtime directory (0700; 0750 with the group of
 * opts->socket_group when one is given) if needed, checks it and sets
 * that mode and group on it (a directory the caller named is left as is),
 * takes <path>.lock, and replaces a stale socket left by a dead server.
 *
 * Errors: WQ_EADDRINUSE (another listener serves the endpoint), WQ_EUNSAFE
 * (uds: directory not ours, group/world-writable or a symlink; a non-socket
 * file at the path, which is left untouched), WQ_ENOENT (uds: the directory
 * that should hold the socket, or $XDG_RUNTIME_DIR, does not exist),
 * WQ_EACCES, WQ_ENAMETOOLONG,
 * WQ_EINVAL (bad opts, malformed SDDL), WQ_ENOMEM, WQ_EIO. On success *out
 * is the listener, owned by the caller and freed with wq_listener_close().
 * Does not block beyond the OS calls. Thread-safe.
 */
WQ_API wq_err wq_listener_open(const wq_transport *t, const char *endpoint,
                               const wq_listen_opts *opts, wq_listener **out);

/* Serve a listening socket that someone else opened and handed down, such
 * as the descriptor systemd passes to a socket-activated service.
 *
 * os_handle is the OS's own handle: on POSIX a file descriptor of a bound,
 * listening AF_UNIX SOCK_STREAM socket (checked: anything else is
 * WQ_EINVAL). It is made non-blocking and close-on-exec. On success *out
 * owns the descriptor (wq_listener_close closes it) but not the socket
 * file: closing never unlinks it, and wq_listener_shutdown() does not
 * shutdown(2) the socket, which its creator may still hold and hand on to
 * the next server. On failure the descriptor stays the caller's, open.
 * Errors: WQ_ENOTSUP (the backend cannot adopt: named pipes, mem),
 * WQ_EINVAL (not such a socket, or out is NULL), WQ_ENOMEM, WQ_EIO.
 * Does not block; thread-safe. */
WQ_API wq_err wq_listener_adopt(const wq_transport *t, intptr_t os_handle, wq_listener **out);

/* Wait up to timeout_ms for the next client and return its connection.
 *
 * Clients that connect and leave before they are accepted are absorbed;
 * they never make accept fail. On success *out is owned by the caller
 * (wq_conn_close). Errors: WQ_ETIMEDOUT, WQ_ECLOSED (the listener was shut
 * down), WQ_ENOMEM, WQ_EIO. One thread at a time per listener.
 */
WQ_API wq_err wq_listener_accept(wq_listener *l, int timeout_ms, wq_conn **out);

/* Stop accepting: a blocked wq_listener_accept() returns WQ_ECLOSED now and
 * every later one does too. New clients are refused. Connections already
 * accepted are not touched. Idempotent; safe from any thread and while
 * another thread is in accept. */
WQ_API void wq_listener_shutdown(wq_listener *l);

/* Shut down (if not already) and free the listener; removes the endpoint
 * (uds: socket and lock file). l may be NULL. No other call on l may be in
 * progress or follow. */
WQ_API void wq_listener_close(wq_listener *l);

/* Connect to a listener, waiting up to timeout_ms while every instance is
 * busy. A missing endpoint fails at once with WQ_ENOENT (no spinning).
 * This is the raw transport: it does not check who is listening. Anyone
 * able to create the endpoint first (a socket in a directory they made, a
 * pipe name nobody has taken) can be at the other end, so a program that
 * talks to a service through it compares wq_conn_peer() with
 * wq_process_identity() and the account it expects before it sends
 * anything — or uses wq_client_connect, which does that (docs/protocol.md
 * "Trust"). On success *out is owned by the caller (wq_conn_close).
 * Errors: WQ_ENOENT, WQ_ETIMEDOUT, WQ_EACCES, WQ_ENAMETOOLONG, WQ_EINVAL,
 * WQ_ENOMEM, WQ_EIO. Thread-safe. */
WQ_API wq_err wq_conn_connect(const wq_transport *t, const char *endpoint, int timeout_ms,
                              wq_conn **out);

/* Send len bytes from buf as one message (len 0 sends an empty message).
 * Blocks until the whole message is handed to the OS or timeout_ms passes;
 * on WQ_ETIMEDOUT part of the message may have been sent and the
 * connection must be closed. Errors: WQ_ECLOSED (peer gone or shut down),
 * WQ_ETIMEDOUT, WQ_EINVAL (buf NULL with len > 0, or len above what the
 * framing can carry), WQ_EIO. Never raises SIGPIPE. */
WQ_API wq_err wq_conn_send(wq_conn *c, const void *buf, size_t len, int timeout_ms);

/* Receive one whole message of at most max bytes.
 *
 * On success *buf is a new allocation owned by the caller (free with
 * wq_free; it is non-NULL and NUL-terminated one past the end even for an
 * empty message, for convenience) and *len its size.
 * Errors: WQ_ETIMEDOUT (nothing consumed; try again), WQ_ECLOSED (peer
 * closed or wq_conn_shutdown), WQ_EMSGSIZE (the message is larger than max;
 * decided from the header or the pipe's message size before anything that
 * large is allocated — after this the receive side is unusable and later
 * receives return WQ_EPROTO, but send still works so an error reply can go
 * out before closing), WQ_ENOMEM (a whole message arrived but could not
 * be stored for lack of memory: it was read and dropped, and the
 * connection stays usable — the next receive gets the next message; so a
 * server can answer the sender and carry on. Except when bytes of later
 * messages were on hand and could not be kept either: then the receive
 * side is unusable too, and later receives return WQ_EPROTO), WQ_EPROTO,
 * WQ_EIO, WQ_EINVAL.
 * A timeout in the middle of a message (the rest never arrives) also makes
 * the receive side unusable: WQ_ETIMEDOUT, then WQ_EPROTO. */
WQ_API wq_err wq_conn_recv(wq_conn *c, size_t max, int timeout_ms, void **buf, size_t *len);

/* Bound how long one message may take to arrive once its first byte has:
 * a receive whose message started more than timeout_ms ago and is still
 * incomplete returns WQ_ETIMEDOUT, and the receive side is then unusable
 * (a peer that sends half a message and stalls cannot hold the receiver).
 * This is independent of each receive's own timeout, which bounds the wait
 * for a message to begin. WQ_WAIT_FOREVER (the default) turns it off.
 * Backends whose messages arrive whole (npipe, mem) meet it trivially.
 * Errors: WQ_EINVAL. Call while no receive is in progress. */
WQ_API wq_err wq_conn_set_message_timeout(wq_conn *c, int timeout_ms);

/* Wake every blocked call on c (they return WQ_ECLOSED) and make later
 * sends and receives fail with WQ_ECLOSED; the peer sees the connection
 * closed. Idempotent; safe from any thread. Does not free c. */
WQ_API void wq_conn_shutdown(wq_conn *c);

/* Shut down and free c. c may be NULL. No other call on c may be in
 * progress or follow. */
WQ_API void wq_conn_close(wq_conn *c);

/* Fill *out with the identity of the process at the other end, as recorded
 * when the connection was made. Errors: WQ_EINVAL, WQ_EIO. Non-blocking;
 * thread-safe. */
WQ_API wq_err wq_conn_peer(wq_conn *c, wq_peer *out);

/* Fill *out with this process's own identity, as a peer would see it in
 * wq_conn_peer(): process id, and the effective uid/gid on POSIX or the
 * user SID on Windows. For comparing a peer with ourselves (a client
 * checking that the server runs as its own user, say). Errors: WQ_EINVAL
 * (out NULL). Non-blocking; thread-safe. */
WQ_API wq_err wq_process_identity(wq_peer *out);

/* Free memory that workq handed to the caller (received messages, reply
 * buffers). p may be NULL. Use this, not free(): on Windows the library's
 * heap need not be the caller's. Thread-safe. */
WQ_API void wq_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_TRANSPORT_H */
