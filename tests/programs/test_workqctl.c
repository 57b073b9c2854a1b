/* test_workqctl.c — workqctl run as a process against workqd run as a
 * process: what a script sees (exit statuses, stdout, stderr). One workqd
 * serves the whole group; each test uses its own queue names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "platform.h"
#include "proc.h"
#include "scratch.h"

static wqt_scratch ep;
static wqt_proc *daemon_proc;

/* workqctl --endpoint EP <cmd...>, with stdin from in. */
static void ctl_argv(wqt_output *o, const void *in, size_t in_len, const char *const *cmd)
{
    const char *args[16] = {"--endpoint", ep.endpoint};
    size_t n = 2;
    for (; *cmd != NULL && n < 15; cmd++) {
        args[n++] = *cmd;
    }
    args[n] = NULL;
    wqt_run("workqctl", args, in, in_len, o);
}

#define CTL(o, ...) ctl_argv(o, NULL, 0, (const char *const[]){__VA_ARGS__, NULL})

/* Run a command expecting `status`; then free the output. */
static void expect_status(int status, const char *a0, const char *a1, const char *a2)
{
    wqt_output o;
    ctl_argv(&o, NULL, 0, (const char *const[]){a0, a1, a2, NULL});
    if (o.status != status) {
        print_error("workqctl %s %s: status %d, stderr: %s\n", a0, a1 ? a1 : "", o.status, o.err);
    }
    assert_int_equal(o.status, status);
    wqt_output_free(&o);
}

static int start_daemon(void **state)
{
    (void)state;
    wqt_scratch_init(&ep, NULL, "ctl");
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    daemon_proc = wqt_proc_start("workqd", args);
    wqt_wait_until_serving(ep.endpoint, daemon_proc);
    return 0;
}

/* CMocka 1.1 reports a failed group teardown but leaves it out of the
 * count cmocka_run_group_tests returns: main checks this as well. */
static int daemon_stop_failed;

static int stop_daemon(void **state)
{
    (void)state;
    if (wqt_proc_stop_clean(daemon_proc) != 0) {
        daemon_stop_failed = 1;
    }
    wqt_proc_kill_all(); /* anything a failed test left running */
    wqt_scratch_cleanup(&ep);
    return daemon_stop_failed ? -1 : 0;
}

static void a_first_session_works_as_the_readme_shows(void **state)
{
    (void)state;
    wqt_output o;
    expect_status(0, "create", "MyWorkQueue", NULL);
    expect_status(0, "start", "MyWorkQueue", NULL);

    CTL(&o, "publish", "MyWorkQueue", "hello");
    assert_int_equal(o.status, 0);
    /* The new item's id, and a newline. */
    size_t digits = strspn(o.out, "0123456789");
    assert_true(digits > 0 && o.out[0] != '0');
    /* Text output: "\r\n" on Windows. */
    assert_true(strcmp(o.out + digits, "\n") == 0 || strcmp(o.out + digits, "\r\n") == 0);
    wqt_output_free(&o);

    CTL(&o, "list");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "NAME"));
    assert_non_null(strstr(o.out, "MyWorkQueue"));
    assert_non_null(strstr(o.out, "started"));
    wqt_output_free(&o);

    /* Retrieve and complete in one run: the payload, exactly. */
    CTL(&o, "retrieve", "--ack", "MyWorkQueue");
    assert_int_equal(o.status, 0);
    assert_int_equal(o.out_len, 5);
    assert_memory_equal(o.out, "hello", 5);
    wqt_output_free(&o);

    CTL(&o, "--json", "status", "MyWorkQueue");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "\"completed\":1"));
    assert_non_null(strstr(o.out, "\"ready\":0"));
    wqt_output_free(&o);
}

static void publish_from_stdin_is_byte_for_byte(void **state)
{
    (void)state;
    expect_status(0, "create", "Bytes", NULL);
    expect_status(0, "start", "Bytes", NULL);
    const char payload[] = "line one\r\nline two\n\0after a NUL\x1a end";
    size_t len = sizeof payload - 1;
    wqt_output o;
    ctl_argv(&o, payload, len, (const char *const[]){"publish", "Bytes", "-", NULL});
    assert_int_equal(o.status, 0);
    wqt_output_free(&o);
    CTL(&o, "retrieve", "--ack", "Bytes");
    assert_int_equal(o.status, 0);
    assert_int_equal(o.out_len, len);
    assert_memory_equal(o.out, payload, len);
    wqt_output_free(&o);
}

static void exit_statuses_tell_what_went_wrong(void **state)
{
    (void)state;
    wqt_output o;
    expect_status(0, "create", "Dup", NULL);
    /* 6: already exists, with the server's sentence on stderr. */
    CTL(&o, "create", "dup");
    assert_int_equal(o.status, 6);
    assert_non_null(strstr(o.err, "workqctl: create: "));
    assert_non_null(strstr(o.err, "Dup"));
    wqt_output_free(&o);
    /* 5: not found. */
    expect_status(5, "status", "NoSuchQueue", NULL);
    expect_status(5, "delete", "NoSuchQueue", NULL);
    /* 1: nothing to retrieve, after a short wait. */
    expect_status(0, "start", "Dup", NULL);
    expect_status(1, "retrieve", "Dup", "--wait=50");
    /* 2: usage errors, nothing sent. */
    expect_status(2, "frobnicate", NULL, NULL);
    expect_status(2, "create", NULL, NULL);
    expect_status(2, "create", "bad name", NULL);
    expect_status(2, "ack", "Dup", "-1");
    expect_status(2, "retrieve", "Dup", "--wait=10b");
    /* 0: ping. */
    CTL(&o, "ping");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "PONG"));
    wqt_output_free(&o);
}

static void no_service_is_exit_status_3(void **state)
{
    (void)state;
    wqt_scratch nowhere;
    wqt_scratch_init(&nowhere, NULL, "none");
    const char *args[] = {"--endpoint", nowhere.endpoint, "ping", NULL};
    wqt_output o;
    wqt_run("workqctl", args, NULL, 0, &o);
    assert_int_equal(o.status, 3);
    assert_non_null(strstr(o.err, "workqctl: "));
    assert_int_equal(o.out_len, 0);
    wqt_output_free(&o);
    wqt_scratch_cleanup(&nowhere);
}

static void help_and_version_tell_the_truth(void **state)
{
    (void)state;
    wqt_output o;
    CTL(&o, "--help");
    assert_int_equal(o.status, 0);
    const char *words[] = {"create", "delete",        "start",    "stop",   "list",
                           "status", "publish",       "retrieve", "ack",    "release",
                           "purge",  "ping",          "hello",    "--json", "--endpoint",
                           "--wait", "WORKQ_ENDPOINT"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        assert_non_null(strstr(o.out, words[i]));
    }
    wqt_output_free(&o);
    CTL(&o, "--version");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "workqctl "));
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_first_session_works_as_the_readme_shows),
        cmocka_unit_test(publish_from_stdin_is_byte_for_byte),
        cmocka_unit_test(exit_statuses_tell_what_went_wrong),
        cmocka_unit_test(no_service_is_exit_status_3),
        cmocka_unit_test(help_and_version_tell_the_truth),
    };
    int failed = cmocka_run_group_tests_name("programs.workqctl", tests, start_daemon, stop_daemon);
    return failed != 0 || daemon_stop_failed ? 1 : 0;
}
