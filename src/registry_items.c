/* registry_items.c — chunked item records, fresh cursor, returned heap. */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "alloc.h"
#include "leb128.h"
#include "registry_items.h"

/* Allocation sizes of ordinary chunks, header included. A new queue starts
 * small so that 10,000 queues holding an item each cost ~2.5 MiB, not
 * 160 MiB; a busy queue reaches 16 KiB after six chunks, where the header
 * and the unused tail of a chunk are well under 1% of the payload. */
#define CHUNK_MIN_ALLOC 256u
#define CHUNK_MAX_ALLOC 16384u
#define CHUNK_HDR offsetof(wqi_chunk, data)

/* Longest record header: a 64-bit delta and a 64-bit length. */
#define REC_HDR_MAX 20u

/* Short form: next id, length below 128, one byte. */
#define REC_SHORT 0x80u

/* ---- record headers ---------------------------------------------------- */

static size_t rec_hdr_size(uint64_t delta, size_t len)
{
    if (delta == 1 && len < 0x80u) {
        return 1;
    }
    /* First byte carries 6 bits of delta; the rest of it is LEB128. */
    return (delta < 0x40u ? 1 : 1 + wqi_leb128_size(delta >> 6)) + wqi_leb128_size(len);
}

static size_t rec_hdr_put(uint8_t *p, uint64_t delta, size_t len)
{
    if (delta == 1 && len < 0x80u) {
        p[0] = (uint8_t)(REC_SHORT | len);
        return 1;
    }
    size_t n = 1;
    p[0] = (uint8_t)(delta & 0x3Fu);
    if (delta >= 0x40u) {
        p[0] |= 0x40u;
        n += wqi_leb128_put(p + 1, delta >> 6);
    }
    return n + wqi_leb128_put(p + n, len);
}

static size_t rec_hdr_get(const uint8_t *p, uint64_t *delta, size_t *len)
{
    if (p[0] & REC_SHORT) {
        *delta = 1;
        *len = p[0] & 0x7Fu;
        return 1;
    }
    size_t n = 1;
    uint64_t d = p[0] & 0x3Fu;
    if (p[0] & 0x40u) {
        uint64_t rest;
        n += wqi_leb128_get(p + 1, &rest);
        d |= rest << 6;
    }
    uint64_t l;
    n += wqi_leb128_get(p + n, &l);
    *delta = d;
    *len = (size_t)l;
    return n;
}

/* Decodes the record at off of c, whose predecessor has id prev_id. */
static void rec_decode(wqi_chunk *c, size_t off, uint64_t prev_id, wqi_itemref *out)
{
    uint64_t delta;
    size_t len;
    size_t h = rec_hdr_get(c->data + off, &delta, &len);
    out->id = prev_id + delta;
    out->chunk = c;
    out->off = off + h;
    out->len = len;
}

/* ---- chunks ------------------------------------------------------------ */

static void chunk_unlink(wqi_chunk *c)
{
    wqi_items *it = c->items;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        it->head = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    } else {
        it->tail = c->prev;
    }
    if (it->head == NULL) {
        /* An empty queue starts over small: a queue that cycles one item at
         * a time then reuses one small block (fast in any allocator)
         * instead of keeping a 16 KiB chunk per idle queue. */
        it->next_cap = CHUNK_MIN_ALLOC - CHUNK_HDR;
    }
    c->items = NULL;
}

static void chunk_free(wqi_chunk *c)
{
    wqi_free(c->ext_block);
    wqi_free(c);
}

static void chunk_maybe_free(wqi_chunk *c)
{
    if (c->live != 0 || c->pins != 0) {
        return;
    }
    if (c->items != NULL) {
        chunk_unlink(c);
    }
    chunk_free(c);
}

void wqi_chunk_kill(wqi_chunk *c)
{
    assert(c->live > 0);
    c->live--;
    chunk_maybe_free(c);
}

void wqi_chunk_pin(wqi_chunk *c)
{
    c->pins++;
}

void wqi_chunk_unpin(wqi_chunk *c)
{
    assert(c->pins > 0);
    c->pins--;
    chunk_maybe_free(c);
}

