/* npipe_err.c (Windows) — Win32 error codes to wq_err.
 *
 * The only place the npipe backend turns a GetLastError() value into the
 * library's vocabulary (DESIGN: nothing above a backend sees it), so that
 * every call site maps the same code the same way. Codes whose meaning
 * depends on the call are handled where they occur.
 */
#include "npipe_int.h"

wq_err wqi_npipe_err(DWORD code)
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
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_NONPAGED_SYSTEM_RESOURCES:
        return WQ_ENOMEM;
    case ERROR_FILENAME_EXCED_RANGE:
        return WQ_ENAMETOOLONG;
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
