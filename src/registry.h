/* registry.h — the service's queues, items, leases and waiters (internal).
 *
 * The registry is the state behind the protocol (docs/protocol.md): named queues
 * (case-insensitive, shown as first written), their state (stopped or
 * started), their items (FIFO by id) and the leases connections hold. It
 * does no I/O and knows nothing of the protocol's text: the server parses a
 * request, calls one function here and formats the result.
 *
 * Thread-safety: every function may be called from any thread at any time,
 * except where a comment says otherwise (create/destroy, and one owner must
 * not be destroyed while another thread uses it). One mutex guards the whole
 * registry; no call holds it while doing anything slow (there is no I/O;
 * the store hook is the one exception and is documented there). Blocked
 * retrievers wait on a condition variable with a deadline, never holding
 * the lock while blocked.
 *
 * Names: functions taking (name, name_len) accept any bytes; the protocol
 * parser has already checked the syntax (queue_name.h).
 * A length of 0 or above WQ_QUEUE_NAME_MAX gives WQ_EINVAL. Names need not
 * be NUL-terminated.
 *
 * Errors follow docs/protocol.md "Order of checks": existence (WQ_ENOTFOUND,
 * WQ_EEXIST) before limits (WQ_ELIMIT). A failed call changes nothing,
 * unless its comment says otherwise.
 */
#ifndef WQI_REGISTRY_H
#define WQI_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include <workq/client.h> /* WQ_QUEUE_NAME_MAX */

/* Default for wqi_registry_config.max_queues (docs/protocol.md's --max-queues). */
#define WQI_REGISTRY_DEFAULT_MAX_QUEUES 65536u
/* A retrieve deadline meaning "answer at once" (RETRIEVE without wait-ms).
 * Deadlines are otherwise wqi_clock_ms() times; INT64_MAX waits forever. */
#define WQI_NO_WAIT INT64_MIN

typedef struct wqi_registry wqi_registry;
/* A lease holder: one per connection. Leases belong to an owner; only it
 * may ACK or RELEASE them, and destroying it makes its items ready again. */
typedef struct wqi_owner wqi_owner;

/* The storage hook: called under the registry lock for every change, after
 * the registry has checked that the change is valid and allocated what it
 * needs, and before it applies the change. A hook that returns an error
 * vetoes the change: the registry returns that error and stays as it was
 * (except in wqi_registry_owner_release, see there). Any member may be NULL
 * (that change is not recorded); a NULL ops pointer means no storage.
 * Calls are made only when something changes: START of a started queue,
 * STOP of a stopped one and PURGE of a queue with no ready item call
 * nothing. Leasing an item (RETRIEVE) is not a change to storage: leases do
 * not survive a restart, their items are ready again.
 * name is the stored spelling, NUL-terminated; payload is valid only during
 * the call. Hooks must not call back into the registry (the lock is held,
 * and it is not recursive); they run while every other registry call
 * waits, so they should be quick (an append to a buffer, not an fsync per
 * call, unless the configuration asks for that). */
struct wqi_store_ops {
    wq_err (*create)(void *ctx, const char *name);
    wq_err (*remove)(void *ctx, const char *name); /* DELETE */
    wq_err (*start)(void *ctx, const char *name);
    wq_err (*stop)(void *ctx, const char *name);
    wq_err (*publish)(void *ctx, const char *name, uint64_t id, const void *payload, size_t len);
    wq_err (*ack)(void *ctx, const char *name, uint64_t id);
    wq_err (*release)(void *ctx, const char *name, uint64_t id);
    wq_err (*purge)(void *ctx, const char *name);
};

