/* test_workqd.c — workqd run as a process, as an operator runs it: options,
 * readiness, a refused second instance, a graceful stop with a clean exit,
 * and the log lines on stderr. Runs in the directory holding the programs
 * (see tests/programs/CMakeLists.txt). */
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

static void help_and_version_tell_the_truth(void **state)
{
    (void)state;
    wqt_output o;
    const char *help[] = {"--help", NULL};
    wqt_run("workqd", help, NULL, 0, &o);
    assert_int_equal(o.status, 0);
    const char *options[] = {"--endpoint",  "--max-connections", "--max-message",  "--max-queues",
                             "--max-items", "--idle-timeout",    "--stop-timeout", "--pidfile",
                             "--log-level", "--max-memory"};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        assert_non_null(strstr(o.out, options[i]));
    }
    wqt_output_free(&o);
    const char *version[] = {"--version", NULL};
    wqt_run("workqd", version, NULL, 0, &o);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "workqd "));
    wqt_output_free(&o);
}

static void bad_options_exit_2_with_a_clear_message(void **state)
{
    (void)state;
    const char *cases[][3] = {
        {"--bogus", NULL, NULL},
        {"--max-connections", "abc", NULL},
        {"--max-connections", "0", NULL},
        {"--max-items", "-1", NULL},
        {"--idle-timeout", "1x", NULL},
        {"--log-level", "loud", NULL},
        {"--endpoint", NULL, NULL},
        {"stray", NULL, NULL},
        {"--stop-timeout", "5s", NULL},
        {"--stop-timeout", "2147483648", NULL},
        {"--max-memory", "1X", NULL},
        {"--max-memory", "M", NULL},
        {"--max-memory", "-5", NULL},
        {"--max-memory", "1.5G", NULL},
        {"--max-memory", "16777216T", NULL}, /* 2^64: out of range */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wqt_output o;
        wqt_run("workqd", cases[i], NULL, 0, &o);
        assert_int_equal(o.status, 2);
        assert_non_null(strstr(o.err, "workqd: "));
        assert_non_null(strstr(o.err, "--help"));
        wqt_output_free(&o);
    }
}

static void serves_refuses_a_second_instance_and_stops_cleanly(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "wqd");
    const char *args[] = {"--endpoint",   ep.endpoint, "--log-level", "debug",
                          "--max-memory", "3m",        NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    wqt_wait_until_serving(ep.endpoint, p);

    /* A second workqd on the same endpoint: a clear message, exit 1, and
     * the first keeps serving. */
    const char *second[] = {"--endpoint", ep.endpoint, NULL};
    wqt_output o2;
    wqt_run("workqd", second, NULL, 0, &o2);
    assert_int_equal(o2.status, 1);
    assert_non_null(strstr(o2.err, "in use"));
    wqt_output_free(&o2);

    wq_client *c;
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_create(c, "MyWorkQueue"), WQ_OK);
    wq_client_close(c);

    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    /* One timestamped line per event. */
    assert_non_null(strstr(o.err, "Z workqd["));
    assert_non_null(strstr(o.err, "listening on"));
    assert_non_null(strstr(o.err, "memory budget 3145728 bytes (3 MiB; --max-memory)"));
    assert_non_null(strstr(o.err, "stopping"));
    assert_non_null(strstr(o.err, "workqd stopped"));
    wqt_output_free(&o);

    /* Gone: nothing answers there any more. */
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_ENOENT);
    wqt_scratch_cleanup(&ep);
}

static void an_endpoint_it_cannot_use_exits_1_with_a_clear_message(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "bad");
    /* A socket in a directory that does not exist (POSIX), or a path that
     * is not a pipe name (Windows). */
    char path[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "missing/x.sock", path, sizeof path);
    const char *args[] = {"--endpoint", path, NULL};
    wqt_output o;
    wqt_run("workqd", args, NULL, 0, &o);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, path));
    assert_non_null(strstr(o.err, "error: "));
    wqt_output_free(&o);
    wqt_scratch_cleanup(&ep);
}

/* Reads a whole small file, or returns 0 if it cannot be opened. */
static int read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return 1;
}

static void pidfile_holds_the_pid_while_running_and_goes_away(void **state)
{
    (void)state;
    wqt_scratch ep, ep2;
    wqt_scratch_init(&ep, NULL, "pid");
    wqt_scratch_init(&ep2, NULL, "pid2");
    char pidfile[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "workqd.pid", pidfile, sizeof pidfile);
    const char *args[] = {"--endpoint", ep.endpoint, "--pidfile", pidfile, NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    wqt_wait_until_serving(ep.endpoint, p);

    char text[64];
    assert_true(read_file(pidfile, text, sizeof text));
    size_t digits = strspn(text, "0123456789");
    assert_true(digits > 0);
    assert_true(text[digits] == '\n' || text[digits] == '\0');

    /* Another workqd with the same pid file refuses to start, whatever
     * its endpoint. */
    const char *second[] = {"--endpoint", ep2.endpoint, "--pidfile", pidfile, NULL};
    wqt_output o2;
    wqt_run("workqd", second, NULL, 0, &o2);
    assert_int_equal(o2.status, 1);
    assert_non_null(strstr(o2.err, "pid file"));
    wqt_output_free(&o2);

    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    wqt_output_free(&o);
    assert_false(read_file(pidfile, text, sizeof text));
    wqt_scratch_cleanup(&ep2);
    wqt_scratch_cleanup(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_and_version_tell_the_truth),
        cmocka_unit_test(bad_options_exit_2_with_a_clear_message),
        cmocka_unit_test(serves_refuses_a_second_instance_and_stops_cleanly),
        cmocka_unit_test(pidfile_holds_the_pid_while_running_and_goes_away),
        cmocka_unit_test(an_endpoint_it_cannot_use_exits_1_with_a_clear_message),
    };
    return cmocka_run_group_tests_name("programs.workqd", tests, NULL, wqt_proc_teardown);
}
