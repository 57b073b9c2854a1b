/* fuzz_request.c — the request parser (protocol.c, utf16.c): any bytes a
 * client may send as one message.
 *
 * Besides "no crash, no leak, no undefined behaviour", every input checks:
 * - the result is all-or-nothing: an error leaves nothing set but the reply
 *   encoding, with a sentence; a success has exactly the fields its verb
 *   takes, a valid queue name, a payload that runs to the end of the text;
 * - a parsed request written out again in canonical form (upper-case verb,
 *   single spaces, with "\n" or "\r\n" appended where the verb allows)
 *   parses to the same request;
 * - both encodings agree: valid UTF-8 text, sent as UTF-16LE with and
 *   without a BOM, gives the same result (the same sentence on error);
 * - nothing was accepted that the grammar does not allow: a UTF-8 request
 *   is its canonical form but for the verb's case, leading zeros in
 *   numbers and one trailing "\n" or "\r\n".
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "protocol.h"
#include "queue_name.h"
#include "utf16.h"

/* The fields of a request that say what it asks, for comparing two. */
static int same_request(const wqi_request *a, const wqi_request *b)
{
    return a->verb == b->verb && a->queue_len == b->queue_len &&
           (a->queue_len == 0 || memcmp(a->queue, b->queue, a->queue_len) == 0) &&
           (a->payload == NULL) == (b->payload == NULL) && a->payload_len == b->payload_len &&
           (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0) &&
           a->id == b->id && a->has_wait == b->has_wait && a->wait_ms == b->wait_ms;
}

static int inside(const void *p, size_t n, const void *base, size_t size)
{
    const uint8_t *x = p;
    const uint8_t *b = base;
    return x >= b && n <= size && (size_t)(x - b) <= size - n;
}

static void check_failed(wq_err err, const wqi_request *req, const char *why)
{
    WQF_CHECK(err == WQ_EBADREQ || err == WQ_ENOMEM);
    WQF_CHECK(why != NULL && why[0] != '\0');
    WQF_CHECK(req->queue == NULL && req->queue_len == 0);
    WQF_CHECK(req->payload == NULL && req->payload_len == 0);
    WQF_CHECK(req->owned == NULL && req->id == 0 && req->has_wait == 0 && req->wait_ms == 0);
}

static void check_parsed(const wqi_request *req, const char *why, const uint8_t *data, size_t size)
{
    WQF_CHECK(why == NULL);
    WQF_CHECK((unsigned)req->verb < WQI_VERB_COUNT);
    int has_queue =
        req->verb != WQI_VERB_LIST && req->verb != WQI_VERB_PING && req->verb != WQI_VERB_HELLO;
    if (has_queue) {
        WQF_CHECK(req->queue != NULL && wqi_queue_name_valid(req->queue, req->queue_len));
    } else {
        WQF_CHECK(req->queue == NULL && req->queue_len == 0);
    }
    if (req->verb == WQI_VERB_PUBLISH) {
        WQF_CHECK(req->payload != NULL);
    } else {
        WQF_CHECK(req->payload == NULL && req->payload_len == 0);
    }
    if (req->verb != WQI_VERB_ACK && req->verb != WQI_VERB_RELEASE) {
        WQF_CHECK(req->id == 0);
    }
    if (req->verb != WQI_VERB_RETRIEVE) {
        WQF_CHECK(req->has_wait == 0 && req->wait_ms == 0);
    }
    WQF_CHECK(req->has_wait == 0 || req->has_wait == 1);
    WQF_CHECK(req->has_wait || req->wait_ms == 0);
    if (!req->utf16) {
        /* Parsed in place, without allocating; the payload runs to the
         * very end of the message. */
        WQF_CHECK(req->owned == NULL);
        WQF_CHECK(!has_queue || inside(req->queue, req->queue_len, data, size));
        if (req->payload != NULL) {
            WQF_CHECK(inside(req->payload, req->payload_len, data, size));
            WQF_CHECK(req->payload + req->payload_len == data + size);
        }
    } else {
        WQF_CHECK(req->owned != NULL);
    }
}

/* The request written as docs/protocol.md writes it, in UTF-8; tail is "",
 * "\n" or "\r\n" (never after a PUBLISH payload, which it would join). */
