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
 * Receiving: each connection keeps a read buffer. One read usually brings
 * in a whole small message (often several, when the peer pipelines); the
 * frame decoder takes them out one per wq_conn_recv and the rest waits in
 * the buffer. When a body is still missing, the read puts its bytes
 * straight into the message (no copy for large bodies) and anything after
 * it into the buffer.
 *
 * Shutdown: a flag plus shutdown(2). shutdown(SHUT_RDWR) ends a blocked
 * read with EOF and makes the socket permanently readable and
 * writable-with-error, so a thread blocked in a read or in poll() wakes at
 * once and cannot miss it; the flag turns whatever the syscall then says
 * into WQ_ECLOSED. Listeners use a self-pipe the same way, since poll() on
 * a listening socket is not woken by every OS's shutdown().
 *
 * Filesystem work (paths, private directory, lock file, stale sockets) is
 * in uds_path.c; errno is turned into wq_err only by wq_err_from_os().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <bsd/string.h>

#if !defined(__linux__)
#include <bsd/unistd.h> /* getpeereid */
#endif

#include "alloc.h"
#include "frame.h"
#include "platform.h"
#include "transport_ops.h"
#include "uds_adopt.h"
#include "uds_path.h"

/* Connected sockets are in blocking mode (see uds_recv); sends stay
 * non-blocking per call and wait in poll() for their deadline. */
#ifdef MSG_NOSIGNAL
#define UDS_SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT)
#else
#define UDS_SEND_FLAGS MSG_DONTWAIT /* SO_NOSIGPIPE is set on the socket instead */
#endif

/* Per-connection read buffer: large enough that a burst of pipelined small
 * messages costs one read(). */
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
    wq_peer peer;        /* read once when the connection was made */
    wqi_frame_decoder dec;
    size_t rpos, rend; /* unconsumed bytes are rbuf[rpos..rend) */
    uint8_t rbuf[UDS_RBUF_SIZE];
};

/* ---- small helpers ---------------------------------------------------- */

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Platforms without MSG_NOSIGNAL (macOS) have SO_NOSIGPIPE per socket. */
static void no_sigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#else
    (void)fd;
#endif
}

static wq_err new_socket(int *out)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return wq_err_from_os(errno);
    }
    no_sigpipe(fd);
    *out = fd;
    return WQ_OK;
}

/* Wait until fd reports one of events (or an error/hangup), the deadline
 * passes (WQ_ETIMEDOUT) or *shut is set (WQ_ECLOSED). wake, if >= 0, is a
 * second descriptor whose readability also means "shut down". */
static wq_err wait_fd(int fd, short events, int wake, atomic_int *shut, int64_t deadline)
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
static wq_err read_peer(int fd, wq_peer *p)
{
    memset(p, 0, sizeof *p);
#if defined(__linux__)
    struct ucred uc;
    socklen_t n = sizeof uc;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &n) != 0) {
        return wq_err_from_os(errno);
    }
    p->pid = uc.pid > 0 ? (uint64_t)uc.pid : 0;
    p->uid = (uint32_t)uc.uid;
    p->gid = (uint32_t)uc.gid;
#else
    uid_t uid;
    gid_t gid;
    errno = 0;
    if (getpeereid(fd, &uid, &gid) != 0) {
        return errno != 0 ? wq_err_from_os(errno) : WQ_EIO;
    }
    p->uid = (uint32_t)uid;
    p->gid = (uint32_t)gid;
#endif
    p->has_ugid = 1;
    return WQ_OK;
}

/* Wrap a connected socket, already in blocking mode (a receive is then one
 * blocking read bounded by SO_RCVTIMEO, see uds_recv). On any failure fd
 * is closed. */
static wq_err conn_new(int fd, wq_conn **out)
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
    c->rpos = 0;
    c->rend = 0;
    wqi_frame_decoder_init(&c->dec, 0);
    wq_err err = read_peer(fd, &c->peer);
    if (err != WQ_OK) {
        close(fd);
        wqi_free(c);
        return err;
    }
    *out = (wq_conn *)c;
    return WQ_OK;
}

