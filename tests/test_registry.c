/* test_registry.c — the registry against docs/protocol.md: queues by name
 * (case-insensitive, shown as first written), items FIFO by id, leases per
 * owner, waiters served in arrival order, limits, the storage hook.
 * Threads synchronise through the registry itself (waiter counts, joins),
 * never through sleeps, and nothing asserts on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "platform.h"
#include "registry.h"
#include "registry_items.h"

#define Q(s) (s), strlen(s)

/* ---- fixtures ---------------------------------------------------------- */

/* Test validator: text is anything without a byte >= 0x80 (enough to tell
 * "binary" from "text" here; the real one is wqi_utf8_valid). */
static int ascii_only(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x80) {
            return 0;
        }
    }
    return 1;
}

static wqi_registry *new_registry(size_t max_queues, uint64_t max_items)
{
    wqi_registry_config cfg;
    wqi_registry_config_init(&cfg);
    cfg.max_queues = max_queues;
    cfg.max_items = max_items;
    cfg.is_text = ascii_only;
    wqi_registry *r = NULL;
    assert_int_equal(wqi_registry_create(&cfg, &r), WQ_OK);
    return r;
}

static wqi_owner *new_owner(wqi_registry *r)
{
    wqi_owner *o = NULL;
    assert_int_equal(wqi_registry_owner_create(r, &o), WQ_OK);
    return o;
}

static uint64_t publish_str(wqi_registry *r, const char *q, const char *payload)
{
    uint64_t id = 0;
    assert_int_equal(wqi_registry_publish(r, Q(q), payload, strlen(payload), &id), WQ_OK);
    return id;
}

/* Retrieve at once; returns the id (0 for EMPTY) and checks the payload
 * when expect is not NULL. */
static uint64_t take(wqi_registry *r, wqi_owner *o, const char *q, const char *expect)
{
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q(q), WQI_NO_WAIT, 0, &it), WQ_OK);
    if (it.id != 0 && expect != NULL) {
        assert_int_equal(it.len, strlen(expect));
        assert_memory_equal(it.payload, expect, it.len);
    }
    return it.id;
}

static wqi_queue_info status(wqi_registry *r, const char *q)
{
    wqi_queue_info info;
    assert_int_equal(wqi_registry_queue_status(r, Q(q), &info), WQ_OK);
    return info;
}

static void assert_counts(wqi_registry *r, const char *q, uint64_t ready, uint64_t leased,
                          uint64_t published, uint64_t completed)
{
    wqi_queue_info s = status(r, q);
    assert_int_equal(s.ready, ready);
    assert_int_equal(s.leased, leased);
    assert_int_equal(s.published, published);
    assert_int_equal(s.completed, completed);
}

static size_t waiters(wqi_registry *r, const char *q)
{
    size_t n = 0;
    assert_int_equal(wqi_registry_waiters(r, Q(q), &n), WQ_OK);
    return n;
}

/* Spins (no sleep) until the registry reports n waiters on q: the waiter
 * threads are then blocked inside retrieve, in the order they arrived. */
static void await_waiters(wqi_registry *r, const char *q, size_t n)
{
    while (waiters(r, q) != n) {
    }
}

/* A retrieve on its own thread. */
struct waiter_thread {
    wqi_thread t;
    wqi_registry *r;
    wqi_owner *o; /* its own, unless the test sets one */
    const char *q;
    int64_t deadline;
    int require_text;
    wq_err err;
    uint64_t id;
    char payload[64];
};

static void waiter_main(void *arg)
{
    struct waiter_thread *w = arg;
    wqi_item it;
    w->err = wqi_registry_retrieve(w->r, w->o, Q(w->q), w->deadline, w->require_text, &it);
    w->id = it.id;
    if (it.id != 0 && it.len < sizeof w->payload) {
        memcpy(w->payload, it.payload, it.len);
        w->payload[it.len] = '\0';
    }
}

/* Starts a waiter and returns once it is blocked as waiter number nth. */
static void start_waiter(struct waiter_thread *w, wqi_registry *r, const char *q, size_t nth)
{
    memset(w, 0, sizeof *w);
    w->r = r;
    w->o = new_owner(r);
    w->q = q;
    w->deadline = INT64_MAX;
    assert_int_equal(wqi_thread_start(&w->t, waiter_main, w), WQ_OK);
    await_waiters(r, q, nth);
}

static void join_waiter(struct waiter_thread *w)
{
    wqi_thread_join(&w->t);
}

/* ---- queues: create, exists, limits, delete ---------------------------- */

static void create_gives_a_stopped_empty_queue_named_as_written(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("MyWorkQueue")), WQ_OK);
    wqi_queue_info s = status(r, "myworkqueue");
    assert_string_equal(s.name, "MyWorkQueue");
    assert_int_equal(s.name_len, 11);
    assert_int_equal(s.started, 0);
    assert_counts(r, "MYWORKQUEUE", 0, 0, 0, 0);
    wqi_registry_destroy(r);
}

static void create_of_an_existing_name_in_any_case_is_409(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("MyWorkQueue")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("myworkqueue")), WQ_EEXIST);
    assert_int_equal(wqi_registry_queue_create(r, Q("MyWorkQueue")), WQ_EEXIST);
    assert_string_equal(status(r, "MYWORKQUEUE").name, "MyWorkQueue");
    wqi_registry_destroy(r);
}

static void create_beyond_max_queues_is_507_but_409_wins(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(2, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("a")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("b")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("c")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_create(r, Q("A")), WQ_EEXIST);
    assert_int_equal(wqi_registry_queue_delete(r, Q("B")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("c")), WQ_OK);
    wqi_registry_destroy(r);
}

static void default_limit_is_65536_queues(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    char name[32];
    for (unsigned i = 0; i < WQI_REGISTRY_DEFAULT_MAX_QUEUES; i++) {
        snprintf(name, sizeof name, "q%u", i);
        assert_int_equal(wqi_registry_queue_create(r, Q(name)), WQ_OK);
    }
    assert_int_equal(wqi_registry_queue_create(r, Q("one.more")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_create(r, Q("Q0")), WQ_EEXIST);
    wqi_registry_destroy(r);
}

static void unknown_queues_are_404_everywhere(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    wqi_queue_info s;
    wqi_item it;
    uint64_t n;
    size_t w;
    assert_int_equal(wqi_registry_queue_delete(r, Q("nope")), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_queue_start(r, Q("nope")), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_queue_stop(r, Q("nope")), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_queue_status(r, Q("nope"), &s), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_queue_purge(r, Q("nope"), &n), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_publish(r, Q("nope"), "x", 1, NULL), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("nope"), INT64_MAX, 0, &it), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, o, Q("nope"), 1), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_release(r, o, Q("nope"), 1), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_waiters(r, Q("nope"), &w), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_queue_create(r, "", 0), WQ_EINVAL);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void delete_removes_queue_items_and_leases(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("jobs")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("jobs")), WQ_OK);
    publish_str(r, "jobs", "one");
    publish_str(r, "jobs", "two");
    uint64_t id = take(r, o, "jobs", "one");
    assert_int_equal(wqi_registry_queue_delete(r, Q("JOBS")), WQ_OK);
    wqi_queue_info s;
    assert_int_equal(wqi_registry_queue_status(r, Q("jobs"), &s), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, o, Q("jobs"), id), WQ_ENOTFOUND);
    /* A new queue of the same name starts from nothing. */
    assert_int_equal(wqi_registry_queue_create(r, Q("jobs")), WQ_OK);
    assert_counts(r, "jobs", 0, 0, 0, 0);
    assert_int_equal(wqi_registry_ack(r, o, Q("jobs"), id), WQ_ENOTFOUND);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void delete_wakes_its_waiters_with_410(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("doomed")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("other")), WQ_OK);
    struct waiter_thread w[3], bystander;
    for (size_t i = 0; i < 3; i++) {
        start_waiter(&w[i], r, "doomed", i + 1);
    }
    start_waiter(&bystander, r, "other", 1);
    assert_int_equal(wqi_registry_queue_delete(r, Q("doomed")), WQ_OK);
    for (size_t i = 0; i < 3; i++) {
        join_waiter(&w[i]);
        assert_int_equal(w[i].err, WQ_EGONE);
        assert_int_equal(w[i].id, 0);
        wqi_registry_owner_destroy(r, w[i].o);
    }
    /* Waiters on other queues are not affected. */
    assert_int_equal(waiters(r, "other"), 1);
    wqi_registry_shutdown(r);
    join_waiter(&bystander);
    assert_int_equal(bystander.err, WQ_ESHUTDOWN);
    wqi_registry_owner_destroy(r, bystander.o);
    wqi_registry_destroy(r);
}

