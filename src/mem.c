/* mem.c — the in-process transport: a table of named listeners and, per
 * connection, a pair of message queues under one lock. Deterministic and
 * portable; the tests use it to check the contract without an OS in the way,
 * and applications use it to embed server and client in one process. */
#include <string.h>

#include "alloc.h"
#include "platform.h"
#include "transport_ops.h"

/* A sender blocks while its peer has this many bytes unread, so a peer that
 * never reads cannot grow memory without bound. One message is always
 * accepted into an empty queue, whatever its size. */
#define MEM_QUEUE_BYTES (4u * 1024u * 1024u)

struct mem_msg {
    struct mem_msg *next;
    size_t len;
    void *data; /* wqi_malloc'd len + 1 bytes, handed to the receiver */
};

/* One direction of a connection. */
struct mem_queue {
    struct mem_msg *head;
    struct mem_msg *tail;
    size_t bytes;
};

/* Both ends of one connection. Side 0 is the client, side 1 the server;
 * in[s] holds the messages side s will receive. */
struct mem_pipe {
    wqi_mutex lock;
    wqi_cond changed; /* any queue or closed flag changed */
    struct mem_queue in[2];
    int closed[2]; /* side s shut down */
    int refs;      /* ends not yet closed */
};

struct mem_conn {
    struct wqi_conn_base base;
    struct mem_pipe *pipe;
    int side;
    int recv_broken;               /* after WQ_EMSGSIZE */
    struct mem_conn *next_pending; /* listener backlog link */
};

struct mem_listener {
    struct wqi_listener_base base;
    struct mem_listener *next; /* in the endpoint table */
    char name[WQ_ENDPOINT_MAX];
    wqi_mutex lock;
    wqi_cond changed;
    struct mem_conn *pending_head;
    struct mem_conn *pending_tail;
    int shut;
};

/* The endpoint table: listeners by name. Lock order: table, then listener,
 * then pipe. */
static struct {
    wqi_mutex lock;
    struct mem_listener *head;
} table;

static wqi_once table_once = WQI_ONCE_INIT;

static void table_init_once(void)
{
    wqi_mutex_init(&table.lock);
}

/* Listeners and clients may appear first on any thread. */
static void table_init(void)
{
    wqi_once_run(&table_once, table_init_once);
}

static struct mem_listener *find_listener(const char *name)
{
    for (struct mem_listener *l = table.head; l != NULL; l = l->next) {
        if (strcmp(l->name, name) == 0) {
            return l;
        }
    }
    return NULL;
}

static wq_err mem_resolve(const char *name, char *buf, size_t size)
{
    size_t n = strlen(name);
    if (n >= size || n >= WQ_ENDPOINT_MAX) {
        return WQ_ENAMETOOLONG;
    }
    memcpy(buf, name, n + 1);
    return WQ_OK;
}

static wq_err mem_listen(const char *endpoint, const wq_listen_opts *opts, wq_listener **out)
{
    (void)opts;
    table_init();
    struct mem_listener *l = wqi_calloc(1, sizeof *l);
    if (l == NULL) {
        return WQ_ENOMEM;
    }
    l->base.ops = &wqi_transport_mem;
    memcpy(l->name, endpoint, strlen(endpoint) + 1);
    wqi_mutex_init(&l->lock);
    wqi_cond_init(&l->changed);

    wqi_mutex_lock(&table.lock);
    if (find_listener(endpoint) != NULL) {
        wqi_mutex_unlock(&table.lock);
        wqi_cond_destroy(&l->changed);
        wqi_mutex_destroy(&l->lock);
        wqi_free(l);
        return WQ_EADDRINUSE;
    }
    l->next = table.head;
    table.head = l;
    wqi_mutex_unlock(&table.lock);
    *out = (wq_listener *)l;
    return WQ_OK;
}

/* Remove l from the table so that new clients get WQ_ENOENT. */
static void unregister(struct mem_listener *l)
{
    wqi_mutex_lock(&table.lock);
    for (struct mem_listener **p = &table.head; *p != NULL; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            break;
        }
    }
    wqi_mutex_unlock(&table.lock);
}

static void free_queue(struct mem_queue *q)
{
    struct mem_msg *m = q->head;
    while (m != NULL) {
        struct mem_msg *next = m->next;
        wqi_free(m->data);
        wqi_free(m);
        m = next;
    }
    memset(q, 0, sizeof *q);
}

static void mem_conn_shutdown(wq_conn *c)
{
    struct mem_conn *mc = (struct mem_conn *)c;
    struct mem_pipe *p = mc->pipe;
    wqi_mutex_lock(&p->lock);
    p->closed[mc->side] = 1;
    wqi_cond_broadcast(&p->changed);
    wqi_mutex_unlock(&p->lock);
}

