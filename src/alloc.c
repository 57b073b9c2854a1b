/* alloc.c — the library's allocator, its reserve and the test seams. */
#include <limits.h>
#include <stdlib.h>

#include <workq/transport.h>

#include "alloc.h"
#include "platform.h"

static wqi_alloc_observer observer;
static wqi_atomic_int fail_from; /* test seam; 0: off */

/* The reserve (alloc.h). The lock guards the block and the user count;
 * `spent` is also read without it, on every PUBLISH. */
static wqi_once reserve_once = WQI_ONCE_INIT;
static wqi_mutex reserve_lock;
static void *reserve;
static unsigned reserve_users;
static wqi_atomic_int spent;

static void reserve_init(void)
{
    wqi_mutex_init(&reserve_lock);
}

void wqi_alloc_set_observer(wqi_alloc_observer fn)
{
    observer = fn;
}

void wqi_alloc_fail_from(size_t min_size)
{
    wqi_atomic_set(&fail_from, min_size > INT_MAX ? INT_MAX : (int)min_size);
}

/* Observe the request; 1 if the test seam says it must fail. */
static int refused(size_t size)
{
    if (observer != NULL) {
        observer(size);
    }
    int from = wqi_atomic_get(&fail_from);
    return from > 0 && size >= (size_t)from;
}

int wqi_alloc_reserve_spend(void)
{
    wqi_once_run(&reserve_once, reserve_init);
    wqi_mutex_lock(&reserve_lock);
    void *block = reserve;
    reserve = NULL;
    if (block != NULL) {
        wqi_atomic_set(&spent, 1);
    }
    wqi_mutex_unlock(&reserve_lock);
    free(block);
    return block != NULL;
}

void *wqi_malloc(size_t size)
{
    size = size == 0 ? 1 : size;
    void *p = refused(size) ? NULL : malloc(size);
    if (p == NULL && wqi_alloc_reserve_spend() && !refused(size)) {
        p = malloc(size);
    }
    return p;
}

void *wqi_calloc(size_t n, size_t size)
{
    n = n == 0 ? 1 : n;
    size = size == 0 ? 1 : size;
    size_t total = n > ((size_t)-1) / size ? (size_t)-1 : n * size;
    void *p = refused(total) ? NULL : calloc(n, size);
    if (p == NULL && wqi_alloc_reserve_spend() && !refused(total)) {
        p = calloc(n, size);
    }
    return p;
}

void *wqi_realloc(void *p, size_t size)
{
    size = size == 0 ? 1 : size;
    void *q = refused(size) ? NULL : realloc(p, size);
    if (q == NULL && wqi_alloc_reserve_spend() && !refused(size)) {
        q = realloc(p, size);
    }
    return q;
}

void wqi_free(void *p)
{
    free(p);
}

void wq_free(void *p)
{
    wqi_free(p);
}

/* Take the block (lock held). Plain malloc: failing here must not spend
 * anything. The seam applies, so tests can keep memory "short". */
static void *reserve_take(void)
{
    return refused(WQI_ALLOC_RESERVE_SIZE) ? NULL : malloc(WQI_ALLOC_RESERVE_SIZE);
}

wq_err wqi_alloc_reserve_acquire(void)
{
    wqi_once_run(&reserve_once, reserve_init);
    wqi_mutex_lock(&reserve_lock);
    if (reserve_users == 0 && reserve == NULL) {
        reserve = reserve_take();
    }
    wq_err err = reserve_users > 0 || reserve != NULL ? WQ_OK : WQ_ENOMEM;
    if (err == WQ_OK) {
        reserve_users++;
    }
    wqi_mutex_unlock(&reserve_lock);
    return err;
}

void wqi_alloc_reserve_release(void)
{
    wqi_once_run(&reserve_once, reserve_init);
    wqi_mutex_lock(&reserve_lock);
    void *block = NULL;
    if (reserve_users > 0 && --reserve_users == 0) {
        block = reserve;
        reserve = NULL;
        wqi_atomic_set(&spent, 0);
    }
    wqi_mutex_unlock(&reserve_lock);
    free(block);
}

int wqi_alloc_reserve_spent(void)
{
    return wqi_atomic_get(&spent);
}

int wqi_alloc_reserve_restore(void)
{
    if (!wqi_atomic_get(&spent)) {
        return 0;
    }
    wqi_mutex_lock(&reserve_lock); /* initialised: spent is set under it */
    int restored = 0;
    if (reserve == NULL && reserve_users > 0) {
        reserve = reserve_take();
        restored = reserve != NULL;
    }
    if (restored || reserve_users == 0) {
        wqi_atomic_set(&spent, 0);
    }
    wqi_mutex_unlock(&reserve_lock);
    return restored;
}
