/* test_os_err.c (Windows) — Win32 error codes become a wq_err in one
 * place, and Windows' own code and text stay available for logs, per
 * thread. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "platform.h"

static void win32_codes_translate(void **state)
{
    (void)state;
    static const struct {
        DWORD code;
        wq_err err;
    } rows[] = {
        {ERROR_FILE_NOT_FOUND, WQ_ENOENT},
        {ERROR_ACCESS_DENIED, WQ_EACCES},
        {ERROR_PIPE_BUSY, WQ_EBUSY},
        {ERROR_BROKEN_PIPE, WQ_ECLOSED},
        {ERROR_SEM_TIMEOUT, WQ_ETIMEDOUT},
        {ERROR_OUTOFMEMORY, WQ_ENOMEM},
        {ERROR_TOO_MANY_OPEN_FILES, WQ_EMFILE},
        {ERROR_NO_SYSTEM_RESOURCES, WQ_ENOMEM},
        {ERROR_INVALID_PARAMETER, WQ_EINVAL},
        {ERROR_NOT_SUPPORTED, WQ_ENOTSUP},
        {ERROR_CRC, WQ_EIO},
        {ERROR_DISK_FULL, WQ_ENOSPC},
        {ERROR_HANDLE_DISK_FULL, WQ_ENOSPC},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(wq_err_from_os((long)rows[i].code), rows[i].err);
        long code = 0;
        assert_int_equal(wq_os_error_last(&code, NULL, 0), 1);
        assert_int_equal((DWORD)code, rows[i].code);
    }
    assert_int_equal(wq_err_from_os(0), WQ_OK);
}

static void the_os_text_is_kept_for_the_log(void **state)
{
    (void)state;
    assert_int_equal(wq_err_from_os(ERROR_ACCESS_DENIED), WQ_EACCES);
    char text[256];
    long code = 0;
    assert_int_equal(wq_os_error_last(&code, text, sizeof text), 1);
    assert_int_equal(code, ERROR_ACCESS_DENIED);
    assert_true(strlen(text) > 0);
    /* FormatMessage's ".\r\n" is gone. */
    assert_null(strchr(text, '\r'));
    assert_null(strchr(text, '\n'));
    assert_true(text[strlen(text) - 1] != '.');
    /* A buffer too small gets the text's beginning (every size, 0 and 1
     * included: tests/test_errors.c). */
    char small[5];
    memset(small, 'x', sizeof small);
    assert_int_equal(wq_os_error_last(NULL, small, sizeof small), 1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, text, sizeof small - 1);
}

static void other_thread(void *arg)
{
    long *code = arg;
    char text[64];
    if (!wq_os_error_last(code, text, sizeof text) && text[0] == '\0') {
        *code = -1;
    }
}

static void the_record_is_per_thread(void **state)
{
    (void)state;
    assert_int_equal(wq_err_from_os(ERROR_ACCESS_DENIED), WQ_EACCES);
    long seen = 12345;
    wqi_thread t;
    assert_int_equal(wqi_thread_start(&t, other_thread, &seen), WQ_OK);
    wqi_thread_join(&t);
    assert_int_equal(seen, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(win32_codes_translate),
        cmocka_unit_test(the_os_text_is_kept_for_the_log),
        cmocka_unit_test(the_record_is_per_thread),
    };
    return cmocka_run_group_tests_name("os_err", tests, NULL, NULL);
}
