/* fs.c (POSIX) — the native wqi_fs (src/fs.h): open/pread/writev/
 * fdatasync/ftruncate/rename/unlink, fsync of a directory, readdir and
 * flock.
 *
 * Every descriptor is opened O_CLOEXEC, so a program workqd starts never
 * inherits a journal file or, worse, the data directory's lock. Files are
 * opened O_APPEND: every write lands at the end whatever another handle
 * did, and reads use pread, which ignores the file offset.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "alloc.h"
#include "fs.h"

/* Offsets are 64-bit in the interface; a 32-bit off_t would cut them
 * (build with _FILE_OFFSET_BITS=64 on such a system). */
_Static_assert(sizeof(off_t) >= 8, "fs.c needs a 64-bit off_t");

/* The most one read or write system call is asked to move: below
 * SSIZE_MAX everywhere, and below the 2 GiB some systems (macOS) refuse. */
#define IO_CHUNK ((size_t)1 << 30)

/* How many pieces one writev gets (POSIX promises at least 16 as IOV_MAX;
 * more pieces take more calls). */
#define IOV_BATCH 16

/* wqi_file is opaque in fs.h; here it is one of these. */
struct posix_file {
    int fd;
};

static struct posix_file *pf(wqi_file *f)
{
    return (struct posix_file *)(void *)f;
}

/* errno is read at once: free() and friends may change it. */
static wq_err os_error(void)
{
    return wq_err_from_os(errno);
}

static wq_err make_file(int fd, wqi_file **out)
{
    struct posix_file *p = wqi_malloc(sizeof *p);
    if (p == NULL) {
        close(fd);
        return WQ_ENOMEM;
    }
    p->fd = fd;
    *out = (wqi_file *)(void *)p;
    return WQ_OK;
}

static wq_err fs_open(wqi_fs *fs, const char *path, unsigned flags, wqi_file **out)
{
    (void)fs;
    if (out != NULL) {
        *out = NULL;
    }
    if (path == NULL || path[0] == '\0' || out == NULL ||
        (flags & ~(WQI_FS_CREATE | WQI_FS_EXCL | WQI_FS_TRUNC)) != 0 ||
        ((flags & WQI_FS_EXCL) && !(flags & WQI_FS_CREATE))) {
        return WQ_EINVAL;
    }
    int oflags = O_RDWR | O_APPEND | O_CLOEXEC;
    if (flags & WQI_FS_CREATE) {
        oflags |= O_CREAT;
    }
    if (flags & WQI_FS_EXCL) {
        oflags |= O_EXCL;
    }
    if (flags & WQI_FS_TRUNC) {
        oflags |= O_TRUNC;
    }
    int fd;
    do {
        fd = open(path, oflags, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        /* EEXIST means "exists" only here (mkdir callers take it as
         * success), so it is decided here, not in os_err.c. */
        int e = errno;
        wq_err err = wq_err_from_os(e);
        return e == EEXIST ? WQ_EEXIST : err;
    }
    return make_file(fd, out);
}

static wq_err fs_read(wqi_file *f, uint64_t off, void *buf, size_t len, size_t *got)
{
    if (got != NULL) {
        *got = 0;
    }
    if (f == NULL || got == NULL || (buf == NULL && len > 0) || off > (uint64_t)INT64_MAX) {
        return WQ_EINVAL;
    }
    size_t done = 0;
    while (done < len) {
        if (off + done > (uint64_t)INT64_MAX) {
            break; /* no file reaches that far: this is its end */
        }
        size_t want = len - done < IO_CHUNK ? len - done : IO_CHUNK;
        ssize_t n = pread(pf(f)->fd, (char *)buf + done, want, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            *got = done;
            return os_error();
        }
        if (n == 0) {
            break; /* the end of the file */
        }
        done += (size_t)n;
    }
    *got = done;
    return WQ_OK;
}

static wq_err fs_append(wqi_file *f, const wqi_fs_iov *iov, size_t n)
{
    if (f == NULL || (iov == NULL && n > 0)) {
        return WQ_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (iov[i].data == NULL && iov[i].len > 0) {
            return WQ_EINVAL;
        }
    }
    /* Piece i is written up to skip bytes. A short write (a signal, a disk
     * that filled up half-way) is followed by a call for the rest, which
     * then reports why it cannot go on. */
    size_t i = 0;
    size_t skip = 0;
    for (;;) {
        while (i < n && iov[i].len == skip) {
            i++;
            skip = 0;
        }
        if (i == n) {
            return WQ_OK;
        }
        struct iovec v[IOV_BATCH];
        int cnt = 0;
        size_t total = 0;
        for (size_t j = i; j < n && cnt < IOV_BATCH && total < IO_CHUNK; j++) {
            size_t from = j == i ? skip : 0;
            size_t len = iov[j].len - from;
            if (len > IO_CHUNK - total) {
                len = IO_CHUNK - total;
            }
            if (len == 0) {
                continue;
            }
            v[cnt].iov_base = (char *)iov[j].data + from;
            v[cnt].iov_len = len;
            cnt++;
            total += len;
        }
        ssize_t w = writev(pf(f)->fd, v, cnt);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return os_error();
        }
        if (w == 0) {
            return WQ_EIO; /* a regular file never takes nothing: do not spin */
        }
        size_t left = (size_t)w;
        while (left > 0) {
            size_t rest = iov[i].len - skip;
            if (left < rest) {
                skip += left;
                left = 0;
            } else {
                left -= rest;
                i++;
                skip = 0;
            }
        }
    }
}

