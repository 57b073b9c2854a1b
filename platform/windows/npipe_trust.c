/* npipe_trust.c (Windows) — a client's check of the account the server
 * runs as (trust.h; docs/protocol.md "Trust"; WPS-7).
 *
 * A pipe name is first come, first served: whoever creates
 * \\.\pipe\WorkQueueService while the service is not running receives
 * every client's requests. So before anything is sent, the client looks
 * at the server two ways and accepts if either names an account it
 * trusts:
 *
 *  - the user of the server's process (GetNamedPipeServerProcessId, then
 *    its process token), read at connect by npipe_conn.c — unless that
 *    process was created after the client opened the pipe, which means the
 *    pid was reused. A client can open the process only when the process's
 *    DACL lets it (its own processes, usually not a service's);
 *  - the owner of the pipe (GetSecurityInfo), which needs only the
 *    READ_CONTROL that every client of our default DACL has. Windows lets
 *    a creator name as owner only its own user or a group it may own
 *    (Administrators, when elevated), so the owner says who created it.
 *    Wine reports an odd owner (S-1-5-21-0-0-0-513), so there only the
 *    process check can pass; tests change either through the seam.
 *
 * Trusted by default: this process's own user; SYSTEM (S-1-5-18);
 * Administrators (S-1-5-32-544, only ever an owner: what an elevated
 * administrator or SYSTEM creates); and NT SERVICE\<pipe name>, the
 * virtual account workqd's service runs as when its service name is the
 * pipe's name (the default) — only the Service Control Manager can run a
 * process as that account, so nobody but an administrator can put it
 * there. A service under another name or account needs the caller's
 * server_account. Every OS call goes through the seam (npipe_os.h).
 */
#include <stdio.h>
#include <string.h>

#include "npipe_int.h" /* <windows.h> first: sddl.h needs it */
#include "npipe_os.h"
#include "platform.h"
#include "transport_ops.h"

#include <sddl.h>

#define SID_TEXT 192     /* "S-1-…" of the longest SID, with room to spare */
#define ACCOUNT_TEXT 640 /* "DOMAIN\name (S-1-…)" */
#define NAME_WCHARS 257

static const char system_sid[] = "S-1-5-18";
static const char admins_sid[] = "S-1-5-32-544";
static const char service_sid_prefix[] = "S-1-5-80-";

/* A SID's room, aligned as a SID must be. */
typedef union sid_buffer {
    SID sid;
    BYTE bytes[SECURITY_MAX_SID_SIZE];
} sid_buffer;

static void append(char *buf, size_t size, const char *text)
{
    size_t n = strlen(buf);
    if (n + 1 < size) {
        (void)snprintf(buf + n, size - n, "%s", text);
    }
}

static int to_wide(const char *s, WCHAR *out, int count)
{
    return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, count) > 0;
}

static int to_utf8(const WCHAR *s, char *out, int size)
{
    return WideCharToMultiByte(CP_UTF8, 0, s, -1, out, size, NULL, NULL) > 0;
}

/* An account name ("NT SERVICE\WorkQueueService", "DOMAIN\user") or a SID
 * string ("S-1-5-19") as a canonical SID string. 1 on success. */
static int account_sid(const char *account, char *sid, size_t size)
{
    sid[0] = '\0';
    WCHAR wide[NAME_WCHARS * 2];
    if (!to_wide(account, wide, NAME_WCHARS * 2)) {
        return 0;
    }
    if ((account[0] == 'S' || account[0] == 's') && strncmp(account + 1, "-1-", 3) == 0) {
        wide[0] = L'S'; /* the parser's spelling; people type "s-1-5-19" too */
        PSID p = NULL;
        if (!ConvertStringSidToSidW(wide, &p)) {
            return 0;
        }
        int ok = wqi_npipe_sid_text(p, sid, size);
        LocalFree(p);
        return ok;
    }
    sid_buffer found;
    DWORD sid_size = sizeof found;
    WCHAR domain[NAME_WCHARS];
    DWORD domain_size = NAME_WCHARS;
    SID_NAME_USE use;
    if (!wqi_npipe_os.LookupAccountNameW(NULL, wide, &found.sid, &sid_size, domain, &domain_size,
                                         &use)) {
        return 0;
    }
    return wqi_npipe_sid_text(&found.sid, sid, size);
}

