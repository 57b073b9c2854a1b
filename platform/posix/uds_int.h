/* uds_int.h (POSIX) — what the files of the uds backend share (internal).
 * The overview of the backend is at the top of uds.c.
 */
#ifndef WQI_UDS_INT_H
#define WQI_UDS_INT_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <workq/transport.h>

#include "frame.h"
#include "transport_ops.h"
#include "uds_path.h"

/* Connected sockets are in blocking mode (see uds_recv); sends stay
 * non-blocking per call and wait in poll() for their deadline. */
#ifdef MSG_NOSIGNAL
#define UDS_SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT)
#else
#define UDS_SEND_FLAGS MSG_DONTWAIT /* SO_NOSIGPIPE is set on the socket instead */
#endif

/* Read buffers. An idle connection holds none: a read between messages
 * goes into UDS_RSTACK_SIZE bytes on the stack of the thread in
 * wq_conn_recv, which holds a typical request whole, so request/reply
 * traffic allocates nothing but the messages themselves. (On a server's
 * connection thread that stack page is resident anyway: see
 * wqi_uds_recv.) Bytes that arrive behind a whole message (the peer
 * pipelines) move to a heap block of their size before wq_conn_recv
 * returns. A read that fills the stack buffer means the peer is sending
 * more (pipelining, large requests), and reads then go to a heap buffer
 * large enough that a burst of pipelined small messages costs one read();
 * it is given back when a read no longer needs it. */
#define UDS_RSTACK_SIZE 512u
#define UDS_RBUF_SIZE (64u * 1024u)

/* Connect back-off while the listener's backlog is full (EAGAIN): there is
 * nothing to poll for on an unconnected socket, so sleep a little, doubling
 * up to a cap, until the deadline. */
#define UDS_BACKOFF_FIRST_MS 1
#define UDS_BACKOFF_MAX_MS 32

/* Default permission bits of the socket file. */
#define UDS_DEFAULT_MODE 0600u

struct uds_listener {
    struct wqi_listener_base base;
    int fd;        /* listening socket */
    int wake[2];   /* self-pipe: readable once shut down */
    int lock_fd;   /* holds the flock on lock_path */
    int owns_path; /* 0 for an adopted socket: its file is not ours to remove */
    atomic_int shut;
    char path[WQI_UDS_SUN_PATH_SIZE];
    char lock_path[WQI_UDS_LOCK_PATH_SIZE];
};

struct uds_conn {
    struct wqi_conn_base base;
    int fd;
    atomic_int shut;
    int rx_broken;       /* receive side unusable: later recv → WQ_EPROTO */
    int rcvtimeo_ms;     /* SO_RCVTIMEO as last set: -1 none (block), -2 unknown */
    int64_t msg_started; /* clock when the current partial message began; 0: none */
    /* The peer as wq_conn_peer reports it, read once when the connection
     * was made. Not a wq_peer: that carries 192 bytes for a Windows SID,
     * which every idle connection would hold for nothing here. */
    uint64_t peer_pid;
    uint32_t peer_uid;
    uint32_t peer_gid;
    wqi_frame_decoder dec;
    /* Unconsumed bytes are rbuf[rpos..rend); rcap is rbuf's size. Between
     * calls rbuf is NULL (nothing buffered, the usual idle state), the
     * heap block holding bytes that came behind a message, or a heap
     * buffer of UDS_RBUF_SIZE while the peer sends in bursts. Inside
     * wqi_uds_recv it may also be that call's stack buffer (uds_recv.c:
     * pick_buffer, settle). */
    uint8_t *rbuf;
    size_t rcap;
    size_t rpos, rend;
    size_t last_read; /* bytes the last read put into the read buffer */
};

/* ---- uds.c: helpers every part uses -------------------------------------- */

/* Close *fd if open and set it to -1. */
void wqi_uds_close_fd(int *fd);
/* Platforms without MSG_NOSIGNAL (macOS) have SO_NOSIGPIPE per socket. */
void wqi_uds_no_sigpipe(int fd);
/* A new non-blocking, close-on-exec AF_UNIX stream socket. */
wq_err wqi_uds_new_socket(int *out);
/* Wait until fd reports one of events (or an error/hangup), the deadline
 * passes (WQ_ETIMEDOUT) or *shut is set (WQ_ECLOSED). wake, if >= 0, is a
 * second descriptor whose readability also means "shut down". */
wq_err wqi_uds_wait_fd(int fd, short events, int wake, atomic_int *shut, int64_t deadline);
/* Wrap a connected socket, already in blocking mode, as a connection and
 * record its peer's credentials. On any failure fd is closed. */
wq_err wqi_uds_conn_new(int fd, wq_conn **out);

/* ---- the ops, one file each (semantics: transport.h) ---------------------- */

/* uds_listen.c */
wq_err wqi_uds_listen(const char *endpoint, const wq_listen_opts *opts, wq_listener **out);
wq_err wqi_uds_accept(wq_listener *wl, int timeout_ms, wq_conn **out);
void wqi_uds_listener_shutdown(wq_listener *wl);
void wqi_uds_listener_close(wq_listener *wl);
/* wq_listener_adopt: wrap handle, an already bound and listening
 * Unix-domain stream socket descriptor, as a listener. Checked: a socket
 * (fstat), SOCK_STREAM (SO_TYPE), AF_UNIX (getsockname), listening
 * (SO_ACCEPTCONN where the OS has it); anything else is WQ_EINVAL. The
 * descriptor is made non-blocking and close-on-exec. On success the
 * listener owns it (closing closes it) but not the socket file or any lock
 * file: closing never unlinks them, and shutting it down does not
 * shutdown(2) the socket, which its creator may still hold and hand on.
 * On failure it stays the caller's. */
wq_err wqi_uds_adopt(intptr_t handle, wq_listener **out);

/* uds_connect.c */
wq_err wqi_uds_connect(const char *endpoint, int timeout_ms, wq_conn **out);

/* uds_send.c */
wq_err wqi_uds_send(wq_conn *wc, const void *buf, size_t len, int timeout_ms);
wq_err wqi_uds_send_many(wq_conn *wc, const wqi_msg *msgs, size_t n, int timeout_ms);

/* uds_trust.c: the client's checks (trust.h) */
wq_err wqi_uds_trust_endpoint(const char *endpoint, char *why, size_t size);
wq_err wqi_uds_trust_server(wq_conn *wc, const char *endpoint, const char *account, char *why,
                            size_t size);

/* uds_recv.c */
wq_err wqi_uds_recv(wq_conn *wc, size_t max, int timeout_ms, void **buf, size_t *len);
int wqi_uds_has_message(wq_conn *wc);

#endif /* WQI_UDS_INT_H */
