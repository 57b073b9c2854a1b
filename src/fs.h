/* fs.h — the few file operations the journal needs, behind one ops table
 * (internal).
 *
 * The journal (issue: durability) is portable code: it never calls the OS
 * itself. It gets a wqi_fs — the native one (platform/<os>/fs.c: POSIX
 * open/pwrite/fdatasync/rename/fsync of the directory/flock, Windows
 * CreateFileW/WriteFile/FlushFileBuffers/MoveFileExW/LockFileEx) or the
 * in-memory one (src/fs_mem.c), which tests use to inject faults
 * (ENOSPC, EIO on any operation) and to simulate a power cut: every
 * write and flush is recorded, and a "crash" keeps only what was made
 * durable plus any prefix of what was written after it.
 *
 * Paths are UTF-8, '/'-separated below a directory the caller chose (the
 * native Windows implementation converts them to UTF-16 and '\\').
 * Files are read at an offset and written only by appending: the journal
 * never rewrites a byte in place, which is what makes a torn write
 * detectable and a crash image simple to reason about.
 *
 * Durability, as POSIX and Windows give it and as the in-memory fs
 * simulates it:
 *   - bytes appended to a file are durable once flush() on that file has
 *     returned WQ_OK (fdatasync / FlushFileBuffers);
 *   - a file's existence under a name (create, rename, remove) is durable
 *     once sync_dir() on its directory has returned WQ_OK (fsync of the
 *     directory on POSIX; on Windows MoveFileExW with
 *     MOVEFILE_WRITE_THROUGH makes a rename durable by itself, and
 *     sync_dir flushes nothing more);
 *   - rename(from, to) replaces `to` atomically: after a crash either the
 *     old or the new file is found under `to`, never neither or a mix.
 *
 * Errors: WQ_ENOENT (no such file or directory), WQ_EEXIST (exists, with
 * WQI_FS_EXCL), WQ_EACCES, WQ_ENOSPC (no space left: disk full or quota),
 * WQ_EBUSY (the lock is held by another process or handle), WQ_EIO
 * (anything else; wq_os_error_last has the OS's words for native calls),
 * WQ_EINVAL, WQ_ENOMEM. A failed append may have written part of its
 * bytes (like a torn write): the caller must not assume either way, and
 * the journal truncates back to its last good size before appending
 * again.
 *
 * Thread-safety: a wqi_fs may be used from several threads at once; one
 * wqi_file by one thread at a time (the journal serialises its appends).
 * Blocking: every call may block on the disk; none takes a timeout.
 */
#ifndef WQI_FS_H
#define WQI_FS_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

typedef struct wqi_fs wqi_fs;
typedef struct wqi_file wqi_file;

/* Open flags. Without WQI_FS_CREATE the file must exist. */
#define WQI_FS_CREATE 1u /* create it if it does not exist */
#define WQI_FS_EXCL 2u   /* with CREATE: fail with WQ_EEXIST if it exists */
#define WQI_FS_TRUNC 4u  /* empty it when opening */

/* One piece of an append: len bytes at data. */
typedef struct wqi_fs_iov {
    const void *data;
    size_t len;
} wqi_fs_iov;

/* One ops table per implementation (as curl's vtls backends). Every
 * function is required. */
typedef struct wqi_fs_ops {
    /* Open (or create) path for reading and appending. Files are created
     * private (POSIX 0600; Windows: they inherit the data directory's
     * protected DACL). *out is the caller's, closed with close(). */
    wq_err (*open)(wqi_fs *fs, const char *path, unsigned flags, wqi_file **out);
    /* Read up to len bytes at offset off; *got is how many (0 at the end).
     * Short reads happen only at the end of the file. */
    wq_err (*read)(wqi_file *f, uint64_t off, void *buf, size_t len, size_t *got);
    /* Append the n pieces, in order, at the end of the file, all of them
     * or an error (see above for partial writes). */
    wq_err (*append)(wqi_file *f, const wqi_fs_iov *iov, size_t n);
    /* Make everything appended so far durable (fdatasync,
     * FlushFileBuffers). */
    wq_err (*flush)(wqi_file *f);
    /* The file's current size in bytes. */
    wq_err (*size)(wqi_file *f, uint64_t *size);
    /* Cut the file to size bytes (no longer than it is): drops a torn
     * tail before appending again. Durable after the next flush. */
    wq_err (*truncate)(wqi_file *f, uint64_t size);
    /* Close (f may be NULL). Does not flush. */
    void (*close)(wqi_file *f);
    /* Rename from to to, atomically replacing to if it exists. An open
     * from may be renamed (its handles follow it), but to must not be
     * open: Windows cannot replace an open file (WQ_EACCES), and the
     * in-memory fs refuses it too, so that portable code meets the rule
     * in its tests. */
    wq_err (*rename)(wqi_fs *fs, const char *from, const char *to);
    /* Remove a file. WQ_ENOENT if there is none. An open file may be
     * removed (its handles go on working), but on Windows its name may
     * stay taken until its last handle is closed: do not create it again
     * before. */
    wq_err (*remove)(wqi_fs *fs, const char *path);
    /* Make the names in directory dir durable (see above). */
    wq_err (*sync_dir)(wqi_fs *fs, const char *dir);
    /* Call fn once per entry of dir (not "." or ".."), in no particular
     * order; stops at the first error fn returns and returns it. */
    wq_err (*list)(wqi_fs *fs, const char *dir, wq_err (*fn)(void *ctx, const char *name),
                   void *ctx);
    /* Take an exclusive lock on path (created if missing), held until
     * unlock: one workqd per data directory. Never blocks: WQ_EBUSY if
     * another holder has it (another process; on POSIX also another open
     * of the same file in this process is refused). */
    wq_err (*lock)(wqi_fs *fs, const char *path, wqi_file **out);
    void (*unlock)(wqi_file *lock);
} wqi_fs_ops;

/* Every implementation's fs starts with this (its ops). */
struct wqi_fs {
    const wqi_fs_ops *ops;
};

/* The native file system of this OS (platform/<os>/fs.c). Never NULL;
 * lives for the whole process. */
wqi_fs *wqi_fs_native(void);

#endif /* WQI_FS_H */
