/* test_npipe_security.c — the DACL on live pipe instances (checklist
 * T-WPS-a): read back from a client handle, it is protected, names no
 * Everyone / Anonymous / NETWORK, and gives no one but SYSTEM,
 * Administrators and the owner the right to create pipe instances (WPS-2).
 * opts.sddl replaces it; malformed or DACL-less SDDL is refused.
 *
 * Wine stores and returns descriptors but does not enforce them, so these
 * tests check what is stored, not who is let in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "platform.h" /* <windows.h> first */
#include "scratch.h"

#include <aclapi.h>
#include <sddl.h>

#define LONG_MS 20000

static const wq_transport *T;

/* ---- helpers ---------------------------------------------------------- */

/* A raw client handle on the listener's pipe, to read its descriptor. */
static HANDLE open_raw(const char *endpoint)
{
    char full[WQ_ENDPOINT_MAX];
    assert_int_equal(wq_endpoint_resolve(T, endpoint, full, sizeof full), WQ_OK);
    WCHAR name[WQ_ENDPOINT_MAX];
    assert_true(MultiByteToWideChar(CP_UTF8, 0, full, -1, name, WQ_ENDPOINT_MAX) > 0);
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    assert_true(h != INVALID_HANDLE_VALUE);
    return h;
}

struct dacl_view {
    PSECURITY_DESCRIPTOR sd; /* LocalFree */
    PACL dacl;               /* inside sd */
    char sddl[2048];         /* the DACL as SDDL text */
};

static void read_dacl(HANDLE h, struct dacl_view *v)
{
    memset(v, 0, sizeof *v);
    assert_int_equal(GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL,
                                     &v->dacl, NULL, &v->sd),
                     ERROR_SUCCESS);
    assert_non_null(v->dacl);
    WCHAR *w = NULL;
    assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorW(
        v->sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &w, NULL));
    int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, v->sddl, (int)sizeof v->sddl, NULL, NULL);
    assert_true(n > 0);
    LocalFree(w);
}

static void free_view(struct dacl_view *v)
{
    LocalFree(v->sd);
}

/* A well-known SID, in a buffer of the caller's. */
static PSID well_known(WELL_KNOWN_SID_TYPE type, unsigned char buf[SECURITY_MAX_SID_SIZE])
{
    DWORD size = SECURITY_MAX_SID_SIZE;
    assert_true(CreateWellKnownSid(type, NULL, buf, &size));
    return buf;
}

/* This process's user SID (LocalFree). */
static PSID user_sid(void)
{
    char text[192];
    wqi_process_sid(text, sizeof text);
    assert_true(text[0] != '\0');
    PSID sid = NULL;
    assert_true(ConvertStringSidToSidA(text, &sid));
    return sid;
}

/* The SDDL trustee field of each ACE must not be one of the names. */
static void assert_no_ace_names(const char *sddl, const char *const *names, size_t n)
{
    for (const char *ace = strchr(sddl, '('); ace != NULL; ace = strchr(ace + 1, '(')) {
        /* (type;flags;rights;object;inherit-object;trustee) */
        const char *p = ace;
        for (int field = 0; field < 5 && p != NULL; field++) {
            p = strchr(p + 1, ';');
        }
        assert_non_null(p);
        const char *end = strchr(p, ')');
        assert_non_null(end);
        size_t len = (size_t)(end - (p + 1));
        for (size_t i = 0; i < n; i++) {
            if (strlen(names[i]) == len && strncmp(p + 1, names[i], len) == 0) {
                fail_msg("ACE for %s in %s", names[i], sddl);
            }
        }
    }
}

static ACCESS_ALLOWED_ACE *ace_at(PACL dacl, DWORD i)
{
    void *ace = NULL;
    assert_true(GetAce(dacl, i, &ace));
    return ace;
}

static DWORD ace_count(PACL dacl)
{
    ACL_SIZE_INFORMATION info;
    assert_true(GetAclInformation(dacl, &info, sizeof info, AclSizeInformation));
    return info.AceCount;
}