static void start_and_stop_are_idempotent(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_stop(r, Q("q")), WQ_OK);
    assert_int_equal(status(r, "q").started, 0);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("Q")), WQ_OK);
    assert_int_equal(status(r, "q").started, 1);
    assert_int_equal(wqi_registry_queue_stop(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_stop(r, Q("q")), WQ_OK);
    assert_int_equal(status(r, "q").started, 0);
    wqi_registry_destroy(r);
}

static void list_is_sorted_case_insensitively_and_shows_stored_names(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    const char *names[] = {"Zeta", "alpha", "_x", "Beta", "alphA.2", "a"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(wqi_registry_queue_create(r, Q(names[i])), WQ_OK);
    }
    assert_int_equal(wqi_registry_queue_start(r, Q("beta")), WQ_OK);
    publish_str(r, "beta", "x");
    wqi_queue_info *rows;
    size_t n;
    assert_int_equal(wqi_registry_list(r, &rows, &n), WQ_OK);
    /* Lowercase byte order: '_' (0x5F) sorts before 'a' (0x61). */
    const char *want[] = {"_x", "a", "alpha", "alphA.2", "Beta", "Zeta"};
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].name, want[i]);
    }
    assert_int_equal(rows[4].started, 1);
    assert_int_equal(rows[4].ready, 1);
    assert_int_equal(rows[5].started, 0);
    wqi_registry_list_free(rows);
    wqi_registry_destroy(r);
}

static void list_of_nothing_is_empty(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_queue_info *rows;
    size_t n;
    assert_int_equal(wqi_registry_list(r, &rows, &n), WQ_OK);
    assert_int_equal(n, 0);
    wqi_registry_list_free(rows);
    wqi_registry_destroy(r);
}

static void list_of_10000_queues(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    char name[32];
    for (unsigned i = 0; i < 10000; i++) {
        snprintf(name, sizeof name, i % 2 ? "Q%05u" : "q%05u", 9999 - i);
        assert_int_equal(wqi_registry_queue_create(r, Q(name)), WQ_OK);
    }
    wqi_queue_info *rows;
    size_t n;
    assert_int_equal(wqi_registry_list(r, &rows, &n), WQ_OK);
    assert_int_equal(n, 10000);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(atoi(rows[i].name + 1), i);
    }
    wqi_registry_list_free(rows);
    wqi_registry_destroy(r);
}

/* ---- items: order, ids, stopped queues --------------------------------- */

static void items_come_out_in_publish_order(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t a = publish_str(r, "q", "first");
    uint64_t b = publish_str(r, "q", "second");
    uint64_t c = publish_str(r, "q", "third");
    assert_int_equal(a, 1);
    assert_true(a < b && b < c);
    assert_int_equal(take(r, o, "q", "first"), a);
    assert_int_equal(take(r, o, "q", "second"), b);
    assert_int_equal(take(r, o, "q", "third"), c);
    assert_int_equal(take(r, o, "q", NULL), 0);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void ids_increase_across_queues(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("a")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("b")), WQ_OK);
    assert_int_equal(publish_str(r, "a", "1"), 1);
    assert_int_equal(publish_str(r, "b", "2"), 2);
    assert_int_equal(publish_str(r, "a", "3"), 3);
    assert_int_equal(wqi_registry_queue_delete(r, Q("b")), WQ_OK);
    assert_int_equal(publish_str(r, "a", "4"), 4);
    assert_int_equal(wqi_registry_queue_start(r, Q("a")), WQ_OK);
    assert_int_equal(take(r, o, "a", "1"), 1);
    assert_int_equal(take(r, o, "a", "3"), 3);
    assert_int_equal(take(r, o, "a", "4"), 4);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void payloads_are_binary_safe_and_any_length(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("bin")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("bin")), WQ_OK);
    size_t big = 1000000;
    uint8_t *p = malloc(big);
    assert_non_null(p);
    for (size_t i = 0; i < big; i++) {
        p[i] = (uint8_t)(i * 7);
    }
    uint64_t id0, id1, id2;
    assert_int_equal(wqi_registry_publish(r, Q("bin"), NULL, 0, &id0), WQ_OK);
    assert_int_equal(wqi_registry_publish(r, Q("bin"), "\0a\0\n", 4, &id1), WQ_OK);
    assert_int_equal(wqi_registry_publish(r, Q("bin"), p, big, &id2), WQ_OK);
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("bin"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id0);
    assert_int_equal(it.len, 0);
    assert_non_null(it.payload);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("bin"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id1);
    assert_int_equal(it.len, 4);
    assert_memory_equal(it.payload, "\0a\0\n", 4);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("bin"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id2);
    assert_int_equal(it.len, big);
    assert_memory_equal(it.payload, p, big);
    free(p);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void stopped_queue_accepts_publish_and_holds_items_until_started(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    uint64_t id = publish_str(r, "q", "held");
    assert_counts(r, "q", 1, 0, 1, 0);
    assert_int_equal(take(r, o, "q", NULL), 0);
    /* A wait on a stopped queue ends EMPTY at its deadline. */
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), wqi_clock_ms(), 0, &it), WQ_OK);
    assert_int_equal(it.id, 0);
    assert_int_equal(waiters(r, "q"), 0);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    assert_int_equal(take(r, o, "q", "held"), id);
    /* Stopping again holds what is left. */
    publish_str(r, "q", "later");
    assert_int_equal(wqi_registry_queue_stop(r, Q("q")), WQ_OK);
    assert_int_equal(take(r, o, "q", NULL), 0);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void waiter_on_a_stopped_queue_gets_the_item_when_it_starts(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    uint64_t id = publish_str(r, "q", "waiting for start");
    struct waiter_thread w;
    start_waiter(&w, r, "q", 1);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    join_waiter(&w);
    assert_int_equal(w.err, WQ_OK);
    assert_int_equal(w.id, id);
    assert_string_equal(w.payload, "waiting for start");
    assert_counts(r, "q", 0, 1, 1, 0);
    wqi_registry_owner_destroy(r, w.o);
    assert_counts(r, "q", 1, 0, 1, 0);
    wqi_registry_destroy(r);
}

static void waiter_gets_an_item_published_later(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    struct waiter_thread w;
    start_waiter(&w, r, "q", 1);
    uint64_t id = publish_str(r, "q", "hello");
    join_waiter(&w);
    assert_int_equal(w.err, WQ_OK);
    assert_int_equal(w.id, id);
    assert_string_equal(w.payload, "hello");
    assert_int_equal(wqi_registry_ack(r, w.o, Q("q"), id), WQ_OK);
    assert_counts(r, "q", 0, 0, 1, 1);
    wqi_registry_owner_destroy(r, w.o);
    wqi_registry_destroy(r);
}

static void waiters_are_served_in_arrival_order(void **state)
{
    (void)state;
    enum { N = 8 };
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("fifo")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("fifo")), WQ_OK);
    struct waiter_thread w[N];
    for (size_t i = 0; i < N; i++) {
        start_waiter(&w[i], r, "fifo", i + 1); /* i is blocked before i+1 starts */
    }
    uint64_t ids[N];
    char payload[16];
    for (size_t i = 0; i < N; i++) {
        snprintf(payload, sizeof payload, "item%zu", i);
        ids[i] = publish_str(r, "fifo", payload);
    }
    for (size_t i = 0; i < N; i++) {
        join_waiter(&w[i]);
        assert_int_equal(w[i].err, WQ_OK);
        assert_int_equal(w[i].id, ids[i]);
        snprintf(payload, sizeof payload, "item%zu", i);
        assert_string_equal(w[i].payload, payload);
        wqi_registry_owner_destroy(r, w[i].o);
    }
    wqi_registry_destroy(r);
}

static void a_new_retrieve_never_overtakes_a_waiter(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *late = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    struct waiter_thread w;
    start_waiter(&w, r, "q", 1);
    publish_str(r, "q", "for the waiter");
    /* Stopped: the item is ready but nobody gets it. */
    assert_int_equal(take(r, late, "q", NULL), 0);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    /* The start handed it to the waiter before anyone else could ask. */
    assert_int_equal(take(r, late, "q", NULL), 0);
    join_waiter(&w);
    assert_int_equal(w.id, 1);
    wqi_registry_owner_destroy(r, w.o);
    wqi_registry_owner_destroy(r, late);
    wqi_registry_destroy(r);
}

