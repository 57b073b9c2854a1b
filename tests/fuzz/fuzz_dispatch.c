/* fuzz_dispatch.c — the service without I/O: requests from several
 * connections applied to a real registry by dispatch.c, as server.c does,
 * against a model of what docs/protocol.md says each one must answer.
 *
 * The input is a sequence of records, each starting with a tag byte:
 *   bits 0-1  the connection (one of CONNS, each a registry owner)
 *   bit 2     send the request in UTF-16LE (bit 3: with a BOM), when its
 *             text is valid UTF-8
 *   bits 4-7  what to do:
 *     0..12   a request built from the next bytes: the verb (in
 *             wqi_verb order), then a queue byte (one of a few names that
 *             differ in case, or a bad one), then per verb: ACK/RELEASE an
 *             id byte (small ids, or a huge one), RETRIEVE a wait byte,
 *             PUBLISH a length byte and that many payload bytes (255: a
 *             payload of 16 KiB and more, large enough to be adopted)
 *     13      a raw request: a length byte, then that many bytes, as is
 *     14      the connection closes (its leases go back) and reconnects
 *     15      the server begins shutting down (wqi_registry_shutdown)
 * Missing bytes at the end read as 0.
 *
 * Nothing waits: a RETRIEVE's wait is rewritten to 0 (its queue is looked
 * at and, with nothing to give, EMPTY at once; after shutdown, 503).
 *
 * After every request: the reply is well-formed for its request (reply
 * parser; in UTF-16LE when the request was), error sentences are one line
 * of UTF-8, and the reply is the one the model predicts: the code of every
 * error, every id, count, row and payload. After every step the registry's
 * own LIST agrees with the model, counters included. At the end every
 * connection closes, every lease must go back, and nothing may leak.
 */
#include <stdlib.h>
#include <string.h>

#include <workq/transport.h>

#include "alloc.h"
#include "buf.h"
#include "dispatch.h"
#include "fuzz.h"
#include "protocol.h"
#include "registry.h"
#include "reply_parse.h"
#include "utf16.h"

#define CONNS 4
#define MAX_QUEUES 6
#define MAX_ITEMS 8
/* The memory budget: two adopted payloads fit, a third does not. */
#define MAX_BYTES (2 * (BIG_PAYLOAD + 1000))
#define MAX_MESSAGE 65536
#define BIG_PAYLOAD 16384 /* WQI_ADOPT_MIN: a PUBLISH this large is adopted */

/* Names that collide case-insensitively, and two that are not names. */
static const char *const names[] = {"a", "A", "b", "B", "q.1", "Q.1", "x-Y_z",
                                    "c", "d", "e", "f", "a/b", ""};
#define NAMES (sizeof names / sizeof names[0])

/* ---- the model ---------------------------------------------------------- */

typedef struct mitem {
    uint64_t id;
    uint8_t *payload; /* malloc'd, may be NULL when len is 0 */
    size_t len;
    int holder; /* the connection leasing it, or -1: ready */
} mitem;

typedef struct mqueue {
    int used;
    char name[WQ_QUEUE_NAME_MAX + 1]; /* as first written */
    size_t name_len;
    int started;
    mitem items[MAX_ITEMS]; /* by id */
    size_t n;
    uint64_t published;
    uint64_t completed;
} mqueue;

typedef struct model {
    mqueue q[MAX_QUEUES];
    uint64_t next_id;
    int shutdown;
} model;

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* docs/protocol.md: names compare case-insensitively, ASCII lower-case byte
 * order, a prefix first. */
static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = lower((unsigned char)a[i]), y = lower((unsigned char)b[i]);
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static mqueue *m_find(model *m, const char *name, size_t len)
{
    for (size_t i = 0; i < MAX_QUEUES; i++) {
        if (m->q[i].used && name_cmp(m->q[i].name, m->q[i].name_len, name, len) == 0) {
            return &m->q[i];
        }
    }
    return NULL;
}

static size_t m_count(const model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < MAX_QUEUES; i++) {
        n += (size_t)m->q[i].used;
    }
    return n;
}

static uint64_t m_ready(const mqueue *q)
{
    uint64_t n = 0;
    for (size_t i = 0; i < q->n; i++) {
        n += q->items[i].holder < 0;
    }
    return n;
}

