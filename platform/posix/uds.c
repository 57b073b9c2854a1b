/* uds.c (POSIX) — the native transport: Unix-domain stream sockets
 * carrying length-prefixed frames (frame.h).
 *
 * Every descriptor is close-on-exec. Listeners, and sockets until they
 * are connected, are non-blocking and wait in poll() bounded by the
 * caller's deadline. Connected sockets are in blocking mode: a receive is
 * one blocking read bounded by SO_RCVTIMEO (the caller's deadline; set
 * only when it changes), which for request/reply traffic is one system
 * call where read, poll, read was three. Sends pass MSG_DONTWAIT and wait
 * in poll(), so nothing waits past its deadline and nothing busy-loops.
 * Sends use MSG_NOSIGNAL (and SO_NOSIGPIPE where it exists) so a vanished
 * peer is an error, never a SIGPIPE.
 *
 * Receiving: one read usually brings in a whole small message (often
 * several, when the peer pipelines); the frame decoder takes them out one
 * per wq_conn_recv and the rest waits in the connection's buffer. Between
 * messages the read goes to a buffer on the receiving thread's stack, so
 * an idle connection holds no read buffer at all (uds_int.h). When a body
 * is still missing, the read puts its bytes straight into the message (no
 * copy for large bodies) and anything after it into the buffer.
 *
 * Shutdown: a flag plus shutdown(2). shutdown(SHUT_RDWR) ends a blocked
 * read with EOF and makes the socket permanently readable and
 * writable-with-error, so a thread blocked in a read or in poll() wakes at
 * once and cannot miss it; the flag turns whatever the syscall then says
 * into WQ_ECLOSED. Listeners use a self-pipe the same way, since poll() on
 * a listening socket is not woken by every OS's shutdown().
 *
 * The files of the backend (uds_int.h holds what they share):
 *   uds.c          this overview, small helpers, a connection's shutdown,
 *                  close and peer, and the ops table
 *   uds_listen.c   listen, accept, shut down and close a listener; adopt
 *                  one someone else opened (socket activation)
 *   uds_connect.c  connect, with back-off while the backlog is full
 *   uds_send.c     send one message, or a batch in one sendmsg
 *   uds_recv.c     receive: the read buffer and the frame decoder
 *   uds_path.c     paths, the private directory, the lock file, stale
 *                  sockets
 *   uds_trust.c    a client's checks of the runtime directory and of the
 *                  account the server runs as
 * errno becomes a wq_err only through wq_err_from_os() (os_err.c).
 */
#include <errno.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <bsd/string.h>

#include "alloc.h"
#include "frame.h"
#include "platform.h"
#include "transport_ops.h"
#include "uds_int.h"
#include "uds_path.h"

#if !defined(__linux__)
#include <bsd/unistd.h> /* getpeereid */
#endif

/* ---- small helpers ---------------------------------------------------- */

void wqi_uds_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Platforms without MSG_NOSIGNAL (macOS) have SO_NOSIGPIPE per socket. */
void wqi_uds_no_sigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#else
    (void)fd;
#endif
}

wq_err wqi_uds_new_socket(int *out)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return wq_err_from_os(errno);
    }
    wqi_uds_no_sigpipe(fd);
    *out = fd;
    return WQ_OK;
}

/* Wait until fd reports one of events (or an error/hangup), the deadline
 * passes (WQ_ETIMEDOUT) or *shut is set (WQ_ECLOSED). wake, if >= 0, is a
 * second descriptor whose readability also means "shut down". */
