/* test_utf16.c — UTF-8 <-> UTF-16LE conversion (src/utf16.c): round
 * trips, surrogate boundaries, refusals that leave the buffer alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "text_cases.h"
#include "utf16.h"
#include "utf8_cases.h"

/* Valid UTF-8 survives UTF-16LE and back; invalid UTF-8 is refused. */
static void test_conversion_round_trip(void **state)
{
    (void)state;
    wqi_buf wide, back;
    wqi_buf_init(&wide);
    wqi_buf_init(&back);
    for (size_t i = 0; i < COUNT(utf8_cases); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        wqi_buf_clear(&wide);
        wqi_buf_clear(&back);
        wq_err err = wqi_utf8_to_utf16le(&wide, (const uint8_t *)c->bytes.bytes, c->bytes.len);
        if (!c->valid) {
            assert_int_equal(err, WQ_EINVAL);
            assert_int_equal(wide.len, 0);
            continue;
        }
        assert_int_equal(err, WQ_OK);
        assert_true(wide.len <= 2 * c->bytes.len);
        assert_int_equal(wqi_utf16le_to_utf8(&back, wide.data, wide.len), WQ_OK);
        assert_int_equal(back.len, c->bytes.len);
        assert_memory_equal(back.data, c->bytes.bytes, c->bytes.len);
    }
    wqi_buf_free(&wide);
    wqi_buf_free(&back);
}

static void test_utf16_boundaries(void **state)
{
    (void)state;
    static const struct {
        msg utf16;
        msg utf8;
    } pairs[] = {
        {M("\x00\x00"), M("\x00")},
        {M("\x7F\x00"), M("\x7F")},
        {M("\x80\x00"), M("\xC2\x80")},
        {M("\xFF\x07"), M("\xDF\xBF")},
        {M("\x00\x08"), M("\xE0\xA0\x80")},
        {M("\xFF\xD7"), M("\xED\x9F\xBF")},
        {M("\x00\xE0"), M("\xEE\x80\x80")},
        {M("\xFF\xFE"), M("\xEF\xBB\xBF")}, /* a BOM converts like any character */
        {M("\xFF\xFF"), M("\xEF\xBF\xBF")},
        {M("\x00\xD8\x00\xDC"), M("\xF0\x90\x80\x80")},
        {M("\xFF\xDB\xFF\xDF"), M("\xF4\x8F\xBF\xBF")},
    };
    wqi_buf b;
    wqi_buf_init(&b);
    for (size_t i = 0; i < COUNT(pairs); i++) {
        wqi_buf_clear(&b);
        assert_int_equal(
            wqi_utf16le_to_utf8(&b, (const uint8_t *)pairs[i].utf16.bytes, pairs[i].utf16.len),
            WQ_OK);
        assert_int_equal(b.len, pairs[i].utf8.len);
        assert_memory_equal(b.data, pairs[i].utf8.bytes, b.len);
        wqi_buf_clear(&b);
        assert_int_equal(
            wqi_utf8_to_utf16le(&b, (const uint8_t *)pairs[i].utf8.bytes, pairs[i].utf8.len),
            WQ_OK);
        assert_int_equal(b.len, pairs[i].utf16.len);
        assert_memory_equal(b.data, pairs[i].utf16.bytes, b.len);
    }
    static const msg bad[] = {
        M("A"),
        M("A\0B"),
        M("\x00\xD8"),
        M("\x00\xDC"),
        M("\x00\xD8\x41\x00"),
        M("\xFF\xDB\xFF\xDB"),
        M("\x00\xDC\x00\xD8"),
    };
    assert_int_equal(wqi_buf_append_str(&b, "x"), WQ_OK);
    size_t before = b.len;
    for (size_t i = 0; i < COUNT(bad); i++) {
        uint8_t *copy = exact(bad[i].bytes, bad[i].len);
        assert_int_equal(wqi_utf16le_to_utf8(&b, copy, bad[i].len), WQ_EINVAL);
        free(copy);
        assert_int_equal(b.len, before);
    }
    wqi_buf_free(&b);
}

/* Empty text converts to nothing, also into a buffer that has never held
 * anything (data still NULL): the case of a request that is only a BOM.
 * Regression: both converters computed NULL + 0, which is undefined
 * behaviour that clang's -fsanitize=undefined reports. The whole request
 * is in test_protocol.c (a_lone_bom_is_an_empty_utf16_request). */
static void test_empty_conversions_into_an_empty_buffer(void **state)
{
    (void)state;
    static const uint8_t some[2] = {0x41, 0x00};
    const uint8_t *sources[2] = {some, NULL};
    for (size_t i = 0; i < COUNT(sources); i++) {
        wqi_buf b;
        wqi_buf_init(&b);
        assert_int_equal(wqi_utf16le_to_utf8(&b, sources[i], 0), WQ_OK);
        assert_int_equal(b.len, 0);
        assert_int_equal(wqi_utf8_to_utf16le(&b, sources[i], 0), WQ_OK);
        assert_int_equal(b.len, 0);
        wqi_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversion_round_trip),
        cmocka_unit_test(test_utf16_boundaries),
        cmocka_unit_test(test_empty_conversions_into_an_empty_buffer),
    };
    return cmocka_run_group_tests_name("utf16", tests, NULL, NULL);
}
