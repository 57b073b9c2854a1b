/* test_journal_records.c — record bodies (journal_records.h): every type
 * goes through encode → frame → decode unchanged, at the edges of its
 * fields; malformed bodies and unknown types are told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "journal_records.h"

/* Frame c (head + payload) into buf and decode it back into *out. */
static wq_err round_trip(const wqi_jchange *c, uint8_t *buf, wqi_jchange *out)
{
    uint8_t head[WQI_JCHANGE_HEAD_MAX];
    size_t hn = wqi_jchange_encode_head(c, head);
    const void *p[2];
    size_t len[2];
    p[0] = head; /* filled field by field: MSVC's C4204 otherwise */
    p[1] = c->payload;
    len[0] = hn;
    len[1] = c->type == WQI_JT_PUBLISH || c->type == WQI_JT_PURGE ? c->payload_len : 0;
    wqi_jrec_header(buf, c->type, 0, p, len, 2);
    memcpy(buf + WQI_JREC_HEADER, head, hn);
    if (len[1] > 0) {
        memcpy(buf + WQI_JREC_HEADER + hn, c->payload, len[1]);
    }
    wqi_jrec r;
    size_t used;
    assert_int_equal(wqi_jrec_decode(buf, WQI_JREC_HEADER + hn + len[1], &r, &used), WQI_JREC_OK);
    return wqi_jchange_decode(&r, out);
}

static void every_type_round_trips_at_the_edges_of_its_fields(void **state)
{
    (void)state;
    static uint8_t buf[WQI_JREC_HEADER + WQI_JCHANGE_HEAD_MAX + 300];
    char longest[WQ_QUEUE_NAME_MAX + 1];
    memset(longest, 'n', WQ_QUEUE_NAME_MAX);
    longest[WQ_QUEUE_NAME_MAX] = '\0';
    const char *names[3];
    names[0] = "q";
    names[1] = "MyWorkQueue";
    names[2] = longest;
    static const uint64_t ids[] = {0, 1, 127, 128, 16383, 16384, UINT64_MAX - 1, UINT64_MAX};
    static const uint8_t binary[] = {0, 1, 0, 0xFF, '\n', 0};
    uint8_t big[300];
    memset(big, 0xAB, sizeof big);
    struct {
        const uint8_t *p;
        size_t n;
    } payloads[3];
    payloads[0].p = NULL;
    payloads[0].n = 0;
    payloads[1].p = binary;
    payloads[1].n = sizeof binary;
    payloads[2].p = big;
    payloads[2].n = sizeof big;
    for (uint8_t type = WQI_JT_CREATE; type <= WQI_JT_NEXT_ID; type++) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
                for (size_t j = 0; j < sizeof payloads / sizeof payloads[0]; j++) {
                    /* Field by field: MSVC's C4204 otherwise. PURGE's
                     * tail is held ids: its own test below. */
                    int purge = type == WQI_JT_PURGE;
                    wqi_jchange c;
                    c.type = type;
                    c.name = names[i];
                    c.name_len = strlen(names[i]);
                    c.id = ids[k];
                    c.payload = purge ? NULL : payloads[j].p;
                    c.payload_len = purge ? 0 : payloads[j].n;
                    wqi_jchange d;
                    assert_int_equal(round_trip(&c, buf, &d), WQ_OK);
                    assert_int_equal(d.type, type);
                    int has_name = type <= WQI_JT_PUBLISH;
                    int has_id = type >= WQI_JT_PUBLISH;
                    assert_int_equal(d.name_len, has_name ? c.name_len : 0);
                    if (has_name) {
                        assert_memory_equal(d.name, c.name, c.name_len);
                    }
                    assert_true(d.id == (has_id ? c.id : 0));
                    assert_int_equal(d.payload_len, type == WQI_JT_PUBLISH ? c.payload_len : 0);
                    if (d.payload_len > 0) {
                        assert_memory_equal(d.payload, c.payload, c.payload_len);
                    }
                }
            }
        }
    }
}

/* PURGE carries the ids held at that moment, ascending; they read back
 * one by one, and anything else there is malformed. */
static void purge_carries_the_held_ids(void **state)
{
    (void)state;
    static const uint64_t held[] = {3, 128, 16384, UINT64_MAX};
    uint8_t ids[10 * 4];
    size_t n = wqi_jchange_encode_held(held, 4, ids);
    wqi_jchange c;
    memset(&c, 0, sizeof c);
    c.type = WQI_JT_PURGE;
    c.name = "Jobs";
    c.name_len = 4;
    c.payload = ids;
    c.payload_len = n;
    uint8_t buf[WQI_JREC_HEADER + WQI_JCHANGE_HEAD_MAX + sizeof ids];
    wqi_jchange d;
    assert_int_equal(round_trip(&c, buf, &d), WQ_OK);
    assert_int_equal(d.name_len, 4);
    const uint8_t *p = d.payload;
    size_t left = d.payload_len;
    uint64_t id;
    for (size_t i = 0; i < 4; i++) {
        assert_true(wqi_jchange_next_held(&p, &left, &id));
        assert_true(id == held[i]);
    }
    assert_false(wqi_jchange_next_held(&p, &left, &id));
    /* None held: just the name. */
    c.payload_len = 0;
    assert_int_equal(round_trip(&c, buf, &d), WQ_OK);
    assert_int_equal(d.payload_len, 0);
    /* Not ascending, repeated, or cut: malformed. */
    static const uint64_t down[] = {5, 4};
    static const uint64_t twice[] = {5, 5};
    c.payload_len = wqi_jchange_encode_held(down, 2, ids);
    assert_int_equal(round_trip(&c, buf, &d), WQ_EPROTO);
    c.payload_len = wqi_jchange_encode_held(twice, 2, ids);
    assert_int_equal(round_trip(&c, buf, &d), WQ_EPROTO);
    ids[0] = 0x80;
    c.payload_len = 1;
    assert_int_equal(round_trip(&c, buf, &d), WQ_EPROTO);
}

