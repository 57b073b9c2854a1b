/* fuzz_reply.c — the reply parser (reply_parse.c): any bytes a server (or
 * something pretending to be one) may answer, parsed as the reply to each
 * kind of request.
 *
 * Besides "no crash, no leak, no undefined behaviour", every input checks:
 * - a failure is WQ_EPROTO with nothing set; a success is of the kind
 *   expected or an ERROR line (the same ERROR whatever was expected), with
 *   every pointer inside the message and every field in its range;
 * - formatted again by the server's formatter (reply.c), the parsed reply
 *   parses to the same reply, and the UTF-16LE formatting converts back to
 *   exactly the UTF-8 one (or both refuse the same content);
 * - nothing was accepted that the formatter would not have written: the
 *   input is the formatted reply plus, at most, leading zeros in numbers.
 */
#include <stdlib.h>
#include <string.h>

#include <workq/transport.h>

#include "buf.h"
#include "fuzz.h"
#include "queue_name.h"
#include "protocol.h"
#include "reply.h"
#include "reply_parse.h"
#include "utf16.h"

static const wqi_reply_kind kinds[] = {
    WQI_REPLY_OK,     WQI_REPLY_U64,  WQI_REPLY_PONG, WQI_REPLY_HELLO,
    WQI_REPLY_STATUS, WQI_REPLY_LIST, WQI_REPLY_ITEM,
};

#define KINDS (sizeof kinds / sizeof kinds[0])

static int inside(const void *p, size_t n, const void *base, size_t size)
{
    const uint8_t *x = p;
    const uint8_t *b = base;
    return x >= b && n <= size && (size_t)(x - b) <= size - n;
}

