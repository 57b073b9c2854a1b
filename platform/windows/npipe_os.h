/* npipe_os.h — the operating-system calls of the npipe backend, as a seam
 * (internal).
 *
 * The backend makes every named-pipe call through this table instead of
 * calling Win32 directly, so that tests can put a wrapper in front of one
 * entry — to record the flags the backend passes (checklist T-WPS-e) or to
 * inject a failure (BI-4) — and forward to the real function. Link-time
 * wrapping cannot do that on Windows: mingw reaches Win32 through __imp_
 * import pointers and MSVC has no --wrap.
 *
 * The table starts out pointing at the real functions. Tests change entries
 * only while no other thread uses the backend, and put them back after.
 */
#ifndef WQI_NPIPE_OS_H
#define WQI_NPIPE_OS_H

#include "platform_types.h" /* <windows.h>, lean */

#include <aclapi.h> /* GetSecurityInfo, SE_OBJECT_TYPE */

/* The long signatures, named so that the table below stays readable. */
typedef HANDLE(WINAPI *wqi_npipe_CreateNamedPipeW_fn)(LPCWSTR name, DWORD open_mode,
                                                      DWORD pipe_mode, DWORD max_instances,
                                                      DWORD out_size, DWORD in_size,
                                                      DWORD default_timeout,
                                                      LPSECURITY_ATTRIBUTES sa);
typedef HANDLE(WINAPI *wqi_npipe_CreateFileW_fn)(LPCWSTR name, DWORD access, DWORD share,
                                                 LPSECURITY_ATTRIBUTES sa, DWORD disposition,
                                                 DWORD flags_and_attributes, HANDLE template_file);
typedef BOOL(WINAPI *wqi_npipe_SetNamedPipeHandleState_fn)(HANDLE pipe, LPDWORD mode,
                                                           LPDWORD max_collection,
                                                           LPDWORD collect_timeout);
typedef BOOL(WINAPI *wqi_npipe_PeekNamedPipe_fn)(HANDLE pipe, LPVOID buf, DWORD size, LPDWORD read,
                                                 LPDWORD avail, LPDWORD left_this_message);
typedef BOOL(WINAPI *wqi_npipe_GetTokenInformation_fn)(HANDLE token, TOKEN_INFORMATION_CLASS cls,
                                                       LPVOID info, DWORD size, PDWORD got);
typedef BOOL(WINAPI *wqi_npipe_GetProcessTimes_fn)(HANDLE process, LPFILETIME creation,
                                                   LPFILETIME exit, LPFILETIME kernel,
                                                   LPFILETIME user);
typedef DWORD(WINAPI *wqi_npipe_GetSecurityInfo_fn)(HANDLE h, SE_OBJECT_TYPE type,
                                                    SECURITY_INFORMATION info, PSID *owner,
                                                    PSID *group, PACL *dacl, PACL *sacl,
                                                    PSECURITY_DESCRIPTOR *sd);
typedef BOOL(WINAPI *wqi_npipe_LookupAccountNameW_fn)(LPCWSTR system, LPCWSTR name, PSID sid,
                                                      LPDWORD sid_size, LPWSTR domain,
                                                      LPDWORD domain_size, PSID_NAME_USE use);
typedef BOOL(WINAPI *wqi_npipe_LookupAccountSidW_fn)(LPCWSTR system, PSID sid, LPWSTR name,
                                                     LPDWORD name_size, LPWSTR domain,
                                                     LPDWORD domain_size, PSID_NAME_USE use);

struct wqi_npipe_os {
    wqi_npipe_CreateNamedPipeW_fn CreateNamedPipeW;
    wqi_npipe_CreateFileW_fn CreateFileW;
    BOOL(WINAPI *ConnectNamedPipe)(HANDLE pipe, LPOVERLAPPED ov);
    BOOL(WINAPI *DisconnectNamedPipe)(HANDLE pipe);
    BOOL(WINAPI *WaitNamedPipeW)(LPCWSTR name, DWORD timeout_ms);
    wqi_npipe_SetNamedPipeHandleState_fn SetNamedPipeHandleState;
    wqi_npipe_PeekNamedPipe_fn PeekNamedPipe;
    BOOL(WINAPI *ReadFile)(HANDLE h, LPVOID buf, DWORD size, LPDWORD got, LPOVERLAPPED ov);
    BOOL(WINAPI *WriteFile)(HANDLE h, LPCVOID buf, DWORD size, LPDWORD put, LPOVERLAPPED ov);
    BOOL(WINAPI *ImpersonateNamedPipeClient)(HANDLE pipe);
    BOOL(WINAPI *RevertToSelf)(void);
    BOOL(WINAPI *GetNamedPipeClientProcessId)(HANDLE pipe, PULONG pid);
    BOOL(WINAPI *GetNamedPipeServerProcessId)(HANDLE pipe, PULONG pid);
    /* Who runs a process, and who owns a pipe: the client's trust checks
     * (npipe_trust.c) and the peer's SID. A test can make a server look
     * like someone else's here, which Wine cannot arrange for real. */
    HANDLE(WINAPI *OpenProcess)(DWORD access, BOOL inherit, DWORD pid);
    BOOL(WINAPI *OpenProcessToken)(HANDLE process, DWORD access, PHANDLE token);
    wqi_npipe_GetTokenInformation_fn GetTokenInformation;
    wqi_npipe_GetProcessTimes_fn GetProcessTimes;
    wqi_npipe_GetSecurityInfo_fn GetSecurityInfo;
    wqi_npipe_LookupAccountNameW_fn LookupAccountNameW;
    wqi_npipe_LookupAccountSidW_fn LookupAccountSidW;
};

/* The table the backend calls through; initialised to the real functions. */
extern struct wqi_npipe_os wqi_npipe_os;

#endif /* WQI_NPIPE_OS_H */
