/* platform_types.h (POSIX) — concrete types behind src/platform.h. */
#ifndef WQI_PLATFORM_TYPES_H
#define WQI_PLATFORM_TYPES_H

#include <pthread.h>
#include <stdatomic.h>

typedef struct wqi_mutex {
    pthread_mutex_t m;
} wqi_mutex;

typedef struct wqi_cond {
    pthread_cond_t c; /* bound to CLOCK_MONOTONIC */
} wqi_cond;

typedef struct wqi_thread {
    pthread_t t;
    void (*fn)(void *);
    void *arg;
    void *heap_stack; /* the stack, when it had to come from the heap */
} wqi_thread;

typedef pthread_once_t wqi_once;
#define WQI_ONCE_INIT PTHREAD_ONCE_INIT

typedef struct wqi_atomic_int {
    atomic_int v;
} wqi_atomic_int;

#endif /* WQI_PLATFORM_TYPES_H */
