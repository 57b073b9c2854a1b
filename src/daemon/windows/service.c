/* service.c (Windows) — workqd under the Service Control Manager.
 *
 * One binary, two modes (checklist WS-1): the command line the installer
 * stores is `"…\workqd.exe" --service --name NAME [options]`; with
 * --service, main hands the process to StartServiceCtrlDispatcher, and if
 * that fails with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (1063: started
 * from a console, not by the SCM) the program simply runs in the console.
 *
 * ServiceMain runs the same program as a console start (workqd.c's run
 * function) with the service-only options removed and, unless the command
 * line has --pipe-sddl, the service's pipe DACL added. Status protocol
 * (WS-2, WS-3): START_PENDING with a checkpoint per real step of starting
 * (workqd.c reports them), RUNNING accepting STOP, SHUTDOWN and
 * PRESHUTDOWN once the pipe is open, STOP_PENDING from the control handler
 * (which only sets workqd's stop event and returns), a checkpoint when
 * workqd begins draining, STOPPED exactly once with the exit status.
 * STOP_PENDING's wait hint is workqd's stop deadline (--stop-timeout)
 * plus a margin: the drain is one blocking wq_server_stop, which returns
 * within the deadline and the margin, so no further checkpoint is due.
 * Log lines go to the event log while running as a service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "service.h"

#include <sddl.h>

#define START_WAIT_HINT_MS 10000
#define EXIT_USAGE 2

wqd_set_service_status_fn wqd_service_set_status = SetServiceStatus;

/* ---- the state machine -------------------------------------------------- */

static SRWLOCK st_lock = SRWLOCK_INIT;
static SERVICE_STATUS_HANDLE st_handle;
static SERVICE_STATUS st;
static int st_active;  /* begin called */
static int st_stopped; /* STOPPED reported: nothing more, ever */
/* STOP_PENDING's wait hint: the stop's deadline and the margin after it
 * (wqd_service_stop_timeout). */
static DWORD st_stop_hint = WQ_DEFAULT_STOP_TIMEOUT_MS + WQD_SERVICE_STOP_MARGIN_MS;

static void report_locked(void)
{
    SERVICE_STATUS copy = st;
    wqd_service_set_status(st_handle, &copy);
}

void wqd_service_status_begin(SERVICE_STATUS_HANDLE h)
{
    AcquireSRWLockExclusive(&st_lock);
    st_handle = h;
    memset(&st, 0, sizeof st);
    st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    st.dwCurrentState = SERVICE_START_PENDING;
    st.dwControlsAccepted = 0; /* none while starting (WS-2) */
    st.dwCheckPoint = 1;
    st.dwWaitHint = START_WAIT_HINT_MS;
    st_active = 1;
    st_stopped = 0;
    report_locked();
    ReleaseSRWLockExclusive(&st_lock);
}

void wqd_service_progress(void)
{
    AcquireSRWLockExclusive(&st_lock);
    if (st_active && !st_stopped &&
        (st.dwCurrentState == SERVICE_START_PENDING || st.dwCurrentState == SERVICE_STOP_PENDING)) {
        st.dwCheckPoint++;
        report_locked();
    }
    ReleaseSRWLockExclusive(&st_lock);
}

void wqd_service_running(void)
{
    AcquireSRWLockExclusive(&st_lock);
    if (st_active && !st_stopped && st.dwCurrentState == SERVICE_START_PENDING) {
        st.dwCurrentState = SERVICE_RUNNING;
        st.dwControlsAccepted =
            SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN;
        st.dwCheckPoint = 0;
        st.dwWaitHint = 0;
        report_locked();
    }
    ReleaseSRWLockExclusive(&st_lock);
}

/* RUNNING → STOP_PENDING (checkpoint 1); in STOP_PENDING a further
 * checkpoint. Returns 1 if this call left RUNNING. */
static int enter_stopping(void)
{
    int left_running = 0;
    AcquireSRWLockExclusive(&st_lock);
    if (st_active && !st_stopped) {
        if (st.dwCurrentState == SERVICE_RUNNING) {
            st.dwCurrentState = SERVICE_STOP_PENDING;
            st.dwControlsAccepted = 0;
            st.dwCheckPoint = 1;
            st.dwWaitHint = st_stop_hint;
            report_locked();
            left_running = 1;
        } else if (st.dwCurrentState == SERVICE_STOP_PENDING) {
            st.dwCheckPoint++;
            report_locked();
        }
    }
    ReleaseSRWLockExclusive(&st_lock);
    return left_running;
}

