/* test_journal_replay.c — rebuilding state from journal bytes
 * (journal_replay.h): every kind of change replays to the state the
 * service had, restored into a registry with the original ids; a torn
 * tail keeps everything before it, damage, newer formats and records
 * that contradict what came before are reported where they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jfile.h"
#include "journal_format.h"
#include "journal_records.h"
#include "journal_replay.h"
#include "registry.h"

/* Replay files and restore into a new registry. */
static wqi_registry *restore(wqi_replay *m)
{
    wqi_registry *r = NULL;
    assert_int_equal(wqi_registry_create(NULL, &r), WQ_OK);
    assert_int_equal(wqi_replay_restore(m, r), WQ_OK);
    return r;
}

static void replay_whole(wqi_replay *m, const wqt_jfile *f)
{
    wqi_replay_end end;
    size_t at;
    assert_int_equal(wqi_replay_file(m, f->data, f->len, &end, &at), WQ_OK);
    assert_int_equal(end, WQI_REPLAY_WHOLE);
    assert_int_equal(at, f->len);
}

/* Take the next item of a started queue and check it. */
static void expect_next(wqi_registry *r, wqi_owner *o, const char *q, uint64_t id,
                        const char *payload)
{
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, q, strlen(q), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_true(it.id == id);
    assert_int_equal(it.len, strlen(payload));
    assert_memory_equal(it.payload, payload, it.len);
}

static void the_history(wqt_jfile *f)
{
    wqt_jopen(f);
    WQT_JNAMED(f, WQI_JT_CREATE, "Jobs");
    WQT_JNAMED(f, WQI_JT_START, "jobs");
    WQT_JPUB(f, "Jobs", 1, "one");
    WQT_JPUB(f, "jobs", 2, "two");
    WQT_JPUB(f, "JOBS", 3, "three");
    WQT_JPUB(f, "Jobs", 4, "");
    WQT_JPUB(f, "Jobs", 5, "five");
    WQT_JNAMED(f, WQI_JT_CREATE, "Other");
    WQT_JPUB(f, "Other", 6, "six");
    WQT_JBY_ID(f, WQI_JT_ACK, 2);
    WQT_JBY_ID(f, WQI_JT_RELEASE, 3);
    static const uint64_t held[] = {4, 5};
    uint8_t ids[20];
    size_t n = wqi_jchange_encode_held(held, 2, ids);
    wqt_jput(f, WQI_JT_PURGE, "Jobs", 0, ids, n); /* 1 and 3 go, 4 and 5 were leased */
    WQT_JNAMED(f, WQI_JT_DELETE, "Other");
    WQT_JNAMED(f, WQI_JT_CREATE, "other"); /* the name again: a new, empty queue */
    WQT_JPUB(f, "other", 7, "seven");
    WQT_JBY_ID(f, WQI_JT_NEXT_ID, 100);
}

