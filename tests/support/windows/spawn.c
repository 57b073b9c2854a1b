/* spawn.c (Windows) — run programs for the process tests (test support
 * only). Standard handles are inheritable temporary files that delete
 * themselves when the last handle closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h" /* windows.h */

#include "proc.h"

struct wqt_proc {
    PROCESS_INFORMATION pi;
    char program[64];
    HANDLE out;
    HANDLE err;
};

static void die(const char *what)
{
    fprintf(stderr, "spawn: %s: error %lu\n", what, (unsigned long)GetLastError());
    abort();
}

static HANDLE temp_file(void)
{
    wchar_t dir[MAX_PATH], path[MAX_PATH];
    if (GetTempPathW(MAX_PATH, dir) == 0 || GetTempFileNameW(dir, L"wqt", 0, path) == 0) {
        die("temporary file name");
    }
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE}; /* inherited by the child */
    HANDLE h = CreateFileW(
        path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
        &sa, CREATE_ALWAYS, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        die("temporary file");
    }
    return h;
}

static char *slurp(HANDLE h, size_t *len)
{
    LARGE_INTEGER size;
    LARGE_INTEGER zero = {0};
    if (!GetFileSizeEx(h, &size) || !SetFilePointerEx(h, zero, NULL, FILE_BEGIN)) {
        die("output size");
    }
    char *buf = malloc((size_t)size.QuadPart + 1);
    DWORD got = 0;
    if (buf == NULL || !ReadFile(h, buf, (DWORD)size.QuadPart, &got, NULL)) {
        die("read output");
    }
    buf[got] = '\0';
    *len = got;
    CloseHandle(h);
    return buf;
}

/* Append one argument to a command line, quoted the way
 * CommandLineToArgvW and the C runtime split it. */
static void append_arg(wchar_t *cmd, size_t cap, const char *arg)
{
    wchar_t w[1024];
    if (MultiByteToWideChar(CP_UTF8, 0, arg, -1, w, 1024) == 0) {
        die("argument");
    }
    size_t n = wcslen(cmd);
    if (n > 0 && n + 1 < cap) {
        cmd[n++] = L' ';
    }
    if (n + 1 < cap) {
        cmd[n++] = L'"';
    }
    size_t backslashes = 0;
    for (const wchar_t *p = w; *p != L'\0' && n + 4 < cap; p++) {
        if (*p == L'\\') {
            backslashes++;
        } else {
            /* Backslashes before a quote are doubled, and the quote escaped. */
            if (*p == L'"') {
                for (size_t i = 0; i <= backslashes && n + 2 < cap; i++) {
                    cmd[n++] = L'\\';
                }
            }
            backslashes = 0;
        }
        cmd[n++] = *p;
    }
    for (size_t i = 0; i < backslashes && n + 2 < cap; i++) {
        cmd[n++] = L'\\'; /* before the closing quote */
    }
    if (n + 1 < cap) {
        cmd[n++] = L'"';
    }
    cmd[n] = L'\0';
}

static wqt_proc *start(const char *program, const char *const *args, HANDLE in, DWORD flags)
{
    char exe[512];
    snprintf(exe, sizeof exe, "%s.exe", program);
    static wchar_t cmd[32768];
    cmd[0] = L'\0';
    append_arg(cmd, 32768, exe);
    for (size_t i = 0; args[i] != NULL; i++) {
        append_arg(cmd, 32768, args[i]);
    }
    wqt_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        die("calloc");
    }
    snprintf(p->program, sizeof p->program, "%s", program);
    p->out = temp_file();
    p->err = temp_file();
    STARTUPINFOW si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in;
    si.hStdOutput = p->out;
    si.hStdError = p->err;
    /* Wine's CreateProcess has been seen to fail now and then with
     * ERROR_INTERNAL_ERROR (1359) while other test processes start and
     * stop; the same call then succeeds. Only that error is retried, a few
     * times, so that a real failure still stops the test at once. */
    int started = 0;
    for (int attempt = 0; attempt < 5 && !started; attempt++) {
        started = CreateProcessW(NULL, cmd, NULL, NULL, TRUE, flags, NULL, NULL, &si, &p->pi) != 0;
        if (!started && GetLastError() != ERROR_INTERNAL_ERROR) {
            break;
        }
        if (!started) {
            Sleep(50); /* a retry interval, not synchronisation */
        }
    }
    if (!started) {
        die(exe);
    }
    CloseHandle(p->pi.hThread);
    return p;
}

static void collect(wqt_proc *p, wqt_output *out)
{
    wqt_proc_untrack(p);
    DWORD code = 1;
    WaitForSingleObject(p->pi.hProcess, INFINITE);
    GetExitCodeProcess(p->pi.hProcess, &code);
    CloseHandle(p->pi.hProcess);
    out->status = (int)code;
    out->out = slurp(p->out, &out->out_len);
    out->err = slurp(p->err, &out->err_len);
    free(p);
}

void wqt_run(const char *program, const char *const *args, const void *in, size_t in_len,
             wqt_output *out)
{
    HANDLE h = temp_file();
    DWORD wrote = 0;
    LARGE_INTEGER zero = {0};
    if ((in_len > 0 && (!WriteFile(h, in, (DWORD)in_len, &wrote, NULL) || wrote != in_len)) ||
        !SetFilePointerEx(h, zero, NULL, FILE_BEGIN)) {
        die("write input");
    }
    wqt_proc *p = start(program, args, h, 0);
    CloseHandle(h);
    collect(p, out);
}

wqt_proc *wqt_proc_start(const char *program, const char *const *args)
{

    HANDLE h = temp_file(); /* empty input */
    /* Its own process group, so that Ctrl-Break reaches it alone. */
    wqt_proc *p = start(program, args, h, CREATE_NEW_PROCESS_GROUP);
    CloseHandle(h);
    wqt_proc_track(p);
    return p;
}

void wqt_proc_kill(wqt_proc *p)
{
    TerminateProcess(p->pi.hProcess, 1); /* fails only if it has exited */
}

void wqt_proc_stop(wqt_proc *p)
{
    /* Ctrl-Break needs a console shared with the child, which CTest and
     * Wine do not give; then use the program's stop event (workqd's
     * Local\workqd-stop-<pid>). */
    if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, p->pi.dwProcessId)) {
        return;
    }
    wchar_t name[96];
    swprintf(name, 96, L"Local\\%hs-stop-%lu", p->program, (unsigned long)p->pi.dwProcessId);
    HANDLE ev = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
    if (ev == NULL || !SetEvent(ev)) {
        die("stop event");
    }
    CloseHandle(ev);
}

int wqt_proc_running(wqt_proc *p)
{
    return WaitForSingleObject(p->pi.hProcess, 0) == WAIT_TIMEOUT;
}

void wqt_proc_wait(wqt_proc *p, wqt_output *out)
{
    collect(p, out);
}
