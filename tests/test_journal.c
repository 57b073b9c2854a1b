/* test_journal.c — appending with group commit (journal.h), on the
 * in-memory fs: what a wait acknowledges is in the journal (and, under
 * "always", survives a power cut), changes appended together go out in one
 * write and one flush, a failed write fails exactly its batch and leaves
 * no torn record behind, a failed flush stops the journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fs_mem.h"
#include "jfile.h"
#include "journal.h"
#include "platform.h"
#include "journal_replay.h"

#define PATH "data/journal-00000000000000000001"

static wqi_journal *open_journal(wqi_sync_policy sync)
{
    wqi_journal_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fs = wqt_memfs;
    cfg.path = PATH;
    cfg.sync = sync;
    cfg.interval_ms = 10;
    cfg.next_seq = 1;
    wqi_journal *j = NULL;
    assert_int_equal(wqi_journal_open(&cfg, &j), WQ_OK);
    return j;
}

static wq_err append(wqi_journal *j, uint8_t type, const char *name, uint64_t id,
                     const char *payload, uint64_t *seq)
{
    wqi_jchange c;
    wqt_jchange(&c, type, name, id, payload, payload != NULL ? strlen(payload) : 0);
    return wqi_journal_append(j, &c, seq);
}

/* Replay the journal file of f (PATH): how it ended and how many live
 * items it holds. */
static wqi_replay_end replay(wqi_fs *f, uint64_t *items)
{
    wqi_file *file = NULL;
    assert_int_equal(f->ops->open(f, PATH, 0, &file), WQ_OK);
    uint64_t size = 0;
    assert_int_equal(f->ops->size(file, &size), WQ_OK);
    static uint8_t buf[1 << 16];
    assert_true(size <= sizeof buf);
    size_t got = 0;
    if (size > 0) {
        assert_int_equal(f->ops->read(file, 0, buf, (size_t)size, &got), WQ_OK);
    }
    f->ops->close(file);
    wqi_replay *m = NULL;
    assert_int_equal(wqi_replay_new(&m), WQ_OK);
    wqi_replay_end end;
    size_t at;
    assert_int_equal(wqi_replay_file(m, buf, got, &end, &at), WQ_OK);
    size_t queues;
    uint64_t bytes, next_id;
    wqi_replay_counts(m, &queues, items, &bytes, &next_id);
    wqi_replay_free(m);
    return end;
}

/* A power cut now: only what was flushed. */
static wqi_replay_end replay_after_power_cut(uint64_t *items)
{
    wqi_fs *image = NULL;
    wqi_fs_mem_crash_plan plan;
    memset(&plan, 0, sizeof plan);
    assert_int_equal(wqi_fs_mem_crash(wqt_memfs, &plan, &image), WQ_OK);
    wqi_replay_end end = replay(image, items);
    wqi_fs_mem_free(image);
    return end;
}

static void what_a_wait_acknowledges_survives_a_power_cut(void **state)
{
    (void)state;
    wqi_journal *j = open_journal(WQI_SYNC_ALWAYS);
    uint64_t seq;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &seq), WQ_OK);
    assert_true(seq == 1);
    assert_int_equal(wqi_journal_wait(j, seq), WQ_OK);
    char payload[16];
    for (uint64_t id = 1; id <= 20; id++) {
        snprintf(payload, sizeof payload, "item %llu", (unsigned long long)id);
        assert_int_equal(append(j, WQI_JT_PUBLISH, "q", id, payload, &seq), WQ_OK);
        assert_int_equal(wqi_journal_wait(j, seq), WQ_OK);
        uint64_t items = 0;
        assert_int_equal(replay_after_power_cut(&items), WQI_REPLAY_WHOLE);
        assert_true(items == id);
    }
    wqi_journal_close(j);
}

/* Three changes appended before anyone waits: one write, one flush for
 * all; waiting for the others then costs nothing. */