typedef struct wqi_registry_config {
    /* CREATE beyond this many queues gets WQ_ELIMIT; 0 means
     * WQI_REGISTRY_DEFAULT_MAX_QUEUES. */
    size_t max_queues;
    /* PUBLISH to a queue holding this many items (ready + leased) gets
     * WQ_ELIMIT; 0 means unlimited. */
    uint64_t max_items;
    /* PUBLISH that would take the charge of all items (wqi_item_charge)
     * above this many bytes gets WQ_ENOMEM; 0 means no budget. */
    uint64_t max_bytes;
    /* Tells whether a payload is text (valid UTF-8) for retrieves that
     * require text (UTF-16LE requests). Called under the lock; must be pure.
     * NULL: every payload counts as text. */
    int (*is_text)(const uint8_t *payload, size_t len);
    /* Storage hook and its context; NULL ops: nothing is stored. */
    const struct wqi_store_ops *store;
    void *store_ctx;
} wqi_registry_config;

/* One queue, as LIST and STATUS report it. */
typedef struct wqi_queue_info {
    char name[WQ_QUEUE_NAME_MAX + 1]; /* stored spelling, NUL-terminated */
    size_t name_len;
    int started;        /* 1 started, 0 stopped */
    uint64_t ready;     /* items not leased, started or not */
    uint64_t leased;    /* items held by owners */
    uint64_t published; /* successful publishes */
    uint64_t completed; /* acknowledgements */
} wqi_queue_info;

/* A retrieved item. id 0 means none (EMPTY): ids start at 1.
 *
 * payload points into the registry's own storage — no copy is made per
 * request — and is valid, unchanged, until the owner that retrieved it makes
 * its next registry call (any function taking that owner) or is destroyed,
 * whichever comes first. Within that window nothing can free or change it:
 * not an ACK or DELETE from another connection, not PURGE, not shutdown. So
 * a connection thread can format and send `ITEM <id> <payload>` without the
 * registry lock and then carry on. (Outside the window the bytes may live
 * on while the lease is held, but callers must not rely on that.) */
typedef struct wqi_item {
    uint64_t id;
    const uint8_t *payload; /* never NULL when id != 0, even for len 0 */
    size_t len;
} wqi_item;

/* What one item of len payload bytes counts against max_bytes: its
 * payload and a fixed 16 bytes for the registry's own records (about what
 * they take, rounded up), so that a flood of empty items is bounded too. */
#define WQI_ITEM_OVERHEAD 16u
static inline uint64_t wqi_item_charge(size_t len)
{
    return (uint64_t)len + WQI_ITEM_OVERHEAD;
}

/* ---- the registry ------------------------------------------------------ */

/* Fill *cfg with the defaults: 65,536 queues, unlimited items, no byte
 * budget, no text check, no storage. */
void wqi_registry_config_init(wqi_registry_config *cfg);

/* Create an empty registry (cfg NULL: defaults; it is copied, the store ops
 * and context must outlive the registry). Item ids start at 1.
 * Errors: WQ_ENOMEM. Not blocking. */
wq_err wqi_registry_create(const wqi_registry_config *cfg, wqi_registry **out);

/* Free the registry and everything in it (r may be NULL). Every owner must
 * have been destroyed and no other thread may use r (so nobody waits). */
void wqi_registry_destroy(wqi_registry *r);

/* Begin shutting down: every blocked retrieve returns WQ_ESHUTDOWN now, and
 * every later retrieve that would block returns it at once. Everything else
 * (including retrieves that find an item, or that do not wait) keeps
 * working, so requests in progress get their normal replies. Idempotent. */
void wqi_registry_shutdown(wqi_registry *r);

/* ---- owners (one per connection) --------------------------------------- */

/* A new owner holding nothing. Errors: WQ_ENOMEM. */
wq_err wqi_registry_owner_create(wqi_registry *r, wqi_owner **out);

/* Make every item o holds ready again (as wqi_registry_owner_release) and
 * free o (NULL: nothing). No other thread may be using o, in particular
 * waiting in wqi_registry_retrieve with it. Store errors are ignored: a
 * closed connection cannot keep its leases. */
void wqi_registry_owner_destroy(wqi_registry *r, wqi_owner *o);

