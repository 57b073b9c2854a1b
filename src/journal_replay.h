/* journal_replay.h — rebuilding the state a journal describes (internal).
 * No I/O: the caller reads each file and hands its bytes over, oldest
 * first; a model collects what they say; the registry is then restored
 * from the model (docs/journal.md, "Recovery").
 *
 * Why a model first: an ACK or a PURGE in the journal names items by id,
 * and the registry keeps ready items packed in chunks with no index by
 * id. The model keeps every live item by id (payload copied into large
 * blocks), so each record costs O(1) (PURGE: O(the queue's items)), and
 * the registry gets each queue's items once, in id order.
 *
 * Thread-safety: one model, one thread.
 */
#ifndef WQI_JOURNAL_REPLAY_H
#define WQI_JOURNAL_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "registry.h"

typedef struct wqi_replay wqi_replay;

/* A new, empty model. Errors: WQ_ENOMEM. */
wq_err wqi_replay_new(wqi_replay **out);
void wqi_replay_free(wqi_replay *m);

/* How reading one file ended. */
typedef enum wqi_replay_end {
    WQI_REPLAY_WHOLE,       /* every byte was a record that checks */
    WQI_REPLAY_TORN,        /* a torn tail from *at on: what is before it counts */
    WQI_REPLAY_DAMAGED,     /* a record at *at does not check, good ones follow */
    WQI_REPLAY_NOT_JOURNAL, /* no journal file header (or a damaged one) */
    WQI_REPLAY_NEWER,       /* a newer format version, or an unknown record type
                               not marked optional, at *at */
    WQI_REPLAY_INVALID      /* a record that checks but cannot be applied
                               (malformed body, or a change that contradicts
                               what came before) at *at */
} wqi_replay_end;

/* Apply the records of one journal file, file[0..n) (its header first), to
 * the model, up to the first record that does not check or apply. Records
 * before that stay applied whatever the outcome; the caller decides
 * whether to go on (a torn tail in the last file) or to refuse.
 * *at receives the offset where reading stopped (n when WHOLE).
 * Errors: WQ_ENOMEM only; the outcome is in *end. */
wq_err wqi_replay_file(wqi_replay *m, const uint8_t *file, size_t n, wqi_replay_end *end,
                       size_t *at);

/* What the model holds: queues, live items, their payload bytes, and the
 * next id (above every id seen, and at least every NEXT_ID). */
void wqi_replay_counts(const wqi_replay *m, size_t *queues, uint64_t *items, uint64_t *bytes,
                       uint64_t *next_id);

/* Restore the model into r, which must be new and empty (queues in their
 * states, items ready in id order with their ids, the next id).
 * Errors: those of wqi_registry_restore_*; r may then hold part of it. */
wq_err wqi_replay_restore(const wqi_replay *m, wqi_registry *r);

#endif /* WQI_JOURNAL_REPLAY_H */
