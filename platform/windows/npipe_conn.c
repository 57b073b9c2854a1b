/* npipe_conn.c (Windows) — one end of a message-mode named pipe.
 *
 * I/O: the handle is overlapped, so every wait is WaitForMultipleObjects on
 * the operation's event and the connection's shutdown event, bounded by the
 * caller's deadline. A wait that ends early (timeout, shutdown) cancels the
 * operation with CancelIoEx and then waits for it to finish before the
 * OVERLAPPED or buffer is touched again (WPR-6). If the operation finished
 * anyway, its result stands: a message that arrived is delivered, not lost.
 *
 * Receive: one ReadFile into a per-connection buffer gets a whole small
 * message, which is copied out at its exact size — one system call per
 * message when the message is already there, two when it must be waited
 * for. A longer message reports ERROR_MORE_DATA; PeekNamedPipe then tells
 * how much of it is left, so its size is checked against the caller's
 * maximum before it is allocated (WPR-2), and the rest is read straight
 * into the result. A zero-byte message is an empty message; only errors
 * mean the peer has gone (WPR-3).
 *
 * Shutdown: a flag plus a manual-reset event. Every call checks the flag
 * under the lock before it starts, and every wait includes the event, so a
 * shutdown can land before, during or after a call's system call and the
 * call still sees it. Shutdown then waits until the calls in progress have
 * left and closes the handle, which the peer sees as the pipe closing.
 */
#include <string.h>

#include "alloc.h"
#include "npipe_int.h"
#include "npipe_os.h"
#include "platform.h"
#include "transport_ops.h"

/* Per-connection receive buffer: holds a whole request or reply in the
 * common case; larger messages take the ERROR_MORE_DATA path. */
#define NPIPE_RBUF_SIZE (8u * 1024u)

/* Connect: the longest single WaitNamedPipe, so that a long or endless
 * timeout still re-checks whether the pipe has gone away. */
#define NPIPE_WAIT_SLICE_MS 500
/* Connect back-off when WaitNamedPipe said an instance was free but another
 * client took it first, so that losers of that race do not spin. */
#define NPIPE_BACKOFF_MAX_MS 16

#define NPIPE_SID_SIZE 192

struct npipe_conn {
    struct wqi_conn_base base;
    HANDLE pipe;       /* INVALID_HANDLE_VALUE before set_pipe and after shutdown */
    int server;        /* the server end (accepted), else the client end */
    HANDLE shut_event; /* manual-reset; set once by shutdown, in every wait */
    OVERLAPPED rov;    /* receive; one receiving thread at a time */
    OVERLAPPED wov;    /* send; one sending thread at a time */
    unsigned char *rbuf;
    int rx_broken; /* receive side unusable (after EMSGSIZE or half a message) */
    uint64_t peer_pid;

    wqi_mutex lock; /* guards what follows */
    wqi_cond idle;  /* signalled when active drops to 0 after shutdown */
    int shut;
    int active; /* calls using pipe right now */
    int sid_known;
    char peer_sid[NPIPE_SID_SIZE];
};

static struct npipe_conn *conn_of(wq_conn *c)
{
    return (struct npipe_conn *)c;
}

/* ---- helpers shared with the listener --------------------------------- */

DWORD wqi_npipe_wait_ms(int64_t deadline_ms)
{
    int left = wqi_remaining_ms(deadline_ms);
    return left < 0 ? INFINITE : (DWORD)left;
}

void wqi_npipe_ov_reset(OVERLAPPED *ov)
{
    HANDLE event = ov->hEvent;
    memset(ov, 0, sizeof *ov);
    ov->hEvent = event;
}

/* The final status of an overlapped operation; waits for it if wait. */
static DWORD ov_status(HANDLE h, OVERLAPPED *ov, DWORD *n, BOOL wait)
{
    *n = 0;
    return GetOverlappedResult(h, ov, n, wait) ? ERROR_SUCCESS : GetLastError();
}

DWORD wqi_npipe_cancel_and_wait(HANDLE h, OVERLAPPED *ov, DWORD *n)
{
    /* Fails with ERROR_NOT_FOUND when the operation has already finished;
     * either way the wait below is what makes reuse safe. */
    CancelIoEx(h, ov);
    return ov_status(h, ov, n, TRUE);
}

/* ---- lifetime ------------------------------------------------------------ */