/* Rights that include FILE_CREATE_PIPE_INSTANCE, generic or specific. */
#define CREATES_INSTANCES (FILE_CREATE_PIPE_INSTANCE | GENERIC_ALL | GENERIC_WRITE)

/* The default DACL, checked ACE by ACE. */
static void assert_default_dacl(const struct dacl_view *v)
{
    static const char *const banned[] = {"WD", "AN", "NU", "S-1-1-0", "S-1-5-7", "S-1-5-2"};
    assert_memory_equal(v->sddl, "D:P", 3); /* protected */
    assert_no_ace_names(v->sddl, banned, sizeof banned / sizeof banned[0]);

    unsigned char sy[SECURITY_MAX_SID_SIZE], ba[SECURITY_MAX_SID_SIZE];
    unsigned char au[SECURITY_MAX_SID_SIZE], wd[SECURITY_MAX_SID_SIZE];
    unsigned char an[SECURITY_MAX_SID_SIZE], nu[SECURITY_MAX_SID_SIZE];
    PSID system = well_known(WinLocalSystemSid, sy);
    PSID admins = well_known(WinBuiltinAdministratorsSid, ba);
    PSID authenticated = well_known(WinAuthenticatedUserSid, au);
    PSID everyone = well_known(WinWorldSid, wd);
    PSID anonymous = well_known(WinAnonymousSid, an);
    PSID network = well_known(WinNetworkSid, nu);
    PSID me = user_sid();

    int seen_system = 0, seen_admins = 0, seen_me = 0, seen_authenticated = 0;
    DWORD n = ace_count(v->dacl);
    for (DWORD i = 0; i < n; i++) {
        ACCESS_ALLOWED_ACE *ace = ace_at(v->dacl, i);
        assert_int_equal(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
        PSID sid = &ace->SidStart;
        assert_false(EqualSid(sid, everyone));
        assert_false(EqualSid(sid, anonymous));
        assert_false(EqualSid(sid, network));
        if (EqualSid(sid, system)) {
            seen_system = 1;
        } else if (EqualSid(sid, admins)) {
            seen_admins = 1;
        } else if (EqualSid(sid, me)) {
            seen_me = 1;
        } else {
            /* Everyone else: read/write but never a new instance. */
            assert_int_equal(ace->Mask & CREATES_INSTANCES, 0);
            if (EqualSid(sid, authenticated)) {
                seen_authenticated = 1;
                assert_int_equal(ace->Mask, 0x12019b);
            }
        }
    }
    LocalFree(me);
    assert_int_equal(n, 4);
    assert_true(seen_system && seen_admins && seen_me && seen_authenticated);
}

/* The two ACLs hold the same ACEs in the same order. */
static void assert_same_aces(PACL got, PACL want)
{
    DWORD n = ace_count(want);
    assert_int_equal(ace_count(got), n);
    for (DWORD i = 0; i < n; i++) {
        ACCESS_ALLOWED_ACE *a = ace_at(got, i);
        ACCESS_ALLOWED_ACE *b = ace_at(want, i);
        assert_int_equal(a->Header.AceType, b->Header.AceType);
        assert_int_equal(a->Mask, b->Mask);
        assert_true(EqualSid(&a->SidStart, &b->SidStart));
    }
}

/* ---- tests ------------------------------------------------------------ */

static void default_dacl_is_protected_and_minimal_on_every_instance(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, T, "dacl");
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_OK);

    HANDLE first = open_raw(s.endpoint);
    struct dacl_view v;
    read_dacl(first, &v);
    assert_default_dacl(&v);
    free_view(&v);

    /* The replacement instance made by accept carries the same DACL. */
    wq_conn *server;
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    HANDLE second = open_raw(s.endpoint);
    read_dacl(second, &v);
    assert_default_dacl(&v);
    free_view(&v);

    CloseHandle(first);
    CloseHandle(second);
    wq_conn_close(server);
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
}