/* What the items held take against the budget (registry.h). */
static uint64_t m_bytes(const model *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < MAX_QUEUES; i++) {
        for (size_t j = 0; m->q[i].used && j < m->q[i].n; j++) {
            n += wqi_item_charge(m->q[i].items[j].len);
        }
    }
    return n;
}

static void m_remove_item(mqueue *q, size_t i)
{
    free(q->items[i].payload);
    memmove(&q->items[i], &q->items[i + 1], (q->n - i - 1) * sizeof q->items[0]);
    q->n--;
}

static void m_drop_queue(mqueue *q)
{
    while (q->n > 0) {
        m_remove_item(q, q->n - 1);
    }
    memset(q, 0, sizeof *q);
}

static void m_release_all(model *m, int conn)
{
    for (size_t i = 0; i < MAX_QUEUES; i++) {
        for (size_t j = 0; j < m->q[i].n; j++) {
            if (m->q[i].items[j].holder == conn) {
                m->q[i].items[j].holder = -1;
            }
        }
    }
}

/* The item of queue q with this id that conn holds, or -1. */
static long m_lease(const mqueue *q, uint64_t id, int conn)
{
    for (size_t i = 0; i < q->n; i++) {
        if (q->items[i].id == id && q->items[i].holder == conn) {
            return (long)i;
        }
    }
    return -1;
}

/* ---- the service under test --------------------------------------------- */

typedef struct fuzz {
    model m;
    wqi_registry *reg;
    wqi_owner *owner[CONNS];
    wqi_dispatch_ctx ctx;
    wqi_buf out;  /* the reply */
    wqi_buf text; /* a request being built, and reply decoding */
    wqi_buf wire; /* the request as sent */
} fuzz;

/* What the model predicts for one request. */
typedef struct expect {
    int code; /* 0: success, else the ERROR code */
    wq_err err;
    wqi_reply_kind kind;
    uint64_t value;    /* U64 */
    const mitem *item; /* ITEM (NULL: EMPTY) */
} expect;

static void expect_error(expect *e, wq_err err)
{
    e->code = wq_err_code(err);
    e->err = err;
}

/* Compare a LIST of the registry (or a LIST reply's rows) with the model:
 * the same queues in the same order, with the same counts. */
static void check_rows_against_model(const model *m, const char *const *row_names,
                                     const size_t *row_lens, const int *started,
                                     const uint64_t *ready, const uint64_t *leased, size_t n)
{
    WQF_CHECK(n == m_count(m));
    int seen[MAX_QUEUES] = {0};
    for (size_t r = 0; r < n; r++) {
        const mqueue *q = NULL;
        for (size_t i = 0; i < MAX_QUEUES; i++) {
            if (m->q[i].used && m->q[i].name_len == row_lens[r] &&
                memcmp(m->q[i].name, row_names[r], row_lens[r]) == 0) {
                q = &m->q[i];
                WQF_CHECK(!seen[i]);
                seen[i] = 1;
            }
        }
        WQF_CHECK(q != NULL);
        WQF_CHECK(q->started == started[r]);
        WQF_CHECK(m_ready(q) == ready[r]);
        WQF_CHECK(q->n - m_ready(q) == leased[r]);
        if (r > 0) {
            WQF_CHECK(name_cmp(row_names[r - 1], row_lens[r - 1], row_names[r], row_lens[r]) < 0);
        }
    }
}

/* The registry's own view, with every counter. */
static void check_registry(fuzz *f)
{
    wqi_queue_info *rows;
    size_t n;
    WQF_CHECK(wqi_registry_list(f->reg, &rows, &n) == WQ_OK);
    const char *rn[MAX_QUEUES];
    size_t rl[MAX_QUEUES];
    int st[MAX_QUEUES];
    uint64_t rd[MAX_QUEUES], ls[MAX_QUEUES];
    WQF_CHECK(n <= MAX_QUEUES);
    for (size_t i = 0; i < n; i++) {
        rn[i] = rows[i].name;
        rl[i] = rows[i].name_len;
        st[i] = rows[i].started;
        rd[i] = rows[i].ready;
        ls[i] = rows[i].leased;
        const mqueue *q = m_find(&f->m, rows[i].name, rows[i].name_len);
        WQF_CHECK(q != NULL);
        WQF_CHECK(rows[i].published == q->published && rows[i].completed == q->completed);
    }
    check_rows_against_model(&f->m, rn, rl, st, rd, ls, n);
    WQF_CHECK(wqi_registry_bytes(f->reg) == m_bytes(&f->m));
    wqi_registry_list_free(rows);
}