static void conn_free(struct npipe_conn *c)
{
    if (c->shut_event != NULL) {
        CloseHandle(c->shut_event);
    }
    if (c->rov.hEvent != NULL) {
        CloseHandle(c->rov.hEvent);
    }
    if (c->wov.hEvent != NULL) {
        CloseHandle(c->wov.hEvent);
    }
    wqi_free(c->rbuf);
    wqi_cond_destroy(&c->idle);
    wqi_mutex_destroy(&c->lock);
    wqi_free(c);
}

/* Manual-reset, unnamed, not inheritable. */
static HANDLE new_event(void)
{
    return CreateEventW(NULL, TRUE, FALSE, NULL);
}

wq_err wqi_npipe_conn_new(int server, wq_conn **out)
{
    struct npipe_conn *c = wqi_calloc(1, sizeof *c);
    if (c == NULL) {
        return WQ_ENOMEM;
    }
    wqi_conn_base_init(&c->base, &wqi_transport_native);
    c->pipe = INVALID_HANDLE_VALUE;
    c->server = server;
    wqi_mutex_init(&c->lock);
    wqi_cond_init(&c->idle);
    c->shut_event = new_event();
    c->rov.hEvent = new_event();
    c->wov.hEvent = new_event();
    c->rbuf = wqi_malloc(NPIPE_RBUF_SIZE);
    if (c->shut_event == NULL || c->rov.hEvent == NULL || c->wov.hEvent == NULL ||
        c->rbuf == NULL) {
        conn_free(c);
        return WQ_ENOMEM;
    }
    *out = (wq_conn *)c;
    return WQ_OK;
}

/* Server side: the pid is recorded now, the SID later (wqi_npipe_peer). */
void wqi_npipe_conn_set_pipe(wq_conn *wc, HANDLE pipe)
{
    struct npipe_conn *c = conn_of(wc);
    c->pipe = pipe;
    ULONG pid = 0;
    if (wqi_npipe_os.GetNamedPipeClientProcessId(pipe, &pid)) {
        c->peer_pid = pid;
    }
}

/* Enter a call that uses the pipe; WQ_ECLOSED once shut down. */
static wq_err op_enter(struct npipe_conn *c)
{
    wqi_mutex_lock(&c->lock);
    wq_err err = c->shut ? WQ_ECLOSED : WQ_OK;
    if (err == WQ_OK) {
        c->active++;
    }
    wqi_mutex_unlock(&c->lock);
    return err;
}

static void op_leave(struct npipe_conn *c)
{
    wqi_mutex_lock(&c->lock);
    if (--c->active == 0 && c->shut) {
        wqi_cond_broadcast(&c->idle);
    }
    wqi_mutex_unlock(&c->lock);
}

void wqi_npipe_shutdown(wq_conn *wc)
{
    struct npipe_conn *c = conn_of(wc);
    wqi_mutex_lock(&c->lock);
    if (c->shut) {
        wqi_mutex_unlock(&c->lock);
        return;
    }
    c->shut = 1;
    SetEvent(c->shut_event); /* wakes every wait, now or later */
    while (c->active > 0) {
        wqi_cond_wait(&c->idle, &c->lock); /* each cancels its own I/O first */
    }
    HANDLE pipe = c->pipe;
    c->pipe = INVALID_HANDLE_VALUE;
    wqi_mutex_unlock(&c->lock);
    /* No DisconnectNamedPipe on the server end: it would throw away a reply
     * the client has not read yet. Closing lets the peer read what was sent
     * and then see ERROR_BROKEN_PIPE. */
    if (pipe != INVALID_HANDLE_VALUE) {
        CloseHandle(pipe);
    }
}

void wqi_npipe_close(wq_conn *wc)
{
    wqi_npipe_shutdown(wc);
    conn_free(conn_of(wc));
}

/* ---- overlapped I/O ------------------------------------------------------ */

/* Finish an overlapped ReadFile/WriteFile that returned ok: wait for it
 * until deadline or shutdown. Returns its Win32 status (ERROR_MORE_DATA
 * included) and byte count. *stop is WQ_ETIMEDOUT or WQ_ECLOSED when the
 * operation was cancelled for that reason; the status is then meaningless
 * apart from telling that nothing more is in flight. */