/* NT SERVICE\<the pipe's name>, if the OS knows that service. */
static void service_account_sid(const char *endpoint, char *sid, size_t size)
{
    sid[0] = '\0';
    const char *name = strrchr(endpoint, '\\'); /* resolved: \\.\pipe\<name> */
    char account[NAME_WCHARS * 4];
    if (name == NULL || name[1] == '\0' ||
        snprintf(account, sizeof account, "NT SERVICE\\%s", name + 1) >= (int)sizeof account) {
        return;
    }
    if (account_sid(account, sid, size) &&
        strncmp(sid, service_sid_prefix, sizeof service_sid_prefix - 1) != 0) {
        sid[0] = '\0'; /* some other kind of account: not a service's */
    }
}

/* "DOMAIN\name (S-1-…)", or the SID alone when it has no name here. */
static void describe(const char *sid_text, char *buf, size_t size)
{
    (void)snprintf(buf, size, "%s", sid_text);
    PSID p = NULL;
    if (!ConvertStringSidToSidA(sid_text, &p)) {
        return;
    }
    WCHAR name[NAME_WCHARS];
    WCHAR domain[NAME_WCHARS];
    DWORD name_size = NAME_WCHARS;
    DWORD domain_size = NAME_WCHARS;
    SID_NAME_USE use;
    char uname[NAME_WCHARS * 4];
    char udomain[NAME_WCHARS * 4];
    if (wqi_npipe_os.LookupAccountSidW(NULL, p, name, &name_size, domain, &domain_size, &use) &&
        to_utf8(name, uname, (int)sizeof uname) && to_utf8(domain, udomain, (int)sizeof udomain)) {
        (void)snprintf(buf, size, "%s%s%s (%s)", udomain, udomain[0] != '\0' ? "\\" : "", uname,
                       sid_text);
    }
    LocalFree(p);
}

static int listed(const char *sid, const char *const *list, size_t n)
{
    for (size_t i = 0; sid[0] != '\0' && i < n; i++) {
        if (strcmp(sid, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

wq_err wqi_npipe_trust_server(wq_conn *c, const char *endpoint, const char *account, char *why,
                              size_t size)
{
    char named[SID_TEXT] = "";
    if (account != NULL && !account_sid(account, named, sizeof named)) {
        (void)snprintf(why, size, "unknown server account '%s' (an account name or a SID)",
                       account);
        return WQ_EINVAL;
    }
    char own[SID_TEXT];
    char service[SID_TEXT];
    wqi_process_sid(own, sizeof own);
    service_account_sid(endpoint, service, sizeof service);
    const char *candidates[5]; /* filled one by one: MSVC's C4204 otherwise */
    candidates[0] = named;
    candidates[1] = own;
    candidates[2] = system_sid;
    candidates[3] = admins_sid;
    candidates[4] = service;
    const char *all[5];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        if (candidates[i][0] != '\0' && !listed(candidates[i], all, n)) {
            all[n++] = candidates[i];
        }
    }

    wq_peer peer; /* client side: the server process's user, or "" */
    char owner[SID_TEXT];
    if (wq_conn_peer(c, &peer) != WQ_OK) {
        peer.sid[0] = '\0';
    }
    (void)wqi_npipe_conn_owner_sid(c, owner, sizeof owner); /* "" if unreadable */
    if (listed(peer.sid, all, n) || listed(owner, all, n)) {
        return WQ_OK;
    }

    char text[ACCOUNT_TEXT];
    why[0] = '\0';
    append(why, size, "the server at ");
    append(why, size, endpoint);
    if (peer.sid[0] != '\0') {
        describe(peer.sid, text, sizeof text);
        append(why, size, " runs as ");
        append(why, size, text);
        if (owner[0] != '\0') {
            append(why, size, " and its pipe is owned by ");
        }
    } else if (owner[0] != '\0') {
        append(why, size, " cannot be identified by its process, and its pipe is owned by ");
    } else {
        append(why, size,
               " cannot be identified (neither its process nor the owner of its "
               "pipe can be read)");
    }
    if (owner[0] != '\0') {
        describe(owner, text, sizeof text);
        append(why, size, text);
    }
    append(why, size, "; expected ");
    for (size_t i = 0; i < n; i++) {
        append(why, size, i == 0 ? "" : i + 1 < n ? ", " : " or ");
        describe(all[i], text, sizeof text);
        append(why, size, text);
    }
    return WQ_EUNTRUSTED;
}