/* fdatasync writes the data and what is needed to read it back (the
 * size), not the times. macOS: fsync there only hands the data to the
 * drive, whose cache a power cut may lose; F_FULLFSYNC asks the drive to
 * write its cache out. File systems that refuse it (some network ones)
 * get fsync, the best they offer.
 *
 * An error is final for what was appended: after a failed fdatasync
 * Linux may mark the pages clean and drop them, so a later flush that
 * succeeds proves nothing about them. */
static wq_err fs_flush(wqi_file *f)
{
    if (f == NULL) {
        return WQ_EINVAL;
    }
    int fd = pf(f)->fd;
#ifdef __APPLE__
    if (fcntl(fd, F_FULLFSYNC) == 0) {
        return WQ_OK;
    }
    if (errno != ENOTSUP && errno != EINVAL && errno != ENOTTY) {
        return os_error();
    }
    while (fsync(fd) != 0) {
        if (errno != EINTR) {
            return os_error();
        }
    }
#else
    while (fdatasync(fd) != 0) {
        if (errno != EINTR) {
            return os_error();
        }
    }
#endif
    return WQ_OK;
}

static wq_err fs_size(wqi_file *f, uint64_t *size)
{
    if (size != NULL) {
        *size = 0;
    }
    if (f == NULL || size == NULL) {
        return WQ_EINVAL;
    }
    struct stat st;
    if (fstat(pf(f)->fd, &st) != 0) {
        return os_error();
    }
    *size = (uint64_t)st.st_size;
    return WQ_OK;
}

static wq_err fs_truncate(wqi_file *f, uint64_t size)
{
    uint64_t now;
    wq_err err = fs_size(f, &now);
    if (err != WQ_OK) {
        return err;
    }
    if (size > now) {
        return WQ_EINVAL; /* only ever cut: growing would invent zeros */
    }
    while (ftruncate(pf(f)->fd, (off_t)size) != 0) {
        if (errno != EINTR) {
            return os_error();
        }
    }
    return WQ_OK;
}

static void fs_close(wqi_file *f)
{
    if (f == NULL) {
        return;
    }
    /* Not retried on EINTR: on Linux the descriptor is gone either way,
     * and a retry could close one another thread just opened. */
    close(pf(f)->fd);
    wqi_free(pf(f));
}

