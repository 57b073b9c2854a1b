/* registry_names.h — the registry's case-insensitive name map (internal).
 *
 * Maps queue names to entries, comparing names ASCII case-insensitively
 * ("MyQueue" and "myqueue" are one key). The map does not own names or
 * entries: each entry is embedded in the object it names (the registry's
 * queue) and points at the name as first written, so a lookup is one hash
 * and, almost always, one comparison. Open addressing with linear probing
 * and backward-shift deletion: no tombstones, so lookups stay short however
 * many creates and deletes a long-lived service sees. Load stays at or
 * below 1/2. Not thread-safe: the registry's lock guards it.
 */
#ifndef WQI_REGISTRY_NAMES_H
#define WQI_REGISTRY_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

/* What the map stores. The owner fills all three and keeps name alive
 * while the entry is in a map. */
typedef struct wqi_name_entry {
    const char *name; /* as first written; not NUL-terminated necessarily */
    size_t len;
    uint32_t hash; /* wqi_names_hash(name, len) */
} wqi_name_entry;

typedef struct wqi_names {
    wqi_name_entry **slots; /* cap slots, NULL = free */
    size_t cap;             /* 0 or a power of two */
    size_t count;
} wqi_names;

/* Hash of the ASCII-lowercased name (FNV-1a). Equal for names that differ
 * only in ASCII case. Pure. */
uint32_t wqi_names_hash(const char *name, size_t len);

/* 1 if a and b are equal ignoring ASCII case, else 0. Pure. */
int wqi_names_equal(const char *a, size_t alen, const char *b, size_t blen);

/* Orders names by their ASCII-lowercased bytes (a proper prefix first):
 * <0, 0 or >0 like memcmp. LIST's sort order. Pure. */
int wqi_names_compare(const char *a, size_t alen, const char *b, size_t blen);

/* An empty map; allocates nothing. */
void wqi_names_init(wqi_names *m);
/* Frees the slot array (not the entries). */
void wqi_names_free(wqi_names *m);

/* The entry whose name equals name (ignoring case), or NULL. hash must be
 * wqi_names_hash(name, len). */
wqi_name_entry *wqi_names_find(const wqi_names *m, const char *name, size_t len, uint32_t hash);

/* Makes room for one more entry so that the next wqi_names_insert cannot
 * fail. WQ_ENOMEM leaves the map as it was. */
wq_err wqi_names_reserve_one(wqi_names *m);

/* Adds e, whose name must not be in the map yet. Requires a successful
 * wqi_names_reserve_one since the last insert. Never fails. */
void wqi_names_insert(wqi_names *m, wqi_name_entry *e);

/* Removes e, which must be in the map. Never fails, never allocates. */
void wqi_names_remove(wqi_names *m, const wqi_name_entry *e);

/* Iteration in no particular order: start with *pos = 0; returns the next
 * entry or NULL at the end. The map must not change meanwhile. */
wqi_name_entry *wqi_names_next(const wqi_names *m, size_t *pos);

#endif /* WQI_REGISTRY_NAMES_H */
