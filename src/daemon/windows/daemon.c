/* daemon.c (Windows) — console stop events, pid file, timestamps for
 * workqd. (Running under the Service Control Manager is separate.) */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* How a console workqd is asked to stop: Ctrl-C, Ctrl-Break or closing the
 * console — and, for tools and tests that share no console with it (Wine
 * cannot deliver console events to a process without a real console), the
 * named event Local\workqd-stop-<pid>, in the manner of Apache's
 * per-process shutdown events. The console handler runs on a thread the
 * system creates and only sets that event; the main thread waits on it. */
static HANDLE stop_handle;
static volatile LONG stop_reason = -1; /* the console event, or -1 */

static BOOL WINAPI on_console_event(DWORD event)
{
    switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        InterlockedCompareExchange(&stop_reason, (LONG)event, -1);
        SetEvent(stop_handle);
        return TRUE;
    default:
        return FALSE;
    }
}

void wqd_init_signals(void)
{
    /* Created first thing, so it exists before anyone can see the server
     * answer and try to stop it. */
    wchar_t name[64];
    swprintf(name, 64, L"Local\\workqd-stop-%lu", (unsigned long)GetCurrentProcessId());
    stop_handle = CreateEventW(NULL, TRUE, FALSE, name);
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

void wqd_init_heap(void)
{
    /* The Windows heap decommits large free blocks by itself; see daemon.h. */
}

/* No per-process descriptor limit to raise: the handle table grows as
 * needed (daemon.h). */
wq_err wqd_fd_limit_raise(uint64_t needed, uint64_t *before, uint64_t *after, uint64_t *hard)
{
    *before = *after = *hard = needed;
    return WQ_OK;
}

const char *wqd_wait_for_stop(wq_server *s)
{
    (void)s;
    if (stop_handle == NULL) {
        /* Could not create the event: console events alone remain. */
        stop_handle = CreateEventW(NULL, TRUE, FALSE, NULL);
    }
    WaitForSingleObject(stop_handle, INFINITE);
    switch (stop_reason) {
    case CTRL_C_EVENT:
        return "Ctrl-C";
    case CTRL_BREAK_EVENT:
        return "Ctrl-Break";
    case CTRL_CLOSE_EVENT:
        return "console closed";
    case CTRL_SHUTDOWN_EVENT:
        return "system shutdown";
    default:
        return "stop event";
    }
}

struct wqd_pidfile {
    HANDLE h;
    wchar_t path[MAX_PATH];
};

/* A pid file another process holds open is "in use", which the general
 * translation cannot know. */
static wq_err pidfile_err(DWORD e)
{
    if (e == ERROR_SHARING_VIOLATION || e == ERROR_LOCK_VIOLATION) {
        return WQ_EADDRINUSE;
    }
    return wq_err_from_os((long)e);
}

wq_err wqd_pidfile_open(const char *path, wqd_pidfile **out, unsigned long *other_pid)
{
    *out = NULL;
    *other_pid = 0;
    wchar_t wpath[MAX_PATH];
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath, MAX_PATH) == 0) {
        return WQ_EINVAL;
    }
    wqd_pidfile *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return WQ_ENOMEM;
    }
    /* Readers welcome, writers not: a second workqd fails to open it while
     * we run (sharing violation). Not FILE_FLAG_DELETE_ON_CLOSE: that would
     * make every reader need FILE_SHARE_DELETE, so `type workqd.pid` would
     * fail. A file left by a crash is simply overwritten next time. */
    p->h = CreateFileW(wpath, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, NULL);
    if (p->h == INVALID_HANDLE_VALUE) {
        wq_err err = pidfile_err(GetLastError());
        free(p);
        return err;
    }
    memcpy(p->path, wpath, sizeof wpath);
    *out = p;
    return WQ_OK;
}

wq_err wqd_pidfile_write(wqd_pidfile *p)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%lu\n", (unsigned long)GetCurrentProcessId());
    DWORD written = 0;
    /* Flushed so that readers see it while we run. */
    if (n < 0 || !WriteFile(p->h, text, (DWORD)n, &written, NULL) || written != (DWORD)n ||
        !FlushFileBuffers(p->h)) {
        return pidfile_err(GetLastError());
    }
    return WQ_OK;
}

void wqd_pidfile_close(wqd_pidfile *p)
{
    if (p != NULL) {
        CloseHandle(p->h);
        DeleteFileW(p->path);
        free(p);
    }
}

void wqd_timestamp(char *buf, size_t size)
{
    SYSTEMTIME t;
    GetSystemTime(&t);
    snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)t.wYear,
             (unsigned)t.wMonth, (unsigned)t.wDay, (unsigned)t.wHour, (unsigned)t.wMinute,
             (unsigned)t.wSecond, (unsigned)t.wMilliseconds);
}

/* systemd's notify and socket-activation protocols have no Windows
 * counterpart (daemon.h); the SCM's status reports are the service code's. */
wq_err wqd_notify(const char *state)
{
    (void)state;
    return WQ_OK;
}

wq_err wqd_inherited_listener(wq_listener **out, char *name, size_t size)
{
    *out = NULL;
    if (size > 0) {
        name[0] = '\0';
    }
    return WQ_ENOENT;
}

wq_err wqd_group_id(const char *name, uint32_t *gid)
{
    (void)name;
    (void)gid;
    return WQ_EINVAL; /* no Unix groups: --socket-group is POSIX-only */
}

unsigned long wqd_pid(void)
{
    return (unsigned long)GetCurrentProcessId();
}