static void custom_sddl_is_what_the_pipe_carries(void **state)
{
    (void)state;
    char me[192];
    wqi_process_sid(me, sizeof me);
    char sddl[512];
    /* Specific rights only (FA = FILE_ALL_ACCESS), so that nothing needs
     * the generic mapping and the ACEs compare exactly. */
    snprintf(sddl, sizeof sddl, "D:P(A;;FA;;;SY)(A;;FA;;;%s)", me);
    PSECURITY_DESCRIPTOR want_sd = NULL;
    assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1,
                                                                     &want_sd, NULL));
    BOOL present = FALSE, defaulted = FALSE;
    PACL want = NULL;
    assert_true(GetSecurityDescriptorDacl(want_sd, &present, &want, &defaulted));

    wqt_scratch s;
    wqt_scratch_init(&s, T, "sddl");
    wq_listen_opts opts = {.sddl = sddl};
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, &opts, &l), WQ_OK);
    HANDLE h = open_raw(s.endpoint);
    struct dacl_view v;
    read_dacl(h, &v);
    assert_memory_equal(v.sddl, "D:P", 3);
    assert_non_null(strstr(v.sddl, me));
    assert_same_aces(v.dacl, want);
    free_view(&v);
    CloseHandle(h);
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
    LocalFree(want_sd);
}

/* A listener with this SDDL must not open, and must leave nothing behind. */
static void assert_refused(const char *sddl)
{
    wqt_scratch s;
    wqt_scratch_init(&s, T, "badsddl");
    wq_listen_opts opts = {.sddl = sddl};
    wq_listener *l = NULL;
    wq_err err = wq_listener_open(T, s.endpoint, &opts, &l);
    if (err != WQ_EINVAL) {
        fail_msg("sddl \"%s\": got %s", sddl, wq_strerror(err));
    }
    assert_null(l);
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(T, s.endpoint, 0, &c), WQ_ENOENT);
    wqt_scratch_cleanup(&s);
}

static void malformed_sddl_is_einval(void **state)
{
    (void)state;
    const char *bad[] = {
        "this is not SDDL",    /* prose */
        "D:P(A;;GA;;;SY",      /* cut short */
        "D:P(X;;GA;;;SY)",     /* no such ACE type */
        "D:P(A;;GA;;;NOBODY)", /* no such trustee */
        "D:P(A;;GA;;;SY)\xff", /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_refused(bad[i]);
    }
}

/* Does this system's SDDL parser turn text into a descriptor without a
 * DACL (or with a NULL one), which would let everyone in? */
static int parses_to_no_dacl(const char *sddl)
{
    PSECURITY_DESCRIPTOR sd = NULL;
    assert_true(
        ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &sd, NULL));
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = NULL;
    assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
    LocalFree(sd);
    return !present || dacl == NULL;
}

static void sddl_without_a_real_dacl_is_einval(void **state)
{
    (void)state;
    const char *open_door[] = {
        "O:SY",                /* no DACL at all */
        "",                    /* nothing at all */
        "D:NO_ACCESS_CONTROL", /* a NULL DACL on Windows */
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof open_door / sizeof open_door[0]; i++) {
        /* Wine 8 parses NO_ACCESS_CONTROL to an empty DACL (deny all),
         * which is safe and accepted; only real open doors are checked. */
        if (parses_to_no_dacl(open_door[i])) {
            assert_refused(open_door[i]);
            checked++;
        }
    }
    assert_true(checked >= 2);
}

int main(void)
{
    T = wq_transport_native();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_dacl_is_protected_and_minimal_on_every_instance),
        cmocka_unit_test(custom_sddl_is_what_the_pipe_carries),
        cmocka_unit_test(malformed_sddl_is_einval),
        cmocka_unit_test(sddl_without_a_real_dacl_is_einval),
    };
    return cmocka_run_group_tests_name("npipe.security", tests, NULL, NULL);
}
