/* npipe_security.c (Windows) — who may open our pipes, and who is at the
 * other end of one.
 *
 * Every pipe instance gets an explicit, protected DACL (WPS-1); the OS
 * default would give Everyone and Anonymous read access. The default:
 *
 *   D:P                     protected: nothing inherited from elsewhere
 *   (A;;GA;;;SY)            LocalSystem: full control
 *   (A;;GA;;;BA)            Administrators: full control
 *   (A;;GA;;;<our user>)    the user running the listener: full control
 *   (A;;0x12019b;;;AU)      Authenticated Users: read and write, including
 *                           FILE_WRITE_ATTRIBUTES to switch to message read
 *                           mode (WPR-1), but not FILE_CREATE_PIPE_INSTANCE
 *                           (0x4): a client must never be able to add an
 *                           instance of our pipe and impersonate whoever
 *                           connects to it (WPS-2, CVE-2024-4877)
 *
 * No ACE names Everyone, Anonymous or NETWORK. The checklist's optional
 * leading deny for NETWORK (S-1-5-2) is left out on purpose: remote clients
 * are already refused by PIPE_REJECT_REMOTE_CLIENTS on every instance
 * (WPS-5), and a deny ACE would also lock out local programs whose token
 * carries NETWORK — workqctl run in an OpenSSH or PowerShell remoting
 * session. A deployment that wants it passes its own SDDL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "npipe_int.h" /* <windows.h> first: sddl.h needs it */
#include "npipe_os.h"
#include "platform.h"

#include <sddl.h>

#define DEFAULT_SDDL_FORMAT "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;%s)(A;;0x12019b;;;AU)"

/* The default SDDL with this process's user SID filled in. */
static wq_err default_sddl(char *buf, size_t size)
{
    char user[192];
    wqi_process_sid(user, sizeof user);
    if (user[0] == '\0') {
        return WQ_EIO; /* cannot name ourselves: better no pipe than a wrong DACL */
    }
    int n = snprintf(buf, size, DEFAULT_SDDL_FORMAT, user);
    return n > 0 && (size_t)n < size ? WQ_OK : WQ_EIO;
}

/* UTF-8 to a new UTF-16 string (wqi_free it). */
static wq_err to_wide(const char *s, WCHAR **out)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    if (n <= 0) {
        return WQ_EINVAL;
    }
    WCHAR *w = wqi_malloc((size_t)n * sizeof *w);
    if (w == NULL) {
        return WQ_ENOMEM;
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
        wqi_free(w);
        return WQ_EINVAL;
    }
    *out = w;
    return WQ_OK;
}

/* A descriptor without a DACL, or with a NULL one, grants everyone full
 * access; "explicit DACL always" (WPS-1) refuses both, whoever wrote it. */
static int has_real_dacl(PSECURITY_DESCRIPTOR sd)
{
    BOOL present = FALSE;
    BOOL defaulted = FALSE;
    PACL dacl = NULL;
    return GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) && present && dacl != NULL;
}

wq_err wqi_npipe_sd_create(const char *sddl, PSECURITY_DESCRIPTOR *out)
{
    *out = NULL;
    char fallback[512];
    if (sddl == NULL) {
        wq_err err = default_sddl(fallback, sizeof fallback);
        if (err != WQ_OK) {
            return err;
        }
        sddl = fallback;
    }
    WCHAR *wide = NULL;
    wq_err err = to_wide(sddl, &wide);
    if (err != WQ_OK) {
        return err;
    }
    PSECURITY_DESCRIPTOR sd = NULL;
    BOOL ok =
        ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &sd, NULL);
    DWORD code = ok ? ERROR_SUCCESS : GetLastError();
    wqi_free(wide);
    if (!ok) {
        /* Whatever the parser says about malformed text, it is bad opts. */
        return wq_err_from_os((long)code) == WQ_ENOMEM ? WQ_ENOMEM : WQ_EINVAL;
    }
    if (!has_real_dacl(sd)) {
        LocalFree(sd);
        return WQ_EINVAL;
    }
    *out = sd;
    return WQ_OK;
}

