/* test_npipe_trust.c — a client sends nothing to a pipe server it does not
 * trust (docs/protocol.md "Trust", checklist WPS-7). Wine runs every
 * process as one user and reports odd pipe owners, so the impostor is made
 * through the OS seam (npipe_os.h): the server's process user (its token),
 * the pipe's owner, whether the process can be opened at all, when it was
 * created, and what NT SERVICE\<name> resolves to. The server end is a
 * real listener in this process; the seam's WriteFile counts what clients
 * write, which for a refused client is nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/transport.h>

#include "npipe_os.h" /* <windows.h> first: sddl.h needs it */
#include "platform.h"
#include "scratch.h"

#include <sddl.h>

#define LONG_MS 20000

static const char impostor_sid[] = "S-1-5-21-1111-2222-3333-1001";
static const char service_sid[] = "S-1-5-80-1-2-3-4-5";

static struct wqi_npipe_os real; /* the table as it was before a test */
static wqt_scratch ep;
static wq_listener *listener;

/* ---- what the seam makes the server look like -------------------------- */

static const char *fake_user;                   /* NULL: the real process token */
static const char *fake_owner;                  /* NULL: the real owner; "": unreadable */
static int process_unopenable;                  /* OpenProcess fails (a service's process) */
static int process_is_younger;                  /* created an hour from now: a reused pid */
static char fake_service_name[WQ_ENDPOINT_MAX]; /* NT SERVICE\<this> -> service_sid */

static BOOL WINAPI fake_GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info,
                                            DWORD size, PDWORD got)
{
    if (fake_user == NULL || cls != TokenUser) {
        return real.GetTokenInformation(token, cls, info, size, got);
    }
    PSID sid = NULL;
    assert_true(ConvertStringSidToSidA(fake_user, &sid));
    DWORD need = (DWORD)sizeof(TOKEN_USER) + GetLengthSid(sid);
    *got = need;
    BOOL ok = size >= need;
    if (ok) {
        TOKEN_USER *tu = info;
        PSID copy = (BYTE *)info + sizeof(TOKEN_USER);
        assert_true(CopySid(GetLengthSid(sid), copy, sid));
        tu->User.Sid = copy;
        tu->User.Attributes = 0;
    } else {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
    }
    LocalFree(sid);
    return ok;
}

static DWORD WINAPI fake_GetSecurityInfo(HANDLE h, SE_OBJECT_TYPE type, SECURITY_INFORMATION what,
                                         PSID *owner, PSID *group, PACL *dacl, PACL *sacl,
                                         PSECURITY_DESCRIPTOR *sd)
{
    if (fake_owner == NULL) {
        return real.GetSecurityInfo(h, type, what, owner, group, dacl, sacl, sd);
    }
    if (fake_owner[0] == '\0') {
        return ERROR_ACCESS_DENIED; /* no READ_CONTROL, say */
    }
    assert_int_equal(what, OWNER_SECURITY_INFORMATION);
    char sddl[128];
    snprintf(sddl, sizeof sddl, "O:%s", fake_owner);
    PSECURITY_DESCRIPTOR made = NULL;
    assert_true(
        ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &made, NULL));
    BOOL defaulted = FALSE;
    assert_true(GetSecurityDescriptorOwner(made, owner, &defaulted));
    *sd = made; /* the caller frees it with LocalFree, owner and all */
    return ERROR_SUCCESS;
}

static HANDLE WINAPI fake_OpenProcess(DWORD access, BOOL inherit, DWORD pid)
{
    if (process_unopenable) {
        SetLastError(ERROR_ACCESS_DENIED);
        return NULL;
    }
    return real.OpenProcess(access, inherit, pid);
}