static void mem_conn_close(wq_conn *c)
{
    struct mem_conn *mc = (struct mem_conn *)c;
    struct mem_pipe *p = mc->pipe;
    wqi_mutex_lock(&p->lock);
    p->closed[mc->side] = 1;
    wqi_cond_broadcast(&p->changed);
    int last = --p->refs == 0;
    wqi_mutex_unlock(&p->lock);
    if (last) {
        free_queue(&p->in[0]);
        free_queue(&p->in[1]);
        wqi_cond_destroy(&p->changed);
        wqi_mutex_destroy(&p->lock);
        wqi_free(p);
    }
    wqi_free(mc);
}

/* Is the client that made this pending connection already gone? */
static int peer_gone(struct mem_conn *server_end)
{
    struct mem_pipe *p = server_end->pipe;
    wqi_mutex_lock(&p->lock);
    int gone = p->closed[0] && p->in[1].head == NULL;
    wqi_mutex_unlock(&p->lock);
    return gone;
}

static wq_err mem_accept(wq_listener *wl, int timeout_ms, wq_conn **out)
{
    struct mem_listener *l = (struct mem_listener *)wl;
    int64_t deadline = wqi_deadline(timeout_ms);
    wqi_mutex_lock(&l->lock);
    for (;;) {
        if (l->shut) {
            wqi_mutex_unlock(&l->lock);
            return WQ_ECLOSED;
        }
        struct mem_conn *c = l->pending_head;
        if (c != NULL) {
            l->pending_head = c->next_pending;
            if (l->pending_head == NULL) {
                l->pending_tail = NULL;
            }
            c->next_pending = NULL;
            /* A client that connected and left without sending anything is
             * absorbed here, as the contract promises. */
            if (peer_gone(c)) {
                wqi_mutex_unlock(&l->lock);
                mem_conn_close((wq_conn *)c);
                wqi_mutex_lock(&l->lock);
                continue;
            }
            wqi_mutex_unlock(&l->lock);
            *out = (wq_conn *)c;
            return WQ_OK;
        }
        if (wqi_cond_wait_until(&l->changed, &l->lock, deadline) == WQ_ETIMEDOUT) {
            wqi_mutex_unlock(&l->lock);
            return WQ_ETIMEDOUT;
        }
    }
}

static void mem_listener_shutdown(wq_listener *wl)
{
    struct mem_listener *l = (struct mem_listener *)wl;
    unregister(l);
    wqi_mutex_lock(&l->lock);
    l->shut = 1;
    wqi_cond_broadcast(&l->changed);
    wqi_mutex_unlock(&l->lock);
}

static void mem_listener_close(wq_listener *wl)
{
    struct mem_listener *l = (struct mem_listener *)wl;
    mem_listener_shutdown(wl);
    /* Clients never accepted see their connection closed. */
    struct mem_conn *c = l->pending_head;
    while (c != NULL) {
        struct mem_conn *next = c->next_pending;
        mem_conn_close((wq_conn *)c);
        c = next;
    }
    wqi_cond_destroy(&l->changed);
    wqi_mutex_destroy(&l->lock);
    wqi_free(l);
}

static struct mem_conn *new_end(struct mem_pipe *p, int side)
{
    struct mem_conn *c = wqi_calloc(1, sizeof *c);
    if (c != NULL) {
        wqi_conn_base_init(&c->base, &wqi_transport_mem);
        c->pipe = p;
        c->side = side;
    }
    return c;
}

static wq_err mem_connect(const char *endpoint, int timeout_ms, wq_conn **out)
{
    (void)timeout_ms; /* a mem listener has an unbounded backlog */
    table_init();
    struct mem_pipe *p = wqi_calloc(1, sizeof *p);
    struct mem_conn *client = p != NULL ? new_end(p, 0) : NULL;
    struct mem_conn *server = client != NULL ? new_end(p, 1) : NULL;
    if (server == NULL) {
        wqi_free(client);
        wqi_free(p);
        return WQ_ENOMEM;
    }
    wqi_mutex_init(&p->lock);
    wqi_cond_init(&p->changed);
    p->refs = 2;

    wqi_mutex_lock(&table.lock);
    struct mem_listener *l = find_listener(endpoint);
    if (l == NULL) {
        wqi_mutex_unlock(&table.lock);
        mem_conn_close((wq_conn *)server);
        mem_conn_close((wq_conn *)client);
        return WQ_ENOENT;
    }
    wqi_mutex_lock(&l->lock);
    if (l->pending_tail != NULL) {
        l->pending_tail->next_pending = server;
    } else {
        l->pending_head = server;
    }
    l->pending_tail = server;
    wqi_cond_signal(&l->changed);
    wqi_mutex_unlock(&l->lock);
    wqi_mutex_unlock(&table.lock);
    *out = (wq_conn *)client;
    return WQ_OK;
}

