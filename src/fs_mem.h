/* fs_mem.h — an in-memory wqi_fs for tests: fault injection and power
 * cuts (internal).
 *
 * It keeps what a disk would keep, with the durability rules of fs.h:
 *   - per file: the content as of its last flush (its durable content)
 *     and everything done to it since, in order: appends and truncates;
 *   - per name: the changes to names (a file created, renamed, removed)
 *     not yet made durable by sync_dir of their directory — of both
 *     directories, for a rename from one to another.
 * A crash image (wqi_fs_mem_crash) is what a power cut at this moment may
 * leave: each file its durable content plus a prefix, chosen by the
 * caller, of what was done to it since (the last append possibly in
 * part), and each name change not yet durable either made or not, as the
 * caller chooses, but whole (a rename never leaves the file under neither
 * name). Nothing is invented and nothing reordered.
 *
 * Directories are implied by paths: a path is a string, its directory is
 * what comes before its last '/' ("" when there is none), every directory
 * exists, and list(dir) gives the names directly inside dir (files, and
 * once each the first component of deeper paths). "." stands for "", and
 * a directory argument may end with '/'. A path must not be empty, end
 * with '/' or hold "//" (WQ_EINVAL). Unlike the native fs, open in a
 * directory nobody made succeeds: tests need no mkdir.
 *
 * Semantics otherwise as POSIX — a removed file stays readable and
 * writable through the handles open on it; two locks on one path
 * conflict (WQ_EBUSY) whoever holds them — except where Windows is
 * stricter and fs.h says so: rename onto a file that is open (or locked)
 * fails with WQ_EACCES.
 *
 * Thread-safety: one mutex per fs guards everything; any call may come
 * from any thread. list's callback and the hook run without it held (they
 * may call the fs); a crash plan's callbacks run with it held (they must
 * not).
 */
#ifndef WQI_FS_MEM_H
#define WQI_FS_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "fs.h"

/* A new, empty in-memory fs in *out. Errors: WQ_EINVAL (out NULL),
 * WQ_ENOMEM. */
wq_err wqi_fs_mem_new(wqi_fs **out);

/* Frees fs and everything in it (NULL: nothing). Every file and lock
 * must have been closed (wqi_fs_mem_open_files is 0). */
void wqi_fs_mem_free(wqi_fs *fs);

/* How many files and locks are open on fs now: 0 when a test's code has
 * closed everything it opened. */
size_t wqi_fs_mem_open_files(wqi_fs *fs);

/* The operations of the ops table, for faults, the hook and the counter. */
typedef enum wqi_fs_mem_op {
    WQI_FS_MEM_ANY, /* in a fault: any operation that can fail */
    WQI_FS_MEM_OPEN,
    WQI_FS_MEM_READ,
    WQI_FS_MEM_APPEND,
    WQI_FS_MEM_FLUSH,
    WQI_FS_MEM_SIZE,
    WQI_FS_MEM_TRUNCATE,
    WQI_FS_MEM_CLOSE,
    WQI_FS_MEM_RENAME,
    WQI_FS_MEM_REMOVE,
    WQI_FS_MEM_SYNC_DIR,
    WQI_FS_MEM_LIST,
    WQI_FS_MEM_LOCK,
    WQI_FS_MEM_UNLOCK
} wqi_fs_mem_op;

/* ---- fault injection ------------------------------------------------- */

/* Make the nth next call (1: the very next) of op — or of any operation
 * that can fail, for WQI_FS_MEM_ANY; close and unlock cannot — fail with
 * err, doing nothing, except that a failing append first writes its first
 * torn bytes (a torn write; 0: none, more than it has: all of them).
 * Calls are counted from now, including calls that fail for other
 * reasons. Up to 16 faults may be armed at once; when two reach the same
 * call the one armed first decides and both are used up. Errors:
 * WQ_EINVAL (fs NULL, nth 0, err WQ_OK, op not one that can fail),
 * WQ_ENOMEM (16 armed already). */
