/* uds_recv.c (POSIX) — receiving: the read buffer and the frame decoder
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

/* ---- receive ---------------------------------------------------------- */

/* Give the buffered bytes to the decoder. Stops at the first whole message
 * (the rest stays buffered for the next recv). Also called with nothing
 * buffered so that a body allocation that failed earlier is retried. */
static wq_err feed_buffered(struct uds_conn *c, void **msg, size_t *msg_len)
{
    size_t used;
    const uint8_t *p = c->rbuf != NULL ? c->rbuf + c->rpos : NULL;
    wq_err err = wqi_frame_feed(&c->dec, p, c->rend - c->rpos, &used, msg, msg_len);
    c->rpos += used;
    if (c->rpos == c->rend) {
        c->rpos = c->rend = 0;
    }
    return err;
}

/* Choose the buffer for the next read; called only when the buffer is
 * empty, so nothing is ever copied. The last read filled the stack buffer,
 * or needed more than it holds: more is coming, take (or keep) the large
 * one (if memory is short, stay on the stack: slower, not wrong). The last
 * read would have fitted the stack buffer: read there, and give back what
 * the heap held (the large buffer once a burst is over, or the block that
 * carried bytes across calls). */
static void pick_buffer(struct uds_conn *c, uint8_t *stack)
{
    int burst = c->last_read >= UDS_RSTACK_SIZE;
    int large = c->rbuf != NULL && c->rbuf != stack && c->rcap == UDS_RBUF_SIZE;
    if (burst && large) {
        return;
    }
    if (c->rbuf != NULL && c->rbuf != stack) {
        wqi_free(c->rbuf);
    }
    c->rbuf = stack;
    c->rcap = UDS_RSTACK_SIZE;
    if (burst) {
        uint8_t *big = wqi_malloc(UDS_RBUF_SIZE);
        if (big != NULL) {
            c->rbuf = big;
            c->rcap = UDS_RBUF_SIZE;
        }
    }
}

/* One read from the socket (the buffer is empty when this is called):
 * blocking, bounded by SO_RCVTIMEO, unless flags has MSG_DONTWAIT. Inside a
 * body, the missing body bytes go straight into the message and what
 * follows them into the buffer; otherwise everything goes to the buffer.
 * Returns what recvmsg returned (errno set on -1; EAGAIN: the timeout
 * passed). */
static ssize_t read_some(struct uds_conn *c, int flags, uint8_t *stack, void **msg, size_t *msg_len)
{
    uint8_t *space;
    size_t want;
    wqi_frame_body_space(&c->dec, &space, &want);
    pick_buffer(c, stack);
    struct iovec iov[2] = {{space, want}, {c->rbuf, c->rcap}};
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
        c->last_read = c->rend;
    }
    return n;
}

/* On the way out of wqi_uds_recv: the stack buffer ends with the call, so
 * bytes still in it (those behind the message returned) move to a heap
 * block of their size, and nothing points at the stack any more. If that
 * block cannot be had, those bytes are lost and the stream with them: the
 * message is not returned, err becomes WQ_ENOMEM and later receives
 * WQ_EPROTO. */
static wq_err settle(struct uds_conn *c, const uint8_t *stack, wq_err err, void **msg,
                     size_t *msg_len)
{
    size_t n = c->rend - c->rpos;
    c->rbuf = NULL;
    c->rcap = 0;
    if (n == 0 || c->rx_broken) {
        c->rpos = c->rend = 0;
        return err;
    }
    uint8_t *keep = wqi_malloc(n);
    if (keep == NULL) {
        c->rpos = c->rend = 0;
        c->rx_broken = 1;
        wq_free(*msg);
        *msg = NULL;
        *msg_len = 0;
        return WQ_ENOMEM;
    }
    memcpy(keep, stack + c->rpos, n);
    c->rbuf = keep;
    c->rcap = n;
    c->rpos = 0;
    c->rend = n;
    return err;
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

static wq_err recv_loop(struct uds_conn *c, uint8_t *stack, size_t max, int timeout_ms, void **buf,
                        size_t *len)
{
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
            ssize_t n = read_some(c, expired ? MSG_DONTWAIT : 0, stack, buf, len);
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

/* The stack buffer lives in this frame, which is on the stack while a
 * connection idles. On a server's connection thread that costs no memory:
 * with glibc a thread's descriptor and static TLS sit at the top of its
 * stack and take 4,224 bytes (x86-64, glibc 2.36), more than a page, so
 * every thread already has two resident stack pages, and the second has
 * 3,968 bytes for frames. Blocked here, an idle connection thread uses
 * about 1,700 of them (this buffer and server.c's reply buffer included);
 * the deepest request path measured (LIST, where qsort recurses) about
 * 3,300. Inside the connection the same 512 bytes cost 512 bytes per
 * connection. Keep the frames on these paths small (this one, server.c
 * serve, dispatch): once they reach a third page, every connection that
 * took that path keeps it. */
wq_err wqi_uds_recv(wq_conn *wc, size_t max, int timeout_ms, void **buf, size_t *len)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    uint8_t stack[UDS_RSTACK_SIZE];
    wq_err err = recv_loop(c, stack, max, timeout_ms, buf, len);
    return c->rbuf == stack ? settle(c, stack, err, buf, len) : err;
}

int wqi_uds_has_message(wq_conn *wc)
{
    struct uds_conn *c = (struct uds_conn *)wc;
    return !c->rx_broken && c->rbuf != NULL &&
           wqi_frame_whole_in(&c->dec, c->rbuf + c->rpos, c->rend - c->rpos);
}