static wq_err mem_send(wq_conn *c, const void *buf, size_t len, int timeout_ms)
{
    struct mem_conn *mc = (struct mem_conn *)c;
    struct mem_pipe *p = mc->pipe;
    int peer = 1 - mc->side;
    struct mem_msg *m = wqi_malloc(sizeof *m);
    void *data = m != NULL ? wqi_malloc(len + 1) : NULL;
    if (data == NULL) {
        wqi_free(m);
        return WQ_ENOMEM;
    }
    if (len > 0) {
        memcpy(data, buf, len);
    }
    ((char *)data)[len] = '\0';
    m->next = NULL;
    m->len = len;
    m->data = data;

    int64_t deadline = wqi_deadline(timeout_ms);
    wq_err err = WQ_OK;
    wqi_mutex_lock(&p->lock);
    struct mem_queue *q = &p->in[peer];
    for (;;) {
        if (p->closed[mc->side] || p->closed[peer]) {
            err = WQ_ECLOSED;
            break;
        }
        if (q->head == NULL || q->bytes + len <= MEM_QUEUE_BYTES) {
            break;
        }
        if (wqi_cond_wait_until(&p->changed, &p->lock, deadline) == WQ_ETIMEDOUT) {
            err = WQ_ETIMEDOUT;
            break;
        }
    }
    if (err == WQ_OK) {
        if (q->tail != NULL) {
            q->tail->next = m;
        } else {
            q->head = m;
        }
        q->tail = m;
        q->bytes += len;
        wqi_cond_broadcast(&p->changed);
    }
    wqi_mutex_unlock(&p->lock);
    if (err != WQ_OK) {
        wqi_free(data);
        wqi_free(m);
    }
    return err;
}

static wq_err mem_recv(wq_conn *c, size_t max, int timeout_ms, void **buf, size_t *len)
{
    struct mem_conn *mc = (struct mem_conn *)c;
    struct mem_pipe *p = mc->pipe;
    struct mem_queue *q = &p->in[mc->side];
    int64_t deadline = wqi_deadline(timeout_ms);
    wqi_mutex_lock(&p->lock);
    for (;;) {
        if (p->closed[mc->side]) {
            wqi_mutex_unlock(&p->lock);
            return WQ_ECLOSED;
        }
        if (mc->recv_broken) {
            wqi_mutex_unlock(&p->lock);
            return WQ_EPROTO;
        }
        struct mem_msg *m = q->head;
        if (m != NULL) {
            if (m->len > max) {
                /* Same rule as the OS backends: the oversized message is
                 * refused, never handed over, and the receive side is done. */
                mc->recv_broken = 1;
                wqi_mutex_unlock(&p->lock);
                return WQ_EMSGSIZE;
            }
            q->head = m->next;
            if (q->head == NULL) {
                q->tail = NULL;
            }
            q->bytes -= m->len;
            wqi_cond_broadcast(&p->changed); /* a sender may wait for room */
            wqi_mutex_unlock(&p->lock);
            *buf = m->data;
            *len = m->len;
            wqi_free(m);
            return WQ_OK;
        }
        if (p->closed[1 - mc->side]) {
            wqi_mutex_unlock(&p->lock);
            return WQ_ECLOSED;
        }
        if (wqi_cond_wait_until(&p->changed, &p->lock, deadline) == WQ_ETIMEDOUT) {
            wqi_mutex_unlock(&p->lock);
            return WQ_ETIMEDOUT;
        }
    }
}

static wq_err mem_peer(wq_conn *c, wq_peer *out)
{
    (void)c; /* both ends are this process */
    return wq_process_identity(out);
}

const struct wq_transport wqi_transport_mem = {
    "mem",
    mem_resolve,
    mem_listen,
    mem_accept,
    mem_listener_shutdown,
    mem_listener_close,
    mem_connect,
    mem_send,
    mem_recv,
    mem_conn_shutdown,
    mem_conn_close,
    mem_peer,
    NULL, /* send_many: one message at a time */
    NULL, /* has_message: cannot tell, so replies are never held */
    NULL, /* adopt: in-process endpoints have no OS handle */
    NULL, /* trust_endpoint, trust_server: both ends are this process, */
    NULL, /* so there is nobody else who could be serving */
};
