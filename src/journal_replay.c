/* journal_replay.c — a journal's records into a model, the model into a
 * registry (journal_replay.h).
 *
 * The model holds only what is live: a DELETE, ACK or PURGE frees what it
 * removes at once, so replaying ten million publish-and-ack cycles needs
 * no more memory than the items left at the end. Each item is one
 * allocation (its record and payload together), linked into its queue in
 * id order and found by id through a hash map. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "journal_format.h"
#include "journal_records.h"
#include "journal_replay.h"
#include "registry_ids.h"
#include "registry_names.h"

typedef struct rqueue rqueue;

typedef struct ritem {
    struct ritem *prev, *next; /* in its queue, ascending id */
    rqueue *q;
    uint64_t id;
    size_t len;
    uint8_t payload[];
} ritem;

struct rqueue {
    wqi_name_entry key; /* in m->names */
    int started;
    uint64_t published, completed;
    ritem *head, *tail;
    char name[WQ_QUEUE_NAME_MAX + 1];
};

struct wqi_replay {
    wqi_names names; /* the queues */
    wqi_ids ids;     /* live item id -> ritem */
    uint64_t next_id;
    uint64_t live, live_bytes;
};

static rqueue *queue_of(wqi_name_entry *e)
{
    return e == NULL ? NULL : (rqueue *)(void *)((char *)e - offsetof(rqueue, key));
}

wq_err wqi_replay_new(wqi_replay **out)
{
    wqi_replay *m = wqi_calloc(1, sizeof *m);
    if (m == NULL) {
        return WQ_ENOMEM;
    }
    wqi_names_init(&m->names);
    wqi_ids_init(&m->ids);
    m->next_id = 1;
    *out = m;
    return WQ_OK;
}

static void kill_item(wqi_replay *m, ritem *it)
{
    rqueue *q = it->q;
    if (it->prev != NULL) {
        it->prev->next = it->next;
    } else {
        q->head = it->next;
    }
    if (it->next != NULL) {
        it->next->prev = it->prev;
    } else {
        q->tail = it->prev;
    }
    wqi_ids_remove(&m->ids, it->id);
    m->live--;
    m->live_bytes -= it->len;
    wqi_free(it);
}

/* PURGE (held: its change) kills every item of q but the held ones, given
 * as ascending ids; DELETE (held NULL) kills every item. */
static void kill_items(wqi_replay *m, rqueue *q, const wqi_jchange *purge)
{
    const uint8_t *held = purge != NULL ? purge->payload : NULL;
    size_t left = purge != NULL ? purge->payload_len : 0;
    uint64_t next_held = 0;
    int have = held != NULL && wqi_jchange_next_held(&held, &left, &next_held);
    ritem *it = q->head;
    while (it != NULL) {
        ritem *next = it->next;
        while (have && next_held < it->id) {
            have = wqi_jchange_next_held(&held, &left, &next_held);
        }
        if (!have || next_held != it->id) { /* a held one was leased: it stays */
            kill_item(m, it);
        }
        it = next;
    }
}

static void free_queue(wqi_replay *m, rqueue *q)
{
    kill_items(m, q, NULL);
    wqi_free(q);
}

void wqi_replay_free(wqi_replay *m)
{
    if (m == NULL) {
        return;
    }
    size_t pos = 0;
    wqi_name_entry *e;
    while ((e = wqi_names_next(&m->names, &pos)) != NULL) {
        free_queue(m, queue_of(e));
    }
    wqi_names_free(&m->names);
    wqi_ids_free(&m->ids);
    wqi_free(m);
}

static rqueue *find_queue(const wqi_replay *m, const char *name, size_t len)
{
    return queue_of(wqi_names_find(&m->names, name, len, wqi_names_hash(name, len)));
}

static wq_err apply_create(wqi_replay *m, const wqi_jchange *c)
{
    if (find_queue(m, c->name, c->name_len) != NULL) {
        return WQ_EPROTO; /* created twice: contradicts what came before */
    }
    if (wqi_names_reserve_one(&m->names) != WQ_OK) {
        return WQ_ENOMEM;
    }
    rqueue *q = wqi_calloc(1, sizeof *q);
    if (q == NULL) {
        return WQ_ENOMEM;
    }
    memcpy(q->name, c->name, c->name_len);
    q->key.name = q->name;
    q->key.len = c->name_len;
    q->key.hash = wqi_names_hash(c->name, c->name_len);
    wqi_names_insert(&m->names, &q->key);
    return WQ_OK;
}

static wq_err apply_publish(wqi_replay *m, rqueue *q, const wqi_jchange *c)
{
    if (c->id == 0 || c->id == UINT64_MAX || c->id < m->next_id) {
        return WQ_EPROTO; /* ids only grow */
    }
    if (c->payload_len > SIZE_MAX - sizeof(ritem) ||
        wqi_ids_reserve(&m->ids, m->ids.count + 1) != WQ_OK) {
        return WQ_ENOMEM;
    }
    ritem *it = wqi_malloc(sizeof *it + c->payload_len);
    if (it == NULL) {
        return WQ_ENOMEM;
    }
    it->id = c->id;
    it->len = c->payload_len;
    it->q = q;
    if (c->payload_len > 0) {
        memcpy(it->payload, c->payload, c->payload_len);
    }
    it->next = NULL;
    it->prev = q->tail;
    if (q->tail != NULL) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    wqi_ids_insert(&m->ids, it->id, it);
    m->live++;
    m->live_bytes += it->len;
    m->next_id = c->id + 1;
    q->published++;
    return WQ_OK;
}

