/* client.c — the blocking client: one request, one reply, over any
 * transport. Before the first request, the endpoint and the account the
 * server runs as are checked (trust.h; docs/protocol.md "Trust"), so that
 * nothing is sent to an impostor. Requests are formatted into a buffer the
 * client reuses; this file does the I/O, and replies are checked against
 * docs/protocol.md by the reply parser (reply_parse.h) before anything is
 * believed. */
#include <string.h>

#include <workq/client.h>

#include "alloc.h"
#include "buf.h"
#include "protocol.h"
#include "queue_name.h"
#include "platform.h"
#include "reply_parse.h"
#include "transport_batch.h"
#include "trust.h"

struct wq_client {
    wq_conn *conn; /* NULL until wq_client_connect succeeds */
    const wq_transport *transport;
    int connect_timeout_ms;
    int timeout_ms;
    size_t max_reply;
    char *server_account; /* a copy of opts->server_account, or NULL */
    wqi_buf req;          /* reused for every request */
    /* Room for a refusal that names an endpoint and several accounts
     * (trust.h), SIDs and all. */
    char message[1024];
};

void wq_client_opts_init(wq_client_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->connect_timeout_ms = 5000;
    opts->timeout_ms = WQ_DEFAULT_CLIENT_TIMEOUT_MS;
    opts->max_reply = WQ_DEFAULT_MAX_REPLY;
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = wqi_malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
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

wq_err wq_client_new(const wq_client_opts *opts, wq_client **out)
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
    c->transport = opts->transport;
    c->connect_timeout_ms = opts->connect_timeout_ms;
    c->timeout_ms = opts->timeout_ms;
    c->max_reply = opts->max_reply;
    wqi_buf_init(&c->req);
    if (opts->server_account != NULL && opts->server_account[0] != '\0') {
        c->server_account = dup_string(opts->server_account);
        if (c->server_account == NULL) {
            wqi_free(c);
            return WQ_ENOMEM;
        }
    }
    *out = c;
    return WQ_OK;
}

/* Resolve, check the endpoint, connect, check the server: in that order,
 * and nothing is sent before all of it has passed (docs/protocol.md
 * "Trust"). The checks explain a refusal in c->message themselves. */
