/* test_reply_parse.c — the reply parser (reply_parse.h) as a table: each
 * row is a reply, the kind of reply its request expects, and what the
 * parser must make of it, written out as one line (see describe). No I/O.
 * Every message is parsed from a heap copy of exactly its length, so that
 * ASan or valgrind sees any read past its end. */
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
#include "dispatch.h"
#include "protocol.h"
#include "registry.h"
#include "reply_parse.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A reply with its exact length (literals may hold NUL bytes), the kind
 * expected, and the expected description. */
typedef struct row {
    wqi_reply_kind expect;
    const char *bytes;
    size_t len;
    const char *want;
} row;

#define R(kind, lit, want)                                                                         \
    {                                                                                              \
        (kind), (lit), sizeof(lit) - 1, (want)                                                     \
    }

/* ---- describing a result as one line ------------------------------------ */

typedef struct text {
    char s[1024];
    size_t n;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->n + n < sizeof t->s) {
        memcpy(t->s + t->n, s, n);
        t->n += n;
        t->s[t->n] = '\0';
    }
}

/* Hand-written digits: "%llu" is unreliable on some mingw runtimes. */
static void put_u64(text *t, uint64_t v)
{
    char d[WQI_U64_DIGITS + 1];
    d[wqi_u64_to_dec(v, d)] = '\0';
    put(t, d);
}

/* Bytes in brackets, anything outside printable ASCII as \xNN. */
static void put_bytes(text *t, const void *p, size_t n)
{
    const uint8_t *b = p;
    put(t, "[");
    for (size_t i = 0; i < n; i++) {
        char one[8];
        if (b[i] >= 0x20 && b[i] < 0x7F && b[i] != '\\') {
            one[0] = (char)b[i];
            one[1] = '\0';
        } else {
            snprintf(one, sizeof one, "\\x%02X", (unsigned)b[i]);
        }
        put(t, one);
    }
    put(t, "]");
}

static void put_queue(text *t, const wq_queue_info *q, int full)
{
    put(t, q->name);
    put(t, q->started ? " started " : " stopped ");
    put_u64(t, q->ready);
    put(t, " ");
    put_u64(t, q->leased);
    if (full) {
        put(t, " ");
        put_u64(t, q->published);
        put(t, " ");
        put_u64(t, q->completed);
    }
}

/* What the parser made of a reply, as one line:
 *   OK | PONG | U64 <n> | HELLO <version> <protocol> <max>
 *   STATUS <queue> <state> <ready> <leased> <published> <completed>
 *   LIST <n>[; <queue> <state> <ready> <leased>]...
 *   ITEM <id> [<payload>] | EMPTY
 *   ERROR <code> <wq_strerror of err> [<message>]
 * or, when parsing failed, "fail: <wq_strerror>". */
static void describe(wq_err err, const wqi_reply *r, text *t)
{
    t->n = 0;
    t->s[0] = '\0';
    if (err != WQ_OK) {
        put(t, "fail: ");
        put(t, wq_strerror(err));
        return;
    }
    switch (r->kind) {
    case WQI_REPLY_OK:
        put(t, "OK");
        break;
    case WQI_REPLY_PONG:
        put(t, "PONG");
        break;
    case WQI_REPLY_U64:
        put(t, "U64 ");
        put_u64(t, r->value);
        break;
    case WQI_REPLY_HELLO:
        put(t, "HELLO ");
        put_bytes(t, r->version, r->version_len);
        put(t, " ");
        put_u64(t, r->protocol);
        put(t, " ");
        put_u64(t, r->max_message);
        break;
    case WQI_REPLY_STATUS:
        put(t, "STATUS ");
        put_queue(t, &r->queue, 1);
        break;
    case WQI_REPLY_LIST:
        put(t, "LIST ");
        put_u64(t, r->count);
        for (size_t i = 0; i < r->count; i++) {
            put(t, "; ");
            put_queue(t, &r->rows[i], 0);
        }
        break;
    case WQI_REPLY_ITEM:
        if (!r->found) {
            put(t, "EMPTY");
            break;
        }
        put(t, "ITEM ");
        put_u64(t, r->id);
        put(t, " ");
        put_bytes(t, r->payload, r->payload_len);
        break;
    case WQI_REPLY_ERROR:
        put(t, "ERROR ");
        put_u64(t, (uint64_t)r->code);
        put(t, " ");
        put(t, wq_strerror(r->err));
        put(t, " ");
        put_bytes(t, r->message, r->message_len);
        break;
    }
}

