/* buf.c — growable byte buffer. */
#include <string.h>

#include "alloc.h"
#include "buf.h"

/* Small replies ("OK", "EMPTY") should cost one allocation for the life of
 * the connection, not a few reallocs. */
#define BUF_MIN_CAP 64u

void wqi_buf_init(wqi_buf *b)
{
    wqi_buf_init_on(b, NULL, 0);
}

void wqi_buf_init_on(wqi_buf *b, void *storage, size_t size)
{
    b->fixed = storage;
    b->fixed_cap = storage != NULL ? size : 0;
    b->data = b->fixed;
    b->len = 0;
    b->cap = b->fixed_cap;
}

/* Is b's content on the heap (NULL counts: nothing to free)? */
static int on_heap(const wqi_buf *b)
{
    return b->fixed == NULL || b->data != b->fixed;
}

void wqi_buf_free(wqi_buf *b)
{
    if (on_heap(b)) {
        wqi_free(b->data);
    }
    wqi_buf_init_on(b, b->fixed, b->fixed_cap);
}

void wqi_buf_clear(wqi_buf *b)
{
    b->len = 0;
}

wq_err wqi_buf_reserve(wqi_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len) {
        return WQ_ENOMEM;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return WQ_OK;
    }
    /* Doubling keeps appends amortised O(1); a first large reservation
     * (a known message size) gets exactly what it asked for. */
    size_t cap = b->cap > (size_t)-1 / 2 ? need : b->cap * 2;
    if (cap < need) {
        cap = need;
    }
    if (cap < BUF_MIN_CAP) {
        cap = BUF_MIN_CAP;
    }
    uint8_t *p;
    if (on_heap(b)) {
        p = wqi_realloc(b->data, cap);
    } else {
        p = wqi_malloc(cap); /* leaving the caller's storage */
        if (p != NULL && b->len > 0) {
            memcpy(p, b->data, b->len);
        }
    }
    if (p == NULL) {
        return WQ_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return WQ_OK;
}

wq_err wqi_buf_append(wqi_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return WQ_OK;
    }
    wq_err err = wqi_buf_reserve(b, n);
    if (err != WQ_OK) {
        return err;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return WQ_OK;
}

wq_err wqi_buf_append_str(wqi_buf *b, const char *s)
{
    return wqi_buf_append(b, s, strlen(s));
}

wq_err wqi_buf_append_byte(wqi_buf *b, uint8_t c)
{
    return wqi_buf_append(b, &c, 1);
}

wq_err wqi_buf_append_u64(wqi_buf *b, uint64_t v)
{
    char digits[WQI_U64_DIGITS];
    size_t n = wqi_u64_to_dec(v, digits);
    return wqi_buf_append(b, digits, n);
}

uint8_t *wqi_buf_detach(wqi_buf *b, size_t *len)
{
    /* Room for the terminating NUL that callers of wq_free'd buffers
     * are promised; content on the caller's storage goes to the heap. */
    uint8_t *p;
    if (on_heap(b)) {
        if (wqi_buf_reserve(b, 1) != WQ_OK) {
            return NULL;
        }
        p = b->data;
    } else {
        p = wqi_malloc(b->len + 1);
        if (p == NULL) {
            return NULL;
        }
        if (b->len > 0) {
            memcpy(p, b->data, b->len);
        }
    }
    p[b->len] = '\0';
    *len = b->len;
    b->data = NULL; /* now the caller's */
    wqi_buf_free(b);
    return p;
}

size_t wqi_u64_to_dec(uint64_t v, char out[WQI_U64_DIGITS])
{
    char rev[WQI_U64_DIGITS];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = rev[n - 1 - i];
    }
    return n;
}