static void canonical(const wqi_request *req, const char *tail, wqi_buf *out)
{
    wqi_buf_clear(out);
    WQF_CHECK(wqi_buf_append_str(out, wqi_verb_name(req->verb)) == WQ_OK);
    if (req->queue != NULL) {
        WQF_CHECK(wqi_buf_append_byte(out, ' ') == WQ_OK);
        WQF_CHECK(wqi_buf_append(out, req->queue, req->queue_len) == WQ_OK);
    }
    if (req->verb == WQI_VERB_ACK || req->verb == WQI_VERB_RELEASE) {
        WQF_CHECK(wqi_buf_append_byte(out, ' ') == WQ_OK);
        WQF_CHECK(wqi_buf_append_u64(out, req->id) == WQ_OK);
    }
    if (req->has_wait) {
        WQF_CHECK(wqi_buf_append_byte(out, ' ') == WQ_OK);
        WQF_CHECK(wqi_buf_append_u64(out, req->wait_ms) == WQ_OK);
    }
    if (req->verb == WQI_VERB_PUBLISH) {
        WQF_CHECK(wqi_buf_append_byte(out, ' ') == WQ_OK);
        WQF_CHECK(wqi_buf_append(out, req->payload, req->payload_len) == WQ_OK);
    } else {
        WQF_CHECK(wqi_buf_append_str(out, tail) == WQ_OK);
    }
}

static uint8_t upper(uint8_t c)
{
    return (uint8_t)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
}

/* data[0..size), a UTF-8 request that parsed as req, is what the grammar
 * allows: its canonical form c but for what the comment at the top
 * allows. Leading zeros are matched greedily: deleting only '0' bytes,
 * matching one early never prevents a later match. */
static void check_strict(const wqi_request *req, const uint8_t *data, size_t size)
{
    wqi_buf c;
    wqi_buf_init(&c);
    canonical(req, "", &c);
    size_t n = size;
    if (req->verb != WQI_VERB_PUBLISH && n > 0 && data[n - 1] == '\n') {
        n--;
        if (n > 0 && data[n - 1] == '\r') {
            n--;
        }
    }
    size_t verb_len = strlen(wqi_verb_name(req->verb));
    WQF_CHECK(n >= verb_len);
    for (size_t i = 0; i < verb_len; i++) {
        WQF_CHECK(upper(data[i]) == c.data[i]);
    }
    size_t j = verb_len;
    for (size_t i = verb_len; i < n; i++) {
        if (j < c.len && data[i] == c.data[j]) {
            j++;
        } else {
            WQF_CHECK(data[i] == '0' && req->verb != WQI_VERB_PUBLISH);
        }
    }
    WQF_CHECK(j == c.len);
    wqi_buf_free(&c);
}

static void check_canonical(const wqi_request *req)
{
    static const char *const tails[] = {"", "\n", "\r\n"};
    wqi_buf text;
    wqi_buf_init(&text);
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        canonical(req, tails[i], &text);
        wqi_request again;
        const char *why = NULL;
        wq_err err = wqi_request_parse(text.data, text.len, &again, &why);
        /* A payload whose text looks like UTF-16LE ("PUBLISH q" never
         * does: its second byte is 'U') cannot change the verdict. */
        WQF_CHECK(err == WQ_OK);
        WQF_CHECK(!again.utf16);
        WQF_CHECK(same_request(req, &again));
        wqi_request_free(&again);
    }
    wqi_buf_free(&text);
}

/* data is valid UTF-8 that parses as UTF-8: its UTF-16LE form, with and
 * without a BOM, must parse to the same result. */
static void check_utf16_agrees(const uint8_t *data, size_t size, wq_err err, const wqi_request *req,
                               const char *why)
{
    wqi_buf wide;
    wqi_buf_init(&wide);
    for (int bom = 0; bom <= 1; bom++) {
        wqi_buf_clear(&wide);
        if (bom) {
            WQF_CHECK(wqi_buf_append(&wide, "\xFF\xFE", 2) == WQ_OK);
        }
        WQF_CHECK(wqi_utf8_to_utf16le(&wide, data, size) == WQ_OK);
        wqi_request w;
        const char *wwhy = NULL;
        wq_err werr = wqi_request_parse(wide.data, wide.len, &w, &wwhy);
        WQF_CHECK(w.utf16);
        WQF_CHECK(werr == err);
        if (err == WQ_OK) {
            WQF_CHECK(same_request(req, &w));
        } else {
            WQF_CHECK(wwhy != NULL && why != NULL && strcmp(wwhy, why) == 0);
        }
        wqi_request_free(&w);
    }
    wqi_buf_free(&wide);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wqi_request req;
    const char *why = "unset";
    wq_err err = wqi_request_parse(data, size, &req, &why);
    int utf16 = wqi_request_is_utf16(data, size);
    WQF_CHECK(req.utf16 == utf16);
    if (err == WQ_OK) {
        check_parsed(&req, why, data, size);
        check_canonical(&req);
        if (!req.utf16) {
            check_strict(&req, data, size);
        }
    } else {
        check_failed(err, &req, why);
    }
    /* An ASCII first byte keeps the UTF-16LE form recognisable (its second
     * byte is 00); a UTF-8 BOM would be taken for a UTF-16 one. */
    if (!utf16 && size > 0 && data[0] < 0x80 && wqi_utf8_valid(data, size)) {
        check_utf16_agrees(data, size, err, &req, why);
    }
    wqi_request_free(&req);
    WQF_CHECK(req.owned == NULL && req.queue == NULL && req.payload == NULL);
    return 0;
}
