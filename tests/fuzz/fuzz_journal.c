/* fuzz_journal.c — reading a journal file (journal_format.c,
 * journal_records.c): any bytes that may be found on disk after a crash,
 * damage or a hostile edit.
 *
 * The input is a file: a file header, then records. The target reads it
 * as a replay would — header check, then records one after another — and
 * checks:
 *   - decoding never reads outside the input, and a record that decodes
 *     lies inside it;
 *   - a record that decodes and whose body decodes as a change encodes
 *     back to exactly the same body (one encoding per change), and a
 *     change re-framed gives the same record bytes;
 *   - when reading stops at a record that does not check, the verdict
 *     (torn tail or damage) is the same whether or not the bytes after a
 *     torn tail are cut off: a torn tail is only ever followed by bytes
 *     that hold no record;
 *   - the replay (journal_replay.c) of the same bytes never fails but for
 *     memory, and what it keeps restores into a registry with exactly the
 *     queues, items and payload bytes the model counted.
 */
#include <string.h>

#include "fuzz.h"
#include "journal_format.h"
#include "journal_records.h"
#include "journal_replay.h"
#include "registry.h"

static void check_change(const wqi_jrec *r, const uint8_t *rec, size_t rec_len)
{
    wqi_jchange c;
    wq_err err = wqi_jchange_decode(r, &c);
    WQF_CHECK(err == WQ_OK || err == WQ_EPROTO || err == WQ_ENOTSUP);
    if (err != WQ_OK) {
        return;
    }
    uint8_t head[WQI_JCHANGE_HEAD_MAX];
    size_t hn = wqi_jchange_encode_head(&c, head);
    size_t pn = c.type == WQI_JT_PUBLISH || c.type == WQI_JT_PURGE ? c.payload_len : 0;
    WQF_CHECK(hn + pn == r->len);
    WQF_CHECK(memcmp(head, r->body, hn) == 0);
    WQF_CHECK(pn == 0 || c.payload == r->body + hn);
    const void *p[2];
    size_t len[2];
    p[0] = head;
    p[1] = c.payload;
    len[0] = hn;
    len[1] = pn;
    uint8_t hdr[WQI_JREC_HEADER];
    wqi_jrec_header(hdr, r->type, r->flags, p, len, 2);
    WQF_CHECK(memcmp(hdr, rec, WQI_JREC_HEADER) == 0);
    WQF_CHECK(rec_len == WQI_JREC_HEADER + r->len);
}

/* Replay the file and restore what it kept into a registry. */
static void check_replay(const uint8_t *data, size_t size)
{
    wqi_replay *m = NULL;
    WQF_CHECK(wqi_replay_new(&m) == WQ_OK);
    wqi_replay_end end;
    size_t at;
    WQF_CHECK(wqi_replay_file(m, data, size, &end, &at) == WQ_OK);
    WQF_CHECK(at <= size);
    size_t queues;
    uint64_t items, bytes, next_id;
    wqi_replay_counts(m, &queues, &items, &bytes, &next_id);
    wqi_registry *r = NULL;
    WQF_CHECK(wqi_registry_create(NULL, &r) == WQ_OK);
    WQF_CHECK(wqi_replay_restore(m, r) == WQ_OK);
    wqi_queue_info *rows;
    size_t n;
    WQF_CHECK(wqi_registry_list(r, &rows, &n) == WQ_OK);
    WQF_CHECK(n == queues);
    uint64_t ready = 0;
    for (size_t i = 0; i < n; i++) {
        ready += rows[i].ready;
    }
    wqi_registry_list_free(rows);
    WQF_CHECK(ready == items);
    WQF_CHECK(wqi_registry_bytes(r) == bytes + items * WQI_ITEM_OVERHEAD);
    wqi_registry_destroy(r);
    wqi_replay_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_replay(data, size);
    unsigned version;
    wqi_jhdr_status hs = wqi_journal_header_check(data, size, &version);
    WQF_CHECK(hs == WQI_JHDR_OK || hs == WQI_JHDR_SHORT || hs == WQI_JHDR_NOT_JOURNAL ||
              hs == WQI_JHDR_NEWER);
    /* Records are read after a good header, or from the start when the
     * header is not one (so the fuzzer reaches records without forging a
     * header's CRC first). */
    size_t off = hs == WQI_JHDR_OK ? WQI_JOURNAL_FILE_HEADER : 0;
    while (off < size) {
        wqi_jrec r;
        size_t used;
        wqi_jrec_status st = wqi_jrec_decode(data + off, size - off, &r, &used);
        if (st != WQI_JREC_OK) {
            WQF_CHECK(st == WQI_JREC_SHORT || st == WQI_JREC_BAD);
            int damage = wqi_jrec_valid_record_after(data, size, off + 1);
            if (!damage) {
                /* A torn tail: nothing in it is a record, wherever cut. */
                for (size_t cut = off + 1; cut < size; cut += 1 + (size - cut) / 8) {
                    WQF_CHECK(!wqi_jrec_valid_record_after(data, cut, off + 1));
                }
            }
            return 0;
        }
        WQF_CHECK(used >= WQI_JREC_HEADER && used <= size - off);
        WQF_CHECK(r.body == data + off + WQI_JREC_HEADER);
        check_change(&r, data + off, used);
        off += used;
    }
    return 0;
}