/* ---- listener --------------------------------------------------------- */

/* bind + chmod + listen on a fresh socket at l->path (lock held, path
 * free). The file is never more open than 0600 & ~umask before chmod:
 * on Linux bind() gives the socket file the mode of the socket's inode
 * masked by the umask, so narrowing that inode first closes the window in
 * which a just-bound socket would be 0777 & ~umask (US-2) without touching
 * the process-wide umask. Elsewhere the private directory covers it. */
static wq_err bind_and_listen(struct uds_listener *l, mode_t mode, const wq_listen_opts *opts)
{
    struct sockaddr_un sa;
    wq_err err = wqi_uds_sockaddr(l->path, &sa);
    if (err == WQ_OK) {
        err = new_socket(&l->fd);
    }
    if (err != WQ_OK) {
        return err;
    }
    (void)fchmod(l->fd, UDS_DEFAULT_MODE); /* best effort, see above */
    if (bind(l->fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        return wq_err_from_os(errno);
    }
    /* Group before mode: the file is still 0600 when the group changes. */
    if ((opts->has_socket_group && chown(l->path, (uid_t)-1, (gid_t)opts->socket_group) != 0) ||
        chmod(l->path, mode) != 0 || listen(l->fd, SOMAXCONN) != 0) {
        err = wq_err_from_os(errno);
        unlink(l->path);
        return err;
    }
    return WQ_OK;
}

static wq_err open_wake_pipe(struct uds_listener *l)
{
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        return wq_err_from_os(errno);
    }
    return WQ_OK;
}

static void listener_free(struct uds_listener *l)
{
    close_fd(&l->fd);
    close_fd(&l->wake[0]);
    close_fd(&l->wake[1]);
    wqi_free(l);
}

static wq_err uds_listen(const char *endpoint, const wq_listen_opts *opts, wq_listener **out)
{
    if ((opts->socket_mode & ~0777u) != 0) {
        return WQ_EINVAL;
    }
    mode_t mode = opts->socket_mode != 0 ? (mode_t)opts->socket_mode : UDS_DEFAULT_MODE;
    struct uds_listener *l = wqi_calloc(1, sizeof *l);
    if (l == NULL) {
        return WQ_ENOMEM;
    }
    l->base.ops = &wqi_transport_native;
    l->fd = l->wake[0] = l->wake[1] = l->lock_fd = -1;
    l->owns_path = 1;
    atomic_init(&l->shut, 0);
    wq_err err = WQ_OK;
    if (strlcpy(l->path, endpoint, sizeof l->path) >= sizeof l->path) {
        err = WQ_ENAMETOOLONG;
    }
    /* Order matters: nothing is created before the directory passes its
     * checks, and the socket path is only touched with the lock held. */
    if (err == WQ_OK) {
        err = wqi_uds_prepare_dir(l->path);
    }
    if (err == WQ_OK && opts->has_socket_group) {
        err = wqi_uds_share_dir(l->path, (gid_t)opts->socket_group);
    }
    if (err == WQ_OK) {
        err = wqi_uds_lock_take(l->path, l->lock_path, &l->lock_fd);
    }
    if (err == WQ_OK) {
        err = wqi_uds_clear_stale(l->path);
        if (err == WQ_OK) {
            err = open_wake_pipe(l);
        }
        if (err == WQ_OK) {
            err = bind_and_listen(l, mode, opts);
        }
        if (err != WQ_OK) {
            wqi_uds_lock_drop(l->lock_path, l->lock_fd);
        }
    }
    if (err != WQ_OK) {
        listener_free(l);
        return err;
    }
    *out = (wq_listener *)l;
    return WQ_OK;
}

