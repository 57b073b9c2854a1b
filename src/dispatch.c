/* dispatch.c — one request in, one reply out: parser → registry → reply.
 * Errors become the ERROR lines of docs/protocol.md, with sentences that name
 * what went wrong. */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "platform.h"
#include "protocol.h"
#include "reply.h"

/* An error reply that names the queue as the client wrote it. */
static wq_err queue_error(wqi_buf *out, const wqi_request *req, wq_err err, const char *before,
                          const char *after)
{
    return wqi_reply_error_queue(out, req->utf16, err, before, req->queue, req->queue_len, after);
}

/* 507 for a request the server had no memory for: say whether the budget
 * (max_bytes) is what stopped a PUBLISH, so an operator knows what to
 * raise, or memory itself ran out. */
static wq_err out_of_memory(const wqi_dispatch_ctx *ctx, wqi_buf *out, const wqi_request *req)
{
    uint64_t max = ctx->max_bytes;
    if (req->verb == WQI_VERB_PUBLISH && max != 0 &&
        wqi_registry_bytes(ctx->registry) + wqi_item_charge(req->payload_len) > max) {
        char line[96];
        snprintf(line, sizeof line, "the server's memory budget of %llu bytes is full",
                 (unsigned long long)max);
        return wqi_reply_error(out, req->utf16, WQ_ENOMEM, line);
    }
    return wqi_reply_error(out, req->utf16, WQ_ENOMEM, "out of memory");
}

/* The reply for a registry error about req's queue. */
static wq_err registry_error(const wqi_dispatch_ctx *ctx, wqi_buf *out, const wqi_request *req,
                             wq_err err)
{
    switch (err) {
    case WQ_ENOTFOUND:
        return queue_error(out, req, err, "no such queue ", NULL);
    case WQ_EEXIST: {
        /* docs/protocol.md: 409 names the queue in its stored spelling. */
        wqi_queue_info q;
        if (wqi_registry_queue_status(ctx->registry, req->queue, req->queue_len, &q) == WQ_OK) {
            return wqi_reply_error_queue(out, req->utf16, err, "queue ", q.name, q.name_len,
                                         " already exists");
        }
        return queue_error(out, req, err, "queue ", " already exists");
    }
    case WQ_ELIMIT:
        if (req->verb == WQI_VERB_CREATE) {
            return wqi_reply_error(out, req->utf16, err, "too many queues");
        }
        return queue_error(out, req, err, "queue ", " is full");
    case WQ_EGONE:
        return queue_error(out, req, err, "queue ", " was deleted while waiting");
    case WQ_ESHUTDOWN:
        return wqi_reply_error(out, req->utf16, err, WQI_503_SHUTDOWN " server is stopping");
    case WQ_ENOMEM:
        return out_of_memory(ctx, out, req);
    case WQ_ENOTTEXT:
        return wqi_reply_error(out, req->utf16, err,
                               "the next item is not text; retrieve it with a UTF-8 request");
    default:
        return wqi_reply_error(out, req->utf16, err, NULL);
    }
}

/* ACK/RELEASE failures: say whether the queue or the lease is missing. */
static wq_err lease_error(const wqi_dispatch_ctx *ctx, wqi_buf *out, const wqi_request *req,
                          wq_err err)
{
    wqi_queue_info q;
    if (err != WQ_ENOTFOUND ||
        wqi_registry_queue_status(ctx->registry, req->queue, req->queue_len, &q) != WQ_OK) {
        return registry_error(ctx, out, req, err);
    }
    return wqi_reply_error_queue(out, req->utf16, err,
                                 "this connection holds no such lease in queue ", q.name,
                                 q.name_len, NULL);
}

static wq_err do_status(const wqi_dispatch_ctx *ctx, wqi_buf *out, const wqi_request *req)
{
    wqi_queue_info q;
    wq_err err = wqi_registry_queue_status(ctx->registry, req->queue, req->queue_len, &q);
    if (err != WQ_OK) {
        return registry_error(ctx, out, req, err);
    }
    wqi_reply_queue rq = {q.name,   q.name_len,  q.started,  q.ready,
                          q.leased, q.published, q.completed};
    return wqi_reply_status(out, req->utf16, &rq);
}

static wq_err do_list(const wqi_dispatch_ctx *ctx, wqi_buf *out, const wqi_request *req)
{
    wqi_queue_info *rows;
    size_t n;
    wq_err err = wqi_registry_list(ctx->registry, &rows, &n);
    if (err != WQ_OK) {
        return wqi_reply_error(out, req->utf16, err, NULL);
    }
    err = wqi_reply_list_begin(out, req->utf16, n);
    for (size_t i = 0; i < n && err == WQ_OK; i++) {
        wqi_reply_queue rq = {
            rows[i].name, rows[i].name_len, rows[i].started, rows[i].ready, rows[i].leased, 0, 0};
        err = wqi_reply_list_row(out, req->utf16, &rq);
    }
    wqi_registry_list_free(rows);
    if (err != WQ_OK) {
        wqi_buf_clear(out);
        return wqi_reply_error(out, req->utf16, err, NULL);
    }
    return WQ_OK;
}

