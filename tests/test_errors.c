/* test_errors.c — the error vocabulary: every value named, the protocol
 * codes map both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <workq/errors.h>

static void every_error_has_a_distinct_name(void **state)
{
    (void)state;
    for (int a = WQ_OK; a <= WQ_ESHUTDOWN; a++) {
        const char *na = wq_strerror((wq_err)a);
        assert_non_null(na);
        assert_string_not_equal(na, "unknown error");
        for (int b = a + 1; b <= WQ_ESHUTDOWN; b++) {
            assert_string_not_equal(na, wq_strerror((wq_err)b));
        }
    }
    assert_string_equal(wq_strerror((wq_err)9999), "unknown error");
}

static void protocol_codes_map_both_ways(void **state)
{
    (void)state;
    static const struct {
        int code;
        wq_err err;
    } rows[] = {
        {400, WQ_EBADREQ}, {403, WQ_EFORBIDDEN}, {404, WQ_ENOTFOUND}, {406, WQ_ENOTTEXT},
        {409, WQ_EEXIST},  {410, WQ_EGONE},      {413, WQ_EMSGSIZE},  {500, WQ_EINTERNAL},
        {503, WQ_EBUSY},   {507, WQ_ELIMIT},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(wq_err_from_code(rows[i].code), rows[i].err);
        assert_int_equal(wq_err_code(rows[i].err), rows[i].code);
    }
    assert_int_equal(wq_err_code(WQ_ESHUTDOWN), 503);
    assert_int_equal(wq_err_code(WQ_ETIMEDOUT), 0);
    assert_int_equal(wq_err_from_code(200), WQ_EPROTO);
    assert_int_equal(wq_err_from_code(0), WQ_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_error_has_a_distinct_name),
        cmocka_unit_test(protocol_codes_map_both_ways),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