const uint8_t *wqi_itemref_payload(const wqi_itemref *ref)
{
    const wqi_chunk *c = ref->chunk;
    return c->ext != NULL ? c->ext : c->data + ref->off;
}

/* ---- the item list ----------------------------------------------------- */

void wqi_items_init(wqi_items *it)
{
    memset(it, 0, sizeof *it);
    it->next_cap = CHUNK_MIN_ALLOC - CHUNK_HDR;
}

void wqi_items_clear(wqi_items *it)
{
    wqi_chunk *c = it->head;
    while (c != NULL) {
        wqi_chunk *next = c->next;
        c->live = 0;
        c->items = NULL;
        c->prev = c->next = NULL;
        if (c->pins == 0) {
            chunk_free(c);
        } /* else: detached; the last unpin frees it */
        c = next;
    }
    wqi_free(it->ret);
    wqi_items_init(it);
}

/* Room the record for id needs at the end of the tail chunk (delta against
 * its last record; a chunk's first record is delta 1 from its base). */
static size_t tail_need(const wqi_chunk *t, uint64_t id, size_t len)
{
    uint64_t delta = t->n == 0 ? 1 : id - t->last_id;
    return rec_hdr_size(delta, len) + len;
}

wq_err wqi_items_prepare(wqi_items *it, uint64_t id, size_t len, int adopt)
{
    assert(!adopt || len >= WQI_ADOPT_MIN);
    if (len > (size_t)-1 - CHUNK_HDR - REC_HDR_MAX) {
        return WQ_ENOMEM;
    }
    wqi_chunk *t = it->tail;
    if (!adopt && t != NULL && !t->adopting && t->cap - t->used >= tail_need(t, id, len)) {
        return WQ_OK;
    }
    if (t != NULL && t->n == 0) {
        /* An empty tail left by a prepare whose append never came (the
         * store refused the publish) may be the wrong kind or too small:
         * replace it, so that only the tail can ever be empty
         * (cursor_advance relies on it). */
        chunk_unlink(t);
        chunk_free(t);
        t = it->tail;
    }
    size_t need = rec_hdr_size(1, len) + len;
    /* An adopting chunk's data is only its one record's header. */
    size_t cap = adopt ? REC_HDR_MAX : need > it->next_cap ? need : it->next_cap;
    wqi_chunk *c = wqi_malloc(CHUNK_HDR + cap);
    if (c == NULL) {
        return WQ_ENOMEM;
    }
    /* Oversized items get a chunk of their own and leave the growth of
     * ordinary chunks alone. */
    if (need <= CHUNK_MAX_ALLOC - CHUNK_HDR && it->next_cap < CHUNK_MAX_ALLOC - CHUNK_HDR) {
        size_t grown = (it->next_cap + CHUNK_HDR) * 2 - CHUNK_HDR;
        it->next_cap = grown < CHUNK_MAX_ALLOC - CHUNK_HDR ? grown : CHUNK_MAX_ALLOC - CHUNK_HDR;
    }
    memset(c, 0, CHUNK_HDR);
    c->prev = t;
    c->items = it;
    c->cap = cap;
    c->adopting = adopt != 0;
    if (t != NULL) {
        t->next = c;
    } else {
        it->head = c;
    }
    it->tail = c;
    return WQ_OK;
}

void wqi_items_append(wqi_items *it, uint64_t id, const void *payload, size_t len, void *block)
{
    wqi_chunk *t = it->tail;
    assert(t->adopting ? t->n == 0 && block != NULL : block == NULL);
    if (t->n == 0) {
        t->base_id = id - 1;
        t->last_id = id - 1;
    }
    size_t at = t->used;
    size_t h = rec_hdr_put(t->data + at, id - t->last_id, len);
    if (t->adopting) {
        /* The record's header is here, its payload stays in block. The
         * chunk is full: nothing else is ever appended to it. */
        t->ext = payload;
        t->ext_block = block;
        t->used = t->cap;
    } else {
        if (len > 0) {
            memcpy(t->data + at + h, payload, len);
        }
        t->used = at + h + len;
    }
    t->last_id = id;
    t->n++;
    t->live++;
    if (it->fresh++ == 0) {
        it->cur = t;
        it->cur_idx = t->n - 1;
        it->cur_ref.id = id;
        it->cur_ref.chunk = t;
        it->cur_ref.off = at + h;
        it->cur_ref.len = len;
    }
}

