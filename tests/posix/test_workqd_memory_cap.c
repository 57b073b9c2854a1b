/* test_workqd_memory_cap.c — workqd under a real memory cap (RLIMIT_AS,
 * what `ulimit -v` sets), as a process:
 *   - without --max-memory the budget is a quarter of the cap (its log
 *     says so), and PUBLISH beyond it gets "ERROR 507 ... budget ...";
 *   - with a budget above the cap, memory really runs out: the PUBLISH it
 *     happens to gets "ERROR 507 out of memory", the connection stays
 *     open, and STATUS, LIST, PURGE, DELETE and a new connection work; once
 *     PURGE has freed memory, PUBLISH works again; the log says what
 *     happened. (That PUBLISH is refused while the reserve cannot be taken
 *     back is e2e.memory's, where the seam holds memory short.)
 * In both cases nothing answered OK is lost (STATUS counts every item).
 *
 * The test process lowers only its soft limit, which the child inherits,
 * and puts it back at once. Skipped in sanitizer builds: their shadow
 * memory needs terabytes of address space. Runs in the directory holding
 * workqd (tests/posix/tests.cmake). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "proc.h"
#include "scratch.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define CAP (256ull * 1024 * 1024)
#define PAYLOAD (128u * 1024u)
/* More publishes than could ever fit under CAP: the loop ends at 507. */
#define MAX_PUBLISHES (CAP / PAYLOAD + 16)

static wqt_scratch ep;
static int have_ep;
static wq_client *clients[2];

static int teardown(void **state)
{
    for (size_t i = 0; i < 2; i++) {
        wq_client_close(clients[i]);
        clients[i] = NULL;
    }
    wqt_proc_teardown(state);
    if (have_ep) {
        wqt_scratch_cleanup(&ep);
        have_ep = 0;
    }
    return 0;
}

/* Start workqd with args under a soft RLIMIT_AS of CAP. */
static wqt_proc *start_capped(const char *const *args)
{
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_AS, &saved), 0);
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < CAP) {
        skip();
    }
    struct rlimit capped = saved;
    capped.rlim_cur = CAP;
    assert_int_equal(setrlimit(RLIMIT_AS, &capped), 0);
    wqt_proc *p = wqt_proc_start("workqd", args);
    assert_int_equal(setrlimit(RLIMIT_AS, &saved), 0);
    wqt_wait_until_serving(ep.endpoint, p);
    return p;
}

static wq_client *connect_to(size_t slot)
{
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &clients[slot]), WQ_OK);
    return clients[slot];
}

static char *request(wq_client *c, const char *req, size_t len)
{
    void *reply = NULL;
    size_t reply_len = 0;
    wq_err err = wq_client_request(c, req, len, &reply, &reply_len);
    if (err != WQ_OK) {
        fail_msg("request failed: %s", wq_strerror(err));
    }
    return reply;
}

static void expect(wq_client *c, const char *req, const char *want)
{
    char *got = request(c, req, strlen(req));
    if (strcmp(got, want) != 0) {
        fail_msg("%s: expected \"%s\", got \"%s\"", req, want, got);
    }
    wq_free(got);
}

/* PUBLISH PAYLOAD-byte items to Fill until one is refused; returns how
 * many were accepted and the refusal (caller frees). */
static size_t fill(wq_client *c, char **refusal)
{
    static const char head[] = "PUBLISH Fill ";
    size_t len = sizeof head - 1 + PAYLOAD;
    char *req = malloc(len + 1);
    assert_non_null(req);
    memcpy(req, head, sizeof head - 1);
    memset(req + sizeof head - 1, 'f', PAYLOAD);
    req[len] = '\0';
    size_t ok = 0;
    *refusal = NULL;
    while (ok < MAX_PUBLISHES) {
        char *reply = request(c, req, len);
        if (strncmp(reply, "OK ", 3) != 0) {
            *refusal = reply;
            break;
        }
        wq_free(reply);
        ok++;
    }
    free(req);
    if (*refusal == NULL) {
        fail_msg("%zu publishes of %u bytes under a %llu-byte cap were all accepted", ok, PAYLOAD,
                 (unsigned long long)CAP);
    }
    return ok;
}