/* Parse a heap copy of exactly len bytes, describe the result into *t and
 * free what the reply owns; the copy is freed too, so nothing may point
 * into it afterwards. */
static wq_err parse_copy(wqi_reply_kind expect, const void *bytes, size_t len, text *t)
{
    void *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, bytes, len);
    }
    wqi_reply r;
    memset(&r, 0xA5, sizeof r); /* "fully overwritten" must be true */
    wq_err err = wqi_reply_parse(copy, len, expect, &r);
    if (err != WQ_OK) {
        /* All zero on failure. */
        wqi_reply zero;
        memset(&zero, 0, sizeof zero);
        assert_memory_equal(&r, &zero, sizeof r);
    }
    describe(err, &r, t);
    wq_free(r.rows);
    free(copy);
    return err;
}

static void check_rows(const row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        text got, in;
        in.n = 0;
        in.s[0] = '\0';
        put_bytes(&in, rows[i].bytes, rows[i].len);
        parse_copy(rows[i].expect, rows[i].bytes, rows[i].len, &got);
        if (strcmp(got.s, rows[i].want) != 0) {
            fail_msg("row %u: %s (expecting kind %d)\n  want: %s\n  got:  %s", (unsigned)i, in.s,
                     (int)rows[i].expect, rows[i].want, got.s);
        }
    }
}

/* ---- the tables --------------------------------------------------------- */

