/* journal.h — appending changes to the journal, with group commit
 * (internal; docs/journal.md "The storage seam and group commit").
 *
 * Two halves, on purpose:
 *   - wqi_journal_append is called under the registry's lock, once per
 *     change, in the registry's order: it encodes the record into memory
 *     and gives the change its sequence number. It never touches the disk,
 *     so the lock is never held across I/O.
 *   - wqi_journal_wait is called after the lock is released, before the
 *     reply is sent: it returns once the change is as safe as the sync
 *     policy demands. The first waiter finding no write under way writes
 *     everything appended so far in one append (and, under
 *     WQI_SYNC_ALWAYS, one flush); the others wait for it, and whatever
 *     was appended meanwhile goes out in the next single write (group
 *     commit: one flush covers many connections' changes).
 *
 * A failed write or flush fails every change of its batch (the waiters get
 * the error: WQ_ENOSPC, WQ_EIO, ...); the file is cut back to its last good
 * size before the next batch, so a torn batch never stays in the middle of
 * the journal. After a failed flush the journal refuses everything
 * (WQ_EIO): on Linux a failed fdatasync may have dropped the pages it
 * failed to write, so no later flush can vouch for them.
 *
 * Thread-safety: every function may be called from any thread, except
 * open and close.
 */
#ifndef WQI_JOURNAL_H
#define WQI_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "fs.h"
#include "journal_records.h"

typedef enum wqi_sync_policy {
    WQI_SYNC_ALWAYS,   /* a change is flushed before its wait returns */
    WQI_SYNC_INTERVAL, /* written before its wait returns; flushed within
                          interval_ms by a background thread */
    WQI_SYNC_NONE      /* written before its wait returns; never flushed */
} wqi_sync_policy;

typedef struct wqi_journal_config {
    wqi_fs *fs;
    const char *path; /* the segment to append to (created if missing) */
    wqi_sync_policy sync;
    uint32_t interval_ms; /* WQI_SYNC_INTERVAL: at most this long unflushed */
    uint64_t next_seq;    /* the sequence number of the first change */
} wqi_journal_config;

typedef struct wqi_journal wqi_journal;

/* Open (or create, with a file header) the segment and append after what
 * it holds; a torn tail must have been cut off before (journal_recover.h).
 * Errors: those of the fs, WQ_ENOMEM, WQ_EIO (a thread could not start). */
wq_err wqi_journal_open(const wqi_journal_config *cfg, wqi_journal **out);

/* Write and flush what is pending, stop the background thread, close the
 * file (j may be NULL). No call may be in progress or follow. */
void wqi_journal_close(wqi_journal *j);

/* Under the registry lock: encode the change (its payload is copied) and
 * give it the next sequence number in *seq. Never blocks on I/O.
 * Errors: WQ_ENOMEM, WQ_EIO (the journal failed for good: see above). */
wq_err wqi_journal_append(wqi_journal *j, const wqi_jchange *c, uint64_t *seq);

/* Outside the lock: return once change seq is written (and, under
 * WQI_SYNC_ALWAYS, flushed), or with the error that failed its batch.
 * Blocks on the disk (possibly as the leader that writes for others). */
wq_err wqi_journal_wait(wqi_journal *j, uint64_t seq);

/* Counters, for tests and the log: batches written and flushes done. */
void wqi_journal_stats(wqi_journal *j, uint64_t *writes, uint64_t *flushes);

#endif /* WQI_JOURNAL_H */
