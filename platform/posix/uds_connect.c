/* uds_connect.c (POSIX) — connecting to a listener
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

/* ---- connect ---------------------------------------------------------- */

/* A non-blocking connect that did not finish at once: wait for it. */
static wq_err finish_connect(int fd, int64_t deadline)
{
    atomic_int never = 0;
    wq_err err = wqi_uds_wait_fd(fd, POLLOUT, -1, &never, deadline);
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

wq_err wqi_uds_connect(const char *endpoint, int timeout_ms, wq_conn **out)
{
    struct sockaddr_un sa;
    wq_err err = wqi_uds_sockaddr(endpoint, &sa);
    if (err != WQ_OK) {
        return err;
    }
    int fd = -1; /* set by wqi_uds_new_socket on success; -O2 cannot tell */
    err = wqi_uds_new_socket(&fd);
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
    return wqi_uds_conn_new(fd, out);
}
