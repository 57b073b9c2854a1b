/* os_err.c (POSIX) — the one place where errno becomes a wq_err.
 *
 * Every backend and helper on POSIX reports operating-system failures
 * through wq_err_from_os(), so the mapping is decided once and nothing
 * above the transport sees errno. Failures that are not a plain errno
 * translation (a would-block that ran out of time, a file that fails a
 * safety check, a shut-down flag) are decided by the callers, not here.
 *
 * The last errno translated on each thread is kept, so that a log line can
 * say what the OS said ("Too many open files") beside the wq_err.
 */
#include <errno.h>
#include <string.h>

#include <workq/errors.h>

#include "utf8.h"

/* 0: nothing recorded on this thread. */
static _Thread_local int last_errno;

static wq_err translate(int e)
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
    /* Out of descriptors, per process or system-wide: an operator can fix
     * this (RLIMIT_NOFILE, LimitNOFILE=), so it gets its own name. */
    case EMFILE:
    case ENFILE:
        return WQ_EMFILE;
    case EOPNOTSUPP:
        return WQ_ENOTSUP;
    /* A full disk and a full quota look the same to the caller: nothing
     * to do but report it and retry once space is freed. */
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return WQ_ENOSPC;
    /* EIO and anything unexpected: the caller can only report it; the
     * recorded errno says what it was. */
    default:
        return WQ_EIO;
    }
}

wq_err wq_err_from_os(long os_code)
{
    if (os_code == 0) {
        return WQ_OK;
    }
    int e = os_code > 0 && os_code <= 0x7FFFFFFF ? (int)os_code : -1;
    last_errno = e;
    return translate(e);
}

int wq_os_error_last(long *code, char *text, size_t size)
{
    int e = last_errno;
    if (code != NULL) {
        *code = e;
    }
    if (text == NULL || size == 0) {
        return e != 0;
    }
    text[0] = '\0';
    if (e == 0) {
        return 0;
    }
    /* strerror_r comes in a GNU and an XSI flavour; strerror_l... is not
     * everywhere either. The GNU one may return a static string instead of
     * filling buf, so copy whichever we get. */
    char buf[128];
    buf[0] = '\0';
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    const char *s = strerror_r(e, buf, sizeof buf);
#else
    const char *s = strerror_r(e, buf, sizeof buf) == 0 ? buf : "unknown error";
#endif
    /* In a UTF-8 locale a translated text may not be ASCII: cut it at a
     * character boundary, as on Windows. */
    if (s == NULL) {
        s = "unknown error";
    }
    wqi_utf8_copy(text, size, s, strlen(s));
    return 1;
}