static void changes_appended_together_share_one_write_and_flush(void **state)
{
    (void)state;
    wqi_journal *j = open_journal(WQI_SYNC_ALWAYS);
    uint64_t s1, s2, s3, writes, flushes;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &s1), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 1, "a", &s2), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 2, "b", &s3), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s3), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s1), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s2), WQ_OK);
    wqi_journal_stats(j, &writes, &flushes);
    assert_int_equal(writes, 1);
    assert_int_equal(flushes, 1);
    wqi_journal_close(j);
}

static void a_failed_write_fails_its_batch_and_leaves_no_torn_record(void **state)
{
    (void)state;
    wqi_journal *j = open_journal(WQI_SYNC_ALWAYS);
    uint64_t s1, s2, s3, s4;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &s1), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s1), WQ_OK);
    /* The disk fills in the middle of the next batch's write. */
    assert_int_equal(wqi_fs_mem_fail(wqt_memfs, WQI_FS_MEM_APPEND, 1, WQ_ENOSPC, 7), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 1, "lost", &s2), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 2, "lost too", &s3), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s3), WQ_ENOSPC);
    assert_int_equal(wqi_journal_wait(j, s2), WQ_ENOSPC);
    uint64_t items = 99;
    assert_int_equal(replay(wqt_memfs, &items), WQI_REPLAY_WHOLE); /* cut back */
    assert_true(items == 0);
    /* Space is back: the journal goes on. */
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 3, "kept", &s4), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s4), WQ_OK);
    assert_int_equal(replay(wqt_memfs, &items), WQI_REPLAY_WHOLE);
    assert_true(items == 1);
    wqi_journal_close(j);
}

static void a_failed_flush_stops_the_journal(void **state)
{
    (void)state;
    wqi_journal *j = open_journal(WQI_SYNC_ALWAYS);
    uint64_t s1, s2;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &s1), WQ_OK);
    assert_int_equal(wqi_fs_mem_fail(wqt_memfs, WQI_FS_MEM_FLUSH, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s1), WQ_EIO);
    assert_int_equal(append(j, WQI_JT_CREATE, "r", 0, NULL, &s2), WQ_EIO);
    wqi_journal_close(j);
}

/* "none": a wait returns once written, and nothing is ever flushed by
 * the journal — a process kill loses nothing (the OS has it), a power cut
 * may lose it all. */
static void under_none_waits_mean_written_not_flushed(void **state)
{
    (void)state;
    wqi_journal *j = open_journal(WQI_SYNC_NONE);
    uint64_t s, writes, flushes, items = 0;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &s), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 1, "x", &s), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s), WQ_OK);
    wqi_journal_stats(j, &writes, &flushes);
    assert_int_equal(writes, 1);
    assert_int_equal(flushes, 0);
    assert_int_equal(replay(wqt_memfs, &items), WQI_REPLAY_WHOLE);
    assert_true(items == 1);
    assert_int_equal(replay_after_power_cut(&items), WQI_REPLAY_WHOLE);
    assert_true(items == 0);
    wqi_journal_close(j);
}

/* Many connections at once: every wait succeeds, every change is in the
 * journal exactly once, in an order that replays (ids ascending: each
 * publish takes its id and sequence number under one lock, as the registry
 * will). */
#define THREADS 8
#define EACH 100

static wqi_journal *shared;
static wqi_mutex order; /* stands for the registry's lock */
static uint64_t next_id = 1;
static int thread_errors;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < EACH; i++) {
        uint64_t seq;
        wqi_mutex_lock(&order);
        wq_err err = append(shared, WQI_JT_PUBLISH, "q", next_id++, "payload", &seq);
        wqi_mutex_unlock(&order);
        if (err == WQ_OK) {
            err = wqi_journal_wait(shared, seq);
        }
        if (err != WQ_OK) {
            wqi_mutex_lock(&order);
            thread_errors++;
            wqi_mutex_unlock(&order);
        }
    }
}

