/* registry_names.c — case-insensitive open-addressing name map. */
#include <string.h>

#include "alloc.h"
#include "registry_names.h"

/* Smallest table: 16 slots hold 8 names before the first growth. */
#define NAMES_MIN_CAP 16u

static unsigned char names_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

uint32_t wqi_names_hash(const char *name, size_t len)
{
    /* FNV-1a: short names (at most 128 bytes), cheap and well spread. A
     * local service does not need a keyed hash against flooding: only
     * local, permitted clients can create queues, and at most max_queues. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= names_lower((unsigned char)name[i]);
        h *= 16777619u;
    }
    return h;
}

int wqi_names_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) {
        return 0;
    }
    for (size_t i = 0; i < alen; i++) {
        if (names_lower((unsigned char)a[i]) != names_lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return 1;
}

int wqi_names_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = names_lower((unsigned char)a[i]);
        unsigned char y = names_lower((unsigned char)b[i]);
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

void wqi_names_init(wqi_names *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void wqi_names_free(wqi_names *m)
{
    wqi_free(m->slots);
    wqi_names_init(m);
}

wqi_name_entry *wqi_names_find(const wqi_names *m, const char *name, size_t len, uint32_t hash)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        wqi_name_entry *e = m->slots[i];
        if (e == NULL) {
            return NULL;
        }
        if (e->hash == hash && wqi_names_equal(e->name, e->len, name, len)) {
            return e;
        }
    }
}

/* Places e in the first free slot of its probe sequence. */
static void names_place(wqi_name_entry **slots, size_t cap, wqi_name_entry *e)
{
    size_t mask = cap - 1;
    size_t i = e->hash & mask;
    while (slots[i] != NULL) {
        i = (i + 1) & mask;
    }
    slots[i] = e;
}

wq_err wqi_names_reserve_one(wqi_names *m)
{
    /* Keep load <= 1/2 so probe sequences stay a slot or two long. */
    if ((m->count + 1) * 2 <= m->cap) {
        return WQ_OK;
    }
    size_t cap = m->cap == 0 ? NAMES_MIN_CAP : m->cap * 2;
    wqi_name_entry **slots = wqi_calloc(cap, sizeof *slots);
    if (slots == NULL) {
        return WQ_ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] != NULL) {
            names_place(slots, cap, m->slots[i]);
        }
    }
    wqi_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return WQ_OK;
}

void wqi_names_insert(wqi_names *m, wqi_name_entry *e)
{
    names_place(m->slots, m->cap, e);
    m->count++;
}

void wqi_names_remove(wqi_names *m, const wqi_name_entry *e)
{
    size_t mask = m->cap - 1;
    size_t hole = e->hash & mask;
    while (m->slots[hole] != e) {
        hole = (hole + 1) & mask;
    }
    /* Backward-shift deletion: move later members of the cluster into the
     * hole when their home slot is at or before it, so no lookup ever needs
     * a tombstone to keep probing. */
    for (size_t i = (hole + 1) & mask; m->slots[i] != NULL; i = (i + 1) & mask) {
        size_t home = m->slots[i]->hash & mask;
        /* Distance from home to i versus from home to hole (cyclic). */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole] = NULL;
    m->count--;
}

wqi_name_entry *wqi_names_next(const wqi_names *m, size_t *pos)
{
    while (*pos < m->cap) {
        wqi_name_entry *e = m->slots[(*pos)++];
        if (e != NULL) {
            return e;
        }
    }
    return NULL;
}
