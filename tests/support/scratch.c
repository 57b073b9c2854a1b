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
    fmt(s->endpoint, sizeof s->endpoint, "wqtest-%s-%llu-%lu-%llu", tag, pid, id,
        (unsigned long long)GetTickCount64());
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

void wqt_scratch_cleanup(wqt_scratch *s)
{
#ifndef _WIN32
    if (s->dir[0] != '\0') {
        remove_tree(s->dir);
    }
#endif
    memset(s, 0, sizeof *s);
}

const char *wqt_scratch_dir(const wqt_scratch *s)
{
    return s->dir;
}
