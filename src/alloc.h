/* alloc.h — the library's one allocator (internal).
 *
 * Everything workq allocates goes through these, and wq_free() releases
 * with the same heap. Tests install an observer to prove that no
 * allocation larger than a limit is made (a peer-claimed message size must
 * never become an allocation).
 */
#ifndef WQI_ALLOC_H
#define WQI_ALLOC_H

#include <stddef.h>

void *wqi_malloc(size_t size);
void *wqi_calloc(size_t n, size_t size);
void *wqi_realloc(void *p, size_t size);
void wqi_free(void *p);

/* Test seam: fn (or NULL to remove) is called with the size of every
 * wqi_malloc/wqi_calloc/wqi_realloc request, from whichever thread makes it.
 * Not for production use; set it while no other thread allocates. */
typedef void (*wqi_alloc_observer)(size_t size);
void wqi_alloc_set_observer(wqi_alloc_observer fn);

#endif /* WQI_ALLOC_H */
