/* test_service.c — workqd as a real service under the Service Control
 * Manager (Wine's services.exe in CI; checklist T-WS-a, T-WS-b, T-WS-d):
 * `workqd install`, start, RUNNING, CREATE/LIST through the pipe, stop,
 * STOPPED with exit code 0, `workqd uninstall`, gone; a bad option ends
 * STOPPED with a non-zero exit code; --service from a console (1063) runs
 * in the console. Every service name is unique to the run, and a teardown
 * removes the service whatever happened. Runs in the directory holding
 * workqd (tests/support/proc.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "platform.h" /* <windows.h> first */
#include "proc.h"
#include "scratch.h"

#include <aclapi.h>
#include <sddl.h>
#include <tlhelp32.h>

#define POLL_LIMIT_MS 20000
#define POLL_STEP_MS 50

struct fixture {
    char name[64];
    wchar_t wname[64];
    wqt_scratch scratch;
};

/* Two services.exe (Wine 8 after `wineboot -i` under `wineserver -p`)
 * answer the SCM pipe in turn with different databases: every test here
 * would fail in confusing ways. Say so instead. */
static void one_service_control_manager(void)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) {
        return;
    }
    PROCESSENTRY32W pe;
    pe.dwSize = sizeof pe;
    int n = 0;
    for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
        n += _wcsicmp(pe.szExeFile, L"services.exe") == 0;
    }
    CloseHandle(snap);
    if (n > 1) {
        fail_msg("%d services.exe are running: a service installed through one is unknown to "
                 "the other (Wine after `wineboot -i` under `wineserver -p`; restart the "
                 "server and run a plain `wineboot`, as ci/lib.sh start_wine does)",
                 n);
    }
}

static int setup(void **state)
{
    one_service_control_manager();
    static struct fixture f;
    static unsigned serial;
    snprintf(f.name, sizeof f.name, "wqtest-%lu-%llu-%u", (unsigned long)GetCurrentProcessId(),
             (unsigned long long)GetTickCount64(), ++serial);
    MultiByteToWideChar(CP_UTF8, 0, f.name, -1, f.wname, 64);
    wqt_scratch_init(&f.scratch, NULL, "svc");
    *state = &f;
    return 0;
}

/* Stop the service if it runs and delete it, whatever the test did. */
static int teardown(void **state)
{
    struct fixture *f = *state;
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    if (scm != NULL) {
        SC_HANDLE svc = OpenServiceW(scm, f->wname, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
        if (svc != NULL) {
            SERVICE_STATUS ss;
            ControlService(svc, SERVICE_CONTROL_STOP, &ss);
            for (int waited = 0; waited < POLL_LIMIT_MS; waited += POLL_STEP_MS) {
                if (!QueryServiceStatus(svc, &ss) || ss.dwCurrentState == SERVICE_STOPPED) {
                    break;
                }
                wqi_sleep_ms(POLL_STEP_MS);
            }
            DeleteService(svc);
            CloseServiceHandle(svc);
        }
        CloseServiceHandle(scm);
    }
    wqt_scratch_cleanup(&f->scratch);
    return 0;
}

/* The service, opened with `access`, or a failure naming the error. */
static SC_HANDLE open_svc(SC_HANDLE scm, const wchar_t *name, DWORD access)
{
    SC_HANDLE svc = OpenServiceW(scm, name, access);
    if (svc == NULL) {
        fail_msg("OpenServiceW %ls: error %lu", name, (unsigned long)GetLastError());
    }
    return svc;
}

static void run_workqd(const char *const *args, int expect_status)
{
    wqt_output o;
    wqt_run("workqd", args, NULL, 0, &o);
    if (o.status != expect_status) {
        print_error("workqd %s: status %d\nstdout: %s\nstderr: %s\n", args[0], o.status, o.out,
                    o.err);
    }
    assert_int_equal(o.status, expect_status);
    wqt_output_free(&o);
}

/* Poll (bounded, small waits) while the state is `pending`. */
static void wait_while(SC_HANDLE svc, DWORD pending, SERVICE_STATUS_PROCESS *sp)
{
    for (int waited = 0;; waited += POLL_STEP_MS) {
        DWORD needed = 0;
        assert_true(
            QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)sp, sizeof *sp, &needed));
        if (sp->dwCurrentState != pending) {
            return;
        }
        if (waited >= POLL_LIMIT_MS) {
            fail_msg("service still in state %lu after %d ms", (unsigned long)pending, waited);
        }
        wqi_sleep_ms(POLL_STEP_MS);
    }
}

/* The DACL of the service's pipe as SDDL, read back through a client
 * handle (checklist T-WPS-a; Wine stores and returns it). */
