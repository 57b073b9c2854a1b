/* service_install.c (Windows) — `workqd install|uninstall|start|stop|status`
 * through the Service Control Manager API (checklist WS-4, WS-6).
 *
 * install registers an own-process service whose command line is
 *   "C:\path\workqd.exe" --service --name NAME [--client-group G] [options]
 * (binary path quoted), running as the virtual account NT SERVICE\NAME
 * unless --account says otherwise, demand-start unless --auto. The
 * description, restart-on-failure actions, an unrestricted service SID and
 * a preshutdown timeout are optional: a system that refuses one (Wine
 * refuses the SID type, ignores failure actions) gets a warning, not a
 * failed install. uninstall stops the service first and polls until it is
 * STOPPED, then deletes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "service.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_NOT_RUNNING 3

#define POLL_LIMIT_MS 30000
#define POLL_STEP_MS 100
#define PRESHUTDOWN_MIN_MS 15000

static const char *const commands[] = {"install", "uninstall", "start", "stop", "status"};

int wqd_service_is_command(const char *s)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(s, commands[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void win_error(const char *what, const char *name, DWORD e)
{
    wchar_t wmsg[512];
    char msg[1024] = "";
    if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, wmsg,
                       512, NULL) > 0) {
        WideCharToMultiByte(CP_UTF8, 0, wmsg, -1, msg, sizeof msg, NULL, NULL);
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == ' ')) {
            msg[--n] = '\0';
        }
    }
    fprintf(stderr, "workqd: %s %s: error %lu%s%s\n", what, name, (unsigned long)e,
            msg[0] ? ": " : "", msg);
}

/* A growing UTF-16 buffer for the command line. */
struct wbuf {
    wchar_t *p;
    size_t len;
    size_t cap;
    int failed;
};

static void wb_add(struct wbuf *b, const wchar_t *s, size_t n)
{
    if (b->failed) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        wchar_t *p = realloc(b->p, cap * sizeof *p);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n * sizeof *s);
    b->len += n;
    b->p[b->len] = L'\0';
}

static void wb_ch(struct wbuf *b, wchar_t c)
{
    wb_add(b, &c, 1);
}

/* One argument, quoted so that the C runtime's parsing (the rules of
 * CommandLineToArgvW) gives it back unchanged. */
static void wb_arg(struct wbuf *b, const char *arg)
{
    int n = MultiByteToWideChar(CP_ACP, 0, arg, -1, NULL, 0);
    if (n <= 0) {
        b->failed = 1;
        return;
    }
    wchar_t *w = malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        b->failed = 1;
        return;
    }
    MultiByteToWideChar(CP_ACP, 0, arg, -1, w, n);
    wb_ch(b, L' ');
    if (w[0] != L'\0' && wcspbrk(w, L" \t\n\v\"") == NULL) {
        wb_add(b, w, wcslen(w));
        free(w);
        return;
    }
    wb_ch(b, L'"');
    for (const wchar_t *p = w;; p++) {
        size_t slashes = 0;
        while (*p == L'\\') {
            slashes++;
            p++;
        }
        if (*p == L'\0') {
            for (size_t i = 0; i < slashes * 2; i++) {
                wb_ch(b, L'\\');
            }
            break;
        }
        if (*p == L'"') {
            for (size_t i = 0; i < slashes * 2 + 1; i++) {
                wb_ch(b, L'\\');
            }
        } else {
            for (size_t i = 0; i < slashes; i++) {
                wb_ch(b, L'\\');
            }
        }
        wb_ch(b, *p);
    }
    wb_ch(b, L'"');
    free(w);
}

struct cmd {
    const char *verb;
    char name[257];
    wchar_t wname[257];
    int autostart;
    const char *account;
    const char *group;
    int npass; /* workqd options for the service's command line */
    char **pass;
};

static int usage(const char *verb, const char *what, const char *arg)
{
    fprintf(stderr, "workqd %s: %s%s\ntry 'workqd --help'\n", verb, what, arg);
    return EXIT_USAGE;
}

