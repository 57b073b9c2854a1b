/* client.c — the blocking client: one request, one reply, over any
 * transport. Requests are formatted into a buffer the client reuses, and
 * replies are checked against docs/protocol.md before anything is believed. */
#include <string.h>

#include <workq/client.h>

#include "alloc.h"
#include "buf.h"
#include "protocol.h"
#include "queue_name.h"
#include "transport_batch.h"

struct wq_client {
    wq_conn *conn;
    int timeout_ms;
    size_t max_reply;
    wqi_buf req; /* reused for every request */
    char message[256];
};

void wq_client_opts_init(wq_client_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->connect_timeout_ms = 5000;
    opts->timeout_ms = WQ_DEFAULT_CLIENT_TIMEOUT_MS;
    opts->max_reply = WQ_DEFAULT_MAX_REPLY;
}

static void set_message(wq_client *c, const char *text, size_t len)
{
    if (len >= sizeof c->message) {
        len = sizeof c->message - 1;
    }
    memcpy(c->message, text, len);
    c->message[len] = '\0';
}

static wq_err local_error(wq_client *c, wq_err err)
{
    const char *text = wq_strerror(err);
    set_message(c, text, strlen(text));
    return err;
}

wq_err wq_client_open(const char *endpoint, const wq_client_opts *opts, wq_client **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    wq_client_opts defaults;
    if (opts == NULL) {
        wq_client_opts_init(&defaults);
        opts = &defaults;
    }
    wq_client *c = wqi_calloc(1, sizeof *c);
    if (c == NULL) {
        return WQ_ENOMEM;
    }
    wq_err err = wq_conn_connect(opts->transport, endpoint, opts->connect_timeout_ms, &c->conn);
    if (err != WQ_OK) {
        wqi_free(c);
        return err;
    }
    c->timeout_ms = opts->timeout_ms;
    c->max_reply = opts->max_reply;
    wqi_buf_init(&c->req);
    *out = c;
    return WQ_OK;
}

void wq_client_close(wq_client *c)
{
    if (c == NULL) {
        return;
    }
    wq_conn_close(c->conn);
    wqi_buf_free(&c->req);
    wqi_free(c);
}

const char *wq_client_message(const wq_client *c)
{
    return c != NULL ? c->message : "invalid argument";
}

/* How long to wait for a reply: the client's timeout plus extra_ms, how
 * long the server may legitimately hold the request (a RETRIEVE wait). */
static int reply_timeout(const wq_client *c, int64_t extra_ms)
{
    int64_t timeout = c->timeout_ms;
    if (timeout >= 0 && extra_ms > 0) {
        timeout += extra_ms;
    }
    return timeout > INT32_MAX ? INT32_MAX : (int)timeout;
}

/* Send the request in c->req and receive the raw reply. */
static wq_err round_trip(wq_client *c, int64_t extra_ms, void **reply, size_t *len)
{
    c->message[0] = '\0';
    wq_err err = wq_conn_send(c->conn, c->req.data, c->req.len, c->timeout_ms);
    if (err != WQ_OK && err != WQ_ECLOSED) {
        return local_error(c, err);
    }
    /* A server that turned us away (503 busy) or cut us off (413) said
     * why before closing: read that if it is there. */
    int timeout = err == WQ_ECLOSED ? 1000 : reply_timeout(c, extra_ms);
    wq_err rerr = wq_conn_recv(c->conn, c->max_reply, timeout, reply, len);
    if (rerr != WQ_OK) {
        return local_error(c, err != WQ_OK ? err : rerr);
    }
    return WQ_OK;
}

