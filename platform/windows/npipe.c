/* npipe.c (Windows) — the native transport: message-mode named pipes.
 * This file holds the listener and the ops table; connections are in
 * npipe_conn.c, names in npipe_name.c, security in npipe_security.c.
 *
 * Listener: one spare instance is always there for the next client. It is
 * created before the connected instance is handed to the caller (WPS-4), so
 * the pipe never has zero instances while the listener lives: no client
 * sees ERROR_FILE_NOT_FOUND in between, and nobody else can slip in an
 * instance of the same name with a DACL of their own. Every instance is
 * message mode, overlapped, refuses remote clients (WPS-5), is not
 * inheritable and carries the listener's explicit DACL (WPS-1, WPS-9).
 *
 * The first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE, so a
 * name already in use (or squatted) fails with WQ_EADDRINUSE (WPS-3). Wine
 * ignores that flag, so before creating we also ask WaitNamedPipe whether
 * an instance of the name exists. That probe does not connect, so the
 * listener it finds never sees a client from it.
 *
 * Accept: the spare instance's ConnectNamedPipe is issued on the first
 * accept after it was created (a client may connect before that; the call
 * then says ERROR_PIPE_CONNECTED) and stays pending across timed-out
 * accepts. A client that came and went (ERROR_NO_DATA) is disconnected and
 * the instance listens again (WPR-4). An accept waits on the connect event
 * and the listener's shutdown event together, so shutdown wakes it.
 *
 * Shutdown and the spare instance: while an accept runs, only that accept
 * touches the instance, and shutdown just sets the event; the accept closes
 * the instance on its way out. With no accept running, shutdown closes it
 * at once. Either way new clients then find no pipe.
 */
#include <string.h>

#include "alloc.h"
#include "npipe_int.h"
#include "npipe_os.h"
#include "platform.h"
#include "transport_ops.h"

enum instance_state {
    INSTANCE_IDLE,      /* created; ConnectNamedPipe not (yet again) issued */
    INSTANCE_PENDING,   /* ConnectNamedPipe in flight on ov */
    INSTANCE_CONNECTED, /* a client is on it, not handed over yet */
};

struct npipe_listener {
    struct wqi_listener_base base;
    WCHAR name[WQI_NPIPE_NAME_MAX + 1];
    PSECURITY_DESCRIPTOR sd;
    SECURITY_ATTRIBUTES sa;
    HANDLE pipe;   /* the spare instance; INVALID_HANDLE_VALUE when none */
    OVERLAPPED ov; /* its ConnectNamedPipe */
    enum instance_state state;
    HANDLE shut_event; /* manual-reset; set once by shutdown */

    wqi_mutex lock; /* guards shut and in_accept, and the instance when no
                     * accept runs */
    int shut;
    int in_accept;
};

static struct npipe_listener *listener_of(wq_listener *l)
{
    return (struct npipe_listener *)l;
}

/* ---- instances ------------------------------------------------------------ */

static wq_err create_instance(struct npipe_listener *l, int first, HANDLE *out)
{
    DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
    if (first) {
        open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    }
    const DWORD pipe_mode =
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h =
        wqi_npipe_os.CreateNamedPipeW(l->name, open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES,
                                      WQI_NPIPE_BUFFER_SIZE, WQI_NPIPE_BUFFER_SIZE, 0, &l->sa);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD code = GetLastError();
        /* With FIRST_PIPE_INSTANCE, access denied means the name exists. */
        return first && code == ERROR_ACCESS_DENIED ? WQ_EADDRINUSE : wq_err_from_os((long)code);
    }
    *out = h;
    return WQ_OK;
}

/* Close the spare instance, cancelling its pending connect first. */
static void drop_instance(struct npipe_listener *l)
{
    if (l->pipe == INVALID_HANDLE_VALUE) {
        return;
    }
    if (l->state == INSTANCE_PENDING) {
        DWORD n;
        wqi_npipe_cancel_and_wait(l->pipe, &l->ov, &n);
    }
    CloseHandle(l->pipe);
    l->pipe = INVALID_HANDLE_VALUE;
    l->state = INSTANCE_IDLE;
}

/* Replace a spare instance that failed: the new one first (WPS-4). */
static wq_err replace_instance(struct npipe_listener *l)
{
    HANDLE next;
    wq_err err = create_instance(l, 0, &next);
    drop_instance(l);
    if (err == WQ_OK) {
        l->pipe = next;
    }
    return err;
}

/* Issue ConnectNamedPipe on an idle instance, leaving it pending or
 * connected. A client that came and went (ERROR_NO_DATA) is never fatal
 * (WPR-4, CVE-2025-13751): the instance is disconnected and must listen
 * again at once — a disconnected instance refuses new clients until it
 * does. A client that keeps coming and going could hold us here, so after
 * a few rounds the instance is left idle and the caller checks its
 * deadline and shutdown before trying again. */
