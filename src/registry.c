/* registry.c — queues, owners, leases and waiters under one lock.
 *
 * Layout and costs (see also registry_items.h):
 *   - queues: found by name in a case-insensitive hash map (O(1));
 *   - items: per-queue chunks, ~1 byte of header per item, payload inline;
 *   - leases: one small record per leased item, in three places at once so
 *     each operation is O(1): a registry-wide map id -> lease (ACK,
 *     RELEASE), the owner's list (connection close) and the queue's list
 *     (DELETE). Leased items are few compared with queued ones.
 *   - waiters: a FIFO per queue of records on the waiting threads' stacks.
 *     An item that becomes available is leased to the oldest waiter right
 *     there, under the lock (direct hand-off), and only that waiter's
 *     owner's condition variable is signalled: no thundering herd, and a
 *     newer retrieve can never overtake an older one. Everything a hand-off
 *     needs (the lease record, room in the id map and in the returned heap)
 *     is allocated when the waiter starts waiting, so handing off, RELEASE
 *     and connection close never fail for lack of memory.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "platform.h"
#include "registry.h"
#include "registry_ids.h"
#include "registry_items.h"
#include "registry_names.h"

typedef struct queue queue;

struct lease {
    wqi_itemref ref; /* the item, in place in its chunk */
    queue *q;
    wqi_owner *owner;
    struct lease *oprev, *onext; /* owner's leases */
    struct lease *qprev, *qnext; /* queue's leases */
};

/* A retrieve blocked on a queue; lives on the waiting thread's stack. */
struct waiter {
    struct waiter *prev, *next;
    wqi_owner *owner;
    struct lease *spare; /* allocated up front; taken by the hand-off */
    wqi_item *out;
    int require_text;
    int done;   /* set under the lock by whoever ends the wait */
    wq_err err; /* the result when done */
};

struct queue {
    wqi_name_entry key; /* in r->names; key.name points at name[] */
    int started;
    uint64_t leased, published, completed;
    uint64_t bytes;        /* charge of every live item, ready or leased */
    uint64_t leased_bytes; /* charge of the leased ones */
    wqi_items items;
    struct lease *leases;
    struct waiter *whead, *wtail;
    size_t nwaiters;
    char name[]; /* as first written, NUL-terminated */
};

struct wqi_owner {
    struct lease *leases;
    wqi_chunk *pin; /* chunk of the last item handed out; see wqi_item */
    wqi_cond cond;  /* signalled when one of its waits ends */
};

struct wqi_registry {
    wqi_mutex lock;
    wqi_registry_config cfg;
    const struct wqi_store_ops *store; /* never NULL (no_store) */
    wqi_names names;
    wqi_ids leases; /* id -> struct lease */
    uint64_t next_id;
    uint64_t bytes;  /* charge of every item of every queue (max_bytes) */
    size_t nwaiting; /* waiters on all queues (id map reservation) */
    size_t nowners;
    int shutdown;
};

static const struct wqi_store_ops no_store = {0};

/* ---- small helpers ----------------------------------------------------- */

static int name_ok(const char *name, size_t len)
{
    return name != NULL && len >= 1 && len <= WQ_QUEUE_NAME_MAX;
}

static queue *queue_find(wqi_registry *r, const char *name, size_t len)
{
    wqi_name_entry *e = wqi_names_find(&r->names, name, len, wqi_names_hash(name, len));
    return e == NULL ? NULL : (queue *)(void *)((char *)e - offsetof(queue, key));
}

static int is_text(const wqi_registry *r, const wqi_itemref *ref)
{
    return r->cfg.is_text == NULL || r->cfg.is_text(wqi_itemref_payload(ref), ref->len);
}

/* Calls a hook that takes only the queue name, if there is one. */
static wq_err store_named(const wqi_registry *r, wq_err (*hook)(void *, const char *),
                          const queue *q)
{
    return hook == NULL ? WQ_OK : hook(r->cfg.store_ctx, q->name);
}

static wq_err store_item(const wqi_registry *r, wq_err (*hook)(void *, const char *, uint64_t),
                         const queue *q, uint64_t id)
{
    return hook == NULL ? WQ_OK : hook(r->cfg.store_ctx, q->name, id);
}

/* Once nothing can come back to the queue's returned heap, give back its
 * memory. */
