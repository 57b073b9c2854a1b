/* frame.h — the length-prefixed frame codec of the uds wire (internal).
 *
 * A frame is a 4-byte unsigned big-endian length N followed by N bytes.
 * The decoder does no I/O: feed it bytes as they arrive, pull whole
 * messages out. It checks N against its maximum from the header alone,
 * before anything is allocated, so a peer cannot make it allocate more
 * than max + 1 bytes. Not thread-safe: one decoder per stream.
 */
#ifndef WQI_FRAME_H
#define WQI_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#define WQI_FRAME_HEADER 4u
/* The largest body a header can describe. */
#define WQI_FRAME_MAX_BODY 0xFFFFFFFFu

/* Write the 4-byte header for a body of len bytes. len must be at most
 * WQI_FRAME_MAX_BODY (callers check: WQ_EINVAL above that). */
void wqi_frame_header(uint8_t out[WQI_FRAME_HEADER], uint32_t len);

typedef struct wqi_frame_decoder {
    size_t max;      /* largest body accepted */
    uint8_t hdr[4];  /* header bytes gathered so far */
    size_t hdr_have; /* 0..4 */
    uint8_t *body;   /* body being gathered (wqi_malloc'd, len + 1 bytes) */
    size_t body_len; /* its announced length */
    size_t body_have;
    int skipping; /* reading past a body that could not be allocated */
    int failed;   /* sticky: set after WQ_EMSGSIZE */
} wqi_frame_decoder;

void wqi_frame_decoder_init(wqi_frame_decoder *d, size_t max);
/* Frees a partial body. The decoder may be re-initialised afterwards. */
void wqi_frame_decoder_reset(wqi_frame_decoder *d);

/* Consume bytes from data[0..len) into the decoder, stopping as soon as one
 * whole message is complete. *used is how many bytes were consumed (the
 * rest belongs to later messages). When a message completes, *msg and
 * *msg_len receive it (owned by the caller, wq_free; NUL-terminated one past
 * the end) and WQ_OK is returned; when more bytes are needed, WQ_OK with
 * *msg NULL. Errors: WQ_EMSGSIZE (announced length > max; sticky);
 * WQ_ENOMEM: a whole message arrived but its body could not be allocated,
 * so its bytes were consumed and dropped (reported once its last byte is
 * consumed, so the stream stays in step: the next feed starts at the
 * next frame, and the sender can be answered). */
wq_err wqi_frame_feed(wqi_frame_decoder *d, const uint8_t *data, size_t len, size_t *used,
                      void **msg, size_t *msg_len);

/* Bytes the decoder still needs to complete the current message: 4 minus
 * the header bytes when in the header, else the rest of the body. Lets an
 * I/O loop read exactly what is missing. */
size_t wqi_frame_wanted(const wqi_frame_decoder *d);

/* Zero-copy path for large bodies: when the decoder is inside a body,
 * *space points at where the next body bytes belong and *n is how many are
 * still missing (both 0 / NULL when not inside a body). After writing k
 * bytes (k <= *n) there, call wqi_frame_body_commit, which returns the
 * message exactly as wqi_frame_feed would once it completes. */
void wqi_frame_body_space(wqi_frame_decoder *d, uint8_t **space, size_t *n);
void wqi_frame_body_commit(wqi_frame_decoder *d, size_t k, void **msg, size_t *msg_len);

/* Nonzero if a message is partly received (a header byte or more). */
int wqi_frame_in_progress(const wqi_frame_decoder *d);

/* 1 if d, fed the n bytes at p, would give out a whole message without
 * more input (and without failing): d is between messages and p holds a
 * complete frame. Reads only; never allocates. */
int wqi_frame_whole_in(const wqi_frame_decoder *d, const uint8_t *p, size_t n);

#endif /* WQI_FRAME_H */
