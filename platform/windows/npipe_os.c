/* npipe_os.c (Windows) — the real functions behind the npipe OS seam.
 *
 * The table is initialised with small forwarding functions rather than with
 * the Win32 functions themselves: the address of a dllimport function is
 * not a constant expression for MSVC (warning C4232 at /W4, an error with
 * /WX), while the address of a function defined here is. The extra call
 * costs nothing next to the system call behind it.
 */
#include "npipe_os.h"

static HANDLE WINAPI real_CreateNamedPipeW(LPCWSTR name, DWORD open_mode, DWORD pipe_mode,
                                           DWORD max_instances, DWORD out_size, DWORD in_size,
                                           DWORD default_timeout, LPSECURITY_ATTRIBUTES sa)
{
    return CreateNamedPipeW(name, open_mode, pipe_mode, max_instances, out_size, in_size,
                            default_timeout, sa);
}

static HANDLE WINAPI real_CreateFileW(LPCWSTR name, DWORD access, DWORD share,
                                      LPSECURITY_ATTRIBUTES sa, DWORD disposition,
                                      DWORD flags_and_attributes, HANDLE template_file)
{
    return CreateFileW(name, access, share, sa, disposition, flags_and_attributes, template_file);
}

static BOOL WINAPI real_ConnectNamedPipe(HANDLE pipe, LPOVERLAPPED ov)
{
    return ConnectNamedPipe(pipe, ov);
}

static BOOL WINAPI real_DisconnectNamedPipe(HANDLE pipe)
{
    return DisconnectNamedPipe(pipe);
}

static BOOL WINAPI real_WaitNamedPipeW(LPCWSTR name, DWORD timeout_ms)
{
    return WaitNamedPipeW(name, timeout_ms);
}

static BOOL WINAPI real_SetNamedPipeHandleState(HANDLE pipe, LPDWORD mode, LPDWORD max_collection,
                                                LPDWORD collect_timeout)
{
    return SetNamedPipeHandleState(pipe, mode, max_collection, collect_timeout);
}

static BOOL WINAPI real_PeekNamedPipe(HANDLE pipe, LPVOID buf, DWORD size, LPDWORD read,
                                      LPDWORD avail, LPDWORD left_this_message)
{
    return PeekNamedPipe(pipe, buf, size, read, avail, left_this_message);
}

static BOOL WINAPI real_ReadFile(HANDLE h, LPVOID buf, DWORD size, LPDWORD got, LPOVERLAPPED ov)
{
    return ReadFile(h, buf, size, got, ov);
}

static BOOL WINAPI real_WriteFile(HANDLE h, LPCVOID buf, DWORD size, LPDWORD put, LPOVERLAPPED ov)
{
    return WriteFile(h, buf, size, put, ov);
}

static BOOL WINAPI real_ImpersonateNamedPipeClient(HANDLE pipe)
{
    return ImpersonateNamedPipeClient(pipe);
}

static BOOL WINAPI real_RevertToSelf(void)
{
    return RevertToSelf();
}

static BOOL WINAPI real_GetNamedPipeClientProcessId(HANDLE pipe, PULONG pid)
{
    return GetNamedPipeClientProcessId(pipe, pid);
}

static BOOL WINAPI real_GetNamedPipeServerProcessId(HANDLE pipe, PULONG pid)
{
    return GetNamedPipeServerProcessId(pipe, pid);
}

static HANDLE WINAPI real_OpenProcess(DWORD access, BOOL inherit, DWORD pid)
{
    return OpenProcess(access, inherit, pid);
}

static BOOL WINAPI real_OpenProcessToken(HANDLE process, DWORD access, PHANDLE token)
{
    return OpenProcessToken(process, access, token);
}

static BOOL WINAPI real_GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info,
                                            DWORD size, PDWORD got)
{
    return GetTokenInformation(token, cls, info, size, got);
}

static BOOL WINAPI real_GetProcessTimes(HANDLE process, LPFILETIME creation, LPFILETIME exit,
                                        LPFILETIME kernel, LPFILETIME user)
{
    return GetProcessTimes(process, creation, exit, kernel, user);
}

static DWORD WINAPI real_GetSecurityInfo(HANDLE h, SE_OBJECT_TYPE type, SECURITY_INFORMATION info,
                                         PSID *owner, PSID *group, PACL *dacl, PACL *sacl,
                                         PSECURITY_DESCRIPTOR *sd)
{
    return GetSecurityInfo(h, type, info, owner, group, dacl, sacl, sd);
}

static BOOL WINAPI real_LookupAccountNameW(LPCWSTR system, LPCWSTR name, PSID sid, LPDWORD sid_size,
                                           LPWSTR domain, LPDWORD domain_size, PSID_NAME_USE use)
{
    return LookupAccountNameW(system, name, sid, sid_size, domain, domain_size, use);
}

static BOOL WINAPI real_LookupAccountSidW(LPCWSTR system, PSID sid, LPWSTR name, LPDWORD name_size,
                                          LPWSTR domain, LPDWORD domain_size, PSID_NAME_USE use)
{
    return LookupAccountSidW(system, sid, name, name_size, domain, domain_size, use);
}

struct wqi_npipe_os wqi_npipe_os = {
    .CreateNamedPipeW = real_CreateNamedPipeW,
    .CreateFileW = real_CreateFileW,
    .ConnectNamedPipe = real_ConnectNamedPipe,
    .DisconnectNamedPipe = real_DisconnectNamedPipe,
    .WaitNamedPipeW = real_WaitNamedPipeW,
    .SetNamedPipeHandleState = real_SetNamedPipeHandleState,
    .PeekNamedPipe = real_PeekNamedPipe,
    .ReadFile = real_ReadFile,
    .WriteFile = real_WriteFile,
    .ImpersonateNamedPipeClient = real_ImpersonateNamedPipeClient,
    .RevertToSelf = real_RevertToSelf,
    .GetNamedPipeClientProcessId = real_GetNamedPipeClientProcessId,
    .GetNamedPipeServerProcessId = real_GetNamedPipeServerProcessId,
    .OpenProcess = real_OpenProcess,
    .OpenProcessToken = real_OpenProcessToken,
    .GetTokenInformation = real_GetTokenInformation,
    .GetProcessTimes = real_GetProcessTimes,
    .GetSecurityInfo = real_GetSecurityInfo,
    .LookupAccountNameW = real_LookupAccountNameW,
    .LookupAccountSidW = real_LookupAccountSidW,
};
