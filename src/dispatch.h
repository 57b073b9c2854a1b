/* dispatch.h — one request in, one reply out (internal).
 *
 * The heart of the service without any I/O: parse a request message,
 * apply it to the registry on behalf of a connection's owner, and format
 * the reply. The server calls it once per received message; tests can
 * call it directly.
 */
#ifndef WQI_DISPATCH_H
#define WQI_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "registry.h"

/* What a dispatcher needs to know about its service. */
typedef struct wqi_dispatch_ctx {
    wqi_registry *registry;
    const char *version; /* HELLO's version string */
    uint64_t max_message;
    uint64_t max_bytes; /* the registry's budget, for 507's sentence (0: none) */
} wqi_dispatch_ctx;

/* Apply the request msg[0..len) for owner and write the reply into out
 * (cleared first). May block in RETRIEVE with a wait, up to its wait-ms or
 * until wqi_registry_shutdown. Always produces a reply (an ERROR line if
 * need be: 507 when memory is short); returns WQ_OK, or WQ_ENOMEM if not
 * even an error reply could be formatted (the caller then answers with
 * wqi_dispatch_out_of_memory's fixed bytes). Thread-safe for
 * distinct owners. */
wq_err wqi_dispatch(const wqi_dispatch_ctx *ctx, wqi_owner *owner, const void *msg, size_t len,
                    wqi_buf *out);

/* As wqi_dispatch, where *msg is a wqi_malloc block the caller owns (a
 * received message): a large PUBLISH payload is kept in it rather than
 * copied, and then the registry owns the block and *msg is set to NULL.
 * Otherwise *msg is still the caller's to free. */
wq_err wqi_dispatch_block(const wqi_dispatch_ctx *ctx, wqi_owner *owner, void **msg, size_t len,
                          wqi_buf *out);
/* The reply for a request that was too large to receive (413), in UTF-8
 * (the request's encoding cannot be known without its bytes). */
wq_err wqi_dispatch_too_large(wqi_buf *out);

/* The reply for a request that could not be received or answered for
 * lack of memory, as fixed bytes that need no allocation: "ERROR 507 out
 * of memory" in UTF-8 (the request's encoding may not be known). */
void wqi_dispatch_out_of_memory(const void **data, size_t *len);

#endif /* WQI_DISPATCH_H */
