/* test_decimal.c — the one strict decimal parser (src/decimal.h), as
 * docs/protocol.md "Numbers" spells numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decimal.h"

static void numbers_that_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t max;
        uint64_t value;
    } rows[] = {
        {"0", 0, 0},
        {"7", 7, 7},
        {"007", 7, 7}, /* leading zeros are fine */
        {"255", 255, 255},
        {"4294967295", UINT32_MAX, UINT32_MAX},
        {"18446744073709551615", UINT64_MAX, UINT64_MAX},
        {"000000000000000000000000000000000000042", UINT64_MAX, 42},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t v = 12345;
        assert_int_equal(wqi_decimal_parse_str(rows[i].text, rows[i].max, &v), 1);
        assert_true(v == rows[i].value);
        v = 12345;
        assert_int_equal(wqi_decimal_parse(rows[i].text, strlen(rows[i].text), rows[i].max, &v), 1);
        assert_true(v == rows[i].value);
    }
}

static void everything_else_is_refused_and_changes_nothing(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t max;
    } rows[] = {
        {"", UINT64_MAX},
        {"-1", UINT64_MAX},
        {"+1", UINT64_MAX},
        {" 1", UINT64_MAX},
        {"1 ", UINT64_MAX},
        {"0x10", UINT64_MAX},
        {"1.5", UINT64_MAX},
        {"10b", UINT64_MAX},
        {"1e3", UINT64_MAX},
        {"256", 255},
        {"9", 5},
        {"4294967296", UINT32_MAX},
        {"18446744073709551616", UINT64_MAX},
        {"99999999999999999999", UINT64_MAX},
        {"\xd9\xa1", UINT64_MAX}, /* ARABIC-INDIC DIGIT ONE: digits are ASCII */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t v = 12345;
        assert_int_equal(wqi_decimal_parse_str(rows[i].text, rows[i].max, &v), 0);
        assert_true(v == 12345);
    }
    uint64_t v = 12345;
    assert_int_equal(wqi_decimal_parse_str(NULL, 5, &v), 0);
    assert_int_equal(wqi_decimal_parse(NULL, 3, 5, &v), 0);
    /* The length counts, not a NUL: "12" of "123", and an embedded NUL. */
    assert_int_equal(wqi_decimal_parse("123", 2, UINT64_MAX, &v), 1);
    assert_true(v == 12);
    assert_int_equal(wqi_decimal_parse("1\0"
                                       "2",
                                       3, UINT64_MAX, &v),
                     0);
    assert_true(v == 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_that_parse),
        cmocka_unit_test(everything_else_is_refused_and_changes_nothing),
    };
    return cmocka_run_group_tests_name("decimal", tests, NULL, NULL);
}