static void wait_ends_empty_at_the_deadline(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), wqi_deadline(20), 0, &it), WQ_OK);
    assert_int_equal(it.id, 0);
    assert_int_equal(waiters(r, "q"), 0);
    /* The queue still works after a waiter left. */
    uint64_t id = publish_str(r, "q", "x");
    assert_int_equal(take(r, o, "q", "x"), id);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void a_waiter_that_gives_up_leaves_the_others_in_order(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    struct waiter_thread first;
    start_waiter(&first, r, "q", 1);
    /* Queues behind first, then its deadline (already past) ends it. */
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), wqi_clock_ms(), 0, &it), WQ_OK);
    assert_int_equal(it.id, 0);
    assert_int_equal(waiters(r, "q"), 1);
    uint64_t id = publish_str(r, "q", "for first");
    join_waiter(&first);
    assert_int_equal(first.id, id);
    wqi_registry_owner_destroy(r, first.o);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

/* ---- leases: ack, release, owners -------------------------------------- */

static void release_puts_an_item_back_at_its_place_by_id(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t id[4];
    id[0] = publish_str(r, "q", "a");
    id[1] = publish_str(r, "q", "b");
    id[2] = publish_str(r, "q", "c");
    id[3] = publish_str(r, "q", "d");
    assert_int_equal(take(r, o, "q", "a"), id[0]);
    assert_int_equal(take(r, o, "q", "b"), id[1]);
    assert_int_equal(take(r, o, "q", "c"), id[2]);
    /* Released out of order, they come back in id order, before d. */
    assert_int_equal(wqi_registry_release(r, o, Q("q"), id[2]), WQ_OK);
    assert_int_equal(wqi_registry_release(r, o, Q("q"), id[0]), WQ_OK);
    assert_counts(r, "q", 3, 1, 4, 0);
    assert_int_equal(take(r, o, "q", "a"), id[0]);
    assert_int_equal(take(r, o, "q", "c"), id[2]);
    assert_int_equal(take(r, o, "q", "d"), id[3]);
    /* Released again after later ones were taken: still first. */
    assert_int_equal(wqi_registry_release(r, o, Q("q"), id[1]), WQ_OK);
    assert_int_equal(take(r, o, "q", "b"), id[1]);
    assert_int_equal(take(r, o, "q", NULL), 0);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void a_released_item_goes_to_a_waiter(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t id = publish_str(r, "q", "again");
    assert_int_equal(take(r, o, "q", "again"), id);
    struct waiter_thread w;
    start_waiter(&w, r, "q", 1);
    assert_int_equal(wqi_registry_release(r, o, Q("q"), id), WQ_OK);
    join_waiter(&w);
    assert_int_equal(w.id, id);
    assert_string_equal(w.payload, "again");
    /* The lease moved: the old holder cannot ack it any more. */
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), id), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, w.o, Q("q"), id), WQ_OK);
    wqi_registry_owner_destroy(r, w.o);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void release_owner_returns_items_in_id_order(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    wqi_owner *other = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("p")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("p")), WQ_OK);
    uint64_t a = publish_str(r, "q", "a");
    uint64_t b = publish_str(r, "q", "b");
    uint64_t c = publish_str(r, "q", "c");
    uint64_t p = publish_str(r, "p", "p");
    assert_int_equal(take(r, o, "q", "a"), a);
    assert_int_equal(take(r, o, "p", "p"), p);
    assert_int_equal(take(r, other, "q", "b"), b);
    assert_int_equal(take(r, o, "q", "c"), c);
    /* Three waiters, in a known order, see o's items go back oldest first. */
    struct waiter_thread w[3];
    for (size_t i = 0; i < 3; i++) {
        start_waiter(&w[i], r, "q", i + 1);
    }
    assert_int_equal(wqi_registry_owner_release(r, o), WQ_OK);
    join_waiter(&w[0]);
    join_waiter(&w[1]);
    assert_int_equal(w[0].id, a);
    assert_int_equal(w[1].id, c);
    assert_int_equal(waiters(r, "q"), 1);
    assert_counts(r, "p", 1, 0, 1, 0);
    assert_counts(r, "q", 0, 3, 3, 0);
    /* other's lease is untouched; its connection closing frees b. */
    wqi_registry_owner_destroy(r, other);
    join_waiter(&w[2]);
    assert_int_equal(w[2].id, b);
    for (size_t i = 0; i < 3; i++) {
        wqi_registry_owner_destroy(r, w[i].o);
    }
    assert_counts(r, "q", 3, 0, 3, 0);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void closing_a_connection_readies_its_items_in_place(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    wqi_owner *next = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    char payload[16];
    for (int i = 1; i <= 50; i++) {
        snprintf(payload, sizeof payload, "%d", i);
        publish_str(r, "q", payload);
    }
    /* Take 40, newest leases first in the owner's list. */
    for (int i = 1; i <= 40; i++) {
        assert_int_equal(take(r, o, "q", NULL), i);
    }
    wqi_registry_owner_destroy(r, o);
    assert_counts(r, "q", 50, 0, 50, 0);
    for (int i = 1; i <= 50; i++) {
        snprintf(payload, sizeof payload, "%d", i);
        assert_int_equal(take(r, next, "q", payload), i);
    }
    wqi_registry_owner_destroy(r, next);
    wqi_registry_destroy(r);
}

static void only_the_holder_may_ack_or_release(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *holder = new_owner(r);
    wqi_owner *stranger = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("p")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t id = publish_str(r, "q", "mine");
    uint64_t unleased = publish_str(r, "q", "nobody's");
    assert_int_equal(take(r, holder, "q", "mine"), id);
    assert_int_equal(wqi_registry_ack(r, stranger, Q("q"), id), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_release(r, stranger, Q("q"), id), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, holder, Q("p"), id), WQ_ENOTFOUND); /* wrong queue */
    assert_int_equal(wqi_registry_ack(r, holder, Q("q"), unleased), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, holder, Q("q"), 999), WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_ack(r, holder, Q("q"), 0), WQ_ENOTFOUND);
    assert_counts(r, "q", 1, 1, 2, 0);
    assert_int_equal(wqi_registry_ack(r, holder, Q("Q"), id), WQ_OK);
    assert_int_equal(wqi_registry_ack(r, holder, Q("q"), id), WQ_ENOTFOUND); /* done */
    assert_counts(r, "q", 1, 0, 2, 1);
    wqi_registry_owner_destroy(r, holder);
    wqi_registry_owner_destroy(r, stranger);
    wqi_registry_destroy(r);
}

