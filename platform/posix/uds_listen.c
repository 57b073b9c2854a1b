/* uds_listen.c (POSIX) — listeners: listen, accept, shut down, close, and
 * adopting a listening socket someone else opened
 * (the uds backend; overview in uds.c). */
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
        err = wqi_uds_new_socket(&l->fd);
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
    wqi_uds_close_fd(&l->fd);
    wqi_uds_close_fd(&l->wake[0]);
    wqi_uds_close_fd(&l->wake[1]);
    wqi_free(l);
}

wq_err wqi_uds_listen(const char *endpoint, const wq_listen_opts *opts, wq_listener **out)
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
    if (err == WQ_OK) {
        err = opts->has_socket_group ? wqi_uds_share_dir(l->path, (gid_t)opts->socket_group)
                                     : wqi_uds_unshare_dir(l->path);
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

wq_err wqi_uds_accept(wq_listener *wl, int timeout_ms, wq_conn **out)
{
    struct uds_listener *l = (struct uds_listener *)wl;
    int64_t deadline = wqi_deadline(timeout_ms);
    for (;;) {
        if (atomic_load(&l->shut)) {
            return WQ_ECLOSED;
        }
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC); /* blocking: see wqi_uds_conn_new */
        if (fd >= 0) {
            wqi_uds_no_sigpipe(fd);
            wq_err err = wqi_uds_conn_new(fd, out);
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
        wq_err err = wqi_uds_wait_fd(l->fd, POLLIN, l->wake[0], &l->shut, deadline);
        if (err != WQ_OK) {
            return err;
        }
    }
}

void wqi_uds_listener_shutdown(wq_listener *wl)
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

void wqi_uds_listener_close(wq_listener *wl)
{
    struct uds_listener *l = (struct uds_listener *)wl;
    wqi_uds_listener_shutdown(wl);
    if (!l->owns_path) { /* adopted: whoever made the file keeps it */
        listener_free(l);
        return;
    }
    /* Socket first, then the lock file, while the lock is still held: a new
     * listener can only start once both are gone or ours to replace. */
    unlink(l->path);
    wqi_uds_close_fd(&l->fd);
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

wq_err wqi_uds_adopt(intptr_t handle, wq_listener **out)
{
    *out = NULL;
    if (handle < 0 || handle > INT32_MAX) {
        return WQ_EINVAL;
    }
    int fd = (int)handle;
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