static wq_err uds_accept(wq_listener *wl, int timeout_ms, wq_conn **out)
{
    struct uds_listener *l = (struct uds_listener *)wl;
    int64_t deadline = wqi_deadline(timeout_ms);
    for (;;) {
        if (atomic_load(&l->shut)) {
            return WQ_ECLOSED;
        }
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC); /* blocking: see conn_new */
        if (fd >= 0) {
            no_sigpipe(fd);
            wq_err err = conn_new(fd, out);
            if (err == WQ_ENOMEM) {
                return err;
            }
            if (err == WQ_OK) {
                return WQ_OK;
            }
            continue; /* the client vanished before we could ask who it was */
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED: /* a client connected and left: absorb it */
        case EPROTO:
            continue;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            break;
        default:
            return wq_err_from_os(errno); /* EMFILE/ENFILE → WQ_EIO, no spinning */
        }
        wq_err err = wait_fd(l->fd, POLLIN, l->wake[0], &l->shut, deadline);
        if (err != WQ_OK) {
            return err;
        }
    }
}

static void uds_listener_shutdown(wq_listener *wl)
{
    struct uds_listener *l = (struct uds_listener *)wl;
    if (atomic_exchange(&l->shut, 1) != 0) {
        return;
    }
    /* Linux refuses new connections to a shut-down listening socket; the
     * pipe byte wakes a blocked accept everywhere. Neither is undone, so
     * every later accept sees them too. An adopted socket is shared (with
     * systemd, say, which hands it to the next instance): shutdown(2)
     * would end it for everyone, so only the pipe is used and clients
     * that connect meanwhile wait in the backlog for the next server. */
    if (l->owns_path) {
        (void)shutdown(l->fd, SHUT_RDWR);
    }
    ssize_t rc;
    do {
        rc = write(l->wake[1], "x", 1);
    } while (rc < 0 && errno == EINTR);
}

static void uds_listener_close(wq_listener *wl)
{
    struct uds_listener *l = (struct uds_listener *)wl;
    uds_listener_shutdown(wl);
    if (!l->owns_path) { /* adopted: whoever made the file keeps it */
        listener_free(l);
        return;
    }
    /* Socket first, then the lock file, while the lock is still held: a new
     * listener can only start once both are gone or ours to replace. */
    unlink(l->path);
    close_fd(&l->fd);
    wqi_uds_lock_drop(l->lock_path, l->lock_fd);
    listener_free(l);
}

/* Is fd a listening Unix-domain stream socket? */
static int is_unix_stream_listener(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        return 0;
    }
    int type = 0;
    socklen_t n = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &n) != 0 || type != SOCK_STREAM) {
        return 0;
    }
    struct sockaddr_un sa;
    socklen_t sn = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &sn) != 0 || sa.sun_family != AF_UNIX) {
        return 0;
    }
#ifdef SO_ACCEPTCONN
    int listening = 0;
    n = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &n) != 0 || !listening) {
        return 0;
    }
#endif
    return 1;
}

wq_err wqi_uds_listener_adopt(int fd, wq_listener **out)
{
    if (out == NULL || fd < 0) {
        return WQ_EINVAL;
    }
    *out = NULL;
    if (!is_unix_stream_listener(fd)) {
        return WQ_EINVAL;
    }
    int fl = fcntl(fd, F_GETFL);
    int fdfl = fcntl(fd, F_GETFD);
    if (fl < 0 || fdfl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) != 0) {
        return wq_err_from_os(errno);
    }
    struct uds_listener *l = wqi_calloc(1, sizeof *l);
    if (l == NULL) {
        return WQ_ENOMEM;
    }
    l->base.ops = &wqi_transport_native;
    l->fd = l->wake[0] = l->wake[1] = l->lock_fd = -1;
    l->owns_path = 0;
    atomic_init(&l->shut, 0);
    wq_err err = open_wake_pipe(l);
    if (err != WQ_OK) {
        listener_free(l); /* fd is still -1 here: the caller keeps it */
        return err;
    }
    l->fd = fd;
    *out = (wq_listener *)l;
    return WQ_OK;
}