static int parse(int argc, char **argv, struct cmd *c)
{
    memset(c, 0, sizeof *c);
    c->verb = argv[0];
    strcpy(c->name, WQD_SERVICE_DEFAULT_NAME);
    int install = strcmp(c->verb, "install") == 0;
    c->pass = calloc((size_t)argc + 1, sizeof *c->pass);
    if (c->pass == NULL) {
        fprintf(stderr, "workqd: out of memory\n");
        return EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--auto") == 0 && install) {
            c->autostart = 1;
            continue;
        }
        if (strcmp(a, "--name") == 0 ||
            (install && (strcmp(a, "--account") == 0 || strcmp(a, "--client-group") == 0))) {
            if (v == NULL || v[0] == '\0') {
                return usage(c->verb, "a value is needed for ", a);
            }
            if (a[2] == 'n') {
                if (strlen(v) > 256 || strpbrk(v, "/\\\"") != NULL) {
                    return usage(c->verb,
                                 "bad service name (at most 256 characters, no / \\ \"): ", v);
                }
                strcpy(c->name, v);
            } else if (a[2] == 'a') {
                c->account = v;
            } else {
                c->group = v;
            }
            i++;
            continue;
        }
        if (!install) {
            return usage(c->verb, "unknown option: ", a);
        }
        if (strcmp(a, "--service") == 0) {
            return usage(c->verb, "not an install option: ", a);
        }
        /* Everything else is for workqd itself, checked when it starts. */
        c->pass[c->npass++] = argv[i];
    }
    MultiByteToWideChar(CP_ACP, 0, c->name, -1, c->wname, 257);
    return EXIT_OK;
}

static SC_HANDLE open_scm(DWORD access)
{
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, access);
    if (scm == NULL) {
        win_error("cannot open the service control manager for", "", GetLastError());
    }
    return scm;
}

static int query(SC_HANDLE svc, SERVICE_STATUS_PROCESS *sp)
{
    DWORD needed = 0;
    return QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)sp, sizeof *sp, &needed) ? 0
                                                                                              : -1;
}

/* Poll (bounded) until the state is neither of the pending ones given:
 * for POLL_LIMIT_MS, or longer while the service's own wait hint (its
 * stop deadline and margin) says it needs more. */
static int wait_while(SC_HANDLE svc, DWORD pending1, DWORD pending2, SERVICE_STATUS_PROCESS *sp)
{
    for (DWORD waited = 0;; waited += POLL_STEP_MS) {
        if (query(svc, sp) != 0) {
            return -1;
        }
        if (sp->dwCurrentState != pending1 && sp->dwCurrentState != pending2) {
            return 0;
        }
        if (waited >= POLL_LIMIT_MS && waited >= sp->dwWaitHint) {
            return -1;
        }
        Sleep(POLL_STEP_MS);
    }
}

static void print_exit(const struct cmd *c, const SERVICE_STATUS_PROCESS *sp)
{
    if (sp->dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR) {
        fprintf(stderr, "workqd: service %s stopped with exit status %lu (see the event log)\n",
                c->name, (unsigned long)sp->dwServiceSpecificExitCode);
    } else if (sp->dwWin32ExitCode != NO_ERROR) {
        win_error("service stopped with an error:", c->name, sp->dwWin32ExitCode);
    }
}

/* How long the SCM waits for us at system shutdown: 15 s, or longer when
 * the service's stop deadline (--stop-timeout among workqd's options) and
 * its margin need more. A malformed value is workqd's to refuse at start;
 * here it counts as the default. */
static DWORD preshutdown_ms(const struct cmd *c)
{
    uint64_t stop = WQ_DEFAULT_STOP_TIMEOUT_MS;
    for (int i = 0; i + 1 < c->npass; i++) {
        if (strcmp(c->pass[i], "--stop-timeout") == 0 &&
            !wqi_decimal_parse_str(c->pass[i + 1], 0x7FFFFFFFu, &stop)) {
            stop = WQ_DEFAULT_STOP_TIMEOUT_MS;
        }
    }
    DWORD hint = wqd_service_stop_hint((uint32_t)stop);
    return hint > PRESHUTDOWN_MIN_MS ? hint : PRESHUTDOWN_MIN_MS;
}

static void optional(BOOL ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "workqd: warning: could not set the %s (error %lu); continuing\n", what,
                (unsigned long)GetLastError());
    }
}