static DWORD io_finish(struct npipe_conn *c, OVERLAPPED *ov, BOOL ok, int64_t deadline, DWORD *n,
                       wq_err *stop)
{
    *stop = WQ_OK;
    *n = 0;
    if (!ok) {
        DWORD code = GetLastError();
        if (code != ERROR_IO_PENDING && code != ERROR_MORE_DATA) {
            return code; /* failed at once; nothing in flight */
        }
        if (code == ERROR_IO_PENDING) {
            HANDLE waits[2] = {ov->hEvent, c->shut_event};
            DWORD w = WaitForMultipleObjects(2, waits, FALSE, wqi_npipe_wait_ms(deadline));
            if (w != WAIT_OBJECT_0) {
                *stop = w == WAIT_OBJECT_0 + 1 ? WQ_ECLOSED
                        : w == WAIT_TIMEOUT    ? WQ_ETIMEDOUT
                                               : WQ_EIO;
                DWORD last = wqi_npipe_cancel_and_wait(c->pipe, ov, n);
                if (*stop == WQ_ETIMEDOUT && (last == ERROR_SUCCESS || last == ERROR_MORE_DATA)) {
                    *stop = WQ_OK; /* it finished before the cancel: keep it */
                }
                return last;
            }
        }
    }
    return ov_status(c->pipe, ov, n, FALSE);
}

static DWORD read_some(struct npipe_conn *c, void *buf, DWORD size, int64_t deadline, DWORD *n,
                       wq_err *stop)
{
    wqi_npipe_ov_reset(&c->rov);
    BOOL ok = wqi_npipe_os.ReadFile(c->pipe, buf, size, NULL, &c->rov);
    return io_finish(c, &c->rov, ok, deadline, n, stop);
}

/* ---- receive ------------------------------------------------------------- */

/* The receive side cannot continue after this: the rest of a message is
 * still in the pipe, or one was refused. */
static wq_err rx_fail(struct npipe_conn *c, wq_err err)
{
    c->rx_broken = 1;
    return err;
}

/* A whole message of n bytes is in rbuf. */
static wq_err deliver(struct npipe_conn *c, DWORD n, size_t max, void **buf, size_t *len)
{
    if (n > max) {
        return rx_fail(c, WQ_EMSGSIZE);
    }
    unsigned char *out = wqi_malloc((size_t)n + 1);
    if (out == NULL) {
        return WQ_ENOMEM; /* the message is lost, but the stream is intact */
    }
    memcpy(out, c->rbuf, n);
    out[n] = '\0';
    *buf = out;
    *len = n;
    return WQ_OK;
}

/* Read the rest of a message whose first got bytes are in out. The message
 * must end exactly at total bytes. */
static wq_err read_rest(struct npipe_conn *c, unsigned char *out, size_t got, size_t total,
                        int64_t deadline)
{
    while (got < total) {
        size_t want = total - got;
        DWORD n;
        wq_err stop;
        DWORD status =
            read_some(c, out + got, want > MAXDWORD ? MAXDWORD : (DWORD)want, deadline, &n, &stop);
        if (stop != WQ_OK) {
            return stop; /* half a message stays behind */
        }
        if (status != ERROR_SUCCESS && status != ERROR_MORE_DATA) {
            return wq_err_from_os((long)status);
        }
        got += n;
        if (status == ERROR_SUCCESS) {
            break; /* end of the message */
        }
        if (got >= total) {
            return WQ_EPROTO; /* longer than the pipe said */
        }
    }
    return got == total ? WQ_OK : WQ_EPROTO;
}

/* The rest of a message that cannot be stored (out of memory) is read
 * and dropped, so that the next read starts at the next message and the
 * sender can be answered. */
static wq_err skip_rest(struct npipe_conn *c, int64_t deadline)
{
    for (;;) {
        DWORD n;
        wq_err stop;
        DWORD status = read_some(c, c->rbuf, NPIPE_RBUF_SIZE, deadline, &n, &stop);
        if (stop != WQ_OK) {
            return rx_fail(c, stop); /* half a message stays behind */
        }
        if (status == ERROR_SUCCESS) {
            return WQ_ENOMEM; /* the whole message is gone; the pipe is in step */
        }
        if (status != ERROR_MORE_DATA) {
            return rx_fail(c, wq_err_from_os((long)status));
        }
    }
}

