/* test_npipe_real_windows.c — the pipe security points that only real
 * Windows can prove (security checklist T-WPS-b, T-WPS-c, T-WPS-e): Wine
 * stores DACLs but does not enforce them, ignores
 * FILE_FLAG_FIRST_PIPE_INSTANCE and does not honour the SQOS level. Under
 * Wine each test that depends on those says so and skips; on a Windows
 * runner (ci/windows.ps1) they run for real. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "conn_fixture.h"
#include "platform.h"
#include "scratch.h"

static int under_wine(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

static void skip_under_wine(const char *what)
{
    if (under_wine()) {
        print_message("skipped under Wine: %s\n", what);
        skip();
    }
}

static void full_pipe_name(const char *endpoint, WCHAR *out, size_t n)
{
    char full[WQ_ENDPOINT_MAX];
    assert_int_equal(wq_endpoint_resolve(NULL, endpoint, full, sizeof full), WQ_OK);
    assert_true(MultiByteToWideChar(CP_UTF8, 0, full, -1, out, (int)n) > 0);
}

/* T-WPS-b: a security descriptor that leaves the caller out is enforced:
 * the client is refused with a distinct error, not a hang or a crash. */
static void a_dacl_without_the_caller_refuses_it(void **state)
{
    (void)state;
    skip_under_wine("Wine stores DACLs but does not enforce them");
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "dacl");
    wq_listen_opts opts;
    memset(&opts, 0, sizeof opts);
    /* Only LocalSystem: a test run as an ordinary user or admin is out. */
    opts.sddl = "D:P(A;;GA;;;SY)";
    wq_listener *l;
    assert_int_equal(wq_listener_open(NULL, ep.endpoint, &opts, &l), WQ_OK);
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(NULL, ep.endpoint, 2000, &c), WQ_EACCES);
    assert_null(c);
    wq_listener_close(l);
    wqt_scratch_cleanup(&ep);
}

/* T-WPS-c: someone who created the pipe name first makes the listener
 * fail with "in use" instead of serving behind the squatter. */
static void a_squatted_pipe_name_is_refused(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "squat");
    WCHAR name[WQ_ENDPOINT_MAX];
    full_pipe_name(ep.endpoint, name, WQ_ENDPOINT_MAX);
    HANDLE squatter = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                       PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                       PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
    assert_true(squatter != INVALID_HANDLE_VALUE);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(NULL, ep.endpoint, NULL, &l), WQ_EADDRINUSE);
    assert_null(l);
    CloseHandle(squatter);
    wqt_scratch_cleanup(&ep);
}

/* T-WPS-e: our client lets a server identify it but not act as it
 * (SECURITY_IDENTIFICATION), so a rogue server gains nothing. */
static void a_server_can_only_identify_our_client(void **state)
{
    (void)state;
    skip_under_wine("Wine does not honour the impersonation level a client asks for");
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "sqos");
    WCHAR name[WQ_ENDPOINT_MAX];
    full_pipe_name(ep.endpoint, name, WQ_ENDPOINT_MAX);
    /* A plain synchronous server of our own, standing in for a rogue one. */
    HANDLE server = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, 4096,
                                     4096, 0, NULL);
    assert_true(server != INVALID_HANDLE_VALUE);
    wq_conn *c;
    assert_int_equal(wq_conn_connect(NULL, ep.endpoint, 5000, &c), WQ_OK);
    BOOL connected = ConnectNamedPipe(server, NULL) || GetLastError() == ERROR_PIPE_CONNECTED;
    assert_true(connected);
    wqt_send_str(c, "hello");
    char buf[16];
    DWORD got = 0;
    assert_true(ReadFile(server, buf, sizeof buf, &got, NULL)); /* impersonation needs a read */
    assert_true(ImpersonateNamedPipeClient(server));
    HANDLE token = NULL;
    BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
    SECURITY_IMPERSONATION_LEVEL level = SecurityAnonymous;
    DWORD size = 0;
    BOOL queried =
        opened && GetTokenInformation(token, TokenImpersonationLevel, &level, sizeof level, &size);
    if (!RevertToSelf()) {
        fail_msg("RevertToSelf failed: the test thread would keep the client's identity");
    }
    if (token != NULL) {
        CloseHandle(token);
    }
    assert_true(opened);
    assert_true(queried);
    assert_int_equal(level, SecurityIdentification);
    wq_conn_close(c);
    CloseHandle(server);
    wqt_scratch_cleanup(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_dacl_without_the_caller_refuses_it),
        cmocka_unit_test(a_squatted_pipe_name_is_refused),
        cmocka_unit_test(a_server_can_only_identify_our_client),
    };
    return cmocka_run_group_tests_name("npipe.real_windows", tests, NULL, NULL);
}
