/* test_os_err.c (POSIX) — errno becomes a wq_err in one place, and the
 * OS's own code and text stay available for logs, per thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "platform.h"
#include "scratch.h"

static void errno_values_translate(void **state)
{
    (void)state;
    static const struct {
        int e;
        wq_err err;
    } rows[] = {
        {ENOMEM, WQ_ENOMEM},
        {ETIMEDOUT, WQ_ETIMEDOUT},
        {EPIPE, WQ_ECLOSED},
        {ECONNRESET, WQ_ECLOSED},
        {EADDRINUSE, WQ_EADDRINUSE},
        {ENOENT, WQ_ENOENT},
        {ECONNREFUSED, WQ_ENOENT},
        {EACCES, WQ_EACCES},
        {EPERM, WQ_EACCES},
        {ENAMETOOLONG, WQ_ENAMETOOLONG},
        {ELOOP, WQ_EUNSAFE},
        {EINVAL, WQ_EINVAL},
        {EMFILE, WQ_EMFILE},
        {ENFILE, WQ_EMFILE},
        {EIO, WQ_EIO},
        {EXDEV, WQ_EIO},
        {ENOSPC, WQ_ENOSPC},
        {EDQUOT, WQ_ENOSPC},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(wq_err_from_os(rows[i].e), rows[i].err);
        long code = 0;
        assert_int_equal(wq_os_error_last(&code, NULL, 0), 1);
        assert_int_equal(code, rows[i].e);
    }
    assert_int_equal(wq_err_from_os(0), WQ_OK);
    assert_int_equal(wq_err_from_os(-5), WQ_EIO);
}

static void the_os_text_is_kept_for_the_log(void **state)
{
    (void)state;
    assert_int_equal(wq_err_from_os(EMFILE), WQ_EMFILE);
    char text[128];
    long code = 0;
    assert_int_equal(wq_os_error_last(&code, text, sizeof text), 1);
    assert_int_equal(code, EMFILE);
    assert_string_equal(text, strerror(EMFILE));
    /* Truncated, never overrun. */
    char small[5];
    memset(small, 'x', sizeof small);
    assert_int_equal(wq_os_error_last(NULL, small, sizeof small), 1);
    assert_int_equal(strlen(small), 4);
    assert_memory_equal(small, text, 4);
}

static void other_thread(void *arg)
{
    long *code = arg;
    char text[64];
    *code = wq_os_error_last(code, text, sizeof text) ? *code : -1;
    if (text[0] != '\0') {
        *code = -2;
    }
}

static void the_record_is_per_thread(void **state)
{
    (void)state;
    assert_int_equal(wq_err_from_os(EACCES), WQ_EACCES);
    long seen = 12345;
    wqi_thread t;
    assert_int_equal(wqi_thread_start(&t, other_thread, &seen), WQ_OK);
    wqi_thread_join(&t);
    assert_int_equal(seen, -1); /* nothing recorded there */
}

/* A library call that fails because the process is out of descriptors says
 * so by name, and the OS's words are there for the log. */
static void running_out_of_descriptors_is_named(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, NULL, "osdesc");
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(NULL, s.endpoint, NULL, &l), WQ_OK);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    /* Use up every descriptor below a low soft limit. */
    int fds[64];
    int nfds = 0;
    int probe = dup(0);
    assert_true(probe >= 0);
    close(probe);
    struct rlimit low = old;
    low.rlim_cur = (rlim_t)probe + 8;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    for (int fd; nfds < 64 && (fd = dup(0)) >= 0;) {
        fds[nfds++] = fd;
    }
    wq_conn *c = NULL;
    wq_err err = wq_conn_connect(NULL, s.endpoint, 1000, &c);
    long code = 0;
    char text[128];
    int have = wq_os_error_last(&code, text, sizeof text);
    for (int i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(err, WQ_EMFILE);
    assert_int_equal(have, 1);
    assert_int_equal(code, EMFILE);
    assert_string_equal(text, strerror(EMFILE));
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errno_values_translate),
        cmocka_unit_test(the_os_text_is_kept_for_the_log),
        cmocka_unit_test(the_record_is_per_thread),
        cmocka_unit_test(running_out_of_descriptors_is_named),
    };
    return cmocka_run_group_tests_name("os_err", tests, NULL, NULL);
}
