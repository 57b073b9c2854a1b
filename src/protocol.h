/* protocol.h — parsing one request message of docs/protocol.md (internal).
 *
 * The parser does no I/O and knows nothing of queues: it turns the bytes of
 * one whole message into a wqi_request, or says why the message is a bad
 * request (400). The size check (413) belongs to the transport and happens
 * before. Replies are formatted by reply.h; text encodings are in utf16.h.
 *
 * A UTF-8 request is parsed in place, without allocating: the request's
 * pointers point into the message. A UTF-16LE request (what .NET's
 * Encoding.Unicode writes) is first decoded into one owned UTF-8 copy.
 *
 * All functions are pure: thread-safe on distinct objects.
 */
#ifndef WQI_PROTOCOL_H
#define WQI_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <workq/client.h> /* WQ_QUEUE_NAME_MAX */
#include <workq/errors.h>

/* The protocol version HELLO reports. */
#define WQI_PROTOCOL_VERSION 1
/* docs/protocol.md "Errors": the message of a 503 begins with a reason token,
 * the word clients act on; a sentence for people follows after a space. */
#define WQI_503_BUSY "busy"         /* connection limit reached: try again later */
#define WQI_503_SHUTDOWN "shutdown" /* the server is stopping */

typedef enum wqi_verb {
    WQI_VERB_CREATE,
    WQI_VERB_DELETE,
    WQI_VERB_START,
    WQI_VERB_STOP,
    WQI_VERB_LIST,
    WQI_VERB_STATUS,
    WQI_VERB_PUBLISH,
    WQI_VERB_RETRIEVE,
    WQI_VERB_ACK,
    WQI_VERB_RELEASE,
    WQI_VERB_PURGE,
    WQI_VERB_PING,
    WQI_VERB_HELLO
} wqi_verb;

#define WQI_VERB_COUNT 13

/* One parsed request. Which fields are set depends on the verb:
 *   queue          every verb but LIST, PING and HELLO
 *   payload        PUBLISH (payload_len may be 0; payload is then non-NULL)
 *   id             ACK, RELEASE
 *   has_wait       RETRIEVE (1 when <wait-ms> was given, then wait_ms)
 * Unset fields are zero/NULL. queue is NOT NUL-terminated: use queue_len.
 * queue and payload point into the parsed message (UTF-8 request) or into
 * owned (UTF-16LE request), so the message must outlive the request. */
typedef struct wqi_request {
    wqi_verb verb;
    int utf16; /* the request was UTF-16LE: so must the reply be */
    const char *queue;
    size_t queue_len;
    const uint8_t *payload;
    size_t payload_len;
    uint64_t id;
    int has_wait;
    uint32_t wait_ms;
    char *owned; /* UTF-8 decoding of a UTF-16LE request, or NULL */
} wqi_request;

/* Parses the message msg[0..len) (any bytes, any length, msg may be NULL
 * when len is 0) into *out. *out is fully overwritten; whatever the result,
 * out->utf16 tells in which encoding to reply, and wqi_request_free(out) is
 * safe to call (it is only needed after WQ_OK).
 *
 * Returns WQ_OK, or:
 *   WQ_EBADREQ  the message breaks docs/protocol.md "Text encoding" or
 *               "Request syntax";
 *   WQ_ENOMEM   decoding a UTF-16LE request needed memory (UTF-8 requests
 *               never allocate).
 * On error, every field of *out is zero/NULL but utf16, and *why (if why
 * is not NULL) is a constant
 * English sentence for the ERROR line, e.g. "unknown command",
 * "CREATE takes 1 argument", "bad queue name", "bad number",
 * "invalid UTF-16", "empty request". On success *why is NULL. */
wq_err wqi_request_parse(const void *msg, size_t len, wqi_request *out, const char **why);

/* Frees what a parsed request owns (the UTF-16LE decoding) and sets
 * req->owned, req->queue and req->payload to NULL. */
void wqi_request_free(wqi_request *req);

/* Nonzero if the message would be taken as UTF-16LE: its first two bytes
 * are FF FE, or its second byte is 00. Lets a caller that cannot parse a
 * message (too large: 413) still answer in the client's encoding. */
int wqi_request_is_utf16(const void *msg, size_t len);

/* The verb as written in docs/protocol.md ("CREATE"), for logs. Never NULL:
 * an out-of-range value gives "?". */
const char *wqi_verb_name(wqi_verb verb);

#endif /* WQI_PROTOCOL_H */
