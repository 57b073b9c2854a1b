/* uds_path.c (POSIX) — socket paths, the private runtime directory, the
 * endpoint lock file and stale-socket removal.
 *
 * Directory rules (checklist US-1, US-6). A Unix socket is only as private
 * as the directory it lives in: some systems ignore the socket file's own
 * mode, and whoever may write to the directory can remove or replace the
 * socket and its lock file. So before a listener creates anything:
 *
 *  - the directory holding the socket (last component, checked with lstat)
 *    must be a real directory, not a symlink;
 *  - the private runtime directory ($XDG_RUNTIME_DIR/workq or
 *    /tmp/workq-<euid>) is created 0700 if missing (only that last
 *    component: $XDG_RUNTIME_DIR itself must exist) and must be owned by
 *    our effective uid with no group or other write bit (0700, or 0750
 *    with the socket's group when a group is to connect: wqi_uds_share_dir;
 *    a listener without a group makes it 0700 with its own group again:
 *    wqi_uds_unshare_dir);
 *  - any other directory (a path the user gave) must be owned by us or by
 *    root — another user owning it could delete or swap our files — and,
 *    if group- or world-writable, must have the sticky bit (like /tmp),
 *    which stops others from removing or renaming what we create there.
 *
 * The directories above the checked one are trusted: checking the whole
 * chain would refuse ordinary setups (a home directory under /home) and an
 * attacker able to rename a parent already controls the user's files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "platform.h"
#include "uds_path.h"

/* How often to retry taking a lock file that a closing listener unlinked
 * between our open() and our flock(). Each retry means another listener
 * just closed; a handful is plenty. */
#define LOCK_RETRIES 8

static int is_plain_name(const char *name)
{
    return strchr(name, '/') == NULL && strchr(name, '\\') == NULL;
}

/* The private runtime directory for this process's environment and euid. */
static wq_err runtime_dir(char *buf, size_t size)
{
    const char *xdg = wqi_getenv("XDG_RUNTIME_DIR");
    int n;
    if (xdg != NULL && xdg[0] != '\0') {
        n = snprintf(buf, size, "%s/workq", xdg);
    } else {
        n = snprintf(buf, size, "/tmp/workq-%lu", (unsigned long)geteuid());
    }
    if (n < 0 || (size_t)n >= size) {
        return WQ_ENAMETOOLONG;
    }
    return WQ_OK;
}

wq_err wqi_uds_resolve(const char *name, char *buf, size_t size)
{
    char path[WQI_UDS_SUN_PATH_SIZE];
    if (is_plain_name(name)) {
        char dir[WQI_UDS_SUN_PATH_SIZE];
        wq_err err = runtime_dir(dir, sizeof dir);
        if (err != WQ_OK) {
            return err;
        }
        int n = snprintf(path, sizeof path, "%s/%s.sock", dir, name);
        if (n < 0 || (size_t)n >= sizeof path) {
            return WQ_ENAMETOOLONG;
        }
    } else if (strlcpy(path, name, sizeof path) >= sizeof path) {
        return WQ_ENAMETOOLONG;
    }
    /* Check before copying: a caller must never see a truncated path. */
    size_t n = strlen(path);
    if (n >= size) {
        buf[0] = '\0';
        return WQ_ENAMETOOLONG;
    }
    memcpy(buf, path, n + 1);
    return WQ_OK;
}

wq_err wqi_uds_sockaddr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (path[0] == '\0') {
        return WQ_EINVAL; /* would be Linux's abstract namespace (US-4) */
    }
    if (strlcpy(sa->sun_path, path, sizeof sa->sun_path) >= sizeof sa->sun_path) {
        return WQ_ENAMETOOLONG;
    }
    return WQ_OK;
}

/* The directory part of path, without trailing slashes (a trailing slash
 * would make lstat follow a symlink). "x.sock" gives ".", "/x" gives "/". */
static void dir_of(const char *path, char *dir, size_t size)
{
    strlcpy(dir, path, size);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        strlcpy(dir, ".", size);
        return;
    }
    while (slash > dir && slash[-1] == '/') {
        slash--;
    }
    if (slash == dir) {
        slash++; /* keep the root */
    }
    *slash = '\0';
}

