/* alloc.h — the library's one allocator, and its memory reserve (internal).
 *
 * Everything workq allocates goes through these, and wq_free() releases
 * with the same heap. Tests install an observer to prove that no
 * allocation larger than a limit is made (a peer-claimed message size must
 * never become an allocation), and can make allocations fail.
 *
 * The reserve. When memory runs out (a hard limit: RLIMIT_AS or
 * RLIMIT_DATA, a Windows job's or the commit limit), the requests an
 * operator needs most — PURGE, DELETE, LIST, STATUS — must still work,
 * and a new connection must still be served. A server therefore holds a
 * block in reserve (allocated, never touched: it costs address space and
 * commit, not resident memory). The first allocation that fails gives the
 * reserve back to the heap and is tried again, and from then on the
 * reserve is "spent": the registry refuses PUBLISH (507) so that what was
 * freed goes to the requests that free memory or look. Once an
 * allocation of the reserve's size succeeds again (wqi_alloc_reserve_
 * restore, which servers call after each request while it is spent),
 * PUBLISH is accepted again. One reserve per process, shared by every
 * server in it. Thread-safe.
 */
#ifndef WQI_ALLOC_H
#define WQI_ALLOC_H

#include <stddef.h>

#include <workq/errors.h>

void *wqi_malloc(size_t size);
void *wqi_calloc(size_t n, size_t size);
void *wqi_realloc(void *p, size_t size);
void wqi_free(void *p);

/* How much a server holds in reserve: enough for LIST of tens of
 * thousands of queues (each row ~200 bytes while listed). */
#define WQI_ALLOC_RESERVE_SIZE (16u * 1024u * 1024u)

/* A server starts or stops needing the reserve. acquire holds one block of
 * WQI_ALLOC_RESERVE_SIZE while at least one user needs it (allocated on
 * the first acquire). Errors: WQ_ENOMEM (the user is then not counted).
 * Every successful acquire needs one release. */
wq_err wqi_alloc_reserve_acquire(void);
void wqi_alloc_reserve_release(void);

/* Memory ran out somewhere else than in wqi_malloc & co. (a thread's
 * stack, say): give the reserve back to the heap now, as a failed
 * allocation would. Returns 1 if it was held (worth trying again). */
int wqi_alloc_reserve_spend(void);

/* 1 while the reserve has been given back to the heap and not yet taken
 * again (memory is short): PUBLISH is to be refused. Cheap (one atomic
 * read); any thread. */
int wqi_alloc_reserve_spent(void);

/* If the reserve is spent, try to take it again; returns 1 if it was
 * spent and is held again now, 0 otherwise (not spent, or still no
 * memory). Any thread. */
int wqi_alloc_reserve_restore(void);

/* Test seam: fn (or NULL to remove) is called with the size of every
 * wqi_malloc/wqi_calloc/wqi_realloc request, from whichever thread makes it.
 * Not for production use; set it while no other thread allocates. */
typedef void (*wqi_alloc_observer)(size_t size);
void wqi_alloc_set_observer(wqi_alloc_observer fn);

/* Test seam: from now on every allocation of at least min_size bytes
 * fails (as if memory had run out), until called again with 0. Safe to
 * call while other threads allocate. min_size is at most INT_MAX. */
void wqi_alloc_fail_from(size_t min_size);

#endif /* WQI_ALLOC_H */