/* Strict decimal, as docs/protocol.md writes numbers. */
static int parse_u64(const char *p, size_t n, uint64_t *out)
{
    if (n == 0) {
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return 0;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* If reply is "ERROR <code> <message>", keep the message and return the
 * code's wq_err; WQ_OK otherwise. A malformed ERROR line is WQ_EPROTO. */
static wq_err reply_error(wq_client *c, const char *r, size_t n)
{
    if (n < 6 || memcmp(r, "ERROR ", 6) != 0) {
        return WQ_OK;
    }
    uint64_t code;
    if (n < 10 || !parse_u64(r + 6, 3, &code) || (n > 9 && r[9] != ' ')) {
        return local_error(c, WQ_EPROTO);
    }
    set_message(c, r + 10, n - 10);
    /* 503 covers two situations callers handle differently: retry later
     * (busy) or reconnect to a new server (shutting down). workqd's
     * sentence tells them apart. */
    if (code == 503 && n - 10 >= 13 && memcmp(r + 10, "shutting down", 13) == 0) {
        return WQ_ESHUTDOWN;
    }
    return wq_err_from_code((int)code);
}

/* Run the request in c->req. On WQ_OK *reply (owned by the caller) is a
 * reply that is not an ERROR line, for the caller to parse; an ERROR reply
 * becomes its wq_err, with the sentence kept for wq_client_message. */
static wq_err call(wq_client *c, int64_t extra_ms, void **reply, size_t *n)
{
    wq_err err = round_trip(c, extra_ms, reply, n);
    if (err == WQ_OK && (err = reply_error(c, *reply, *n)) != WQ_OK) {
        wq_free(*reply);
        *reply = NULL;
    }
    return err;
}

/* Run the request in c->req and check the reply is exactly `expect`
 * ("OK"), or an ERROR. */
static wq_err expect_reply(wq_client *c, const char *expect)
{
    void *reply;
    size_t n;
    wq_err err = call(c, 0, &reply, &n);
    if (err != WQ_OK) {
        return err;
    }
    if (n != strlen(expect) || memcmp(reply, expect, n) != 0) {
        err = local_error(c, WQ_EPROTO);
    }
    wq_free(reply);
    return err;
}

/* Run the request and parse "OK <n>". */
static wq_err expect_ok_u64(wq_client *c, uint64_t *value)
{
    void *reply;
    size_t n;
    wq_err err = call(c, 0, &reply, &n);
    if (err != WQ_OK) {
        return err;
    }
    const char *r = reply;
    uint64_t v = 0;
    if (n < 4 || memcmp(r, "OK ", 3) != 0 || !parse_u64(r + 3, n - 3, &v)) {
        err = local_error(c, WQ_EPROTO);
    }
    if (err == WQ_OK && value != NULL) {
        *value = v;
    }
    wq_free(reply);
    return err;
}

/* Start a request "VERB" or "VERB <queue>" in c->req. The queue name is
 * checked here so that a name with a space can never smuggle arguments. */
static wq_err begin(wq_client *c, const char *verb, const char *queue)
{
    wqi_buf_clear(&c->req);
    if (queue != NULL && !wqi_queue_name_valid(queue, strlen(queue))) {
        set_message(c, "bad queue name", 14);
        return WQ_EBADREQ;
    }
    wq_err err = wqi_buf_append_str(&c->req, verb);
    if (err == WQ_OK && queue != NULL) {
        err = wqi_buf_append_byte(&c->req, ' ');
        if (err == WQ_OK) {
            err = wqi_buf_append_str(&c->req, queue);
        }
    }
    return err == WQ_OK ? WQ_OK : local_error(c, err);
}

static wq_err append_u64(wq_client *c, uint64_t v)
{
    wq_err err = wqi_buf_append_byte(&c->req, ' ');
    if (err == WQ_OK) {
        err = wqi_buf_append_u64(&c->req, v);
    }
    return err == WQ_OK ? WQ_OK : local_error(c, err);
}

static wq_err simple(wq_client *c, const char *verb, const char *queue)
{
    if (c == NULL || queue == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, verb, queue);
    return err != WQ_OK ? err : expect_reply(c, "OK");
}

wq_err wq_client_create(wq_client *c, const char *queue)
{
    return simple(c, "CREATE", queue);
}

wq_err wq_client_delete(wq_client *c, const char *queue)
{
    return simple(c, "DELETE", queue);
}

wq_err wq_client_start(wq_client *c, const char *queue)
{
    return simple(c, "START", queue);
}

wq_err wq_client_stop(wq_client *c, const char *queue)
{
    return simple(c, "STOP", queue);
}

/* Split the next space-separated field off [*p, end). */
static int next_field(const char **p, const char *end, const char **field, size_t *len)
{
    const char *s = *p;
    const char *e = s;
    while (e < end && *e != ' ') {
        e++;
    }
    if (e == s) {
        return 0;
    }
    *field = s;
    *len = (size_t)(e - s);
    *p = e < end ? e + 1 : e;
    return 1;
}

/* Parse "<queue> <state> <ready> <leased>[ <published> <completed>]"
 * from [p, end); full selects the STATUS form. */
static int parse_queue_row(const char *p, const char *end, int full, wq_queue_info *q)
{
    const char *f;
    size_t n;
    memset(q, 0, sizeof *q);
    if (!next_field(&p, end, &f, &n) || !wqi_queue_name_valid(f, n)) {
        return 0;
    }
    memcpy(q->name, f, n);
    q->name[n] = '\0';
    if (!next_field(&p, end, &f, &n)) {
        return 0;
    }
    if (n == 7 && memcmp(f, "started", 7) == 0) {
        q->started = 1;
    } else if (!(n == 7 && memcmp(f, "stopped", 7) == 0)) {
        return 0;
    }
    uint64_t *counters[4] = {&q->ready, &q->leased, &q->published, &q->completed};
    int count = full ? 4 : 2;
    for (int i = 0; i < count; i++) {
        if (!next_field(&p, end, &f, &n) || !parse_u64(f, n, counters[i])) {
            return 0;
        }
    }
    return p == end;
}

wq_err wq_client_status(wq_client *c, const char *queue, wq_queue_info *info)
{
    if (c == NULL || queue == NULL || info == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "STATUS", queue);
    void *reply = NULL;
    size_t n = 0;
    if (err == WQ_OK) {
        err = call(c, 0, &reply, &n);
    }
    if (err == WQ_OK) {
        const char *r = reply;
        if (n < 3 || memcmp(r, "OK ", 3) != 0 || !parse_queue_row(r + 3, r + n, 1, info)) {
            err = local_error(c, WQ_EPROTO);
        }
    }
    wq_free(reply);
    return err;
}

/* Parse a LIST reply: "OK <n>" then n lines. */
static wq_err parse_list(wq_client *c, const char *r, size_t len, wq_queue_info **rows,
                         size_t *count)
{
    const char *end = r + len;
    const char *line_end = memchr(r, '\n', len);
    if (line_end == NULL) {
        line_end = end;
    }
    uint64_t n;
    if (len < 4 || memcmp(r, "OK ", 3) != 0 || !parse_u64(r + 3, (size_t)(line_end - r - 3), &n) ||
        n > len / 2) {
        return local_error(c, WQ_EPROTO);
    }
    wq_queue_info *out = NULL;
    if (n > 0) {
        out = wqi_calloc((size_t)n, sizeof *out);
        if (out == NULL) {
            return local_error(c, WQ_ENOMEM);
        }
    }
    const char *p = line_end;
    for (uint64_t i = 0; i < n; i++) {
        if (p >= end || *p != '\n') {
            wqi_free(out);
            return local_error(c, WQ_EPROTO);
        }
        p++;
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (e == NULL) {
            e = end;
        }
        if (!parse_queue_row(p, e, 0, &out[i])) {
            wqi_free(out);
            return local_error(c, WQ_EPROTO);
        }
        p = e;
    }
    if (p != end) {
        wqi_free(out);
        return local_error(c, WQ_EPROTO);
    }
    *rows = out;
    *count = (size_t)n;
    return WQ_OK;
}

wq_err wq_client_list(wq_client *c, wq_queue_info **rows, size_t *n)
{
    if (c == NULL || rows == NULL || n == NULL) {
        return WQ_EINVAL;
    }
    *rows = NULL;
    *n = 0;
    wq_err err = begin(c, "LIST", NULL);
    void *reply = NULL;
    size_t len = 0;
    if (err == WQ_OK) {
        err = call(c, 0, &reply, &len);
    }
    if (err == WQ_OK) {
        err = parse_list(c, reply, len, rows, n);
    }
    wq_free(reply);
    return err;
}

wq_err wq_client_publish(wq_client *c, const char *queue, const void *payload, size_t len,
                         uint64_t *id)
{
    if (c == NULL || queue == NULL || (payload == NULL && len > 0)) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "PUBLISH", queue);
    if (err == WQ_OK) {
        err = wqi_buf_append_byte(&c->req, ' ');
    }
    if (err == WQ_OK && len > 0) {
        err = wqi_buf_append(&c->req, payload, len);
    }
    if (err != WQ_OK) {
        return err == WQ_EBADREQ ? err : local_error(c, err);
    }
    return expect_ok_u64(c, id);
}

/* Parse "ITEM <id> <payload>" or "EMPTY"; the payload is moved into a new
 * allocation the caller owns. */
static wq_err parse_item(wq_client *c, const char *r, size_t n, wq_item *item, int *found)
{
    if (n == 5 && memcmp(r, "EMPTY", 5) == 0) {
        return WQ_OK;
    }
    const char *p = r + 5;
    const char *end = r + n;
    const char *sp = n > 5 ? memchr(p, ' ', (size_t)(end - p)) : NULL;
    uint64_t id;
    if (n < 5 || memcmp(r, "ITEM ", 5) != 0 || sp == NULL || !parse_u64(p, (size_t)(sp - p), &id)) {
        return local_error(c, WQ_EPROTO);
    }
    size_t len = (size_t)(end - sp - 1);
    char *payload = wqi_malloc(len + 1);
    if (payload == NULL) {
        return local_error(c, WQ_ENOMEM);
    }
    memcpy(payload, sp + 1, len);
    payload[len] = '\0';
    item->id = id;
    item->payload = payload;
    item->len = len;
    *found = 1;
    return WQ_OK;
}

wq_err wq_client_retrieve(wq_client *c, const char *queue, int64_t wait_ms, wq_item *item,
                          int *found)
{
    if (item != NULL) {
        memset(item, 0, sizeof *item);
    }
    if (found != NULL) {
        *found = 0;
    }
    if (c == NULL || queue == NULL || item == NULL || found == NULL || wait_ms > UINT32_MAX) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "RETRIEVE", queue);
    if (err == WQ_OK && wait_ms >= 0) {
        err = append_u64(c, (uint64_t)wait_ms);
    }
    void *reply = NULL;
    size_t n = 0;
    if (err == WQ_OK) {
        err = call(c, wait_ms > 0 ? wait_ms : 0, &reply, &n);
    }
    if (err == WQ_OK) {
        err = parse_item(c, reply, n, item, found);
    }
    wq_free(reply);
    return err;
}