static void queue_trim(wqi_registry *r, queue *q)
{
    if (q->leased == 0 && q->nwaiters == 0) {
        wqi_items_trim(&q->items);
    }
    /* Slots reserved for waiters must stay (see lease_reserve). */
    wqi_ids_compact(&r->leases, r->leases.count + r->nwaiting);
}

/* ---- owners' pins ------------------------------------------------------ */

/* Ends the validity window of the last payload handed to o. Called at the
 * start of every call taking o, so the window is "until o's next call". */
static void owner_unpin(wqi_owner *o)
{
    if (o->pin != NULL) {
        wqi_chunk_unpin(o->pin);
        o->pin = NULL;
    }
}

static void owner_pin(wqi_owner *o, wqi_chunk *c)
{
    owner_unpin(o);
    wqi_chunk_pin(c);
    o->pin = c;
}

/* ---- leases ------------------------------------------------------------ */

/* Allocates what leasing one more item of q needs, so the lease itself (now
 * or in a later hand-off) cannot fail: the record, a slot in the id map for
 * every lease and waiter, and room in q's returned heap for every item that
 * may be released (leased ones and waiters' future ones). */
static wq_err lease_reserve(wqi_registry *r, queue *q, struct lease **out)
{
    if (wqi_ids_reserve(&r->leases, r->leases.count + r->nwaiting + 1) != WQ_OK ||
        wqi_items_reserve_returns(&q->items, q->leased + q->nwaiters + 1) != WQ_OK) {
        return WQ_ENOMEM;
    }
    *out = wqi_malloc(sizeof **out);
    return *out == NULL ? WQ_ENOMEM : WQ_OK;
}

static void lease_link(wqi_registry *r, struct lease *l)
{
    wqi_ids_insert(&r->leases, l->ref.id, l);
    l->oprev = NULL;
    l->onext = l->owner->leases;
    if (l->onext != NULL) {
        l->onext->oprev = l;
    }
    l->owner->leases = l;
    l->qprev = NULL;
    l->qnext = l->q->leases;
    if (l->qnext != NULL) {
        l->qnext->qprev = l;
    }
    l->q->leases = l;
    l->q->leased++;
    l->q->leased_bytes += wqi_item_charge(l->ref.len);
}

static void lease_unlink(wqi_registry *r, struct lease *l)
{
    wqi_ids_remove(&r->leases, l->ref.id);
    if (l->oprev != NULL) {
        l->oprev->onext = l->onext;
    } else {
        l->owner->leases = l->onext;
    }
    if (l->onext != NULL) {
        l->onext->oprev = l->oprev;
    }
    if (l->qprev != NULL) {
        l->qprev->qnext = l->qnext;
    } else {
        l->q->leases = l->qnext;
    }
    if (l->qnext != NULL) {
        l->qnext->qprev = l->qprev;
    }
    l->q->leased--;
    l->q->leased_bytes -= wqi_item_charge(l->ref.len);
}

/* The lease o holds on item id of q, or NULL. */
static struct lease *lease_find(wqi_registry *r, const queue *q, const wqi_owner *o, uint64_t id)
{
    struct lease *l = wqi_ids_find(&r->leases, id);
    return (l != NULL && l->q == q && l->owner == o) ? l : NULL;
}

/* Leases q's oldest ready item to o using the reserved record l, and
 * describes it in *out. */
static void hand_out(wqi_registry *r, queue *q, wqi_owner *o, struct lease *l, wqi_item *out)
{
    int found = wqi_items_peek(&q->items, &l->ref);
    assert(found);
    (void)found;
    wqi_items_pop(&q->items);
    l->q = q;
    l->owner = o;
    lease_link(r, l);
    owner_pin(o, l->ref.chunk);
    out->id = l->ref.id;
    out->payload = wqi_itemref_payload(&l->ref);
    out->len = l->ref.len;
}

/* Makes a leased item ready again at its place by id. */
static void lease_return(wqi_registry *r, struct lease *l)
{
    queue *q = l->q;
    lease_unlink(r, l);
    wqi_items_return(&q->items, &l->ref);
    wqi_free(l);
}

/* ---- waiters ----------------------------------------------------------- */

static void waiter_enqueue(wqi_registry *r, queue *q, struct waiter *w)
{
    w->next = NULL;
    w->prev = q->wtail;
    if (q->wtail != NULL) {
        q->wtail->next = w;
    } else {
        q->whead = w;
    }
    q->wtail = w;
    q->nwaiters++;
    r->nwaiting++;
}

