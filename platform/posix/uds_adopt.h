/* uds_adopt.h (POSIX) — serve a listening socket someone else opened
 * (internal; for workqd's systemd socket activation).
 */
#ifndef WQI_UDS_ADOPT_H
#define WQI_UDS_ADOPT_H

#include <stddef.h>

#include <workq/transport.h>

/* Wrap fd, an already bound and listening Unix-domain stream socket, as a
 * listener of the native backend. Checked: a socket (fstat), SOCK_STREAM
 * (SO_TYPE), AF_UNIX (getsockname), listening (SO_ACCEPTCONN where the OS
 * has it); anything else is WQ_EINVAL. fd is made non-blocking and
 * close-on-exec. On success the listener owns fd (wq_listener_close closes
 * it) but not the socket file or any lock file: closing never unlinks
 * them, and shutting it down does not shutdown(2) the socket, which its
 * creator may still hold and hand on. On failure fd stays the caller's.
 * Errors: WQ_EINVAL, WQ_ENOMEM, WQ_EIO. */
wq_err wqi_uds_listener_adopt(int fd, wq_listener **out);

/* The address fd is bound to, for messages: the socket path, "@name" for
 * Linux's abstract namespace, or "(unnamed socket)". Errors: WQ_EINVAL
 * (size 0), WQ_ENAMETOOLONG (does not fit; buf holds a truncated name),
 * WQ_EIO and the like from getsockname. */
wq_err wqi_uds_socket_name(int fd, char *buf, size_t size);

#endif /* WQI_UDS_ADOPT_H */