static int bytes_equal(const void *a, size_t an, const void *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int same_queue(const wq_queue_info *a, const wq_queue_info *b)
{
    return strcmp(a->name, b->name) == 0 && a->started == b->started && a->ready == b->ready &&
           a->leased == b->leased && a->published == b->published && a->completed == b->completed;
}

/* Everything a reply says (pointers compared by content). */
static int same_reply(const wqi_reply *a, const wqi_reply *b)
{
    if (a->kind != b->kind || a->value != b->value || a->max_message != b->max_message ||
        a->count != b->count || a->found != b->found || a->id != b->id || a->code != b->code ||
        a->err != b->err || !same_queue(&a->queue, &b->queue) ||
        !bytes_equal(a->version, a->version_len, b->version, b->version_len) ||
        !bytes_equal(a->payload, a->payload_len, b->payload, b->payload_len) ||
        !bytes_equal(a->message, a->message_len, b->message, b->message_len)) {
        return 0;
    }
    for (size_t i = 0; i < a->count; i++) {
        if (!same_queue(&a->rows[i], &b->rows[i])) {
            return 0;
        }
    }
    return 1;
}

static void check_queue(const wq_queue_info *q)
{
    size_t n = strlen(q->name);
    WQF_CHECK(wqi_queue_name_valid(q->name, n));
    WQF_CHECK(q->started == 0 || q->started == 1);
}

static void check_zero(const wqi_reply *r)
{
    wqi_reply zero;
    memset(&zero, 0, sizeof zero);
    WQF_CHECK(memcmp(r, &zero, sizeof zero) == 0);
}

static void check_parsed(const wqi_reply *r, wqi_reply_kind expect, const uint8_t *data,
                         size_t size)
{
    WQF_CHECK(r->kind == expect || r->kind == WQI_REPLY_ERROR);
    switch (r->kind) {
    case WQI_REPLY_HELLO:
        WQF_CHECK(r->version_len > 0 && inside(r->version, r->version_len, data, size));
        break;
    case WQI_REPLY_STATUS:
        check_queue(&r->queue);
        break;
    case WQI_REPLY_LIST:
        WQF_CHECK((r->count == 0) == (r->rows == NULL));
        WQF_CHECK(r->count <= size / 14);
        for (size_t i = 0; i < r->count; i++) {
            check_queue(&r->rows[i]);
            WQF_CHECK(r->rows[i].published == 0 && r->rows[i].completed == 0);
        }
        break;
    case WQI_REPLY_ITEM:
        WQF_CHECK(r->found == 0 || r->found == 1);
        if (r->found) {
            WQF_CHECK(inside(r->payload, r->payload_len, data, size));
            /* The payload runs to the very end. */
            WQF_CHECK(r->payload + r->payload_len == data + size);
        } else {
            WQF_CHECK(size == 5 && r->id == 0 && r->payload == NULL);
        }
        break;
    case WQI_REPLY_ERROR:
        WQF_CHECK(r->code >= 0 && r->code <= 999);
        WQF_CHECK(inside(r->message, r->message_len, data, size));
        WQF_CHECK((const uint8_t *)r->message + r->message_len == data + size);
        if (r->code == 503) {
            WQF_CHECK(r->err == WQ_EBUSY || r->err == WQ_ESHUTDOWN);
        } else {
            WQF_CHECK(r->err == wq_err_from_code(r->code));
        }
        break;
    default:
        break;
    }
}

/* A NUL-terminated copy of p[0..n), or NULL if p holds a NUL (which a C
 * string cannot carry). Free with free(). */
static char *cstr(const void *p, size_t n)
{
    if (n > 0 && memchr(p, '\0', n) != NULL) {
        return NULL;
    }
    char *s = malloc(n + 1);
    WQF_CHECK(s != NULL);
    if (n > 0) {
        memcpy(s, p, n);
    }
    s[n] = '\0';
    return s;
}

static int sentence_ok(const char *s, size_t n)
{
    return wqi_utf8_valid((const uint8_t *)s, n) && memchr(s, '\n', n) == NULL &&
           memchr(s, '\r', n) == NULL;
}

static wqi_reply_queue as_reply_queue(const wq_queue_info *q)
{
    wqi_reply_queue rq;
    rq.name = q->name;
    rq.name_len = strlen(q->name);
    rq.started = q->started;
    rq.ready = q->ready;
    rq.leased = q->leased;
    rq.published = q->published;
    rq.completed = q->completed;
    return rq;
}

/* The reply r written again by reply.c. Returns what the formatter
 * returned, or WQ_EPROTO (nothing written) for what it cannot write: an
 * ERROR with a code the client does not know, or text with a NUL. */
static wq_err format(const wqi_reply *r, int utf16, wqi_buf *b)
{
    wqi_buf_clear(b);
    wq_err err = WQ_EPROTO;
    char *s = NULL;
    wqi_reply_queue rq;
    switch (r->kind) {
    case WQI_REPLY_OK:
        return wqi_reply_ok(b, utf16);
    case WQI_REPLY_U64:
        return wqi_reply_ok_u64(b, utf16, r->value);
    case WQI_REPLY_PONG:
        return wqi_reply_pong(b, utf16);
    case WQI_REPLY_HELLO:
        s = cstr(r->version, r->version_len);
        err = s != NULL ? wqi_reply_hello(b, utf16, s, r->max_message) : WQ_EPROTO;
        break;
    case WQI_REPLY_STATUS:
        rq = as_reply_queue(&r->queue);
        return wqi_reply_status(b, utf16, &rq);
    case WQI_REPLY_LIST:
        err = wqi_reply_list_begin(b, utf16, r->count);
        for (size_t i = 0; i < r->count && err == WQ_OK; i++) {
            rq = as_reply_queue(&r->rows[i]);
            err = wqi_reply_list_row(b, utf16, &rq);
        }
        return err;
    case WQI_REPLY_ITEM:
        return r->found ? wqi_reply_item(b, utf16, r->id, r->payload, r->payload_len)
                        : wqi_reply_empty(b, utf16);
    case WQI_REPLY_ERROR:
        if (r->err == WQ_EPROTO) {
            return WQ_EPROTO;
        }
        WQF_CHECK(wq_err_code(r->err) == r->code);
        s = cstr(r->message, r->message_len);
        if (s != NULL) {
            err = wqi_reply_error(b, utf16, r->err, s);
            /* The formatter refuses exactly what is not one line of UTF-8. */
            WQF_CHECK((err == WQ_EINVAL) == !sentence_ok(s, r->message_len));
        }
        break;
    }
    free(s);
    return err;
}

/* 1 if x can be made into f by deleting only '0' bytes (the leading zeros
 * strict decimal allows). Greedy matching is exact here: matching a '0'
 * early instead of deleting it never prevents a later match. */
static int zeros_apart(const uint8_t *x, size_t xn, const uint8_t *f, size_t fn)
{
    size_t j = 0;
    for (size_t i = 0; i < xn; i++) {
        if (j < fn && x[i] == f[j]) {
            j++;
        } else if (x[i] != '0') {
            return 0;
        }
    }
    return j == fn;
}

static void check_reformatted(const wqi_reply *r, wqi_reply_kind expect, const uint8_t *data,
                              size_t size)
{
    wqi_buf b, wide, back;
    wqi_buf_init(&b);
    wqi_buf_init(&wide);
    wqi_buf_init(&back);
    wq_err err = format(r, 0, &b);
    if (err == WQ_OK) {
        wqi_reply again;
        WQF_CHECK(wqi_reply_parse(b.data, b.len, expect, &again) == WQ_OK);
        if (r->kind == WQI_REPLY_HELLO && r->protocol != WQI_PROTOCOL_VERSION) {
            /* The formatter writes its own protocol version. */
            WQF_CHECK(again.protocol == WQI_PROTOCOL_VERSION);
            again.protocol = r->protocol;
        }
        WQF_CHECK(again.protocol == r->protocol);
        WQF_CHECK(same_reply(r, &again));
        wq_free(again.rows);
        if (r->kind != WQI_REPLY_HELLO || r->protocol == WQI_PROTOCOL_VERSION) {
            WQF_CHECK(zeros_apart(data, size, b.data, b.len));
        }
    }
    /* The UTF-16LE reply says the same in the other encoding. */
    wq_err werr = format(r, 1, &wide);
    if (err == WQ_OK && r->kind == WQI_REPLY_ITEM && r->found &&
        !wqi_utf8_valid(r->payload, r->payload_len)) {
        WQF_CHECK(werr == WQ_ENOTTEXT);
    } else {
        WQF_CHECK(werr == err);
    }
    if (werr == WQ_OK) {
        WQF_CHECK(wide.len % 2 == 0);
        WQF_CHECK(wqi_utf16le_to_utf8(&back, wide.data, wide.len) == WQ_OK);
        WQF_CHECK(bytes_equal(back.data, back.len, b.data, b.len));
    }
    wqi_buf_free(&b);
    wqi_buf_free(&wide);
    wqi_buf_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wqi_reply first_error;
    memset(&first_error, 0, sizeof first_error);
    int have_error = 0;
    for (size_t k = 0; k < KINDS; k++) {
        wqi_reply r;
        wq_err err = wqi_reply_parse(data, size, kinds[k], &r);
        if (err != WQ_OK) {
            WQF_CHECK(err == WQ_EPROTO || err == WQ_ENOMEM);
            check_zero(&r);
            continue;
        }
        check_parsed(&r, kinds[k], data, size);
        if (r.kind == WQI_REPLY_ERROR) {
            /* An ERROR line is the same reply whatever was expected. */
            if (have_error) {
                WQF_CHECK(same_reply(&first_error, &r));
            }
            first_error = r;
            have_error = 1;
        }
        check_reformatted(&r, kinds[k], data, size);
        wq_free(r.rows);
    }
    /* An ERROR line parses as one for every kind, or for none. */
    if (have_error) {
        for (size_t k = 0; k < KINDS; k++) {
            wqi_reply r;
            WQF_CHECK(wqi_reply_parse(data, size, kinds[k], &r) == WQ_OK);
            WQF_CHECK(r.kind == WQI_REPLY_ERROR);
        }
    }
    return 0;
}