static int do_install(struct cmd *c)
{
    wchar_t exe[MAX_PATH + 1];
    DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH + 1);
    if (n == 0 || n > MAX_PATH) {
        win_error("cannot find its own path to install", c->name, GetLastError());
        return EXIT_FAIL;
    }
    struct wbuf cmdline = {NULL, 0, 0, 0};
    wb_ch(&cmdline, L'"'); /* quoted: a path with spaces is not a hijack */
    wb_add(&cmdline, exe, wcslen(exe));
    wb_ch(&cmdline, L'"');
    wb_arg(&cmdline, "--service");
    wb_arg(&cmdline, "--name");
    wb_arg(&cmdline, c->name);
    if (c->group != NULL) {
        wb_arg(&cmdline, "--client-group");
        wb_arg(&cmdline, c->group);
    }
    for (int i = 0; i < c->npass; i++) {
        wb_arg(&cmdline, c->pass[i]);
    }
    wchar_t account[300];
    if (c->account != NULL) {
        MultiByteToWideChar(CP_ACP, 0, c->account, -1, account, 300);
    } else {
        wcscpy(account, L"NT SERVICE\\");
        wcscat(account, c->wname);
    }
    wchar_t display[300];
    if (strcmp(c->name, WQD_SERVICE_DEFAULT_NAME) == 0) {
        wcscpy(display, L"Work Queue Service");
    } else {
        swprintf(display, 300, L"Work Queue Service (%ls)", c->wname);
    }
    if (cmdline.failed) {
        free(cmdline.p);
        fprintf(stderr, "workqd: out of memory\n");
        return EXIT_FAIL;
    }

    SC_HANDLE scm = open_scm(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
    if (scm == NULL) {
        free(cmdline.p);
        return EXIT_FAIL;
    }
    SC_HANDLE svc = CreateServiceW(
        scm, c->wname, display, SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS,
        SERVICE_WIN32_OWN_PROCESS, c->autostart ? SERVICE_AUTO_START : SERVICE_DEMAND_START,
        SERVICE_ERROR_NORMAL, cmdline.p, NULL, NULL, NULL, account, NULL);
    if (svc == NULL) {
        DWORD e = GetLastError();
        win_error("cannot install service", c->name, e);
        if (e == ERROR_SERVICE_EXISTS) {
            fprintf(stderr, "workqd: uninstall it first: workqd uninstall --name %s\n", c->name);
        }
        CloseServiceHandle(scm);
        free(cmdline.p);
        return EXIT_FAIL;
    }

    SERVICE_DESCRIPTIONW desc;
    desc.lpDescription = L"workq local work-queue service: named queues of work items for "
                         L"local clients over a named pipe.";
    optional(ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc), "description");

    SC_ACTION actions[3];
    actions[0].Type = SC_ACTION_RESTART;
    actions[0].Delay = 5000;
    actions[1].Type = SC_ACTION_RESTART;
    actions[1].Delay = 30000;
    actions[2].Type = SC_ACTION_NONE;
    actions[2].Delay = 0;
    SERVICE_FAILURE_ACTIONSW fa;
    memset(&fa, 0, sizeof fa);
    fa.dwResetPeriod = 86400; /* a day without failures resets the count */
    fa.cActions = 3;
    fa.lpsaActions = actions;
    optional(ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa),
             "restart-on-failure actions");

    SERVICE_SID_INFO sid;
    sid.dwServiceSidType = SERVICE_SID_TYPE_UNRESTRICTED;
    optional(ChangeServiceConfig2W(svc, SERVICE_CONFIG_SERVICE_SID_INFO, &sid), "service SID type");

    SERVICE_PRESHUTDOWN_INFO pre;
    pre.dwPreshutdownTimeout = preshutdown_ms(c);
    optional(ChangeServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre),
             "preshutdown timeout");

    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    printf("installed service %s (%s start, account %s)\n", c->name,
           c->autostart ? "automatic" : "demand", c->account ? c->account : "NT SERVICE\\<name>");
    free(cmdline.p);
    return EXIT_OK;
}

static SC_HANDLE open_service(const struct cmd *c, SC_HANDLE *scm, DWORD access)
{
    *scm = open_scm(SC_MANAGER_CONNECT);
    if (*scm == NULL) {
        return NULL;
    }
    SC_HANDLE svc = OpenServiceW(*scm, c->wname, access);
    if (svc == NULL) {
        win_error("cannot open service", c->name, GetLastError());
        CloseServiceHandle(*scm);
        *scm = NULL;
    }
    return svc;
}

/* Ask to stop unless stopped; poll until STOPPED. */
static int stop_and_wait(const struct cmd *c, SC_HANDLE svc, SERVICE_STATUS_PROCESS *sp)
{
    if (query(svc, sp) != 0) {
        win_error("cannot query service", c->name, GetLastError());
        return -1;
    }
    if (sp->dwCurrentState == SERVICE_STOPPED) {
        return 0;
    }
    if (sp->dwCurrentState == SERVICE_START_PENDING) {
        /* Controls are not accepted while starting: let it get somewhere. */
        wait_while(svc, SERVICE_START_PENDING, SERVICE_START_PENDING, sp);
    }
    if (sp->dwCurrentState != SERVICE_STOPPED && sp->dwCurrentState != SERVICE_STOP_PENDING) {
        SERVICE_STATUS ss;
        if (!ControlService(svc, SERVICE_CONTROL_STOP, &ss) &&
            GetLastError() != ERROR_SERVICE_NOT_ACTIVE) {
            win_error("cannot stop service", c->name, GetLastError());
            return -1;
        }
    }
    if (wait_while(svc, SERVICE_STOP_PENDING, SERVICE_RUNNING, sp) != 0 ||
        sp->dwCurrentState != SERVICE_STOPPED) {
        fprintf(stderr, "workqd: service %s did not stop within %d s\n", c->name,
                POLL_LIMIT_MS / 1000);
        return -1;
    }
    return 0;
}