static void every_kind_of_change_replays_to_the_state_it_describes(void **state)
{
    (void)state;
    wqt_jfile f;
    the_history(&f);
    wqi_replay *m = NULL;
    assert_int_equal(wqi_replay_new(&m), WQ_OK);
    replay_whole(m, &f);
    size_t queues;
    uint64_t items, bytes, next_id;
    wqi_replay_counts(m, &queues, &items, &bytes, &next_id);
    assert_int_equal(queues, 2);
    assert_int_equal(items, 3);
    assert_int_equal(bytes, 0 + 4 + 5);
    assert_int_equal(next_id, 100);

    wqi_registry *r = restore(m);
    wqi_replay_free(m);
    wqi_queue_info qi;
    assert_int_equal(wqi_registry_queue_status(r, "jobs", 4, &qi), WQ_OK);
    assert_string_equal(qi.name, "Jobs");
    assert_int_equal(qi.started, 1);
    assert_int_equal(qi.ready, 2);
    assert_int_equal(qi.published, 5);
    assert_int_equal(qi.completed, 1);
    assert_int_equal(wqi_registry_queue_status(r, "OTHER", 5, &qi), WQ_OK);
    assert_string_equal(qi.name, "other");
    assert_int_equal(qi.started, 0);
    assert_int_equal(qi.ready, 1);
    wqi_owner *o = NULL;
    assert_int_equal(wqi_registry_owner_create(r, &o), WQ_OK);
    expect_next(r, o, "Jobs", 4, "");
    expect_next(r, o, "Jobs", 5, "five");
    assert_int_equal(wqi_registry_queue_start(r, "other", 5), WQ_OK);
    expect_next(r, o, "other", 7, "seven");
    uint64_t id = 0;
    assert_int_equal(wqi_registry_publish(r, "Jobs", 4, "new", 3, &id), WQ_OK);
    assert_true(id == 100); /* ids are never reused */
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void a_journal_in_two_files_replays_as_one(void **state)
{
    (void)state;
    wqt_jfile a, b;
    wqt_jopen(&a);
    WQT_JNAMED(&a, WQI_JT_CREATE, "q");
    WQT_JPUB(&a, "q", 1, "x");
    WQT_JPUB(&a, "q", 2, "y");
    wqt_jopen(&b);
    WQT_JBY_ID(&b, WQI_JT_ACK, 1);
    WQT_JPUB(&b, "q", 3, "z");
    wqi_replay *m = NULL;
    assert_int_equal(wqi_replay_new(&m), WQ_OK);
    replay_whole(m, &a);
    replay_whole(m, &b);
    size_t queues;
    uint64_t items, bytes, next_id;
    wqi_replay_counts(m, &queues, &items, &bytes, &next_id);
    assert_int_equal(items, 2);
    assert_int_equal(next_id, 4);
    wqi_replay_free(m);
}

/* Cut the last record anywhere: torn there, and everything before it is
 * applied. */
static void a_torn_last_record_keeps_everything_before_it(void **state)
{
    (void)state;
    wqt_jfile f;
    the_history(&f);
    size_t last = f.starts[f.n - 1];
    for (size_t cut = last; cut < f.len; cut++) {
        wqi_replay *m = NULL;
        assert_int_equal(wqi_replay_new(&m), WQ_OK);
        wqi_replay_end end;
        size_t at;
        assert_int_equal(wqi_replay_file(m, f.data, cut, &end, &at), WQ_OK);
        if (cut == last) {
            assert_int_equal(end, WQI_REPLAY_WHOLE);
        } else {
            assert_int_equal(end, WQI_REPLAY_TORN);
            assert_int_equal(at, last);
        }
        size_t queues;
        uint64_t items, bytes, next_id;
        wqi_replay_counts(m, &queues, &items, &bytes, &next_id);
        assert_int_equal(items, 3);
        assert_int_equal(next_id, 8); /* the NEXT_ID record is the one cut */
        wqi_replay_free(m);
    }
    /* A file cut inside its header was being created: torn, empty. */
    wqi_replay *m = NULL;
    assert_int_equal(wqi_replay_new(&m), WQ_OK);
    wqi_replay_end end;
    size_t at;
    assert_int_equal(wqi_replay_file(m, f.data, 7, &end, &at), WQ_OK);
    assert_int_equal(end, WQI_REPLAY_TORN);
    wqi_replay_free(m);
}

static wqi_replay_end replay_end(const wqt_jfile *f, size_t *at)
{
    wqi_replay *m = NULL;
    assert_int_equal(wqi_replay_new(&m), WQ_OK);
    wqi_replay_end end;
    assert_int_equal(wqi_replay_file(m, f->data, f->len, &end, at), WQ_OK);
    wqi_replay_free(m);
    return end;
}

static void damage_newer_formats_and_contradictions_are_reported_where_they_are(void **state)
{
    (void)state;
    wqt_jfile f;
    size_t at;
    /* A flipped byte in the middle: damaged, at that record. */
    the_history(&f);
    f.data[f.starts[5] + WQI_JREC_HEADER + 2] ^= 0x20;
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_DAMAGED);
    assert_int_equal(at, f.starts[5]);
    /* Not a journal; a newer version. */
    the_history(&f);
    f.data[0] = 'X';
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_NOT_JOURNAL);
    /* Unknown types: skipped when optional, refused otherwise. */
    wqt_jopen(&f);
    WQT_JNAMED(&f, WQI_JT_CREATE, "q");
    wqt_jput_raw(&f, 200, WQI_JREC_OPTIONAL, "future", 6, NULL, 0);
    WQT_JPUB(&f, "q", 1, "after");
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_WHOLE);
    wqt_jput_raw(&f, 201, 0, "future", 6, NULL, 0);
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_NEWER);
    assert_int_equal(at, f.starts[3]);
    /* Records that contradict what came before. */
    wqt_jopen(&f);
    WQT_JNAMED(&f, WQI_JT_CREATE, "q");
    WQT_JNAMED(&f, WQI_JT_CREATE, "Q");
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_INVALID);
    assert_int_equal(at, f.starts[1]);
    wqt_jopen(&f);
    WQT_JNAMED(&f, WQI_JT_START, "nowhere");
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_INVALID);
    wqt_jopen(&f);
    WQT_JNAMED(&f, WQI_JT_CREATE, "q");
    WQT_JPUB(&f, "q", 5, "a");
    WQT_JPUB(&f, "q", 5, "b"); /* an id again */
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_INVALID);
    assert_int_equal(at, f.starts[2]);
    wqt_jopen(&f);
    WQT_JNAMED(&f, WQI_JT_CREATE, "q");
    WQT_JPUB(&f, "q", 5, "a");
    WQT_JBY_ID(&f, WQI_JT_ACK, 5);
    WQT_JBY_ID(&f, WQI_JT_ACK, 5); /* acknowledged twice */
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_INVALID);
    assert_int_equal(at, f.starts[3]);
    /* A malformed body that checks (a bug, not a crash) is invalid too. */
    wqt_jopen(&f);
    static const uint8_t bad_name[] = {3, 'a'};
    wqt_jput_raw(&f, WQI_JT_CREATE, 0, bad_name, sizeof bad_name, NULL, 0);
    assert_int_equal(replay_end(&f, &at), WQI_REPLAY_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_change_replays_to_the_state_it_describes),
        cmocka_unit_test(a_journal_in_two_files_replays_as_one),
        cmocka_unit_test(a_torn_last_record_keeps_everything_before_it),
        cmocka_unit_test(damage_newer_formats_and_contradictions_are_reported_where_they_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
