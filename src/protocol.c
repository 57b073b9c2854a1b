/* protocol.c — the request parser: one message in, one wqi_request out, no
 * I/O (the shape of hiredis' read.c). The grammar is docs/protocol.md
 * "Request syntax":
 * VERB, then arguments each after exactly one space; one trailing "\n" or
 * "\r\n" ignored, except by PUBLISH, whose payload runs to the end. */
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "decimal.h"
#include "protocol.h"
#include "queue_name.h"
#include "utf16.h"

/* No command takes more than two arguments. */
#define MAX_ARGS 2

static const struct verb_info {
    const char *name;
    unsigned min_args;
    unsigned max_args;
    const char *arity; /* the ERROR sentence for a wrong argument count */
} verbs[WQI_VERB_COUNT] = {
    [WQI_VERB_CREATE] = {"CREATE", 1, 1, "CREATE takes 1 argument"},
    [WQI_VERB_DELETE] = {"DELETE", 1, 1, "DELETE takes 1 argument"},
    [WQI_VERB_START] = {"START", 1, 1, "START takes 1 argument"},
    [WQI_VERB_STOP] = {"STOP", 1, 1, "STOP takes 1 argument"},
    [WQI_VERB_LIST] = {"LIST", 0, 0, "LIST takes no arguments"},
    [WQI_VERB_STATUS] = {"STATUS", 1, 1, "STATUS takes 1 argument"},
    [WQI_VERB_PUBLISH] = {"PUBLISH", 2, 2, "PUBLISH takes 2 arguments"},
    [WQI_VERB_RETRIEVE] = {"RETRIEVE", 1, 2, "RETRIEVE takes 1 or 2 arguments"},
    [WQI_VERB_ACK] = {"ACK", 2, 2, "ACK takes 2 arguments"},
    [WQI_VERB_RELEASE] = {"RELEASE", 2, 2, "RELEASE takes 2 arguments"},
    [WQI_VERB_PURGE] = {"PURGE", 1, 1, "PURGE takes 1 argument"},
    [WQI_VERB_PING] = {"PING", 0, 0, "PING takes no arguments"},
    [WQI_VERB_HELLO] = {"HELLO", 0, 0, "HELLO takes no arguments"},
};

static const char why_empty[] = "empty request";
static const char why_space[] = "extra space";
static const char why_verb[] = "unknown command";
static const char why_name[] = "bad queue name";
static const char why_number[] = "bad number";
static const char why_utf16[] = "invalid UTF-16";
static const char why_nomem[] = "out of memory";

/* A piece of the message: an argument. */
struct span {
    const uint8_t *p;
    size_t n;
};

const char *wqi_verb_name(wqi_verb verb)
{
    if ((unsigned)verb >= WQI_VERB_COUNT) {
        return "?";
    }
    return verbs[verb].name;
}

/* ASCII only, unlike toupper(), whose result depends on the locale. */
static uint8_t ascii_upper(uint8_t c)
{
    return (uint8_t)(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
}

static int verb_lookup(const uint8_t *s, size_t n, wqi_verb *verb)
{
    for (unsigned v = 0; v < WQI_VERB_COUNT; v++) {
        const char *name = verbs[v].name;
        size_t i = 0;
        while (i < n && name[i] != '\0' && ascii_upper(s[i]) == (uint8_t)name[i]) {
            i++;
        }
        if (i == n && name[i] == '\0') {
            *verb = (wqi_verb)v;
            return 1;
        }
    }
    return 0;
}

static size_t span_to_space(const uint8_t *p, size_t n)
{
    const uint8_t *sp = n == 0 ? NULL : memchr(p, ' ', n);
    return sp == NULL ? n : (size_t)(sp - p);
}

/* The length of p[0..n) without one trailing "\n" or "\r\n". */
static size_t strip_newline(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[n - 1] == '\n') {
        n--;
        if (n >= 1 && p[n - 1] == '\r') {
            n--;
        }
    }
    return n;
}

/* s[0..n) is what follows the verb: nothing, or " arg1 arg2 …". Stores up
 * to MAX_ARGS arguments and counts all of them in *argc, so that a caller
 * can tell "too many". Every argument must be non-empty: an empty one is a
 * leading, doubled or trailing space. */
static int split_args(const uint8_t *s, size_t n, struct span args[MAX_ARGS], size_t *argc)
{
    size_t count = 0;
    size_t i = 0;
    while (i < n) {
        i++; /* s[i] was the separating space */
        size_t len = span_to_space(s + i, n - i);
        if (len == 0) {
            return 0;
        }
        if (count < MAX_ARGS) {
            args[count].p = s + i;
            args[count].n = len;
        }
        count++;
        i += len;
    }
    *argc = count;
    return 1;
}

static wq_err bad(const char **why, const char *sentence)
{
    *why = sentence;
    return WQ_EBADREQ;
}

static wq_err take_queue(struct span arg, wqi_request *out, const char **why)
{
    if (!wqi_queue_name_valid((const char *)arg.p, arg.n)) {
        return bad(why, why_name);
    }
    out->queue = (const char *)arg.p;
    out->queue_len = arg.n;
    return WQ_OK;
}

