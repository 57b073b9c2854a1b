/* test_workqctl_trust.c — workqctl, as a process, against a workqd that
 * runs as another account (a throwaway one, other_user.h; needs root,
 * skips otherwise): refused with exit status 9 and a message naming both
 * accounts, without the request reaching the service; accepted with
 * --server-account or $WORKQ_SERVER_ACCOUNT. And the runtime-directory
 * check as a script sees it. Runs where workqd and workqctl are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include <workq/workq.h>

#include "other_user.h"
#include "proc.h"
#include "scratch.h"

static wqt_user other;
static wqt_scratch ep;
static wqt_proc *daemon_proc;
static int daemon_stop_failed;

static int start_daemon_as_other(void **state)
{
    (void)state;
    if (wqt_user_create(&other) != 0) {
        return 0; /* every test skips */
    }
    wqt_scratch_init(&ep, NULL, "own");
    assert_int_equal(chown(ep.dir, (uid_t)other.uid, (gid_t)other.gid), 0);
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    daemon_proc = wqt_proc_start_as(&other, "workqd", args);
    /* The readiness probe is a client too: it must be told whom to trust. */
    assert_int_equal(setenv("WORKQ_SERVER_ACCOUNT", other.name, 1), 0);
    wqt_wait_until_serving(ep.endpoint, daemon_proc);
    assert_int_equal(unsetenv("WORKQ_SERVER_ACCOUNT"), 0);
    return 0;
}

static int stop_daemon(void **state)
{
    (void)state;
    if (daemon_proc != NULL && wqt_proc_stop_clean(daemon_proc) != 0) {
        daemon_stop_failed = 1;
    }
    wqt_proc_kill_all();
    wqt_scratch_cleanup(&ep);
    wqt_user_remove(&other);
    return daemon_stop_failed ? -1 : 0;
}

static int reset_env(void **state)
{
    (void)state;
    unsetenv("WORKQ_SERVER_ACCOUNT");
    unsetenv("XDG_RUNTIME_DIR");
    return 0;
}

/* workqctl --endpoint EP [--server-account ACCOUNT] <cmd> [arg]. */
static void ctl(wqt_output *o, const char *account, const char *cmd, const char *arg)
{
    const char *args[8] = {"--endpoint", ep.endpoint};
    size_t n = 2;
    if (account != NULL) {
        args[n++] = "--server-account";
        args[n++] = account;
    }
    args[n++] = cmd;
    args[n++] = arg;
    args[n] = NULL;
    wqt_run("workqctl", args, NULL, 0, o);
}

static void has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL) {
        fail_msg("'%s' lacks '%s'", text, needle);
    }
}

static void a_service_of_another_account_is_refused_with_status_9(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    wqt_output o;
    ctl(&o, NULL, "create", "Secrets");
    wqt_assert_exit_status(&o, 9);
    assert_int_equal(o.out_len, 0);
    has(o.err, "workqctl: create: refusing to talk to the service: ");
    char found[64];
    snprintf(found, sizeof found, "runs as %s (uid %lu)", other.name, (unsigned long)other.uid);
    has(o.err, found);
    has(o.err, "expected root (uid 0)");
    has(o.err, "--server-account");
    wqt_output_free(&o);

    /* The service never heard of it. */
    ctl(&o, other.name, "status", "Secrets");
    wqt_assert_exit_status(&o, 5);
    wqt_output_free(&o);
}

static void naming_the_account_trusts_it(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    wqt_output o;
    ctl(&o, other.name, "ping", NULL);
    wqt_assert_exit_status(&o, 0);
    has(o.out, "PONG");
    wqt_output_free(&o);

    char uid_text[16];
    snprintf(uid_text, sizeof uid_text, "%lu", (unsigned long)other.uid);
    ctl(&o, uid_text, "ping", NULL);
    wqt_assert_exit_status(&o, 0);
    wqt_output_free(&o);

    assert_int_equal(setenv("WORKQ_SERVER_ACCOUNT", other.name, 1), 0);
    ctl(&o, NULL, "ping", NULL);
    wqt_assert_exit_status(&o, 0);
    wqt_output_free(&o);
    /* The option wins over the environment. */
    ctl(&o, "root", "ping", NULL);
    wqt_assert_exit_status(&o, 9);
    wqt_output_free(&o);
}

static void an_unknown_account_is_a_usage_error(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    wqt_output o;
    ctl(&o, "no-such-user-of-workq", "ping", NULL);
    wqt_assert_exit_status(&o, 2);
    has(o.err, "unknown server account 'no-such-user-of-workq'");
    wqt_output_free(&o);
}

/* A plain name whose runtime directory anyone may write to: refused before
 * connecting, whoever listens there (here: nobody). Needs no second
 * account. */
static void a_runtime_dir_open_to_others_is_refused_with_status_9(void **state)
{
    (void)state;
    wqt_scratch rt;
    wqt_scratch_init(&rt, NULL, "rt");
    char dir[WQ_ENDPOINT_MAX];
    wqt_scratch_path(&rt, "workq", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(setenv("XDG_RUNTIME_DIR", rt.dir, 1), 0);
    const char *args[] = {"--endpoint", "Svc", "ping", NULL};
    wqt_output o;
    wqt_run("workqctl", args, NULL, 0, &o);
    unsetenv("XDG_RUNTIME_DIR");
    wqt_scratch_cleanup(&rt);
    wqt_assert_exit_status(&o, 9);
    has(o.err, "workqctl: ping: refusing to talk to the service: runtime directory ");
    has(o.err, "is writable by others (mode 0777)");
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(a_service_of_another_account_is_refused_with_status_9, reset_env),
        cmocka_unit_test_teardown(naming_the_account_trusts_it, reset_env),
        cmocka_unit_test_teardown(an_unknown_account_is_a_usage_error, reset_env),
        cmocka_unit_test_teardown(a_runtime_dir_open_to_others_is_refused_with_status_9, reset_env),
    };
    int failed = cmocka_run_group_tests_name("programs.workqctl_trust", tests,
                                             start_daemon_as_other, stop_daemon);
    return failed != 0 || daemon_stop_failed ? 1 : 0;
}
