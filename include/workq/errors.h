/* workq/errors.h — the one error vocabulary of workq.
 *
 * Every fallible function returns a wq_err. WQ_OK is 0; every other value is
 * stable across releases (new ones are only appended) so it can be stored,
 * compared and sent between processes. Operating-system errors are mapped to
 * these values by wq_err_from_os(), in one place per OS; nothing above the
 * transport ever sees errno or GetLastError(), but the OS's own code and
 * text stay available for logs (wq_os_error_last).
 *
 * The values WQ_EBADREQ to WQ_ELIMIT, and WQ_EMSGSIZE, WQ_EBUSY and
 * WQ_ESHUTDOWN, stand for the protocol's error codes (docs/protocol.md);
 * wq_err_from_code() and wq_err_code() convert.
 */
#ifndef WORKQ_ERRORS_H
#define WORKQ_ERRORS_H

#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* WQ_ERR_MAP(XX): the one list of errors. Each row is
 *   XX(name, value, protocol code or 0, short English description)
 * in value order. The enum, wq_strerror(), wq_err_name(), wq_err_code() and
 * wq_err_from_code() are all generated from it (as libuv's UV_ERRNO_MAP), so
 * they cannot drift apart; a binding can expand it for its own tables.
 *
 * Local and transport errors come first, then one per protocol error code
 * (docs/protocol.md), then later additions: new values are only appended. */
#define WQ_ERR_MAP(XX)                                                                             \
    XX(WQ_OK, 0, 0, "success")                                                                     \
    XX(WQ_EINVAL, 1, 0, "invalid argument")                                                        \
    XX(WQ_ENOMEM, 2, 0, "out of memory")                                                           \
    XX(WQ_ETIMEDOUT, 3, 0, "timed out")                                                            \
    XX(WQ_ECLOSED, 4, 0, "connection closed")                                                      \
    XX(WQ_EMSGSIZE, 5, 413, "message too large")                                                   \
    XX(WQ_EADDRINUSE, 6, 0, "endpoint already in use")                                             \
    XX(WQ_ENOENT, 7, 0, "no such endpoint")                                                        \
    XX(WQ_EACCES, 8, 0, "permission denied")                                                       \
    XX(WQ_ENAMETOOLONG, 9, 0, "endpoint name too long")                                            \
    XX(WQ_EPROTO, 10, 0, "protocol error")                                                         \
    XX(WQ_EBUSY, 11, 503, "server busy")                                                           \
    XX(WQ_EIO, 12, 0, "input/output error")                                                        \
    XX(WQ_EUNSAFE, 13, 0, "endpoint path is not safe to use")                                      \
    XX(WQ_EBADREQ, 14, 400, "bad request")                                                         \
    XX(WQ_EFORBIDDEN, 15, 403, "not allowed")                                                      \
    XX(WQ_ENOTFOUND, 16, 404, "not found")                                                         \
    XX(WQ_ENOTTEXT, 17, 406, "item is not text")                                                   \
    XX(WQ_EEXIST, 18, 409, "already exists")                                                       \
    XX(WQ_EGONE, 19, 410, "queue deleted while waiting")                                           \
    XX(WQ_EINTERNAL, 20, 500, "internal error")                                                    \
    XX(WQ_ELIMIT, 21, 507, "limit reached")                                                        \
    XX(WQ_ESHUTDOWN, 22, 503, "shutting down")                                                     \
    XX(WQ_ENOTSUP, 23, 0, "not supported by this transport")                                       \
    XX(WQ_EMFILE, 24, 0, "too many open files")                                                    \
    XX(WQ_EUNTRUSTED, 25, 0, "server runs as an unexpected account")                               \
    XX(WQ_ENOSPC, 26, 0, "no space left on the device")

/* What each value means (beyond its description):
 *   WQ_EINVAL        a bad argument to a function
 *   WQ_ETIMEDOUT     the timeout passed before the operation completed
 *   WQ_ECLOSED       the peer closed the connection, or it was shut down
 *   WQ_EMSGSIZE      larger than the allowed maximum (protocol 413)
 *   WQ_EADDRINUSE    the endpoint is already served by someone else
 *   WQ_ENOENT        no server at the endpoint, or no directory for it
 *   WQ_EACCES        permission denied by the operating system
 *   WQ_ENAMETOOLONG  endpoint name or path too long for the OS
 *   WQ_EPROTO        malformed data on the wire; the connection is unusable
 *   WQ_EBUSY         every server instance is busy, or server busy (503 busy)
 *   WQ_EIO           another operating-system error (wq_os_error_last has it)
 *   WQ_EUNSAFE       endpoint path fails a safety check (owner, mode,
 *                    symlink, not a socket); for a client, the runtime
 *                    directory of a plain endpoint name is not private
 *   WQ_EBADREQ … WQ_ELIMIT   the protocol's error codes, one each
 *   WQ_ESHUTDOWN     the server is stopping (503 shutdown)
 *   WQ_ENOTSUP       the transport cannot do this (e.g. adopting a socket
 *                    on a named-pipe or in-process transport)
 *   WQ_EMFILE        the process or the system ran out of file descriptors
 *                    or handles: raise the limit or use fewer connections
 *   WQ_EUNTRUSTED    the server at the endpoint runs as an account the
 *                    client does not trust (docs/protocol.md "Trust");
 *                    nothing was sent to it
 *   WQ_ENOSPC        no room for a write: the disk, or the account's quota
 *                    on it, is full (POSIX ENOSPC, EDQUOT; Windows
 *                    ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL); the same
 *                    write can succeed once space is freed */
typedef enum wq_err {
#define WQ_ERR_ENUM_ROW_(name, value, code, text) name = value,
    WQ_ERR_MAP(WQ_ERR_ENUM_ROW_)
#undef WQ_ERR_ENUM_ROW_
} wq_err;

/* A short, constant, English description of err ("message too large").
 * Never NULL: unknown values give "unknown error". Thread-safe. */
WQ_API const char *wq_strerror(wq_err err);

/* The protocol code (400, 404, …) for err, or 0 if err has none.
 * WQ_EMSGSIZE gives 413; WQ_EBUSY and WQ_ESHUTDOWN give 503. Thread-safe. */
WQ_API int wq_err_code(wq_err err);

/* The wq_err for a protocol code; an unknown code gives WQ_EPROTO.
 * 503 gives WQ_EBUSY: the reply's reason token, not the code, tells busy
 * from shutting down (docs/protocol.md). Thread-safe. */
WQ_API wq_err wq_err_from_code(int code);

/* The constant's own name ("WQ_ENOTFOUND"), for logs and bindings. Never
 * NULL: unknown values give "WQ_E?". Thread-safe. */
WQ_API const char *wq_err_name(wq_err err);

/* The wq_err for an operating-system error code: an errno value on POSIX,
 * a GetLastError() value on Windows. This is the only translation of OS
 * errors in workq: every backend reports through it. It also records
 * os_code as the calling thread's last OS error (wq_os_error_last), so that
 * a log can show what the OS said behind a WQ_EIO. 0 gives WQ_OK and
 * records nothing. Never blocks; thread-safe (the record is per thread). */
WQ_API wq_err wq_err_from_os(long os_code);

/* The last OS error recorded on this thread by wq_err_from_os (that is, by
 * any workq call that failed because of the OS): its code into *code (may
 * be NULL) and the OS's own text ("Too many open files": one line, no final
 * period or line break; UTF-8 on Windows, the C library's text in the
 * current locale on POSIX) into text (may be NULL with size 0). The text
 * is always NUL-terminated within size (size 0: nothing is written); one
 * that does not fit is cut before the first character that does not fit,
 * never inside a UTF-8 sequence. Returns 1, or 0 with *code 0 and text ""
 * when none was recorded. The record stays until the next OS failure on
 * the thread, so read it right after the call that failed. Never blocks;
 * thread-safe. */
WQ_API int wq_os_error_last(long *code, char *text, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_ERRORS_H */