/* PUBLISH <queue> <payload>: the payload is everything after the space that
 * follows the name, to the very end of the message, so the trailing newline
 * is not stripped. p[0..n) is the whole message, verb_len the verb's. */
static wq_err parse_publish(const uint8_t *p, size_t n, size_t verb_len, wqi_request *out,
                            const char **why)
{
    const char *arity = verbs[WQI_VERB_PUBLISH].arity;
    if (verb_len >= n || p[verb_len] != ' ') {
        return bad(why, arity);
    }
    const uint8_t *q = p + verb_len + 1;
    size_t rest = n - verb_len - 1;
    size_t qlen = span_to_space(q, rest);
    if (qlen == 0) {
        return bad(why, why_space);
    }
    if (qlen == rest) {
        return bad(why, arity); /* no space after the name */
    }
    struct span name;
    name.p = q;
    name.n = qlen;
    wq_err err = take_queue(name, out, why);
    if (err != WQ_OK) {
        return err;
    }
    out->payload = q + qlen + 1;
    out->payload_len = rest - qlen - 1;
    return WQ_OK;
}

/* Every verb but PUBLISH: fixed arguments, trailing newline stripped.
 * args_text[0..n) is the text after the verb, newline already removed. */
static wq_err parse_args(const uint8_t *args_text, size_t n, wqi_request *out, const char **why)
{
    const struct verb_info *info = &verbs[out->verb];
    struct span args[MAX_ARGS];
    size_t argc;
    if (!split_args(args_text, n, args, &argc)) {
        return bad(why, why_space);
    }
    if (argc < info->min_args || argc > info->max_args) {
        return bad(why, info->arity);
    }
    if (argc == 0) {
        return WQ_OK;
    }
    wq_err err = take_queue(args[0], out, why);
    if (err != WQ_OK || argc == 1) {
        return err;
    }
    /* args[1] is a number, as docs/protocol.md "Numbers" writes them
     * (decimal.h). */
    if (out->verb == WQI_VERB_RETRIEVE) {
        uint64_t wait;
        if (!wqi_decimal_parse((const char *)args[1].p, args[1].n, UINT32_MAX, &wait)) {
            return bad(why, why_number);
        }
        out->has_wait = 1;
        out->wait_ms = (uint32_t)wait;
        return WQ_OK;
    }
    /* ACK and RELEASE: <queue> <id>. */
    if (!wqi_decimal_parse((const char *)args[1].p, args[1].n, UINT64_MAX, &out->id)) {
        return bad(why, why_number);
    }
    return WQ_OK;
}

/* Parses UTF-8 text p[0..n) into out (whose utf16 flag is already set). */
static wq_err parse_text(const uint8_t *p, size_t n, wqi_request *out, const char **why)
{
    size_t end = strip_newline(p, n);
    if (end == 0) {
        return bad(why, why_empty);
    }
    size_t verb_len = span_to_space(p, end);
    if (verb_len == 0) {
        return bad(why, why_space);
    }
    if (!verb_lookup(p, verb_len, &out->verb)) {
        return bad(why, why_verb);
    }
    if (out->verb == WQI_VERB_PUBLISH) {
        return parse_publish(p, n, verb_len, out, why);
    }
    return parse_args(p + verb_len, end - verb_len, out, why);
}

/* Decodes a UTF-16LE request into an owned UTF-8 copy, then parses that. */
static wq_err parse_utf16(const uint8_t *p, size_t n, wqi_request *out, const char **why)
{
    if (n % 2 != 0) {
        return bad(why, why_utf16);
    }
    if (p[0] == 0xFF && p[1] == 0xFE) {
        p += 2; /* the BOM is not part of the text */
        n -= 2;
    }
    wqi_buf text;
    wqi_buf_init(&text);
    wq_err err = wqi_utf16le_to_utf8(&text, p, n);
    if (err == WQ_EINVAL) {
        err = bad(why, why_utf16);
    } else if (err != WQ_OK) {
        *why = why_nomem;
    } else {
        err = parse_text(text.data, text.len, out, why);
    }
    if (err != WQ_OK) {
        /* A request that fails keeps nothing. */
        wqi_buf_free(&text);
        return err;
    }
    out->owned = (char *)text.data;
    return WQ_OK;
}

int wqi_request_is_utf16(const void *msg, size_t len)
{
    const uint8_t *p = msg;
    return len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || p[1] == 0x00);
}

wq_err wqi_request_parse(const void *msg, size_t len, wqi_request *out, const char **why)
{
    const char *ignored;
    if (why == NULL) {
        why = &ignored;
    }
    *why = NULL;
    memset(out, 0, sizeof *out);
    int utf16 = wqi_request_is_utf16(msg, len);
    out->utf16 = utf16;
    wq_err err = utf16 ? parse_utf16(msg, len, out, why) : parse_text(msg, len, out, why);
    if (err != WQ_OK) {
        /* No half-filled request: only the reply encoding survives. */
        memset(out, 0, sizeof *out);
        out->utf16 = utf16;
    }
    return err;
}

void wqi_request_free(wqi_request *req)
{
    wqi_free(req->owned);
    req->owned = NULL;
    req->queue = NULL;
    req->payload = NULL;
}