static int do_uninstall(const struct cmd *c)
{
    SC_HANDLE scm;
    SC_HANDLE svc = open_service(c, &scm, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
    if (svc == NULL) {
        return EXIT_FAIL;
    }
    SERVICE_STATUS_PROCESS sp;
    if (stop_and_wait(c, svc, &sp) != 0) {
        fprintf(stderr, "workqd: deleting service %s anyway: it goes once it stops\n", c->name);
    }
    int status = EXIT_OK;
    if (!DeleteService(svc) && GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE) {
        win_error("cannot delete service", c->name, GetLastError());
        status = EXIT_FAIL;
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    if (status == EXIT_OK) {
        printf("uninstalled service %s\n", c->name);
    }
    return status;
}

static int do_start(const struct cmd *c)
{
    SC_HANDLE scm;
    SC_HANDLE svc = open_service(c, &scm, SERVICE_START | SERVICE_QUERY_STATUS);
    if (svc == NULL) {
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    SERVICE_STATUS_PROCESS sp;
    if (!StartServiceW(svc, 0, NULL)) {
        win_error("cannot start service", c->name, GetLastError());
    } else if (wait_while(svc, SERVICE_START_PENDING, SERVICE_START_PENDING, &sp) != 0) {
        fprintf(stderr, "workqd: service %s is still starting after %d s\n", c->name,
                POLL_LIMIT_MS / 1000);
    } else if (sp.dwCurrentState == SERVICE_RUNNING) {
        printf("service %s is running (pid %lu)\n", c->name, (unsigned long)sp.dwProcessId);
        status = EXIT_OK;
    } else {
        print_exit(c, &sp);
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return status;
}

static int do_stop(const struct cmd *c)
{
    SC_HANDLE scm;
    SC_HANDLE svc = open_service(c, &scm, SERVICE_STOP | SERVICE_QUERY_STATUS);
    if (svc == NULL) {
        return EXIT_FAIL;
    }
    SERVICE_STATUS_PROCESS sp;
    int status = stop_and_wait(c, svc, &sp) == 0 ? EXIT_OK : EXIT_FAIL;
    if (status == EXIT_OK) {
        printf("service %s is stopped\n", c->name);
        print_exit(c, &sp);
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return status;
}

static const char *state_name(DWORD s)
{
    switch (s) {
    case SERVICE_STOPPED:
        return "STOPPED";
    case SERVICE_START_PENDING:
        return "START_PENDING";
    case SERVICE_STOP_PENDING:
        return "STOP_PENDING";
    case SERVICE_RUNNING:
        return "RUNNING";
    case SERVICE_CONTINUE_PENDING:
        return "CONTINUE_PENDING";
    case SERVICE_PAUSE_PENDING:
        return "PAUSE_PENDING";
    case SERVICE_PAUSED:
        return "PAUSED";
    default:
        return "UNKNOWN";
    }
}

static int do_status(const struct cmd *c)
{
    SC_HANDLE scm;
    SC_HANDLE svc = open_service(c, &scm, SERVICE_QUERY_STATUS);
    if (svc == NULL) {
        return EXIT_FAIL;
    }
    SERVICE_STATUS_PROCESS sp;
    int status = EXIT_FAIL;
    if (query(svc, &sp) != 0) {
        win_error("cannot query service", c->name, GetLastError());
    } else {
        printf("%s: %s", c->name, state_name(sp.dwCurrentState));
        if (sp.dwCurrentState != SERVICE_STOPPED) {
            printf(" (pid %lu)", (unsigned long)sp.dwProcessId);
        } else if (sp.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR) {
            printf(" (exit status %lu)", (unsigned long)sp.dwServiceSpecificExitCode);
        } else if (sp.dwWin32ExitCode != NO_ERROR) {
            printf(" (error %lu)", (unsigned long)sp.dwWin32ExitCode);
        }
        printf("\n");
        status = sp.dwCurrentState == SERVICE_RUNNING ? EXIT_OK : EXIT_NOT_RUNNING;
    }
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return status;
}

int wqd_service_command(int argc, char **argv)
{
    struct cmd c;
    int status = parse(argc, argv, &c);
    if (status == EXIT_OK) {
        if (strcmp(c.verb, "install") == 0) {
            status = do_install(&c);
        } else if (strcmp(c.verb, "uninstall") == 0) {
            status = do_uninstall(&c);
        } else if (strcmp(c.verb, "start") == 0) {
            status = do_start(&c);
        } else if (strcmp(c.verb, "stop") == 0) {
            status = do_stop(&c);
        } else {
            status = do_status(&c);
        }
    }
    free(c.pass);
    return status;
}
