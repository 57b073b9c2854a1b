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
static int reserve_from_heap; /* reserve came from malloc, not the OS */
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

/* Give the block back where it came from (lock not needed: it is ours). */
static void reserve_free(void *block, int from_heap)
{
    if (from_heap) {
        free(block);
    } else {
        wqi_os_block_free(block, WQI_ALLOC_RESERVE_SIZE);
    }
}

int wqi_alloc_reserve_spend(void)
{
    wqi_once_run(&reserve_once, reserve_init);
    wqi_mutex_lock(&reserve_lock);
    void *block = reserve;
    int from_heap = reserve_from_heap;
    reserve = NULL;
    if (block != NULL) {
        wqi_atomic_set(&spent, 1);
    }
    wqi_mutex_unlock(&reserve_lock);
    reserve_free(block, from_heap);
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

/* Take the block (lock held). From the OS first, not the heap: the heap
 * could keep a freed block for itself (glibc raises its mmap threshold
 * after freeing a large block, and the next one then comes from an
 * arena), and the reserve should go back where a thread's stack can use
 * it too. But memory freed by PURGE or DELETE may stay with the heap (it
 * keeps what it got), where only malloc can have it again: then a block
 * from the heap is the reserve, and memory counts as available again.
 * Failing here spends nothing. The seam applies, so tests can keep memory
 * short. */
static void *reserve_take(void)
{
    if (refused(WQI_ALLOC_RESERVE_SIZE)) {
        return NULL;
    }
    void *p = wqi_os_block_alloc(WQI_ALLOC_RESERVE_SIZE);
    reserve_from_heap = p == NULL;
    return p != NULL ? p : malloc(WQI_ALLOC_RESERVE_SIZE);
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
    int from_heap = 0;
    if (reserve_users > 0 && --reserve_users == 0) {
        from_heap = reserve_from_heap;
        block = reserve;
        reserve = NULL;
        wqi_atomic_set(&spent, 0);
    }
    wqi_mutex_unlock(&reserve_lock);
    reserve_free(block, from_heap);
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
