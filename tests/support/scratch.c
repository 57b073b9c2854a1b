/* scratch.c — unique test endpoints. The one test file allowed to know the
 * operating system (DESIGN.md): everything else asks it for endpoints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "platform.h"
#include "scratch.h"

static unsigned long counter;
static wqi_mutex counter_lock;
static wqi_once counter_once = WQI_ONCE_INIT;

static void counter_init(void)
{
    wqi_mutex_init(&counter_lock);
}

static unsigned long next_id(void)
{
    wqi_once_run(&counter_once, counter_init);
    wqi_mutex_lock(&counter_lock);
    unsigned long id = ++counter;
    wqi_mutex_unlock(&counter_lock);
    return id;
}

static void fail(const char *what)
{
    fprintf(stderr, "scratch: %s\n", what);
    abort();
}

static void fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        fail("name too long");
    }
}

void wqt_scratch_init(wqt_scratch *s, const wq_transport *t, const char *tag)
{
    memset(s, 0, sizeof *s);
    unsigned long id = next_id();
    unsigned long long pid = (unsigned long long)wqi_process_id();
    if (t == wq_transport_mem()) {
        fmt(s->endpoint, sizeof s->endpoint, "wqtest-%s-%llu-%lu", tag, pid, id);
        return;
    }
#ifdef _WIN32
    /* The tick count keeps names from two runs with a recycled pid apart. */
    unsigned long long tick = (unsigned long long)GetTickCount64();
    fmt(s->endpoint, sizeof s->endpoint, "wqtest-%s-%llu-%lu-%llu", tag, pid, id, tick);
    /* A directory for files a test needs beside the pipe (pid files). */
    char tmp[MAX_PATH];
    DWORD n = GetTempPathA(sizeof tmp, tmp);
    if (n == 0 || n >= sizeof tmp) {
        fail("GetTempPath failed");
    }
    fmt(s->dir, sizeof s->dir, "%swqt-%llu-%lu-%llu", tmp, pid, id, tick);
    if (!CreateDirectoryA(s->dir, NULL)) {
        fail("CreateDirectory failed");
    }
#else
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') {
        tmp = "/tmp";
    }
    char templ[WQ_ENDPOINT_MAX];
    /* Short names: socket paths are limited to 107 bytes. */
    fmt(templ, sizeof templ, "%s/wqt-XXXXXX", tmp);
    if (mkdtemp(templ) == NULL) {
        fail("mkdtemp failed");
    }
    fmt(s->dir, sizeof s->dir, "%s", templ);
    fmt(s->endpoint, sizeof s->endpoint, "%s/%s%lu.sock", s->dir, tag, id);
#endif
}

#ifndef _WIN32
/* Remove everything below and including dir; tests may leave sockets, lock
 * files and directories of their own there. Symlinks are removed, not
 * followed. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char path[WQ_ENDPOINT_MAX * 2];
            fmt(path, sizeof path, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                chmod(path, 0700); /* a test may have made it unreadable */
                remove_tree(path);
            } else {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}
#endif

#ifdef _WIN32
/* Remove the files a test left in dir, then dir. */
static void remove_tree(const char *dir)
{
    char pattern[WQ_ENDPOINT_MAX * 2];
    fmt(pattern, sizeof pattern, "%s\\*", dir);
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(pattern, &fd);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                char path[WQ_ENDPOINT_MAX * 2];
                fmt(path, sizeof path, "%s\\%s", dir, fd.cFileName);
                DeleteFileA(path);
            }
        } while (FindNextFileA(h, &fd));
        FindClose(h);
    }
    RemoveDirectoryA(dir);
}
#endif

void wqt_scratch_cleanup(wqt_scratch *s)
{
    if (s->dir[0] != '\0') {
        remove_tree(s->dir);
    }
    memset(s, 0, sizeof *s);
}

void wqt_scratch_path(const wqt_scratch *s, const char *name, char *buf, size_t size)
{
    if (s->dir[0] == '\0') {
        fail("this scratch endpoint has no directory");
    }
#ifdef _WIN32
    fmt(buf, size, "%s\\%s", s->dir, name);
#else
    fmt(buf, size, "%s/%s", s->dir, name);
#endif
}

const char *wqt_scratch_dir(const wqt_scratch *s)
{
    return s->dir;
}
