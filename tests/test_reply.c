/* test_reply.c — the exact bytes of every reply of docs/protocol.md
 * "Commands" and "Errors", in UTF-8 and in UTF-16LE (src/reply.c). No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "buf.h"
#include "reply.h"
#include "text_cases.h"
#include "utf16.h"

/* ---- replies ------------------------------------------------------------ */

/* Checks one reply both ways: its UTF-8 bytes are exactly `expected`, and
 * its UTF-16LE form is their conversion, with no BOM, and converts back. */
typedef wq_err (*reply_fn)(wqi_buf *b, int utf16, const void *arg);

static void check_reply(reply_fn fn, const void *arg, const char *expected, size_t len)
{
    wqi_buf b, wide, back;
    wqi_buf_init(&b);
    wqi_buf_init(&wide);
    wqi_buf_init(&back);

    assert_int_equal(fn(&b, 0, arg), WQ_OK);
    if (b.len != len || memcmp(b.data, expected, len) != 0) {
        char got[512];
        snprintf(got, sizeof got, "%s", show(b.data, b.len));
        fail_msg("expected \"%s\", got \"%s\"", show(expected, len), got);
    }
    assert_int_equal(fn(&wide, 1, arg), WQ_OK);
    assert_false(wide.len >= 2 && wide.data[0] == 0xFF && wide.data[1] == 0xFE);
    assert_int_equal(wqi_utf16le_to_utf8(&back, wide.data, wide.len), WQ_OK);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.data, expected, len);

    wqi_buf_free(&b);
    wqi_buf_free(&wide);
    wqi_buf_free(&back);
}

#define CHECK_REPLY(fn, arg, lit) check_reply((fn), (arg), (lit), sizeof(lit) - 1)

static wq_err r_ok(wqi_buf *b, int utf16, const void *arg)
{
    (void)arg;
    return wqi_reply_ok(b, utf16);
}

static wq_err r_ok_u64(wqi_buf *b, int utf16, const void *arg)
{
    return wqi_reply_ok_u64(b, utf16, *(const uint64_t *)arg);
}

static wq_err r_pong(wqi_buf *b, int utf16, const void *arg)
{
    (void)arg;
    return wqi_reply_pong(b, utf16);
}

static wq_err r_empty(wqi_buf *b, int utf16, const void *arg)
{
    (void)arg;
    return wqi_reply_empty(b, utf16);
}

static wq_err r_hello(wqi_buf *b, int utf16, const void *arg)
{
    return wqi_reply_hello(b, utf16, "0.1.0", *(const uint64_t *)arg);
}

static wq_err r_status(wqi_buf *b, int utf16, const void *arg)
{
    return wqi_reply_status(b, utf16, arg);
}

struct list_arg {
    const wqi_reply_queue *rows;
    size_t n;
};

static wq_err r_list(wqi_buf *b, int utf16, const void *arg)
{
    const struct list_arg *l = arg;
    wq_err err = wqi_reply_list_begin(b, utf16, l->n);
    for (size_t i = 0; err == WQ_OK && i < l->n; i++) {
        err = wqi_reply_list_row(b, utf16, &l->rows[i]);
    }
    return err;
}

static wq_err r_item(wqi_buf *b, int utf16, const void *arg)
{
    const msg *payload = arg;
    return wqi_reply_item(b, utf16, 7, payload->bytes, payload->len);
}

struct error_arg {
    wq_err err;
    const char *message;
};

static wq_err r_error(wqi_buf *b, int utf16, const void *arg)
{
    const struct error_arg *e = arg;
    return wqi_reply_error(b, utf16, e->err, e->message);
}

static wq_err r_error_queue(wqi_buf *b, int utf16, const void *arg)
{
    (void)arg;
    return wqi_reply_error_queue(b, utf16, WQ_EEXIST, "queue ", "MyWorkQueue", 11,
                                 " already exists");
}

