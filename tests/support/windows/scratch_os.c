/* scratch_os.c (Windows) — pipe names unique to the run, and a directory
 * under %TEMP% for files a test needs beside the pipe (pid files). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "scratch_os.h"

const char wqt_scratch_os_sep = '\\';

void wqt_scratch_os_make(wqt_scratch *s, const char *tag, unsigned long long pid, unsigned long id)
{
    /* The tick count keeps names from two runs with a recycled pid apart. */
    unsigned long long tick = (unsigned long long)GetTickCount64();
    wqt_scratch_fmt(s->endpoint, sizeof s->endpoint, "wqtest-%s-%llu-%lu-%llu", tag, pid, id, tick);
    char tmp[MAX_PATH];
    DWORD n = GetTempPathA(sizeof tmp, tmp);
    if (n == 0 || n >= sizeof tmp) {
        wqt_scratch_fail("GetTempPath failed");
    }
    wqt_scratch_fmt(s->dir, sizeof s->dir, "%swqt-%llu-%lu-%llu", tmp, pid, id, tick);
    if (!CreateDirectoryA(s->dir, NULL)) {
        wqt_scratch_fail("CreateDirectory failed");
    }
}

/* Tests leave only files here, no subdirectories. */
void wqt_scratch_os_remove_tree(const char *dir)
{
    char pattern[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_fmt(pattern, sizeof pattern, "%s\\*", dir);
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                char path[WQ_ENDPOINT_MAX * 2];
                wqt_scratch_fmt(path, sizeof path, "%s\\%s", dir, fd.cFileName);
                DeleteFileA(path);
            }
        } while (FindNextFileA(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryA(dir);
}
