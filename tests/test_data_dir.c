/* test_data_dir.c — workqd's default data directory
 * (src/daemon/data_dir.h): each rule, in order, from the facts alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "data_dir.h"

static void facts(wqd_dir_facts *f)
{
    memset(f, 0, sizeof *f);
}

static void expect_dir(const wqd_dir_facts *f, const char *endpoint, const char *want)
{
    char out[512];
    wq_err err = wqd_data_dir_default(f, endpoint, out, sizeof out);
    if (err != WQ_OK) {
        fail_msg("%s: %s", endpoint, wq_strerror(err));
    }
    assert_string_equal(out, want);
}

static void posix_rules_in_order(void **state)
{
    (void)state;
    wqd_dir_facts f;
    facts(&f);
    f.home = "/home/alice";
    expect_dir(&f, "WorkQueueService", "/home/alice/.local/state/workq/WorkQueueService");
    f.xdg_state_home = "/srv/state";
    expect_dir(&f, "WorkQueueService", "/srv/state/workq/WorkQueueService");
    f.xdg_state_home = "relative/state"; /* ignored, as XDG says */
    expect_dir(&f, "Other", "/home/alice/.local/state/workq/Other");
    f.root = 1;
    expect_dir(&f, "WorkQueueService", "/var/lib/workq/WorkQueueService");
    /* A path endpoint: its last component, without .sock. */
    expect_dir(&f, "/run/workq/WorkQueueService.sock", "/var/lib/workq/WorkQueueService");
    expect_dir(&f, "./my.socket", "/var/lib/workq/my.socket");
    f.state_directory = "/var/lib/workq:/var/lib/other";
    expect_dir(&f, "/run/workq/WorkQueueService.sock", "/var/lib/workq");
    f.state_directory = "relative"; /* not systemd's: ignored */
    expect_dir(&f, "q", "/var/lib/workq/q");
}

static void windows_rules(void **state)
{
    (void)state;
    wqd_dir_facts f;
    facts(&f);
    f.windows = 1;
    f.localappdata = "C:\\Users\\alice\\AppData\\Local";
    f.programdata = "C:\\ProgramData";
    f.state_directory = "/var/lib/workq"; /* not a Windows fact */
    expect_dir(&f, "WorkQueueService", "C:\\Users\\alice\\AppData\\Local\\workq\\WorkQueueService");
    expect_dir(&f, "\\\\.\\pipe\\Jobs", "C:\\Users\\alice\\AppData\\Local\\workq\\Jobs");
    f.windows_service = 1;
    f.service_name = "WorkQueueService";
    expect_dir(&f, "AnyEndpoint", "C:\\ProgramData\\workq\\WorkQueueService");
}

static void no_rule_bad_endpoints_and_short_buffers_are_errors(void **state)
{
    (void)state;
    wqd_dir_facts f;
    facts(&f);
    char out[64];
    assert_int_equal(wqd_data_dir_default(&f, "q", out, sizeof out), WQ_ENOENT);
    assert_string_equal(out, "");
    f.home = "/home/alice";
    assert_int_equal(wqd_data_dir_default(&f, "", out, sizeof out), WQ_EINVAL);
    assert_int_equal(wqd_data_dir_default(&f, "/run/workq/", out, sizeof out), WQ_EINVAL);
    assert_int_equal(wqd_data_dir_default(&f, "q", out, 10), WQ_ENAMETOOLONG);
    f.windows = 1;
    assert_int_equal(wqd_data_dir_default(&f, "q", out, sizeof out), WQ_ENOENT);
    f.localappdata = "AppData"; /* relative */
    assert_int_equal(wqd_data_dir_default(&f, "q", out, sizeof out), WQ_ENOENT);
    f.windows_service = 1; /* no %ProgramData% */
    assert_int_equal(wqd_data_dir_default(&f, "q", out, sizeof out), WQ_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(posix_rules_in_order),
        cmocka_unit_test(windows_rules),
        cmocka_unit_test(no_rule_bad_endpoints_and_short_buffers_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
