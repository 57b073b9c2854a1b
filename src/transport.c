/* transport.c — the public transport API: argument checks, the endpoint
 * default rule, and dispatch to the backend's ops table. */
#include <string.h>

#include "platform.h"
#include "transport_ops.h"
#include "trust.h"

static const struct wq_transport *pick(const wq_transport *t)
{
    return t != NULL ? t : &wqi_transport_native;
}

const wq_transport *wq_transport_native(void)
{
    return &wqi_transport_native;
}

const wq_transport *wq_transport_mem(void)
{
    return &wqi_transport_mem;
}

const char *wq_transport_name(const wq_transport *t)
{
    return pick(t)->name;
}

wq_err wq_endpoint_resolve(const wq_transport *t, const char *name, char *buf, size_t size)
{
    if (buf == NULL || size == 0) {
        return WQ_EINVAL;
    }
    buf[0] = '\0';
    if (name == NULL || name[0] == '\0') {
        name = wqi_getenv("WORKQ_ENDPOINT");
        if (name == NULL || name[0] == '\0') {
            name = WQ_DEFAULT_ENDPOINT;
        }
    }
    /* Control characters never belong in a pipe name or a path we create,
     * and an embedded newline would corrupt log lines that quote it. */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F) {
            return WQ_EINVAL;
        }
    }
    return pick(t)->resolve(name, buf, size);
}

wq_err wq_listener_open(const wq_transport *t, const char *endpoint, const wq_listen_opts *opts,
                        wq_listener **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    char resolved[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(t, endpoint, resolved, sizeof resolved);
    if (err != WQ_OK) {
        return err;
    }
    static const wq_listen_opts defaults;
    return pick(t)->listen(resolved, opts != NULL ? opts : &defaults, out);
}

wq_err wq_listener_adopt(const wq_transport *t, intptr_t os_handle, wq_listener **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    const struct wq_transport *ops = pick(t);
    return ops->adopt != NULL ? ops->adopt(os_handle, out) : WQ_ENOTSUP;
}

wq_err wq_listener_accept(wq_listener *l, int timeout_ms, wq_conn **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (l == NULL || out == NULL) {
        return WQ_EINVAL;
    }
    return ((struct wqi_listener_base *)l)->ops->accept(l, timeout_ms, out);
}

void wq_listener_shutdown(wq_listener *l)
{
    if (l != NULL) {
        ((struct wqi_listener_base *)l)->ops->listener_shutdown(l);
    }
}

void wq_listener_close(wq_listener *l)
{
    if (l != NULL) {
        ((struct wqi_listener_base *)l)->ops->listener_close(l);
    }
}

wq_err wq_conn_connect(const wq_transport *t, const char *endpoint, int timeout_ms, wq_conn **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    char resolved[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(t, endpoint, resolved, sizeof resolved);
    if (err != WQ_OK) {
        return err;
    }
    return pick(t)->connect(resolved, timeout_ms, out);
}

wq_err wqi_trust_endpoint(const wq_transport *t, const char *endpoint, char *why, size_t size)
{
    if (endpoint == NULL || why == NULL || size == 0) {
        return WQ_EINVAL;
    }
    why[0] = '\0';
    const struct wq_transport *ops = pick(t);
    return ops->trust_endpoint != NULL ? ops->trust_endpoint(endpoint, why, size) : WQ_OK;
}

wq_err wqi_trust_server(wq_conn *c, const char *endpoint, const char *account, char *why,
                        size_t size)
{
    if (c == NULL || endpoint == NULL || why == NULL || size == 0) {
        return WQ_EINVAL;
    }
    why[0] = '\0';
    if (account != NULL && account[0] == '\0') {
        account = NULL;
    }
    const struct wq_transport *ops = ((struct wqi_conn_base *)c)->ops;
    return ops->trust_server != NULL ? ops->trust_server(c, endpoint, account, why, size) : WQ_OK;
}

wq_err wq_conn_send(wq_conn *c, const void *buf, size_t len, int timeout_ms)
{
    if (c == NULL || (buf == NULL && len > 0)) {
        return WQ_EINVAL;
    }
    return ((struct wqi_conn_base *)c)->ops->send(c, buf, len, timeout_ms);
}

wq_err wqi_conn_send_many(wq_conn *c, const wqi_msg *msgs, size_t n, int timeout_ms)
{
    if (c == NULL || n > WQI_SEND_MANY_MAX || (msgs == NULL && n > 0)) {
        return WQ_EINVAL;
    }
    const struct wq_transport *ops = ((struct wqi_conn_base *)c)->ops;
    if (ops->send_many != NULL) {
        return ops->send_many(c, msgs, n, timeout_ms);
    }
    /* One deadline for the batch, as one call would have. */
    int64_t deadline = wqi_deadline(timeout_ms);
    for (size_t i = 0; i < n; i++) {
        wq_err err = wq_conn_send(c, msgs[i].data, msgs[i].len, wqi_remaining_ms(deadline));
        if (err != WQ_OK) {
            return err;
        }
    }
    return WQ_OK;
}

int wqi_conn_has_message(wq_conn *c)
{
    const struct wq_transport *ops = ((struct wqi_conn_base *)c)->ops;
    return ops->has_message != NULL && ops->has_message(c);
}

wq_err wq_conn_recv(wq_conn *c, size_t max, int timeout_ms, void **buf, size_t *len)
{
    if (buf != NULL) {
        *buf = NULL;
    }
    if (len != NULL) {
        *len = 0;
    }
    if (c == NULL || buf == NULL || len == NULL) {
        return WQ_EINVAL;
    }
    return ((struct wqi_conn_base *)c)->ops->recv(c, max, timeout_ms, buf, len);
}

wq_err wq_conn_set_message_timeout(wq_conn *c, int timeout_ms)
{
    if (c == NULL) {
        return WQ_EINVAL;
    }
    ((struct wqi_conn_base *)c)->message_timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
    return WQ_OK;
}

void wq_conn_shutdown(wq_conn *c)
{
    if (c != NULL) {
        ((struct wqi_conn_base *)c)->ops->shutdown(c);
    }
}

void wq_conn_close(wq_conn *c)
{
    if (c != NULL) {
        ((struct wqi_conn_base *)c)->ops->close(c);
    }
}

wq_err wq_conn_peer(wq_conn *c, wq_peer *out)
{
    if (c == NULL || out == NULL) {
        return WQ_EINVAL;
    }
    memset(out, 0, sizeof *out);
    return ((struct wqi_conn_base *)c)->ops->peer(c, out);
}

wq_err wq_process_identity(wq_peer *out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    memset(out, 0, sizeof *out);
    out->pid = wqi_process_id();
    out->has_ugid = wqi_process_ugid(&out->uid, &out->gid);
    wqi_process_sid(out->sid, sizeof out->sid);
    return WQ_OK;
}