#define RELISTEN_ROUNDS 16

static wq_err start_connect(struct npipe_listener *l)
{
    for (int round = 0; round < RELISTEN_ROUNDS; round++) {
        wqi_npipe_ov_reset(&l->ov);
        if (wqi_npipe_os.ConnectNamedPipe(l->pipe, &l->ov)) {
            l->state = INSTANCE_CONNECTED;
            return WQ_OK;
        }
        DWORD code = GetLastError();
        switch (code) {
        case ERROR_IO_PENDING:
            l->state = INSTANCE_PENDING;
            return WQ_OK;
        case ERROR_PIPE_CONNECTED: /* connected before we asked: success */
            l->state = INSTANCE_CONNECTED;
            return WQ_OK;
        case ERROR_NO_DATA:
            wqi_npipe_os.DisconnectNamedPipe(l->pipe);
            break;
        default:
            return wq_err_from_os((long)code);
        }
    }
    l->state = INSTANCE_IDLE;
    return WQ_OK;
}

/* The pending ConnectNamedPipe finished: see how. */
static wq_err finish_connect(struct npipe_listener *l)
{
    DWORD n = 0;
    DWORD code = GetOverlappedResult(l->pipe, &l->ov, &n, FALSE) ? ERROR_SUCCESS : GetLastError();
    switch (code) {
    case ERROR_SUCCESS:
    case ERROR_PIPE_CONNECTED:
        l->state = INSTANCE_CONNECTED;
        return WQ_OK;
    case ERROR_NO_DATA: /* came and went: listen again (start_connect) */
        wqi_npipe_os.DisconnectNamedPipe(l->pipe);
        l->state = INSTANCE_IDLE;
        return start_connect(l);
    default:
        /* This instance is unusable; keep the pipe alive with a new one and
         * report the error. */
        l->state = INSTANCE_IDLE;
        return replace_instance(l) == WQ_OK ? wq_err_from_os((long)code) : WQ_EIO;
    }
}

/* Wait until the spare instance has a client, or shutdown, or deadline. */
static wq_err wait_for_client(struct npipe_listener *l, int64_t deadline)
{
    for (;;) {
        wq_err err = WQ_OK;
        if (l->pipe == INVALID_HANDLE_VALUE) {
            err = create_instance(l, 0, &l->pipe); /* after an earlier failure */
            l->state = INSTANCE_IDLE;
        }
        if (err == WQ_OK && l->state == INSTANCE_IDLE) {
            err = start_connect(l);
        }
        if (err != WQ_OK || l->state == INSTANCE_CONNECTED) {
            return err;
        }
        if (l->state == INSTANCE_IDLE) {
            /* Re-listening was cut short by clients that keep leaving:
             * honour shutdown and the deadline before trying again. */
            if (WaitForSingleObject(l->shut_event, 0) == WAIT_OBJECT_0) {
                return WQ_ECLOSED;
            }
            if (wqi_remaining_ms(deadline) == 0) {
                return WQ_ETIMEDOUT;
            }
            continue;
        }
        HANDLE waits[2] = {l->ov.hEvent, l->shut_event};
        DWORD w = WaitForMultipleObjects(2, waits, FALSE, wqi_npipe_wait_ms(deadline));
        if (w == WAIT_OBJECT_0 + 1) {
            return WQ_ECLOSED;
        }
        if (w == WAIT_TIMEOUT) {
            return WQ_ETIMEDOUT; /* the connect stays pending for the next accept */
        }
        if (w != WAIT_OBJECT_0) {
            return WQ_EIO;
        }
        err = finish_connect(l);
        if (err != WQ_OK) {
            return err;
        }
    }
}

/* Hand the connected instance to a new connection, with a replacement
 * instance in place before it leaves (WPS-4). On failure the connected
 * client stays for the next accept. */
static wq_err hand_over(struct npipe_listener *l, wq_conn **out)
{
    wq_conn *c;
    wq_err err = wqi_npipe_conn_new(1, &c);
    if (err != WQ_OK) {
        return err;
    }
    HANDLE next;
    err = create_instance(l, 0, &next);
    if (err != WQ_OK) {
        wqi_npipe_close(c);
        return err;
    }
    wqi_npipe_conn_set_pipe(c, l->pipe);
    l->pipe = next;
    l->state = INSTANCE_IDLE;
    *out = c;
    return WQ_OK;
}

/* ---- probe for a live listener (Wine) ------------------------------------ */

