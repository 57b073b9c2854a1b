/* buf.h — a growable byte buffer (internal).
 *
 * The output side of the protocol: replies are appended to a wqi_buf that
 * its owner (one per connection) clears and reuses for every request, so a
 * warm connection formats replies without allocating. Memory comes from
 * wqi_malloc/wqi_realloc, so data taken with wqi_buf_detach is freed with
 * wq_free. Not thread-safe: one buffer per thread at a time; distinct
 * buffers are independent.
 */
#ifndef WQI_BUF_H
#define WQI_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

typedef struct wqi_buf {
    uint8_t *data; /* len bytes of content; NULL until the first growth */
    size_t len;
    size_t cap;       /* bytes at data */
    uint8_t *fixed;   /* the caller's storage (wqi_buf_init_on), or NULL */
    size_t fixed_cap; /* its size */
} wqi_buf;

/* An empty buffer that owns nothing. Equivalent to a zeroed struct. */
void wqi_buf_init(wqi_buf *b);

/* An empty buffer that starts on the caller's storage (size bytes; it must
 * outlive b and is never freed by it): content that fits there needs no
 * allocation, and content that does not moves to the heap as in any
 * buffer. For a small buffer on the stack of the thread that uses it. */
void wqi_buf_init_on(wqi_buf *b, void *storage, size_t size);

/* Frees the heap memory and leaves b empty, as after wqi_buf_init (or on
 * its storage again, after wqi_buf_init_on). */
void wqi_buf_free(wqi_buf *b);

/* Empties b but keeps its memory for reuse. */
void wqi_buf_clear(wqi_buf *b);

/* Makes room for at least extra more bytes after len, growing
 * geometrically. Errors: WQ_ENOMEM (also when len + extra overflows);
 * b is unchanged then. */
wq_err wqi_buf_reserve(wqi_buf *b, size_t extra);

/* Append n bytes / a NUL-terminated string (without its NUL) / one byte /
 * the decimal digits of v. Errors: WQ_ENOMEM, b unchanged. */
wq_err wqi_buf_append(wqi_buf *b, const void *p, size_t n);
wq_err wqi_buf_append_str(wqi_buf *b, const char *s);
wq_err wqi_buf_append_byte(wqi_buf *b, uint8_t c);
wq_err wqi_buf_append_u64(wqi_buf *b, uint64_t v);

/* Hands the content to the caller and leaves b empty (as wqi_buf_free
 * does). The result is NUL-terminated one past *len (not counted), owned
 * by the caller and freed with wq_free; content on the caller's storage is
 * copied to the heap first. Returns NULL on WQ_ENOMEM (b unchanged). */
uint8_t *wqi_buf_detach(wqi_buf *b, size_t *len);

/* Largest decimal length of a uint64_t. */
#define WQI_U64_DIGITS 20u

/* Writes the decimal digits of v (no NUL) to out and returns how many.
 * Hand-written rather than printf: "%llu"/PRIu64 are unreliable on some
 * mingw runtimes. */
size_t wqi_u64_to_dec(uint64_t v, char out[WQI_U64_DIGITS]);

#endif /* WQI_BUF_H */