void wqi_npipe_sd_free(PSECURITY_DESCRIPTOR sd)
{
    if (sd != NULL) {
        LocalFree(sd);
    }
}

/* The user SID of a token as a string. */
static int token_user_sid(HANDLE token, char *buf, size_t size)
{
    /* TOKEN_USER plus the largest SID fits in this. */
    union {
        TOKEN_USER user;
        unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    DWORD got = 0;
    if (!wqi_npipe_os.GetTokenInformation(token, TokenUser, &info, sizeof info, &got)) {
        return 0;
    }
    return wqi_npipe_sid_text(info.user.User.Sid, buf, size);
}

int wqi_npipe_sid_text(PSID sid, char *buf, size_t size)
{
    buf[0] = '\0';
    char *s = NULL;
    if (sid == NULL || !IsValidSid(sid) || !ConvertSidToStringSidA(sid, &s)) {
        return 0;
    }
    size_t n = strlen(s);
    int ok = n < size;
    if (ok) {
        memcpy(buf, s, n + 1);
    }
    LocalFree(s);
    return ok;
}

/* WPS-8: the client's identity comes from its token, which the server can
 * open only while impersonating it. Impersonation uses the context of the
 * last message read, so on Windows this fails (ERROR_CANNOT_IMPERSONATE)
 * until one has been read; Wine allows it at once. Every return is checked:
 * if RevertToSelf failed, this thread would go on running as the client,
 * and no library call can be allowed to do that — the process stops. */
int wqi_npipe_client_token_sid(HANDLE pipe, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!wqi_npipe_os.ImpersonateNamedPipeClient(pipe)) {
        return 0;
    }
    HANDLE token = NULL;
    /* OpenAsSelf: the access check uses our own context, since an
     * identification-level token (SECURITY_IDENTIFICATION, WPS-6) cannot
     * be used for one. */
    BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
    if (!wqi_npipe_os.RevertToSelf()) {
        abort();
    }
    if (!opened) {
        return 0;
    }
    int ok = token_user_sid(token, buf, size);
    CloseHandle(token);
    return ok;
}

/* 1 if a is later than b. */
static int filetime_after(const FILETIME *a, const FILETIME *b)
{
    ULARGE_INTEGER x;
    ULARGE_INTEGER y;
    x.LowPart = a->dwLowDateTime;
    x.HighPart = a->dwHighDateTime;
    y.LowPart = b->dwLowDateTime;
    y.HighPart = b->dwHighDateTime;
    return x.QuadPart > y.QuadPart;
}

int wqi_npipe_process_sid(DWORD pid, const FILETIME *not_after, char *buf, size_t size)
{
    buf[0] = '\0';
    HANDLE process = wqi_npipe_os.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (process == NULL) {
        return 0;
    }
    int ok = 1;
    if (not_after != NULL) {
        /* A process id names whoever has it now. One created after the
         * moment the caller cares about is not the process it means. */
        FILETIME created, exited, kernel, user;
        ok = wqi_npipe_os.GetProcessTimes(process, &created, &exited, &kernel, &user) &&
             !filetime_after(&created, not_after);
    }
    HANDLE token = NULL;
    if (ok) {
        ok = wqi_npipe_os.OpenProcessToken(process, TOKEN_QUERY, &token);
    }
    if (ok) {
        ok = token_user_sid(token, buf, size);
        CloseHandle(token);
    }
    CloseHandle(process);
    return ok;
}

int wqi_npipe_owner_sid(HANDLE h, char *buf, size_t size)
{
    buf[0] = '\0';
    PSID owner = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    DWORD rc = wqi_npipe_os.GetSecurityInfo(h, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                                            NULL, NULL, NULL, &sd);
    if (rc != ERROR_SUCCESS) {
        return 0;
    }
    int ok = wqi_npipe_sid_text(owner, buf, size); /* owner points into sd */
    LocalFree(sd);
    return ok;
}
