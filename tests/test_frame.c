/* test_frame.c — the frame codec, without any socket: whatever way the
 * bytes are split, the same messages come out; lengths are checked from the
 * header before anything is allocated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "frame.h"

/* A stream of several frames: "hello", "", 300 bytes of a pattern, "x". */
struct stream {
    uint8_t bytes[1024];
    size_t len;
};

static const size_t body_lens[] = {5, 0, 300, 1};
#define NBODIES (sizeof body_lens / sizeof body_lens[0])

static uint8_t body_byte(size_t msg, size_t i)
{
    return (uint8_t)(msg * 31 + i * 7 + 1);
}

static void build_stream(struct stream *s)
{
    s->len = 0;
    for (size_t m = 0; m < NBODIES; m++) {
        wqi_frame_header(s->bytes + s->len, (uint32_t)body_lens[m]);
        s->len += WQI_FRAME_HEADER;
        for (size_t i = 0; i < body_lens[m]; i++) {
            s->bytes[s->len++] = body_byte(m, i);
        }
    }
}

/* Feed data in one call or until consumed; collect every message into
 * *count, checking each against the expected body. */
static void feed_all(wqi_frame_decoder *d, const uint8_t *data, size_t len, size_t *count)
{
    while (len > 0) {
        size_t used;
        void *msg;
        size_t msg_len;
        assert_int_equal(wqi_frame_feed(d, data, len, &used, &msg, &msg_len), WQ_OK);
        assert_true(used > 0 || msg != NULL);
        assert_true(used <= len);
        data += used;
        len -= used;
        if (msg != NULL) {
            assert_true(*count < NBODIES);
            assert_int_equal(msg_len, body_lens[*count]);
            for (size_t i = 0; i < msg_len; i++) {
                assert_int_equal(((uint8_t *)msg)[i], body_byte(*count, i));
            }
            assert_int_equal(((char *)msg)[msg_len], '\0');
            wqi_free(msg);
            (*count)++;
        }
    }
}

static void header_is_big_endian(void **state)
{
    (void)state;
    uint8_t h[4];
    wqi_frame_header(h, 0x01020304u);
    assert_int_equal(h[0], 1);
    assert_int_equal(h[1], 2);
    assert_int_equal(h[2], 3);
    assert_int_equal(h[3], 4);
}

static void every_split_point_decodes_the_same(void **state)
{
    (void)state;
    struct stream s;
    build_stream(&s);
    for (size_t cut = 0; cut <= s.len; cut++) {
        wqi_frame_decoder d;
        wqi_frame_decoder_init(&d, 1000);
        size_t count = 0;
        feed_all(&d, s.bytes, cut, &count);
        feed_all(&d, s.bytes + cut, s.len - cut, &count);
        assert_int_equal(count, NBODIES);
        assert_false(wqi_frame_in_progress(&d));
        wqi_frame_decoder_reset(&d);
    }
}

static void byte_at_a_time_decodes_the_same(void **state)
{
    (void)state;
    struct stream s;
    build_stream(&s);
    wqi_frame_decoder d;
    wqi_frame_decoder_init(&d, 1000);
    size_t count = 0;
    for (size_t i = 0; i < s.len; i++) {
        feed_all(&d, s.bytes + i, 1, &count);
    }
    assert_int_equal(count, NBODIES);
    wqi_frame_decoder_reset(&d);
}

static size_t largest_request;

static void observe(size_t size)
{
    if (size > largest_request) {
        largest_request = size;
    }
}

static void oversize_header_rejected_before_allocation(void **state)
{
    (void)state;
    static const uint32_t claims[] = {101, 0x7FFFFFFFu, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        wqi_frame_decoder d;
        wqi_frame_decoder_init(&d, 100);
        uint8_t h[4];
        wqi_frame_header(h, claims[i]);
        largest_request = 0;
        wqi_alloc_set_observer(observe);
        size_t used;
        void *msg;
        size_t msg_len;
        wq_err err = wqi_frame_feed(&d, h, sizeof h, &used, &msg, &msg_len);
        wqi_alloc_set_observer(NULL);
        assert_int_equal(err, WQ_EMSGSIZE);
        assert_null(msg);
        assert_int_equal(largest_request, 0);
        /* Sticky: the stream cannot be resynchronised. */
        uint8_t more[4] = {0, 0, 0, 1};
        assert_int_equal(wqi_frame_feed(&d, more, sizeof more, &used, &msg, &msg_len), WQ_EMSGSIZE);
        wqi_frame_decoder_reset(&d);
    }
}

/* A body the allocator refuses is read past, not stored: WQ_ENOMEM comes
 * once its last byte is consumed, and the next frame decodes normally —
 * whether the bytes come all at once or one at a time. */
