/* test_buf.c — the growable byte buffer replies are built in (src/buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "buf.h"

static void test_buf(void **state)
{
    (void)state;
    char digits[WQI_U64_DIGITS];
    assert_int_equal(wqi_u64_to_dec(0, digits), 1);
    assert_memory_equal(digits, "0", 1);
    assert_int_equal(wqi_u64_to_dec(10, digits), 2);
    assert_memory_equal(digits, "10", 2);
    assert_int_equal(wqi_u64_to_dec(UINT64_MAX, digits), 20);
    assert_memory_equal(digits, "18446744073709551615", 20);

    wqi_buf b;
    wqi_buf_init(&b);
    assert_int_equal(wqi_buf_append(&b, "", 0), WQ_OK);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(wqi_buf_append_byte(&b, (uint8_t)i), WQ_OK);
    }
    assert_int_equal(b.len, 1000);
    assert_true(b.cap >= 1000);
    assert_int_equal(wqi_buf_append_u64(&b, 42), WQ_OK);
    assert_int_equal(wqi_buf_reserve(&b, (size_t)-1), WQ_ENOMEM);
    assert_int_equal(b.len, 1002);
    size_t len = 0;
    uint8_t *p = wqi_buf_detach(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 1002);
    assert_memory_equal(p + 1000, "42", 3); /* NUL-terminated */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    wq_free(p);
    wqi_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