static wq_err do_retrieve(const wqi_dispatch_ctx *ctx, wqi_owner *owner, wqi_buf *out,
                          const wqi_request *req)
{
    int64_t deadline = WQI_NO_WAIT;
    if (req->has_wait) {
        deadline = wqi_clock_ms() + (int64_t)req->wait_ms;
    }
    wqi_item item;
    /* A UTF-16LE reply can only carry text: the registry refuses (406)
     * before leasing an item that is not. */
    wq_err err = wqi_registry_retrieve(ctx->registry, owner, req->queue, req->queue_len, deadline,
                                       req->utf16, &item);
    if (err != WQ_OK) {
        return registry_error(ctx, out, req, err);
    }
    if (item.id == 0) {
        return wqi_reply_empty(out, req->utf16);
    }
    /* item.payload stays valid until this owner's next registry call. */
    return wqi_reply_item(out, req->utf16, item.id, item.payload, item.len);
}

/* PUBLISH: the payload lives in the request's UTF-8 copy (a UTF-16
 * request) or else in the message itself; whichever block holds it may be
 * adopted by the registry (msg_block NULL: the message is not ours). */
static wq_err do_publish(const wqi_dispatch_ctx *ctx, wqi_buf *out, wqi_request *req,
                         void **msg_block)
{
    void *owned = req->owned;
    void **block = owned != NULL ? &owned : msg_block;
    uint64_t id = 0;
    wq_err err = wqi_registry_publish_block(ctx->registry, req->queue, req->queue_len, req->payload,
                                            req->payload_len, block, &id);
    if (owned == NULL) {
        req->owned = NULL; /* adopted */
    }
    return err == WQ_OK ? wqi_reply_ok_u64(out, req->utf16, id)
                        : registry_error(ctx, out, req, err);
}

static wq_err apply(const wqi_dispatch_ctx *ctx, wqi_owner *owner, wqi_buf *out, wqi_request *req,
                    void **msg_block)
{
    wqi_registry *r = ctx->registry;
    wq_err err;
    uint64_t n = 0;
    switch (req->verb) {
    case WQI_VERB_CREATE:
        err = wqi_registry_queue_create(r, req->queue, req->queue_len);
        break;
    case WQI_VERB_DELETE:
        err = wqi_registry_queue_delete(r, req->queue, req->queue_len);
        break;
    case WQI_VERB_START:
        err = wqi_registry_queue_start(r, req->queue, req->queue_len);
        break;
    case WQI_VERB_STOP:
        err = wqi_registry_queue_stop(r, req->queue, req->queue_len);
        break;
    case WQI_VERB_LIST:
        return do_list(ctx, out, req);
    case WQI_VERB_STATUS:
        return do_status(ctx, out, req);
    case WQI_VERB_PUBLISH:
        return do_publish(ctx, out, req, msg_block);
    case WQI_VERB_RETRIEVE:
        return do_retrieve(ctx, owner, out, req);
    case WQI_VERB_ACK:
        err = wqi_registry_ack(r, owner, req->queue, req->queue_len, req->id);
        return err == WQ_OK ? wqi_reply_ok(out, req->utf16) : lease_error(ctx, out, req, err);
    case WQI_VERB_RELEASE:
        err = wqi_registry_release(r, owner, req->queue, req->queue_len, req->id);
        return err == WQ_OK ? wqi_reply_ok(out, req->utf16) : lease_error(ctx, out, req, err);
    case WQI_VERB_PURGE:
        err = wqi_registry_queue_purge(r, req->queue, req->queue_len, &n);
        return err == WQ_OK ? wqi_reply_ok_u64(out, req->utf16, n)
                            : registry_error(ctx, out, req, err);
    case WQI_VERB_PING:
        return wqi_reply_pong(out, req->utf16);
    case WQI_VERB_HELLO:
        return wqi_reply_hello(out, req->utf16, ctx->version, ctx->max_message);
    default:
        return wqi_reply_error(out, req->utf16, WQ_EINTERNAL, NULL);
    }
    return err == WQ_OK ? wqi_reply_ok(out, req->utf16) : registry_error(ctx, out, req, err);
}

static wq_err dispatch_msg(const wqi_dispatch_ctx *ctx, wqi_owner *owner, const void *msg,
                           size_t len, void **msg_block, wqi_buf *out)
{
    wqi_buf_clear(out);
    wqi_request req;
    const char *why = NULL;
    wq_err err = wqi_request_parse(msg, len, &req, &why);
    if (err == WQ_ENOMEM) {
        err = wqi_reply_error(out, req.utf16, WQ_ENOMEM, "out of memory");
    } else if (err != WQ_OK) {
        err = wqi_reply_error(out, req.utf16, err == WQ_EBADREQ ? WQ_EBADREQ : WQ_EINTERNAL, why);
    } else {
        err = apply(ctx, owner, out, &req, msg_block);
        if (err != WQ_OK) {
            /* Formatting the reply failed (memory); say so if we can. */
            wqi_buf_clear(out);
            err = wqi_reply_error(out, req.utf16, WQ_ENOMEM, "out of memory");
        }
    }
    wqi_request_free(&req);
    return err;
}

wq_err wqi_dispatch(const wqi_dispatch_ctx *ctx, wqi_owner *owner, const void *msg, size_t len,
                    wqi_buf *out)
{
    return dispatch_msg(ctx, owner, msg, len, NULL, out);
}

wq_err wqi_dispatch_block(const wqi_dispatch_ctx *ctx, wqi_owner *owner, void **msg, size_t len,
                          wqi_buf *out)
{
    return dispatch_msg(ctx, owner, *msg, len, msg, out);
}

wq_err wqi_dispatch_too_large(wqi_buf *out)
{
    wqi_buf_clear(out);
    return wqi_reply_error(out, 0, WQ_EMSGSIZE, "message too large");
}

void wqi_dispatch_out_of_memory(const void **data, size_t *len)
{
    static const char reply[] = "ERROR 507 out of memory";
    *data = reply;
    *len = sizeof reply - 1;
}
