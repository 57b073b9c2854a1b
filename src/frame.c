/* frame.c — length-prefixed frames: encoder and an incremental decoder that
 * does no I/O (the shape of hiredis' read.c: bytes in, messages out). */
#include <string.h>

#include "alloc.h"
#include "frame.h"

void wqi_frame_header(uint8_t out[WQI_FRAME_HEADER], uint32_t len)
{
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

void wqi_frame_decoder_init(wqi_frame_decoder *d, size_t max)
{
    memset(d, 0, sizeof *d);
    d->max = max;
}

void wqi_frame_decoder_reset(wqi_frame_decoder *d)
{
    wqi_free(d->body);
    wqi_frame_decoder_init(d, d->max);
}

static void take_body(wqi_frame_decoder *d, void **msg, size_t *msg_len)
{
    d->body[d->body_len] = '\0';
    *msg = d->body;
    *msg_len = d->body_len;
    d->body = NULL;
    d->body_len = 0;
    d->body_have = 0;
    d->hdr_have = 0;
}

/* The body length a header announces. */
static uint32_t header_len(const uint8_t h[WQI_FRAME_HEADER])
{
    return ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | (uint32_t)h[3];
}

/* The header is complete: check the announced length, then allocate. */
static wq_err start_body(wqi_frame_decoder *d)
{
    uint32_t n = header_len(d->hdr);
    if ((uint64_t)n > (uint64_t)d->max) {
        d->failed = 1;
        return WQ_EMSGSIZE;
    }
    d->body = wqi_malloc((size_t)n + 1);
    /* Out of memory: the body is read past instead (frame.h), so the
     * stream stays in step and the sender can be told. */
    d->skipping = d->body == NULL;
    d->body_len = n;
    d->body_have = 0;
    return WQ_OK;
}

/* Skipping a body that could not be stored: consume what belongs to it;
 * once all of it is consumed, WQ_ENOMEM. */
static wq_err skip_body(wqi_frame_decoder *d, size_t avail, size_t *taken)
{
    size_t take = d->body_len - d->body_have;
    if (take > avail) {
        take = avail;
    }
    d->body_have += take;
    *taken = take;
    if (d->body_have < d->body_len) {
        return WQ_OK;
    }
    d->skipping = 0;
    d->body_len = 0;
    d->body_have = 0;
    d->hdr_have = 0;
    return WQ_ENOMEM;
}

wq_err wqi_frame_feed(wqi_frame_decoder *d, const uint8_t *data, size_t len, size_t *used,
                      void **msg, size_t *msg_len)
{
    *used = 0;
    *msg = NULL;
    *msg_len = 0;
    if (d->failed) {
        return WQ_EMSGSIZE;
    }
    size_t pos = 0;
    if (d->body == NULL && !d->skipping) {
        while (d->hdr_have < WQI_FRAME_HEADER && pos < len) {
            d->hdr[d->hdr_have++] = data[pos++];
        }
        *used = pos;
        if (d->hdr_have < WQI_FRAME_HEADER) {
            return WQ_OK;
        }
        wq_err err = start_body(d);
        if (err != WQ_OK) {
            return err;
        }
    }
    if (d->skipping) {
        size_t taken;
        wq_err err = skip_body(d, len - pos, &taken);
        *used = pos + taken;
        return err;
    }
    size_t take = d->body_len - d->body_have;
    if (take > len - pos) {
        take = len - pos;
    }
    if (take > 0) {
        memcpy(d->body + d->body_have, data + pos, take);
    }
    d->body_have += take;
    pos += take;
    *used = pos;
    if (d->body_have == d->body_len) {
        take_body(d, msg, msg_len);
    }
    return WQ_OK;
}

size_t wqi_frame_wanted(const wqi_frame_decoder *d)
{
    if (d->body == NULL && !d->skipping) {
        return WQI_FRAME_HEADER - d->hdr_have;
    }
    return d->body_len - d->body_have;
}

int wqi_frame_in_progress(const wqi_frame_decoder *d)
{
    return d->hdr_have > 0 || d->body != NULL || d->skipping;
}

void wqi_frame_body_space(wqi_frame_decoder *d, uint8_t **space, size_t *n)
{
    if (d->body == NULL) {
        *space = NULL;
        *n = 0;
        return;
    }
    *space = d->body + d->body_have;
    *n = d->body_len - d->body_have;
}

void wqi_frame_body_commit(wqi_frame_decoder *d, size_t k, void **msg, size_t *msg_len)
{
    *msg = NULL;
    *msg_len = 0;
    d->body_have += k;
    if (d->body != NULL && d->body_have == d->body_len) {
        take_body(d, msg, msg_len);
    }
}

int wqi_frame_whole_in(const wqi_frame_decoder *d, const uint8_t *p, size_t n)
{
    if (wqi_frame_in_progress(d) || d->failed || n < WQI_FRAME_HEADER) {
        return 0;
    }
    uint64_t len = header_len(p);
    return len <= d->max && len <= n - WQI_FRAME_HEADER;
}