static BOOL WINAPI fake_GetProcessTimes(HANDLE process, LPFILETIME creation, LPFILETIME exited,
                                        LPFILETIME kernel, LPFILETIME user)
{
    BOOL ok = real.GetProcessTimes(process, creation, exited, kernel, user);
    if (ok && process_is_younger) {
        FILETIME now;
        GetSystemTimeAsFileTime(&now);
        ULARGE_INTEGER t;
        t.LowPart = now.dwLowDateTime;
        t.HighPart = now.dwHighDateTime;
        t.QuadPart += 36000000000ull; /* one hour, in 100 ns */
        creation->dwLowDateTime = t.LowPart;
        creation->dwHighDateTime = t.HighPart;
    }
    return ok;
}

static BOOL WINAPI fake_LookupAccountNameW(LPCWSTR system, LPCWSTR name, PSID sid, LPDWORD sid_size,
                                           LPWSTR domain, LPDWORD domain_size, PSID_NAME_USE use)
{
    WCHAR want[WQ_ENDPOINT_MAX + 16];
    swprintf(want, sizeof want / sizeof want[0], L"NT SERVICE\\%hs", fake_service_name);
    if (fake_service_name[0] == '\0' || wcscmp(name, want) != 0) {
        return real.LookupAccountNameW(system, name, sid, sid_size, domain, domain_size, use);
    }
    PSID made = NULL;
    assert_true(ConvertStringSidToSidA(service_sid, &made));
    DWORD need = GetLengthSid(made);
    BOOL ok = *sid_size >= need && *domain_size > 10;
    if (ok) {
        assert_true(CopySid(need, sid, made));
        wcscpy(domain, L"NT SERVICE");
        *domain_size = 10;
        *use = SidTypeWellKnownGroup;
    } else {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
    }
    *sid_size = need;
    LocalFree(made);
    return ok;
}

/* Every pipe write in these tests is a client's (the listener is never
 * asked to send), so this counts what clients sent. */
static int writes;

static BOOL WINAPI counting_WriteFile(HANDLE h, LPCVOID buf, DWORD size, LPDWORD put,
                                      LPOVERLAPPED ov)
{
    writes++;
    return real.WriteFile(h, buf, size, put, ov);
}

/* ---- fixtures ------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    real = wqi_npipe_os;
    fake_user = NULL;
    fake_owner = NULL;
    process_unopenable = 0;
    process_is_younger = 0;
    fake_service_name[0] = '\0';
    wqi_npipe_os.GetTokenInformation = fake_GetTokenInformation;
    wqi_npipe_os.GetSecurityInfo = fake_GetSecurityInfo;
    wqi_npipe_os.OpenProcess = fake_OpenProcess;
    wqi_npipe_os.GetProcessTimes = fake_GetProcessTimes;
    wqi_npipe_os.LookupAccountNameW = fake_LookupAccountNameW;
    wqi_npipe_os.WriteFile = counting_WriteFile;
    wqt_scratch_init(&ep, NULL, "trust");
    assert_int_equal(wq_listener_open(NULL, ep.endpoint, NULL, &listener), WQ_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wq_listener_close(listener);
    listener = NULL;
    wqt_scratch_cleanup(&ep);
    wqi_npipe_os = real;
    _putenv("WORKQ_SERVER_ACCOUNT=");
    return 0;
}

/* Connect a client with opts.server_account = account and return its
 * error, keeping its message. A refused client must not have written
 * anything. A trusted one goes on to send a PING (its 1 ms reply timeout
 * ends the wait, as nobody answers), which the server end receives — the
 * contrast that shows the count means something. */
static char message[1024];