static void pipe_dacl(const char *endpoint, char *buf, size_t size)
{
    char path[WQ_ENDPOINT_MAX];
    assert_int_equal(wq_endpoint_resolve(NULL, endpoint, path, sizeof path), WQ_OK);
    wchar_t name[WQ_ENDPOINT_MAX];
    MultiByteToWideChar(CP_UTF8, 0, path, -1, name, WQ_ENDPOINT_MAX);
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fail_msg("cannot open %s: error %lu", endpoint, (unsigned long)GetLastError());
    }
    PSECURITY_DESCRIPTOR sd = NULL;
    PACL dacl = NULL;
    assert_int_equal(GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                     &dacl, NULL, &sd),
                     ERROR_SUCCESS);
    WCHAR *w = NULL;
    assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorW(
        sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &w, NULL));
    assert_true(WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)size, NULL, NULL) > 0);
    LocalFree(w);
    LocalFree(sd);
    CloseHandle(h);
}

static void install_start_serve_stop_uninstall(void **state)
{
    struct fixture *f = *state;
    const char *install[] = {"install", "--name", f->name, "--endpoint", f->scratch.endpoint, NULL};
    run_workqd(install, 0);

    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    assert_non_null(scm);
    SC_HANDLE svc = open_svc(
        scm, f->wname, SERVICE_START | SERVICE_STOP | SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG);

    /* Registered as asked: own process, demand start, quoted path with
     * --service, the virtual account. */
    union {
        QUERY_SERVICE_CONFIGW qc;
        BYTE bytes[8192];
    } cfg;
    DWORD needed = 0;
    assert_true(QueryServiceConfigW(svc, &cfg.qc, sizeof cfg, &needed));
    assert_true(cfg.qc.dwServiceType & SERVICE_WIN32_OWN_PROCESS);
    assert_int_equal(cfg.qc.dwStartType, SERVICE_DEMAND_START);
    assert_true(cfg.qc.lpBinaryPathName[0] == L'"');
    assert_non_null(wcsstr(cfg.qc.lpBinaryPathName, L"workqd.exe\" --service --name "));
    assert_non_null(cfg.qc.lpServiceStartName);
    assert_true(wcsncmp(cfg.qc.lpServiceStartName, L"NT SERVICE\\", 11) == 0);

    if (!StartServiceW(svc, 0, NULL)) {
        fail_msg("StartServiceW: error %lu", (unsigned long)GetLastError());
    }
    SERVICE_STATUS_PROCESS sp;
    wait_while(svc, SERVICE_START_PENDING, &sp);
    assert_int_equal(sp.dwCurrentState, SERVICE_RUNNING);
    assert_true(sp.dwControlsAccepted & SERVICE_ACCEPT_STOP);
    assert_true(sp.dwControlsAccepted & SERVICE_ACCEPT_SHUTDOWN);
    assert_int_not_equal(sp.dwProcessId, 0);

    /* `workqd status` agrees. */
    const char *status[] = {"status", "--name", f->name, NULL};
    run_workqd(status, 0);

    /* The service's DACL: protected; SYSTEM, Administrators and the
     * service (under Wine: the prefix user) full control; Authenticated
     * Users read/write without FILE_CREATE_PIPE_INSTANCE. */
    char sddl[1024];
    pipe_dacl(f->scratch.endpoint, sddl, sizeof sddl);
    print_message("service pipe DACL: %s\n", sddl);
    assert_true(strncmp(sddl, "D:P", 3) == 0);
    assert_non_null(strstr(sddl, ";;;SY)"));
    assert_non_null(strstr(sddl, ";;;BA)"));
    assert_non_null(strstr(sddl, "(A;;0x12019b;;;AU)"));
    assert_null(strstr(sddl, ";;;WD)"));
    assert_null(strstr(sddl, ";;;AN)"));

    /* Serving: RUNNING is reported only once the pipe is open. */
    wq_client *c = NULL;
    assert_int_equal(wq_client_open(f->scratch.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_create(c, "ServiceJobs"), WQ_OK);
    assert_int_equal(wq_client_create(c, "MoreJobs"), WQ_OK);
    wq_queue_info *rows = NULL;
    size_t n = 0;
    assert_int_equal(wq_client_list(c, &rows, &n), WQ_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].name, "MoreJobs");
    assert_string_equal(rows[1].name, "ServiceJobs");
    wq_free(rows);
    wq_client_close(c);

    SERVICE_STATUS ss;
    assert_true(ControlService(svc, SERVICE_CONTROL_STOP, &ss));
    wait_while(svc, SERVICE_STOP_PENDING, &sp);
    wait_while(svc, SERVICE_RUNNING, &sp); /* in case the reply raced the report */
    assert_int_equal(sp.dwCurrentState, SERVICE_STOPPED);
    assert_int_equal(sp.dwWin32ExitCode, NO_ERROR);
    CloseServiceHandle(svc);

    run_workqd(status, 3); /* installed, not running */
    const char *uninstall[] = {"uninstall", "--name", f->name, NULL};
    run_workqd(uninstall, 0);
    assert_null(OpenServiceW(scm, f->wname, SERVICE_QUERY_STATUS));
    assert_int_equal(GetLastError(), ERROR_SERVICE_DOES_NOT_EXIST);
    CloseServiceHandle(scm);
    run_workqd(status, 1); /* gone */
}