static void thousands_of_leases_at_once(void **state)
{
    (void)state;
    enum { N = 5000 };
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *a = new_owner(r);
    wqi_owner *b = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    for (unsigned i = 1; i <= N; i++) {
        assert_int_equal(wqi_registry_publish(r, Q("q"), &i, sizeof i, NULL), WQ_OK);
    }
    for (unsigned i = 1; i <= N; i++) {
        assert_int_equal(take(r, a, "q", NULL), i);
    }
    /* Ack the odd ones (the lease table shrinks as they go), keep the
     * even ones until the connection closes. */
    for (unsigned i = 1; i <= N; i += 2) {
        assert_int_equal(wqi_registry_ack(r, a, Q("q"), i), WQ_OK);
    }
    assert_counts(r, "q", 0, N / 2, N, N / 2);
    wqi_registry_owner_destroy(r, a);
    assert_counts(r, "q", N / 2, 0, N, N / 2);
    for (unsigned i = 2; i <= N; i += 2) {
        wqi_item it;
        assert_int_equal(wqi_registry_retrieve(r, b, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
        assert_int_equal(it.id, i);
        assert_memory_equal(it.payload, &i, sizeof i);
        assert_int_equal(wqi_registry_ack(r, b, Q("q"), i), WQ_OK);
    }
    assert_counts(r, "q", 0, 0, N, N);
    wqi_registry_owner_destroy(r, b);
    wqi_registry_destroy(r);
}

static void counters_follow_every_operation(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_counts(r, "q", 0, 0, 0, 0);
    uint64_t a = publish_str(r, "q", "a");
    uint64_t b = publish_str(r, "q", "b");
    publish_str(r, "q", "c");
    assert_counts(r, "q", 3, 0, 3, 0); /* stopped: ready all the same */
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    take(r, o, "q", "a");
    assert_counts(r, "q", 2, 1, 3, 0);
    take(r, o, "q", "b");
    assert_counts(r, "q", 1, 2, 3, 0);
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), a), WQ_OK);
    assert_counts(r, "q", 1, 1, 3, 1);
    assert_int_equal(wqi_registry_release(r, o, Q("q"), b), WQ_OK);
    assert_counts(r, "q", 2, 0, 3, 1);
    uint64_t n = 99;
    assert_int_equal(wqi_registry_queue_purge(r, Q("q"), &n), WQ_OK);
    assert_int_equal(n, 2);
    assert_counts(r, "q", 0, 0, 3, 1); /* purge completes nothing */
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void purge_removes_only_ready_items(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t ids[5];
    const char *names[] = {"1", "2", "3", "4", "5"};
    for (int i = 0; i < 5; i++) {
        ids[i] = publish_str(r, "q", names[i]);
    }
    take(r, o, "q", "1");
    take(r, o, "q", "2");
    take(r, o, "q", "3");
    assert_int_equal(wqi_registry_release(r, o, Q("q"), ids[1]), WQ_OK);
    /* Ready: 2 (returned), 4, 5; leased: 1, 3. */
    uint64_t n = 0;
    assert_int_equal(wqi_registry_queue_purge(r, Q("q"), &n), WQ_OK);
    assert_int_equal(n, 3);
    assert_counts(r, "q", 0, 2, 5, 0);
    assert_int_equal(take(r, o, "q", NULL), 0);
    assert_int_equal(wqi_registry_queue_purge(r, Q("q"), &n), WQ_OK);
    assert_int_equal(n, 0);
    /* Leased items survive and can still be acked or released. */
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), ids[0]), WQ_OK);
    assert_int_equal(wqi_registry_release(r, o, Q("q"), ids[2]), WQ_OK);
    assert_int_equal(take(r, o, "q", "3"), ids[2]);
    /* New items after a purge. */
    uint64_t later = publish_str(r, "q", "later");
    assert_int_equal(take(r, o, "q", "later"), later);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void full_queue_is_507(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 2);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("p")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t a = publish_str(r, "q", "a");
    publish_str(r, "q", "b");
    assert_int_equal(wqi_registry_publish(r, Q("q"), "c", 1, NULL), WQ_ELIMIT);
    /* Leased items count: ready + leased. */
    take(r, o, "q", "a");
    assert_int_equal(wqi_registry_publish(r, Q("q"), "c", 1, NULL), WQ_ELIMIT);
    /* The limit is per queue. */
    publish_str(r, "p", "elsewhere");
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), a), WQ_OK);
    publish_str(r, "q", "c");
    assert_counts(r, "q", 2, 0, 3, 1);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void require_text_refuses_a_binary_oldest_item_and_leaves_it_ready(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t bin;
    assert_int_equal(wqi_registry_publish(r, Q("q"), "\xff\xfe", 2, &bin), WQ_OK);
    uint64_t text = publish_str(r, "q", "text");
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 1, &it), WQ_ENOTTEXT);
    assert_int_equal(it.id, 0);
    /* At once even with a wait that would never end. */
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), INT64_MAX, 1, &it), WQ_ENOTTEXT);
    assert_counts(r, "q", 2, 0, 2, 0);
    /* A binary-capable retrieve gets it; then text flows. */
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, bin);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 1, &it), WQ_OK);
    assert_int_equal(it.id, text);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void text_waiter_gets_406_when_a_binary_item_arrives(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    struct waiter_thread text, any;
    memset(&text, 0, sizeof text);
    text.r = r;
    text.o = new_owner(r);
    text.q = "q";
    text.deadline = INT64_MAX;
    text.require_text = 1;
    assert_int_equal(wqi_thread_start(&text.t, waiter_main, &text), WQ_OK);
    await_waiters(r, "q", 1);
    start_waiter(&any, r, "q", 2);
    uint64_t bin;
    assert_int_equal(wqi_registry_publish(r, Q("q"), "\x80", 1, &bin), WQ_OK);
    join_waiter(&text);
    join_waiter(&any);
    assert_int_equal(text.err, WQ_ENOTTEXT);
    assert_int_equal(any.err, WQ_OK);
    assert_int_equal(any.id, bin);
    wqi_registry_owner_destroy(r, text.o);
    wqi_registry_owner_destroy(r, any.o);
    wqi_registry_destroy(r);
}

static void shutdown_wakes_every_waiter_with_503(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("a")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("b")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("b")), WQ_OK);
    struct waiter_thread w[4];
    start_waiter(&w[0], r, "a", 1);
    start_waiter(&w[1], r, "a", 2);
    start_waiter(&w[2], r, "b", 1);
    start_waiter(&w[3], r, "b", 2);
    wqi_registry_shutdown(r);
    for (size_t i = 0; i < 4; i++) {
        join_waiter(&w[i]);
        assert_int_equal(w[i].err, WQ_ESHUTDOWN);
        wqi_registry_owner_destroy(r, w[i].o);
    }
    /* Later waits fail at once; requests that do not wait still work. */
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("b"), INT64_MAX, 0, &it), WQ_ESHUTDOWN);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("b"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, 0);
    uint64_t id = publish_str(r, "b", "x");
    assert_int_equal(wqi_registry_retrieve(r, o, Q("b"), INT64_MAX, 0, &it), WQ_OK);
    assert_int_equal(it.id, id);
    wqi_registry_shutdown(r); /* idempotent */
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void payload_stays_valid_until_the_owners_next_call(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    publish_str(r, "q", "still here");
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    /* Another connection deletes the queue while this one formats ITEM. */
    assert_int_equal(wqi_registry_queue_delete(r, Q("q")), WQ_OK);
    assert_memory_equal(it.payload, "still here", it.len); /* valgrind checks */
    /* The owner's next call ends the window and frees the chunk. */
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), it.id), WQ_ENOTFOUND);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

/* ---- the storage hook -------------------------------------------------- */

struct fake_store {
    char log[64][96];
    size_t n;
    wq_err fail; /* returned by every hook when not WQ_OK */
};

static struct fake_store store;

static wq_err fake_record(const char *line)
{
    if (store.fail != WQ_OK) {
        return store.fail;
    }
    assert_true(store.n < 64);
    snprintf(store.log[store.n++], sizeof store.log[0], "%s", line);
    return WQ_OK;
}

static wq_err fake_named(const char *op, const char *name)
{
    char line[96];
    snprintf(line, sizeof line, "%s %s", op, name);
    return fake_record(line);
}

static wq_err fake_item(const char *op, const char *name, uint64_t id)
{
    char line[96];
    snprintf(line, sizeof line, "%s %s %llu", op, name, (unsigned long long)id);
    return fake_record(line);
}

static wq_err fake_create(void *ctx, const char *name)
{
    assert_ptr_equal(ctx, &store);
    return fake_named("create", name);
}

static wq_err fake_remove(void *ctx, const char *name)
{
    (void)ctx;
    return fake_named("delete", name);
}

static wq_err fake_start(void *ctx, const char *name)
{
    (void)ctx;
    return fake_named("start", name);
}

static wq_err fake_stop(void *ctx, const char *name)
{
    (void)ctx;
    return fake_named("stop", name);
}

static wq_err fake_purge(void *ctx, const char *name)
{
    (void)ctx;
    return fake_named("purge", name);
}

static wq_err fake_publish(void *ctx, const char *name, uint64_t id, const void *payload,
                           size_t len)
{
    (void)ctx;
    char line[96];
    snprintf(line, sizeof line, "publish %s %llu %.*s", name, (unsigned long long)id, (int)len,
             (const char *)payload);
    return fake_record(line);
}

static wq_err fake_ack(void *ctx, const char *name, uint64_t id)
{
    (void)ctx;
    return fake_item("ack", name, id);
}

static wq_err fake_release(void *ctx, const char *name, uint64_t id)
{
    (void)ctx;
    return fake_item("release", name, id);
}

static const struct wqi_store_ops fake_ops = {fake_create,  fake_remove, fake_start,   fake_stop,
                                              fake_publish, fake_ack,    fake_release, fake_purge};