static void test_simple_replies(void **state)
{
    (void)state;
    uint64_t zero = 0, one = 1, max = UINT64_MAX, mib4 = 4194304;
    CHECK_REPLY(r_ok, NULL, "OK");
    CHECK_REPLY(r_ok_u64, &zero, "OK 0");
    CHECK_REPLY(r_ok_u64, &one, "OK 1");
    CHECK_REPLY(r_ok_u64, &max, "OK 18446744073709551615");
    CHECK_REPLY(r_pong, NULL, "OK PONG");
    CHECK_REPLY(r_empty, NULL, "EMPTY");
    CHECK_REPLY(r_hello, &mib4, "OK workq 0.1.0 1 4194304");
}

static void test_status_and_list_replies(void **state)
{
    (void)state;
    wqi_reply_queue q = {"MyWorkQueue", 11, 1, 3, 2, 10, 5};
    CHECK_REPLY(r_status, &q, "OK MyWorkQueue started 3 2 10 5");
    wqi_reply_queue big = {"q-1.x_Y", 7, 0, UINT64_MAX, 0, UINT64_MAX, 1};
    CHECK_REPLY(r_status, &big, "OK q-1.x_Y stopped 18446744073709551615 0 18446744073709551615 1");

    struct list_arg none = {NULL, 0};
    CHECK_REPLY(r_list, &none, "OK 0");
    static const wqi_reply_queue rows[] = {
        {"alpha", 5, 0, 0, 0, 99, 99},
        {"MyWorkQueue", 11, 1, 4, 1, 0, 0},
    };
    struct list_arg two = {rows, 2};
    CHECK_REPLY(r_list, &two, "OK 2\nalpha stopped 0 0\nMyWorkQueue started 4 1");
}

static void test_item_and_error_replies(void **state)
{
    (void)state;
    msg hello = M("hello");
    CHECK_REPLY(r_item, &hello, "ITEM 7 hello");
    msg empty = M("");
    CHECK_REPLY(r_item, &empty, "ITEM 7 ");
    msg lines = M("a\r\nb\n");
    CHECK_REPLY(r_item, &lines, "ITEM 7 a\r\nb\n");
    msg text = M("h\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E");
    CHECK_REPLY(r_item, &text, "ITEM 7 h\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E");

    struct error_arg e409 = {WQ_EEXIST, "queue MyWorkQueue already exists"};
    CHECK_REPLY(r_error, &e409, "ERROR 409 queue MyWorkQueue already exists");
    CHECK_REPLY(r_error_queue, NULL, "ERROR 409 queue MyWorkQueue already exists");
    struct error_arg e503 = {WQ_ESHUTDOWN, NULL};
    CHECK_REPLY(r_error, &e503, "ERROR 503 shutting down");
    struct error_arg nomem = {WQ_ENOMEM, "out of memory"};
    /* The server's own lack of memory is 507, like a full queue. */
    CHECK_REPLY(r_error, &nomem, "ERROR 507 out of memory");
}

static void test_error_codes(void **state)
{
    (void)state;
    static const struct {
        wq_err err;
        const char *line;
    } codes[] = {
        {WQ_EBADREQ, "ERROR 400 x"},   {WQ_EFORBIDDEN, "ERROR 403 x"},
        {WQ_ENOTFOUND, "ERROR 404 x"}, {WQ_ENOTTEXT, "ERROR 406 x"},
        {WQ_EEXIST, "ERROR 409 x"},    {WQ_EGONE, "ERROR 410 x"},
        {WQ_EMSGSIZE, "ERROR 413 x"},  {WQ_EINTERNAL, "ERROR 500 x"},
        {WQ_EBUSY, "ERROR 503 x"},     {WQ_ESHUTDOWN, "ERROR 503 x"},
        {WQ_ELIMIT, "ERROR 507 x"},    {WQ_EINVAL, "ERROR 500 x"},
        {WQ_EIO, "ERROR 500 x"},       {WQ_ENOMEM, "ERROR 507 x"},
    };
    for (size_t i = 0; i < COUNT(codes); i++) {
        struct error_arg e;
        e.err = codes[i].err;
        e.message = "x";
        check_reply(r_error, &e, codes[i].line, strlen(codes[i].line));
    }
}

