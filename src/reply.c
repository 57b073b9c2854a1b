/* reply.c — reply formatting. Every piece of a reply goes through one small
 * writer that encodes it as it is appended (UTF-8 verbatim, or converted to
 * UTF-16LE), so a UTF-16LE reply costs no intermediate UTF-8 copy, and that
 * remembers the first error so each reply reads as the line it writes. */
#include <string.h>

#include "protocol.h"
#include "queue_name.h"
#include "reply.h"
#include "utf16.h"

typedef struct writer {
    wqi_buf *b;
    int utf16;
    size_t mark; /* b->len before the reply: restored on error */
    wq_err err;  /* first error; later writes do nothing */
} writer;

static void w_begin(writer *w, wqi_buf *b, int utf16)
{
    w->b = b;
    w->utf16 = utf16;
    w->mark = b->len;
    w->err = WQ_OK;
}

static void w_fail(writer *w, wq_err err)
{
    if (w->err == WQ_OK) {
        w->err = err;
    }
}

/* UTF-8 text (or, in UTF-8 replies, any bytes) in the reply's encoding.
 * Converting invalid UTF-8 to UTF-16LE fails with WQ_EINVAL. */
static void w_text(writer *w, const void *p, size_t n)
{
    if (w->err != WQ_OK) {
        return;
    }
    wq_err err = w->utf16 ? wqi_utf8_to_utf16le(w->b, p, n) : wqi_buf_append(w->b, p, n);
    w_fail(w, err);
}

static void w_str(writer *w, const char *s)
{
    w_text(w, s, strlen(s));
}

static void w_u64(writer *w, uint64_t v)
{
    char digits[WQI_U64_DIGITS];
    size_t n = wqi_u64_to_dec(v, digits);
    w_text(w, digits, n);
}

static void w_name(writer *w, const char *name, size_t len)
{
    if (!wqi_queue_name_valid(name, len)) {
        w_fail(w, WQ_EINVAL);
        return;
    }
    w_text(w, name, len);
}

static wq_err w_end(writer *w)
{
    if (w->err != WQ_OK) {
        w->b->len = w->mark;
    }
    return w->err;
}

static const char *state_word(int started)
{
    return started ? "started" : "stopped";
}

/* Replies that are one constant line. */
static wq_err reply_line(wqi_buf *b, int utf16, const char *line)
{
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, line);
    return w_end(&w);
}

wq_err wqi_reply_ok(wqi_buf *b, int utf16)
{
    return reply_line(b, utf16, "OK");
}

wq_err wqi_reply_pong(wqi_buf *b, int utf16)
{
    return reply_line(b, utf16, "OK PONG");
}

wq_err wqi_reply_empty(wqi_buf *b, int utf16)
{
    return reply_line(b, utf16, "EMPTY");
}

wq_err wqi_reply_ok_u64(wqi_buf *b, int utf16, uint64_t n)
{
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, "OK ");
    w_u64(&w, n);
    return w_end(&w);
}

/* A version is one printable ASCII word: it must not shift the fields
 * that follow it on the HELLO line. */
static int version_valid(const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    for (; *v != '\0'; v++) {
        if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7F) {
            return 0;
        }
    }
    return 1;
}

wq_err wqi_reply_hello(wqi_buf *b, int utf16, const char *version, uint64_t max_message)
{
    if (!version_valid(version)) {
        return WQ_EINVAL;
    }
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, "OK workq ");
    w_str(&w, version);
    w_str(&w, " ");
    w_u64(&w, WQI_PROTOCOL_VERSION);
    w_str(&w, " ");
    w_u64(&w, max_message);
    return w_end(&w);
}

/* "<queue> <state> <ready> <leased>": what STATUS and LIST rows share. */
static void w_queue(writer *w, const wqi_reply_queue *q)
{
    w_name(w, q->name, q->name_len);
    w_str(w, " ");
    w_str(w, state_word(q->started));
    w_str(w, " ");
    w_u64(w, q->ready);
    w_str(w, " ");
    w_u64(w, q->leased);
}

wq_err wqi_reply_status(wqi_buf *b, int utf16, const wqi_reply_queue *q)
{
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, "OK ");
    w_queue(&w, q);
    w_str(&w, " ");
    w_u64(&w, q->published);
    w_str(&w, " ");
    w_u64(&w, q->completed);
    return w_end(&w);
}

wq_err wqi_reply_list_begin(wqi_buf *b, int utf16, uint64_t n)
{
    return wqi_reply_ok_u64(b, utf16, n);
}

wq_err wqi_reply_list_row(wqi_buf *b, int utf16, const wqi_reply_queue *q)
{
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, "\n");
    w_queue(&w, q);
    return w_end(&w);
}

wq_err wqi_reply_item(wqi_buf *b, int utf16, uint64_t id, const void *payload, size_t len)
{
    writer w;
    w_begin(&w, b, utf16);
    w_str(&w, "ITEM ");
    w_u64(&w, id);
    w_str(&w, " ");
    w_text(&w, payload, len);
    wq_err err = w_end(&w);
    /* The header is ASCII: only the payload can fail to convert. */
    return err == WQ_EINVAL ? WQ_ENOTTEXT : err;
}

/* An ERROR sentence is one line of UTF-8, whatever the reply's encoding,
 * so that a bad sentence fails in UTF-8 tests too. */
static int sentence_valid(const char *s, size_t n)
{
    return wqi_utf8_valid((const uint8_t *)s, n) && memchr(s, '\n', n) == NULL &&
           memchr(s, '\r', n) == NULL;
}

static void w_sentence(writer *w, const char *s, size_t n)
{
    if (!sentence_valid(s, n)) {
        w_fail(w, WQ_EINVAL);
        return;
    }
    w_text(w, s, n);
}

static void w_error_code(writer *w, wq_err err)
{
    int code = wq_err_code(err);
    w_str(w, "ERROR ");
    /* Only protocol errors have a code; the server's own lack of memory
     * is 507 (insufficient storage, as a full queue), anything else went
     * wrong inside the server. */
    if (err == WQ_ENOMEM) {
        code = 507;
    }
    w_u64(w, (uint64_t)(code != 0 ? code : 500));
    w_str(w, " ");
}

wq_err wqi_reply_error(wqi_buf *b, int utf16, wq_err err, const char *message)
{
    if (message == NULL) {
        message = wq_strerror(err);
    }
    writer w;
    w_begin(&w, b, utf16);
    w_error_code(&w, err);
    w_sentence(&w, message, strlen(message));
    return w_end(&w);
}

wq_err wqi_reply_error_queue(wqi_buf *b, int utf16, wq_err err, const char *before,
                             const char *queue, size_t queue_len, const char *after)
{
    writer w;
    w_begin(&w, b, utf16);
    w_error_code(&w, err);
    if (before != NULL) {
        w_sentence(&w, before, strlen(before));
    }
    w_name(&w, queue, queue_len);
    if (after != NULL) {
        w_sentence(&w, after, strlen(after));
    }
    return w_end(&w);
}