static wq_err fs_rename(wqi_fs *fs, const char *from, const char *to)
{
    (void)fs;
    if (from == NULL || to == NULL || from[0] == '\0' || to[0] == '\0') {
        return WQ_EINVAL;
    }
    if (rename(from, to) != 0) {
        return os_error();
    }
    return WQ_OK;
}

static wq_err fs_remove(wqi_fs *fs, const char *path)
{
    (void)fs;
    if (path == NULL || path[0] == '\0') {
        return WQ_EINVAL;
    }
    if (unlink(path) != 0) {
        return os_error();
    }
    return WQ_OK;
}

static int open_dir(const char *dir)
{
    int fd;
    do {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

/* A directory's entries reach the disk when the directory itself is
 * fsynced (a rename is atomic at once, but durable only then). A file
 * system that cannot sync a directory says EINVAL; there is nothing more
 * to do on it, as PostgreSQL's fsync_fname also concludes. */
static wq_err fs_sync_dir(wqi_fs *fs, const char *dir)
{
    (void)fs;
    if (dir == NULL || dir[0] == '\0') {
        return WQ_EINVAL;
    }
    int fd = open_dir(dir);
    if (fd < 0) {
        return os_error();
    }
    wq_err err = WQ_OK;
    while (fsync(fd) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno != EINVAL) {
            err = os_error();
        }
        break;
    }
    close(fd);
    return err;
}

/* fn may remove or add entries while we list: readdir then may or may not
 * return them, but returns every other entry once. */
static wq_err fs_list(wqi_fs *fs, const char *dir, wq_err (*fn)(void *ctx, const char *name),
                      void *ctx)
{
    (void)fs;
    if (dir == NULL || dir[0] == '\0' || fn == NULL) {
        return WQ_EINVAL;
    }
    int fd = open_dir(dir);
    if (fd < 0) {
        return os_error();
    }
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        wq_err err = os_error();
        close(fd);
        return err;
    }
    wq_err err = WQ_OK;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                err = os_error();
            }
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        err = fn(ctx, e->d_name);
        if (err != WQ_OK) {
            break;
        }
    }
    closedir(d); /* closes fd too */
    return err;
}

/* flock, not fcntl locks: a flock belongs to the open file description,
 * so a second open of the lock file in the same process is refused too
 * (a classic fcntl lock is per process, and closing any descriptor of
 * the file would drop it; OFD fcntl locks behave like flock but are
 * Linux-only). flock is on Linux, the BSDs and macOS. On NFS, Linux
 * emulates flock with fcntl locks, which do not exclude the same
 * process: keep data directories on local disks.
 *
 * The lock file stays when unlocked: removing it would let a second
 * workqd lock a new file of the same name while a third still holds the
 * old one. */
static wq_err fs_lock(wqi_fs *fs, const char *path, wqi_file **out)
{
    (void)fs;
    if (out != NULL) {
        *out = NULL;
    }
    if (path == NULL || path[0] == '\0' || out == NULL) {
        return WQ_EINVAL;
    }
    int fd;
    do {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return os_error();
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EINTR) {
            continue;
        }
        wq_err err = wq_err_from_os(e); /* recorded for the log either way */
        close(fd);
        return e == EWOULDBLOCK ? WQ_EBUSY : err;
    }
    return make_file(fd, out);
}

/* Closing the descriptor releases the flock. */
static void fs_unlock(wqi_file *lock)
{
    fs_close(lock);
}

static const wqi_fs_ops native_ops = {
    .open = fs_open,
    .read = fs_read,
    .append = fs_append,
    .flush = fs_flush,
    .size = fs_size,
    .truncate = fs_truncate,
    .close = fs_close,
    .rename = fs_rename,
    .remove = fs_remove,
    .sync_dir = fs_sync_dir,
    .list = fs_list,
    .lock = fs_lock,
    .unlock = fs_unlock,
};

static wqi_fs native_fs = {&native_ops};

wqi_fs *wqi_fs_native(void)
{
    return &native_fs;
}
