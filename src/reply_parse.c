/* reply_parse.c — the reply parser: one message in, one wqi_reply out, no
 * I/O (the counterpart of protocol.c). A reply is read with a cursor over
 * one line: literal words, fields separated by exactly one space, and an
 * end that must be reached exactly, so that no trailing byte is ignored. */
#include <string.h>

#include "alloc.h"
#include "decimal.h"
#include "protocol.h"
#include "queue_name.h"
#include "reply_parse.h"

/* The shortest LIST row, "\nq stopped 0 0": bounds a claimed row count
 * before anything is allocated for it. */
#define MIN_ROW_BYTES 14u

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

/* Set field by field: MSVC's C4204 otherwise. */
static void cursor_init(cursor *c, const char *p, const char *end)
{
    c->p = p;
    c->end = end;
}

/* The literal s comes next; consumed if so. */
static int lit(cursor *c, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0) {
        return 0;
    }
    c->p += n;
    return 1;
}

/* A non-empty word up to the next space or the end (not consumed). */
static int word(cursor *c, const char **w, size_t *n)
{
    const char *e = c->p;
    while (e < c->end && *e != ' ') {
        e++;
    }
    if (e == c->p) {
        return 0;
    }
    *w = c->p;
    *n = (size_t)(e - c->p);
    c->p = e;
    return 1;
}

/* " <number>". */
static int sp_number(cursor *c, uint64_t *v)
{
    const char *w;
    size_t n;
    return lit(c, " ") && word(c, &w, &n) && wqi_decimal_parse(w, n, UINT64_MAX, v);
}

static int at_end(const cursor *c)
{
    return c->p == c->end;
}

/* "<queue> <state> <ready> <leased>[ <published> <completed>]" up to the
 * cursor's end; full selects the STATUS form. */
static int queue_row(cursor *c, int full, wq_queue_info *q)
{
    const char *w;
    size_t n;
    memset(q, 0, sizeof *q);
    if (!word(c, &w, &n) || !wqi_queue_name_valid(w, n)) {
        return 0;
    }
    memcpy(q->name, w, n);
    q->name[n] = '\0';
    if (lit(c, " started")) {
        q->started = 1;
    } else if (!lit(c, " stopped")) {
        return 0;
    }
    if (!sp_number(c, &q->ready) || !sp_number(c, &q->leased)) {
        return 0;
    }
    if (full && (!sp_number(c, &q->published) || !sp_number(c, &q->completed))) {
        return 0;
    }
    return at_end(c);
}

/* A version is one printable ASCII word, as reply.c writes it. */
static int version_valid(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7F) {
            return 0;
        }
    }
    return 1;
}

static int parse_hello(cursor *c, wqi_reply *out)
{
    if (!lit(c, "OK workq ") || !word(c, &out->version, &out->version_len) ||
        !version_valid(out->version, out->version_len)) {
        return 0;
    }
    return sp_number(c, &out->protocol) && sp_number(c, &out->max_message) && at_end(c);
}

/* "OK <n>" then n rows, each on a line of its own. */
static wq_err parse_list(cursor *c, wqi_reply *out)
{
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    cursor head;
    cursor_init(&head, c->p, nl != NULL ? nl : c->end);
    uint64_t n;
    const char *w;
    size_t wl;
    if (!lit(&head, "OK ") || !word(&head, &w, &wl) || !wqi_decimal_parse(w, wl, UINT64_MAX, &n) ||
        !at_end(&head) || n > (uint64_t)(c->end - c->p) / MIN_ROW_BYTES) {
        return WQ_EPROTO;
    }
    wq_queue_info *rows = NULL;
    if (n > 0) {
        rows = wqi_calloc((size_t)n, sizeof *rows);
        if (rows == NULL) {
            return WQ_ENOMEM;
        }
    }
    const char *p = head.end;
    for (uint64_t i = 0; i < n; i++) {
        if (p == c->end || *p != '\n') {
            wqi_free(rows);
            return WQ_EPROTO;
        }
        p++;
        const char *e = memchr(p, '\n', (size_t)(c->end - p));
        cursor row;
        cursor_init(&row, p, e != NULL ? e : c->end);
        if (!queue_row(&row, 0, &rows[i])) {
            wqi_free(rows);
            return WQ_EPROTO;
        }
        p = row.end;
    }
    if (p != c->end) {
        wqi_free(rows);
        return WQ_EPROTO;
    }
    out->rows = rows;
    out->count = (size_t)n;
    return WQ_OK;
}

