/* daemon.h — what workqd needs from the operating system (internal).
 *
 * Implemented in src/daemon/posix/daemon.c and src/daemon/windows/daemon.c.
 * workqd.c, the portable program, uses only these.
 */
#ifndef WQD_DAEMON_H
#define WQD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include <workq/server.h>

/* Prepare stop signals before any thread starts: POSIX blocks SIGINT and
 * SIGTERM in every thread (so wqd_wait_for_stop can take them
 * synchronously) and ignores SIGPIPE; Windows installs the console handler
 * and creates the stop event Local\workqd-stop-<pid>. Call once, first
 * thing in main. */
void wqd_init_signals(void);

/* Set the process heap's policy for a long-running server, before any
 * thread starts. glibc: one arena, large blocks from the heap rather than
 * fresh mmaps, and up to WQD_HEAP_RETAIN bytes of freed memory kept for
 * reuse instead of going back to the OS at every free. Why: a queue that
 * fills with large items, drains and fills again would otherwise fault in
 * fresh zeroed pages for every item (measured in bench/: ~0.5 ms per MiB
 * on a 2-core VM, more than the transfer itself). What is kept is handed
 * back by wqd_wait_for_stop once it has stayed unused for 10-20 s.
 * Elsewhere (Windows' heap decommits by itself): nothing. */
#define WQD_HEAP_RETAIN (256u * 1024u * 1024u)
void wqd_init_heap(void);

/* Descriptors workqd needs besides one per connection: standard streams,
 * the listener and its wake-up pipe, the lock and pid files, the server's
 * spare descriptor, the connection being told busy, systemd's notify
 * socket, with room to spare. */
#define WQD_FD_HEADROOM 64u

/* Make the process's descriptor limit (POSIX: the soft RLIMIT_NOFILE)
 * at least `needed`, raising it as far as the hard limit allows; never
 * lowers it. *before and *after receive the soft limit before and after,
 * *hard the hard limit (UINT64_MAX for unlimited). Returns WQ_OK when
 * the limit is now at least needed, WQ_EMFILE when the hard limit stopped
 * it short (*after is then the hard limit), or the error of setrlimit
 * (the limit is then unchanged). Windows has no such limit: WQ_OK with
 * all three set to needed. Call before any thread starts. */
wq_err wqd_fd_limit_raise(uint64_t needed, uint64_t *before, uint64_t *after, uint64_t *hard);

/* Block until the operator asks to stop: SIGINT or SIGTERM on POSIX;
 * Ctrl-C, Ctrl-Break, closing the console or the stop event on Windows.
 * Returns the name of what stopped us ("SIGTERM", "Ctrl-C", …) for the
 * log. POSIX: meanwhile, every WQD_HEAP_CHECK_MS, returns to the OS the
 * retained heap that has stayed free since the previous check. */
#define WQD_HEAP_CHECK_MS 10000
const char *wqd_wait_for_stop(wq_server *s);

/* A pid file: created and locked by wqd_pidfile_open, holding our process
 * id once wqd_pidfile_write is called, removed by wqd_pidfile_close.
 * POSIX uses libbsd's pidfile_* functions. */
typedef struct wqd_pidfile wqd_pidfile;

/* Errors: WQ_EADDRINUSE (another running process holds it; *other_pid
 * receives its pid if known, else 0), WQ_EACCES, WQ_ENOENT, WQ_EIO. */
wq_err wqd_pidfile_open(const char *path, wqd_pidfile **out, unsigned long *other_pid);
wq_err wqd_pidfile_write(wqd_pidfile *p);
/* Remove the file and free p (NULL is fine). */
void wqd_pidfile_close(wqd_pidfile *p);

/* ---- service managers (systemd on POSIX; no-ops on Windows) ------------
 * Implemented in src/daemon/posix/systemd.c and src/daemon/windows/daemon.c. */

/* Send state to the service manager, if one asked for it: on POSIX a
 * datagram to $NOTIFY_SOCKET (a path, or "@name" for the abstract
 * namespace) in the sd_notify(3) format, newline-separated assignments
 * such as "READY=1\nSTATUS=serving". Nothing to do (WQ_OK) when
 * $NOTIFY_SOCKET is unset, and on Windows. Errors (the caller logs them;
 * they are never fatal): WQ_EINVAL (unusable address), WQ_ENAMETOOLONG,
 * WQ_EIO and the like from the socket calls. Does not block. */
wq_err wqd_notify(const char *state);

/* A listening socket handed over by the service manager (systemd socket
 * activation, sd_listen_fds(3)): taken when $LISTEN_PID is our pid and
 * $LISTEN_FDS is 1 (descriptor 3). The LISTEN_* variables are removed from
 * the environment in every case, so children never see them. On success
 * *out is the listener (owned by the caller; it never unlinks the socket
 * file) and name (size bytes) its address for the log. WQ_ENOENT: nothing
 * was handed over (always on Windows). WQ_EINVAL: the variables are
 * malformed, more than one descriptor was passed (workqd serves exactly
 * one endpoint) or descriptor 3 is not a listening Unix stream socket.
 * WQ_ENOMEM, WQ_EIO. Call once, before any thread starts. */
wq_err wqd_inherited_listener(wq_listener **out, char *name, size_t size);

/* The group id for a group name or a decimal gid, for --socket-group.
 * Errors: WQ_ENOENT (no such group), WQ_EINVAL (empty, or Windows, which
 * has no such thing), WQ_ENOMEM, WQ_EIO. */
wq_err wqd_group_id(const char *name, uint32_t *gid);

/* This process's id, for log lines. */
unsigned long wqd_pid(void);

/* The current wall-clock time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC), for
 * log lines. buf must hold at least 25 bytes. */
void wqd_timestamp(char *buf, size_t size);

/* Running under a service manager (Windows: the Service Control Manager;
 * implemented in src/daemon/windows/service.c, no-ops in
 * src/daemon/posix/daemon.c).
 *
 * wqd_service_main: call first thing in main. If argv is a service
 * subcommand (Windows: install, uninstall, start, stop, status) or asks to
 * run under the SCM (--service), handles it — calling run(argc', argv',
 * ctx) on the service thread with the service-only options removed — and
 * returns the process exit status. Returns -1 when argv is none of these:
 * main then runs the program as usual. */
typedef int (*wqd_service_run_fn)(int argc, char **argv, void *ctx);
int wqd_service_main(int argc, char **argv, wqd_service_run_fn run, void *ctx);

/* Progress reports from the program while it runs under the SCM (no-ops
 * otherwise): a real step of starting done (START_PENDING checkpoint),
 * serving (RUNNING), stopping (a STOP_PENDING checkpoint). */
void wqd_service_progress(void);
void wqd_service_running(void);
void wqd_service_stopping(void);

/* The stop's deadline (wq_server_config.stop_timeout_ms), so that the
 * STOP_PENDING reports' wait hint covers it (Windows; a no-op elsewhere).
 * Call once the options are parsed, before RUNNING is reported (no stop
 * control can arrive before). Thread-safe. */
void wqd_service_stop_timeout(uint32_t stop_timeout_ms);

/* Under the SCM: write a log line to the Windows event log and return 1.
 * Otherwise return 0 (the caller writes to stderr). Thread-safe. */
int wqd_service_log(wq_log_level level, const char *line);

#endif /* WQD_DAEMON_H */