/* Every item o holds becomes ready again, at its place by id, released in
 * id order (so waiters receive them oldest first), e.g. when a connection
 * closes. The store's release hook is called per item; if it fails, the item
 * is released in memory all the same (the connection is going away; a
 * journal replay makes leased items ready anyway) and the first error is
 * returned. Never fails otherwise. */
wq_err wqi_registry_owner_release(wqi_registry *r, wqi_owner *o);

/* ---- queues ------------------------------------------------------------ */

/* CREATE: a new, stopped, empty queue named as given.
 * Errors: WQ_EEXIST (the name exists in any case, also at the limit),
 * WQ_ELIMIT (max_queues reached), WQ_ENOMEM, WQ_EINVAL, store errors. */
wq_err wqi_registry_queue_create(wqi_registry *r, const char *name, size_t name_len);

/* DELETE: the queue, its items and its leases are gone; retrieves waiting on
 * it return WQ_EGONE; ACK/RELEASE of its former leases get WQ_ENOTFOUND.
 * Errors: WQ_ENOTFOUND, WQ_EINVAL, store errors. */
wq_err wqi_registry_queue_delete(wqi_registry *r, const char *name, size_t name_len);

/* START / STOP (idempotent). Starting hands ready items to waiters. A
 * stopped queue accepts publishes and hands out nothing.
 * Errors: WQ_ENOTFOUND, WQ_EINVAL, store errors. */
wq_err wqi_registry_queue_start(wqi_registry *r, const char *name, size_t name_len);
wq_err wqi_registry_queue_stop(wqi_registry *r, const char *name, size_t name_len);

/* STATUS into *out. Errors: WQ_ENOTFOUND, WQ_EINVAL. */
wq_err wqi_registry_queue_status(wqi_registry *r, const char *name, size_t name_len,
                                 wqi_queue_info *out);

/* PURGE: every ready item of the queue is gone (leased ones stay); *n (may
 * be NULL) receives how many. Errors: WQ_ENOTFOUND, WQ_EINVAL, store
 * errors. */
wq_err wqi_registry_queue_purge(wqi_registry *r, const char *name, size_t name_len, uint64_t *n);

/* LIST: a snapshot of every queue, sorted by name compared
 * case-insensitively (ASCII lowercase byte order). *rows is owned by the
 * caller and freed with wqi_registry_list_free (NULL when *n is 0). The
 * lock is held only to copy the rows (O(n)); sorting happens after.
 * Errors: WQ_ENOMEM. */
wq_err wqi_registry_list(wqi_registry *r, wqi_queue_info **rows, size_t *n);
void wqi_registry_list_free(wqi_queue_info *rows);

/* The charge (wqi_item_charge) of every item held, ready or leased: what
 * max_bytes is measured against. */
uint64_t wqi_registry_bytes(wqi_registry *r);

/* Test and diagnostics: *n receives how many retrieves wait on the queue.
 * Errors: WQ_ENOTFOUND, WQ_EINVAL. */
wq_err wqi_registry_waiters(wqi_registry *r, const char *name, size_t name_len, size_t *n);

/* ---- restoring (a journal's replay) ------------------------------------ */

/* These rebuild the state a journal holds, before the registry serves
 * anyone: the store is not called, and no limit applies (max_queues,
 * max_items, max_bytes) — nothing that was kept may be lost; a registry
 * over its limits refuses the changes that would add more. */

/* A queue as it was: its spelling, state and STATUS counters.
 * Errors: WQ_EEXIST, WQ_EINVAL, WQ_ENOMEM. */
wq_err wqi_registry_restore_queue(wqi_registry *r, const char *name, size_t name_len, int started,
                                  uint64_t published, uint64_t completed);

/* An item, ready, with its original id, appended to its queue: a queue's
 * items must be restored in ascending id order. The next id given out
 * is above id afterwards. Errors: WQ_ENOTFOUND, WQ_EINVAL (id 0 or 2^64 -
 * 1, or not above the queue's last one), WQ_ENOMEM. */