static wqi_registry *new_stored_registry(void)
{
    memset(&store, 0, sizeof store);
    wqi_registry_config cfg;
    wqi_registry_config_init(&cfg);
    cfg.store = &fake_ops;
    cfg.store_ctx = &store;
    wqi_registry *r = NULL;
    assert_int_equal(wqi_registry_create(&cfg, &r), WQ_OK);
    return r;
}

static void store_sees_every_change_in_order(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("Jobs")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("jobs")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("jobs")), WQ_OK); /* no change */
    publish_str(r, "jobs", "one");
    publish_str(r, "jobs", "two");
    publish_str(r, "jobs", "three");
    take(r, o, "jobs", "one"); /* leases are not stored */
    take(r, o, "jobs", "two");
    assert_int_equal(wqi_registry_ack(r, o, Q("jobs"), 1), WQ_OK);
    assert_int_equal(wqi_registry_release(r, o, Q("jobs"), 2), WQ_OK);
    uint64_t n;
    assert_int_equal(wqi_registry_queue_purge(r, Q("jobs"), &n), WQ_OK);
    assert_int_equal(wqi_registry_queue_purge(r, Q("jobs"), &n), WQ_OK); /* nothing */
    assert_int_equal(wqi_registry_queue_stop(r, Q("jobs")), WQ_OK);
    assert_int_equal(wqi_registry_queue_delete(r, Q("jobs")), WQ_OK);
    const char *want[] = {"create Jobs",        "start Jobs",           "publish Jobs 1 one",
                          "publish Jobs 2 two", "publish Jobs 3 three", "ack Jobs 1",
                          "release Jobs 2",     "purge Jobs",           "stop Jobs",
                          "delete Jobs"};
    assert_int_equal(store.n, 10);
    for (size_t i = 0; i < store.n; i++) {
        assert_string_equal(store.log[i], want[i]);
    }
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void assert_same_info(const wqi_queue_info *a, const wqi_queue_info *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->started, b->started);
    assert_int_equal(a->ready, b->ready);
    assert_int_equal(a->leased, b->leased);
    assert_int_equal(a->published, b->published);
    assert_int_equal(a->completed, b->completed);
}

/* Everything LIST shows, compared with a snapshot taken before. */
static void assert_unchanged(wqi_registry *r, const wqi_queue_info *before, size_t nbefore)
{
    wqi_queue_info *rows;
    size_t n;
    assert_int_equal(wqi_registry_list(r, &rows, &n), WQ_OK);
    assert_int_equal(n, nbefore);
    for (size_t i = 0; i < n; i++) {
        assert_same_info(&rows[i], &before[i]);
    }
    wqi_registry_list_free(rows);
}

static void a_failing_store_leaves_the_registry_unchanged(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("stopped")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    publish_str(r, "q", "a");
    publish_str(r, "q", "b");
    uint64_t leased = take(r, o, "q", "a");
    wqi_queue_info *before;
    size_t n;
    assert_int_equal(wqi_registry_list(r, &before, &n), WQ_OK);

    store.fail = WQ_ELIMIT; /* "storage full" */
    uint64_t count = 7;
    assert_int_equal(wqi_registry_queue_create(r, Q("new")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_delete(r, Q("q")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_start(r, Q("stopped")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_stop(r, Q("q")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_publish(r, Q("q"), "c", 1, NULL), WQ_ELIMIT);
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), leased), WQ_ELIMIT);
    assert_int_equal(wqi_registry_release(r, o, Q("q"), leased), WQ_ELIMIT);
    assert_int_equal(wqi_registry_queue_purge(r, Q("q"), &count), WQ_ELIMIT);
    assert_int_equal(count, 7);
    assert_unchanged(r, before, n);
    wqi_queue_info s;
    assert_int_equal(wqi_registry_queue_status(r, Q("new"), &s), WQ_ENOTFOUND);

    /* Once the store works again, so does everything, and no id was lost. */
    store.fail = WQ_OK;
    assert_int_equal(publish_str(r, "q", "c"), 3);
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), leased), WQ_OK);
    assert_int_equal(take(r, o, "q", "b"), 2);
    wqi_registry_list_free(before);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void a_refused_publish_into_an_empty_queue_leaves_no_trace(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("e")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("e")), WQ_OK);
    store.fail = WQ_ELIMIT;
    assert_int_equal(wqi_registry_publish(r, Q("e"), "small", 5, NULL), WQ_ELIMIT);
    assert_counts(r, "e", 0, 0, 0, 0);
    assert_int_equal(take(r, o, "e", NULL), 0);
    store.fail = WQ_OK;
    /* Larger than whatever the refused publish prepared. */
    static char big[3000];
    memset(big, 'b', sizeof big);
    uint64_t id;
    assert_int_equal(wqi_registry_publish(r, Q("e"), big, sizeof big, &id), WQ_OK);
    assert_int_equal(id, 1);
    uint64_t small = publish_str(r, "e", "small");
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("e"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, 1);
    assert_int_equal(it.len, sizeof big);
    assert_memory_equal(it.payload, big, sizeof big);
    assert_int_equal(take(r, o, "e", "small"), small);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void closing_an_owner_releases_even_if_the_store_fails(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    publish_str(r, "q", "a");
    take(r, o, "q", "a");
    store.fail = WQ_EIO;
    assert_int_equal(wqi_registry_owner_release(r, o), WQ_EIO);
    store.fail = WQ_OK;
    assert_counts(r, "q", 1, 0, 1, 0);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

/* ---- large payloads kept in their block --------------------------------- */

/* A received request is a block holding "PUBLISH q " and then the payload. */
static void *request_block(size_t payload_len, uint8_t fill, uint8_t **payload)
{
    uint8_t *b = wqi_malloc(10 + payload_len);
    assert_non_null(b);
    memcpy(b, "PUBLISH q ", 10);
    memset(b + 10, fill, payload_len);
    *payload = b + 10;
    return b;
}

/* ---- the memory budget ------------------------------------------------- */

static wqi_registry *new_budget_registry(uint64_t max_bytes)
{
    wqi_registry_config cfg;
    wqi_registry_config_init(&cfg);
    cfg.max_bytes = max_bytes;
    wqi_registry *r = NULL;
    assert_int_equal(wqi_registry_create(&cfg, &r), WQ_OK);
    return r;
}

/* Publishing 100-byte items into a budget of 3 of them (plus overhead):
 * the fourth is refused and changes nothing; ACK, PURGE and DELETE each
 * give back exactly what their items counted; RELEASE gives nothing back
 * (the item is still held). Empty items count their overhead. */
static void the_byte_budget_bounds_what_items_hold(void **state)
{
    (void)state;
    const uint64_t each = wqi_item_charge(100);
    wqi_registry *r = new_budget_registry(3 * each);
    wqi_owner *o = new_owner(r);
    char payload[100];
    memset(payload, 'p', sizeof payload);
    assert_int_equal(wqi_registry_queue_create(r, Q("a")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("b")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("a")), WQ_OK);
    uint64_t id = 0;
    assert_int_equal(wqi_registry_publish(r, Q("a"), payload, 100, &id), WQ_OK);
    assert_int_equal(wqi_registry_publish(r, Q("a"), payload, 100, &id), WQ_OK);
    assert_int_equal(wqi_registry_publish(r, Q("b"), payload, 100, &id), WQ_OK);
    assert_int_equal(wqi_registry_bytes(r), 3 * each);
    uint64_t last = id;
    assert_int_equal(wqi_registry_publish(r, Q("a"), payload, 100, &id), WQ_ENOMEM);
    assert_int_equal(wqi_registry_publish(r, Q("b"), "", 0, NULL), WQ_ENOMEM);
    wqi_queue_info qi;
    assert_int_equal(wqi_registry_queue_status(r, Q("a"), &qi), WQ_OK);
    assert_int_equal(qi.ready, 2);
    assert_int_equal(qi.published, 2);
    assert_int_equal(wqi_registry_bytes(r), 3 * each);

    /* Leased and released: still held, still counted. */
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("a"), WQI_NO_WAIT, 0, &it), WQ_OK);
    uint64_t leased = it.id;
    assert_int_equal(wqi_registry_release(r, o, Q("a"), leased), WQ_OK);
    assert_int_equal(wqi_registry_bytes(r), 3 * each);
    /* ACK gives one back: one more fits, and its id follows the last. */
    assert_int_equal(wqi_registry_retrieve(r, o, Q("a"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(wqi_registry_ack(r, o, Q("a"), it.id), WQ_OK);
    assert_int_equal(wqi_registry_bytes(r), 2 * each);
    assert_int_equal(wqi_registry_publish(r, Q("a"), payload, 100, &id), WQ_OK);
    assert_int_equal(id, last + 1);
    /* PURGE gives back the ready ones only: one of a's two is leased. */
    assert_int_equal(wqi_registry_retrieve(r, o, Q("a"), WQI_NO_WAIT, 0, &it), WQ_OK);
    uint64_t n = 0;
    assert_int_equal(wqi_registry_queue_purge(r, Q("a"), &n), WQ_OK);
    assert_int_equal(n, 1);
    assert_int_equal(wqi_registry_bytes(r), 2 * each);
    /* DELETE gives back ready and leased alike. */
    assert_int_equal(wqi_registry_queue_delete(r, Q("a")), WQ_OK);
    assert_int_equal(wqi_registry_bytes(r), each);
    assert_int_equal(wqi_registry_queue_delete(r, Q("b")), WQ_OK);
    assert_int_equal(wqi_registry_bytes(r), 0);
    /* Empty items count their overhead: the budget holds exactly this many. */
    assert_int_equal(wqi_registry_queue_create(r, Q("e")), WQ_OK);
    uint64_t fit = 3 * each / WQI_ITEM_OVERHEAD;
    for (uint64_t i = 0; i < fit; i++) {
        assert_int_equal(wqi_registry_publish(r, Q("e"), "", 0, NULL), WQ_OK);
    }
    assert_int_equal(wqi_registry_publish(r, Q("e"), "", 0, NULL), WQ_ENOMEM);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

/* With the memory reserve spent (alloc.h), PUBLISH is refused whatever
 * the budget; the rest works; once the reserve is back, PUBLISH is too. */
static void a_spent_reserve_refuses_publish_only(void **state)
{
    (void)state;
    wqi_registry *r = new_budget_registry(0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint64_t id = publish_str(r, "q", "kept");
    assert_int_equal(wqi_alloc_reserve_acquire(), WQ_OK);
    assert_int_equal(wqi_alloc_reserve_spend(), 1);
    assert_true(wqi_alloc_reserve_spent());
    assert_int_equal(wqi_registry_publish(r, Q("q"), "x", 1, NULL), WQ_ENOMEM);
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id);
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), id), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("other")), WQ_OK);
    assert_int_equal(wqi_registry_queue_delete(r, Q("other")), WQ_OK);
    assert_int_equal(wqi_alloc_reserve_restore(), 1);
    assert_false(wqi_alloc_reserve_spent());
    assert_int_equal(wqi_registry_publish(r, Q("q"), "x", 1, NULL), WQ_OK);
    wqi_alloc_reserve_release();
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void large_payloads_are_kept_in_their_block_not_copied(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    uint8_t *p1, *p2, *p3;
    void *b1 = request_block(WQI_ADOPT_MIN, 'a', &p1);
    void *b2 = request_block(WQI_ADOPT_MIN + 1000, 'b', &p2);
    void *b3 = request_block(3 * WQI_ADOPT_MIN, 'c', &p3);
    uint64_t id1, id2, id3;
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p1, WQI_ADOPT_MIN, &b1, &id1), WQ_OK);
    assert_null(b1);
    uint64_t small = publish_str(r, "q", "between");
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p2, WQI_ADOPT_MIN + 1000, &b2, &id2),
                     WQ_OK);
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p3, 3 * WQI_ADOPT_MIN, &b3, &id3),
                     WQ_OK);
    assert_null(b2);
    assert_null(b3);

    /* Handed out from where it arrived, in order, small ones in between. */
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id1);
    assert_ptr_equal(it.payload, p1);
    assert_int_equal(it.len, WQI_ADOPT_MIN);
    assert_int_equal(take(r, o, "q", "between"), small);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_ptr_equal(it.payload, p2);
    /* Released and taken again: still the same bytes in the same place. */
    assert_int_equal(wqi_registry_release(r, o, Q("q"), id2), WQ_OK);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id2);
    assert_ptr_equal(it.payload, p2);
    assert_int_equal(it.payload[WQI_ADOPT_MIN + 999], 'b');
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), id1), WQ_OK);
    assert_int_equal(wqi_registry_ack(r, o, Q("q"), id2), WQ_OK);
    /* The third is purged, a fourth is leased when its queue is deleted:
     * every block is freed exactly once (ASan and the leak check say so). */
    uint64_t n = 0;
    assert_int_equal(wqi_registry_queue_purge(r, Q("q"), &n), WQ_OK);
    assert_int_equal(n, 1);
    uint8_t *p4;
    void *b4 = request_block(WQI_ADOPT_MIN * 2, 'd', &p4);
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p4, WQI_ADOPT_MIN * 2, &b4, NULL),
                     WQ_OK);
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_ptr_equal(it.payload, p4);
    assert_int_equal(wqi_registry_queue_delete(r, Q("q")), WQ_OK);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
    (void)id3;
}