void wqd_service_stopping(void)
{
    (void)enter_stopping();
}

void wqd_service_stop_timeout(uint32_t stop_timeout_ms)
{
    AcquireSRWLockExclusive(&st_lock);
    st_stop_hint = wqd_service_stop_hint(stop_timeout_ms);
    ReleaseSRWLockExclusive(&st_lock);
}

DWORD wqd_service_stop_hint(uint32_t stop_timeout_ms)
{
    uint64_t hint = (uint64_t)stop_timeout_ms + WQD_SERVICE_STOP_MARGIN_MS;
    return hint < 0xFFFFFFFFu ? (DWORD)hint : 0xFFFFFFFFu;
}

void wqd_service_status_end(int status)
{
    AcquireSRWLockExclusive(&st_lock);
    if (st_active && !st_stopped) {
        st_stopped = 1;
        st.dwCurrentState = SERVICE_STOPPED;
        st.dwControlsAccepted = 0;
        st.dwCheckPoint = 0;
        st.dwWaitHint = 0;
        if (status == 0) {
            st.dwWin32ExitCode = NO_ERROR;
            st.dwServiceSpecificExitCode = 0;
        } else {
            st.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
            st.dwServiceSpecificExitCode = (DWORD)status;
        }
        report_locked();
    }
    ReleaseSRWLockExclusive(&st_lock);
}

/* Hand the stop to workqd: the same event a tool uses to stop a console
 * workqd (daemon.c). workqd's main thread wakes, stops the server
 * gracefully and returns. */
static void request_stop(void)
{
    wchar_t name[64];
    swprintf(name, 64, L"Local\\workqd-stop-%lu", (unsigned long)GetCurrentProcessId());
    HANDLE ev = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
    if (ev != NULL) {
        SetEvent(ev);
        CloseHandle(ev);
    }
}

DWORD WINAPI wqd_service_control(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)type;
    (void)data;
    (void)ctx;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
        /* Report first: a second STOP while we still look RUNNING makes
         * Wine's services.exe kill the process. */
        if (enter_stopping()) {
            wqd_service_log(WQ_LOG_INFO, control == SERVICE_CONTROL_STOP
                                             ? "stop requested by the service control manager"
                                             : "system shutdown: stopping");
        }
        request_stop();
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

/* ---- logging ------------------------------------------------------------ */

static volatile LONG as_service; /* set once ServiceMain runs */

int wqd_service_log(wq_log_level level, const char *line)
{
    if (InterlockedCompareExchange(&as_service, 0, 0) == 0) {
        return 0;
    }
    wqd_eventlog_write(level, line);
    return 1;
}

static void log_text(wq_log_level level, const char *line)
{
    if (!wqd_service_log(level, line)) {
        fprintf(stderr, "workqd: %s\n", line);
    }
}

/* ---- the pipe's DACL ---------------------------------------------------- */

static int sid_to_text(PSID sid, char *buf, size_t size)
{
    LPWSTR w = NULL;
    if (!ConvertSidToStringSidW(sid, &w)) {
        return -1;
    }
    int ok = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)size, NULL, NULL) > 0;
    LocalFree(w);
    return ok ? 0 : -1;
}

/* The SID of an account name, as text. */
static int lookup_account(const wchar_t *account, char *buf, size_t size)
{
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    wchar_t domain[256];
    DWORD domain_size = 256;
    SID_NAME_USE use;
    if (!LookupAccountNameW(NULL, account, (PSID)sid, &sid_size, domain, &domain_size, &use)) {
        return -1;
    }
    return sid_to_text((PSID)sid, buf, size);
}

/* A client group as an SDDL trustee: an alias or SID string as given if
 * the system parses it, else the SID of the account name. */
static int group_trustee(const char *group, char *buf, size_t size)
{
    wchar_t w[256];
    if (MultiByteToWideChar(CP_ACP, 0, group, -1, w, 256) == 0 || w[0] == L'\0') {
        return -1;
    }
    PSID sid = NULL;
    if (ConvertStringSidToSidW(w, &sid)) {
        LocalFree(sid);
        if (strlen(group) >= size || strpbrk(group, "();:") != NULL) {
            return -1;
        }
        strcpy(buf, group);
        return 0;
    }
    return lookup_account(w, buf, size);
}