/* Does an instance of this pipe exist? WaitNamedPipe says so without
 * connecting: TRUE when one is free, ERROR_SEM_TIMEOUT when all are busy,
 * ERROR_FILE_NOT_FOUND when there is none. Any other answer is left to
 * CreateNamedPipe. */
static int name_in_use(const WCHAR *name)
{
    if (wqi_npipe_os.WaitNamedPipeW(name, 1)) {
        return 1;
    }
    DWORD code = GetLastError();
    return code == ERROR_SEM_TIMEOUT || code == ERROR_PIPE_BUSY;
}

/* ---- the listener ops ---------------------------------------------------- */

static void listener_free(struct npipe_listener *l)
{
    drop_instance(l);
    if (l->shut_event != NULL) {
        CloseHandle(l->shut_event);
    }
    if (l->ov.hEvent != NULL) {
        CloseHandle(l->ov.hEvent);
    }
    wqi_npipe_sd_free(l->sd);
    wqi_mutex_destroy(&l->lock);
    wqi_free(l);
}

static wq_err listener_setup(struct npipe_listener *l, const char *endpoint,
                             const wq_listen_opts *opts)
{
    wq_err err = wqi_npipe_wide_name(endpoint, l->name);
    if (err != WQ_OK) {
        return err;
    }
    err = wqi_npipe_sd_create(opts->sddl, &l->sd);
    if (err != WQ_OK) {
        return err;
    }
    l->sa.nLength = sizeof l->sa;
    l->sa.lpSecurityDescriptor = l->sd;
    l->sa.bInheritHandle = FALSE;
    l->shut_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    l->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (l->shut_event == NULL || l->ov.hEvent == NULL) {
        return WQ_ENOMEM;
    }
    if (name_in_use(l->name)) {
        return WQ_EADDRINUSE;
    }
    l->state = INSTANCE_IDLE;
    return create_instance(l, 1, &l->pipe);
}

static wq_err npipe_listen(const char *endpoint, const wq_listen_opts *opts, wq_listener **out)
{
    struct npipe_listener *l = wqi_calloc(1, sizeof *l);
    if (l == NULL) {
        return WQ_ENOMEM;
    }
    l->base.ops = &wqi_transport_native;
    l->pipe = INVALID_HANDLE_VALUE;
    wqi_mutex_init(&l->lock);
    wq_err err = listener_setup(l, endpoint, opts);
    if (err != WQ_OK) {
        listener_free(l);
        return err;
    }
    *out = (wq_listener *)l;
    return WQ_OK;
}

static wq_err npipe_accept(wq_listener *wl, int timeout_ms, wq_conn **out)
{
    struct npipe_listener *l = listener_of(wl);
    int64_t deadline = wqi_deadline(timeout_ms);
    wqi_mutex_lock(&l->lock);
    if (l->shut) {
        wqi_mutex_unlock(&l->lock);
        return WQ_ECLOSED;
    }
    l->in_accept = 1;
    wqi_mutex_unlock(&l->lock);

    wq_err err = wait_for_client(l, deadline);
    if (err == WQ_OK) {
        err = hand_over(l, out);
    }

    wqi_mutex_lock(&l->lock);
    l->in_accept = 0;
    if (l->shut) {
        drop_instance(l); /* shutdown left this to us */
    }
    wqi_mutex_unlock(&l->lock);
    return err;
}

static void npipe_listener_shutdown(wq_listener *wl)
{
    struct npipe_listener *l = listener_of(wl);
    wqi_mutex_lock(&l->lock);
    if (!l->shut) {
        l->shut = 1;
        SetEvent(l->shut_event);
        if (!l->in_accept) {
            drop_instance(l);
        }
    }
    wqi_mutex_unlock(&l->lock);
}

static void npipe_listener_close(wq_listener *wl)
{
    npipe_listener_shutdown(wl);
    listener_free(listener_of(wl));
}

const struct wq_transport wqi_transport_native = {
    .name = "npipe",
    .resolve = wqi_npipe_resolve,
    .listen = npipe_listen,
    .accept = npipe_accept,
    .listener_shutdown = npipe_listener_shutdown,
    .listener_close = npipe_listener_close,
    .connect = wqi_npipe_connect,
    .send = wqi_npipe_send,
    .recv = wqi_npipe_recv,
    .shutdown = wqi_npipe_shutdown,
    .close = wqi_npipe_close,
    .peer = wqi_npipe_peer,
    /* send_many, has_message: none. One pipe message is one WriteFile, and
     * messages are read one ReadFile each, so nothing is buffered ahead. */
    .send_many = NULL,
    .has_message = NULL,
    /* adopt: a pipe server cannot take over another process's instances. */
    .adopt = NULL,
    /* A pipe name has no directory to check; the server's account is. */
    .trust_endpoint = NULL,
    .trust_server = wqi_npipe_trust_server,
};