wq_err wqi_uds_wait_fd(int fd, short events, int wake, atomic_int *shut, int64_t deadline)
{
    for (;;) {
        if (atomic_load(shut)) {
            return WQ_ECLOSED;
        }
        struct pollfd p[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
        int ms = wqi_remaining_ms(deadline);
        int rc = poll(p, wake >= 0 ? 2 : 1, ms);
        if (rc > 0) {
            return atomic_load(shut) || (wake >= 0 && p[1].revents != 0) ? WQ_ECLOSED : WQ_OK;
        }
        if (rc == 0) {
            /* poll may round down; only a spent deadline is a timeout. */
            if (ms == 0 || wqi_remaining_ms(deadline) == 0) {
                return WQ_ETIMEDOUT;
            }
            continue;
        }
        if (errno != EINTR) {
            return wq_err_from_os(errno);
        }
    }
}

/* Who is at the other end, as the kernel recorded it at connect time
 * (US-3). Linux: SO_PEERCRED directly (libbsd's fallback branch would
 * report our own ids on an unknown platform). Elsewhere getpeereid, which
 * has no pid; libbsd may return a positive error, hence the != 0. */
static wq_err read_peer(int fd, struct uds_conn *c)
{
    c->peer_pid = 0;
#if defined(__linux__)
    struct ucred uc;
    socklen_t n = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &n) != 0) {
        return wq_err_from_os(errno);
    }
    c->peer_pid = uc.pid > 0 ? (uint64_t)uc.pid : 0;
    c->peer_uid = (uint32_t)uc.uid;
    c->peer_gid = (uint32_t)uc.gid;
#else
    uid_t uid;
    gid_t gid;
    errno = 0;
    if (getpeereid(fd, &uid, &gid) != 0) {
        return errno != 0 ? wq_err_from_os(errno) : WQ_EIO;
    }
    c->peer_uid = (uint32_t)uid;
    c->peer_gid = (uint32_t)gid;
#endif
    return WQ_OK;
}

/* Wrap a connected socket, already in blocking mode (a receive is then one
 * blocking read bounded by SO_RCVTIMEO, see wqi_uds_recv). On any failure fd
 * is closed. */
wq_err wqi_uds_conn_new(int fd, wq_conn **out)
{
    struct uds_conn *c = wqi_malloc(sizeof *c);
    if (c == NULL) {
        close(fd);
        return WQ_ENOMEM;
    }
    wqi_conn_base_init(&c->base, &wqi_transport_native);
    c->fd = fd;
    atomic_init(&c->shut, 0);
    c->rx_broken = 0;
    c->rcvtimeo_ms = -2;
    c->msg_started = 0;
    c->rbuf = NULL;
    c->rcap = 0;
    c->rpos = 0;
    c->rend = 0;
    c->last_read = 0;
    wqi_frame_decoder_init(&c->dec, 0);
    wq_err err = read_peer(fd, c);
    if (err != WQ_OK) {
        close(fd);
        wqi_free(c);
        return err;
    }
    *out = (wq_conn *)c;
    return WQ_OK;
}

/* ---- shutdown, close, peer ------------------------------------------- */

static void uds_conn_shutdown(wq_conn *wc)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    if (atomic_exchange(&c->shut, 1) == 0) {
        (void)shutdown(c->fd, SHUT_RDWR);
    }
}

static void uds_conn_close(wq_conn *wc)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    uds_conn_shutdown(wc);
    wqi_uds_close_fd(&c->fd);
    wqi_frame_decoder_reset(&c->dec);
    wqi_free(c->rbuf); /* never the stack buffer outside wqi_uds_recv */
    wqi_free(c);
}

/* A connection exists only once its peer's ids were read: has_ugid is
 * always set. */
static wq_err uds_peer(wq_conn *wc, wq_peer *out)
{
    const struct uds_conn *c = (const struct uds_conn *)wc;
    memset(out, 0, sizeof *out);
    out->pid = c->peer_pid;
    out->has_ugid = 1;
    out->uid = c->peer_uid;
    out->gid = c->peer_gid;
    return WQ_OK;
}

const struct wq_transport wqi_transport_native = {
    .name = "uds",
    .resolve = wqi_uds_resolve,
    .listen = wqi_uds_listen,
    .accept = wqi_uds_accept,
    .listener_shutdown = wqi_uds_listener_shutdown,
    .listener_close = wqi_uds_listener_close,
    .connect = wqi_uds_connect,
    .send = wqi_uds_send,
    .recv = wqi_uds_recv,
    .shutdown = uds_conn_shutdown,
    .close = uds_conn_close,
    .peer = uds_peer,
    .send_many = wqi_uds_send_many,
    .has_message = wqi_uds_has_message,
    .adopt = wqi_uds_adopt,
    .trust_endpoint = wqi_uds_trust_endpoint,
    .trust_server = wqi_uds_trust_server,
};