int wqd_service_sddl(const char *name, const char *client_group, char *buf, size_t size,
                     char *warning, size_t warning_size)
{
    warning[0] = '\0';
    char group[200];
    if (client_group == NULL) {
        client_group = "AU";
    }
    if (group_trustee(client_group, group, sizeof group) != 0) {
        snprintf(warning, warning_size, "unknown client group '%s'", client_group);
        return -1;
    }
    wq_peer me;
    (void)wq_process_identity(&me);
    const char *self = me.sid;
    char service[200];
    wchar_t account[300] = L"NT SERVICE\\";
    if (MultiByteToWideChar(CP_ACP, 0, name, -1, account + 11, 280) == 0) {
        snprintf(warning, warning_size, "bad service name");
        return -1;
    }
    if (lookup_account(account, service, sizeof service) != 0) {
        if (self[0] == '\0') {
            snprintf(warning, warning_size,
                     "cannot find the SID of NT SERVICE\\%s or of this process", name);
            return -1;
        }
        DWORD e = GetLastError();
        snprintf(warning, warning_size,
                 "cannot look up the service SID of NT SERVICE\\%s (error %lu); the pipe grants "
                 "full control to this process's user %s instead",
                 name, (unsigned long)e, self);
        strcpy(service, self);
    }
    char extra[220] = "";
    if (self[0] != '\0' && strcmp(self, service) != 0) {
        /* An account other than the virtual one (--account): its user too. */
        snprintf(extra, sizeof extra, "(A;;GA;;;%s)", self);
    }
    int n = snprintf(buf, size, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;%s)%s(A;;0x12019b;;;%s)",
                     service, extra, group);
    if (n <= 0 || (size_t)n >= size) {
        snprintf(warning, warning_size, "the pipe security descriptor is too long");
        return -1;
    }
    return 0;
}

/* A well-formed SDDL with a DACL; else -1 and the error code. */
static int check_sddl(const char *sddl, DWORD *code)
{
    int n = MultiByteToWideChar(CP_ACP, 0, sddl, -1, NULL, 0);
    if (n <= 0) {
        *code = GetLastError();
        return -1;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        *code = ERROR_NOT_ENOUGH_MEMORY;
        return -1;
    }
    MultiByteToWideChar(CP_ACP, 0, sddl, -1, w, n);
    PSECURITY_DESCRIPTOR sd = NULL;
    BOOL ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, &sd, NULL);
    *code = ok ? ERROR_SUCCESS : GetLastError();
    free(w);
    if (!ok) {
        return -1;
    }
    BOOL present = FALSE;
    BOOL defaulted = FALSE;
    PACL dacl = NULL;
    ok = GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) && present && dacl != NULL;
    LocalFree(sd);
    if (!ok) {
        *code = ERROR_INVALID_SECURITY_DESCR;
        return -1;
    }
    return 0;
}

/* ---- ServiceMain -------------------------------------------------------- */

static wqd_service_run_fn svc_run;
static void *svc_ctx;
static char svc_name[257] = WQD_SERVICE_DEFAULT_NAME;
static wchar_t svc_wname[257];
static const char *svc_group; /* --client-group, or NULL */
static const char *svc_sddl;  /* --pipe-sddl, or NULL */
static int svc_argc;          /* the program's arguments */
static char **svc_argv;       /* room for two more: --pipe-sddl X */
static char svc_default_sddl[1024];
static int svc_status = 1;

/* exit() on the service thread (workqd's bad-option path exits with 2):
 * the SCM still gets STOPPED, with an exit code, not a vanished process. */