static void waiter_unlink(wqi_registry *r, queue *q, struct waiter *w)
{
    if (w->prev != NULL) {
        w->prev->next = w->next;
    } else {
        q->whead = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    } else {
        q->wtail = w->prev;
    }
    q->nwaiters--;
    r->nwaiting--;
}

/* Ends w's wait with err (after its item, if any, was handed out). */
static void waiter_finish(wqi_registry *r, queue *q, struct waiter *w, wq_err err)
{
    waiter_unlink(r, q, w);
    w->done = 1;
    w->err = err;
    /* Broadcast, not signal: should two threads ever wait with one owner,
     * each checks its own done flag. */
    wqi_cond_broadcast(&w->owner->cond);
}

static void waiters_fail_all(wqi_registry *r, queue *q, wq_err err)
{
    while (q->whead != NULL) {
        waiter_finish(r, q, q->whead, err);
    }
}

/* Serves q's waiters, oldest first, while q is started and has ready items.
 * Called after anything that can make an item available. Invariant after
 * it returns (and so whenever the lock is free): a started queue with a
 * ready item has no waiters. */
static void dispatch(wqi_registry *r, queue *q)
{
    wqi_itemref ref;
    while (q->started && q->whead != NULL && wqi_items_peek(&q->items, &ref)) {
        struct waiter *w = q->whead;
        if (w->require_text && !is_text(r, &ref)) {
            waiter_finish(r, q, w, WQ_ENOTTEXT);
            continue;
        }
        struct lease *l = w->spare;
        w->spare = NULL;
        hand_out(r, q, w->owner, l, w->out);
        waiter_finish(r, q, w, WQ_OK);
    }
}

/* Blocks until a hand-off, a deadline, DELETE or shutdown. Lock held. */
static wq_err wait_for_item(wqi_registry *r, wqi_owner *o, queue *q, int64_t deadline_ms,
                            int require_text, wqi_item *out)
{
    struct waiter w;
    memset(&w, 0, sizeof w);
    wq_err err = lease_reserve(r, q, &w.spare);
    if (err != WQ_OK) {
        return err;
    }
    w.owner = o;
    w.out = out;
    w.require_text = require_text;
    waiter_enqueue(r, q, &w);
    while (!w.done) {
        if (wqi_cond_wait_until(&o->cond, &r->lock, deadline_ms) == WQ_ETIMEDOUT && !w.done) {
            /* Not done, so q still exists and w is still in its list. */
            waiter_unlink(r, q, &w);
            queue_trim(r, q);
            break;
        }
    }
    wqi_free(w.spare); /* NULL if a hand-off used it */
    return w.done ? w.err : WQ_OK;
}

/* ---- the registry ------------------------------------------------------ */

void wqi_registry_config_init(wqi_registry_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_queues = WQI_REGISTRY_DEFAULT_MAX_QUEUES;
}

wq_err wqi_registry_create(const wqi_registry_config *cfg, wqi_registry **out)
{
    wqi_registry *r = wqi_calloc(1, sizeof *r);
    if (r == NULL) {
        return WQ_ENOMEM;
    }
    if (cfg != NULL) {
        r->cfg = *cfg;
    } else {
        wqi_registry_config_init(&r->cfg);
    }
    if (r->cfg.max_queues == 0) {
        r->cfg.max_queues = WQI_REGISTRY_DEFAULT_MAX_QUEUES;
    }
    r->store = r->cfg.store != NULL ? r->cfg.store : &no_store;
    wqi_mutex_init(&r->lock);
    wqi_names_init(&r->names);
    wqi_ids_init(&r->leases);
    r->next_id = 1;
    *out = r;
    return WQ_OK;
}

static void queue_free(queue *q)
{
    wqi_items_clear(&q->items);
    wqi_free(q);
}

void wqi_registry_destroy(wqi_registry *r)
{
    if (r == NULL) {
        return;
    }
    /* Leases and waiters belong to owners; with none left, none remain. */
    assert(r->nowners == 0 && r->nwaiting == 0);
    size_t pos = 0;
    wqi_name_entry *e;
    while ((e = wqi_names_next(&r->names, &pos)) != NULL) {
        queue_free((queue *)(void *)((char *)e - offsetof(queue, key)));
    }
    wqi_names_free(&r->names);
    wqi_ids_free(&r->leases);
    wqi_mutex_destroy(&r->lock);
    wqi_free(r);
}