static wq_err connect_checked(wq_client *c, const char *endpoint, const char *account)
{
    char resolved[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(c->transport, endpoint, resolved, sizeof resolved);
    if (err != WQ_OK) {
        return local_error(c, err);
    }
    err = wqi_trust_endpoint(c->transport, resolved, c->message, sizeof c->message);
    if (err != WQ_OK) {
        return c->message[0] != '\0' ? err : local_error(c, err);
    }
    wq_conn *conn = NULL;
    err = wq_conn_connect(c->transport, resolved, c->connect_timeout_ms, &conn);
    if (err != WQ_OK) {
        return local_error(c, err);
    }
    err = wqi_trust_server(conn, resolved, account, c->message, sizeof c->message);
    if (err != WQ_OK) {
        wq_conn_close(conn); /* the server sees a client that left unheard */
        return c->message[0] != '\0' ? err : local_error(c, err);
    }
    c->conn = conn;
    return WQ_OK;
}

wq_err wq_client_connect(wq_client *c, const char *endpoint)
{
    if (c == NULL) {
        return WQ_EINVAL;
    }
    c->message[0] = '\0';
    if (c->conn != NULL) {
        set_message(c, "already connected", 17);
        return WQ_EINVAL;
    }
    /* The environment's account is copied at once: the pointer getenv
     * gives is only good until the environment changes. */
    char *from_env = NULL;
    const char *account = c->server_account;
    if (account == NULL) {
        const char *env = wqi_getenv("WORKQ_SERVER_ACCOUNT");
        if (env != NULL && env[0] != '\0') {
            from_env = dup_string(env);
            if (from_env == NULL) {
                return local_error(c, WQ_ENOMEM);
            }
            account = from_env;
        }
    }
    wq_err err = connect_checked(c, endpoint, account);
    wqi_free(from_env);
    return err;
}

wq_err wq_client_open(const char *endpoint, const wq_client_opts *opts, wq_client **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    wq_client *c = NULL;
    wq_err err = wq_client_new(opts, &c);
    if (err == WQ_OK) {
        err = wq_client_connect(c, endpoint);
    }
    if (err != WQ_OK) {
        wq_client_close(c);
        return err;
    }
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
    wqi_free(c->server_account);
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

/* Requests need a connection: a client from wq_client_new that never
 * connected (or failed to) has none. */
static wq_err not_connected(wq_client *c)
{
    set_message(c, "not connected", 13);
    return WQ_ECLOSED;
}

/* Send the request in c->req and receive the raw reply. */
static wq_err round_trip(wq_client *c, int64_t extra_ms, void **reply, size_t *len)
{
    c->message[0] = '\0';
    if (c->conn == NULL) {
        return not_connected(c);
    }
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

/* Parse the reply msg[0..n) to a request expecting `expect` into *r. An
 * ERROR reply becomes its wq_err, with the sentence kept for
 * wq_client_message; a reply that breaks docs/protocol.md is WQ_EPROTO. */
static wq_err take_reply(wq_client *c, const void *msg, size_t n, wqi_reply_kind expect,
                         wqi_reply *r)
{
    wq_err err = wqi_reply_parse(msg, n, expect, r);
    if (err != WQ_OK) {
        return local_error(c, err);
    }
    if (r->kind == WQI_REPLY_ERROR) {
        set_message(c, r->message, r->message_len);
        return r->err;
    }
    return WQ_OK;
}

/* Run the request in c->req. On WQ_OK *r is its reply of kind expect,
 * pointing into *reply; *reply is the caller's to free (wq_free) whatever
 * the result. */
static wq_err call(wq_client *c, int64_t extra_ms, wqi_reply_kind expect, void **reply,
                   wqi_reply *r)
{
    size_t n = 0;
    *reply = NULL;
    wq_err err = round_trip(c, extra_ms, reply, &n);
    return err == WQ_OK ? take_reply(c, *reply, n, expect, r) : err;
}

/* Run the request in c->req, whose reply of kind expect holds nothing
 * that points into the message (everything but HELLO and ITEM). */
static wq_err call_simple(wq_client *c, wqi_reply_kind expect, wqi_reply *r)
{
    void *reply;
    wq_err err = call(c, 0, expect, &reply, r);
    wq_free(reply);
    return err;
}

/* Run the request and parse "OK <n>" into *value (may be NULL). */
static wq_err expect_ok_u64(wq_client *c, uint64_t *value)
{
    wqi_reply r;
    wq_err err = call_simple(c, WQI_REPLY_U64, &r);
    if (err == WQ_OK && value != NULL) {
        *value = r.value;
    }
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
    wqi_reply r;
    return err != WQ_OK ? err : call_simple(c, WQI_REPLY_OK, &r);
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

wq_err wq_client_status(wq_client *c, const char *queue, wq_queue_info *info)
{
    if (c == NULL || queue == NULL || info == NULL) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "STATUS", queue);
    wqi_reply r;
    if (err == WQ_OK) {
        err = call_simple(c, WQI_REPLY_STATUS, &r);
    }
    if (err == WQ_OK) {
        *info = r.queue;
    }
    return err;
}

wq_err wq_client_list(wq_client *c, wq_queue_info **rows, size_t *n)
{
    if (c == NULL || rows == NULL || n == NULL) {
        return WQ_EINVAL;
    }
    *rows = NULL;
    *n = 0;
    wq_err err = begin(c, "LIST", NULL);
    wqi_reply r;
    if (err == WQ_OK) {
        err = call_simple(c, WQI_REPLY_LIST, &r);
    }
    if (err == WQ_OK) {
        *rows = r.rows; /* the rows are a block of their own */
        *n = r.count;
    }
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

/* Hand the item of a parsed RETRIEVE reply to the caller: the payload is
 * copied into a new allocation the caller owns. */
static wq_err take_item(wq_client *c, const wqi_reply *r, wq_item *item, int *found)
{
    if (!r->found) {
        return WQ_OK;
    }
    char *payload = wqi_malloc(r->payload_len + 1);
    if (payload == NULL) {
        return local_error(c, WQ_ENOMEM);
    }
    if (r->payload_len > 0) {
        memcpy(payload, r->payload, r->payload_len);
    }
    payload[r->payload_len] = '\0';
    item->id = r->id;
    item->payload = payload;
    item->len = r->payload_len;
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
    wqi_reply r;
    if (err == WQ_OK) {
        err = call(c, wait_ms > 0 ? wait_ms : 0, WQI_REPLY_ITEM, &reply, &r);
    }
    if (err == WQ_OK) {
        err = take_item(c, &r, item, found);
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
    wqi_reply r;
    return err != WQ_OK ? err : call_simple(c, WQI_REPLY_OK, &r);
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
    if (c->conn == NULL) {
        return not_connected(c);
    }
    /* Both requests leave together, in one write where the transport can,
     * before either reply is read: one round trip. The server answers in
     * order, so the first reply is the ACK's. */
    char ack_req[8 + WQ_QUEUE_NAME_MAX + 24]; /* "ACK " name " " id */
    /* Two requests of at most that size each: well inside the window
     * (client.h) that lets us send both before reading. */
    typedef char within_window[2 * sizeof ack_req + 16 <= WQ_PIPELINE_MAX_BYTES &&
                                       2 <= WQ_PIPELINE_MAX_REQUESTS
                                   ? 1
                                   : -1];
    (void)sizeof(within_window);
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
    wqi_reply r;
    wq_err rerr = take_reply(c, got, got_n, WQI_REPLY_ITEM, &r);
    if (rerr == WQ_OK) {
        rerr = take_item(c, &r, item, found);
    }
    wq_err aerr = take_reply(c, ack, ack_n, WQI_REPLY_OK, &r);
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
    wqi_reply r;
    return err != WQ_OK ? err : call_simple(c, WQI_REPLY_PONG, &r);
}

wq_err wq_client_hello(wq_client *c, char *version, size_t size, uint64_t *max_message)
{
    if (c == NULL || (version != NULL && size == 0)) {
        return WQ_EINVAL;
    }
    wq_err err = begin(c, "HELLO", NULL);
    void *reply = NULL;
    wqi_reply r;
    if (err == WQ_OK) {
        err = call(c, 0, WQI_REPLY_HELLO, &reply, &r);
    }
    if (err == WQ_OK) {
        if (version != NULL) {
            size_t vl = r.version_len < size - 1 ? r.version_len : size - 1;
            memcpy(version, r.version, vl);
            version[vl] = '\0';
        }
        if (max_message != NULL) {
            *max_message = r.max_message;
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