static wqi_reply_kind kind_of(wqi_verb v)
{
    switch (v) {
    case WQI_VERB_LIST:
        return WQI_REPLY_LIST;
    case WQI_VERB_STATUS:
        return WQI_REPLY_STATUS;
    case WQI_VERB_PUBLISH:
    case WQI_VERB_PURGE:
        return WQI_REPLY_U64;
    case WQI_VERB_RETRIEVE:
        return WQI_REPLY_ITEM;
    case WQI_VERB_PING:
        return WQI_REPLY_PONG;
    case WQI_VERB_HELLO:
        return WQI_REPLY_HELLO;
    default:
        return WQI_REPLY_OK;
    }
}

/* Predict the reply to req from conn, and apply it to the model. */
static void predict(model *m, int conn, const wqi_request *req, expect *e)
{
    memset(e, 0, sizeof *e);
    e->kind = kind_of(req->verb);
    mqueue *q = req->queue != NULL ? m_find(m, req->queue, req->queue_len) : NULL;
    int needs_queue = req->verb != WQI_VERB_CREATE && req->verb != WQI_VERB_LIST &&
                      req->verb != WQI_VERB_PING && req->verb != WQI_VERB_HELLO;
    if (needs_queue && q == NULL) {
        expect_error(e, WQ_ENOTFOUND);
        return;
    }
    switch (req->verb) {
    case WQI_VERB_CREATE:
        if (q != NULL) {
            expect_error(e, WQ_EEXIST); /* before the limit */
        } else if (m_count(m) >= MAX_QUEUES) {
            expect_error(e, WQ_ELIMIT);
        } else {
            for (size_t i = 0; i < MAX_QUEUES; i++) {
                if (!m->q[i].used) {
                    q = &m->q[i];
                    break;
                }
            }
            q->used = 1;
            memcpy(q->name, req->queue, req->queue_len);
            q->name[req->queue_len] = '\0';
            q->name_len = req->queue_len;
        }
        break;
    case WQI_VERB_DELETE:
        m_drop_queue(q);
        break;
    case WQI_VERB_START:
    case WQI_VERB_STOP:
        q->started = req->verb == WQI_VERB_START;
        break;
    case WQI_VERB_PUBLISH:
        if (q->n >= MAX_ITEMS) {
            expect_error(e, WQ_ELIMIT);
            break;
        }
        if (m_bytes(m) + wqi_item_charge(req->payload_len) > MAX_BYTES) {
            /* 507, which a client reads as WQ_ELIMIT. */
            e->code = 507;
            e->err = WQ_ELIMIT;
            break;
        }
        e->value = m->next_id;
        q->items[q->n].id = m->next_id++;
        q->items[q->n].len = req->payload_len;
        q->items[q->n].payload = NULL;
        if (req->payload_len > 0) {
            q->items[q->n].payload = malloc(req->payload_len);
            WQF_CHECK(q->items[q->n].payload != NULL);
            memcpy(q->items[q->n].payload, req->payload, req->payload_len);
        }
        q->items[q->n].holder = -1;
        q->n++;
        q->published++;
        break;
    case WQI_VERB_RETRIEVE: {
        mitem *it = NULL;
        for (size_t i = 0; q->started && i < q->n && it == NULL; i++) {
            if (q->items[i].holder < 0) {
                it = &q->items[i];
            }
        }
        if (it != NULL) {
            if (req->utf16 && !wqi_utf8_valid(it->payload, it->len)) {
                expect_error(e, WQ_ENOTTEXT); /* and it stays ready */
                break;
            }
            it->holder = conn;
            e->item = it;
        } else if (req->has_wait && m->shutdown) {
            expect_error(e, WQ_ESHUTDOWN);
        }
        break;
    }
    case WQI_VERB_ACK:
    case WQI_VERB_RELEASE: {
        long i = m_lease(q, req->id, conn);
        if (i < 0) {
            expect_error(e, WQ_ENOTFOUND);
        } else if (req->verb == WQI_VERB_ACK) {
            m_remove_item(q, (size_t)i);
            q->completed++;
        } else {
            q->items[i].holder = -1;
        }
        break;
    }
    case WQI_VERB_PURGE:
        e->value = m_ready(q);
        for (size_t i = q->n; i > 0; i--) {
            if (q->items[i - 1].holder < 0) {
                m_remove_item(q, i - 1);
            }
        }
        break;
    default:
        break;
    }
}

