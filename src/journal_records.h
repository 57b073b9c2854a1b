/* journal_records.h — what the journal's records say: one change to the
 * registry per record (internal). No I/O: a change in, record body bytes
 * out, and back (journal_format.h frames the bodies).
 *
 * Bodies, by record type (uvarint: unsigned LEB128, at most 10 bytes;
 * name: one length byte, 1..WQ_QUEUE_NAME_MAX, then the name as first
 * written):
 *
 *   CREATE   name
 *   DELETE   name
 *   START    name
 *   STOP     name
 *   PURGE    name, held ids (the rest of the body: the ids of the queue's
 *            items leased at that moment, which a purge does not remove,
 *            as strictly ascending uvarints; usually none)
 *   PUBLISH  uvarint id, name, payload (the rest of the body, any bytes)
 *   ACK      uvarint id
 *   RELEASE  uvarint id
 *   NEXT_ID  uvarint id  — ids below it are used up (written by
 *                          compaction, since acknowledged items leave no
 *                          record then: ids are never reused)
 *
 * The payload comes last so that a PUBLISH body is the fixed part followed
 * by the payload where it lies (wqi_jchange_encode_head); PURGE's held ids
 * take the payload's place (wqi_jchange_encode_held). A body with bytes
 * left over, a short one, a name that is not a queue name (queue_name.h),
 * or a varint over 10 bytes, above 2^64 - 1 or not in its shortest form
 * is malformed (so a body has one encoding: decode and encode again give
 * the same bytes). Types are never renumbered;
 * new ones are appended (and marked optional when an older reader may
 * skip them).
 *
 * Thread-safety: pure functions.
 */
#ifndef WQI_JOURNAL_RECORDS_H
#define WQI_JOURNAL_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <workq/client.h> /* WQ_QUEUE_NAME_MAX */
#include <workq/errors.h>

#include "journal_format.h"

enum wqi_jtype {
    WQI_JT_CREATE = 1,
    WQI_JT_DELETE = 2,
    WQI_JT_START = 3,
    WQI_JT_STOP = 4,
    WQI_JT_PURGE = 5,
    WQI_JT_PUBLISH = 6,
    WQI_JT_ACK = 7,
    WQI_JT_RELEASE = 8,
    WQI_JT_NEXT_ID = 9
};

/* One change. Which fields a type uses is in the table above; the others
 * are ignored when encoding and zero after decoding. Pointers refer to
 * the caller's bytes (decoding: into the record's body). */
typedef struct wqi_jchange {
    uint8_t type;
    const char *name;
    size_t name_len;
    uint64_t id;
    const uint8_t *payload; /* PUBLISH: the payload; PURGE: the held ids */
    size_t payload_len;
} wqi_jchange;

/* The longest fixed part of a body: id, name length and name. */
#define WQI_JCHANGE_HEAD_MAX (10u + 1u + WQ_QUEUE_NAME_MAX)

/* Encode everything of c's body but the payload into out; returns its
 * length. The body is that followed by the payload (PUBLISH; empty for the
 * other types). c must be valid: a known type, and for the types with a
 * name 1..WQ_QUEUE_NAME_MAX bytes of it (callers pass registry names). */
size_t wqi_jchange_encode_head(const wqi_jchange *c, uint8_t out[WQI_JCHANGE_HEAD_MAX]);

/* PURGE's held ids (ascending) as the body's tail: writes at most 10 * n
 * bytes to out, returns how many. */
size_t wqi_jchange_encode_held(const uint64_t *ids, size_t n, uint8_t *out);

/* Read the next held id of a decoded PURGE (*p, *n: what is left of its
 * payload, advanced past the id). 0 when none is left. */
int wqi_jchange_next_held(const uint8_t **p, size_t *n, uint64_t *id);

/* Decode the record r into *out. Errors: WQ_ENOTSUP (a type this version
 * does not know: the caller skips it if r->flags has WQI_JREC_OPTIONAL,
 * and otherwise refuses the journal as written by a newer version),
 * WQ_EPROTO (a malformed body). */
wq_err wqi_jchange_decode(const wqi_jrec *r, wqi_jchange *out);

#endif /* WQI_JOURNAL_RECORDS_H */