static void small_or_refused_publishes_leave_the_block_with_the_caller(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_queue_create(r, Q("q")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("q")), WQ_OK);
    /* Below the threshold the payload is copied: the block stays ours and
     * may be freed at once without harming the item. */
    uint8_t *p;
    void *b = request_block(WQI_ADOPT_MIN - 1, 's', &p);
    void *keep = b;
    uint64_t id;
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p, WQI_ADOPT_MIN - 1, &b, &id), WQ_OK);
    assert_ptr_equal(b, keep);
    wqi_free(b);
    /* A refused publish (store full, unknown queue, bad name) takes
     * nothing either. */
    b = request_block(WQI_ADOPT_MIN, 'x', &p);
    keep = b;
    store.fail = WQ_ELIMIT;
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p, WQI_ADOPT_MIN, &b, NULL), WQ_ELIMIT);
    assert_ptr_equal(b, keep);
    store.fail = WQ_OK;
    assert_int_equal(wqi_registry_publish_block(r, Q("nope"), p, WQI_ADOPT_MIN, &b, NULL),
                     WQ_ENOTFOUND);
    assert_int_equal(wqi_registry_publish_block(r, "", 0, p, WQI_ADOPT_MIN, &b, NULL), WQ_EINVAL);
    assert_ptr_equal(b, keep);
    /* The refused one left no trace: the next publish is adopted and comes
     * out right after the copied one. */
    uint64_t id2;
    assert_int_equal(wqi_registry_publish_block(r, Q("q"), p, WQI_ADOPT_MIN, &b, &id2), WQ_OK);
    assert_null(b);
    wqi_item it;
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id);
    assert_int_equal(it.len, WQI_ADOPT_MIN - 1);
    assert_int_equal(it.payload[0], 's');
    assert_int_equal(it.payload[WQI_ADOPT_MIN - 2], 's');
    assert_int_equal(wqi_registry_retrieve(r, o, Q("q"), WQI_NO_WAIT, 0, &it), WQ_OK);
    assert_int_equal(it.id, id2);
    assert_ptr_equal(it.payload, p);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

/* ---- a model check of the item store ----------------------------------- */

/* Drives one queue through a long deterministic random sequence and checks
 * each answer against a plain array model: item sizes cross chunk sizes
 * (0 bytes to 40 KiB; half of those over WQI_ADOPT_MIN adopted rather
 * than copied), ids interleave with a second queue (large deltas), and
 * releases, purges, stops and acks happen in between. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

enum { MODEL_MAX = 4096, MODEL_OWNERS = 3 };
struct model_item {
    uint64_t id;
    size_t len;
    int state; /* 0 gone, 1 ready, 2 leased */
    int owner;
};

static uint8_t model_byte(uint64_t id, size_t i)
{
    return (uint8_t)(id * 131 + i * 17);
}

static size_t model_len(void)
{
    uint32_t k = rng() % 100;
    if (k < 5) {
        return 0;
    }
    if (k < 8) {
        return 16000 + rng() % 25000;
    }
    return k < 60 ? 64 : rng() % 700;
}