wq_err wqi_fs_mem_fail(wqi_fs *fs, wqi_fs_mem_op op, unsigned nth, wq_err err, size_t torn);

/* Disarm every fault not yet used. */
void wqi_fs_mem_fail_clear(wqi_fs *fs);

/* ---- the operation counter and the hook ------------------------------ */

/* How many calls fs has had since it was made (every operation, failed
 * ones too). */
uint64_t wqi_fs_mem_ops(wqi_fs *fs);

/* fn (NULL: none) is called after every call on fs has done its work,
 * with the operation and its number (wqi_fs_mem_ops just after it), from
 * the calling thread and without the fs's lock: it may take a crash image
 * (a power cut right after this call) or arm a fault. */
typedef void (*wqi_fs_mem_hook)(void *ctx, wqi_fs_mem_op op, uint64_t n);
void wqi_fs_mem_set_hook(wqi_fs *fs, wqi_fs_mem_hook fn, void *ctx);

/* ---- power cuts ------------------------------------------------------ */

/* A change of names not yet durable (its strings live as long as the
 * call it is passed to). */
typedef enum wqi_fs_mem_change_kind {
    WQI_FS_MEM_CREATED, /* path: a new file (open with CREATE, or lock) */
    WQI_FS_MEM_RENAMED, /* path renamed to `to` */
    WQI_FS_MEM_REMOVED  /* path removed */
} wqi_fs_mem_change_kind;

typedef struct wqi_fs_mem_change {
    wqi_fs_mem_change_kind kind;
    const char *path;
    const char *to; /* RENAMED only, else NULL */
} wqi_fs_mem_change;

/* A file as the crash finds it (path lives as long as the call). */
typedef struct wqi_fs_mem_tail {
    const char *path;   /* its name in the image (one of them) */
    uint64_t durable;   /* bytes of its content as of its last flush */
    uint64_t pending;   /* steps since: one per byte appended, one per truncate
                           that changed the size (open with TRUNC is one) */
    uint64_t size;      /* bytes it has now, after all of them */
    unsigned truncates; /* how many of the pending steps are truncates */
} wqi_fs_mem_tail;

/* What a crash keeps. Either callback may be NULL: then nothing pending
 * survives (keep gives 0, survives gives 0). */
typedef struct wqi_fs_mem_crash_plan {
    /* How many of the file's pending steps reached the disk: 0 (none:
     * the durable content) to t->pending (all: the content now); larger
     * values count as t->pending. The file then holds its durable content
     * with that many steps done on it, in order: appends byte by byte, so
     * the last one may be cut anywhere. */
    uint64_t (*keep)(void *ctx, const wqi_fs_mem_tail *t);
    /* Whether a name change not yet durable reached the disk (non-zero)
     * or not (0). Asked once per change, oldest first. A change is made
     * only if it still applies (a rename only if its file is still under
     * its old name in the image, and so on): a change that did not
     * survive may make a later one moot. */
    int (*survives)(void *ctx, const wqi_fs_mem_change *c);
    void *ctx;
} wqi_fs_mem_crash_plan;

/* A new in-memory fs in *image holding what a power cut now would leave
 * of fs, as plan decides (see above). fs is unchanged and goes on; the
 * image's content is all durable, and it has no open files, no locks, no
 * faults and no hook. Free it with wqi_fs_mem_free. Errors: WQ_EINVAL,
 * WQ_ENOMEM. */
wq_err wqi_fs_mem_crash(wqi_fs *fs, const wqi_fs_mem_crash_plan *plan, wqi_fs **image);

/* As wqi_fs_mem_crash with choices drawn from seed: for each file any
 * number of pending steps, each as likely, and each name change a coin
 * toss. The same seed on the same state gives the same image. */
wq_err wqi_fs_mem_crash_seeded(wqi_fs *fs, uint64_t seed, wqi_fs **image);

#endif /* WQI_FS_MEM_H */