static wq_err with_id(wq_client *c, const char *verb, const char *queue, uint64_t id)
{
    if (c == NULL || queue == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, verb, queue);
    if (err == WQ_OK) {
        err = append_u64(c, id);
    }
    return err != WQ_OK ? err : expect_reply(c, "OK");
}

wq_err wq_client_ack(wq_client *c, const char *queue, uint64_t id)
{
    return with_id(c, "ACK", queue, id);
}

/* The next reply, allowing extra_ms beyond the client's timeout. */
static wq_err recv_reply(wq_client *c, int64_t extra_ms, void **reply, size_t *n)
{
    wq_err err = wq_conn_recv(c->conn, c->max_reply, reply_timeout(c, extra_ms), reply, n);
    return err == WQ_OK ? WQ_OK : local_error(c, err);
}

wq_err wq_client_ack_retrieve(wq_client *c, const char *queue, uint64_t id, int64_t wait_ms,
                              wq_item *item, int *found)
{
    if (item != NULL) {
        memset(item, 0, sizeof *item);
    }
    if (found != NULL) {
        *found = 0;
    }
    if (c == NULL || queue == NULL || item == NULL || found == NULL || wait_ms > UINT32_MAX) {
        return WQ_EINVAL;
    }
    c->message[0] = '\0';
    /* Both requests leave together, in one write where the transport can,
     * before either reply is read: one round trip. The server answers in
     * order, so the first reply is the ACK's. */
    char ack_req[8 + WQ_QUEUE_NAME_MAX + 24]; /* "ACK " name " " id */
    size_t ack_len = 0;
    wq_err err = begin(c, "ACK", queue);
    if (err == WQ_OK) {
        err = append_u64(c, id);
    }
    if (err == WQ_OK) {
        ack_len = c->req.len; /* fits: the name was checked by begin */
        memcpy(ack_req, c->req.data, ack_len);
        err = begin(c, "RETRIEVE", queue);
    }
    if (err == WQ_OK && wait_ms >= 0) {
        err = append_u64(c, (uint64_t)wait_ms);
    }
    if (err == WQ_OK) {
        wqi_msg both[2]; /* filled field by field: MSVC's C4204 otherwise */
        both[0].data = ack_req;
        both[0].len = ack_len;
        both[1].data = c->req.data;
        both[1].len = c->req.len;
        err = wqi_conn_send_many(c->conn, both, 2, c->timeout_ms);
        if (err != WQ_OK) {
            err = local_error(c, err);
        }
    }
    void *ack = NULL, *got = NULL;
    size_t ack_n = 0, got_n = 0;
    if (err == WQ_OK) {
        err = recv_reply(c, 0, &ack, &ack_n);
    }
    if (err == WQ_OK) {
        err = recv_reply(c, wait_ms > 0 ? wait_ms : 0, &got, &got_n);
    }
    if (err != WQ_OK) {
        wq_free(ack);
        return err; /* the connection is unusable now */
    }
    /* The RETRIEVE ran whatever the ACK said: take its item first, so
     * that it is the caller's even when the ACK's error is returned. */
    wq_err rerr = reply_error(c, got, got_n);
    if (rerr == WQ_OK) {
        rerr = parse_item(c, got, got_n, item, found);
    }
    wq_err aerr = reply_error(c, ack, ack_n);
    if (aerr == WQ_OK && (ack_n != 2 || memcmp(ack, "OK", 2) != 0)) {
        aerr = local_error(c, WQ_EPROTO);
    }
    wq_free(ack);
    wq_free(got);
    return aerr != WQ_OK ? aerr : rerr;
}

