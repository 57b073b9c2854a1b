/* process.c (Windows) — identity of this process, environment. */
#include <stdlib.h>
#include <string.h>

#include "platform.h" /* windows.h first: sddl.h needs its types */

#include <sddl.h>

uint64_t wqi_process_id(void)
{
    return (uint64_t)GetCurrentProcessId();
}

int wqi_process_ugid(uint32_t *uid, uint32_t *gid)
{
    *uid = 0;
    *gid = 0;
    return 0;
}

void wqi_process_sid(char *buf, size_t size)
{
    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    HANDLE token = NULL;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
        return;
    }
    /* TOKEN_USER plus the largest SID fits comfortably in this. */
    union {
        TOKEN_USER user;
        unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    DWORD got = 0;
    if (GetTokenInformation(token, TokenUser, &info, sizeof info, &got)) {
        char *s = NULL;
        if (ConvertSidToStringSidA(info.user.User.Sid, &s)) {
            if (strlen(s) < size) {
                memcpy(buf, s, strlen(s) + 1);
            }
            LocalFree(s);
        }
    }
    CloseHandle(token);
}

const char *wqi_getenv(const char *name)
{
    return getenv(name);
}
