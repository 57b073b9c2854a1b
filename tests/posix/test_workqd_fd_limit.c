/* test_workqd_fd_limit.c — workqd makes room in its descriptor limit for
 * --max-connections: started with a low soft RLIMIT_NOFILE under a higher
 * hard one it raises the soft limit (seen in /proc/<pid>/limits and in its
 * log); when the hard limit is too low it says so in one line, and still
 * serves. Runs in the directory holding workqd (tests/posix/tests.cmake).
 *
 * The test process lowers only its soft limit, which children inherit, and
 * puts it back at once; a too-low hard limit cannot be undone, so that
 * case lowers it in a forked child just before it becomes workqd. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "platform.h"
#include "proc.h"
#include "scratch.h"

#define LOW_SOFT 256
/* workqd's default --max-connections. */
#define DEFAULT_CONNECTIONS 1024

/* What a test leaves for its teardown, so that a failed assertion still
 * stops workqd and removes the scratch directory. */
static wqt_scratch ep;
static int have_ep;
static pid_t child = -1; /* the forked workqd, until collected */
static int err_fd = -1;

static void scratch(const char *tag)
{
    wqt_scratch_init(&ep, NULL, tag);
    have_ep = 1;
}

static int teardown(void **state)
{
    wqt_proc_teardown(state); /* workqd started with wqt_proc_start */
    if (child > 0) {
        int st;
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        child = -1;
    }
    if (err_fd >= 0) {
        close(err_fd);
        err_fd = -1;
    }
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
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    const char *args[] = {"--endpoint", ep.endpoint, "--pidfile", pidfile, NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
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

/* Ask PING at endpoint until it answers, while the forked workqd runs: a
 * bounded retry, as wqt_wait_until_serving does for the processes it
 * starts. */
static void wait_serving_child(const char *endpoint)
{
    int64_t deadline = wqi_deadline(30000);
    for (;;) {
        wq_client *c = NULL;
        int ok = wq_client_open(endpoint, NULL, &c) == WQ_OK && wq_client_ping(c) == WQ_OK;
        wq_client_close(c);
        if (ok) {
            return;
        }
        int st;
        if (waitpid(child, &st, WNOHANG) == child) {
            child = -1;
            fail_msg("workqd exited (status %d) before serving", st);
        }
        if (wqi_clock_ms() >= deadline) {
            fail_msg("workqd did not serve within 30 s"); /* the teardown kills it */
        }
        wqi_sleep_ms(10); /* a retry interval, not synchronisation */
    }
}

static void says_once_when_the_hard_limit_is_too_low(void **state)
{
    (void)state;
    scratch("nofileh");
    char errpath[WQ_ENDPOINT_MAX + 16];
    wqt_scratch_path(&ep, "stderr", errpath, sizeof errpath);
    err_fd = open(errpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(err_fd >= 0);

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* The child: only async-signal-safe calls until exec. */
        struct rlimit both = {LOW_SOFT, LOW_SOFT};
        if (setrlimit(RLIMIT_NOFILE, &both) != 0 || dup2(err_fd, 2) != 2) {
            _exit(126);
        }
        char *const argv[] = {"./workqd", "--endpoint", ep.endpoint, NULL};
        execv(argv[0], argv);
        _exit(127);
    }
    wait_serving_child(ep.endpoint);
    assert_int_equal(kill(child, SIGTERM), 0);
    int st = 0;
    assert_int_equal(waitpid(child, &st, 0), child);
    child = -1;

    char err[8192];
    ssize_t n = pread(err_fd, err, sizeof err - 1, 0);
    assert_true(n > 0);
    err[n] = '\0';
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0) {
        fail_msg("workqd exited with %d:\n%s", WEXITSTATUS(st), err);
    }
    const char *line = strstr(err, "can only be raised to its hard limit 256, below the ");
    if (line == NULL) {
        fail_msg("no line about the hard limit in:\n%s", err);
    }
    assert_null(strstr(line + 1, "can only be raised")); /* once */
    assert_non_null(strstr(err, "ulimit -Hn"));
    assert_non_null(strstr(err, "--max-connections"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(raises_a_low_soft_limit_for_max_connections, teardown),
        cmocka_unit_test_teardown(says_once_when_the_hard_limit_is_too_low, teardown),
    };
    return cmocka_run_group_tests_name("programs.fd_limit", tests, NULL, NULL);
}
