/* registry_ids.c — id -> pointer open-addressing map. */
#include "alloc.h"
#include "registry_ids.h"

#define IDS_MIN_BITS 4u

static size_t ids_home(const wqi_ids *m, uint64_t id)
{
    /* Fibonacci hashing: multiply by 2^64/phi, keep the top bits. */
    return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> m->shift);
}

void wqi_ids_init(wqi_ids *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->shift = 64;
    m->count = 0;
}

void wqi_ids_free(wqi_ids *m)
{
    wqi_free(m->slots);
    wqi_ids_init(m);
}

static void ids_place(wqi_ids *m, uint64_t id, void *value)
{
    size_t mask = m->cap - 1;
    size_t i = ids_home(m, id);
    while (m->slots[i].id != 0) {
        i = (i + 1) & mask;
    }
    m->slots[i].id = id;
    m->slots[i].value = value;
}

/* Moves every entry into a new table of 2^bits slots. */
static wq_err ids_rehash(wqi_ids *m, unsigned bits)
{
    wqi_ids old = *m;
    wqi_ids_slot *slots = wqi_calloc((size_t)1 << bits, sizeof *slots);
    if (slots == NULL) {
        return WQ_ENOMEM;
    }
    m->slots = slots;
    m->cap = (size_t)1 << bits;
    m->shift = 64u - bits;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].id != 0) {
            ids_place(m, old.slots[i].id, old.slots[i].value);
        }
    }
    wqi_free(old.slots);
    return WQ_OK;
}

/* Smallest table size (log2) with n entries at load <= 1/load_inv. */
static unsigned ids_bits_for(size_t n, size_t load_inv)
{
    unsigned bits = IDS_MIN_BITS;
    while (((size_t)1 << bits) < n * load_inv) {
        bits++;
    }
    return bits;
}

wq_err wqi_ids_reserve(wqi_ids *m, size_t n)
{
    if (n * 2 <= m->cap) {
        return WQ_OK;
    }
    return ids_rehash(m, ids_bits_for(n, 2));
}

void wqi_ids_compact(wqi_ids *m, size_t keep)
{
    /* Small tables are not worth the churn. */
    if (m->cap < 1024 || keep * 8 > m->cap) {
        return;
    }
    (void)ids_rehash(m, ids_bits_for(keep, 4));
}

void wqi_ids_insert(wqi_ids *m, uint64_t id, void *value)
{
    ids_place(m, id, value);
    m->count++;
}

void *wqi_ids_find(const wqi_ids *m, uint64_t id)
{
    if (m->cap == 0 || id == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1;
    for (size_t i = ids_home(m, id); m->slots[i].id != 0; i = (i + 1) & mask) {
        if (m->slots[i].id == id) {
            return m->slots[i].value;
        }
    }
    return NULL;
}

void wqi_ids_remove(wqi_ids *m, uint64_t id)
{
    size_t mask = m->cap - 1;
    size_t hole = ids_home(m, id);
    while (m->slots[hole].id != id) {
        hole = (hole + 1) & mask;
    }
    /* Backward-shift deletion, as in registry_names.c. */
    for (size_t i = (hole + 1) & mask; m->slots[i].id != 0; i = (i + 1) & mask) {
        size_t home = ids_home(m, m->slots[i].id);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].id = 0;
    m->slots[hole].value = NULL;
    m->count--;
}