static void unallocatable_body_is_skipped_and_the_stream_stays_in_step(void **state)
{
    (void)state;
    uint8_t stream[4 + 300 + 4 + 2];
    wqi_frame_header(stream, 300);
    memset(stream + 4, 'x', 300);
    wqi_frame_header(stream + 304, 2);
    memcpy(stream + 308, "ok", 2);
    static const size_t steps[] = {1, 7, sizeof stream};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        size_t step = steps[k];
        wqi_frame_decoder d;
        wqi_frame_decoder_init(&d, 1000);
        wqi_alloc_fail_from(301); /* the 300-byte body plus its NUL */
        size_t pos = 0;
        int enomem = 0;
        void *msg = NULL;
        size_t msg_len = 0;
        while (pos < sizeof stream && msg == NULL) {
            size_t n = sizeof stream - pos < step ? sizeof stream - pos : step;
            size_t used;
            wq_err err = wqi_frame_feed(&d, stream + pos, n, &used, &msg, &msg_len);
            if (err == WQ_ENOMEM) {
                enomem++;
                assert_int_equal(pos + used, 304); /* exactly the first frame */
                assert_false(wqi_frame_in_progress(&d));
            } else {
                assert_int_equal(err, WQ_OK);
                if (pos + used < 304) {
                    assert_true(wqi_frame_in_progress(&d));
                }
            }
            pos += used;
        }
        wqi_alloc_fail_from(0);
        assert_int_equal(enomem, 1);
        assert_non_null(msg);
        assert_int_equal(msg_len, 2);
        assert_memory_equal(msg, "ok", 2);
        assert_int_equal(pos, sizeof stream);
        wqi_free(msg);
        wqi_frame_decoder_reset(&d);
    }
}

static void max_size_exactly_is_accepted(void **state)
{
    (void)state;
    uint8_t buf[4 + 100];
    wqi_frame_header(buf, 100);
    memset(buf + 4, 'a', 100);
    wqi_frame_decoder d;
    wqi_frame_decoder_init(&d, 100);
    largest_request = 0;
    wqi_alloc_set_observer(observe);
    size_t used;
    void *msg;
    size_t msg_len;
    assert_int_equal(wqi_frame_feed(&d, buf, sizeof buf, &used, &msg, &msg_len), WQ_OK);
    wqi_alloc_set_observer(NULL);
    assert_int_equal(used, sizeof buf);
    assert_non_null(msg);
    assert_int_equal(msg_len, 100);
    assert_int_equal(largest_request, 101); /* the body plus its NUL */
    wqi_free(msg);
}

static void zero_length_is_an_empty_message(void **state)
{
    (void)state;
    uint8_t h[4];
    wqi_frame_header(h, 0);
    wqi_frame_decoder d;
    wqi_frame_decoder_init(&d, 0);
    size_t used;
    void *msg;
    size_t msg_len = 99;
    assert_int_equal(wqi_frame_feed(&d, h, sizeof h, &used, &msg, &msg_len), WQ_OK);
    assert_int_equal(used, 4);
    assert_non_null(msg);
    assert_int_equal(msg_len, 0);
    assert_int_equal(((char *)msg)[0], '\0');
    wqi_free(msg);
}

static void truncated_input_waits_for_more(void **state)
{
    (void)state;
    uint8_t buf[4 + 10];
    wqi_frame_header(buf, 10);
    memset(buf + 4, 'z', 10);
    /* Every strict prefix: no message, everything consumed, in progress. */
    for (size_t cut = 1; cut < sizeof buf; cut++) {
        wqi_frame_decoder d;
        wqi_frame_decoder_init(&d, 64);
        size_t used;
        void *msg;
        size_t msg_len;
        assert_int_equal(wqi_frame_feed(&d, buf, cut, &used, &msg, &msg_len), WQ_OK);
        assert_null(msg);
        assert_int_equal(used, cut);
        assert_true(wqi_frame_in_progress(&d));
        assert_int_equal(wqi_frame_wanted(&d), cut < 4 ? 4 - cut : sizeof buf - cut);
        wqi_frame_decoder_reset(&d); /* frees the partial body */
    }
}

static void body_space_path_matches_feed(void **state)
{
    (void)state;
    uint8_t h[4];
    wqi_frame_header(h, 6);
    wqi_frame_decoder d;
    wqi_frame_decoder_init(&d, 64);
    size_t used;
    void *msg;
    size_t msg_len;
    assert_int_equal(wqi_frame_feed(&d, h, 4, &used, &msg, &msg_len), WQ_OK);
    assert_null(msg);
    uint8_t *space;
    size_t n;
    wqi_frame_body_space(&d, &space, &n);
    assert_non_null(space);
    assert_int_equal(n, 6);
    memcpy(space, "abc", 3);
    wqi_frame_body_commit(&d, 3, &msg, &msg_len);
    assert_null(msg);
    wqi_frame_body_space(&d, &space, &n);
    assert_int_equal(n, 3);
    memcpy(space, "def", 3);
    wqi_frame_body_commit(&d, 3, &msg, &msg_len);
    assert_non_null(msg);
    assert_int_equal(msg_len, 6);
    assert_string_equal(msg, "abcdef");
    wqi_free(msg);
    wqi_frame_body_space(&d, &space, &n);
    assert_null(space);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_is_big_endian),
        cmocka_unit_test(every_split_point_decodes_the_same),
        cmocka_unit_test(byte_at_a_time_decodes_the_same),
        cmocka_unit_test(oversize_header_rejected_before_allocation),
        cmocka_unit_test(unallocatable_body_is_skipped_and_the_stream_stays_in_step),
        cmocka_unit_test(max_size_exactly_is_accepted),
        cmocka_unit_test(zero_length_is_an_empty_message),
        cmocka_unit_test(truncated_input_waits_for_more),
        cmocka_unit_test(body_space_path_matches_feed),
    };
    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
