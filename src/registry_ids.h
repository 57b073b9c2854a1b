/* registry_ids.h — a map from item id to pointer, for the registry's
 * leases (internal).
 *
 * ACK and RELEASE name an item by id; this finds its lease in O(1) however
 * many items are leased. Ids are unique for the life of the registry and
 * never 0, so 0 marks a free slot. Open addressing with linear probing,
 * Fibonacci hashing (consecutive ids spread over the table) and
 * backward-shift deletion; load stays at or below 1/2. Growth is separated
 * from insertion (wqi_ids_reserve) so that callers can allocate before
 * they change anything and insert where failing is not an option. Not
 * thread-safe: the registry's lock guards it.
 */
#ifndef WQI_REGISTRY_IDS_H
#define WQI_REGISTRY_IDS_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

typedef struct wqi_ids_slot {
    uint64_t id; /* 0 = free */
    void *value;
} wqi_ids_slot;

typedef struct wqi_ids {
    wqi_ids_slot *slots;
    size_t cap;     /* 0 or a power of two */
    unsigned shift; /* 64 - log2(cap) */
    size_t count;
} wqi_ids;

/* An empty map; allocates nothing. */
void wqi_ids_init(wqi_ids *m);
/* Frees the table (not the values). */
void wqi_ids_free(wqi_ids *m);

/* Ensures that n entries in total fit without growing, so that inserts up
 * to that count cannot fail. WQ_ENOMEM leaves the map as it was. */
wq_err wqi_ids_reserve(wqi_ids *m, size_t n);

/* Gives memory back after a burst: if the table is large and at most 1/8
 * full counting keep entries (the ones present plus any reserved for
 * later), rehashes it to a quarter load, which leaves a factor of two
 * before it grows again (no thrashing). Best effort: an allocation
 * failure keeps the table as it is. keep must be >= count. */
void wqi_ids_compact(wqi_ids *m, size_t keep);

/* Adds id (nonzero, not present) -> value. Requires capacity reserved for
 * count + 1 entries. Never fails. */
void wqi_ids_insert(wqi_ids *m, uint64_t id, void *value);

/* The value for id, or NULL. */
void *wqi_ids_find(const wqi_ids *m, uint64_t id);

/* Removes id, which must be present. Never fails, never allocates. */
void wqi_ids_remove(wqi_ids *m, uint64_t id);

#endif /* WQI_REGISTRY_IDS_H */