wq_err wqi_uds_socket_name(int fd, char *buf, size_t size)
{
    struct sockaddr_un sa;
    socklen_t n = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (size == 0) {
        return WQ_EINVAL;
    }
    if (getsockname(fd, (struct sockaddr *)&sa, &n) != 0) {
        return wq_err_from_os(errno);
    }
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t len = n > off ? (size_t)n - off : 0;
    if (len > sizeof sa.sun_path) {
        len = sizeof sa.sun_path;
    }
    char name[sizeof sa.sun_path + 2];
    if (len == 0) {
        snprintf(name, sizeof name, "(unnamed socket)");
    } else if (sa.sun_path[0] == '\0') { /* abstract: shown as "@name" */
        name[0] = '@';
        memcpy(name + 1, sa.sun_path + 1, len - 1);
        name[len] = '\0';
    } else {
        memcpy(name, sa.sun_path, len);
        name[len] = '\0';
    }
    return strlcpy(buf, name, size) < size ? WQ_OK : WQ_ENAMETOOLONG;
}

/* ---- connect ---------------------------------------------------------- */

/* A non-blocking connect that did not finish at once: wait for it. */
static wq_err finish_connect(int fd, int64_t deadline)
{
    atomic_int never = 0;
    wq_err err = wait_fd(fd, POLLOUT, -1, &never, deadline);
    if (err != WQ_OK) {
        return err;
    }
    int so_error = 0;
    socklen_t n = sizeof so_error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &n) != 0) {
        return wq_err_from_os(errno);
    }
    return wq_err_from_os(so_error);
}

static wq_err connect_until(int fd, const struct sockaddr_un *sa, int64_t deadline)
{
    int backoff = UDS_BACKOFF_FIRST_MS;
    for (;;) {
        if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) {
            return WQ_OK;
        }
        switch (errno) {
        case EINPROGRESS:
        case EINTR: /* the connection carries on in the background */
            return finish_connect(fd, deadline);
        case EAGAIN: { /* backlog full (Linux): every instance is busy */
            int left = wqi_remaining_ms(deadline);
            if (left == 0) {
                return WQ_ETIMEDOUT;
            }
            wqi_sleep_ms(left < 0 || left > backoff ? backoff : left);
            backoff = backoff * 2 > UDS_BACKOFF_MAX_MS ? UDS_BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        default:
            return wq_err_from_os(errno); /* ENOENT/ECONNREFUSED → WQ_ENOENT at once */
        }
    }
}

static wq_err uds_connect(const char *endpoint, int timeout_ms, wq_conn **out)
{
    struct sockaddr_un sa;
    wq_err err = wqi_uds_sockaddr(endpoint, &sa);
    if (err != WQ_OK) {
        return err;
    }
    int fd = -1; /* set by new_socket on success; -O2 cannot tell */
    err = new_socket(&fd);
    if (err != WQ_OK) {
        return err;
    }
    err = connect_until(fd, &sa, wqi_deadline(timeout_ms));
    /* Non-blocking only while connecting (connect_until waits in poll). */
    int fl = err == WQ_OK ? fcntl(fd, F_GETFL) : 0;
    if (err == WQ_OK && (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)) {
        err = wq_err_from_os(errno);
    }
    if (err != WQ_OK) {
        close(fd);
        return err;
    }
    return conn_new(fd, out);
}

/* ---- send ------------------------------------------------------------- */

/* Drop n sent bytes from the front of the iovec array. */
static void iov_advance(struct iovec **v, int *cnt, size_t n)
{
    while (*cnt > 0 && n >= (*v)->iov_len) {
        n -= (*v)->iov_len;
        (*v)++;
        (*cnt)--;
    }
    if (*cnt > 0) {
        (*v)->iov_base = (uint8_t *)(*v)->iov_base + n;
        (*v)->iov_len -= n;
    }
}

/* Write every byte of iov[0..cnt) by deadline. */
static wq_err send_iov(struct uds_conn *c, struct iovec *v, int cnt, int64_t deadline)
{
    while (cnt > 0) {
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = v;
        m.msg_iovlen = (size_t)cnt;
        ssize_t n = sendmsg(c->fd, &m, UDS_SEND_FLAGS);
        if (n >= 0) {
            iov_advance(&v, &cnt, (size_t)n);
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return atomic_load(&c->shut) ? WQ_ECLOSED : wq_err_from_os(errno);
        }
        wq_err err = wait_fd(c->fd, POLLOUT, -1, &c->shut, deadline);
        if (err != WQ_OK) {
            return err; /* mid-message timeout: the caller must close */
        }
    }
    return WQ_OK;
}