static wq_err try_client(const char *account)
{
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.server_account = account;
    opts.timeout_ms = 1;
    wq_client *c = NULL;
    assert_int_equal(wq_client_new(&opts, &c), WQ_OK);
    writes = 0;
    wq_err err = wq_client_connect(c, ep.endpoint);
    snprintf(message, sizeof message, "%s", wq_client_message(c));
    assert_int_equal(writes, 0);
    wq_conn *server = NULL;
    if (err != WQ_OK) {
        wq_client_close(c);
        /* The client came and went. The listener absorbs it (Windows says
         * ERROR_NO_DATA) or, as Wine sometimes does, hands it over closed;
         * either way the instance is free again for the next client, and
         * nothing arrived. */
        wq_err aerr = wq_listener_accept(listener, 0, &server);
        if (aerr == WQ_OK) {
            void *buf = NULL;
            size_t len = 0;
            assert_int_equal(wq_conn_recv(server, 1024, LONG_MS, &buf, &len), WQ_ECLOSED);
            wq_conn_close(server);
        } else {
            assert_int_equal(aerr, WQ_ETIMEDOUT);
        }
        return err;
    }
    assert_int_equal(wq_client_ping(c), WQ_ETIMEDOUT);
    assert_int_equal(writes, 1);
    assert_int_equal(wq_listener_accept(listener, LONG_MS, &server), WQ_OK);
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(wq_conn_recv(server, 1024, LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "PING", 4);
    wq_free(buf);
    wq_client_close(c);
    wq_conn_close(server);
    return err;
}

static void has(const char *needle)
{
    if (strstr(message, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", message, needle);
    }
}

/* ---- tests ------------------------------------------------------------ */

/* No fakes: a server in this very process runs as our own user. */
static void our_own_server_is_trusted(void **state)
{
    (void)state;
    assert_int_equal(try_client(NULL), WQ_OK);
}

static void a_server_of_another_user_is_refused_before_anything_is_sent(void **state)
{
    (void)state;
    fake_user = impostor_sid;
    fake_owner = impostor_sid;
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED);
    has("the server at \\\\.\\pipe\\");
    has(ep.endpoint);
    has(" runs as S-1-5-21-1111-2222-3333-1001 and its pipe is owned by "
        "S-1-5-21-1111-2222-3333-1001; expected ");
    char me[192];
    wqi_process_sid(me, sizeof me);
    has(me);
    has("S-1-5-18");
    has("S-1-5-32-544");
    /* wq_client_open says the same in one call, leaving nothing behind. */
    wq_client *c = (wq_client *)&c;
    writes = 0;
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_EUNTRUSTED);
    assert_null(c);
    assert_int_equal(writes, 0);
}

static void system_and_our_own_user_are_trusted(void **state)
{
    (void)state;
    char me[192];
    wqi_process_sid(me, sizeof me);
    assert_true(me[0] != '\0');
    fake_owner = impostor_sid; /* the process alone decides here */
    fake_user = "S-1-5-18";
    assert_int_equal(try_client(NULL), WQ_OK);
    fake_user = me;
    assert_int_equal(try_client(NULL), WQ_OK);
}

/* A service's process is usually not ours to open: then the pipe's owner
 * tells who created it. */
static void the_pipe_owner_decides_when_the_process_cannot_be_read(void **state)
{
    (void)state;
    char me[192];
    wqi_process_sid(me, sizeof me);
    process_unopenable = 1;
    fake_owner = me;
    assert_int_equal(try_client(NULL), WQ_OK);
    fake_owner = "S-1-5-32-544"; /* what an elevated administrator creates */
    assert_int_equal(try_client(NULL), WQ_OK);
    fake_owner = "S-1-5-18";
    assert_int_equal(try_client(NULL), WQ_OK);
    fake_owner = impostor_sid;
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED);
    has(" cannot be identified by its process, and its pipe is owned by "
        "S-1-5-21-1111-2222-3333-1001; expected ");
    fake_owner = ""; /* nothing can be read at all: refused, not assumed */
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED);
    has(" cannot be identified (neither its process nor the owner of its pipe can be read)");
}

/* The same for real, where Windows keeps real owners: the owner of our own
 * pipe is our user, or Administrators when the test runs elevated, and
 * either is trusted. Wine reports an owner of its own making. */
static void the_real_owner_of_our_own_pipe_is_trusted(void **state)
{
    (void)state;
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    if (ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL) {
        print_message("skipped under Wine: its pipe owners are not the creator's\n");
        skip();
    }
    process_unopenable = 1; /* the owner alone decides */
    assert_int_equal(try_client(NULL), WQ_OK);
}

/* The pid the pipe names may have been reused since the server started:
 * a process created after the client opened the pipe is not the server,
 * however trusted its user. */
