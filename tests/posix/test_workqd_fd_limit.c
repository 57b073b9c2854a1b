/* test_workqd_fd_limit.c — workqd makes room in its descriptor limit for
 * --max-connections: started with a low soft RLIMIT_NOFILE under a higher
 * hard one it raises the soft limit (seen in /proc/<pid>/limits and in its
 * log); when the hard limit is too low it says so in one line, and still
 * serves. Runs in the directory holding workqd (tests/posix/tests.cmake).
 *
 * workqd starts with its limits set in the child just before exec
 * (wqt_proc_start_nofile), so that this process's own stay as they are: a
 * too-low hard limit could not be undone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "proc.h"
#include "proc_posix.h"
#include "scratch.h"

#define LOW_SOFT 256
/* workqd's default --max-connections. */
#define DEFAULT_CONNECTIONS 1024

/* What a test leaves for its teardown, so that a failed assertion still
 * stops workqd and removes the scratch directory. */
static wqt_scratch ep;
static int have_ep;

static void scratch(const char *tag)
{
    wqt_scratch_init(&ep, NULL, tag);
    have_ep = 1;
}

static int teardown(void **state)
{
    wqt_proc_teardown(state); /* workqd, if a failure left it running */
    if (have_ep) {
        wqt_scratch_cleanup(&ep);
        have_ep = 0;
    }
    return 0;
}

/* The soft and hard "Max open files" of process pid from /proc; 0 if the
 * system has no /proc/<pid>/limits. */
static int proc_nofile(unsigned long pid, unsigned long long *soft, unsigned long long *hard)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%lu/limits", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[256];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Max open files", 14) == 0) {
            found = sscanf(line + 14, "%llu %llu", soft, hard) == 2;
        }
    }
    fclose(f);
    assert_true(found);
    return 1;
}

static unsigned long read_pidfile(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned long pid = 0;
    assert_int_equal(fscanf(f, "%lu", &pid), 1);
    fclose(f);
    return pid;
}

static void raises_a_low_soft_limit_for_max_connections(void **state)
{
    (void)state;
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < DEFAULT_CONNECTIONS + 128) {
        skip(); /* no room under this hard limit to show a raise */
    }
    scratch("nofile");
    char pidfile[WQ_ENDPOINT_MAX + 16];
    wqt_scratch_path(&ep, "workqd.pid", pidfile, sizeof pidfile);

    struct rlimit low = saved;
    low.rlim_cur = LOW_SOFT;
    const char *args[] = {"--endpoint", ep.endpoint, "--pidfile", pidfile, NULL};
    wqt_proc *p = wqt_proc_start_nofile("workqd", args, &low);
    wqt_wait_until_serving(ep.endpoint, p);

    unsigned long pid = read_pidfile(pidfile);
    unsigned long long soft = 0, hard = 0;
    int have_proc = proc_nofile(pid, &soft, &hard);
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    if (have_proc) {
        print_message("workqd's open-file limit: %llu (hard %llu)\n", soft, hard);
        assert_true(soft > DEFAULT_CONNECTIONS);
        assert_true(soft <= hard);
    }
    const char *line = strstr(o.err, "raised the open-file limit (RLIMIT_NOFILE) from 256 to ");
    if (line == NULL) {
        fail_msg("no line about raising the limit in:\n%s", o.err);
    }
    wqt_output_free(&o);
}

static void says_once_when_the_hard_limit_is_too_low(void **state)
{
    (void)state;
    scratch("nofileh");
    struct rlimit both = {LOW_SOFT, LOW_SOFT};
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    wqt_proc *p = wqt_proc_start_nofile("workqd", args, &both);
    wqt_wait_until_serving(ep.endpoint, p);
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    const char *line = strstr(o.err, "can only be raised to its hard limit 256, below the ");
    if (line == NULL) {
        fail_msg("no line about the hard limit in:\n%s", o.err);
    }
    assert_null(strstr(line + 1, "can only be raised")); /* once */
    assert_non_null(strstr(o.err, "ulimit -Hn"));
    assert_non_null(strstr(o.err, "--max-connections"));
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(raises_a_low_soft_limit_for_max_connections, teardown),
        cmocka_unit_test_teardown(says_once_when_the_hard_limit_is_too_low, teardown),
    };
    return cmocka_run_group_tests_name("programs.fd_limit", tests, NULL, NULL);
}
