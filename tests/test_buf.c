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

#include "alloc.h"
#include "buf.h"

static size_t allocations;

static void count_allocation(size_t size)
{
    (void)size;
    allocations++;
}

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

/* A buffer on the caller's storage: what fits there is never allocated;
 * what does not moves to the heap intact; free and detach bring the
 * buffer back to the storage, which is never freed (ASan would say). */
static void a_buffer_on_callers_storage(void **state)
{
    (void)state;
    uint8_t storage[16];
    wqi_buf b;
    wqi_buf_init_on(&b, storage, sizeof storage);
    allocations = 0;
    wqi_alloc_set_observer(count_allocation);
    assert_int_equal(wqi_buf_append(&b, "0123456789", 10), WQ_OK);
    assert_int_equal(wqi_buf_append_str(&b, "abcdef"), WQ_OK); /* exactly full */
    assert_int_equal(allocations, 0);
    assert_ptr_equal(b.data, storage);
    assert_memory_equal(storage, "0123456789abcdef", 16);

    assert_int_equal(wqi_buf_append_byte(&b, 'g'), WQ_OK); /* one more: the heap */
    assert_int_equal(allocations, 1);
    assert_ptr_not_equal(b.data, storage);
    assert_int_equal(b.len, 17);
    assert_memory_equal(b.data, "0123456789abcdefg", 17);
    wqi_buf_clear(&b);
    assert_int_equal(wqi_buf_append(&b, "x", 1), WQ_OK); /* the heap is kept */
    assert_int_equal(allocations, 1);

    wqi_buf_free(&b);
    assert_ptr_equal(b.data, storage);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, sizeof storage);
    assert_int_equal(wqi_buf_append(&b, "back", 4), WQ_OK);
    assert_int_equal(allocations, 1);

    size_t len = 0;
    uint8_t *p = wqi_buf_detach(&b, &len); /* a heap copy */
    assert_non_null(p);
    assert_ptr_not_equal(p, storage);
    assert_int_equal(len, 4);
    assert_memory_equal(p, "back", 5); /* NUL-terminated */
    assert_ptr_equal(b.data, storage);
    assert_int_equal(b.len, 0);
    wq_free(p);

    assert_int_equal(wqi_buf_append(&b, "0123456789abcdefgh", 18), WQ_OK);
    p = wqi_buf_detach(&b, &len); /* from the heap: handed over, not copied */
    assert_non_null(p);
    assert_int_equal(len, 18);
    assert_memory_equal(p, "0123456789abcdefgh", 19);
    assert_ptr_equal(b.data, storage);
    wq_free(p);
    wqi_alloc_set_observer(NULL);
    wqi_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(a_buffer_on_callers_storage),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