void wqi_registry_shutdown(wqi_registry *r)
{
    wqi_mutex_lock(&r->lock);
    r->shutdown = 1;
    size_t pos = 0;
    wqi_name_entry *e;
    while ((e = wqi_names_next(&r->names, &pos)) != NULL) {
        waiters_fail_all(r, (queue *)(void *)((char *)e - offsetof(queue, key)), WQ_ESHUTDOWN);
    }
    wqi_mutex_unlock(&r->lock);
}

/* ---- owners ------------------------------------------------------------ */

wq_err wqi_registry_owner_create(wqi_registry *r, wqi_owner **out)
{
    wqi_owner *o = wqi_calloc(1, sizeof *o);
    if (o == NULL) {
        return WQ_ENOMEM;
    }
    wqi_cond_init(&o->cond);
    wqi_mutex_lock(&r->lock);
    r->nowners++;
    wqi_mutex_unlock(&r->lock);
    *out = o;
    return WQ_OK;
}

/* Merges two id-sorted lists linked by onext. */
static struct lease *leases_merge(struct lease *a, struct lease *b)
{
    struct lease head;
    struct lease *t = &head;
    while (a != NULL && b != NULL) {
        if (a->ref.id < b->ref.id) {
            t->onext = a;
            a = a->onext;
        } else {
            t->onext = b;
            b = b->onext;
        }
        t = t->onext;
    }
    t->onext = a != NULL ? a : b;
    return head.onext;
}

/* Sorts a list linked by onext by id (merge sort: O(n log n), no memory,
 * so closing a connection never fails), then relinks oprev. */
static struct lease *leases_sort(struct lease *l)
{
    if (l == NULL || l->onext == NULL) {
        return l;
    }
    struct lease *slow = l, *fast = l->onext;
    while (fast != NULL && fast->onext != NULL) {
        slow = slow->onext;
        fast = fast->onext->onext;
    }
    struct lease *second = slow->onext;
    slow->onext = NULL;
    return leases_merge(leases_sort(l), leases_sort(second));
}

static wq_err owner_release_locked(wqi_registry *r, wqi_owner *o)
{
    o->leases = leases_sort(o->leases);
    struct lease *prev = NULL;
    for (struct lease *l = o->leases; l != NULL; l = l->onext) {
        l->oprev = prev;
        prev = l;
    }
    wq_err first = WQ_OK;
    while (o->leases != NULL) {
        struct lease *l = o->leases;
        queue *q = l->q;
        wq_err err = store_item(r, r->store->release, q, l->ref.id);
        if (err != WQ_OK && first == WQ_OK) {
            first = err;
        }
        lease_return(r, l);
        /* Oldest first: each item goes to the next waiter in turn. */
        dispatch(r, q);
        queue_trim(r, q);
    }
    return first;
}

wq_err wqi_registry_owner_release(wqi_registry *r, wqi_owner *o)
{
    wqi_mutex_lock(&r->lock);
    owner_unpin(o);
    wq_err err = owner_release_locked(r, o);
    wqi_mutex_unlock(&r->lock);
    return err;
}

void wqi_registry_owner_destroy(wqi_registry *r, wqi_owner *o)
{
    if (o == NULL) {
        return;
    }
    wqi_mutex_lock(&r->lock);
    owner_unpin(o);
    (void)owner_release_locked(r, o);
    r->nowners--;
    wqi_mutex_unlock(&r->lock);
    wqi_cond_destroy(&o->cond);
    wqi_free(o);
}

/* ---- queues ------------------------------------------------------------ */

/* CREATE, or (restoring) a queue a journal holds: then neither the limit
 * nor the store applies. */
static wq_err queue_create_locked(wqi_registry *r, const char *name, size_t len, int restoring)
{
    if (queue_find(r, name, len) != NULL) {
        return WQ_EEXIST; /* before the limit: docs/protocol.md's check order */
    }
    if (!restoring && r->names.count >= r->cfg.max_queues) {
        return WQ_ELIMIT;
    }
    queue *q = wqi_calloc(1, sizeof *q + len + 1);
    if (q == NULL) {
        return WQ_ENOMEM;
    }
    memcpy(q->name, name, len);
    q->name[len] = '\0';
    q->key.name = q->name;
    q->key.len = len;
    q->key.hash = wqi_names_hash(name, len);
    wqi_items_init(&q->items);
    wq_err err = wqi_names_reserve_one(&r->names);
    if (err == WQ_OK && !restoring) {
        err = store_named(r, r->store->create, q);
    }
    if (err != WQ_OK) {
        wqi_free(q);
        return err;
    }
    wqi_names_insert(&r->names, &q->key);
    return WQ_OK;
}

