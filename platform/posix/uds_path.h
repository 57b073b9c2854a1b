/* uds_path.h (POSIX) — the filesystem side of the uds backend (internal).
 *
 * Endpoint names become socket paths here, the directory a listener's
 * socket lives in is created (when it is the private runtime directory)
 * and checked, the endpoint's lock file is taken, and a stale socket left
 * by a dead server is removed. The socket calls themselves are in uds.c.
 */
#ifndef WQI_UDS_PATH_H
#define WQI_UDS_PATH_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include <workq/errors.h>

/* Bytes in sockaddr_un.sun_path, the terminating NUL included: a socket
 * path must be strictly shorter. */
#define WQI_UDS_SUN_PATH_SIZE (sizeof(((struct sockaddr_un *)0)->sun_path))

/* Room for "<socket path>.lock" and its NUL. */
#define WQI_UDS_LOCK_PATH_SIZE (WQI_UDS_SUN_PATH_SIZE + 5)

/* The transport's resolve op: a plain name (no '/' or '\\') becomes
 * <runtime dir>/<name>.sock, anything else is used as given. Fails with
 * WQ_ENAMETOOLONG when the result does not fit size or sun_path; never
 * truncates. */
wq_err wqi_uds_resolve(const char *name, char *buf, size_t size);

/* Fill sa with path. WQ_ENAMETOOLONG if it does not fit (never truncates). */
wq_err wqi_uds_sockaddr(const char *path, struct sockaddr_un *sa);

/* Make the directory that will hold a listener's socket at path ready:
 * create the private runtime directory (0700) when path lives directly in
 * it, then check the directory. WQ_EUNSAFE when it is a symlink, not a
 * directory, owned by someone else, or writable by others without the
 * sticky bit (see uds_path.c for the exact rules). */
wq_err wqi_uds_prepare_dir(const char *path);

/* After wqi_uds_prepare_dir, for a socket that members of group are to
 * reach: when path lives directly in the private runtime directory, give
 * that directory to group with mode 0750 (traverse and list, never write).
 * A directory the caller named is left alone: its permissions are the
 * operator's. WQ_EACCES if the group cannot be set (not a member, without
 * privilege); WQ_EUNSAFE if the directory is no longer the one checked. */
wq_err wqi_uds_share_dir(const char *path, gid_t group);

/* After wqi_uds_prepare_dir, for a socket that no group is to reach: when
 * path lives directly in the private runtime directory, make that
 * directory 0700 with the process's effective group again, withdrawing
 * the access an earlier listener with a group gave (the directory is
 * shared by every plain-named endpoint of the user, so the last listener
 * opened there decides). Nothing changes if it already is. A directory
 * the caller named is left alone. WQ_EUNSAFE if the directory is no
 * longer the one checked. */
wq_err wqi_uds_unshare_dir(const char *path);

/* Take the endpoint's lock file "<path>.lock" (created 0600 if missing).
 * On success *lock_fd holds an exclusive lock and lock_path (of
 * WQI_UDS_LOCK_PATH_SIZE bytes) names the file. WQ_EADDRINUSE if another
 * listener holds it; WQ_EUNSAFE if the lock path is a symlink, not a
 * regular file, or owned by another user. */
wq_err wqi_uds_lock_take(const char *path, char *lock_path, int *lock_fd);

/* Remove the lock file and release the lock (in that order, so that the
 * unlink happens while we still own the endpoint). */
void wqi_uds_lock_drop(const char *lock_path, int lock_fd);

/* With the lock held: make path free for bind. Nothing there: fine. A
 * socket: a dead server's leftover (the lock proves no live listener of
 * ours; a connect probe guards against a live server that does not take
 * the lock), removed. Anything else: WQ_EUNSAFE, left untouched. */
wq_err wqi_uds_clear_stale(const char *path);

#endif /* WQI_UDS_PATH_H */
