/* test_journal_format.c — the journal's framing (journal_format.h): file
 * headers and versions, records built from pieces, and what a reader can
 * tell from damaged bytes — every cut of a record reads as "short" (a torn
 * tail), every flipped bit as "bad" or "short", never as another record;
 * damage followed by a good record is told from a torn tail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crc32c.h"
#include "journal_format.h"

static void file_headers_check_their_magic_checksum_and_version(void **state)
{
    (void)state;
    uint8_t h[WQI_JOURNAL_FILE_HEADER];
    unsigned version = 99;
    wqi_journal_header_write(h);
    assert_int_equal(wqi_journal_header_check(h, sizeof h, &version), WQI_JHDR_OK);
    assert_int_equal(version, WQI_JOURNAL_VERSION);
    for (size_t n = 0; n < sizeof h; n++) {
        assert_int_equal(wqi_journal_header_check(h, n, &version), WQI_JHDR_SHORT);
    }
    uint8_t bad[WQI_JOURNAL_FILE_HEADER];
    for (size_t i = 0; i < sizeof h; i++) {
        memcpy(bad, h, sizeof h);
        bad[i] ^= 0x10;
        assert_int_equal(wqi_journal_header_check(bad, sizeof bad, &version), WQI_JHDR_NOT_JOURNAL);
    }
    /* A newer version, or a flag this one does not know, with a correct
     * checksum: refused as newer, never read. */
    memcpy(bad, h, sizeof h);
    bad[8] = (uint8_t)(WQI_JOURNAL_VERSION + 1);
    wqi_le32_put(bad + 12, wqi_crc32c(bad, 12));
    assert_int_equal(wqi_journal_header_check(bad, sizeof bad, &version), WQI_JHDR_NEWER);
    assert_int_equal(version, WQI_JOURNAL_VERSION + 1);
    memcpy(bad, h, sizeof h);
    bad[10] = 1;
    wqi_le32_put(bad + 12, wqi_crc32c(bad, 12));
    assert_int_equal(wqi_journal_header_check(bad, sizeof bad, &version), WQI_JHDR_NEWER);
}

/* A record of type with the body given in pieces, into out; its size. */
static size_t build(uint8_t *out, uint8_t type, uint8_t flags, const char *a, const char *b)
{
    const void *p[2];
    size_t len[2];
    p[0] = a; /* filled field by field: MSVC's C4204 otherwise */
    p[1] = b;
    len[0] = strlen(a);
    len[1] = strlen(b);
    wqi_jrec_header(out, type, flags, p, len, 2);
    memcpy(out + WQI_JREC_HEADER, a, len[0]);
    memcpy(out + WQI_JREC_HEADER + len[0], b, len[1]);
    return WQI_JREC_HEADER + len[0] + len[1];
}

static void a_record_built_from_pieces_reads_back_whole(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t n = build(buf, 7, WQI_JREC_OPTIONAL, "hello, ", "journal");
    wqi_jrec r;
    size_t used;
    assert_int_equal(wqi_jrec_decode(buf, n, &r, &used), WQI_JREC_OK);
    assert_int_equal(used, n);
    assert_int_equal(r.type, 7);
    assert_int_equal(r.flags, WQI_JREC_OPTIONAL);
    assert_int_equal(r.len, 14);
    assert_memory_equal(r.body, "hello, journal", 14);
    /* An empty body is a record too. */
    n = build(buf, 3, 0, "", "");
    assert_int_equal(n, WQI_JREC_HEADER);
    assert_int_equal(wqi_jrec_decode(buf, n, &r, &used), WQI_JREC_OK);
    assert_int_equal(r.len, 0);
}

static void every_cut_is_short_and_every_flipped_bit_is_caught(void **state)
{
    (void)state;
    uint8_t rec[64];
    size_t n = build(rec, 2, 0, "PUBLISH-like ", "body bytes");
    wqi_jrec r;
    size_t used;
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(wqi_jrec_decode(rec, cut, &r, &used), WQI_JREC_SHORT);
    }
    uint8_t bad[64];
    for (size_t bit = 0; bit < n * 8; bit++) {
        memcpy(bad, rec, n);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        wqi_jrec_status st = wqi_jrec_decode(bad, n, &r, &used);
        assert_true(st == WQI_JREC_BAD || st == WQI_JREC_SHORT);
    }
    /* Zeros (what some file systems show past a torn append) are no
     * record. */
    memset(bad, 0, sizeof bad);
    assert_int_equal(wqi_jrec_decode(bad, sizeof bad, &r, &used), WQI_JREC_BAD);
    assert_false(wqi_jrec_valid_record_after(bad, sizeof bad, 0));
}

static void damage_before_a_good_record_is_not_a_torn_tail(void **state)
{
    (void)state;
    uint8_t file[256];
    size_t a = build(file, 1, 0, "first", "");
    size_t b = build(file + a, 1, 0, "second", " record");
    size_t c = build(file + a + b, 1, 0, "third", "");
    size_t n = a + b + c;
    /* Damage in the middle record: a good one follows it. */
    file[a + WQI_JREC_HEADER + 2] ^= 0x01;
    wqi_jrec r;
    size_t used;
    assert_int_equal(wqi_jrec_decode(file + a, n - a, &r, &used), WQI_JREC_BAD);
    assert_true(wqi_jrec_valid_record_after(file, n, a + 1));
    file[a + WQI_JREC_HEADER + 2] ^= 0x01;
    /* Damage in the last one, or a cut in it, or zeros after it: only a
     * torn tail. */
    file[n - 1] ^= 0x01;
    assert_int_equal(wqi_jrec_decode(file + a + b, c, &r, &used), WQI_JREC_BAD);
    assert_false(wqi_jrec_valid_record_after(file, n, a + b + 1));
    file[n - 1] ^= 0x01;
    memset(file + n, 0, 40);
    assert_false(wqi_jrec_valid_record_after(file, n + 40, n));
    assert_false(wqi_jrec_valid_record_after(file, n - 3, a + b + 1));
    /* A damaged length that claims more than is there reads as short; the
     * good record after it still shows. */
    file[a + 5] = 0x7F;
    assert_int_equal(wqi_jrec_decode(file + a, n - a, &r, &used), WQI_JREC_SHORT);
    assert_true(wqi_jrec_valid_record_after(file, n, a + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_headers_check_their_magic_checksum_and_version),
        cmocka_unit_test(a_record_built_from_pieces_reads_back_whole),
        cmocka_unit_test(every_cut_is_short_and_every_flipped_bit_is_caught),
        cmocka_unit_test(damage_before_a_good_record_is_not_a_torn_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
