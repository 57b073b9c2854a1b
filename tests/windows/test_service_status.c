/* test_service_status.c — the Windows service's status state machine,
 * control handler, event log sink and default pipe DACL, through their
 * seams (checklist T-WS-c, WS-5): no SCM involved. Links service.c and
 * eventlog.c directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon.h"
#include "platform.h" /* <windows.h> first */
#include "service.h"

#include <sddl.h>

/* ---- a fake SetServiceStatus that records every report ------------------ */

#define MAX_REPORTS 64
static SERVICE_STATUS reports[MAX_REPORTS];
static int nreports;
static SERVICE_STATUS_HANDLE seen_handle;

static BOOL WINAPI fake_set_status(SERVICE_STATUS_HANDLE h, LPSERVICE_STATUS st)
{
    seen_handle = h;
    if (nreports < MAX_REPORTS) {
        reports[nreports] = *st;
    }
    nreports++;
    return TRUE;
}

static HANDLE stop_event; /* the one workqd's daemon.c would create */

static int setup(void **state)
{
    (void)state;
    nreports = 0;
    wqd_service_set_status = fake_set_status;
    wchar_t name[64];
    swprintf(name, 64, L"Local\\workqd-stop-%lu", (unsigned long)GetCurrentProcessId());
    stop_event = CreateEventW(NULL, TRUE, FALSE, name);
    return stop_event == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    wqd_service_set_status = SetServiceStatus;
    CloseHandle(stop_event);
    return 0;
}

#define FAKE_HANDLE ((SERVICE_STATUS_HANDLE)(uintptr_t)0x1234)

static int count_state(DWORD state)
{
    int n = 0;
    for (int i = 0; i < nreports; i++) {
        n += reports[i].dwCurrentState == state;
    }
    return n;
}

/* START_PENDING(1,2,3; no controls) → RUNNING(STOP|SHUTDOWN) →
 * STOP_PENDING(1,2) → STOPPED once, exit 0; nothing after STOPPED. */
static void status_sequence_is_exact(void **state)
{
    (void)state;
    wqd_service_status_begin(FAKE_HANDLE);
    wqd_service_progress();
    wqd_service_progress();
    wqd_service_running();
    assert_int_equal(WaitForSingleObject(stop_event, 0), WAIT_TIMEOUT);
    ULONGLONG t0 = GetTickCount64();
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_STOP, 0, NULL, NULL), NO_ERROR);
    assert_true(GetTickCount64() - t0 < 1000); /* returns at once */
    /* The stop went to workqd's stop event, the graceful path. */
    assert_int_equal(WaitForSingleObject(stop_event, 0), WAIT_OBJECT_0);
    wqd_service_stopping(); /* workqd: wait returned, draining */
    wqd_service_status_end(0);
    wqd_service_status_end(0); /* ignored */
    wqd_service_progress();    /* ignored */
    wqd_service_running();     /* ignored */
    wqd_service_stopping();    /* ignored */

    assert_ptr_equal(seen_handle, FAKE_HANDLE);
    assert_int_equal(nreports, 7);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reports[i].dwCurrentState, SERVICE_START_PENDING);
        assert_int_equal(reports[i].dwCheckPoint, (DWORD)(i + 1));
        assert_int_equal(reports[i].dwControlsAccepted, 0);
        assert_true(reports[i].dwWaitHint > 0);
        assert_int_equal(reports[i].dwServiceType, SERVICE_WIN32_OWN_PROCESS);
    }
    assert_int_equal(reports[3].dwCurrentState, SERVICE_RUNNING);
    assert_int_equal(reports[3].dwControlsAccepted &
                         (SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN),
                     SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN);
    assert_int_equal(reports[3].dwCheckPoint, 0);
    for (int i = 4; i < 6; i++) {
        assert_int_equal(reports[i].dwCurrentState, SERVICE_STOP_PENDING);
        assert_int_equal(reports[i].dwCheckPoint, (DWORD)(i - 3));
        assert_int_equal(reports[i].dwControlsAccepted, 0);
        assert_true(reports[i].dwWaitHint > 0);
    }
    assert_int_equal(reports[6].dwCurrentState, SERVICE_STOPPED);
    assert_int_equal(reports[6].dwWin32ExitCode, NO_ERROR);
    assert_int_equal(reports[6].dwCheckPoint, 0);
    assert_int_equal(count_state(SERVICE_STOPPED), 1);
}

/* A failed start: START_PENDING → STOPPED with a service-specific exit
 * code, once; never RUNNING. */
