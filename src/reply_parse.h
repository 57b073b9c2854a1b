/* reply_parse.h — parsing one reply message of docs/protocol.md (internal).
 *
 * The client's counterpart of protocol.h: no I/O, no connection, just the
 * bytes of one whole reply in and what it says out, or WQ_EPROTO if it
 * does not match docs/protocol.md. A reply cannot be classified on its own
 * ("OK 0" is a PUBLISH id, a PURGE count and an empty LIST alike), so the
 * caller says which reply its request expects; an ERROR line is accepted
 * whatever was expected.
 *
 * Replies are UTF-8 (the client always asks in UTF-8). Numbers are strict
 * decimal: digits only, at least one, no sign, no overflow (leading zeros
 * are allowed). Fields are separated by exactly one space; nothing may
 * follow the last field.
 *
 * Pure functions: thread-safe on distinct objects.
 */
#ifndef WQI_REPLY_PARSE_H
#define WQI_REPLY_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <workq/client.h>
#include <workq/errors.h>

/* What a request expects back, and what a parsed reply turned out to be. */
typedef enum wqi_reply_kind {
    WQI_REPLY_OK,     /* "OK": CREATE, DELETE, START, STOP, ACK, RELEASE */
    WQI_REPLY_U64,    /* "OK <n>": PUBLISH (id), PURGE (count) */
    WQI_REPLY_PONG,   /* "OK PONG": PING */
    WQI_REPLY_HELLO,  /* "OK workq <version> <protocol> <max-message>": HELLO */
    WQI_REPLY_STATUS, /* "OK <queue> <state> <ready> <leased> <published> <completed>" */
    WQI_REPLY_LIST,   /* "OK <n>" then n rows "\n<queue> <state> <ready> <leased>" */
    WQI_REPLY_ITEM,   /* "ITEM <id> <payload>" or "EMPTY": RETRIEVE */
    WQI_REPLY_ERROR   /* "ERROR <code> <message>": any request (never expected) */
} wqi_reply_kind;

#define WQI_REPLY_KIND_COUNT 8

/* One parsed reply. Which fields are set depends on kind; the others are
 * zero/NULL. Pointers point into the parsed message, which must outlive
 * them (rows excepted: see there).
 *   U64     value
 *   HELLO   version/version_len (one word, not NUL-terminated), protocol,
 *           max_message
 *   STATUS  queue (every field)
 *   LIST    rows/count (published and completed are 0)
 *   ITEM    found (0 for "EMPTY"); when found, id and payload/payload_len
 *           (any bytes, may be empty, then payload points at the end)
 *   ERROR   code (the 3 digits, 000..999), err and message/message_len (the rest of the
 *           line, possibly empty, not NUL-terminated) */
typedef struct wqi_reply {
    wqi_reply_kind kind;
    uint64_t value;
    const char *version;
    size_t version_len;
    uint64_t protocol;
    uint64_t max_message;
    wq_queue_info queue;
    wq_queue_info *rows; /* wqi_malloc'd, the caller's (wq_free); NULL when count is 0 */
    size_t count;
    int found;
    uint64_t id;
    const uint8_t *payload;
    size_t payload_len;
    int code;
    wq_err err;
    const char *message;
    size_t message_len;
} wqi_reply;

/* Parses the reply msg[0..len) (any bytes, any length; msg may be NULL
 * when len is 0) to a request that expects the reply `expect` (not
 * WQI_REPLY_ERROR). *out is fully overwritten.
 *
 * Returns WQ_OK when the message is a well-formed reply of kind expect, or
 * a well-formed ERROR line (then out->kind is WQI_REPLY_ERROR and out->err
 * is the code's wq_err: wq_err_from_code, except that a 503 is
 * WQ_ESHUTDOWN when the first word of its message is the reason token
 * WQI_503_SHUTDOWN, and WQ_EBUSY with WQI_503_BUSY or any other message; a
 * code the client does not know gives WQ_EPROTO there). Errors, with *out
 * all zero:
 *   WQ_EPROTO  anything else (malformed, or another kind of reply);
 *   WQ_ENOMEM  a LIST's rows could not be allocated;
 *   WQ_EINVAL  expect is not a kind a request can expect. */
wq_err wqi_reply_parse(const void *msg, size_t len, wqi_reply_kind expect, wqi_reply *out);

#endif /* WQI_REPLY_PARSE_H */
