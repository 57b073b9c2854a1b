/* uds_send.c (POSIX) — sending one message, or a batch in one sendmsg
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
        wq_err err = wqi_uds_wait_fd(c->fd, POLLOUT, -1, &c->shut, deadline);
        if (err != WQ_OK) {
            return err; /* mid-message timeout: the caller must close */
        }
    }
    return WQ_OK;
}

/* Every message's header and body in one sendmsg: one system call, and
 * one wake-up of the reader, for the whole batch. */
wq_err wqi_uds_send_many(wq_conn *wc, const wqi_msg *msgs, size_t n, int timeout_ms)
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

wq_err wqi_uds_send(wq_conn *wc, const void *buf, size_t len, int timeout_ms)
{
    wqi_msg one = {buf, len};
    return wqi_uds_send_many(wc, &one, 1, timeout_ms);
}
