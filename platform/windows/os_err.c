/* os_err.c (Windows) — the one place where a Win32 error code becomes a
 * wq_err.
 *
 * Every backend and helper on Windows reports operating-system failures
 * through wq_err_from_os(), so every call site maps the same code the same
 * way and nothing above the transport sees GetLastError(). Codes whose
 * meaning depends on the call (ERROR_MORE_DATA, ERROR_PIPE_CONNECTED, an
 * ERROR_ACCESS_DENIED from the first pipe instance) are handled where they
 * occur, before asking this.
 *
 * The last code translated on each thread is kept, so that a log line can
 * say what Windows said beside the wq_err.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>

#include <workq/errors.h>

#include "utf8.h"

/* 0 (ERROR_SUCCESS): nothing recorded on this thread. _Thread_local is
 * C11 and MSVC knows it under /std:c11. */
static _Thread_local DWORD last_code;

static wq_err translate(DWORD code)
{
    switch (code) {
    case ERROR_SUCCESS:
        return WQ_OK;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        return WQ_ENOENT; /* no pipe of that name: no server */
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
        return WQ_EACCES;
    case ERROR_PIPE_BUSY:
        return WQ_EBUSY;
    case ERROR_BROKEN_PIPE:        /* the other end closed its handle */
    case ERROR_PIPE_NOT_CONNECTED: /* the server disconnected this instance */
    case ERROR_NO_DATA:            /* the pipe is being closed */
    case ERROR_OPERATION_ABORTED:  /* our handle was closed under the call */
        return WQ_ECLOSED;
    case ERROR_SEM_TIMEOUT:
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
        return WQ_ETIMEDOUT;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NOT_ENOUGH_QUOTA:
    case ERROR_NO_SYSTEM_RESOURCES: /* kernel pool exhausted, not handles */
    case ERROR_NONPAGED_SYSTEM_RESOURCES:
        return WQ_ENOMEM;
    /* Out of handles: as EMFILE on POSIX, something an operator can act on. */
    case ERROR_TOO_MANY_OPEN_FILES:
        return WQ_EMFILE;
    case ERROR_FILENAME_EXCED_RANGE:
        return WQ_ENAMETOOLONG;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
        return WQ_ENOTSUP;
    /* Both mean "no room for this write"; which one comes depends on
     * the call and the file system. */
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
        return WQ_ENOSPC;
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
    case ERROR_INVALID_PARAMETER:
    case ERROR_NO_UNICODE_TRANSLATION:
    case ERROR_INVALID_SECURITY_DESCR:
    case ERROR_INVALID_ACL:
    case ERROR_INVALID_SID:
    case ERROR_UNKNOWN_REVISION:
    case ERROR_NONE_MAPPED:
        return WQ_EINVAL;
    default:
        return WQ_EIO;
    }
}

wq_err wq_err_from_os(long os_code)
{
    DWORD code = (DWORD)os_code;
    if (code == ERROR_SUCCESS) {
        return WQ_OK;
    }
    last_code = code;
    return translate(code);
}

int wq_os_error_last(long *code, char *text, size_t size)
{
    DWORD c = last_code;
    if (code != NULL) {
        *code = (long)c;
    }
    if (text == NULL || size == 0) {
        return c != ERROR_SUCCESS;
    }
    text[0] = '\0';
    if (c == ERROR_SUCCESS) {
        return 0;
    }
    WCHAR wide[256];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, c, 0,
                             wide, (DWORD)(sizeof wide / sizeof wide[0]), NULL);
    /* FormatMessage ends its text with ".\r\n"; a log line wants neither. */
    while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' || wide[n - 1] == L' ' ||
                     wide[n - 1] == L'.')) {
        n--;
    }
    /* Converted whole, then cut to size by wqi_utf8_copy at a character
     * boundary: WideCharToMultiByte fails outright on a buffer too small
     * (and only measures when given none). A UTF-16 unit becomes at most
     * three bytes of UTF-8. */
    char utf8[sizeof wide / sizeof wide[0] * 3];
    int m = n == 0
                ? 0
                : WideCharToMultiByte(CP_UTF8, 0, wide, (int)n, utf8, (int)sizeof utf8, NULL, NULL);
    if (m <= 0) {
        snprintf(text, size, "Windows error %lu", (unsigned long)c);
        return 1;
    }
    wqi_utf8_copy(text, size, utf8, (size_t)m);
    return 1;
}
