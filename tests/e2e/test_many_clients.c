/* test_many_clients.c — 32 clients publish and 8 workers retrieve (with a
 * wait) and acknowledge at the same time: every item is delivered exactly
 * once, none is lost, and the counters add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>

#include "live.h"
#include "platform.h"

static wqt_live live; /* stopped by the teardown, also after a failure */

static int stop_live(void **state)
{
    (void)state;
    wqt_live_stop(&live);
    return 0;
}

#define PUBLISHERS 32
#define PER_PUBLISHER 50
#define WORKERS 8
#define TOTAL (PUBLISHERS * PER_PUBLISHER)
/* How long a worker's RETRIEVE waits; workers stop once all is done. */
#define WORKER_WAIT_MS 100
/* Give up (and fail) if the items have not all arrived by then. */
#define GIVE_UP_MS 120000

struct shared {
    const wqt_live *live;
    wqi_mutex lock;
    uint64_t published_id[TOTAL]; /* by item index; 0 = not published */
    uint64_t delivered_id[TOTAL]; /* by item index; 0 = not delivered */
    unsigned times_delivered[TOTAL];
    size_t delivered;
    size_t errors;
    char first_error[256];
    int64_t give_up;
};

struct job {
    wqi_thread t;
    struct shared *sh;
    int index;
};

static void record_error(struct shared *sh, const char *what, wq_err err)
{
    wqi_mutex_lock(&sh->lock);
    if (sh->errors++ == 0) {
        snprintf(sh->first_error, sizeof sh->first_error, "%s: %s", what, wq_strerror(err));
    }
    wqi_mutex_unlock(&sh->lock);
}

static void publisher_main(void *arg)
{
    struct job *j = arg;
    struct shared *sh = j->sh;
    wq_client *c;
    wq_err err = wq_client_open(sh->live->ep.endpoint, NULL, &c);
    if (err != WQ_OK) {
        record_error(sh, "publisher open", err);
        return;
    }
    for (int k = 0; k < PER_PUBLISHER; k++) {
        int index = j->index * PER_PUBLISHER + k;
        char payload[32];
        int len = snprintf(payload, sizeof payload, "item %d from %d", index, j->index);
        uint64_t id = 0;
        err = wq_client_publish(c, "Work", payload, (size_t)len, &id);
        if (err != WQ_OK) {
            record_error(sh, "publish", err);
            break;
        }
        wqi_mutex_lock(&sh->lock);
        sh->published_id[index] = id;
        wqi_mutex_unlock(&sh->lock);
    }
    wq_client_close(c);
}

static int parse_index(const wq_item *item)
{
    int index = -1, from = -1;
    char tail;
    if (sscanf((const char *)item->payload, "item %d from %d%c", &index, &from, &tail) != 2 ||
        index < 0 || index >= TOTAL || index / PER_PUBLISHER != from) {
        return -1;
    }
    return index;
}

static void worker_main(void *arg)
{
    struct job *j = arg;
    struct shared *sh = j->sh;
    wq_client *c;
    wq_err err = wq_client_open(sh->live->ep.endpoint, NULL, &c);
    if (err != WQ_OK) {
        record_error(sh, "worker open", err);
        return;
    }
    for (;;) {
        wqi_mutex_lock(&sh->lock);
        int done = sh->delivered >= TOTAL || sh->errors > 0 || wqi_clock_ms() > sh->give_up;
        wqi_mutex_unlock(&sh->lock);
        if (done) {
            break;
        }
        wq_item item;
        int found;
        err = wq_client_retrieve(c, "Work", WORKER_WAIT_MS, &item, &found);
        if (err != WQ_OK) {
            record_error(sh, "retrieve", err);
            break;
        }
        if (!found) {
            continue;
        }
        int index = parse_index(&item);
        wqi_mutex_lock(&sh->lock);
        if (index < 0) {
            if (sh->errors++ == 0) {
                snprintf(sh->first_error, sizeof sh->first_error, "unexpected payload \"%.200s\"",
                         (const char *)item.payload);
            }
        } else {
            if (sh->times_delivered[index]++ == 0) {
                sh->delivered++;
            }
            sh->delivered_id[index] = item.id;
        }
        wqi_mutex_unlock(&sh->lock);
        err = wq_client_ack(c, "Work", item.id);
        wq_free(item.payload);
        if (err != WQ_OK) {
            record_error(sh, "ack", err);
            break;
        }
    }
    wq_client_close(c);
}

static void every_item_is_delivered_exactly_once(void **state)
{
    (void)state;
    wqt_live_start(&live, "many", NULL);
    wq_client *admin = wqt_live_client(&live);
    assert_int_equal(wq_client_create(admin, "Work"), WQ_OK);
    assert_int_equal(wq_client_start(admin, "Work"), WQ_OK);

    struct shared *sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    sh->live = &live;
    wqi_mutex_init(&sh->lock);
    sh->give_up = wqi_deadline(GIVE_UP_MS);
    struct job workers[WORKERS];
    struct job publishers[PUBLISHERS];
    int started_w = 0, started_p = 0;
    for (int i = 0; i < WORKERS; i++, started_w++) {
        workers[i].sh = sh;
        workers[i].index = i;
        if (wqi_thread_start(&workers[i].t, worker_main, &workers[i]) != WQ_OK) {
            break;
        }
    }
    for (int i = 0; i < PUBLISHERS; i++, started_p++) {
        publishers[i].sh = sh;
        publishers[i].index = i;
        if (wqi_thread_start(&publishers[i].t, publisher_main, &publishers[i]) != WQ_OK) {
            break;
        }
    }
    for (int i = 0; i < started_p; i++) {
        wqi_thread_join(&publishers[i].t);
    }
    for (int i = 0; i < started_w; i++) {
        wqi_thread_join(&workers[i].t);
    }
    wqi_mutex_destroy(&sh->lock);
    assert_int_equal(started_w, WORKERS);
    assert_int_equal(started_p, PUBLISHERS);
    if (sh->errors > 0) {
        fail_msg("%lu errors, the first: %s", (unsigned long)sh->errors, sh->first_error);
    }

    /* Every item exactly once, under the id its publish returned. */
    for (int i = 0; i < TOTAL; i++) {
        if (sh->times_delivered[i] != 1 || sh->published_id[i] == 0 ||
            sh->delivered_id[i] != sh->published_id[i]) {
            fail_msg("item %d: delivered %u times, published as %llu, delivered as %llu", i,
                     sh->times_delivered[i], (unsigned long long)sh->published_id[i],
                     (unsigned long long)sh->delivered_id[i]);
        }
        for (int k = 0; k < i; k++) {
            assert_true(sh->published_id[k] != sh->published_id[i]);
        }
    }
    free(sh);

    wq_queue_info info;
    assert_int_equal(wq_client_status(admin, "Work", &info), WQ_OK);
    assert_int_equal(info.published, TOTAL);
    assert_int_equal(info.completed, TOTAL);
    assert_int_equal(info.ready, 0);
    assert_int_equal(info.leased, 0);
    wq_client_close(admin);
    wqt_live_stop(&live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(every_item_is_delivered_exactly_once, stop_live),
    };
    return cmocka_run_group_tests_name("e2e.many_clients", tests, NULL, NULL);
}