static void expect_status(wq_client *c, size_t ready, size_t published)
{
    char want[128];
    snprintf(want, sizeof want, "OK Fill stopped %zu 0 %zu 0", ready, published);
    expect(c, "STATUS Fill", want);
}

static void the_default_budget_is_a_quarter_of_the_cap(void **state)
{
    (void)state;
    if (SANITIZED) {
        skip();
    }
    wqt_scratch_init(&ep, NULL, "memcap");
    have_ep = 1;
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    wqt_proc *p = start_capped(args);
    wq_client *c = connect_to(0);
    expect(c, "CREATE Fill", "OK");
    char *refusal;
    size_t ok = fill(c, &refusal);
    assert_string_equal(refusal, "ERROR 507 the server's memory budget of 67108864 bytes is full");
    wq_free(refusal);
    /* Exactly what fits: a quarter of the cap, each item + 16 bytes. */
    assert_int_equal(ok, (CAP / 4) / (PAYLOAD + 16));
    expect_status(c, ok, ok);
    char want[32];
    snprintf(want, sizeof want, "OK %zu", ok);
    expect(c, "PURGE Fill", want);
    snprintf(want, sizeof want, "OK %zu", ok + 1);
    expect(c, "PUBLISH Fill more", want);
    wq_client_close(c);
    clients[0] = NULL;
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    if (strstr(o.err,
               "memory budget 67108864 bytes (64 MiB): a quarter of the 256 MiB this process "
               "may use") == NULL) {
        fail_msg("no line about the budget in:\n%s", o.err);
    }
    wqt_output_free(&o);
}

static void running_out_leaves_management_working(void **state)
{
    (void)state;
    if (SANITIZED) {
        skip();
    }
    wqt_scratch_init(&ep, NULL, "memout");
    have_ep = 1;
    const char *args[] = {"--endpoint", ep.endpoint, "--max-memory", "4G", NULL};
    wqt_proc *p = start_capped(args);
    wq_client *c = connect_to(0);
    expect(c, "CREATE Fill", "OK");
    expect(c, "CREATE Other", "OK");
    char *refusal;
    size_t ok = fill(c, &refusal);
    assert_string_equal(refusal, "ERROR 507 out of memory");
    wq_free(refusal);
    print_message("%zu items of %u bytes accepted under a %llu-byte cap\n", ok, PAYLOAD,
                  (unsigned long long)CAP);
    assert_true(ok > 0);
    /* The same connection, and a new one, still work; nothing was lost. */
    expect_status(c, ok, ok);
    wq_client *d = connect_to(1);
    expect(d, "PING", "OK PONG");
    char want[64];
    snprintf(want, sizeof want, "OK 2\nFill stopped %zu 0\nOther stopped 0 0", ok);
    expect(d, "LIST", want);
    expect(d, "DELETE Other", "OK");
    snprintf(want, sizeof want, "OK %zu", ok);
    expect(d, "PURGE Fill", want);
    /* Memory is free again: PUBLISH is accepted. */
    expect(d, "PING", "OK PONG");
    snprintf(want, sizeof want, "OK %zu", ok + 1);
    expect(d, "PUBLISH Fill small", want);
    expect_status(d, 1, ok + 1);
    wq_client_close(c);
    wq_client_close(d);
    clients[0] = clients[1] = NULL;
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    const char *line = strstr(o.err, "out of memory");
    if (line == NULL || strstr(line, "--max-memory (now 4294967296 bytes)") == NULL) {
        fail_msg("no line about running out of memory in:\n%s", o.err);
    }
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(the_default_budget_is_a_quarter_of_the_cap, teardown),
        cmocka_unit_test_teardown(running_out_leaves_management_working, teardown),
    };
    return cmocka_run_group_tests_name("programs.memory_cap", tests, NULL, NULL);
}