size_t wqi_items_ready(const wqi_items *it)
{
    return it->fresh + it->nret;
}

/* 1 if the heap's top is older than the cursor's item. */
static int top_is_returned(const wqi_items *it)
{
    return it->nret > 0 && (it->fresh == 0 || it->ret[0].id < it->cur_ref.id);
}

int wqi_items_peek(const wqi_items *it, wqi_itemref *out)
{
    if (top_is_returned(it)) {
        *out = it->ret[0];
        return 1;
    }
    if (it->fresh > 0) {
        *out = it->cur_ref;
        return 1;
    }
    return 0;
}

/* Moves the cursor to the next record: the rest of this chunk, then the
 * next chunk (records after the cursor are all fresh, so the next one is
 * the next fresh item). */
static void cursor_advance(wqi_items *it)
{
    if (--it->fresh == 0) {
        it->cur = NULL;
        return;
    }
    wqi_chunk *c = it->cur;
    if (it->cur_idx + 1 < c->n) {
        rec_decode(c, it->cur_ref.off + it->cur_ref.len, it->cur_ref.id, &it->cur_ref);
        it->cur_idx++;
        return;
    }
    c = c->next;
    assert(c != NULL && c->n > 0);
    it->cur = c;
    it->cur_idx = 0;
    rec_decode(c, 0, c->base_id, &it->cur_ref);
}

static void heap_swap(wqi_itemref *h, size_t a, size_t b)
{
    wqi_itemref t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static void heap_pop(wqi_items *it)
{
    wqi_itemref *h = it->ret;
    size_t n = --it->nret;
    h[0] = h[n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && h[l].id < h[m].id) {
            m = l;
        }
        if (l + 1 < n && h[l + 1].id < h[m].id) {
            m = l + 1;
        }
        if (m == i) {
            return;
        }
        heap_swap(h, i, m);
        i = m;
    }
}

void wqi_items_pop(wqi_items *it)
{
    if (top_is_returned(it)) {
        heap_pop(it);
    } else {
        assert(it->fresh > 0);
        cursor_advance(it);
    }
}

wq_err wqi_items_reserve_returns(wqi_items *it, size_t extra)
{
    if (it->capret - it->nret >= extra) {
        return WQ_OK;
    }
    size_t cap = it->capret < 8 ? 8 : it->capret * 2;
    while (cap - it->nret < extra) {
        cap *= 2;
    }
    wqi_itemref *ret = wqi_realloc(it->ret, cap * sizeof *ret);
    if (ret == NULL) {
        return WQ_ENOMEM;
    }
    it->ret = ret;
    it->capret = cap;
    return WQ_OK;
}

void wqi_items_return(wqi_items *it, const wqi_itemref *ref)
{
    assert(it->nret < it->capret);
    wqi_itemref *h = it->ret;
    size_t i = it->nret++;
    h[i] = *ref;
    while (i > 0 && h[(i - 1) / 2].id > h[i].id) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

size_t wqi_items_purge(wqi_items *it)
{
    size_t n = it->nret + it->fresh;
    /* Returned items first: the cursor's chunk keeps its fresh records
     * alive meanwhile, so the cursor never points into freed memory. */
    for (size_t i = 0; i < it->nret; i++) {
        wqi_chunk_kill(it->ret[i].chunk);
    }
    it->nret = 0;
    wqi_chunk *c = it->fresh > 0 ? it->cur : NULL;
    uint32_t skip = it->cur_idx;
    while (c != NULL) {
        wqi_chunk *next = c->next;
        c->live -= c->n - skip;
        skip = 0;
        chunk_maybe_free(c);
        c = next;
    }
    it->fresh = 0;
    it->cur = NULL;
    return n;
}

void wqi_items_trim(wqi_items *it)
{
    if (it->nret == 0 && it->capret > 64) {
        wqi_free(it->ret);
        it->ret = NULL;
        it->capret = 0;
    }
}
