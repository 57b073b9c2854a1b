/* thread.c (Windows) — SRW locks, condition variables, threads, clock. */
#include <process.h>
#include <stdlib.h>

#include "platform.h"

void wqi_mutex_init(wqi_mutex *m)
{
    InitializeSRWLock(&m->l);
}

void wqi_mutex_destroy(wqi_mutex *m)
{
    (void)m; /* SRW locks need no cleanup */
}

void wqi_mutex_lock(wqi_mutex *m)
{
    AcquireSRWLockExclusive(&m->l);
}

void wqi_mutex_unlock(wqi_mutex *m)
{
    ReleaseSRWLockExclusive(&m->l);
}

void wqi_cond_init(wqi_cond *c)
{
    InitializeConditionVariable(&c->c);
}

void wqi_cond_destroy(wqi_cond *c)
{
    (void)c;
}

void wqi_cond_wait(wqi_cond *c, wqi_mutex *m)
{
    if (!SleepConditionVariableSRW(&c->c, &m->l, INFINITE, 0)) {
        abort(); /* cannot fail with INFINITE unless state is corrupt */
    }
}

wq_err wqi_cond_wait_until(wqi_cond *c, wqi_mutex *m, int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX) {
        wqi_cond_wait(c, m);
        return WQ_OK;
    }
    int64_t left = deadline_ms - wqi_clock_ms();
    if (left <= 0) {
        return WQ_ETIMEDOUT;
    }
    if (left > 0x7FFFFFFE) {
        left = 0x7FFFFFFE; /* below INFINITE; the caller re-checks */
    }
    if (!SleepConditionVariableSRW(&c->c, &m->l, (DWORD)left, 0)) {
        if (GetLastError() != ERROR_TIMEOUT) {
            abort();
        }
        return wqi_clock_ms() >= deadline_ms ? WQ_ETIMEDOUT : WQ_OK;
    }
    return WQ_OK;
}

void wqi_cond_signal(wqi_cond *c)
{
    WakeConditionVariable(&c->c);
}

void wqi_cond_broadcast(wqi_cond *c)
{
    WakeAllConditionVariable(&c->c);
}

/* InitOnceExecuteOnce hands its Parameter to the callback; we pass the
 * address of the caller's function pointer (valid for the whole call). */
static BOOL CALLBACK once_trampoline(PINIT_ONCE once, PVOID param, PVOID *context)
{
    (void)once;
    (void)context;
    void (**fn)(void) = param;
    (*fn)();
    return TRUE;
}

void wqi_once_run(wqi_once *once, void (*fn)(void))
{
    if (!InitOnceExecuteOnce(&once->once, once_trampoline, (PVOID)&fn, NULL)) {
        abort();
    }
}

static unsigned __stdcall thread_main(void *arg)
{
    wqi_thread *t = arg;
    t->fn(t->arg);
    return 0;
}

wq_err wqi_thread_start(wqi_thread *t, wqi_thread_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    /* _beginthreadex, not CreateThread, so the C runtime is set up for the
     * new thread. */
    uintptr_t h = _beginthreadex(NULL, WQI_THREAD_STACK_SIZE, thread_main, t,
                                 STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
    if (h == 0) {
        return WQ_ENOMEM;
    }
    t->h = (HANDLE)h;
    return WQ_OK;
}

void wqi_thread_join(wqi_thread *t)
{
    WaitForSingleObject(t->h, INFINITE);
    CloseHandle(t->h);
    t->h = NULL;
}

int64_t wqi_clock_ms(void)
{
    return (int64_t)GetTickCount64();
}

void wqi_sleep_ms(int ms)
{
    Sleep((DWORD)(ms < 0 ? 0 : ms));
}

int wqi_atomic_get(wqi_atomic_int *a)
{
    /* Compare-exchange with equal values: a full-barrier read. */
    return (int)InterlockedCompareExchange(&a->v, 0, 0);
}

void wqi_atomic_set(wqi_atomic_int *a, int v)
{
    InterlockedExchange(&a->v, (LONG)v);
}