wq_err wqi_registry_queue_create(wqi_registry *r, const char *name, size_t name_len)
{
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    wq_err err = queue_create_locked(r, name, name_len, 0);
    wqi_mutex_unlock(&r->lock);
    return err;
}

/* ---- restoring --------------------------------------------------------- */

wq_err wqi_registry_restore_queue(wqi_registry *r, const char *name, size_t name_len, int started,
                                  uint64_t published, uint64_t completed)
{
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    wq_err err = queue_create_locked(r, name, name_len, 1);
    if (err == WQ_OK) {
        queue *q = queue_find(r, name, name_len);
        q->started = started != 0;
        q->published = published;
        q->completed = completed;
    }
    wqi_mutex_unlock(&r->lock);
    return err;
}

wq_err wqi_registry_restore_item(wqi_registry *r, const char *name, size_t name_len, uint64_t id,
                                 const void *payload, size_t len)
{
    if (!name_ok(name, name_len) || id == 0 || id == UINT64_MAX || (payload == NULL && len > 0)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, name_len);
    wq_err err = q == NULL ? WQ_ENOTFOUND : WQ_OK;
    /* Records are delta-coded against the previous id of their queue
     * (registry_items.h): a queue's items come in ascending id order. */
    if (err == WQ_OK && q->items.tail != NULL && id <= q->items.tail->last_id) {
        err = WQ_EINVAL;
    }
    if (err == WQ_OK) {
        err = wqi_items_prepare(&q->items, id, len, 0);
    }
    if (err == WQ_OK) {
        wqi_items_append(&q->items, id, payload, len, NULL);
        uint64_t charge = wqi_item_charge(len);
        q->bytes += charge;
        r->bytes += charge;
        if (id >= r->next_id) {
            r->next_id = id + 1;
        }
    }
    wqi_mutex_unlock(&r->lock);
    return err;
}

void wqi_registry_restore_next_id(wqi_registry *r, uint64_t next_id)
{
    wqi_mutex_lock(&r->lock);
    if (next_id > r->next_id) {
        r->next_id = next_id;
    }
    wqi_mutex_unlock(&r->lock);
}

static wq_err queue_delete_locked(wqi_registry *r, queue *q)
{
    wq_err err = store_named(r, r->store->remove, q);
    if (err != WQ_OK) {
        return err;
    }
    waiters_fail_all(r, q, WQ_EGONE);
    while (q->leases != NULL) {
        struct lease *l = q->leases;
        lease_unlink(r, l);
        wqi_free(l);
    }
    r->bytes -= q->bytes;
    wqi_names_remove(&r->names, &q->key);
    queue_free(q); /* chunks pinned by owners outlive it (see wqi_item) */
    return WQ_OK;
}

static wq_err queue_set_started(wqi_registry *r, queue *q, int started)
{
    if (q->started == started) {
        return WQ_OK; /* idempotent, and not a change to store */
    }
    wq_err err = store_named(r, started ? r->store->start : r->store->stop, q);
    if (err != WQ_OK) {
        return err;
    }
    q->started = started;
    dispatch(r, q);
    return WQ_OK;
}

static void queue_info(const queue *q, wqi_queue_info *out)
{
    memcpy(out->name, q->name, q->key.len + 1);
    out->name_len = q->key.len;
    out->started = q->started;
    out->ready = wqi_items_ready(&q->items);
    out->leased = q->leased;
    out->published = q->published;
    out->completed = q->completed;
}

static wq_err queue_purge_locked(wqi_registry *r, queue *q, uint64_t *n)
{
    size_t ready = wqi_items_ready(&q->items);
    if (ready > 0) {
        wq_err err = store_named(r, r->store->purge, q);
        if (err != WQ_OK) {
            return err;
        }
        wqi_items_purge(&q->items);
        /* What is left is exactly what is leased. */
        r->bytes -= q->bytes - q->leased_bytes;
        q->bytes = q->leased_bytes;
        queue_trim(r, q);
    }
    if (n != NULL) {
        *n = ready;
    }
    return WQ_OK;
}

/* The commands that take a queue name and nothing to return share this
 * shape: check the name, lock, find, act. */