/* "ITEM <id> <payload>" (the payload runs to the very end) or "EMPTY". */
static int parse_item(cursor *c, wqi_reply *out)
{
    if (lit(c, "EMPTY")) {
        return at_end(c);
    }
    const char *w;
    size_t n;
    if (!lit(c, "ITEM ") || !word(c, &w, &n) || !wqi_decimal_parse(w, n, UINT64_MAX, &out->id) ||
        !lit(c, " ")) {
        return 0;
    }
    out->found = 1;
    out->payload = (const uint8_t *)c->p;
    out->payload_len = (size_t)(c->end - c->p);
    return 1;
}

/* The message m[0..n) begins with the word w: w, then a space or the end. */
static int first_word_is(const char *m, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n >= wl && memcmp(m, w, wl) == 0 && (n == wl || m[wl] == ' ');
}

/* "ERROR <code> <message>": a 3-digit code, one space, the rest. */
static int parse_error(cursor *c, wqi_reply *out)
{
    uint64_t code;
    if (!lit(c, "ERROR ") || c->end - c->p < 4 || !wqi_decimal_parse(c->p, 3, UINT64_MAX, &code) ||
        c->p[3] != ' ') {
        return 0;
    }
    out->code = (int)code;
    out->message = c->p + 4;
    out->message_len = (size_t)(c->end - out->message);
    out->err = wq_err_from_code(out->code);
    /* 503 covers two situations callers handle differently: retry later
     * (busy) or reconnect to a new server (shutting down). The message's
     * first word, a reason token, tells them apart; a reason this client
     * does not know is taken as busy. */
    if (code == 503 && first_word_is(out->message, out->message_len, WQI_503_SHUTDOWN)) {
        out->err = WQ_ESHUTDOWN;
    }
    return 1;
}

static int is_error_line(const cursor *c)
{
    return c->end - c->p >= 6 && memcmp(c->p, "ERROR ", 6) == 0;
}

wq_err wqi_reply_parse(const void *msg, size_t len, wqi_reply_kind expect, wqi_reply *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)expect >= WQI_REPLY_ERROR) {
        return WQ_EINVAL;
    }
    const char *p = len > 0 ? msg : "";
    cursor c;
    cursor_init(&c, p, p + len);
    int ok;
    if (is_error_line(&c)) {
        out->kind = WQI_REPLY_ERROR;
        ok = parse_error(&c, out);
    } else {
        out->kind = expect;
        switch (expect) {
        case WQI_REPLY_OK:
            ok = lit(&c, "OK") && at_end(&c);
            break;
        case WQI_REPLY_U64:
            ok = lit(&c, "OK ") &&
                 wqi_decimal_parse(c.p, (size_t)(c.end - c.p), UINT64_MAX, &out->value);
            break;
        case WQI_REPLY_PONG:
            ok = lit(&c, "OK PONG") && at_end(&c);
            break;
        case WQI_REPLY_HELLO:
            ok = parse_hello(&c, out);
            break;
        case WQI_REPLY_STATUS:
            ok = lit(&c, "OK ") && queue_row(&c, 1, &out->queue);
            break;
        case WQI_REPLY_LIST: {
            wq_err err = parse_list(&c, out);
            if (err != WQ_OK) {
                memset(out, 0, sizeof *out);
                return err;
            }
            ok = 1;
            break;
        }
        case WQI_REPLY_ITEM:
            ok = parse_item(&c, out);
            break;
        default:
            ok = 0;
            break;
        }
    }
    if (!ok) {
        memset(out, 0, sizeof *out);
        return WQ_EPROTO;
    }
    return WQ_OK;
}