static wq_err decode_body(uint8_t type, const uint8_t *body, size_t n)
{
    wqi_jrec r;
    r.type = type;
    r.flags = 0;
    r.body = body;
    r.len = (uint32_t)n;
    wqi_jchange c;
    return wqi_jchange_decode(&r, &c);
}

static void malformed_bodies_and_unknown_types_are_told_apart(void **state)
{
    (void)state;
    static const uint8_t name_ok[] = {1, 'q'};
    assert_int_equal(decode_body(WQI_JT_CREATE, name_ok, sizeof name_ok), WQ_OK);
    /* Names: missing, empty, longer than the body, not a queue name,
     * bytes left over. */
    assert_int_equal(decode_body(WQI_JT_CREATE, name_ok, 0), WQ_EPROTO);
    static const uint8_t empty_name[] = {0};
    assert_int_equal(decode_body(WQI_JT_CREATE, empty_name, 1), WQ_EPROTO);
    static const uint8_t long_claim[] = {5, 'a', 'b'};
    assert_int_equal(decode_body(WQI_JT_DELETE, long_claim, sizeof long_claim), WQ_EPROTO);
    static const uint8_t bad_char[] = {2, 'a', ' '};
    assert_int_equal(decode_body(WQI_JT_START, bad_char, sizeof bad_char), WQ_EPROTO);
    static const uint8_t trailing[] = {1, 'q', 'x'};
    assert_int_equal(decode_body(WQI_JT_STOP, trailing, sizeof trailing), WQ_EPROTO);
    uint8_t too_long[2 + WQ_QUEUE_NAME_MAX];
    too_long[0] = WQ_QUEUE_NAME_MAX + 1;
    memset(too_long + 1, 'a', WQ_QUEUE_NAME_MAX + 1);
    assert_int_equal(decode_body(WQI_JT_PURGE, too_long, sizeof too_long), WQ_EPROTO);
    /* Varints: cut, 11 bytes, a tenth byte above 1 (beyond 2^64 - 1). */
    static const uint8_t cut[] = {0x80};
    assert_int_equal(decode_body(WQI_JT_ACK, cut, sizeof cut), WQ_EPROTO);
    uint8_t eleven[11];
    memset(eleven, 0x80, sizeof eleven);
    eleven[10] = 0;
    assert_int_equal(decode_body(WQI_JT_ACK, eleven, sizeof eleven), WQ_EPROTO);
    uint8_t over[10];
    memset(over, 0xFF, sizeof over);
    over[9] = 2;
    assert_int_equal(decode_body(WQI_JT_NEXT_ID, over, sizeof over), WQ_EPROTO);
    over[9] = 1;
    assert_int_equal(decode_body(WQI_JT_NEXT_ID, over, sizeof over), WQ_OK);
    static const uint8_t overlong[] = {0x85, 0x00};
    assert_int_equal(decode_body(WQI_JT_ACK, overlong, sizeof overlong), WQ_EPROTO);
    static const uint8_t ack_trailing[] = {5, 0};
    assert_int_equal(decode_body(WQI_JT_RELEASE, ack_trailing, sizeof ack_trailing), WQ_EPROTO);
    /* A PUBLISH needs its id and name; the payload may be empty. */
    static const uint8_t pub[] = {7, 1, 'q'};
    assert_int_equal(decode_body(WQI_JT_PUBLISH, pub, sizeof pub), WQ_OK);
    assert_int_equal(decode_body(WQI_JT_PUBLISH, pub, 1), WQ_EPROTO);
    /* Types this version does not know: not malformed, unknown. */
    assert_int_equal(decode_body(0, name_ok, sizeof name_ok), WQ_ENOTSUP);
    assert_int_equal(decode_body(WQI_JT_NEXT_ID + 1, name_ok, sizeof name_ok), WQ_ENOTSUP);
    assert_int_equal(decode_body(255, name_ok, sizeof name_ok), WQ_ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_round_trips_at_the_edges_of_its_fields),
        cmocka_unit_test(malformed_bodies_and_unknown_types_are_told_apart),
        cmocka_unit_test(purge_carries_the_held_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
