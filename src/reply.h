/* reply.h — formatting the replies of docs/protocol.md (internal).
 *
 * Each function appends one complete reply message to a caller-owned
 * wqi_buf (usually cleared first with wqi_buf_clear and reused for every
 * request of a connection, so that a warm connection does not allocate).
 * Every function takes utf16: 0 writes UTF-8; nonzero writes UTF-16LE
 * without a BOM, the answer to a UTF-16LE request (wqi_request.utf16).
 * Lines inside a reply are separated by "\n"; there is no trailing newline.
 *
 * Every function returns WQ_OK, or an error with the buffer unchanged (its
 * len as before the call): WQ_ENOMEM, and the function-specific errors
 * listed below. Pure functions: thread-safe on distinct buffers.
 */
#ifndef WQI_REPLY_H
#define WQI_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "buf.h"

/* What STATUS and LIST show of a queue. name need not be NUL-terminated:
 * name_len is its length; it is a valid queue name (ASCII). */
typedef struct wqi_reply_queue {
    const char *name;
    size_t name_len;
    int started; /* nonzero: "started", else "stopped" */
    uint64_t ready;
    uint64_t leased;
    uint64_t published; /* STATUS only */
    uint64_t completed; /* STATUS only */
} wqi_reply_queue;

/* "OK": CREATE, DELETE, START, STOP, ACK, RELEASE. */
wq_err wqi_reply_ok(wqi_buf *b, int utf16);

/* "OK <n>": PUBLISH (n is the id) and PURGE (n is the count). */
wq_err wqi_reply_ok_u64(wqi_buf *b, int utf16, uint64_t n);

/* "OK PONG": PING. */
wq_err wqi_reply_pong(wqi_buf *b, int utf16);

/* "OK workq <version> 1 <max_message>": HELLO. version is the service's
 * version string ("0.1.0"), ASCII without spaces; 1 is
 * WQI_PROTOCOL_VERSION. Errors: WQ_EINVAL if version is empty or holds a
 * space or a non-printable or non-ASCII byte. */
wq_err wqi_reply_hello(wqi_buf *b, int utf16, const char *version, uint64_t max_message);

/* "OK <queue> <state> <ready> <leased> <published> <completed>": STATUS.
 * Errors: WQ_EINVAL if q->name is not a valid queue name. */
wq_err wqi_reply_status(wqi_buf *b, int utf16, const wqi_reply_queue *q);

/* LIST is written in pieces: wqi_reply_list_begin writes "OK <n>", then
 * the caller appends exactly n rows, already sorted, with
 * wqi_reply_list_row, which writes "\n<queue> <state> <ready> <leased>".
 * If a row fails, the buffer holds a partial LIST: clear it and send an
 * error instead. Errors (row): WQ_EINVAL if q->name is not a valid queue
 * name. */
wq_err wqi_reply_list_begin(wqi_buf *b, int utf16, uint64_t n);
wq_err wqi_reply_list_row(wqi_buf *b, int utf16, const wqi_reply_queue *q);

/* "ITEM <id> <payload>": RETRIEVE. In UTF-8 the payload is copied
 * verbatim (any bytes); in UTF-16LE it is converted from UTF-8. Errors:
 * WQ_ENOTTEXT if utf16 and the payload is not valid UTF-8 (the server
 * should check with wqi_utf8_valid before leasing the item, and answer
 * ERROR 406 instead). */
wq_err wqi_reply_item(wqi_buf *b, int utf16, uint64_t id, const void *payload, size_t len);

/* "EMPTY": RETRIEVE found nothing in time. */
wq_err wqi_reply_empty(wqi_buf *b, int utf16);

/* "ERROR <code> <message>". code is wq_err_code(err); an err without a
 * protocol code (WQ_ENOMEM, …) is reported as 500, since the client can
 * only have caused protocol errors. message is a one-line UTF-8 sentence;
 * NULL means wq_strerror(err). Errors: WQ_EINVAL if message is not valid
 * UTF-8 or holds a "\n" or "\r" (checked in both encodings). */
wq_err wqi_reply_error(wqi_buf *b, int utf16, wq_err err, const char *message);

/* "ERROR <code> <before><queue><after>", for sentences that name a queue:
 * wqi_reply_error_queue(b, u, WQ_EEXIST, "queue ", name, len, " already
 * exists"). before and after may be NULL (empty). Same errors as
 * wqi_reply_error, and WQ_EINVAL if the name is not a valid queue name. */
wq_err wqi_reply_error_queue(wqi_buf *b, int utf16, wq_err err, const char *before,
                             const char *queue, size_t queue_len, const char *after);

#endif /* WQI_REPLY_H */