static void a_process_younger_than_the_connection_is_not_the_server(void **state)
{
    (void)state;
    fake_user = "S-1-5-18";
    fake_owner = impostor_sid;
    process_is_younger = 1;
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED);
    has(" cannot be identified by its process, and its pipe is owned by S-1-5-21-1111");
    process_is_younger = 0;
    assert_int_equal(try_client(NULL), WQ_OK);
}

static void naming_the_account_trusts_it(void **state)
{
    (void)state;
    fake_user = impostor_sid;
    fake_owner = impostor_sid;
    assert_int_equal(try_client(impostor_sid), WQ_OK);
    assert_int_equal(try_client("s-1-5-21-1111-2222-3333-1001"), WQ_OK); /* any case */
    /* From the environment, as WORKQ_ENDPOINT is; the option wins. */
    assert_int_equal(_putenv("WORKQ_SERVER_ACCOUNT=S-1-5-21-1111-2222-3333-1001"), 0);
    assert_int_equal(try_client(NULL), WQ_OK);
    assert_int_equal(try_client("S-1-5-19"), WQ_EUNTRUSTED);
    const char *expected = strstr(message, "; expected ");
    assert_non_null(expected);
    assert_non_null(strstr(expected, "S-1-5-19")); /* the account named, by its SID */
    assert_int_equal(_putenv("WORKQ_SERVER_ACCOUNT="), 0);
    /* An account the OS does not know. */
    assert_int_equal(try_client("NO SUCH DOMAIN\\nobody-of-workq"), WQ_EINVAL);
    has("unknown server account 'NO SUCH DOMAIN\\nobody-of-workq'");
    assert_int_equal(try_client("S-1-bogus"), WQ_EINVAL);
}

/* workqd's service runs as NT SERVICE\<service name>, which by default is
 * the pipe's name: that account is trusted for that pipe only. */
static void the_service_account_named_after_the_pipe_is_trusted(void **state)
{
    (void)state;
    fake_user = service_sid;
    fake_owner = service_sid;
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED); /* no such service here */
    snprintf(fake_service_name, sizeof fake_service_name, "%s", ep.endpoint);
    assert_int_equal(try_client(NULL), WQ_OK);
    /* Another pipe's service is not this pipe's. */
    snprintf(fake_service_name, sizeof fake_service_name, "%s-other", ep.endpoint);
    assert_int_equal(try_client(NULL), WQ_EUNTRUSTED);
    /* Named explicitly, it is trusted on any pipe. */
    assert_int_equal(try_client(service_sid), WQ_OK);
}

/* The bare transport does not check (transport.h): it connects, and the
 * peer it reports is what the client check judged. */
static void the_raw_transport_connects_and_reports_the_server_user(void **state)
{
    (void)state;
    fake_user = impostor_sid;
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(NULL, ep.endpoint, LONG_MS, &c), WQ_OK);
    wq_peer peer;
    assert_int_equal(wq_conn_peer(c, &peer), WQ_OK);
    assert_string_equal(peer.sid, impostor_sid);
    assert_int_equal(peer.pid, wqi_process_id());
    wq_conn *server = NULL;
    assert_int_equal(wq_listener_accept(listener, LONG_MS, &server), WQ_OK);
    wq_conn_close(c);
    wq_conn_close(server);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(our_own_server_is_trusted),
        T(a_server_of_another_user_is_refused_before_anything_is_sent),
        T(system_and_our_own_user_are_trusted),
        T(the_pipe_owner_decides_when_the_process_cannot_be_read),
        T(the_real_owner_of_our_own_pipe_is_trusted),
        T(a_process_younger_than_the_connection_is_not_the_server),
        T(naming_the_account_trusts_it),
        T(the_service_account_named_after_the_pipe_is_trusted),
        T(the_raw_transport_connects_and_reports_the_server_user),
    };
#undef T
    return cmocka_run_group_tests_name("npipe.trust", tests, NULL, NULL);
}
