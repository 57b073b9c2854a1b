/* fuzz_frame.c — the incremental frame decoder of the uds wire (frame.c):
 * any byte stream a peer may send, arriving in pieces of any size.
 *
 * Input layout:
 *   byte 0        bits 0-2: the decoder's maximum body (a table below);
 *                 bits 3-6: k, how many piece sizes follow (0: the whole
 *                 stream in one piece)
 *   bytes 1..k    piece sizes, used in turn: bits 0-6 the size (0 is a
 *                 call with no bytes, then one byte goes), bit 7 set: when
 *                 inside a body, write through wqi_frame_body_space and
 *                 wqi_frame_body_commit (the zero-copy path) instead
 *   the rest      the stream
 *
 * The stream is also decoded at once by a plain reference loop; the
 * decoder must give out exactly its messages (bytes, length, the NUL one
 * past the end), in order, fail with WQ_EMSGSIZE exactly where the
 * reference finds a header over the maximum (and stay failed), and report
 * wanted / in_progress / whole_in consistently at every point.
 */
#include <string.h>

#include <workq/transport.h>

#include "frame.h"
#include "fuzz.h"

/* Small maxima reach the limit often; none allocates much. */
static const size_t maxima[8] = {0, 1, 3, 4, 16, 100, 4096, 65536};

#define MAX_EXPECTED 1024

/* What the reference loop finds in the stream. */
struct reference {
    size_t off[MAX_EXPECTED]; /* body offset of each whole message */
    size_t len[MAX_EXPECTED];
    size_t count;
    int oversize;                         /* a header over the maximum ends the stream */
    size_t oversize_at;                   /* the offset just past that header */
    size_t frame_start[MAX_EXPECTED + 1]; /* where frame i starts */
};

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void reference_decode(const uint8_t *s, size_t n, size_t max, struct reference *r)
{
    size_t off = 0;
    r->count = 0;
    r->oversize = 0;
    r->frame_start[0] = 0;
    while (n - off >= 4 && r->count < MAX_EXPECTED) {
        uint32_t len = be32(s + off);
        if (len > max) {
            r->oversize = 1;
            r->oversize_at = off + 4;
            return;
        }
        if ((size_t)len > n - off - 4) {
            return;
        }
        r->off[r->count] = off + 4;
        r->len[r->count] = len;
        r->count++;
        off += 4 + (size_t)len;
        r->frame_start[r->count] = off;
    }
}

struct run {
    const uint8_t *s;
    size_t n;
    size_t pos; /* stream bytes consumed */
    struct reference ref;
    size_t got; /* messages given out */
    int failed;
};

static void take_message(struct run *r, void *msg, size_t len)
{
    WQF_CHECK(r->got < r->ref.count);
    WQF_CHECK(len == r->ref.len[r->got]);
    /* A message completes exactly at the end of its frame. */
    WQF_CHECK(r->pos == r->ref.off[r->got] + len);
    WQF_CHECK(len == 0 || memcmp(msg, r->s + r->ref.off[r->got], len) == 0);
    WQF_CHECK(((const uint8_t *)msg)[len] == 0);
    wq_free(msg);
    r->got++;
}

/* What the decoder must say about itself after pos bytes. */
static void check_state(const struct run *r, const wqi_frame_decoder *d)
{
    if (r->failed) {
        return;
    }
    size_t start = r->ref.frame_start[r->got];
    size_t into = r->pos - start;
    WQF_CHECK(wqi_frame_in_progress(d) == (into > 0));
    if (into < 4) {
        WQF_CHECK(wqi_frame_wanted(d) == 4 - into);
    } else {
        size_t len = be32(r->s + start);
        WQF_CHECK(wqi_frame_wanted(d) == len - (into - 4));
    }
    if (into == 0) {
        /* Between messages: whole_in agrees with the reference. */
        int whole = r->got < r->ref.count;
        WQF_CHECK(wqi_frame_whole_in(d, r->s + r->pos, r->n - r->pos) == whole);
    } else {
        WQF_CHECK(wqi_frame_whole_in(d, r->s + r->pos, r->n - r->pos) == 0);
    }
}

