/* service.h (Windows, internal) — workqd as a Windows service: the status
 * state machine and control handler (service.c), the event log sink
 * (eventlog.c) and the SCM subcommands (service_install.c).
 *
 * The OS calls that tests need to observe go through function pointers
 * (seams): SetServiceStatus and ReportEventW. Tests replace them; nothing
 * else does.
 */
#ifndef WQD_SERVICE_H
#define WQD_SERVICE_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <workq/server.h>

#define WQD_SERVICE_DEFAULT_NAME "WorkQueueService"

/* ---- status state machine (service.c) ----------------------------------
 * START_PENDING (checkpoint 1, 2, … on real progress, no controls
 * accepted) → RUNNING (STOP | SHUTDOWN | PRESHUTDOWN) → STOP_PENDING
 * (checkpoints) → STOPPED, reported exactly once. Thread-safe: the control
 * handler runs on the dispatcher's thread, the rest on the service thread. */

typedef BOOL(WINAPI *wqd_set_service_status_fn)(SERVICE_STATUS_HANDLE h, LPSERVICE_STATUS st);
/* The seam: SetServiceStatus unless a test replaced it. */
extern wqd_set_service_status_fn wqd_service_set_status;

/* STOP_PENDING's wait hint is the stop's deadline (workqd --stop-timeout,
 * wq_server_config.stop_timeout_ms) plus this margin, which covers what
 * the stop does besides waiting: joining the accept thread, cutting the
 * connections still busy and joining their threads, closing the pipe. */
#define WQD_SERVICE_STOP_MARGIN_MS 5000u
/* The wait hint for a stop deadline of stop_timeout_ms (saturating). */
DWORD wqd_service_stop_hint(uint32_t stop_timeout_ms);

/* Enter START_PENDING (checkpoint 1) for handle h. */
void wqd_service_status_begin(SERVICE_STATUS_HANDLE h);
/* Enter STOPPED with the program's exit status: 0 → NO_ERROR, otherwise
 * ERROR_SERVICE_SPECIFIC_ERROR with dwServiceSpecificExitCode = status.
 * Only the first call reports; later ones do nothing. */
void wqd_service_status_end(int status);
/* The HandlerEx registered with the SCM. STOP, SHUTDOWN and PRESHUTDOWN
 * report STOP_PENDING and set the stop event Local\workqd-stop-<pid> that
 * workqd waits on (daemon.c), then return at once; INTERROGATE returns
 * NO_ERROR; anything else ERROR_CALL_NOT_IMPLEMENTED. */
DWORD WINAPI wqd_service_control(DWORD control, DWORD type, LPVOID data, LPVOID ctx);

/* The pipe security descriptor of service `name` (UTF-8):
 * D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;<service SID>)[(A;;GA;;;<process
 * user>)](A;;0x12019b;;;<client group>). The service SID is that of
 * "NT SERVICE\<name>"; if it cannot be looked up (Wine), the process
 * user's SID, and *warning says so. client_group: a SID string, an SDDL
 * alias (AU, BU, …) or an account name; NULL is AU. Returns 0, or -1 with
 * a message in *warning (unknown group, no room). */
int wqd_service_sddl(const char *name, const char *client_group, char *buf, size_t size,
                     char *warning, size_t warning_size);

/* ---- event log (eventlog.c) -------------------------------------------- */

typedef BOOL(WINAPI *wqd_report_event_fn)(HANDLE log, WORD type, WORD category, DWORD id, PSID user,
                                          WORD nstrings, DWORD data_size, LPCWSTR *strings,
                                          LPVOID data);
/* The seam: ReportEventW unless a test replaced it. */
extern wqd_report_event_fn wqd_eventlog_report;

/* Register event source `source` (UTF-8); after this, wqd_eventlog_write
 * reports through the seam. */
void wqd_eventlog_open(const char *source);
/* Nonzero between wqd_eventlog_open and wqd_eventlog_close. */
int wqd_eventlog_is_open(void);
/* One line: ERROR → EVENTLOG_ERROR_TYPE, WARN → WARNING, else
 * INFORMATION; event id 1000 + level. Thread-safe. Nothing if not open. */
void wqd_eventlog_write(wq_log_level level, const char *line);
void wqd_eventlog_close(void);

/* ---- SCM subcommands (service_install.c) -------------------------------- */

/* Nonzero if s is install, uninstall, start, stop or status. */
int wqd_service_is_command(const char *s);
/* Run subcommand argv[0] with its options argv[1..argc). Returns the exit
 * status: 0 done, 1 failed, 2 bad options, 3 (status) not running. */
int wqd_service_command(int argc, char **argv);

#endif /* WQD_SERVICE_H */