static void item_store_matches_a_simple_model(void **state)
{
    (void)state;
    static struct model_item m[MODEL_MAX];
    static uint8_t buf[41000];
    size_t nm = 0;
    uint64_t ready = 0, leased = 0, completed = 0;
    int started = 1;
    wqi_registry *r = new_registry(0, 0);
    wqi_owner *o[MODEL_OWNERS];
    for (int i = 0; i < MODEL_OWNERS; i++) {
        o[i] = new_owner(r);
    }
    assert_int_equal(wqi_registry_queue_create(r, Q("m")), WQ_OK);
    assert_int_equal(wqi_registry_queue_create(r, Q("noise")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(r, Q("m")), WQ_OK);
    for (int step = 0; step < 20000 && nm < MODEL_MAX; step++) {
        uint32_t op = rng() % 100;
        if (op < 35) { /* publish, sometimes after noise elsewhere */
            uint64_t id;
            for (uint32_t k = rng() % 4 == 0 ? rng() % 300 : 0; k > 0; k--) {
                assert_int_equal(wqi_registry_publish(r, Q("noise"), "n", 1, NULL), WQ_OK);
            }
            size_t len = model_len();
            for (size_t i = 0; i < len; i++) {
                buf[i] = model_byte(nm, i);
            }
            if (len >= WQI_ADOPT_MIN && rng() % 2) {
                /* the server's way: the registry keeps the block */
                void *block = wqi_malloc(len);
                assert_non_null(block);
                memcpy(block, buf, len);
                assert_int_equal(wqi_registry_publish_block(r, Q("m"), block, len, &block, &id),
                                 WQ_OK);
                assert_null(block);
            } else {
                assert_int_equal(wqi_registry_publish(r, Q("m"), buf, len, &id), WQ_OK);
            }
            m[nm].id = id;
            m[nm].len = len;
            m[nm].state = 1;
            nm++;
            ready++;
        } else if (op < 65) { /* retrieve: the lowest ready id, if started */
            int who = (int)(rng() % MODEL_OWNERS);
            wqi_item it;
            assert_int_equal(wqi_registry_retrieve(r, o[who], Q("m"), WQI_NO_WAIT, 0, &it), WQ_OK);
            size_t k = 0;
            while (k < nm && m[k].state != 1) {
                k++;
            }
            if (!started || k == nm) {
                assert_int_equal(it.id, 0);
                continue;
            }
            assert_int_equal(it.id, m[k].id);
            assert_int_equal(it.len, m[k].len);
            for (size_t i = 0; i < it.len; i++) {
                assert_int_equal(it.payload[i], model_byte(k, i));
            }
            m[k].state = 2;
            m[k].owner = who;
            ready--;
            leased++;
        } else if (op < 90 && leased > 0) { /* ack or release a random lease */
            size_t k;
            do {
                k = rng() % nm;
            } while (m[k].state != 2);
            wqi_owner *holder = o[m[k].owner];
            if (rng() % 2) {
                assert_int_equal(wqi_registry_ack(r, holder, Q("m"), m[k].id), WQ_OK);
                m[k].state = 0;
                completed++;
            } else {
                assert_int_equal(wqi_registry_release(r, holder, Q("m"), m[k].id), WQ_OK);
                m[k].state = 1;
                ready++;
            }
            leased--;
        } else if (op < 92) { /* an owner goes away */
            int who = (int)(rng() % MODEL_OWNERS);
            assert_int_equal(wqi_registry_owner_release(r, o[who]), WQ_OK);
            for (size_t k = 0; k < nm; k++) {
                if (m[k].state == 2 && m[k].owner == who) {
                    m[k].state = 1;
                    ready++;
                    leased--;
                }
            }
        } else if (op < 93) {
            uint64_t n;
            assert_int_equal(wqi_registry_queue_purge(r, Q("m"), &n), WQ_OK);
            assert_int_equal(n, ready);
            for (size_t k = 0; k < nm; k++) {
                if (m[k].state == 1) {
                    m[k].state = 0;
                }
            }
            ready = 0;
        } else if (op < 95) {
            started = !started;
            assert_int_equal(started ? wqi_registry_queue_start(r, Q("m"))
                                     : wqi_registry_queue_stop(r, Q("m")),
                             WQ_OK);
        }
        assert_counts(r, "m", ready, leased, nm, completed);
    }
    for (int i = 0; i < MODEL_OWNERS; i++) {
        wqi_registry_owner_destroy(r, o[i]);
    }
    wqi_registry_destroy(r);
}

/* ---- many threads ------------------------------------------------------ */

enum { PUBLISHERS = 4, PER_PUBLISHER = 2000, CONSUMERS = 4 };

struct stress {
    wqi_registry *r;
    wqi_mutex lock;
    wqi_cond all_done;
    unsigned acked[PUBLISHERS][PER_PUBLISHER];
    unsigned total;
};

struct worker {
    wqi_thread t;
    struct stress *s;
    unsigned index;
};

static void publisher_main(void *arg)
{
    struct worker *w = arg;
    char payload[32];
    for (unsigned i = 0; i < PER_PUBLISHER; i++) {
        int len = snprintf(payload, sizeof payload, "%u:%u", w->index, i);
        if (wqi_registry_publish(w->s->r, Q("work"), payload, (size_t)len, NULL) != WQ_OK) {
            abort();
        }
    }
}

/* Retrieves until shutdown; releases every fifth item once (it must come
 * back), acks the rest and counts each (publisher, sequence) it acks. */
static void consumer_main(void *arg)
{
    struct worker *w = arg;
    struct stress *s = w->s;
    wqi_owner *o = NULL;
    if (wqi_registry_owner_create(s->r, &o) != WQ_OK) {
        abort();
    }
    unsigned n = 0;
    for (;;) {
        wqi_item it;
        wq_err err = wqi_registry_retrieve(s->r, o, Q("work"), INT64_MAX, 0, &it);
        if (err == WQ_ESHUTDOWN) {
            break;
        }
        if (err != WQ_OK || it.id == 0) {
            abort();
        }
        unsigned p, i;
        char text[32];
        memcpy(text, it.payload, it.len);
        text[it.len] = '\0';
        if (sscanf(text, "%u:%u", &p, &i) != 2 || p >= PUBLISHERS || i >= PER_PUBLISHER) {
            abort();
        }
        if (++n % 5 == 0 && it.id % 2 == 0) {
            if (wqi_registry_release(s->r, o, Q("work"), it.id) != WQ_OK) {
                abort();
            }
            continue;
        }
        if (wqi_registry_ack(s->r, o, Q("work"), it.id) != WQ_OK) {
            abort();
        }
        wqi_mutex_lock(&s->lock);
        s->acked[p][i]++;
        if (++s->total == PUBLISHERS * PER_PUBLISHER) {
            wqi_cond_broadcast(&s->all_done);
        }
        wqi_mutex_unlock(&s->lock);
    }
    wqi_registry_owner_destroy(s->r, o);
}

static void concurrent_publish_retrieve_ack_delivers_each_item_once(void **state)
{
    (void)state;
    static struct stress s;
    memset(&s, 0, sizeof s);
    s.r = new_registry(0, 0);
    wqi_mutex_init(&s.lock);
    wqi_cond_init(&s.all_done);
    assert_int_equal(wqi_registry_queue_create(s.r, Q("work")), WQ_OK);
    assert_int_equal(wqi_registry_queue_start(s.r, Q("work")), WQ_OK);
    struct worker pubs[PUBLISHERS], cons[CONSUMERS];
    for (unsigned i = 0; i < CONSUMERS; i++) {
        cons[i].s = &s;
        cons[i].index = i;
        assert_int_equal(wqi_thread_start(&cons[i].t, consumer_main, &cons[i]), WQ_OK);
    }
    for (unsigned i = 0; i < PUBLISHERS; i++) {
        pubs[i].s = &s;
        pubs[i].index = i;
        assert_int_equal(wqi_thread_start(&pubs[i].t, publisher_main, &pubs[i]), WQ_OK);
    }
    for (unsigned i = 0; i < PUBLISHERS; i++) {
        wqi_thread_join(&pubs[i].t);
    }
    wqi_mutex_lock(&s.lock);
    while (s.total < PUBLISHERS * PER_PUBLISHER) {
        wqi_cond_wait(&s.all_done, &s.lock);
    }
    wqi_mutex_unlock(&s.lock);
    wqi_registry_shutdown(s.r);
    for (unsigned i = 0; i < CONSUMERS; i++) {
        wqi_thread_join(&cons[i].t);
    }
    for (unsigned p = 0; p < PUBLISHERS; p++) {
        for (unsigned i = 0; i < PER_PUBLISHER; i++) {
            assert_int_equal(s.acked[p][i], 1);
        }
    }
    assert_counts(s.r, "work", 0, 0, PUBLISHERS * PER_PUBLISHER, PUBLISHERS * PER_PUBLISHER);
    wqi_cond_destroy(&s.all_done);
    wqi_mutex_destroy(&s.lock);
    wqi_registry_destroy(s.r);
}

/* ---- restoring (a journal's replay) ----------------------------------- */

/* Queues come back in their state with their counters, items with their
 * original ids in id order (gaps and all), the store hears nothing, and
 * new ids continue above everything restored or declared used. */
static void restored_state_is_served_as_it_was(void **state)
{
    (void)state;
    wqi_registry *r = new_stored_registry();
    wqi_owner *o = new_owner(r);
    assert_int_equal(wqi_registry_restore_queue(r, Q("Jobs"), 1, 10, 4), WQ_OK);
    assert_int_equal(wqi_registry_restore_queue(r, Q("Later"), 0, 0, 0), WQ_OK);
    assert_int_equal(wqi_registry_restore_item(r, Q("jobs"), 5, "five", 4), WQ_OK);
    assert_int_equal(wqi_registry_restore_item(r, Q("Later"), 6, "", 0), WQ_OK);
    assert_int_equal(wqi_registry_restore_item(r, Q("Jobs"), 9, "nine", 4), WQ_OK);
    assert_int_equal(wqi_registry_restore_item(r, Q("Jobs"), 200, "two hundred", 11), WQ_OK);
    assert_int_equal(store.n, 0);

    wqi_queue_info qi;
    assert_int_equal(wqi_registry_queue_status(r, Q("jobs"), &qi), WQ_OK);
    assert_string_equal(qi.name, "Jobs");
    assert_int_equal(qi.started, 1);
    assert_int_equal(qi.ready, 3);
    assert_int_equal(qi.published, 10);
    assert_int_equal(qi.completed, 4);
    assert_int_equal(wqi_registry_queue_status(r, Q("later"), &qi), WQ_OK);
    assert_int_equal(qi.started, 0);
    assert_int_equal(qi.ready, 1);
    assert_int_equal(wqi_registry_bytes(r),
                     wqi_item_charge(4) * 2 + wqi_item_charge(11) + wqi_item_charge(0));
    assert_int_equal(take(r, o, "Jobs", "five"), 5);
    assert_int_equal(take(r, o, "Jobs", "nine"), 9);
    assert_int_equal(take(r, o, "Jobs", "two hundred"), 200);
    /* New ids continue above the highest restored... */
    assert_int_equal(publish_str(r, "Jobs", "new"), 201);
    /* ...or above what was declared used, never below. */
    wqi_registry_restore_next_id(r, 1000);
    wqi_registry_restore_next_id(r, 500);
    assert_int_equal(publish_str(r, "Jobs", "newer"), 1000);
    wqi_registry_owner_destroy(r, o);
    wqi_registry_destroy(r);
}

static void restoring_refuses_what_cannot_be_stored_in_order(void **state)
{
    (void)state;
    wqi_registry *r = new_registry(1, 1); /* limits do not apply to a restore */
    assert_int_equal(wqi_registry_restore_queue(r, Q("a"), 0, 0, 0), WQ_OK);
    assert_int_equal(wqi_registry_restore_queue(r, Q("b"), 0, 0, 0), WQ_OK);
    assert_int_equal(wqi_registry_restore_queue(r, Q("A"), 1, 0, 0), WQ_EEXIST);
    assert_int_equal(wqi_registry_restore_item(r, Q("a"), 7, "x", 1), WQ_OK);
    assert_int_equal(wqi_registry_restore_item(r, Q("a"), 8, "y", 1), WQ_OK); /* over max_items */
    assert_int_equal(wqi_registry_restore_item(r, Q("a"), 8, "z", 1), WQ_EINVAL);
    assert_int_equal(wqi_registry_restore_item(r, Q("a"), 3, "z", 1), WQ_EINVAL);
    assert_int_equal(wqi_registry_restore_item(r, Q("b"), 3, "z", 1), WQ_OK); /* per queue */
    assert_int_equal(wqi_registry_restore_item(r, Q("b"), 0, "z", 1), WQ_EINVAL);
    assert_int_equal(wqi_registry_restore_item(r, Q("c"), 20, "z", 1), WQ_ENOTFOUND);
    /* Over the limits now: adding is refused, nothing restored is lost. */
    assert_int_equal(wqi_registry_queue_create(r, Q("c")), WQ_ELIMIT);
    assert_int_equal(wqi_registry_publish(r, Q("a"), "w", 1, NULL), WQ_ELIMIT);
    wqi_queue_info qi;
    assert_int_equal(wqi_registry_queue_status(r, Q("a"), &qi), WQ_OK);
    assert_int_equal(qi.ready, 2);
    wqi_registry_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_gives_a_stopped_empty_queue_named_as_written),
        cmocka_unit_test(create_of_an_existing_name_in_any_case_is_409),
        cmocka_unit_test(create_beyond_max_queues_is_507_but_409_wins),
        cmocka_unit_test(default_limit_is_65536_queues),
        cmocka_unit_test(unknown_queues_are_404_everywhere),
        cmocka_unit_test(delete_removes_queue_items_and_leases),
        cmocka_unit_test(delete_wakes_its_waiters_with_410),
        cmocka_unit_test(start_and_stop_are_idempotent),
        cmocka_unit_test(list_is_sorted_case_insensitively_and_shows_stored_names),
        cmocka_unit_test(list_of_nothing_is_empty),
        cmocka_unit_test(list_of_10000_queues),
        cmocka_unit_test(items_come_out_in_publish_order),
        cmocka_unit_test(ids_increase_across_queues),
        cmocka_unit_test(payloads_are_binary_safe_and_any_length),
        cmocka_unit_test(stopped_queue_accepts_publish_and_holds_items_until_started),
        cmocka_unit_test(waiter_on_a_stopped_queue_gets_the_item_when_it_starts),
        cmocka_unit_test(waiter_gets_an_item_published_later),
        cmocka_unit_test(waiters_are_served_in_arrival_order),
        cmocka_unit_test(a_new_retrieve_never_overtakes_a_waiter),
        cmocka_unit_test(wait_ends_empty_at_the_deadline),
        cmocka_unit_test(a_waiter_that_gives_up_leaves_the_others_in_order),
        cmocka_unit_test(release_puts_an_item_back_at_its_place_by_id),
        cmocka_unit_test(a_released_item_goes_to_a_waiter),
        cmocka_unit_test(release_owner_returns_items_in_id_order),
        cmocka_unit_test(closing_a_connection_readies_its_items_in_place),
        cmocka_unit_test(only_the_holder_may_ack_or_release),
        cmocka_unit_test(thousands_of_leases_at_once),
        cmocka_unit_test(counters_follow_every_operation),
        cmocka_unit_test(purge_removes_only_ready_items),
        cmocka_unit_test(full_queue_is_507),
        cmocka_unit_test(require_text_refuses_a_binary_oldest_item_and_leaves_it_ready),
        cmocka_unit_test(text_waiter_gets_406_when_a_binary_item_arrives),
        cmocka_unit_test(shutdown_wakes_every_waiter_with_503),
        cmocka_unit_test(payload_stays_valid_until_the_owners_next_call),
        cmocka_unit_test(store_sees_every_change_in_order),
        cmocka_unit_test(restored_state_is_served_as_it_was),
        cmocka_unit_test(restoring_refuses_what_cannot_be_stored_in_order),
        cmocka_unit_test(a_failing_store_leaves_the_registry_unchanged),
        cmocka_unit_test(a_refused_publish_into_an_empty_queue_leaves_no_trace),
        cmocka_unit_test(closing_an_owner_releases_even_if_the_store_fails),
        cmocka_unit_test(large_payloads_are_kept_in_their_block_not_copied),
        cmocka_unit_test(the_byte_budget_bounds_what_items_hold),
        cmocka_unit_test(a_spent_reserve_refuses_publish_only),
        cmocka_unit_test(small_or_refused_publishes_leave_the_block_with_the_caller),
        cmocka_unit_test(item_store_matches_a_simple_model),
        cmocka_unit_test(concurrent_publish_retrieve_ack_delivers_each_item_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