static void feed(struct run *r, wqi_frame_decoder *d, size_t piece)
{
    const uint8_t *p = r->s + r->pos;
    if (piece == 0) {
        size_t used = 1;
        void *msg = NULL;
        size_t len = 1;
        wq_err err = wqi_frame_feed(d, p, 0, &used, &msg, &len);
        WQF_CHECK(used == 0);
        if (err == WQ_EMSGSIZE) {
            WQF_CHECK(r->failed);
            return;
        }
        WQF_CHECK(err == WQ_OK);
        /* A header completed by an earlier call with an empty body may
         * complete now: its zero body bytes need no input. */
        if (msg != NULL) {
            take_message(r, msg, len);
        }
        return;
    }
    while (piece > 0 && !r->failed) {
        size_t used = 0;
        void *msg = NULL;
        size_t len = 0;
        wq_err err = wqi_frame_feed(d, p, piece, &used, &msg, &len);
        WQF_CHECK(used <= piece);
        r->pos += used;
        p += used;
        piece -= used;
        if (err == WQ_EMSGSIZE) {
            WQF_CHECK(msg == NULL);
            WQF_CHECK(r->ref.oversize && r->got == r->ref.count);
            WQF_CHECK(r->pos == r->ref.oversize_at);
            r->failed = 1;
            /* Sticky: nothing more is taken. */
            err = wqi_frame_feed(d, p, piece, &used, &msg, &len);
            WQF_CHECK(err == WQ_EMSGSIZE && used == 0 && msg == NULL);
            return;
        }
        WQF_CHECK(err == WQ_OK);
        WQF_CHECK(used > 0 || msg != NULL);
        if (msg != NULL) {
            take_message(r, msg, len);
        }
        check_state(r, d);
    }
}

/* The zero-copy path: only inside a body. */
static void write_body(struct run *r, wqi_frame_decoder *d, size_t piece)
{
    uint8_t *space;
    size_t room;
    wqi_frame_body_space(d, &space, &room);
    if (space == NULL) {
        WQF_CHECK(room == 0);
        feed(r, d, piece);
        return;
    }
    WQF_CHECK(room == wqi_frame_wanted(d));
    size_t k = piece < room ? piece : room;
    if (k > r->n - r->pos) {
        k = r->n - r->pos;
    }
    memcpy(space, r->s + r->pos, k);
    r->pos += k;
    void *msg = NULL;
    size_t len = 0;
    wqi_frame_body_commit(d, k, &msg, &len);
    if (msg != NULL) {
        take_message(r, msg, len);
    }
    check_state(r, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    size_t max = maxima[data[0] & 7];
    size_t k = (size_t)(data[0] >> 3) & 15;
    if (k > size - 1) {
        k = size - 1;
    }
    const uint8_t *sizes = data + 1;
    static struct run r; /* the reference tables are large for a stack */
    memset(&r, 0, sizeof r);
    r.s = data + 1 + k;
    r.n = size - 1 - k;
    reference_decode(r.s, r.n, max, &r.ref);
    /* The encoder writes what the reference reads. */
    for (size_t i = 0; i < r.ref.count; i++) {
        uint8_t h[WQI_FRAME_HEADER];
        wqi_frame_header(h, (uint32_t)r.ref.len[i]);
        WQF_CHECK(memcmp(h, r.s + r.ref.off[i] - 4, 4) == 0);
    }

    wqi_frame_decoder d;
    wqi_frame_decoder_init(&d, max);
    check_state(&r, &d);
    size_t turn = 0;
    while (r.pos < r.n && !r.failed && r.got < MAX_EXPECTED) {
        size_t piece = r.n - r.pos;
        int zero_copy = 0;
        if (k > 0) {
            uint8_t s = sizes[turn++ % k];
            zero_copy = (s & 0x80) != 0;
            size_t want = s & 0x7Fu;
            if (want == 0) {
                feed(&r, &d, 0);
                want = 1;
            }
            if (want < piece) {
                piece = want;
            }
        }
        if (r.failed) {
            break;
        }
        if (zero_copy) {
            write_body(&r, &d, piece);
        } else {
            feed(&r, &d, piece);
        }
    }
    if (!r.failed && r.got < MAX_EXPECTED) {
        /* Everything consumed: every whole message was given out, and the
         * rest is a partial one or an oversize header. */
        WQF_CHECK(r.got == r.ref.count);
        WQF_CHECK(!r.ref.oversize);
    }
    wqi_frame_decoder_reset(&d);
    WQF_CHECK(!wqi_frame_in_progress(&d) && wqi_frame_wanted(&d) == 4);
    return 0;
}
