/* test_crc32c.c — CRC-32C against the published check value and the
 * iSCSI test vectors (RFC 3720, B.4), and extend() against one pass over
 * every split of a buffer and every alignment (the 8-byte loop and the
 * byte loop must agree). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crc32c.h"

static void matches_the_check_value_and_rfc3720_vectors(void **state)
{
    (void)state;
    assert_int_equal(wqi_crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(wqi_crc32c(NULL, 0), 0);
    unsigned char buf[32];
    memset(buf, 0, sizeof buf);
    assert_int_equal(wqi_crc32c(buf, sizeof buf), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(wqi_crc32c(buf, sizeof buf), 0x62A8AB43u);
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (unsigned char)i;
    }
    assert_int_equal(wqi_crc32c(buf, sizeof buf), 0x46DD794Eu);
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (unsigned char)(31 - i);
    }
    assert_int_equal(wqi_crc32c(buf, sizeof buf), 0x113FDB5Cu);
}

/* The byte-at-a-time definition, for comparison. */
static uint32_t slow(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ ((c & 1u) ? 0x82F63B78u : 0u);
        }
    }
    return ~c;
}

static void any_split_and_alignment_gives_the_same_crc(void **state)
{
    (void)state;
    unsigned char buf[80];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)(x >> 16);
    }
    for (size_t start = 0; start < 9; start++) {
        size_t n = sizeof buf - start;
        uint32_t whole = wqi_crc32c(buf + start, n);
        assert_int_equal(whole, slow(buf + start, n));
        for (size_t cut = 0; cut <= n; cut++) {
            uint32_t a = wqi_crc32c(buf + start, cut);
            assert_int_equal(wqi_crc32c_extend(a, buf + start + cut, n - cut), whole);
        }
    }
    /* A single flipped bit anywhere changes it. */
    uint32_t base = wqi_crc32c(buf, sizeof buf);
    for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        assert_int_not_equal(wqi_crc32c(buf, sizeof buf), base);
        buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_the_check_value_and_rfc3720_vectors),
        cmocka_unit_test(any_split_and_alignment_gives_the_same_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