wq_err wq_client_release(wq_client *c, const char *queue, uint64_t id)
{
    return with_id(c, "RELEASE", queue, id);
}

wq_err wq_client_purge(wq_client *c, const char *queue, uint64_t *purged)
{
    if (c == NULL || queue == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "PURGE", queue);
    return err != WQ_OK ? err : expect_ok_u64(c, purged);
}

wq_err wq_client_ping(wq_client *c)
{
    if (c == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "PING", NULL);
    return err != WQ_OK ? err : expect_reply(c, "OK PONG");
}

wq_err wq_client_hello(wq_client *c, char *version, size_t size, uint64_t *max_message)
{
    if (c == NULL || (version != NULL && size == 0)) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "HELLO", NULL);
    void *reply = NULL;
    size_t n = 0;
    if (err == WQ_OK) {
        err = call(c, 0, &reply, &n);
    }
    if (err == WQ_OK) {
        /* "OK workq <version> 1 <max-message-bytes>" */
        const char *r = reply;
        const char *end = r + n;
        const char *p = r;
        const char *f[5];
        size_t fl[5];
        int fields = 0;
        while (err == WQ_OK && fields < 5 && next_field(&p, end, &f[fields], &fl[fields])) {
            fields++;
        }
        uint64_t max = 0;
        if (err == WQ_OK &&
            (fields != 5 || p != end || fl[0] != 2 || memcmp(f[0], "OK", 2) != 0 || fl[1] != 5 ||
             memcmp(f[1], "workq", 5) != 0 || !parse_u64(f[4], fl[4], &max))) {
            err = local_error(c, WQ_EPROTO);
        }
        if (err == WQ_OK) {
            if (version != NULL) {
                size_t vl = fl[2] < size - 1 ? fl[2] : size - 1;
                memcpy(version, f[2], vl);
                version[vl] = '\0';
            }
            if (max_message != NULL) {
                *max_message = max;
            }
        }
    }
    wq_free(reply);
    return err;
}

wq_err wq_client_request(wq_client *c, const void *request, size_t len, void **reply,
                         size_t *reply_len)
{
    if (c == NULL || (request == NULL && len > 0) || reply == NULL || reply_len == NULL) {
        return WQ_EINVAL;
    }
    *reply = NULL;
    *reply_len = 0;
    wqi_buf_clear(&c->req);
    if (len > 0 && wqi_buf_append(&c->req, request, len) != WQ_OK) {
        return local_error(c, WQ_ENOMEM);
    }
    return round_trip(c, 0, reply, reply_len);
}