/* The first got bytes of a longer message are in rbuf (ERROR_MORE_DATA). */
static wq_err recv_long(struct npipe_conn *c, DWORD got, size_t max, int64_t deadline, void **buf,
                        size_t *len)
{
    if (got > max) {
        return rx_fail(c, WQ_EMSGSIZE); /* no need to ask how much more */
    }
    DWORD left = 0;
    if (!wqi_npipe_os.PeekNamedPipe(c->pipe, NULL, 0, NULL, NULL, &left)) {
        return rx_fail(c, wq_err_from_os((long)GetLastError()));
    }
    /* 64-bit arithmetic: got + left + 1 cannot wrap. */
    uint64_t total = (uint64_t)got + left;
    if (total > max) {
        return rx_fail(c, WQ_EMSGSIZE); /* decided before allocating (WPR-2) */
    }
    if (total >= SIZE_MAX) {
        return rx_fail(c, WQ_ENOMEM);
    }
    /* The message has begun: wq_conn_set_message_timeout bounds the rest,
     * so a writer that stalls inside its one WriteFile cannot hold us. */
    int64_t rest_deadline = wqi_deadline(c->base.message_timeout_ms);
    if (rest_deadline > deadline) {
        rest_deadline = deadline;
    }
    unsigned char *out = wqi_malloc((size_t)total + 1);
    if (out == NULL) {
        return skip_rest(c, rest_deadline);
    }
    memcpy(out, c->rbuf, got);
    wq_err err = read_rest(c, out, got, (size_t)total, rest_deadline);
    if (err != WQ_OK) {
        wqi_free(out);
        return rx_fail(c, err);
    }
    out[total] = '\0';
    *buf = out;
    *len = (size_t)total;
    return WQ_OK;
}

static wq_err recv_message(struct npipe_conn *c, size_t max, int64_t deadline, void **buf,
                           size_t *len)
{
    DWORD n;
    wq_err stop;
    DWORD status = read_some(c, c->rbuf, NPIPE_RBUF_SIZE, deadline, &n, &stop);
    if (stop != WQ_OK) {
        return stop; /* cancelled before anything was consumed */
    }
    if (status == ERROR_SUCCESS) {
        return deliver(c, n, max, buf, len);
    }
    if (status == ERROR_MORE_DATA) {
        return recv_long(c, n, max, deadline, buf, len);
    }
    return wq_err_from_os((long)status);
}

wq_err wqi_npipe_recv(wq_conn *wc, size_t max, int timeout_ms, void **buf, size_t *len)
{
    struct npipe_conn *c = conn_of(wc);
    int64_t deadline = wqi_deadline(timeout_ms);
    wq_err err = op_enter(c);
    if (err != WQ_OK) {
        return err;
    }
    err = c->rx_broken ? WQ_EPROTO : recv_message(c, max, deadline, buf, len);
    op_leave(c);
    return err;
}

/* ---- send ---------------------------------------------------------------- */

wq_err wqi_npipe_send(wq_conn *wc, const void *buf, size_t len, int timeout_ms)
{
    static const unsigned char nothing = 0; /* a valid pointer for len 0 */
    struct npipe_conn *c = conn_of(wc);
    if (len > MAXDWORD) {
        return WQ_EINVAL; /* one pipe message is one WriteFile */
    }
    int64_t deadline = wqi_deadline(timeout_ms);
    wq_err err = op_enter(c);
    if (err != WQ_OK) {
        return err;
    }
    wqi_npipe_ov_reset(&c->wov);
    BOOL ok = wqi_npipe_os.WriteFile(c->pipe, len > 0 ? buf : &nothing, (DWORD)len, NULL, &c->wov);
    DWORD n;
    DWORD status = io_finish(c, &c->wov, ok, deadline, &n, &err);
    if (err == WQ_OK && status != ERROR_SUCCESS) {
        err = wq_err_from_os((long)status);
    }
    if (err == WQ_OK && n != len) {
        err = WQ_EIO; /* a message-mode write is all or nothing (WPR-9) */
    }
    op_leave(c);
    return err;
}

/* ---- connect ------------------------------------------------------------- */

/* Open the client end, waiting while every instance is busy (WPR-5):
 * WaitNamedPipe in bounded slices, which returns at once when no instance
 * exists, so a missing server is WQ_ENOENT without spinning. */
static wq_err open_client(const WCHAR *name, int64_t deadline, HANDLE *out, FILETIME *opened_at)
{
    int backoff_ms = 0;
    for (;;) {
        /* The server process existed before this moment (record_server). */
        GetSystemTimeAsFileTime(opened_at);
        /* SQOS identification: the server may learn who we are but cannot
         * act as us (WPS-6). No share mode, no inheritance. */
        HANDLE h = wqi_npipe_os.CreateFileW(
            name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            *out = h;
            return WQ_OK;
        }
        DWORD code = GetLastError();
        if (code != ERROR_PIPE_BUSY) {
            return wq_err_from_os((long)code);
        }
        int left = wqi_remaining_ms(deadline);
        if (left == 0) {
            return WQ_ETIMEDOUT;
        }
        if (backoff_ms > 0) {
            wqi_sleep_ms(left > 0 && left < backoff_ms ? left : backoff_ms);
            backoff_ms =
                backoff_ms * 2 > NPIPE_BACKOFF_MAX_MS ? NPIPE_BACKOFF_MAX_MS : backoff_ms * 2;
            continue;
        }
        DWORD slice = left < 0 || left > NPIPE_WAIT_SLICE_MS ? NPIPE_WAIT_SLICE_MS : (DWORD)left;
        if (wqi_npipe_os.WaitNamedPipeW(name, slice)) {
            backoff_ms = 1; /* free a moment ago; if taken again, back off */
        } else if (GetLastError() == ERROR_FILE_NOT_FOUND) {
            return WQ_ENOENT; /* the listener went away while we waited */
        }
    }
}

