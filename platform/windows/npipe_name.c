/* npipe_name.c (Windows) — endpoint names of the npipe backend.
 *
 * A plain name becomes \\.\pipe\<name> (docs/protocol.md "Endpoint names"); a
 * name with a separator is used as given, so it must already be a local
 * pipe name. The name part may hold any character but a backslash and the
 * whole name is at most 256 characters (WPR-10, CreateNamedPipe's rules);
 * checking here gives the caller WQ_EINVAL or WQ_ENAMETOOLONG instead of an
 * obscure error from the first OS call. Names are UTF-8 on our side and
 * UTF-16 for the W functions.
 */
#include <string.h>

#include "npipe_int.h"

static const char pipe_prefix[] = "\\\\.\\pipe\\";
#define PIPE_PREFIX_LEN (sizeof pipe_prefix - 1)

/* ASCII case-insensitive prefix test: the object manager compares
 * \\.\PIPE\ and \\.\pipe\ alike. */
static int has_pipe_prefix(const char *name)
{
    for (size_t i = 0; i < PIPE_PREFIX_LEN; i++) {
        char a = name[i];
        char b = pipe_prefix[i];
        if (a >= 'A' && a <= 'Z') {
            a = (char)(a - 'A' + 'a');
        }
        if (a != b) {
            return 0; /* also stops at the NUL of a short name */
        }
    }
    return 1;
}

/* UTF-16 length of a UTF-8 string, or -1 if it is not valid UTF-8. */
static int utf16_length(const char *s)
{
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    return n > 0 ? n - 1 : -1;
}

wq_err wqi_npipe_resolve(const char *name, char *buf, size_t size)
{
    const int plain = strpbrk(name, "/\\") == NULL;
    if (!plain && !has_pipe_prefix(name)) {
        return WQ_EINVAL; /* a path, but not to a pipe */
    }
    const char *part = plain ? name : name + PIPE_PREFIX_LEN;
    if (part[0] == '\0' || strchr(part, '\\') != NULL) {
        return WQ_EINVAL;
    }
    int wide = utf16_length(part);
    if (wide < 0) {
        return WQ_EINVAL;
    }
    if ((size_t)wide + PIPE_PREFIX_LEN > WQI_NPIPE_NAME_MAX) {
        return WQ_ENAMETOOLONG;
    }
    size_t need = (plain ? PIPE_PREFIX_LEN : 0) + strlen(name) + 1;
    if (need > size) {
        return WQ_ENAMETOOLONG; /* refused, never truncated */
    }
    if (plain) {
        memcpy(buf, pipe_prefix, PIPE_PREFIX_LEN);
        memcpy(buf + PIPE_PREFIX_LEN, name, strlen(name) + 1);
    } else {
        memcpy(buf, name, need);
    }
    return WQ_OK;
}

wq_err wqi_npipe_wide_name(const char *endpoint, WCHAR out[WQI_NPIPE_NAME_MAX + 1])
{
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, endpoint, -1, out,
                            WQI_NPIPE_NAME_MAX + 1) > 0) {
        return WQ_OK;
    }
    return GetLastError() == ERROR_INSUFFICIENT_BUFFER ? WQ_ENAMETOOLONG : WQ_EINVAL;
}