enum queue_op { OP_DELETE, OP_START, OP_STOP };

static wq_err queue_op(wqi_registry *r, const char *name, size_t len, enum queue_op op)
{
    if (!name_ok(name, len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, len);
    wq_err err = WQ_ENOTFOUND;
    if (q != NULL) {
        err = op == OP_DELETE ? queue_delete_locked(r, q) : queue_set_started(r, q, op == OP_START);
    }
    wqi_mutex_unlock(&r->lock);
    return err;
}

wq_err wqi_registry_queue_delete(wqi_registry *r, const char *name, size_t name_len)
{
    return queue_op(r, name, name_len, OP_DELETE);
}

wq_err wqi_registry_queue_start(wqi_registry *r, const char *name, size_t name_len)
{
    return queue_op(r, name, name_len, OP_START);
}

wq_err wqi_registry_queue_stop(wqi_registry *r, const char *name, size_t name_len)
{
    return queue_op(r, name, name_len, OP_STOP);
}

wq_err wqi_registry_queue_status(wqi_registry *r, const char *name, size_t name_len,
                                 wqi_queue_info *out)
{
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, name_len);
    if (q != NULL) {
        queue_info(q, out);
    }
    wqi_mutex_unlock(&r->lock);
    return q != NULL ? WQ_OK : WQ_ENOTFOUND;
}

wq_err wqi_registry_queue_purge(wqi_registry *r, const char *name, size_t name_len, uint64_t *n)
{
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, name_len);
    wq_err err = q != NULL ? queue_purge_locked(r, q, n) : WQ_ENOTFOUND;
    wqi_mutex_unlock(&r->lock);
    return err;
}

wq_err wqi_registry_waiters(wqi_registry *r, const char *name, size_t name_len, size_t *n)
{
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, name_len);
    if (q != NULL) {
        *n = q->nwaiters;
    }
    wqi_mutex_unlock(&r->lock);
    return q != NULL ? WQ_OK : WQ_ENOTFOUND;
}

static int info_compare(const void *a, const void *b)
{
    const wqi_queue_info *x = a, *y = b;
    return wqi_names_compare(x->name, x->name_len, y->name, y->name_len);
}

wq_err wqi_registry_list(wqi_registry *r, wqi_queue_info **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    wqi_mutex_lock(&r->lock);
    size_t count = r->names.count;
    wqi_queue_info *v = count > 0 ? wqi_malloc(count * sizeof *v) : NULL;
    if (count > 0 && v == NULL) {
        wqi_mutex_unlock(&r->lock);
        return WQ_ENOMEM;
    }
    size_t pos = 0, i = 0;
    wqi_name_entry *e;
    while ((e = wqi_names_next(&r->names, &pos)) != NULL) {
        queue_info((const queue *)(const void *)((const char *)e - offsetof(queue, key)), &v[i++]);
    }
    wqi_mutex_unlock(&r->lock);
    /* Sorting outside the lock: O(n log n) for 10,000 queues is ~1 ms that
     * no other request waits for. */
    if (count > 1) {
        qsort(v, count, sizeof *v, info_compare);
    }
    *rows = v;
    *n = count;
    return WQ_OK;
}

uint64_t wqi_registry_bytes(wqi_registry *r)
{
    wqi_mutex_lock(&r->lock);
    uint64_t n = r->bytes;
    wqi_mutex_unlock(&r->lock);
    return n;
}

void wqi_registry_list_free(wqi_queue_info *rows)
{
    wqi_free(rows);
}

/* ---- items ------------------------------------------------------------- */

static wq_err publish_locked(wqi_registry *r, queue *q, const void *payload, size_t len,
                             void **block, uint64_t *id)
{
    uint64_t held = wqi_items_ready(&q->items) + q->leased;
    if (r->cfg.max_items != 0 && held >= r->cfg.max_items) {
        return WQ_ELIMIT;
    }
    /* The budget, and the reserve (alloc.h): what memory is left is kept
     * for the requests that free memory or look. */
    uint64_t charge = wqi_item_charge(len);
    if ((r->cfg.max_bytes != 0 &&
         (r->bytes > r->cfg.max_bytes || charge > r->cfg.max_bytes - r->bytes)) ||
        wqi_alloc_reserve_spent()) {
        return WQ_ENOMEM;
    }
    uint64_t next = r->next_id;
    int adopt = block != NULL && *block != NULL && len >= WQI_ADOPT_MIN;
    wq_err err = wqi_items_prepare(&q->items, next, len, adopt);
    if (err == WQ_OK && r->store->publish != NULL) {
        err = r->store->publish(r->cfg.store_ctx, q->name, next, payload, len);
    }
    if (err != WQ_OK) {
        return err; /* the id is not used up either */
    }
    wqi_items_append(&q->items, next, payload, len, adopt ? *block : NULL);
    if (adopt) {
        *block = NULL;
    }
    r->next_id++;
    q->published++;
    q->bytes += charge;
    r->bytes += charge;
    dispatch(r, q);
    if (id != NULL) {
        *id = next;
    }
    return WQ_OK;
}