/* The reply in f->out to a request that parsed as req (or, with req NULL,
 * did not: then it must be a 400) in the given encoding, checked against
 * the prediction. Called before the model forgets nothing the reply
 * needs: an ITEM's payload is still the model's. */
static void check_reply(fuzz *f, int utf16, const wqi_request *req, const expect *e)
{
    const uint8_t *bytes = f->out.data;
    size_t len = f->out.len;
    if (utf16) {
        WQF_CHECK(len % 2 == 0);
        wqi_buf_clear(&f->text);
        WQF_CHECK(wqi_utf16le_to_utf8(&f->text, bytes, len) == WQ_OK);
        bytes = f->text.data;
        len = f->text.len;
    }
    wqi_reply r;
    wqi_reply_kind kind = req != NULL ? e->kind : WQI_REPLY_OK;
    WQF_CHECK(wqi_reply_parse(bytes, len, kind, &r) == WQ_OK);
    if (r.kind == WQI_REPLY_ERROR) {
        WQF_CHECK(r.message_len > 0);
        WQF_CHECK(wqi_utf8_valid((const uint8_t *)r.message, r.message_len));
        WQF_CHECK(memchr(r.message, '\n', r.message_len) == NULL);
        WQF_CHECK(memchr(r.message, '\r', r.message_len) == NULL);
    }
    if (req == NULL) {
        WQF_CHECK(r.kind == WQI_REPLY_ERROR && r.code == 400);
        return;
    }
    if (e->code != 0) {
        WQF_CHECK(r.kind == WQI_REPLY_ERROR);
        WQF_CHECK(r.code == e->code);
        WQF_CHECK(r.err == e->err);
        wq_free(r.rows);
        return;
    }
    WQF_CHECK(r.kind == e->kind);
    switch (r.kind) {
    case WQI_REPLY_U64:
        WQF_CHECK(r.value == e->value);
        break;
    case WQI_REPLY_HELLO:
        WQF_CHECK(r.version_len == strlen(f->ctx.version));
        WQF_CHECK(memcmp(r.version, f->ctx.version, r.version_len) == 0);
        WQF_CHECK(r.protocol == WQI_PROTOCOL_VERSION && r.max_message == MAX_MESSAGE);
        break;
    case WQI_REPLY_STATUS: {
        const mqueue *q = m_find(&f->m, req->queue, req->queue_len);
        WQF_CHECK(q != NULL);
        WQF_CHECK(strcmp(r.queue.name, q->name) == 0); /* the stored spelling */
        WQF_CHECK(r.queue.started == q->started);
        WQF_CHECK(r.queue.ready == m_ready(q) && r.queue.leased == q->n - m_ready(q));
        WQF_CHECK(r.queue.published == q->published && r.queue.completed == q->completed);
        break;
    }
    case WQI_REPLY_LIST: {
        const char *rn[MAX_QUEUES];
        size_t rl[MAX_QUEUES];
        int st[MAX_QUEUES];
        uint64_t rd[MAX_QUEUES], ls[MAX_QUEUES];
        WQF_CHECK(r.count <= MAX_QUEUES);
        for (size_t i = 0; i < r.count; i++) {
            rn[i] = r.rows[i].name;
            rl[i] = strlen(r.rows[i].name);
            st[i] = r.rows[i].started;
            rd[i] = r.rows[i].ready;
            ls[i] = r.rows[i].leased;
        }
        check_rows_against_model(&f->m, rn, rl, st, rd, ls, r.count);
        break;
    }
    case WQI_REPLY_ITEM:
        WQF_CHECK(r.found == (e->item != NULL));
        if (e->item != NULL) {
            WQF_CHECK(r.id == e->item->id);
            WQF_CHECK(r.payload_len == e->item->len);
            WQF_CHECK(r.payload_len == 0 ||
                      memcmp(r.payload, e->item->payload, r.payload_len) == 0);
        }
        break;
    default:
        break;
    }
    wq_free(r.rows);
}

