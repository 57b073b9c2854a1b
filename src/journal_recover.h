/* journal_recover.h — reading a data directory's journal back at start
 * (internal; docs/journal.md "Recovery").
 *
 * The journal's segments are the files named `journal-<n>` (n: 20 decimal
 * digits, the sequence number of the segment's first record), read in
 * order of n through a wqi_fs. Other names are left alone (the lock file,
 * a temporary file of a compaction that did not finish, anything an
 * operator put there).
 *
 * What may end a segment:
 *   - the last segment may end in a torn tail (a crash mid-append): what
 *     is before it is kept, the report says where it starts, and the
 *     caller cuts it off (truncate) before appending;
 *   - anything else — damage, a torn tail in a segment that is not the
 *     last, a file header that is not a journal's, a newer format, a
 *     record that contradicts what came before — refuses recovery, with
 *     the file, the offset and what is wrong in the report.
 *
 * Blocking: reads every segment whole (segments are bounded by rotation).
 * Thread-safety: one call at a time per directory.
 */
#ifndef WQI_JOURNAL_RECOVER_H
#define WQI_JOURNAL_RECOVER_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "fs.h"
#include "journal_replay.h"
#include "registry.h"

/* "journal-" and 20 digits. */
#define WQI_JOURNAL_NAME_LEN 28u

typedef struct wqi_recovery {
    size_t segments;                     /* journal files read */
    size_t queues;                       /* restored */
    uint64_t items;                      /* restored, ready */
    uint64_t bytes;                      /* their payload bytes */
    uint64_t next_id;                    /* the next id to give out */
    uint64_t last_seq;                   /* the last segment's number (0: no segment) */
    wqi_replay_end end;                  /* how the last segment read (WHOLE or TORN
                                            when recovery succeeded); what was wrong
                                            otherwise */
    char file[WQI_JOURNAL_NAME_LEN + 1]; /* the segment it concerns */
    uint64_t offset;                     /* where in it */
} wqi_recovery;

/* Read the journal in directory dir of fs into the new, empty registry r.
 * Returns WQ_OK (the report says whether a torn tail was left at
 * report->offset of report->file, to be cut off before appending), or
 * WQ_EPROTO (recovery refused: report->end, file and offset say why and
 * where; r may hold part of the state and must be thrown away), or the
 * errors of fs (reading) and WQ_ENOMEM. */
wq_err wqi_journal_recover(wqi_fs *fs, const char *dir, wqi_registry *r, wqi_recovery *report);

/* "journal-<seq as 20 digits>" into out. */
void wqi_journal_name(uint64_t seq, char out[WQI_JOURNAL_NAME_LEN + 1]);

/* 1 and *seq if name is a segment's name. */
int wqi_journal_name_parse(const char *name, uint64_t *seq);

#endif /* WQI_JOURNAL_RECOVER_H */
