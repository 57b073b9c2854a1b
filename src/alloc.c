/* alloc.c — the library's allocator and the test observer seam. */
#include <stdlib.h>

#include <workq/transport.h>

#include "alloc.h"

static wqi_alloc_observer observer;

void wqi_alloc_set_observer(wqi_alloc_observer fn)
{
    observer = fn;
}

void *wqi_malloc(size_t size)
{
    if (observer != NULL) {
        observer(size);
    }
    return malloc(size == 0 ? 1 : size);
}

void *wqi_calloc(size_t n, size_t size)
{
    if (observer != NULL) {
        observer(size != 0 && n > ((size_t)-1) / size ? (size_t)-1 : n * size);
    }
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *wqi_realloc(void *p, size_t size)
{
    if (observer != NULL) {
        observer(size);
    }
    return realloc(p, size == 0 ? 1 : size);
}

void wqi_free(void *p)
{
    free(p);
}

void wq_free(void *p)
{
    wqi_free(p);
}
