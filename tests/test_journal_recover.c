/* test_journal_recover.c — reading a data directory's journal at start
 * (journal_recover.h), on the in-memory fs: segments in order of their
 * numbers whatever the listing's order, other files left alone, a torn
 * tail allowed only in the last segment, damage and read errors refused
 * with the file and offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fs_mem.h"
#include "jfile.h"
#include "journal_records.h"
#include "journal_recover.h"

#define DIR "data"

/* Write len bytes as file name in DIR. */
static void put_file(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", DIR, name);
    wqi_file *f = NULL;
    assert_int_equal(wqt_memfs->ops->open(wqt_memfs, path, WQI_FS_CREATE | WQI_FS_TRUNC, &f),
                     WQ_OK);
    wqi_fs_iov iov;
    iov.data = data;
    iov.len = len;
    if (len > 0) {
        assert_int_equal(wqt_memfs->ops->append(f, &iov, 1), WQ_OK);
    }
    wqt_memfs->ops->close(f);
}

static void put_segment(uint64_t seq, const wqt_jfile *j, size_t len)
{
    char name[WQI_JOURNAL_NAME_LEN + 1];
    wqi_journal_name(seq, name);
    put_file(name, j->data, len);
}

/* Two segments: queue q with items 1..3 published, 1 acknowledged. */
static void two_segments(wqt_jfile *a, wqt_jfile *b)
{
    wqt_jopen(a);
    WQT_JNAMED(a, WQI_JT_CREATE, "q");
    WQT_JPUB(a, "q", 1, "one");
    WQT_JPUB(a, "q", 2, "two");
    wqt_jopen(b);
    WQT_JBY_ID(b, WQI_JT_ACK, 1);
    WQT_JPUB(b, "q", 3, "three");
    /* Numbered so that text order and number order agree only by
     * padding: 9 and 10. */
    put_segment(9, a, a->len);
    put_segment(10, b, b->len);
}

static wqi_registry *new_registry(void)
{
    wqi_registry *r = NULL;
    assert_int_equal(wqi_registry_create(NULL, &r), WQ_OK);
    return r;
}

static void names_are_twenty_digits_and_nothing_else_is_one(void **state)
{
    (void)state;
    char name[WQI_JOURNAL_NAME_LEN + 1];
    uint64_t seq = 0;
    wqi_journal_name(42, name);
    assert_string_equal(name, "journal-00000000000000000042");
    assert_true(wqi_journal_name_parse(name, &seq));
    assert_true(seq == 42);
    wqi_journal_name(UINT64_MAX, name);
    assert_true(wqi_journal_name_parse(name, &seq));
    assert_true(seq == UINT64_MAX);
    assert_false(wqi_journal_name_parse("journal-99999999999999999999", &seq)); /* > 2^64 */
    assert_false(wqi_journal_name_parse("journal-0000000000000000004", &seq));
    assert_false(wqi_journal_name_parse("journal-0000000000000000004x", &seq));
    assert_false(wqi_journal_name_parse("Journal-00000000000000000042", &seq));
    assert_false(wqi_journal_name_parse("journal-00000000000000000042.tmp", &seq));
}

static void segments_are_read_in_order_and_other_files_left_alone(void **state)
{
    (void)state;
    wqt_jfile a, b;
    two_segments(&a, &b);
    put_file("lock", "", 0);
    put_file("notes.txt", "operator's notes", 16);
    put_file("journal-00000000000000000011.tmp", "half a compaction", 17);
    wqi_registry *r = new_registry();
    wqi_recovery rep;
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_OK);
    assert_int_equal(rep.segments, 2);
    assert_int_equal(rep.queues, 1);
    assert_int_equal(rep.items, 2);
    assert_int_equal(rep.bytes, 3 + 5);
    assert_true(rep.next_id == 4);
    assert_true(rep.last_seq == 10);
    assert_int_equal(rep.end, WQI_REPLAY_WHOLE);
    wqi_queue_info qi;
    assert_int_equal(wqi_registry_queue_status(r, "q", 1, &qi), WQ_OK);
    assert_int_equal(qi.ready, 2);
    assert_int_equal(qi.completed, 1);
    wqi_registry_destroy(r);
}

static void an_empty_directory_is_an_empty_state(void **state)
{
    (void)state;
    wqi_registry *r = new_registry();
    wqi_recovery rep;
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_OK);
    assert_int_equal(rep.segments, 0);
    assert_int_equal(rep.items, 0);
    assert_true(rep.next_id == 1);
    wqi_registry_destroy(r);
}

static void a_torn_tail_is_kept_only_in_the_last_segment(void **state)
{
    (void)state;
    wqt_jfile a, b;
    two_segments(&a, &b);
    put_segment(10, &b, b.len - 3); /* the last record of the last segment, cut */
    wqi_registry *r = new_registry();
    wqi_recovery rep;
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_OK);
    assert_int_equal(rep.end, WQI_REPLAY_TORN);
    assert_string_equal(rep.file, "journal-00000000000000000010");
    assert_true(rep.offset == b.starts[1]);
    assert_int_equal(rep.items, 1); /* 2 only: 3 was torn */
    wqi_registry_destroy(r);

    /* The same cut in the first of two segments is damage. */
    put_segment(10, &b, b.len);
    put_segment(9, &a, a.len - 3);
    r = new_registry();
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_EPROTO);
    assert_int_equal(rep.end, WQI_REPLAY_DAMAGED);
    assert_string_equal(rep.file, "journal-00000000000000000009");
    assert_true(rep.offset == a.starts[2]);
    wqi_registry_destroy(r);
}

static void damage_and_read_errors_refuse_with_where(void **state)
{
    (void)state;
    wqt_jfile a, b;
    two_segments(&a, &b);
    a.data[a.starts[1] + WQI_JREC_HEADER + 1] ^= 0x04;
    put_segment(9, &a, a.len);
    wqi_registry *r = new_registry();
    wqi_recovery rep;
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_EPROTO);
    assert_int_equal(rep.end, WQI_REPLAY_DAMAGED);
    assert_string_equal(rep.file, "journal-00000000000000000009");
    assert_true(rep.offset == a.starts[1]);
    wqi_registry_destroy(r);

    a.data[a.starts[1] + WQI_JREC_HEADER + 1] ^= 0x04;
    put_segment(9, &a, a.len);
    assert_int_equal(wqi_fs_mem_fail(wqt_memfs, WQI_FS_MEM_READ, 1, WQ_EIO, 0), WQ_OK);
    r = new_registry();
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_EIO);
    wqi_registry_destroy(r);
    /* The fault used up, it reads. */
    r = new_registry();
    assert_int_equal(wqi_journal_recover(wqt_memfs, DIR, r, &rep), WQ_OK);
    assert_int_equal(rep.items, 2);
    wqi_registry_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_are_twenty_digits_and_nothing_else_is_one),
        cmocka_unit_test_setup_teardown(segments_are_read_in_order_and_other_files_left_alone,
                                        wqt_memfs_setup, wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(an_empty_directory_is_an_empty_state, wqt_memfs_setup,
                                        wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(a_torn_tail_is_kept_only_in_the_last_segment,
                                        wqt_memfs_setup, wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(damage_and_read_errors_refuse_with_where, wqt_memfs_setup,
                                        wqt_memfs_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