/* One request from conn, as received: msg[0..len). */
static void request(fuzz *f, int conn, const uint8_t *msg, size_t len)
{
    wqi_request req;
    wq_err perr = wqi_request_parse(msg, len, &req, NULL);
    int utf16 = wqi_request_is_utf16(msg, len);
    if (perr == WQ_OK && req.verb == WQI_VERB_RETRIEVE && req.has_wait && req.wait_ms > 0) {
        /* Never wait: the same RETRIEVE with wait 0, in the same encoding. */
        wqi_buf_clear(&f->text);
        WQF_CHECK(wqi_buf_append_str(&f->text, "RETRIEVE ") == WQ_OK);
        WQF_CHECK(wqi_buf_append(&f->text, req.queue, req.queue_len) == WQ_OK);
        WQF_CHECK(wqi_buf_append_str(&f->text, " 0") == WQ_OK);
        wqi_buf_clear(&f->wire);
        if (utf16) {
            WQF_CHECK(wqi_utf8_to_utf16le(&f->wire, f->text.data, f->text.len) == WQ_OK);
        } else {
            WQF_CHECK(wqi_buf_append(&f->wire, f->text.data, f->text.len) == WQ_OK);
        }
        wqi_request_free(&req);
        msg = f->wire.data;
        len = f->wire.len;
        perr = wqi_request_parse(msg, len, &req, NULL);
        WQF_CHECK(perr == WQ_OK && req.has_wait && req.wait_ms == 0);
    }
    expect e;
    memset(&e, 0, sizeof e);
    if (perr == WQ_OK) {
        predict(&f->m, conn, &req, &e);
    }
    /* As server.c does: the message is a block of our own, which a large
     * PUBLISH may keep. */
    void *block = wqi_malloc(len + 1);
    WQF_CHECK(block != NULL);
    if (len > 0) {
        memcpy(block, msg, len);
    }
    ((uint8_t *)block)[len] = 0;
    WQF_CHECK(wqi_dispatch_block(&f->ctx, f->owner[conn], &block, len, &f->out) == WQ_OK);
    wq_free(block); /* NULL if adopted */
    check_reply(f, utf16, perr == WQ_OK ? &req : NULL, &e);
    wqi_request_free(&req);
}