static void exit_during_service(void)
{
    if (wqd_eventlog_is_open()) {
        /* Still starting: workqd's usage message went to a stderr no one
         * reads. */
        wqd_eventlog_write(WQ_LOG_ERROR, "workqd exited while starting: bad options in the "
                                         "service's command line? Run it with them in a console "
                                         "to see the message");
        wqd_eventlog_close();
    }
    wqd_service_status_end(EXIT_USAGE);
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv)
{
    (void)argc;
    (void)argv;
    SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(svc_wname, wqd_service_control, NULL);
    if (h == NULL) {
        return; /* nothing to report to */
    }
    wqd_eventlog_open(svc_name);
    InterlockedExchange(&as_service, 1);
    wqd_service_status_begin(h);
    atexit(exit_during_service);

    if (svc_sddl != NULL) {
        DWORD code = 0;
        if (check_sddl(svc_sddl, &code) != 0) {
            char line[1024];
            snprintf(line, sizeof line,
                     "--pipe-sddl '%s' is not a well-formed security descriptor with a DACL "
                     "(error %lu); not starting",
                     svc_sddl, (unsigned long)code);
            log_text(WQ_LOG_ERROR, line);
            svc_status = EXIT_USAGE;
            wqd_eventlog_close();
            wqd_service_status_end(svc_status);
            return;
        }
    } else {
        char warning[512];
        if (wqd_service_sddl(svc_name, svc_group, svc_default_sddl, sizeof svc_default_sddl,
                             warning, sizeof warning) != 0) {
            char line[600];
            snprintf(line, sizeof line, "%s; not starting", warning);
            log_text(WQ_LOG_ERROR, line);
            svc_status = EXIT_USAGE;
            wqd_eventlog_close();
            wqd_service_status_end(svc_status);
            return;
        }
        if (warning[0] != '\0') {
            log_text(WQ_LOG_WARN, warning);
        }
        svc_argv[svc_argc++] = "--pipe-sddl";
        svc_argv[svc_argc++] = svc_default_sddl;
        svc_argv[svc_argc] = NULL;
    }
    wqd_service_progress();

    svc_status = svc_run(svc_argc, svc_argv, svc_ctx);
    wqd_eventlog_close();
    wqd_service_status_end(svc_status);
    /* No work after STOPPED (WS-2): return to the dispatcher. */
}

int wqd_service_main(int argc, char **argv, wqd_service_run_fn run, void *ctx)
{
    if (argc >= 2 && wqd_service_is_command(argv[1])) {
        return wqd_service_command(argc - 1, argv + 1);
    }
    int service = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--service") == 0) {
            service = 1;
        }
    }
    if (!service) {
        return -1;
    }
    /* The program's arguments without --service, --name, --client-group;
     * two more slots for a default --pipe-sddl. */
    svc_argv = calloc((size_t)argc + 3, sizeof *svc_argv);
    if (svc_argv == NULL) {
        fprintf(stderr, "workqd: out of memory\n");
        return 1;
    }
    svc_argv[svc_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--service") == 0) {
            continue;
        }
        if (strcmp(argv[i], "--name") == 0 || strcmp(argv[i], "--client-group") == 0) {
            if (v == NULL) {
                fprintf(stderr, "workqd: %s needs a value\n", argv[i]);
                return EXIT_USAGE;
            }
            if (argv[i][2] == 'n') {
                if (strlen(v) >= sizeof svc_name) {
                    fprintf(stderr, "workqd: service name too long\n");
                    return EXIT_USAGE;
                }
                strcpy(svc_name, v);
            } else {
                svc_group = v;
            }
            i++;
            continue;
        }
        if (strcmp(argv[i], "--pipe-sddl") == 0 && v != NULL) {
            svc_sddl = v;
        }
        svc_argv[svc_argc++] = argv[i];
    }
    svc_argv[svc_argc] = NULL;
    svc_run = run;
    svc_ctx = ctx;
    MultiByteToWideChar(CP_ACP, 0, svc_name, -1, svc_wname, 257);

    SERVICE_TABLE_ENTRYW table[2];
    table[0].lpServiceName = svc_wname;
    table[0].lpServiceProc = service_main;
    table[1].lpServiceName = NULL;
    table[1].lpServiceProc = NULL;
    if (StartServiceCtrlDispatcherW(table)) {
        return svc_status; /* ServiceMain has returned */
    }
    DWORD e = GetLastError();
    if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
        /* Not started by the SCM (WS-1): run in the console as usual. */
        fprintf(stderr, "workqd: --service given but not started by the service control "
                        "manager; running in the console\n");
        return run(svc_argc, svc_argv, ctx);
    }
    fprintf(stderr, "workqd: StartServiceCtrlDispatcher failed (error %lu)\n", (unsigned long)e);
    return 1;
}