/* Client side: everything about the server is recorded here, at connect:
 * its pid from the pipe and its user SID from its process token when we are
 * allowed to open that process ("" otherwise, e.g. a service under another
 * account). A process created after we opened the pipe cannot be the one
 * serving it: its pid was reused, and its SID is not recorded. */
static void record_server(struct npipe_conn *c, const FILETIME *opened_at)
{
    ULONG pid = 0;
    if (wqi_npipe_os.GetNamedPipeServerProcessId(c->pipe, &pid)) {
        c->peer_pid = pid;
        wqi_npipe_process_sid(pid, opened_at, c->peer_sid, sizeof c->peer_sid);
    }
    c->sid_known = 1;
}

wq_err wqi_npipe_connect(const char *endpoint, int timeout_ms, wq_conn **out)
{
    int64_t deadline = wqi_deadline(timeout_ms);
    WCHAR name[WQI_NPIPE_NAME_MAX + 1];
    wq_err err = wqi_npipe_wide_name(endpoint, name);
    if (err != WQ_OK) {
        return err;
    }
    wq_conn *wc;
    err = wqi_npipe_conn_new(0, &wc);
    if (err != WQ_OK) {
        return err;
    }
    struct npipe_conn *c = conn_of(wc);
    FILETIME opened_at;
    err = open_client(name, deadline, &c->pipe, &opened_at);
    if (err == WQ_OK) {
        /* The client end starts in byte read mode (WPR-1). */
        DWORD mode = PIPE_READMODE_MESSAGE;
        if (!wqi_npipe_os.SetNamedPipeHandleState(c->pipe, &mode, NULL, NULL)) {
            err = wq_err_from_os((long)GetLastError());
        }
    }
    if (err != WQ_OK) {
        wqi_npipe_close(wc);
        return err;
    }
    record_server(c, &opened_at);
    *out = wc;
    return WQ_OK;
}

/* ---- peer ---------------------------------------------------------------- */

/* Server side: the client's pid was recorded at accept; its SID is read
 * from its token (WPS-8) the first time this is asked after a message has
 * been read — Windows allows impersonation only then — and kept. Until then
 * (or if impersonation fails) the SID comes from the client's process
 * token, looked up by pid each time and not kept, since a pid can be
 * reused. */
wq_err wqi_npipe_peer(wq_conn *wc, wq_peer *out)
{
    struct npipe_conn *c = conn_of(wc);
    out->pid = c->peer_pid;
    out->has_ugid = 0;
    wqi_mutex_lock(&c->lock);
    int known = c->sid_known;
    if (known) {
        memcpy(out->sid, c->peer_sid, sizeof out->sid);
    }
    wqi_mutex_unlock(&c->lock);
    if (known) {
        return WQ_OK;
    }
    char sid[NPIPE_SID_SIZE];
    if (op_enter(c) == WQ_OK) {
        int ok = wqi_npipe_client_token_sid(c->pipe, sid, sizeof sid);
        op_leave(c);
        if (ok) {
            wqi_mutex_lock(&c->lock);
            memcpy(c->peer_sid, sid, sizeof sid);
            c->sid_known = 1;
            wqi_mutex_unlock(&c->lock);
            memcpy(out->sid, sid, sizeof out->sid);
            return WQ_OK;
        }
    }
    if (c->peer_pid != 0) {
        wqi_npipe_process_sid((DWORD)c->peer_pid, NULL, out->sid, sizeof out->sid);
    }
    return WQ_OK;
}

int wqi_npipe_conn_owner_sid(wq_conn *wc, char *buf, size_t size)
{
    struct npipe_conn *c = conn_of(wc);
    buf[0] = '\0';
    if (op_enter(c) != WQ_OK) {
        return 0;
    }
    int ok = wqi_npipe_owner_sid(c->pipe, buf, size);
    op_leave(c);
    return ok;
}