/* The UTF-16LE ITEM converts the stored UTF-8 payload. */
static void test_item_utf16_bytes(void **state)
{
    (void)state;
    wqi_buf b;
    wqi_buf_init(&b);
    assert_int_equal(wqi_reply_item(&b, 1, 12, "h\xC3\xA9\xF0\x9D\x84\x9E", 7), WQ_OK);
    static const uint8_t expected[] = {'I', 0, 'T', 0, 'E', 0, 'M',  0, ' ',  0,    '1',  0,
                                       '2', 0, ' ', 0, 'h', 0, 0xE9, 0, 0x34, 0xD8, 0x1E, 0xDD};
    assert_int_equal(b.len, sizeof expected);
    assert_memory_equal(b.data, expected, sizeof expected);
    wqi_buf_free(&b);
}

static void test_reply_errors_leave_buffer_unchanged(void **state)
{
    (void)state;
    wqi_buf b;
    wqi_buf_init(&b);
    assert_int_equal(wqi_buf_append_str(&b, "keep"), WQ_OK);

    /* A payload that is not UTF-8 cannot be sent in UTF-16LE: 406. */
    assert_int_equal(wqi_reply_item(&b, 1, 1, "\xFF", 1), WQ_ENOTTEXT);
    assert_int_equal(wqi_reply_item(&b, 1, 1, "ok\xC0\x80", 4), WQ_ENOTTEXT);
    /* In UTF-8 it is sent verbatim. */
    assert_int_equal(wqi_reply_item(&b, 0, 1, "\xFF", 1), WQ_OK);
    assert_int_equal(b.len, 4 + 8);
    assert_memory_equal(b.data, "keepITEM 1 \xFF", 12);
    b.len = 4;

    wqi_reply_queue bad_name = {"a b", 3, 0, 0, 0, 0, 0};
    assert_int_equal(wqi_reply_status(&b, 0, &bad_name), WQ_EINVAL);
    assert_int_equal(wqi_reply_list_row(&b, 1, &bad_name), WQ_EINVAL);
    assert_int_equal(wqi_reply_error(&b, 0, WQ_EBADREQ, "two\nlines"), WQ_EINVAL);
    assert_int_equal(wqi_reply_error(&b, 0, WQ_EBADREQ, "cr\r"), WQ_EINVAL);
    assert_int_equal(wqi_reply_error(&b, 0, WQ_EBADREQ, "\xC3"), WQ_EINVAL);
    assert_int_equal(wqi_reply_error_queue(&b, 1, WQ_ENOTFOUND, "no ", "a/b", 3, NULL), WQ_EINVAL);
    assert_int_equal(wqi_reply_hello(&b, 0, "0.1 beta", 1), WQ_EINVAL);
    assert_int_equal(wqi_reply_hello(&b, 0, "", 1), WQ_EINVAL);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "keep", 4);
    wqi_buf_free(&b);
}

/* A connection's buffer, once grown, formats replies without allocating. */
static void test_reused_buffer_does_not_allocate(void **state)
{
    (void)state;
    wqi_buf b;
    wqi_buf_init(&b);
    wqi_reply_queue q = {"MyWorkQueue", 11, 1, 3, 2, 10, 5};
    assert_int_equal(wqi_reply_status(&b, 1, &q), WQ_OK);
    *allocations() = 0;
    wqi_alloc_set_observer(count_allocation);
    for (int i = 0; i < 100; i++) {
        wqi_buf_clear(&b);
        assert_int_equal(wqi_reply_ok_u64(&b, i & 1, (uint64_t)i), WQ_OK);
        wqi_buf_clear(&b);
        assert_int_equal(wqi_reply_status(&b, i & 1, &q), WQ_OK);
        wqi_buf_clear(&b);
        assert_int_equal(wqi_reply_error(&b, i & 1, WQ_ENOTFOUND, "no such queue q"), WQ_OK);
    }
    wqi_alloc_set_observer(NULL);
    assert_int_equal(*allocations(), 0);
    wqi_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_replies),
        cmocka_unit_test(test_status_and_list_replies),
        cmocka_unit_test(test_item_and_error_replies),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_item_utf16_bytes),
        cmocka_unit_test(test_reply_errors_leave_buffer_unchanged),
        cmocka_unit_test(test_reused_buffer_does_not_allocate),
    };
    return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
