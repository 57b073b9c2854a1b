/* transport_ops.h — what a transport backend provides (internal).
 *
 * Each backend defines one `const struct wq_transport` with these
 * operations, and its listener and connection structs begin with the
 * matching base struct so that the public wq_listener_* / wq_conn_*
 * functions (transport.c) can dispatch without knowing the backend.
 * Arguments are checked in transport.c before a backend sees them:
 * pointers are non-NULL and endpoints are resolved, NUL-terminated and
 * shorter than WQ_ENDPOINT_MAX. Semantics are those of transport.h.
 */
#ifndef WQI_TRANSPORT_OPS_H
#define WQI_TRANSPORT_OPS_H

#include <workq/transport.h>

#include "transport_batch.h"

struct wq_transport {
    const char *name;
    /* name is never NULL or empty here: transport.c applies the
     * WORKQ_ENDPOINT / default rule first. */
    wq_err (*resolve)(const char *name, char *buf, size_t size);
    wq_err (*listen)(const char *endpoint, const wq_listen_opts *opts, wq_listener **out);
    wq_err (*accept)(wq_listener *l, int timeout_ms, wq_conn **out);
    void (*listener_shutdown)(wq_listener *l);
    void (*listener_close)(wq_listener *l);
    wq_err (*connect)(const char *endpoint, int timeout_ms, wq_conn **out);
    wq_err (*send)(wq_conn *c, const void *buf, size_t len, int timeout_ms);
    wq_err (*recv)(wq_conn *c, size_t max, int timeout_ms, void **buf, size_t *len);
    void (*shutdown)(wq_conn *c);
    void (*close)(wq_conn *c);
    wq_err (*peer)(wq_conn *c, wq_peer *out);
    /* Optional (NULL: see transport_batch.h for what is done instead). */
    wq_err (*send_many)(wq_conn *c, const wqi_msg *msgs, size_t n, int timeout_ms);
    int (*has_message)(wq_conn *c);
    /* Optional (NULL: WQ_ENOTSUP): wq_listener_adopt. */
    wq_err (*adopt)(intptr_t os_handle, wq_listener **out);
    /* Optional (NULL: nothing to check): a client's checks of who serves
     * the endpoint, trust.h. The arguments are checked and why has room. */
    wq_err (*trust_endpoint)(const char *endpoint, char *why, size_t size);
    wq_err (*trust_server)(wq_conn *c, const char *endpoint, const char *account, char *why,
                           size_t size);
};

/* First member of every backend's listener struct. */
struct wqi_listener_base {
    const struct wq_transport *ops;
};

/* First member of every backend's connection struct. */
struct wqi_conn_base {
    const struct wq_transport *ops;
    /* wq_conn_set_message_timeout; -1 (off) from a zeroed struct is set by
     * the backend at creation through wqi_conn_base_init. Backends whose
     * messages arrive whole (npipe, mem) have nothing to enforce. */
    int message_timeout_ms;
};

/* Initialise a backend connection's base. */
static inline void wqi_conn_base_init(struct wqi_conn_base *b, const struct wq_transport *ops)
{
    b->ops = ops;
    b->message_timeout_ms = -1;
}

/* The backends. wqi_transport_native is defined by platform/<os>/ and is
 * the npipe or uds table. */
extern const struct wq_transport wqi_transport_mem;
extern const struct wq_transport wqi_transport_native;

#endif /* WQI_TRANSPORT_OPS_H */
