/* registry_items.h — one queue's items, packed in chunks (internal).
 *
 * Why chunks: a service may hold millions of queued items, and a node per
 * item (malloc header + links + id + length, ~40 bytes) would more than
 * double the memory of a 64-byte payload. Items are instead appended as
 * records to large chunks (256 bytes for a new queue, doubling to 16 KiB),
 * payload inline, behind a header of 1 byte in the common case:
 *
 *   record = header, payload
 *   header = 0x80 | len                  if id = previous id + 1, len < 128
 *          | delta (prefix varint: 0, continuation bit, 6 bits; then LEB128)
 *            len (LEB128)                otherwise
 *
 * so a 64-byte item published into a queue nobody else publishes into
 * between costs 65 bytes plus 1/200 of a chunk header. Ids are delta-coded
 * against the previous record of the chunk (the first against the chunk's
 * base id), which works because ids only grow in publish order.
 *
 * Records never move. A leased item stays where it is, and RELEASE puts it
 * back "at its place by id" with no copy: the item simply becomes ready
 * again. Readiness is kept outside the records, in two places:
 *   - the fresh cursor: every record from the cursor to the end has never
 *     been handed out (these are always ready), so taking the oldest fresh
 *     item is decoding the next header — O(1);
 *   - the returned heap: items handed out and released again, a min-heap
 *     by id of small references. Usually empty or tiny.
 * The oldest ready item is the smaller id of the heap's top and the cursor.
 *
 * A chunk counts its live records (not yet acknowledged, purged or
 * deleted) and is freed when that reaches 0 and nobody pins it, wherever it
 * is in the list, so one long-held lease keeps at most its own chunk.
 * Pins let a caller read a payload without the registry lock (see
 * wqi_chunk_pin). Not thread-safe: the registry's lock guards everything.
 *
 * Large payloads are adopted, not copied: an item of WQI_ADOPT_MIN bytes
 * or more would get a chunk of its own anyway, so instead the chunk is a
 * small header whose one record's payload stays in the block it arrived in
 * (the received request), which the chunk then owns. For a 1 MiB PUBLISH
 * that saves a 1 MiB allocation, its page faults and a 1 MiB memcpy.
 */
#ifndef WQI_REGISTRY_ITEMS_H
#define WQI_REGISTRY_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

typedef struct wqi_items wqi_items;

typedef struct wqi_chunk {
    struct wqi_chunk *prev, *next; /* in its queue's list */
    wqi_items *items;              /* the list it is in; NULL once detached */
    uint64_t base_id;              /* first record's id - 1 */
    uint64_t last_id;              /* last record's id (delta base of the next) */
    size_t used, cap;              /* bytes of data[] */
    uint32_t n;                    /* records appended */
    uint32_t live;                 /* records not yet dead */
    uint32_t pins;                 /* outstanding wqi_chunk_pin */
    uint32_t adopting;             /* holds one adopted payload (see below) */
    const uint8_t *ext;            /* that payload, once appended; else NULL */
    void *ext_block;               /* the block it lives in, freed with us */
    uint8_t data[];
} wqi_chunk;

/* Where one item is: enough to read, return or kill it without a search. */
typedef struct wqi_itemref {
    uint64_t id;
    wqi_chunk *chunk;
    size_t off; /* payload offset in chunk->data */
    size_t len; /* payload bytes */
} wqi_itemref;

struct wqi_items {
    wqi_chunk *head, *tail;
    wqi_chunk *cur;      /* chunk of the oldest fresh item; NULL if none */
    uint32_t cur_idx;    /* its record index in cur */
    wqi_itemref cur_ref; /* the oldest fresh item, decoded */
    size_t fresh;        /* records from the cursor to the end */
    wqi_itemref *ret;    /* returned items, a min-heap by id */
    size_t nret, capret;
    size_t next_cap; /* data bytes of the next ordinary chunk */
};

/* An empty item list; allocates nothing. */
void wqi_items_init(wqi_items *it);

/* Drops every item (DELETE): unpinned chunks are freed, pinned ones are
 * detached and freed by their last wqi_chunk_unpin. Leaves it empty. */
void wqi_items_clear(wqi_items *it);

/* Payloads this large may be adopted (wqi_items_prepare with adopt = 1). */
#define WQI_ADOPT_MIN 16384u

/* Makes sure wqi_items_append(it, id, _, len, _) cannot fail: may link a
 * new, empty chunk at the tail (harmless if the append never comes). With
 * adopt = 1 (only for len >= WQI_ADOPT_MIN) that chunk is one that will
 * adopt the payload's block instead of copying it. id must be greater than
 * every id appended before. WQ_ENOMEM if the chunk cannot be allocated (or
 * len is absurd); nothing changes then. */
wq_err wqi_items_prepare(wqi_items *it, uint64_t id, size_t len, int adopt);

/* Appends one ready item. Requires wqi_items_prepare(it, id, len, adopt)
 * just before. adopt = 0: copies len bytes from payload (which may be NULL
 * when len is 0); block must be NULL. adopt = 1: block is a wqi_malloc
 * block holding payload[0..len), which the item list now owns (freed with
 * wqi_free when the item's chunk goes) and never writes. */
void wqi_items_append(wqi_items *it, uint64_t id, const void *payload, size_t len, void *block);

/* Number of ready items (fresh + returned). */
size_t wqi_items_ready(const wqi_items *it);

/* The oldest ready item (lowest id) into *out: 1, or 0 if none. */
int wqi_items_peek(const wqi_items *it, wqi_itemref *out);

/* Takes the item wqi_items_peek would give out of the ready set (the caller
 * now holds it: it stays live until wqi_chunk_kill or wqi_items_return).
 * Requires at least one ready item. */
void wqi_items_pop(wqi_items *it);

/* Ensures that extra more items can be returned without allocating.
 * WQ_ENOMEM leaves it as it was. */
wq_err wqi_items_reserve_returns(wqi_items *it, size_t extra);

/* Makes a popped item ready again at its place by id. Requires capacity
 * from wqi_items_reserve_returns. Never fails. */
void wqi_items_return(wqi_items *it, const wqi_itemref *ref);

/* Kills every ready item (PURGE); popped ones stay. Returns how many. */
size_t wqi_items_purge(wqi_items *it);

/* Frees the returned-heap array if it is empty and large: call when no
 * item can come back (nothing leased, nobody waiting). */
void wqi_items_trim(wqi_items *it);

/* The payload of ref; valid while its chunk lives. */
const uint8_t *wqi_itemref_payload(const wqi_itemref *ref);

/* Marks one popped record of c dead (ACK); frees c if that was its last
 * live record and it is unpinned. */
void wqi_chunk_kill(wqi_chunk *c);

/* Pins keep a chunk's memory (and so every payload in it) alive even if all
 * its records die or its queue is deleted; the registry pins the chunk of
 * an item it hands out so the caller can read the payload unlocked. unpin
 * frees the chunk if it was the last pin and nothing in it lives. */
void wqi_chunk_pin(wqi_chunk *c);
void wqi_chunk_unpin(wqi_chunk *c);

#endif /* WQI_REGISTRY_ITEMS_H */