/* Every message's header and body in one sendmsg: one system call, and
 * one wake-up of the reader, for the whole batch. */
static wq_err uds_send_many(wq_conn *wc, const wqi_msg *msgs, size_t n, int timeout_ms)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    uint8_t hdr[WQI_SEND_MANY_MAX][WQI_FRAME_HEADER];
    struct iovec iov[2 * WQI_SEND_MANY_MAX];
    int cnt = 0;
    for (size_t i = 0; i < n; i++) {
        if ((uint64_t)msgs[i].len > (uint64_t)WQI_FRAME_MAX_BODY) {
            return WQ_EINVAL;
        }
        wqi_frame_header(hdr[i], (uint32_t)msgs[i].len);
        iov[cnt].iov_base = hdr[i];
        iov[cnt++].iov_len = WQI_FRAME_HEADER;
        if (msgs[i].len > 0) {
            iov[cnt].iov_base = (void *)msgs[i].data;
            iov[cnt++].iov_len = msgs[i].len;
        }
    }
    if (atomic_load(&c->shut)) {
        return WQ_ECLOSED;
    }
    return send_iov(c, iov, cnt, wqi_deadline(timeout_ms));
}

static wq_err uds_send(wq_conn *wc, const void *buf, size_t len, int timeout_ms)
{
    wqi_msg one = {buf, len};
    return uds_send_many(wc, &one, 1, timeout_ms);
}

/* ---- receive ---------------------------------------------------------- */

/* Give the buffered bytes to the decoder. Stops at the first whole message
 * (the rest stays buffered for the next recv). Also called with nothing
 * buffered so that a body allocation that failed earlier is retried. */
static wq_err feed_buffered(struct uds_conn *c, void **msg, size_t *msg_len)
{
    size_t used;
    wq_err err = wqi_frame_feed(&c->dec, c->rbuf + c->rpos, c->rend - c->rpos, &used, msg, msg_len);
    c->rpos += used;
    if (c->rpos == c->rend) {
        c->rpos = c->rend = 0;
    }
    return err;
}

/* One read from the socket (the buffer is empty when this is called):
 * blocking, bounded by SO_RCVTIMEO, unless flags has MSG_DONTWAIT. Inside a body, the missing body
 * bytes go straight into the message and what follows them into the buffer; otherwise everything
 * goes to the buffer. Returns what recvmsg returned (errno set on -1; EAGAIN: the timeout passed).
 */
static ssize_t read_some(struct uds_conn *c, int flags, void **msg, size_t *msg_len)
{
    uint8_t *space;
    size_t want;
    wqi_frame_body_space(&c->dec, &space, &want);
    struct iovec iov[2] = {{space, want}, {c->rbuf, sizeof c->rbuf}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = want > 0 ? iov : iov + 1;
    m.msg_iovlen = want > 0 ? 2 : 1;
    ssize_t n = recvmsg(c->fd, &m, flags);
    if (n > 0) {
        size_t body = (size_t)n < want ? (size_t)n : want;
        if (want > 0) {
            wqi_frame_body_commit(&c->dec, body, msg, msg_len);
        }
        c->rend = (size_t)n - body;
    }
    return n;
}

/* Bound the next blocking read by deadline: WQ_ETIMEDOUT if it has
 * passed. setsockopt is skipped while the value set last is no longer
 * than what is left and not much shorter, so a connection whose calls all
 * use the same timeout sets it about once; a read that times out a little
 * early just goes round again with what is left. */
static wq_err arm_timeout(struct uds_conn *c, int64_t deadline)
{
    int ms = wqi_remaining_ms(deadline);
    if (ms == 0) {
        return WQ_ETIMEDOUT;
    }
    int cur = c->rcvtimeo_ms;
    int fits = ms < 0 ? cur == -1 : cur > 0 && cur <= ms && cur >= ms - ms / 8;
    if (fits) {
        return WQ_OK;
    }
    struct timeval tv = {0, 0}; /* zero: no timeout */
    if (ms > 0) {
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
    }
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        c->rcvtimeo_ms = -2;
        return wq_err_from_os(errno);
    }
    c->rcvtimeo_ms = ms;
    return WQ_OK;
}