static void failed_start_stops_once_with_exit_code(void **state)
{
    (void)state;
    wqd_service_status_begin(FAKE_HANDLE);
    wqd_service_progress();
    wqd_service_status_end(1);
    wqd_service_status_end(2); /* e.g. the atexit fallback: ignored */
    assert_int_equal(nreports, 3);
    assert_int_equal(reports[2].dwCurrentState, SERVICE_STOPPED);
    assert_int_equal(reports[2].dwWin32ExitCode, ERROR_SERVICE_SPECIFIC_ERROR);
    assert_int_equal(reports[2].dwServiceSpecificExitCode, 1);
    assert_int_equal(count_state(SERVICE_RUNNING), 0);
    assert_int_equal(count_state(SERVICE_STOPPED), 1);
}

/* A stop that does not come from the SCM (the stop event set by a tool):
 * workqd's own report moves RUNNING to STOP_PENDING. */
static void stop_from_elsewhere_still_reports_stop_pending(void **state)
{
    (void)state;
    wqd_service_status_begin(FAKE_HANDLE);
    wqd_service_running();
    wqd_service_stopping();
    wqd_service_status_end(0);
    assert_int_equal(nreports, 4);
    assert_int_equal(reports[2].dwCurrentState, SERVICE_STOP_PENDING);
    assert_int_equal(reports[2].dwCheckPoint, 1);
    assert_int_equal(reports[3].dwCurrentState, SERVICE_STOPPED);
}

static void control_handler_answers_at_once(void **state)
{
    (void)state;
    wqd_service_status_begin(FAKE_HANDLE);
    wqd_service_running();
    ULONGLONG t0 = GetTickCount64();
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_INTERROGATE, 0, NULL, NULL), NO_ERROR);
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_PAUSE, 0, NULL, NULL),
                     ERROR_CALL_NOT_IMPLEMENTED);
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_PARAMCHANGE, 0, NULL, NULL),
                     ERROR_CALL_NOT_IMPLEMENTED);
    assert_int_equal(wqd_service_control(200, 0, NULL, NULL), ERROR_CALL_NOT_IMPLEMENTED);
    assert_int_equal(nreports, 2); /* none of those changed the state */
    assert_int_equal(WaitForSingleObject(stop_event, 0), WAIT_TIMEOUT);
    /* SHUTDOWN stops like STOP. */
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_SHUTDOWN, 0, NULL, NULL), NO_ERROR);
    assert_true(GetTickCount64() - t0 < 1000);
    assert_int_equal(WaitForSingleObject(stop_event, 0), WAIT_OBJECT_0);
    assert_int_equal(reports[nreports - 1].dwCurrentState, SERVICE_STOP_PENDING);
    wqd_service_status_end(0);
    assert_int_equal(count_state(SERVICE_STOPPED), 1);
}

/* STOP_PENDING's wait hint covers the stop's deadline (workqd
 * --stop-timeout) and the margin after it, whatever the deadline: the
 * default, a long one, and one so long the sum saturates. */
static DWORD stop_pending_hint(uint32_t stop_timeout_ms)
{
    nreports = 0;
    wqd_service_status_begin(FAKE_HANDLE);
    wqd_service_stop_timeout(stop_timeout_ms);
    wqd_service_running();
    assert_int_equal(wqd_service_control(SERVICE_CONTROL_STOP, 0, NULL, NULL), NO_ERROR);
    wqd_service_stopping();
    wqd_service_status_end(0);
    assert_int_equal(nreports, 5);
    assert_int_equal(reports[2].dwCurrentState, SERVICE_STOP_PENDING);
    assert_int_equal(reports[3].dwCurrentState, SERVICE_STOP_PENDING);
    assert_int_equal(reports[3].dwWaitHint, reports[2].dwWaitHint);
    assert_true(ResetEvent(stop_event));
    return reports[2].dwWaitHint;
}

static void stop_pending_wait_hint_covers_the_stop_deadline(void **state)
{
    (void)state;
    assert_int_equal(stop_pending_hint(WQ_DEFAULT_STOP_TIMEOUT_MS),
                     WQ_DEFAULT_STOP_TIMEOUT_MS + WQD_SERVICE_STOP_MARGIN_MS);
    assert_int_equal(stop_pending_hint(60000), 60000 + WQD_SERVICE_STOP_MARGIN_MS);
    assert_int_equal(stop_pending_hint(0), WQD_SERVICE_STOP_MARGIN_MS);
    assert_int_equal(wqd_service_stop_hint(0xFFFFFFFFu), 0xFFFFFFFFu);
    /* The default stop fits the SCM's default preshutdown wait (10 s since
     * Windows 10 1703). */
    assert_true(WQ_DEFAULT_STOP_TIMEOUT_MS + WQD_SERVICE_STOP_MARGIN_MS <= 10000);
}

