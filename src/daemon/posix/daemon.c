/* daemon.c (POSIX) — stop signals, pid file (libbsd), timestamps for
 * workqd. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bsd/libutil.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "daemon.h"

struct wqd_pidfile {
    struct pidfh *fh;
};

static sigset_t stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

void wqd_init_signals(void)
{
    /* Blocked in the main thread before any other starts, so every thread
     * inherits the mask and only sigwait ever sees these signals: no
     * async handler, no async-signal-safety puzzles. */
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* A client that vanishes must cost an EPIPE, never the process. */
    signal(SIGPIPE, SIG_IGN);
}

void wqd_init_heap(void)
{
#if defined(__GLIBC__)
    /* Per-thread arenas give their heaps back to the OS as soon as a whole
     * heap is free (whatever M_TRIM_THRESHOLD says), and the connection
     * threads are where requests are allocated; one arena keeps freed
     * blocks reusable by every thread. Small blocks go through the
     * per-thread cache first, so the shared arena lock is rarely taken. A
     * fixed mmap threshold also stops glibc from mapping (and later
     * unmapping) each large block on its own. */
    (void)mallopt(M_ARENA_MAX, 1);
    (void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, (int)WQD_HEAP_RETAIN);
#endif
}

static uint64_t rlim_value(rlim_t v)
{
    return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

wq_err wqd_fd_limit_raise(uint64_t needed, uint64_t *before, uint64_t *after, uint64_t *hard)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        *before = *after = *hard = 0;
        return wq_err_from_os(errno);
    }
    *before = *after = rlim_value(rl.rlim_cur);
    *hard = rlim_value(rl.rlim_max);
    if (*before >= needed) {
        return WQ_OK;
    }
    /* As far as needed, not to the hard limit: a hard limit of a million
     * or more is common, and some libraries size tables by the soft one. */
    uint64_t want = needed < *hard ? needed : *hard;
    rl.rlim_cur = (rlim_t)want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return wq_err_from_os(errno);
    }
    *after = want;
    return want >= needed ? WQ_OK : WQ_EMFILE;
}

/* Free heap worth giving back: below this, what is free is ordinary
 * fragmentation and not worth a trim. */
#define HEAP_IDLE_MIN (16u * 1024u * 1024u)

/* Free bytes in the heap, or SIZE_MAX where that cannot be asked. */
static size_t heap_free_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    return mi.fordblks;
#else
    return SIZE_MAX;
#endif
}

/* Called every WQD_HEAP_CHECK_MS: memory that was already free at the
 * previous check and still is has not been needed for a whole interval,
 * so it goes back to the OS (kept between 10 and 20 s, like an allocator
 * with decay). The cost when a burst does come back later is one refill
 * of fresh pages. */
static void heap_check(size_t *was_free)
{
#if defined(__GLIBC__)
    size_t now = heap_free_bytes();
    if (now >= HEAP_IDLE_MIN && *was_free >= HEAP_IDLE_MIN) {
        (void)malloc_trim(0);
        now = heap_free_bytes();
    }
    *was_free = now;
#else
    (void)was_free;
#endif
}

const char *wqd_wait_for_stop(wq_server *s)
{
    (void)s; /* POSIX stops only on a signal */
    sigset_t set = stop_signals();
    struct timespec tick = {WQD_HEAP_CHECK_MS / 1000, 0};
    size_t was_free = 0;
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) {
            return sig == SIGINT ? "SIGINT" : "SIGTERM";
        }
        if (sig < 0 && errno == EAGAIN) {
            heap_check(&was_free);
        }
    }
}

/* EEXIST from pidfile_open means another process holds the file: for a
 * pid file that is "in use", which the general translation cannot know. */
static wq_err pidfile_err(int e)
{
    return e == EEXIST ? WQ_EADDRINUSE : wq_err_from_os(e);
}

wq_err wqd_pidfile_open(const char *path, wqd_pidfile **out, unsigned long *other_pid)
{
    *out = NULL;
    *other_pid = 0;
    wqd_pidfile *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return WQ_ENOMEM;
    }
    pid_t other = 0;
    p->fh = pidfile_open(path, 0644, &other);
    if (p->fh == NULL) {
        int e = errno;
        free(p);
        *other_pid = other > 0 ? (unsigned long)other : 0;
        return pidfile_err(e);
    }
    *out = p;
    return WQ_OK;
}

wq_err wqd_pidfile_write(wqd_pidfile *p)
{
    return pidfile_write(p->fh) == 0 ? WQ_OK : pidfile_err(errno);
}

void wqd_pidfile_close(wqd_pidfile *p)
{
    if (p != NULL) {
        pidfile_remove(p->fh);
        free(p);
    }
}

void wqd_timestamp(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03ldZ", date, ts.tv_nsec / 1000000);
}

/* No service manager protocol of the Windows kind here (daemon.h). */
int wqd_service_main(int argc, char **argv, wqd_service_run_fn run, void *ctx)
{
    (void)argc;
    (void)argv;
    (void)run;
    (void)ctx;
    return -1;
}

void wqd_service_progress(void)
{
}

void wqd_service_running(void)
{
}

void wqd_service_stopping(void)
{
}

void wqd_service_stop_timeout(uint32_t stop_timeout_ms)
{
    (void)stop_timeout_ms;
}

int wqd_service_log(wq_log_level level, const char *line)
{
    (void)level;
    (void)line;
    return 0;
}

unsigned long wqd_pid(void)
{
    return (unsigned long)getpid();
}