static void concurrent_changes_all_land_once_in_order(void **state)
{
    (void)state;
    shared = open_journal(WQI_SYNC_ALWAYS);
    wqi_mutex_init(&order);
    uint64_t seq;
    assert_int_equal(append(shared, WQI_JT_CREATE, "q", 0, NULL, &seq), WQ_OK);
    assert_int_equal(wqi_journal_wait(shared, seq), WQ_OK);
    wqi_thread t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(wqi_thread_start(&t[i], worker, NULL), WQ_OK);
    }
    for (int i = 0; i < THREADS; i++) {
        wqi_thread_join(&t[i]);
    }
    assert_int_equal(thread_errors, 0);
    uint64_t writes, flushes, items = 0;
    wqi_journal_stats(shared, &writes, &flushes);
    print_message("%d changes: %llu writes, %llu flushes\n", THREADS * EACH + 1,
                  (unsigned long long)writes, (unsigned long long)flushes);
    assert_int_equal(replay_after_power_cut(&items), WQI_REPLAY_WHOLE);
    assert_true(items == (uint64_t)THREADS * EACH);
    wqi_journal_close(shared);
    wqi_mutex_destroy(&order);
}

/* "interval": a wait means written; the flusher makes it durable within
 * the interval. The fs's hook tells the test when a flush has been done
 * (a condition variable, with a generous deadline only for a broken
 * flusher). */
static wqi_mutex flush_lock;
static wqi_cond flush_done;
static uint64_t last_append, last_flush; /* operation numbers */

static void note_flush(void *ctx, wqi_fs_mem_op op, uint64_t n)
{
    (void)ctx;
    wqi_mutex_lock(&flush_lock);
    if (op == WQI_FS_MEM_APPEND) {
        last_append = n;
    } else if (op == WQI_FS_MEM_FLUSH) {
        last_flush = n;
        wqi_cond_broadcast(&flush_done);
    }
    wqi_mutex_unlock(&flush_lock);
}

static void under_interval_the_flusher_makes_writes_durable(void **state)
{
    (void)state;
    wqi_mutex_init(&flush_lock);
    wqi_cond_init(&flush_done);
    last_append = last_flush = 0;
    wqi_journal *j = open_journal(WQI_SYNC_INTERVAL);
    wqi_fs_mem_set_hook(wqt_memfs, note_flush, NULL); /* after the new file's own flush */
    uint64_t s, items = 0;
    assert_int_equal(append(j, WQI_JT_CREATE, "q", 0, NULL, &s), WQ_OK);
    assert_int_equal(append(j, WQI_JT_PUBLISH, "q", 1, "x", &s), WQ_OK);
    assert_int_equal(wqi_journal_wait(j, s), WQ_OK);
    /* The write the wait saw done is the last append so far; a flush after
     * it covers it (one between the two appends, say, would not). */
    int64_t deadline = wqi_clock_ms() + 20000;
    wqi_mutex_lock(&flush_lock);
    uint64_t written_at = last_append;
    while (last_flush < written_at &&
           wqi_cond_wait_until(&flush_done, &flush_lock, deadline) == WQ_OK) {
    }
    int seen = last_flush > written_at;
    wqi_mutex_unlock(&flush_lock);
    assert_true(written_at > 0);
    assert_true(seen); /* (the journal's own count catches up after the fs's call) */
    assert_int_equal(replay_after_power_cut(&items), WQI_REPLAY_WHOLE);
    assert_true(items == 1);
    wqi_journal_close(j);
    wqi_fs_mem_set_hook(wqt_memfs, NULL, NULL);
    wqi_cond_destroy(&flush_done);
    wqi_mutex_destroy(&flush_lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(what_a_wait_acknowledges_survives_a_power_cut,
                                        wqt_memfs_setup, wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(changes_appended_together_share_one_write_and_flush,
                                        wqt_memfs_setup, wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(a_failed_write_fails_its_batch_and_leaves_no_torn_record,
                                        wqt_memfs_setup, wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(a_failed_flush_stops_the_journal, wqt_memfs_setup,
                                        wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(under_none_waits_mean_written_not_flushed, wqt_memfs_setup,
                                        wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(concurrent_changes_all_land_once_in_order, wqt_memfs_setup,
                                        wqt_memfs_teardown),
        cmocka_unit_test_setup_teardown(under_interval_the_flusher_makes_writes_durable,
                                        wqt_memfs_setup, wqt_memfs_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
