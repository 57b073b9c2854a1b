/* daemon.h — what workqd needs from the operating system (internal).
 *
 * Implemented in platform/posix/daemon.c and platform/windows/daemon.c.
 * workqd.c, the portable program, uses only these.
 */
#ifndef WQI_DAEMON_H
#define WQI_DAEMON_H

#include <stddef.h>

#include <workq/server.h>

/* Prepare stop signals before any thread starts: POSIX blocks SIGINT and
 * SIGTERM in every thread (so wqi_daemon_wait_for_stop can take them
 * synchronously) and ignores SIGPIPE; Windows installs the console handler
 * and creates the stop event Local\workqd-stop-<pid>. Call once, first
 * thing in main. */
void wqi_daemon_init_signals(void);

/* Block until the operator asks to stop: SIGINT or SIGTERM on POSIX;
 * Ctrl-C, Ctrl-Break, closing the console or the stop event on Windows.
 * Returns the name of what stopped us ("SIGTERM", "Ctrl-C", …) for the
 * log. */
const char *wqi_daemon_wait_for_stop(wq_server *s);

/* A pid file: created and locked by wqi_pidfile_open, holding our process
 * id once wqi_pidfile_write is called, removed by wqi_pidfile_close.
 * POSIX uses libbsd's pidfile_* functions. */
typedef struct wqi_pidfile wqi_pidfile;

/* Errors: WQ_EADDRINUSE (another running process holds it; *other_pid
 * receives its pid if known, else 0), WQ_EACCES, WQ_ENOENT, WQ_EIO. */
wq_err wqi_pidfile_open(const char *path, wqi_pidfile **out, unsigned long *other_pid);
wq_err wqi_pidfile_write(wqi_pidfile *p);
/* Remove the file and free p (NULL is fine). */
void wqi_pidfile_close(wqi_pidfile *p);

/* The current wall-clock time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC), for
 * log lines. buf must hold at least 25 bytes. */
void wqi_daemon_timestamp(char *buf, size_t size);

#endif /* WQI_DAEMON_H */
