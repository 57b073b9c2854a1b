/* uds_err.h (POSIX) — the one place where errno becomes a wq_err.
 *
 * Both halves of the uds backend (uds.c: sockets, uds_path.c: names and
 * files) report operating-system failures through this function, so the
 * mapping is decided once and nothing above the backend sees errno.
 * Failures that are not a plain errno translation (a would-block that ran
 * out of time, a file that fails a safety check, a shut-down flag) are
 * decided by the callers, not here.
 */
#ifndef WQI_UDS_ERR_H
#define WQI_UDS_ERR_H

#include <errno.h>

#include <workq/errors.h>

static inline wq_err wqi_uds_err(int e)
{
    switch (e) {
    case 0:
        return WQ_OK;
    case ENOMEM:
    case ENOBUFS:
        return WQ_ENOMEM;
    case ETIMEDOUT:
        return WQ_ETIMEDOUT;
    /* The peer is gone, or our side was shut down. */
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
    case ESHUTDOWN:
        return WQ_ECLOSED;
    case EADDRINUSE:
        return WQ_EADDRINUSE;
    /* No socket at the path, or a path component missing, or a file at
     * the path that nobody listens on: in every case no server is there. */
    case ENOENT:
    case ENOTDIR:
    case ECONNREFUSED:
        return WQ_ENOENT;
    case EACCES:
    case EPERM:
    case EROFS:
        return WQ_EACCES;
    case ENAMETOOLONG:
        return WQ_ENAMETOOLONG;
    /* We open with O_NOFOLLOW wherever a symlink would be an attack, so a
     * symlink where we expected a file is a safety failure. */
    case ELOOP:
        return WQ_EUNSAFE;
    case EINVAL:
        return WQ_EINVAL;
    /* EMFILE, ENFILE, EIO and anything unexpected: the caller can only
     * report it; retrying would spin. */
    default:
        return WQ_EIO;
    }
}

#endif /* WQI_UDS_ERR_H */