wq_err wqi_registry_restore_item(wqi_registry *r, const char *name, size_t name_len, uint64_t id,
                                 const void *payload, size_t len);

/* Ids below next_id are used up (also those of items gone since): the
 * next id given out is at least next_id. Never lowers it. */
void wqi_registry_restore_next_id(wqi_registry *r, uint64_t next_id);

/* ---- items ------------------------------------------------------------- */

/* PUBLISH: append a copy of payload[0..len) (any bytes, len may be 0 and
 * payload NULL then) as a ready item; *id (may be NULL) receives its id,
 * greater than every id given before, across all queues. If the queue is
 * started and retrieves wait on it, the oldest waiter gets the item before
 * this returns. Errors: WQ_ENOTFOUND, WQ_ELIMIT (ready + leased ==
 * max_items), WQ_ENOMEM (the item would exceed max_bytes, the memory
 * reserve is spent — alloc.h — or an allocation failed), WQ_EINVAL, store
 * errors. */
wq_err wqi_registry_publish(wqi_registry *r, const char *name, size_t name_len, const void *payload,
                            size_t len, uint64_t *id);

/* PUBLISH without the copy: as wqi_registry_publish, where *block (if
 * block and *block are not NULL) is the wqi_malloc block that holds
 * payload[0..len), e.g. the received request. A large payload (at least
 * WQI_ADOPT_MIN bytes, registry_items.h) is then kept where it is: the registry takes the
 * block (frees it with wqi_free when the item is gone, never writes to
 * it) and sets *block = NULL. Otherwise, and on any error, *block stays
 * the caller's. */
wq_err wqi_registry_publish_block(wqi_registry *r, const char *name, size_t name_len,
                                  const void *payload, size_t len, void **block, uint64_t *id);

/* RETRIEVE: lease the queue's oldest ready item (lowest id) to o and
 * describe it in *out (see wqi_item for how long payload is valid), or
 * set out->id = 0 (EMPTY).
 *
 * Blocking: with deadline_ms = WQI_NO_WAIT, answers at once. Otherwise, if
 * the queue has no item to give (empty, or stopped), waits until one can be
 * given or until wqi_clock_ms() reaches deadline_ms (INT64_MAX: no limit),
 * then answers EMPTY. Waiters on a queue are served strictly in arrival
 * order: an item that becomes available goes straight to the oldest waiter
 * (a direct hand-off under the lock), so a later caller can never take it
 * first. Starting a queue serves its waiters; an item published to a
 * stopped queue waits for START.
 *
 * require_text: if the oldest ready item is not text (config.is_text), the
 * answer is WQ_ENOTTEXT at once, with or without a wait, and the item stays
 * ready and unleased; this also ends a wait when such an item reaches a
 * waiter that requires text. A stopped queue counts as empty, so it gives
 * no WQ_ENOTTEXT.
 *
 * Errors: WQ_ENOTFOUND, WQ_EGONE (the queue was deleted while waiting),
 * WQ_ESHUTDOWN (shutdown while waiting, or would wait after shutdown),
 * WQ_ENOTTEXT, WQ_ENOMEM, WQ_EINVAL. Only one thread may wait with a given
 * owner at a time (one connection sends one request at a time). */
wq_err wqi_registry_retrieve(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                             int64_t deadline_ms, int require_text, wqi_item *out);

/* ACK: the item id that o holds on the queue is done and gone; completed
 * counts it. Errors: WQ_ENOTFOUND (no such queue, or o holds no lease on
 * item id of that queue), WQ_EINVAL, store errors. */
wq_err wqi_registry_ack(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                        uint64_t id);

/* RELEASE: the item id that o holds on the queue is ready again at its
 * place by id (the next retrieve gets it if it is the oldest); a waiter, if
 * any, gets it at once. Errors: as wqi_registry_ack. */
wq_err wqi_registry_release(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                            uint64_t id);

#endif /* WQI_REGISTRY_H */
