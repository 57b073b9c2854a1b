/* platform_types.h (Windows) — concrete types behind src/platform.h. */
#ifndef WQI_PLATFORM_TYPES_H
#define WQI_PLATFORM_TYPES_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

typedef struct wqi_mutex {
    SRWLOCK l;
} wqi_mutex;

typedef struct wqi_cond {
    CONDITION_VARIABLE c;
} wqi_cond;

typedef struct wqi_thread {
    HANDLE h;
    void (*fn)(void *);
    void *arg;
} wqi_thread;

typedef struct wqi_once {
    INIT_ONCE once;
} wqi_once;
/* Interlocked* on an aligned LONG: what MSVC offers without C11 atomics. */
typedef struct wqi_atomic_int {
    volatile LONG v;
} wqi_atomic_int;

/* clang-format 14 (Debian 12's, which ci/check-format.sh runs) would spread
 * this braced initializer over four continuation lines. */
/* clang-format off */
#define WQI_ONCE_INIT {INIT_ONCE_STATIC_INIT}
/* clang-format on */

#endif /* WQI_PLATFORM_TYPES_H */