/* ---- event log through its seam ---------------------------------------- */

static int nevents;
static WORD event_type;
static DWORD event_id;
static wchar_t event_text[256];

static BOOL WINAPI fake_report(HANDLE log, WORD type, WORD category, DWORD id, PSID user,
                               WORD nstrings, DWORD data_size, LPCWSTR *strings, LPVOID data)
{
    (void)log;
    (void)category;
    (void)user;
    (void)data_size;
    (void)data;
    nevents++;
    event_type = type;
    event_id = id;
    if (nstrings == 1) {
        wcsncpy(event_text, strings[0], 255);
        event_text[255] = L'\0';
    }
    return TRUE;
}

static void event_log_lines_are_captured(void **state)
{
    (void)state;
    wqd_eventlog_report = fake_report;
    nevents = 0;
    wqd_eventlog_write(WQ_LOG_INFO, "before open"); /* not open: dropped */
    assert_int_equal(nevents, 0);
    wqd_eventlog_open("wqtest-eventlog");
    assert_true(wqd_eventlog_is_open());
    wqd_eventlog_write(WQ_LOG_ERROR, "cannot listen: caf\xc3\xa9");
    assert_int_equal(nevents, 1);
    assert_int_equal(event_type, EVENTLOG_ERROR_TYPE);
    assert_int_equal(event_id, 1000);
    assert_true(wcscmp(event_text, L"cannot listen: caf\x00e9") == 0);
    wqd_eventlog_write(WQ_LOG_WARN, "w");
    assert_int_equal(event_type, EVENTLOG_WARNING_TYPE);
    wqd_eventlog_write(WQ_LOG_INFO, "i");
    assert_int_equal(event_type, EVENTLOG_INFORMATION_TYPE);
    wqd_eventlog_close();
    assert_false(wqd_eventlog_is_open());
    wqd_eventlog_write(WQ_LOG_INFO, "after close");
    assert_int_equal(nevents, 3);
    wqd_eventlog_report = ReportEventW;
}

/* ---- the service's default pipe DACL ------------------------------------ */

static int parses(const char *sddl)
{
    wchar_t w[1024];
    MultiByteToWideChar(CP_UTF8, 0, sddl, -1, w, 1024);
    PSECURITY_DESCRIPTOR sd = NULL;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, &sd, NULL)) {
        return 0;
    }
    LocalFree(sd);
    return 1;
}

static void service_dacl_names_the_service_and_the_client_group(void **state)
{
    (void)state;
    char sddl[1024];
    char warning[512];
    assert_int_equal(
        wqd_service_sddl("WorkQueueService", NULL, sddl, sizeof sddl, warning, sizeof warning), 0);
    print_message("default: %s%s%s\n", sddl, warning[0] ? "\nwarning: " : "", warning);
    assert_true(strncmp(sddl, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;S-1-5-", 42) == 0);
    const char *tail = "(A;;0x12019b;;;AU)";
    assert_true(strlen(sddl) > strlen(tail));
    assert_string_equal(sddl + strlen(sddl) - strlen(tail), tail);
    assert_null(strstr(sddl, ";WD)"));
    assert_null(strstr(sddl, ";AN)"));
    assert_true(parses(sddl));

    assert_int_equal(
        wqd_service_sddl("WorkQueueService", "BU", sddl, sizeof sddl, warning, sizeof warning), 0);
    tail = "(A;;0x12019b;;;BU)";
    assert_string_equal(sddl + strlen(sddl) - strlen(tail), tail);
    assert_int_equal(wqd_service_sddl("WorkQueueService", "S-1-5-32-545", sddl, sizeof sddl,
                                      warning, sizeof warning),
                     0);
    tail = "(A;;0x12019b;;;S-1-5-32-545)";
    assert_string_equal(sddl + strlen(sddl) - strlen(tail), tail);

    assert_int_equal(wqd_service_sddl("WorkQueueService", "no-such-group-wq", sddl, sizeof sddl,
                                      warning, sizeof warning),
                     -1);
    assert_non_null(strstr(warning, "no-such-group-wq"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_sequence_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_start_stops_once_with_exit_code, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_from_elsewhere_still_reports_stop_pending, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(control_handler_answers_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_pending_wait_hint_covers_the_stop_deadline, setup,
                                        teardown),
        cmocka_unit_test(event_log_lines_are_captured),
        cmocka_unit_test(service_dacl_names_the_service_and_the_client_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