/* A bad option (a malformed --pipe-sddl) ends STOPPED with a non-zero
 * exit code, not an endless START_PENDING. */
static void bad_option_ends_stopped_with_an_exit_code(void **state)
{
    struct fixture *f = *state;
    const char *install[] = {"install",           "--name",      f->name,   "--endpoint",
                             f->scratch.endpoint, "--pipe-sddl", "garbage", NULL};
    run_workqd(install, 0);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    assert_non_null(scm);
    SC_HANDLE svc = open_svc(scm, f->wname, SERVICE_START | SERVICE_QUERY_STATUS);
    if (!StartServiceW(svc, 0, NULL)) {
        fail_msg("StartServiceW: error %lu", (unsigned long)GetLastError());
    }
    SERVICE_STATUS_PROCESS sp;
    wait_while(svc, SERVICE_START_PENDING, &sp);
    assert_int_equal(sp.dwCurrentState, SERVICE_STOPPED);
    assert_int_equal(sp.dwWin32ExitCode, ERROR_SERVICE_SPECIFIC_ERROR);
    assert_int_not_equal(sp.dwServiceSpecificExitCode, 0);
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);

    /* `workqd start` says so and fails. */
    const char *start[] = {"start", "--name", f->name, NULL};
    run_workqd(start, 1);
}

/* An unknown workqd option stored at install: the program exits during
 * start; the SCM still gets STOPPED with an exit code. */
static void unknown_option_ends_stopped_with_an_exit_code(void **state)
{
    struct fixture *f = *state;
    const char *install[] = {"install",           "--name",  f->name, "--endpoint",
                             f->scratch.endpoint, "--bogus", "x",     NULL};
    run_workqd(install, 0);
    const char *start[] = {"start", "--name", f->name, NULL};
    run_workqd(start, 1);
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    assert_non_null(scm);
    SC_HANDLE svc = open_svc(scm, f->wname, SERVICE_QUERY_STATUS);
    SERVICE_STATUS_PROCESS sp;
    wait_while(svc, SERVICE_START_PENDING, &sp);
    assert_int_equal(sp.dwCurrentState, SERVICE_STOPPED);
    assert_int_equal(sp.dwWin32ExitCode, ERROR_SERVICE_SPECIFIC_ERROR);
    assert_int_equal(sp.dwServiceSpecificExitCode, 2);
    CloseServiceHandle(svc);
    CloseServiceHandle(scm);
}

static void subcommand_errors(void **state)
{
    struct fixture *f = *state;
    const char *missing[] = {"status", "--name", f->name, NULL};
    run_workqd(missing, 1); /* no such service */
    const char *bad[] = {"stop", "--bogus", NULL};
    run_workqd(bad, 2);
    const char *noval[] = {"install", "--name", NULL};
    run_workqd(noval, 2);
    const char *badname[] = {"install", "--name", "a/b", NULL};
    run_workqd(badname, 2);
}

/* --service from a console: StartServiceCtrlDispatcher fails with 1063
 * and workqd serves in the console, stopping cleanly (T-WS-d). */
static void service_flag_from_a_console_runs_in_the_console(void **state)
{
    struct fixture *f = *state;
    const char *args[] = {"--service", "--name", f->name, "--endpoint", f->scratch.endpoint, NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    int served = 0;
    for (int waited = 0; waited < POLL_LIMIT_MS && !served; waited += POLL_STEP_MS) {
        wq_client *c;
        if (wq_client_open(f->scratch.endpoint, NULL, &c) == WQ_OK) {
            served = wq_client_ping(c) == WQ_OK;
            wq_client_close(c);
        }
        if (!served) {
            assert_true(wqt_proc_running(p));
            wqi_sleep_ms(POLL_STEP_MS);
        }
    }
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    if (!served || o.status != 0) {
        print_error("stderr: %s\n", o.err);
    }
    assert_true(served);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.err, "running in the console"));
    assert_non_null(strstr(o.err, "workqd stopped"));
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(install_start_serve_stop_uninstall, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_option_ends_stopped_with_an_exit_code, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_option_ends_stopped_with_an_exit_code, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(subcommand_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(service_flag_from_a_console_runs_in_the_console, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