/* ---- reading the input -------------------------------------------------- */

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint8_t next(input *in)
{
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

/* Build the request for verb v from the input into f->text (UTF-8). */
static void build(fuzz *f, input *in, wqi_verb v)
{
    wqi_buf *t = &f->text;
    wqi_buf_clear(t);
    WQF_CHECK(wqi_buf_append_str(t, wqi_verb_name(v)) == WQ_OK);
    if (v == WQI_VERB_LIST || v == WQI_VERB_PING || v == WQI_VERB_HELLO) {
        return;
    }
    WQF_CHECK(wqi_buf_append_byte(t, ' ') == WQ_OK);
    WQF_CHECK(wqi_buf_append_str(t, names[next(in) % NAMES]) == WQ_OK);
    if (v == WQI_VERB_ACK || v == WQI_VERB_RELEASE) {
        uint8_t b = next(in);
        /* Mostly ids that exist; now and then one far beyond. */
        uint64_t id = b >= 0xF0 ? UINT64_MAX - (b & 0x0F) : b % (f->m.next_id + 1);
        WQF_CHECK(wqi_buf_append_byte(t, ' ') == WQ_OK);
        WQF_CHECK(wqi_buf_append_u64(t, id) == WQ_OK);
    } else if (v == WQI_VERB_RETRIEVE) {
        uint8_t b = next(in);
        if (b & 1) {
            WQF_CHECK(wqi_buf_append_byte(t, ' ') == WQ_OK);
            WQF_CHECK(wqi_buf_append_u64(t, b >> 1) == WQ_OK);
        }
    } else if (v == WQI_VERB_PUBLISH) {
        uint8_t n = next(in);
        WQF_CHECK(wqi_buf_append_byte(t, ' ') == WQ_OK);
        if (n == 0xFF) {
            size_t big = BIG_PAYLOAD + next(in);
            uint8_t fill = next(in);
            WQF_CHECK(wqi_buf_reserve(t, big) == WQ_OK);
            memset(t->data + t->len, fill, big);
            t->len += big;
        } else {
            size_t take = n < in->n ? n : in->n;
            WQF_CHECK(wqi_buf_append(t, in->p, take) == WQ_OK);
            in->p += take;
            in->n -= take;
        }
    }
}

static void reconnect(fuzz *f, int conn)
{
    wqi_registry_owner_destroy(f->reg, f->owner[conn]);
    f->owner[conn] = NULL;
    m_release_all(&f->m, conn);
    WQF_CHECK(wqi_registry_owner_create(f->reg, &f->owner[conn]) == WQ_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz f; /* too large for a stack; reset for every input */
    memset(&f, 0, sizeof f);
    f.m.next_id = 1;
    wqi_registry_config cfg;
    wqi_registry_config_init(&cfg);
    cfg.max_queues = MAX_QUEUES;
    cfg.max_items = MAX_ITEMS;
    cfg.max_bytes = MAX_BYTES;
    cfg.is_text = wqi_utf8_valid; /* as server.c: UTF-16LE replies carry text only */
    WQF_CHECK(wqi_registry_create(&cfg, &f.reg) == WQ_OK);
    for (int c = 0; c < CONNS; c++) {
        WQF_CHECK(wqi_registry_owner_create(f.reg, &f.owner[c]) == WQ_OK);
    }
    f.ctx.registry = f.reg;
    f.ctx.version = "0.1.0";
    f.ctx.max_message = MAX_MESSAGE;
    f.ctx.max_bytes = MAX_BYTES;

    input in;
    in.p = data;
    in.n = size;
    while (in.n > 0) {
        uint8_t tag = next(&in);
        int conn = tag & 3;
        int op = tag >> 4;
        if (op == 14) {
            reconnect(&f, conn);
        } else if (op == 15) {
            wqi_registry_shutdown(f.reg);
            f.m.shutdown = 1;
        } else if (op == 13) {
            size_t n = next(&in);
            if (n > in.n) {
                n = in.n;
            }
            request(&f, conn, in.p, n);
            in.p += n;
            in.n -= n;
        } else {
            build(&f, &in, (wqi_verb)op);
            const uint8_t *msg = f.text.data;
            size_t len = f.text.len;
            wqi_buf_clear(&f.wire);
            if ((tag & 4) && wqi_utf8_valid(msg, len)) {
                if (tag & 8) {
                    WQF_CHECK(wqi_buf_append(&f.wire, "\xFF\xFE", 2) == WQ_OK);
                }
                WQF_CHECK(wqi_utf8_to_utf16le(&f.wire, msg, len) == WQ_OK);
            } else {
                WQF_CHECK(wqi_buf_append(&f.wire, msg, len) == WQ_OK);
            }
            /* request() may reuse text and wire: send a copy. */
            size_t wl = f.wire.len;
            uint8_t *copy = malloc(wl > 0 ? wl : 1);
            WQF_CHECK(copy != NULL);
            if (wl > 0) {
                memcpy(copy, f.wire.data, wl);
            }
            request(&f, conn, copy, wl);
            free(copy);
        }
        check_registry(&f);
    }
    /* Every connection leaves: every lease goes back. */
    for (int c = 0; c < CONNS; c++) {
        wqi_registry_owner_destroy(f.reg, f.owner[c]);
        m_release_all(&f.m, c);
    }
    check_registry(&f);
    wqi_registry_destroy(f.reg);
    for (size_t i = 0; i < MAX_QUEUES; i++) {
        m_drop_queue(&f.m.q[i]);
    }
    wqi_buf_free(&f.out);
    wqi_buf_free(&f.text);
    wqi_buf_free(&f.wire);
    return 0;
}