static const row good[] = {
    R(WQI_REPLY_OK, "OK", "OK"),
    R(WQI_REPLY_U64, "OK 7", "U64 7"),
    R(WQI_REPLY_U64, "OK 0", "U64 0"),
    R(WQI_REPLY_U64, "OK 007", "U64 7"),
    R(WQI_REPLY_U64, "OK 18446744073709551615", "U64 18446744073709551615"),
    R(WQI_REPLY_PONG, "OK PONG", "PONG"),
    R(WQI_REPLY_HELLO, "OK workq 1.2.3 1 4194304", "HELLO [1.2.3] 1 4194304"),
    R(WQI_REPLY_HELLO, "OK workq 0.1.0-rc1+x 2 0", "HELLO [0.1.0-rc1+x] 2 0"),
    R(WQI_REPLY_STATUS, "OK Beta stopped 4 2 10 4", "STATUS Beta stopped 4 2 10 4"),
    R(WQI_REPLY_STATUS, "OK a.b-c_D started 0 0 0 0", "STATUS a.b-c_D started 0 0 0 0"),
    R(WQI_REPLY_LIST, "OK 0", "LIST 0"),
    R(WQI_REPLY_LIST, "OK 1\nq started 1 1", "LIST 1; q started 1 1"),
    R(WQI_REPLY_LIST, "OK 2\nalpha started 3 1\nBeta stopped 0 0",
      "LIST 2; alpha started 3 1; Beta stopped 0 0"),
    R(WQI_REPLY_ITEM, "EMPTY", "EMPTY"),
    R(WQI_REPLY_ITEM, "ITEM 42 two words\nand a line", "ITEM 42 [two words\\x0Aand a line]"),
    R(WQI_REPLY_ITEM, "ITEM 1 ", "ITEM 1 []"),
    R(WQI_REPLY_ITEM, "ITEM 5  lead space ", "ITEM 5 [ lead space ]"),
    R(WQI_REPLY_ITEM, "ITEM 6 a\0b\r\n", "ITEM 6 [a\\x00b\\x0D\\x0A]"),
    R(WQI_REPLY_ITEM, "ITEM 7 \xFF\xFE", "ITEM 7 [\\xFF\\xFE]"),
    /* An ERROR line is accepted whatever was expected. */
    R(WQI_REPLY_OK, "ERROR 409 queue MyWorkQueue already exists",
      "ERROR 409 already exists [queue MyWorkQueue already exists]"),
    R(WQI_REPLY_LIST, "ERROR 500 internal error", "ERROR 500 internal error [internal error]"),
    R(WQI_REPLY_ITEM, "ERROR 410 queue q was deleted while waiting",
      "ERROR 410 queue deleted while waiting [queue q was deleted while waiting]"),
    R(WQI_REPLY_HELLO, "ERROR 400 ", "ERROR 400 bad request []"),
    R(WQI_REPLY_U64, "ERROR 413 message too large",
      "ERROR 413 message too large [message too large]"),
    R(WQI_REPLY_STATUS, "ERROR 404 no such queue q", "ERROR 404 not found [no such queue q]"),
    R(WQI_REPLY_PONG, "ERROR 507 limit", "ERROR 507 limit reached [limit]"),
    R(WQI_REPLY_OK, "ERROR 403 no", "ERROR 403 not allowed [no]"),
    R(WQI_REPLY_ITEM, "ERROR 406 not text", "ERROR 406 item is not text [not text]"),
    /* A well-formed line with a code the client does not know. */
    R(WQI_REPLY_OK, "ERROR 999 what", "ERROR 999 protocol error [what]"),
    R(WQI_REPLY_OK, "ERROR 000 x", "ERROR 0 protocol error [x]"),
    /* 503: busy or shutting down, told apart by the reason token, the
     * message's first word; any other 503 counts as busy. */
    R(WQI_REPLY_OK, "ERROR 503 shutdown server is stopping",
      "ERROR 503 shutting down [shutdown server is stopping]"),
    R(WQI_REPLY_ITEM, "ERROR 503 shutdown", "ERROR 503 shutting down [shutdown]"),
    R(WQI_REPLY_ITEM, "ERROR 503 busy connection limit reached",
      "ERROR 503 server busy [busy connection limit reached]"),
    R(WQI_REPLY_ITEM, "ERROR 503 busy", "ERROR 503 server busy [busy]"),
    R(WQI_REPLY_OK, "ERROR 503 shutting down", "ERROR 503 server busy [shutting down]"),
    R(WQI_REPLY_OK, "ERROR 503 shutdowns x", "ERROR 503 server busy [shutdowns x]"),
    R(WQI_REPLY_OK, "ERROR 503 Shutdown x", "ERROR 503 server busy [Shutdown x]"),
    R(WQI_REPLY_OK, "ERROR 503  shutdown x", "ERROR 503 server busy [ shutdown x]"),
    R(WQI_REPLY_OK, "ERROR 503 shutdown\nx", "ERROR 503 server busy [shutdown\\x0Ax]"),
    R(WQI_REPLY_OK, "ERROR 503 maintenance back soon",
      "ERROR 503 server busy [maintenance back soon]"),
    R(WQI_REPLY_OK, "ERROR 503 ", "ERROR 503 server busy []"),
    R(WQI_REPLY_OK, "ERROR 500 shutdown x", "ERROR 500 internal error [shutdown x]"),
    /* The message is kept as sent. */
    R(WQI_REPLY_OK, "ERROR 400 a\nb", "ERROR 400 bad request [a\\x0Ab]"),
};