/* ACK and RELEASE name a live item by id. */
static wq_err apply_lease_end(wqi_replay *m, const wqi_jchange *c)
{
    ritem *it = wqi_ids_find(&m->ids, c->id);
    if (it == NULL) {
        return WQ_EPROTO; /* no such live item */
    }
    if (c->type == WQI_JT_ACK) {
        it->q->completed++;
        kill_item(m, it);
    }
    return WQ_OK; /* RELEASE: the item stays where it is */
}

/* Apply one change: WQ_OK, WQ_ENOMEM, or WQ_EPROTO (it cannot apply). */
static wq_err apply(wqi_replay *m, const wqi_jchange *c)
{
    switch (c->type) {
    case WQI_JT_CREATE:
        return apply_create(m, c);
    case WQI_JT_NEXT_ID:
        if (c->id > m->next_id) {
            m->next_id = c->id;
        }
        return WQ_OK;
    case WQI_JT_ACK:
    case WQI_JT_RELEASE:
        return apply_lease_end(m, c);
    default:
        break;
    }
    rqueue *q = find_queue(m, c->name, c->name_len);
    if (q == NULL) {
        return WQ_EPROTO; /* a change to a queue that does not exist */
    }
    switch (c->type) {
    case WQI_JT_DELETE:
        wqi_names_remove(&m->names, &q->key);
        free_queue(m, q);
        return WQ_OK;
    case WQI_JT_START:
    case WQI_JT_STOP:
        q->started = c->type == WQI_JT_START;
        return WQ_OK;
    case WQI_JT_PURGE:
        kill_items(m, q, c);
        return WQ_OK;
    case WQI_JT_PUBLISH:
        return apply_publish(m, q, c);
    default:
        return WQ_EPROTO;
    }
}

/* The file header: WQI_REPLAY_WHOLE when records may follow. */
static wqi_replay_end check_header(const uint8_t *file, size_t n)
{
    unsigned version;
    switch (wqi_journal_header_check(file, n, &version)) {
    case WQI_JHDR_OK:
        return WQI_REPLAY_WHOLE;
    case WQI_JHDR_NEWER:
        return WQI_REPLAY_NEWER;
    case WQI_JHDR_SHORT:
        return WQI_REPLAY_TORN; /* cut while being created */
    default:
        return WQI_REPLAY_NOT_JOURNAL;
    }
}

wq_err wqi_replay_file(wqi_replay *m, const uint8_t *file, size_t n, wqi_replay_end *end,
                       size_t *at)
{
    *at = 0;
    *end = check_header(file, n);
    if (*end != WQI_REPLAY_WHOLE) {
        return WQ_OK;
    }
    size_t off = WQI_JOURNAL_FILE_HEADER;
    while (off < n) {
        *at = off;
        wqi_jrec r;
        size_t used;
        if (wqi_jrec_decode(file + off, n - off, &r, &used) != WQI_JREC_OK) {
            int damage = wqi_jrec_valid_record_after(file, n, off + 1);
            *end = damage ? WQI_REPLAY_DAMAGED : WQI_REPLAY_TORN;
            return WQ_OK;
        }
        wqi_jchange c;
        wq_err err = wqi_jchange_decode(&r, &c);
        if (err == WQ_ENOTSUP && (r.flags & WQI_JREC_OPTIONAL)) {
            off += used; /* a newer writer's record we may skip */
            continue;
        }
        if (err == WQ_ENOTSUP) {
            *end = WQI_REPLAY_NEWER;
            return WQ_OK;
        }
        err = err == WQ_OK ? apply(m, &c) : err;
        if (err == WQ_ENOMEM) {
            return err;
        }
        if (err != WQ_OK) {
            *end = WQI_REPLAY_INVALID;
            return WQ_OK;
        }
        off += used;
    }
    *at = n;
    return WQ_OK;
}

void wqi_replay_counts(const wqi_replay *m, size_t *queues, uint64_t *items, uint64_t *bytes,
                       uint64_t *next_id)
{
    *queues = m->names.count;
    *items = m->live;
    *bytes = m->live_bytes;
    *next_id = m->next_id;
}

wq_err wqi_replay_restore(const wqi_replay *m, wqi_registry *r)
{
    size_t pos = 0;
    wqi_name_entry *e;
    while ((e = wqi_names_next(&m->names, &pos)) != NULL) {
        const rqueue *q = queue_of(e);
        wq_err err = wqi_registry_restore_queue(r, q->name, q->key.len, q->started, q->published,
                                                q->completed);
        for (const ritem *it = q->head; it != NULL && err == WQ_OK; it = it->next) {
            err = wqi_registry_restore_item(r, q->name, q->key.len, it->id, it->payload, it->len);
        }
        if (err != WQ_OK) {
            return err;
        }
    }
    wqi_registry_restore_next_id(r, m->next_id);
    return WQ_OK;
}