/* Remember when the message now being received began, for
 * wq_conn_set_message_timeout; forget it once no message is in progress. */
static void note_progress(struct uds_conn *c)
{
    if (!wqi_frame_in_progress(&c->dec)) {
        c->msg_started = 0;
    } else if (c->msg_started == 0) {
        c->msg_started = wqi_clock_ms();
    }
}

/* The receive's deadline, shortened to the message timeout while a
 * message is partly in. */
static int64_t message_deadline(const struct uds_conn *c, int64_t deadline)
{
    int limit = c->base.message_timeout_ms;
    if (limit < 0 || c->msg_started == 0) {
        return deadline;
    }
    int64_t cut = c->msg_started + limit;
    return cut < deadline ? cut : deadline;
}

static wq_err uds_recv(wq_conn *wc, size_t max, int timeout_ms, void **buf, size_t *len)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    if (atomic_load(&c->shut)) {
        return WQ_ECLOSED;
    }
    if (c->rx_broken) {
        return WQ_EPROTO;
    }
    /* The limit is the caller's, per call; the decoder applies it when a
     * header completes, before the body is allocated. */
    c->dec.max = max;
    int64_t deadline = wqi_deadline(timeout_ms);
    for (;;) {
        wq_err err = feed_buffered(c, buf, len);
        note_progress(c);
        if (err == WQ_EMSGSIZE) {
            c->rx_broken = 1; /* the stream cannot be resynchronised */
        }
        if (err != WQ_OK || *buf != NULL) {
            return err;
        }
        if (atomic_load(&c->shut)) {
            return WQ_ECLOSED;
        }
        /* shutdown() wakes a blocked read with EOF, so wq_conn_shutdown
         * needs no second descriptor to reach us. */
        err = arm_timeout(c, message_deadline(c, deadline));
        /* Past the deadline (or a zero timeout), what has already arrived
         * is still taken: one more read, without waiting. */
        int expired = err == WQ_ETIMEDOUT;
        if (err == WQ_OK || expired) {
            ssize_t n = read_some(c, expired ? MSG_DONTWAIT : 0, buf, len);
            note_progress(c);
            if (n > 0) {
                if (*buf != NULL) {
                    return WQ_OK;
                }
                continue;
            }
            if (n == 0) {
                return WQ_ECLOSED; /* EOF, between or in the middle of frames */
            }
            if (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && !expired)) {
                continue; /* EAGAIN: SO_RCVTIMEO passed; arm_timeout decides */
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                return atomic_load(&c->shut) ? WQ_ECLOSED : wq_err_from_os(errno);
            }
        }
        if (err == WQ_ETIMEDOUT && wqi_frame_in_progress(&c->dec)) {
            /* Part of a message is consumed and the rest never came. */
            c->rx_broken = 1;
        }
        return err;
    }
}

static int uds_has_message(wq_conn *wc)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    return !c->rx_broken && wqi_frame_whole_in(&c->dec, c->rbuf + c->rpos, c->rend - c->rpos);
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
    close_fd(&c->fd);
    wqi_frame_decoder_reset(&c->dec);
    wqi_free(c);
}

static wq_err uds_peer(wq_conn *wc, wq_peer *out)
{
    *out = ((struct uds_conn *)wc)->peer;
    return WQ_OK;
}

const struct wq_transport wqi_transport_native = {
    .name = "uds",
    .resolve = wqi_uds_resolve,
    .listen = uds_listen,
    .accept = uds_accept,
    .listener_shutdown = uds_listener_shutdown,
    .listener_close = uds_listener_close,
    .connect = uds_connect,
    .send = uds_send,
    .recv = uds_recv,
    .shutdown = uds_conn_shutdown,
    .close = uds_conn_close,
    .peer = uds_peer,
    .send_many = uds_send_many,
    .has_message = uds_has_message,
};