static int writable_by_others(mode_t mode)
{
    return (mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* Apply the rules at the top of this file to an existing directory. */
static wq_err check_dir(const char *dir, int is_runtime_dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        return wq_err_from_os(errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        return WQ_EUNSAFE; /* a symlink (even to a good directory) or a file */
    }
    uid_t me = geteuid();
    if (is_runtime_dir) {
        return st.st_uid == me && !writable_by_others(st.st_mode) ? WQ_OK : WQ_EUNSAFE;
    }
    if (st.st_uid != me && st.st_uid != 0) {
        return WQ_EUNSAFE;
    }
    if (writable_by_others(st.st_mode) && (st.st_mode & S_ISVTX) == 0) {
        return WQ_EUNSAFE;
    }
    return WQ_OK;
}

wq_err wqi_uds_prepare_dir(const char *path)
{
    char dir[WQI_UDS_SUN_PATH_SIZE];
    char rt[WQI_UDS_SUN_PATH_SIZE];
    dir_of(path, dir, sizeof dir);
    int is_runtime_dir = runtime_dir(rt, sizeof rt) == WQ_OK && strcmp(rt, dir) == 0;
    /* mkdir with the final mode: there is no moment at which the directory
     * is more open than 0700 (the umask can only narrow it). An existing
     * one, possibly planted by someone else, is judged by check_dir. */
    if (is_runtime_dir && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return wq_err_from_os(errno);
    }
    return check_dir(dir, is_runtime_dir);
}

/* Give the private runtime directory holding path (if that is where path
 * lives) to group with mode. Group first, mode second: widening to 0750
 * happens only once the directory has the group that is meant to see it,
 * and narrowing to 0700 happens before the group changes back. */
static wq_err set_runtime_dir_access(const char *path, gid_t group, mode_t mode)
{
    char dir[WQI_UDS_SUN_PATH_SIZE];
    char rt[WQI_UDS_SUN_PATH_SIZE];
    dir_of(path, dir, sizeof dir);
    if (runtime_dir(rt, sizeof rt) != WQ_OK || strcmp(rt, dir) != 0) {
        return WQ_OK;
    }
    /* Through a descriptor of the directory itself (no symlink followed),
     * re-checked, so that the change lands on what check_dir approved. */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return wq_err_from_os(errno);
    }
    struct stat st;
    wq_err err = WQ_OK;
    int narrowing = (mode & 0070u) == 0;
    if (fstat(fd, &st) != 0) {
        err = wq_err_from_os(errno);
    } else if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        err = WQ_EUNSAFE;
    } else if ((narrowing && (st.st_mode & 07777) != mode && fchmod(fd, mode) != 0) ||
               (st.st_gid != group && fchown(fd, (uid_t)-1, group) != 0) ||
               (!narrowing && (st.st_mode & 07777) != mode && fchmod(fd, mode) != 0)) {
        err = wq_err_from_os(errno);
    }
    close(fd);
    return err;
}

wq_err wqi_uds_share_dir(const char *path, gid_t group)
{
    return set_runtime_dir_access(path, group, 0750);
}

wq_err wqi_uds_unshare_dir(const char *path)
{
    return set_runtime_dir_access(path, getegid(), 0700);
}

/* Open (creating 0600) the lock file without following a symlink and
 * check that it is a regular file of ours: a file planted by another user
 * could be held locked forever, or be a FIFO or device. */
static wq_err open_lock_file(const char *lock_path, int *fd_out, struct stat *st)
{
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
        return wq_err_from_os(errno);
    }
    if (fstat(fd, st) != 0) {
        wq_err err = wq_err_from_os(errno);
        close(fd);
        return err;
    }
    if (!S_ISREG(st->st_mode) || st->st_uid != geteuid()) {
        close(fd);
        return WQ_EUNSAFE;
    }
    *fd_out = fd;
    return WQ_OK;
}

/* flock, not fcntl locks: flock belongs to the open file description, so
 * two listeners in one process exclude each other, and closing some other
 * descriptor of the file does not silently drop the lock. */
static wq_err lock_exclusive(int fd)
{
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            return WQ_OK;
        }
        if (errno == EWOULDBLOCK) {
            return WQ_EADDRINUSE;
        }
        if (errno != EINTR) {
            return wq_err_from_os(errno);
        }
    }
}

/* After locking: is the file at lock_path still the one we locked? A
 * listener that was closing may have unlinked it between our open and our
 * flock; a lock on an unlinked file protects nothing. */
static int still_linked(const char *lock_path, const struct stat *locked)
{
    struct stat now;
    return lstat(lock_path, &now) == 0 && now.st_dev == locked->st_dev &&
           now.st_ino == locked->st_ino;
}

wq_err wqi_uds_lock_take(const char *path, char *lock_path, int *lock_fd)
{
    int n = snprintf(lock_path, WQI_UDS_LOCK_PATH_SIZE, "%s.lock", path);
    if (n < 0 || (size_t)n >= WQI_UDS_LOCK_PATH_SIZE) {
        return WQ_ENAMETOOLONG;
    }
    for (int attempt = 0; attempt < LOCK_RETRIES; attempt++) {
        int fd = -1; /* set by the open on success; -O2 cannot tell */
        struct stat st;
        wq_err err = open_lock_file(lock_path, &fd, &st);
        if (err != WQ_OK) {
            return err;
        }
        err = lock_exclusive(fd);
        if (err != WQ_OK) {
            close(fd);
            return err;
        }
        if (still_linked(lock_path, &st)) {
            *lock_fd = fd;
            return WQ_OK;
        }
        close(fd);
    }
    return WQ_EADDRINUSE;
}

void wqi_uds_lock_drop(const char *lock_path, int lock_fd)
{
    unlink(lock_path);
    close(lock_fd);
}

/* Is a server (one that does not take our lock file, say an older build)
 * accepting on the socket at path? Only a refused connection proves the
 * socket dead; anything else is treated as alive so that we never unlink
 * a live server's socket. */
static int socket_is_live(const char *path)
{
    struct sockaddr_un sa;
    if (wqi_uds_sockaddr(path, &sa) != WQ_OK) {
        return 1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return 1;
    }
    int rc;
    do {
        rc = connect(fd, (const struct sockaddr *)&sa, sizeof sa);
    } while (rc != 0 && errno == EINTR);
    int dead = rc != 0 && (errno == ECONNREFUSED || errno == ENOENT);
    close(fd);
    return !dead;
}

wq_err wqi_uds_clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? WQ_OK : wq_err_from_os(errno);
    }
    if (!S_ISSOCK(st.st_mode)) {
        return WQ_EUNSAFE;
    }
    if (socket_is_live(path)) {
        return WQ_EADDRINUSE;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        return wq_err_from_os(errno);
    }
    return WQ_OK;
}
