/* thread.c (POSIX) — mutexes, condition variables, threads, clock. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

/* pthread failures on these calls mean corrupted state or a programming
 * error; carrying on would hide it, so stop at once. */
static void check(int rc)
{
    if (rc != 0) {
        abort();
    }
}

void wqi_mutex_init(wqi_mutex *m)
{
    check(pthread_mutex_init(&m->m, NULL));
}

void wqi_mutex_destroy(wqi_mutex *m)
{
    check(pthread_mutex_destroy(&m->m));
}

void wqi_mutex_lock(wqi_mutex *m)
{
    check(pthread_mutex_lock(&m->m));
}

void wqi_mutex_unlock(wqi_mutex *m)
{
    check(pthread_mutex_unlock(&m->m));
}

void wqi_cond_init(wqi_cond *c)
{
    pthread_condattr_t attr;
    check(pthread_condattr_init(&attr));
    /* Deadlines are monotonic: a wall-clock jump must not stretch a wait. */
    check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    check(pthread_cond_init(&c->c, &attr));
    pthread_condattr_destroy(&attr);
}

void wqi_cond_destroy(wqi_cond *c)
{
    check(pthread_cond_destroy(&c->c));
}

void wqi_cond_wait(wqi_cond *c, wqi_mutex *m)
{
    check(pthread_cond_wait(&c->c, &m->m));
}

wq_err wqi_cond_wait_until(wqi_cond *c, wqi_mutex *m, int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX) {
        wqi_cond_wait(c, m);
        return WQ_OK;
    }
    if (wqi_clock_ms() >= deadline_ms) {
        return WQ_ETIMEDOUT;
    }
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline_ms / 1000);
    ts.tv_nsec = (long)((deadline_ms % 1000) * 1000000);
    int rc = pthread_cond_timedwait(&c->c, &m->m, &ts);
    if (rc == ETIMEDOUT) {
        return WQ_ETIMEDOUT;
    }
    check(rc);
    return WQ_OK;
}

void wqi_cond_signal(wqi_cond *c)
{
    check(pthread_cond_signal(&c->c));
}

void wqi_cond_broadcast(wqi_cond *c)
{
    check(pthread_cond_broadcast(&c->c));
}

void wqi_once_run(wqi_once *once, void (*fn)(void))
{
    check(pthread_once(once, fn));
}

static void *thread_main(void *arg)
{
    wqi_thread *t = arg;
    t->fn(t->arg);
    return NULL;
}

wq_err wqi_thread_start(wqi_thread *t, wqi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) {
        return WQ_ENOMEM;
    }
    /* Never below what the C library needs for a thread. */
    size_t stack = WQI_THREAD_STACK_SIZE;
    if (stack < (size_t)PTHREAD_STACK_MIN) {
        stack = (size_t)PTHREAD_STACK_MIN;
    }
    t->heap_stack = NULL;
    rc = pthread_attr_setstacksize(&attr, stack);
    if (rc == 0) {
        rc = pthread_create(&t->t, &attr, thread_main, t);
    }
    if (rc == EAGAIN) {
        /* No address space for a new stack mapping (RLIMIT_AS reached, or
         * the map count): memory that the heap holds free — after a PURGE,
         * or the reserve given back (alloc.h) — cannot become a mapping,
         * but can be a stack. Without a guard page, so only then. */
        long page = sysconf(_SC_PAGESIZE);
        void *mem = NULL;
        if (page > 0 && posix_memalign(&mem, (size_t)page, stack) == 0) {
            rc = pthread_attr_setstack(&attr, mem, stack);
            if (rc == 0) {
                rc = pthread_create(&t->t, &attr, thread_main, t);
            }
            if (rc == 0) {
                t->heap_stack = mem;
            } else {
                free(mem);
            }
        }
    }
    pthread_attr_destroy(&attr);
    if (rc == EAGAIN) {
        return WQ_ENOMEM;
    }
    return rc == 0 ? WQ_OK : WQ_EIO;
}

void wqi_thread_join(wqi_thread *t)
{
    check(pthread_join(t->t, NULL));
    free(t->heap_stack); /* the thread is gone: nothing runs on it now */
    t->heap_stack = NULL;
}

int64_t wqi_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wqi_sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int wqi_atomic_get(wqi_atomic_int *a)
{
    return atomic_load_explicit(&a->v, memory_order_acquire);
}

void wqi_atomic_set(wqi_atomic_int *a, int v)
{
    atomic_store_explicit(&a->v, v, memory_order_release);
}
