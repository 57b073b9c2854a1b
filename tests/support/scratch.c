/* scratch.c — unique test endpoints and their cleanup. What differs per
 * OS (making the directory, removing what a test left) is in
 * <os>/scratch_os.c; everything else asks this file for endpoints. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "scratch.h"
#include "scratch_os.h"

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

void wqt_scratch_fail(const char *what)
{
    fprintf(stderr, "scratch: %s\n", what);
    abort();
}

void wqt_scratch_fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        wqt_scratch_fail("name too long");
    }
}

void wqt_scratch_init(wqt_scratch *s, const wq_transport *t, const char *tag)
{
    memset(s, 0, sizeof *s);
    unsigned long id = next_id();
    unsigned long long pid = (unsigned long long)wqi_process_id();
    if (t == wq_transport_mem()) {
        wqt_scratch_fmt(s->endpoint, sizeof s->endpoint, "wqtest-%s-%llu-%lu", tag, pid, id);
        return;
    }
    wqt_scratch_os_make(s, tag, pid, id);
}

void wqt_scratch_cleanup(wqt_scratch *s)
{
    if (s->dir[0] != '\0') {
        wqt_scratch_os_remove_tree(s->dir);
    }
    memset(s, 0, sizeof *s);
}

void wqt_scratch_path(const wqt_scratch *s, const char *name, char *buf, size_t size)
{
    if (s->dir[0] == '\0') {
        wqt_scratch_fail("this scratch endpoint has no directory");
    }
    wqt_scratch_fmt(buf, size, "%s%c%s", s->dir, wqt_scratch_os_sep, name);
}

const char *wqt_scratch_dir(const wqt_scratch *s)
{
    return s->dir;
}