wq_err wqi_registry_publish_block(wqi_registry *r, const char *name, size_t name_len,
                                  const void *payload, size_t len, void **block, uint64_t *id)
{
    if (!name_ok(name, name_len) || (payload == NULL && len > 0)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    queue *q = queue_find(r, name, name_len);
    wq_err err = q != NULL ? publish_locked(r, q, payload, len, block, id) : WQ_ENOTFOUND;
    wqi_mutex_unlock(&r->lock);
    return err;
}

wq_err wqi_registry_publish(wqi_registry *r, const char *name, size_t name_len, const void *payload,
                            size_t len, uint64_t *id)
{
    return wqi_registry_publish_block(r, name, name_len, payload, len, NULL, id);
}

static wq_err retrieve_locked(wqi_registry *r, wqi_owner *o, queue *q, int64_t deadline_ms,
                              int require_text, wqi_item *out)
{
    wqi_itemref ref;
    /* By dispatch's invariant, a started queue with a ready item has no
     * waiters, so taking it now overtakes nobody. */
    if (q->started && wqi_items_peek(&q->items, &ref)) {
        if (require_text && !is_text(r, &ref)) {
            return WQ_ENOTTEXT;
        }
        struct lease *l;
        wq_err err = lease_reserve(r, q, &l);
        if (err == WQ_OK) {
            hand_out(r, q, o, l, out);
        }
        return err;
    }
    if (deadline_ms == WQI_NO_WAIT) {
        return WQ_OK;
    }
    if (r->shutdown) {
        return WQ_ESHUTDOWN;
    }
    return wait_for_item(r, o, q, deadline_ms, require_text, out);
}

wq_err wqi_registry_retrieve(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                             int64_t deadline_ms, int require_text, wqi_item *out)
{
    out->id = 0;
    out->payload = NULL;
    out->len = 0;
    if (!name_ok(name, name_len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    owner_unpin(o);
    queue *q = queue_find(r, name, name_len);
    wq_err err = WQ_ENOTFOUND;
    if (q != NULL) {
        err = retrieve_locked(r, o, q, deadline_ms, require_text, out);
    }
    wqi_mutex_unlock(&r->lock);
    return err;
}

/* ACK and RELEASE: find the lease o holds on item id of the queue, let the
 * store veto, then complete or return it. */
static wq_err lease_end(wqi_registry *r, wqi_owner *o, const char *name, size_t len, uint64_t id,
                        int ack)
{
    if (!name_ok(name, len)) {
        return WQ_EINVAL;
    }
    wqi_mutex_lock(&r->lock);
    owner_unpin(o);
    queue *q = queue_find(r, name, len);
    struct lease *l = q != NULL ? lease_find(r, q, o, id) : NULL;
    wq_err err = WQ_ENOTFOUND;
    if (l != NULL) {
        err = store_item(r, ack ? r->store->ack : r->store->release, q, id);
    }
    if (l != NULL && err == WQ_OK) {
        if (ack) {
            uint64_t charge = wqi_item_charge(l->ref.len);
            q->bytes -= charge;
            r->bytes -= charge;
            lease_unlink(r, l);
            wqi_chunk_kill(l->ref.chunk);
            wqi_free(l);
            q->completed++;
        } else {
            lease_return(r, l);
            dispatch(r, q);
        }
        queue_trim(r, q);
    }
    wqi_mutex_unlock(&r->lock);
    return err;
}

wq_err wqi_registry_ack(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                        uint64_t id)
{
    return lease_end(r, o, name, name_len, id, 1);
}

wq_err wqi_registry_release(wqi_registry *r, wqi_owner *o, const char *name, size_t name_len,
                            uint64_t id)
{
    return lease_end(r, o, name, name_len, id, 0);
}
