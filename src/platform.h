/* platform.h — what every platform provides to the portable code (internal).
 *
 * The portable code in src/ uses only these for threads, time and process
 * identity. platform/posix/ and platform/windows/ implement them; the build
 * puts exactly one of those folders on the include path, and its
 * platform_types.h defines the concrete types below.
 */
#ifndef WQI_PLATFORM_H
#define WQI_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "platform_types.h" /* wqi_mutex, wqi_cond, wqi_thread, wqi_once, wqi_atomic_int */

/* Mutexes: not recursive. init cannot fail on supported platforms. */
void wqi_mutex_init(wqi_mutex *m);
void wqi_mutex_destroy(wqi_mutex *m);
void wqi_mutex_lock(wqi_mutex *m);
void wqi_mutex_unlock(wqi_mutex *m);

/* Condition variables, measured against the monotonic clock. */
void wqi_cond_init(wqi_cond *c);
void wqi_cond_destroy(wqi_cond *c);
void wqi_cond_wait(wqi_cond *c, wqi_mutex *m);
/* Wait until woken or until the monotonic time deadline_ms (wqi_clock_ms).
 * Returns WQ_ETIMEDOUT once the deadline has passed, else WQ_OK (which may
 * be spurious: callers re-check their predicate). */
wq_err wqi_cond_wait_until(wqi_cond *c, wqi_mutex *m, int64_t deadline_ms);
void wqi_cond_signal(wqi_cond *c);
void wqi_cond_broadcast(wqi_cond *c);

/* Run fn exactly once per wqi_once (statically initialised with
 * WQI_ONCE_INIT), however many threads call at the same time; later calls
 * return after the first has finished. */
void wqi_once_run(wqi_once *once, void (*fn)(void));

/* An int shared between threads without a lock, for flags and
 * thresholds that are read often and changed rarely. Statically
 * initialised with {0}. get has acquire, set release ordering. */
int wqi_atomic_get(wqi_atomic_int *a);
void wqi_atomic_set(wqi_atomic_int *a, int v);

/* Threads. start returns WQ_ENOMEM or WQ_EIO if the thread cannot start.
 * Every thread gets WQI_THREAD_STACK_SIZE of stack (address space; only
 * the pages it touches become memory). The library's threads (a server's
 * accept and connection threads) need a few KiB: no recursion, no large
 * locals. The OS default (8 MiB on Linux, 1 MiB on Windows) would only
 * reserve address space per connection; what runs on these threads beyond
 * the library — a server's log callback — gets this much too, which
 * server.h says. */
#define WQI_THREAD_STACK_SIZE (256u * 1024u)
typedef void (*wqi_thread_fn)(void *arg);
wq_err wqi_thread_start(wqi_thread *t, wqi_thread_fn fn, void *arg);
void wqi_thread_join(wqi_thread *t);

/* Monotonic milliseconds since an arbitrary point; never goes back. */
int64_t wqi_clock_ms(void);

/* Deadline for a timeout: INT64_MAX for WQ_WAIT_FOREVER (negative),
 * else now + timeout_ms. */
int64_t wqi_deadline(int timeout_ms);
/* Milliseconds left until deadline, clamped to [0, INT32_MAX]; -1 for
 * INT64_MAX (forever). */
int wqi_remaining_ms(int64_t deadline_ms);

/* Sleep; used only for connect back-off, never as synchronisation. */
void wqi_sleep_ms(int ms);

/* This process's id, and on POSIX its effective uid/gid (0 on Windows). */
uint64_t wqi_process_id(void);
int wqi_process_ugid(uint32_t *uid, uint32_t *gid); /* 1 if meaningful */

/* The current user's SID as a string on Windows; "" elsewhere. */
void wqi_process_sid(char *buf, size_t size);

/* A spare descriptor for the accept loop. When accept fails because the
 * process is out of file descriptors (WQ_EMFILE), a waiting client can
 * neither be served nor told so: it stays in the listen backlog, and the
 * listener stays readable, until some connection closes. Holding one
 * descriptor in reserve lets the server release it, accept the next
 * client in its place, answer it 503 busy (unless the spare can be taken
 * again: then descriptors are back and it is served), close it and take
 * the spare again.
 *
 * *spare is -1 when nothing is held. take holds one if none is held and
 * returns 1 if one is held afterwards, 0 if none could be had (out of
 * descriptors already; try again later). release gives it back (nothing
 * if none is held). Not thread-safe for one *spare: the accept thread
 * owns it.
 *
 * POSIX: a descriptor of /dev/null (or of "/" where /dev is missing),
 * close-on-exec. Windows: handles are not a small per-process quota
 * there (no RLIMIT_NOFILE; the handle table grows until memory runs out),
 * so nothing is held: take returns 0 and release does nothing. */
int wqi_spare_take(intptr_t *spare);
void wqi_spare_release(intptr_t *spare);

/* The most memory this process may use, in bytes: the smallest of the
 * machine's physical memory and the limits the OS puts on the process
 * (Linux: the cgroup's memory.max, and its ancestors'; RLIMIT_AS and
 * RLIMIT_DATA where set; Windows: the job object's process and job
 * memory limits). 0 if none of them can be read. Reads the OS each call
 * (a few system calls and small file reads); thread-safe. */
uint64_t wqi_memory_limit(void);

/* A block of size bytes straight from the OS (mmap / VirtualAlloc), not
 * from the heap: freeing it gives the address space and commit back to
 * the OS at once, where the heap might keep it for itself. For the memory
 * reserve (alloc.h). NULL if the OS refuses. */
void *wqi_os_block_alloc(size_t size);
void wqi_os_block_free(void *p, size_t size);

/* Environment variable or NULL; the pointer is valid until the environment
 * changes (callers copy at once). */
const char *wqi_getenv(const char *name);

#endif /* WQI_PLATFORM_H */