static const row malformed[] = {
    /* Not the reply the request expects. */
    R(WQI_REPLY_OK, "OK 7", "fail: protocol error"),
    R(WQI_REPLY_OK, "", "fail: protocol error"),
    R(WQI_REPLY_OK, "ok", "fail: protocol error"),
    R(WQI_REPLY_OK, "OK\n", "fail: protocol error"),
    R(WQI_REPLY_OK, "OK ", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK ", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK x", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK +1", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK -1", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK 1 ", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK  1", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK 1\n", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK 18446744073709551616", "fail: protocol error"),
    R(WQI_REPLY_U64, "OK 99999999999999999999", "fail: protocol error"),
    R(WQI_REPLY_PONG, "OK PONG extra", "fail: protocol error"),
    R(WQI_REPLY_PONG, "OK PON", "fail: protocol error"),
    R(WQI_REPLY_PONG, "OK", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.0 1 -5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.0 1", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.0 1 5 ", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.0 1 5 6", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.0 x 5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq  1 5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq\t1.0 1 5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.\x01 1 5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK workq 1.\xC3\xA9 1 5", "fail: protocol error"),
    R(WQI_REPLY_HELLO, "OK redis 1.0 1 5", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q stopped 1 2 3", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q stopped 1 2 3 4 ", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q stopped 1 2 3 4 5", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q running 1 2 3 4", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q Started 1 2 3 4", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q stopped 1 2  3 4", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK a/b stopped 1 2 3 4", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK  stopped 1 2 3 4", "fail: protocol error"),
    R(WQI_REPLY_STATUS, "OK q stopped 1 2 3 4\n", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 2\nq started 1 1", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\nq running 1 1", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\nq started 1 1\n", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\nq started 1 1 ", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\nq started 1 1 0 0", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 0\n", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1 \nq started 1 1", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\n\nq started 1 1", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 1\r\nq started 1 1", "fail: protocol error"),
    R(WQI_REPLY_LIST, "OK 18446744073709551615\nq started 1 1", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM x hello", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM 5", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM  5 x", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM ", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ITEM 18446744073709551616 x", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "EMPTY ", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "EMPTY\n", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "empty", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "OK", "fail: protocol error"),
    /* Malformed ERROR lines are malformed whatever was expected. */
    R(WQI_REPLY_OK, "ERROR 4x4 what", "fail: protocol error"),
    R(WQI_REPLY_OK, "ERROR 404", "fail: protocol error"),
    R(WQI_REPLY_OK, "ERROR 40 x", "fail: protocol error"),
    R(WQI_REPLY_OK, "ERROR 4044 x", "fail: protocol error"),
    R(WQI_REPLY_OK, "ERROR  404 x", "fail: protocol error"),
    R(WQI_REPLY_OK, "ERROR -40 x", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ERROR ", "fail: protocol error"),
    R(WQI_REPLY_ITEM, "ERROR", "fail: protocol error"),
    R(WQI_REPLY_OK, "error 404 x", "fail: protocol error"),
};

static void good_replies_parse_into_their_fields(void **state)
{
    (void)state;
    check_rows(good, COUNT(good));
}

static void malformed_replies_are_eproto_and_leave_nothing(void **state)
{
    (void)state;
    check_rows(malformed, COUNT(malformed));
}

/* The expected kind decides: the same bytes are one reply and not another. */
static void the_expected_kind_decides(void **state)
{
    (void)state;
    static const row rows[] = {
        R(WQI_REPLY_U64, "OK 0", "U64 0"),
        R(WQI_REPLY_LIST, "OK 0", "LIST 0"),
        R(WQI_REPLY_OK, "OK 0", "fail: protocol error"),
        R(WQI_REPLY_STATUS, "OK 0", "fail: protocol error"),
        R(WQI_REPLY_HELLO, "OK 0", "fail: protocol error"),
        R(WQI_REPLY_ITEM, "OK 0", "fail: protocol error"),
        R(WQI_REPLY_PONG, "OK 0", "fail: protocol error"),
        R(WQI_REPLY_U64, "EMPTY", "fail: protocol error"),
        R(WQI_REPLY_ERROR, "ERROR 404 x", "fail: invalid argument"),
        R((wqi_reply_kind)WQI_REPLY_KIND_COUNT, "OK", "fail: invalid argument"),
    };
    check_rows(rows, COUNT(rows));
}

/* Every proper prefix of a reply whose last field is one digit is
 * incomplete: never taken for a shorter valid reply. */
static void every_proper_prefix_of_a_complete_reply_is_eproto(void **state)
{
    (void)state;
    static const row whole[] = {
        R(WQI_REPLY_LIST, "OK 2\nalpha started 3 1\nBeta stopped 10 0", ""),
        R(WQI_REPLY_STATUS, "OK Beta stopped 4 2 10 4", ""),
        R(WQI_REPLY_HELLO, "OK workq 1.2.3 1 4", ""),
        R(WQI_REPLY_PONG, "OK PONG", ""),
        R(WQI_REPLY_OK, "OK", ""),
    };
    for (size_t i = 0; i < COUNT(whole); i++) {
        text t;
        assert_int_equal(parse_copy(whole[i].expect, whole[i].bytes, whole[i].len, &t), WQ_OK);
        for (size_t n = 0; n < whole[i].len; n++) {
            if (parse_copy(whole[i].expect, whole[i].bytes, n, &t) != WQ_EPROTO) {
                fail_msg("prefix of %u bytes of row %u: %s", (unsigned)n, (unsigned)i, t.s);
            }
        }
    }
}

/* Queue names in rows are checked as requests check them: up to 128
 * characters. */
static void a_row_name_may_have_128_characters_not_129(void **state)
{
    (void)state;
    char reply[3 + 129 + 16];
    char want[8 + 129 + 16];
    for (size_t len = 128; len <= 129; len++) {
        memcpy(reply, "OK ", 3);
        memset(reply + 3, 'n', len);
        memcpy(reply + 3 + len, " started 1 2 3 4", 16);
        text t;
        wq_err err = parse_copy(WQI_REPLY_STATUS, reply, 3 + len + 16, &t);
        if (len == 128) {
            memcpy(want, "STATUS ", 7);
            memset(want + 7, 'n', len);
            memcpy(want + 7 + len, " started 1 2 3 4", 17);
            assert_int_equal(err, WQ_OK);
            assert_string_equal(t.s, want);
        } else {
            assert_int_equal(err, WQ_EPROTO);
        }
    }
}

/* What the server itself says when a RETRIEVE would wait after shutdown
 * (dispatch.c) is what the parser takes for WQ_ESHUTDOWN: the two sides
 * agree on the token. */
static void the_servers_shutdown_reply_parses_as_eshutdown(void **state)
{
    (void)state;
    wqi_registry *reg;
    wqi_owner *o;
    assert_int_equal(wqi_registry_create(NULL, &reg), WQ_OK);
    assert_int_equal(wqi_registry_owner_create(reg, &o), WQ_OK);
    wqi_dispatch_ctx ctx;
    ctx.registry = reg;
    ctx.version = "0.1.0";
    ctx.max_message = 4096;
    wqi_buf out;
    wqi_buf_init(&out);
    static const char create[] = "CREATE q";
    static const char wait[] = "RETRIEVE q 60000";
    assert_int_equal(wqi_dispatch(&ctx, o, create, sizeof create - 1, &out), WQ_OK);
    wqi_registry_shutdown(reg);
    /* After shutdown a RETRIEVE that would wait answers at once. */
    assert_int_equal(wqi_dispatch(&ctx, o, wait, sizeof wait - 1, &out), WQ_OK);
    wqi_reply r;
    assert_int_equal(wqi_reply_parse(out.data, out.len, WQI_REPLY_ITEM, &r), WQ_OK);
    assert_int_equal(r.kind, WQI_REPLY_ERROR);
    assert_int_equal(r.code, 503);
    assert_int_equal(r.err, WQ_ESHUTDOWN);
    assert_true(r.message_len > strlen(WQI_503_SHUTDOWN " "));
    assert_memory_equal(r.message, WQI_503_SHUTDOWN " ", strlen(WQI_503_SHUTDOWN " "));
    wqi_buf_free(&out);
    wqi_registry_owner_destroy(reg, o);
    wqi_registry_destroy(reg);
}

static size_t largest_allocation;

static void note_allocation(size_t size)
{
    if (size > largest_allocation) {
        largest_allocation = size;
    }
}

/* A LIST's claimed row count must not become an allocation before the
 * rows are there: the count is bounded by the message's own length. */
static void a_claimed_row_count_allocates_nothing_it_cannot_back(void **state)
{
    (void)state;
    static const char huge[] = "OK 1000000\nq started 1 1";
    wqi_reply r;
    largest_allocation = 0;
    wqi_alloc_set_observer(note_allocation);
    wq_err err = wqi_reply_parse(huge, sizeof huge - 1, WQI_REPLY_LIST, &r);
    wqi_alloc_set_observer(NULL);
    assert_int_equal(err, WQ_EPROTO);
    assert_int_equal(largest_allocation, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_replies_parse_into_their_fields),
        cmocka_unit_test(malformed_replies_are_eproto_and_leave_nothing),
        cmocka_unit_test(the_expected_kind_decides),
        cmocka_unit_test(every_proper_prefix_of_a_complete_reply_is_eproto),
        cmocka_unit_test(a_row_name_may_have_128_characters_not_129),
        cmocka_unit_test(the_servers_shutdown_reply_parses_as_eshutdown),
        cmocka_unit_test(a_claimed_row_count_allocates_nothing_it_cannot_back),
    };
    return cmocka_run_group_tests_name("reply_parse", tests, NULL, NULL);
}
