/* test_protocol.c — docs/protocol.md "Text encoding", "Request syntax" and
 * "Commands", as tables: which messages parse into which requests, which are
 * bad requests (400), in UTF-8 and in UTF-16LE
 * (src/protocol.c). Replies: test_reply.c. No I/O. */
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
#include "protocol.h"
#include "queue_name.h"
#include "reply.h"
#include "text_cases.h"
#include "utf16.h"

/* ---- helpers ------------------------------------------------------------ */

static void expect_bad(const void *p, size_t n, const char *why_expected)
{
    wqi_request req;
    const char *why = "unset";
    uint8_t *copy = exact(p, n);
    wq_err err = wqi_request_parse(copy, n, &req, &why);
    free(copy);
    if (err != WQ_EBADREQ) {
        fail_msg("\"%s\": expected 400, got wq_err %d", show(p, n), (int)err);
    }
    if (why == NULL || why[0] == '\0') {
        fail_msg("\"%s\": no sentence", show(p, n));
    }
    if (why_expected != NULL && strcmp(why, why_expected) != 0) {
        fail_msg("\"%s\": expected \"%s\", got \"%s\"", show(p, n), why_expected, why);
    }
    assert_null(req.owned);
    assert_null(req.queue);
    assert_null(req.payload);
    wqi_request_free(&req);
}

static void expect_bad_msgs(const msg *t, size_t count, const char *why)
{
    for (size_t i = 0; i < count; i++) {
        expect_bad(t[i].bytes, t[i].len, why);
    }
}

static void parse_ok(const void *p, size_t n, wqi_request *req)
{
    const char *why = "unset";
    wq_err err = wqi_request_parse(p, n, req, &why);
    if (err != WQ_OK) {
        fail_msg("\"%s\": expected OK, got wq_err %d (%s)", show(p, n), (int)err,
                 why != NULL ? why : "NULL");
    }
    assert_null(why);
}

static void assert_queue(const wqi_request *req, const char *name)
{
    assert_non_null(req->queue);
    assert_int_equal(req->queue_len, strlen(name));
    assert_memory_equal(req->queue, name, strlen(name));
}

/* ---- well-formed requests ----------------------------------------------- */

static const struct good {
    const char *text;
    wqi_verb verb;
    const char *queue; /* NULL: none */
    uint64_t id;
    int has_wait;
    uint32_t wait_ms;
} good_requests[] = {
    {"CREATE MyWorkQueue", WQI_VERB_CREATE, "MyWorkQueue", 0, 0, 0},
    {"DELETE MyWorkQueue", WQI_VERB_DELETE, "MyWorkQueue", 0, 0, 0},
    {"START q", WQI_VERB_START, "q", 0, 0, 0},
    {"STOP q", WQI_VERB_STOP, "q", 0, 0, 0},
    {"LIST", WQI_VERB_LIST, NULL, 0, 0, 0},
    {"STATUS q", WQI_VERB_STATUS, "q", 0, 0, 0},
    {"RETRIEVE q", WQI_VERB_RETRIEVE, "q", 0, 0, 0},
    {"RETRIEVE q 0", WQI_VERB_RETRIEVE, "q", 0, 1, 0},
    {"RETRIEVE q 1500", WQI_VERB_RETRIEVE, "q", 0, 1, 1500},
    {"ACK q 1", WQI_VERB_ACK, "q", 1, 0, 0},
    {"RELEASE q 42", WQI_VERB_RELEASE, "q", 42, 0, 0},
    {"PURGE q", WQI_VERB_PURGE, "q", 0, 0, 0},
    {"PING", WQI_VERB_PING, NULL, 0, 0, 0},
    {"HELLO", WQI_VERB_HELLO, NULL, 0, 0, 0},
    /* The verb is ASCII and case-insensitive. */
    {"create q", WQI_VERB_CREATE, "q", 0, 0, 0},
    {"CrEaTe q", WQI_VERB_CREATE, "q", 0, 0, 0},
    {"delete q", WQI_VERB_DELETE, "q", 0, 0, 0},
    {"start q", WQI_VERB_START, "q", 0, 0, 0},
    {"stop q", WQI_VERB_STOP, "q", 0, 0, 0},
    {"list", WQI_VERB_LIST, NULL, 0, 0, 0},
    {"Status q", WQI_VERB_STATUS, "q", 0, 0, 0},
    {"retrieve q 5", WQI_VERB_RETRIEVE, "q", 0, 1, 5},
    {"ack q 7", WQI_VERB_ACK, "q", 7, 0, 0},
    {"rElEaSe q 7", WQI_VERB_RELEASE, "q", 7, 0, 0},
    {"purge q", WQI_VERB_PURGE, "q", 0, 0, 0},
    {"ping", WQI_VERB_PING, NULL, 0, 0, 0},
    {"hello", WQI_VERB_HELLO, NULL, 0, 0, 0},
    /* One trailing "\n" or "\r\n" is ignored. */
    {"PING\n", WQI_VERB_PING, NULL, 0, 0, 0},
    {"PING\r\n", WQI_VERB_PING, NULL, 0, 0, 0},
    {"CREATE q\n", WQI_VERB_CREATE, "q", 0, 0, 0},
    {"CREATE q\r\n", WQI_VERB_CREATE, "q", 0, 0, 0},
    {"ACK q 12\r\n", WQI_VERB_ACK, "q", 12, 0, 0},
    {"RETRIEVE q 3\n", WQI_VERB_RETRIEVE, "q", 0, 1, 3},
    /* Queue names: every allowed character class. */
    {"CREATE AZaz09_.-", WQI_VERB_CREATE, "AZaz09_.-", 0, 0, 0},
    {"CREATE .", WQI_VERB_CREATE, ".", 0, 0, 0},
    {"CREATE -", WQI_VERB_CREATE, "-", 0, 0, 0},
    /* Numbers: leading zeros, and the boundaries of 64 and 32 bits. */
    {"ACK q 0", WQI_VERB_ACK, "q", 0, 0, 0},
    {"ACK q 007", WQI_VERB_ACK, "q", 7, 0, 0},
    {"ACK q 18446744073709551615", WQI_VERB_ACK, "q", UINT64_MAX, 0, 0},
    {"ACK q 00000018446744073709551615", WQI_VERB_ACK, "q", UINT64_MAX, 0, 0},
    {"RELEASE q 18446744073709551615", WQI_VERB_RELEASE, "q", UINT64_MAX, 0, 0},
    {"RELEASE q 4294967296", WQI_VERB_RELEASE, "q", 4294967296u, 0, 0},
    {"RETRIEVE q 4294967295", WQI_VERB_RETRIEVE, "q", 0, 1, UINT32_MAX},
    {"RETRIEVE q 0004294967295", WQI_VERB_RETRIEVE, "q", 0, 1, UINT32_MAX},
    {"RETRIEVE q 000", WQI_VERB_RETRIEVE, "q", 0, 1, 0},
};

static void test_good_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(good_requests); i++) {
        const struct good *g = &good_requests[i];
        wqi_request req;
        parse_ok(g->text, strlen(g->text), &req);
        assert_int_equal(req.verb, g->verb);
        assert_int_equal(req.utf16, 0);
        if (g->queue == NULL) {
            assert_null(req.queue);
        } else {
            assert_queue(&req, g->queue);
            /* A UTF-8 request is parsed in place. */
            assert_true(req.queue >= g->text && req.queue < g->text + strlen(g->text));
        }
        assert_null(req.payload);
        assert_int_equal(req.id, g->id);
        assert_int_equal(req.has_wait, g->has_wait);
        assert_int_equal(req.wait_ms, g->wait_ms);
        assert_null(req.owned);
        wqi_request_free(&req);
    }
}

/* ---- argument counts ---------------------------------------------------- */

static const struct arity {
    const char *text;
    const char *why;
} arity_errors[] = {
    {"CREATE", "CREATE takes 1 argument"},
    {"CREATE a b", "CREATE takes 1 argument"},
    {"DELETE", "DELETE takes 1 argument"},
    {"DELETE a b", "DELETE takes 1 argument"},
    {"START", "START takes 1 argument"},
    {"START a b", "START takes 1 argument"},
    {"STOP", "STOP takes 1 argument"},
    {"STOP a b", "STOP takes 1 argument"},
    {"LIST a", "LIST takes no arguments"},
    {"LIST a b", "LIST takes no arguments"},
    {"STATUS", "STATUS takes 1 argument"},
    {"STATUS a b", "STATUS takes 1 argument"},
    {"PUBLISH", "PUBLISH takes 2 arguments"},
    {"PUBLISH\n", "PUBLISH takes 2 arguments"},
    {"PUBLISH a", "PUBLISH takes 2 arguments"},
    {"RETRIEVE", "RETRIEVE takes 1 or 2 arguments"},
    {"RETRIEVE a 1 2", "RETRIEVE takes 1 or 2 arguments"},
    {"ACK", "ACK takes 2 arguments"},
    {"ACK a", "ACK takes 2 arguments"},
    {"ACK a 1 2", "ACK takes 2 arguments"},
    {"RELEASE", "RELEASE takes 2 arguments"},
    {"RELEASE a", "RELEASE takes 2 arguments"},
    {"RELEASE a 1 2", "RELEASE takes 2 arguments"},
    {"PURGE", "PURGE takes 1 argument"},
    {"PURGE a b", "PURGE takes 1 argument"},
    {"PING a", "PING takes no arguments"},
    {"HELLO a", "HELLO takes no arguments"},
    {"create\r\n", "CREATE takes 1 argument"},
};

static void test_argument_counts(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(arity_errors); i++) {
        expect_bad(arity_errors[i].text, strlen(arity_errors[i].text), arity_errors[i].why);
    }
}

/* ---- verbs -------------------------------------------------------------- */

static void test_unknown_verbs(void **state)
{
    (void)state;
    static const msg bad[] =
        {
            M("FOO"),         M("CREAT q"), M("CREATEX q"),  M("PINGPING"), M("P"),
            M("PI NG"),       M("PING\r"),  M("PING\r\r\n"), M("PING\n\r"), M("PING\n\n"),
            M("\tPING"),      M("PING\t"),  M("CREATE\tq"),  M("PING\0"),   M("\xC3\xA9"),
            M("P\xC4\xB0NG"), /* PİNG: only ASCII letters fold */
            M("PING\0\0"),    /* the second byte is 'I': UTF-8, with NULs */
        };
    expect_bad_msgs(bad, COUNT(bad), "unknown command");
}

static void test_empty_requests(void **state)
{
    (void)state;
    expect_bad(NULL, 0, "empty request");
    expect_bad("", 0, "empty request");
    expect_bad("\n", 1, "empty request");
    expect_bad("\r\n", 2, "empty request");
    /* A lone BOM is an empty UTF-16LE request. */
    expect_bad("\xFF\xFE", 2, "empty request");
    /* One-byte messages cannot be UTF-16LE: there is no second byte. */
    expect_bad("\0", 1, "unknown command");
    expect_bad("\xFF", 1, "unknown command");
    expect_bad(" ", 1, NULL);
    expect_bad("\r", 1, "unknown command");
}

/* ---- spaces ------------------------------------------------------------- */

static void test_spaces(void **state)
{
    (void)state;
    static const msg bad[] = {
        M(" PING"),       M("PING "),       M(" CREATE q"),     M("CREATE  q"),    M("CREATE q "),
        M("CREATE q \n"), M("CREATE q\n "), M("LIST "),         M("ACK q  1"),     M("ACK  q 1"),
        M("ACK q 1 "),    M("RETRIEVE q "), M("RETRIEVE q  5"), M("PUBLISH  q x"), M("PUBLISH "),
        M("CREATE "),     M("  "),
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        expect_bad(bad[i].bytes, bad[i].len, NULL);
    }
    expect_bad("CREATE  q", 9, "extra space");
    expect_bad(" PING", 5, "extra space");
    expect_bad("PING ", 5, "extra space");
}

/* ---- queue names -------------------------------------------------------- */

static void test_queue_names(void **state)
{
    (void)state;
    char name[WQ_QUEUE_NAME_MAX + 2];
    memset(name, 'a', sizeof name);
    assert_true(wqi_queue_name_valid(name, 1));
    assert_true(wqi_queue_name_valid(name, 128));
    assert_false(wqi_queue_name_valid(name, 129));
    assert_false(wqi_queue_name_valid(name, 0));

    /* Every byte value: exactly A-Z a-z 0-9 _ . - are allowed. */
    for (int c = 0; c < 256; c++) {
        char one = (char)c;
        int allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
        assert_int_equal(wqi_queue_name_valid(&one, 1), allowed);
    }

    /* Through the parser: 128 characters parse, 129 do not. */
    char req[8 + WQ_QUEUE_NAME_MAX + 2];
    memcpy(req, "CREATE ", 7);
    memset(req + 7, 'q', WQ_QUEUE_NAME_MAX + 1);
    wqi_request r;
    parse_ok(req, 7 + 128, &r);
    assert_int_equal(r.queue_len, 128);
    expect_bad(req, 7 + 129, "bad queue name");

    static const msg bad[] = {
        M("CREATE a\tb"), M("CREATE a\0b"),  M("CREATE a\rb"),     M("CREATE a\nb"),
        M("CREATE a/b"),  M("CREATE a\\b"),  M("CREATE \xC3\xA9"), M("CREATE caf\xC3\xA9"),
        M("CREATE q\r"),  M("CREATE q\n\n"), M("CREATE q\r\r\n"),  M("CREATE a:b"),
        M("CREATE a*"),   M("STATUS \x7F"),  M("DELETE a,b"),      M("PURGE q\0"),
        M("ACK a/b 1"),   M("RETRIEVE a/b"), M("PUBLISH a/b x"),   M("PUBLISH \xC3\xA9 x"),
    };
    expect_bad_msgs(bad, COUNT(bad), "bad queue name");
    /* A space inside a name makes two arguments. */
    expect_bad("CREATE a b", 10, "CREATE takes 1 argument");
}

/* ---- numbers ------------------------------------------------------------ */

static void test_bad_numbers(void **state)
{
    (void)state;
    static const char *const bad_forms[] = {
        "10b",
        "-1",
        "+1",
        "0x10",
        "1.5",
        "1e3",
        "1,000",
        "\xEF\xBC\x91" /* fullwidth 1 */,
        "18446744073709551616",
        "18446744073709551620",
        "99999999999999999999",
        "184467440737095516150",
        "000018446744073709551616",
    };
    static const char *const verbs[] = {"ACK q ", "RELEASE q ", "RETRIEVE q "};
    char text[128];
    for (size_t v = 0; v < COUNT(verbs); v++) {
        for (size_t i = 0; i < COUNT(bad_forms); i++) {
            int n = snprintf(text, sizeof text, "%s%s", verbs[v], bad_forms[i]);
            expect_bad(text, (size_t)n, "bad number");
        }
        /* Empty and " 1" are spacing errors. */
        int n = snprintf(text, sizeof text, "%s", verbs[v]);
        expect_bad(text, (size_t)n, NULL);
        n = snprintf(text, sizeof text, "%s 1", verbs[v]);
        expect_bad(text, (size_t)n, NULL);
    }
    /* <wait-ms> is 32 bits. */
    static const msg bad_wait[] = {
        M("RETRIEVE q 4294967296"),
        M("RETRIEVE q 4294967300"),
        M("RETRIEVE q 10000000000"),
        M("RETRIEVE q 00004294967296"),
    };
    expect_bad_msgs(bad_wait, COUNT(bad_wait), "bad number");
}

/* ---- PUBLISH ------------------------------------------------------------ */

static const struct publish {
    msg text;
    const char *queue;
    msg payload;
} publishes[] = {
    {M("PUBLISH MyWorkQueue hello"), "MyWorkQueue", M("hello")},
    {M("publish q hello"), "q", M("hello")},
    {M("PUBLISH q "), "q", M("")},
    {M("PUBLISH q  x"), "q", M(" x")},
    {M("PUBLISH q x "), "q", M("x ")},
    {M("PUBLISH q a b c"), "q", M("a b c")},
    /* Newlines, CR and NUL are payload, at the end as well as inside. */
    {M("PUBLISH q hello\n"), "q", M("hello\n")},
    {M("PUBLISH q hello\r\n"), "q", M("hello\r\n")},
    {M("PUBLISH q a\r\nb\r\n"), "q", M("a\r\nb\r\n")},
    {M("PUBLISH q \n"), "q", M("\n")},
    {M("PUBLISH q a\0b\0"), "q", M("a\0b\0")},
    {M("PUBLISH q \0"), "q", M("\0")},
    {M("PUBLISH q \xFF\xFE\x00\x80"), "q", M("\xFF\xFE\x00\x80")},
    {M("PUBLISH q PUBLISH q x"), "q", M("PUBLISH q x")},
};

static void test_publish(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(publishes); i++) {
        const struct publish *p = &publishes[i];
        wqi_request req;
        parse_ok(p->text.bytes, p->text.len, &req);
        assert_int_equal(req.verb, WQI_VERB_PUBLISH);
        assert_queue(&req, p->queue);
        assert_non_null(req.payload);
        assert_int_equal(req.payload_len, p->payload.len);
        assert_memory_equal(req.payload, p->payload.bytes, p->payload.len);
        /* The payload runs to the very end of the message. */
        assert_ptr_equal(req.payload + req.payload_len,
                         (const uint8_t *)p->text.bytes + p->text.len);
        wqi_request_free(&req);
    }
}

static void test_publish_every_byte(void **state)
{
    (void)state;
    uint8_t text[10 + 256];
    memcpy(text, "PUBLISH q ", 10);
    for (int i = 0; i < 256; i++) {
        text[10 + i] = (uint8_t)(255 - i); /* ends with "\n" then NUL */
    }
    wqi_request req;
    parse_ok(text, sizeof text, &req);
    assert_int_equal(req.payload_len, 256);
    assert_memory_equal(req.payload, text + 10, 256);
}

static void test_publish_bad(void **state)
{
    (void)state;
    /* No space after the name: no payload at all, not an empty one. */
    expect_bad("PUBLISH q", 9, "PUBLISH takes 2 arguments");
    expect_bad("PUBLISH q\n", 10, "PUBLISH takes 2 arguments");
    expect_bad("PUBLISH q\r\n", 11, "PUBLISH takes 2 arguments");
    expect_bad("PUBLISH", 7, "PUBLISH takes 2 arguments");
    expect_bad("PUBLISH  q x", 12, "extra space");
    expect_bad("PUBLISH a/b x", 13, "bad queue name");
    expect_bad("PUBLISH\tq x", 11, "unknown command");
}

static void test_utf8_parse_does_not_allocate(void **state)
{
    (void)state;
    *allocations() = 0;
    wqi_alloc_set_observer(count_allocation);
    for (size_t i = 0; i < COUNT(good_requests); i++) {
        wqi_request req;
        assert_int_equal(
            wqi_request_parse(good_requests[i].text, strlen(good_requests[i].text), &req, NULL),
            WQ_OK);
        wqi_request_free(&req);
    }
    for (size_t i = 0; i < COUNT(arity_errors); i++) {
        wqi_request req;
        assert_int_equal(
            wqi_request_parse(arity_errors[i].text, strlen(arity_errors[i].text), &req, NULL),
            WQ_EBADREQ);
    }
    wqi_alloc_set_observer(NULL);
    assert_int_equal(*allocations(), 0);
}

/* A UTF-16LE request costs one allocation (its UTF-8 copy); an invalid one
 * costs none. */
static void test_utf16_parse_allocates_once(void **state)
{
    (void)state;
    uint8_t wide[64];
    size_t n = widen("PUBLISH q hello", 15, wide);
    wqi_request req;
    *allocations() = 0;
    wqi_alloc_set_observer(count_allocation);
    assert_int_equal(wqi_request_parse(wide, n, &req, NULL), WQ_OK);
    assert_int_equal(*allocations(), 1);
    wqi_request_free(&req);
    assert_int_equal(wqi_request_parse(wide, n - 1, &req, NULL), WQ_EBADREQ);
    wide[4] = 0x00;
    wide[5] = 0xDC;
    assert_int_equal(wqi_request_parse(wide, n, &req, NULL), WQ_EBADREQ);
    wqi_alloc_set_observer(NULL);
    assert_int_equal(*allocations(), 1);
}

/* ---- UTF-16LE requests -------------------------------------------------- */

/* "CREATE MyWorkQueue" as .NET's Encoding.Unicode.GetBytes writes it. */
static const uint8_t create_utf16[] = {
    'C', 0, 'R', 0, 'E', 0, 'A', 0, 'T', 0, 'E', 0, ' ', 0, 'M', 0, 'y', 0,
    'W', 0, 'o', 0, 'r', 0, 'k', 0, 'Q', 0, 'u', 0, 'e', 0, 'u', 0, 'e', 0,
};

static void test_utf16_create(void **state)
{
    (void)state;
    uint8_t with_bom[2 + sizeof create_utf16] = {0xFF, 0xFE};
    memcpy(with_bom + 2, create_utf16, sizeof create_utf16);

    wqi_request req;
    parse_ok(create_utf16, sizeof create_utf16, &req);
    assert_int_equal(req.utf16, 1);
    assert_int_equal(req.verb, WQI_VERB_CREATE);
    assert_queue(&req, "MyWorkQueue");
    assert_non_null(req.owned); /* the name lives in the decoded copy */
    wqi_request_free(&req);
    assert_null(req.owned);

    parse_ok(with_bom, sizeof with_bom, &req);
    assert_int_equal(req.utf16, 1);
    assert_int_equal(req.verb, WQI_VERB_CREATE);
    assert_queue(&req, "MyWorkQueue");
    wqi_request_free(&req);
}

static void test_utf16_detection(void **state)
{
    (void)state;
    assert_true(wqi_request_is_utf16("\xFF\xFE", 2));
    assert_true(wqi_request_is_utf16("\xFF\xFEP\0", 4));
    assert_true(wqi_request_is_utf16("P\0", 2));
    assert_true(wqi_request_is_utf16("\0\0", 2));
    assert_false(wqi_request_is_utf16("PING", 4));
    assert_false(wqi_request_is_utf16("\xFF", 1));
    assert_false(wqi_request_is_utf16("\0", 1));
    assert_false(wqi_request_is_utf16("", 0));
    assert_false(wqi_request_is_utf16("\xFE\xFF", 2)); /* big-endian BOM: not ours */
}

/* Every well-formed request also parses when sent as UTF-16LE, with or
 * without a BOM, into the same request. */
static void test_utf16_same_as_utf8(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(good_requests); i++) {
        const struct good *g = &good_requests[i];
        uint8_t wide[2 + 2 * 64];
        size_t n = strlen(g->text);
        assert_true(n <= 64);
        for (int bom = 0; bom <= 1; bom++) {
            size_t off = bom ? 2 : 0;
            wide[0] = 0xFF;
            wide[1] = 0xFE;
            size_t len = off + widen(g->text, n, wide + off);
            wqi_request req;
            parse_ok(wide, len, &req);
            assert_int_equal(req.utf16, 1);
            assert_int_equal(req.verb, g->verb);
            if (g->queue != NULL) {
                assert_queue(&req, g->queue);
            }
            assert_int_equal(req.id, g->id);
            assert_int_equal(req.has_wait, g->has_wait);
            assert_int_equal(req.wait_ms, g->wait_ms);
            wqi_request_free(&req);
        }
    }
}

static void test_utf16_publish_is_stored_as_utf8(void **state)
{
    (void)state;
    /* "PUBLISH q hé€𝄞\r\n": é U+00E9, € U+20AC, 𝄞 U+1D11E (D834 DD1E). */
    uint8_t wide[64];
    size_t n = widen("PUBLISH q h", 11, wide);
    static const uint8_t tail[] = {0xE9, 0x00, 0xAC, 0x20, 0x34, 0xD8,
                                   0x1E, 0xDD, '\r', 0,    '\n', 0};
    memcpy(wide + n, tail, sizeof tail);
    n += sizeof tail;
    static const char utf8[] = "h\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E\r\n";

    wqi_request req;
    parse_ok(wide, n, &req);
    assert_int_equal(req.verb, WQI_VERB_PUBLISH);
    assert_queue(&req, "q");
    assert_int_equal(req.payload_len, sizeof utf8 - 1);
    assert_memory_equal(req.payload, utf8, sizeof utf8 - 1);
    wqi_request_free(&req);

    /* An empty UTF-16LE payload. */
    n = widen("PUBLISH q ", 10, wide);
    parse_ok(wide, n, &req);
    assert_int_equal(req.payload_len, 0);
    assert_non_null(req.payload);
    wqi_request_free(&req);
}

static void test_utf16_invalid(void **state)
{
    (void)state;
    uint8_t wide[64];
    size_t n;

    static const msg bad[] = {
        M("P\0I"),                                          /* odd length */
        M("P\0I\0N\0G\0\n"),                                /* odd length, trailing newline byte */
        M("\xFF\xFEP"),                                     /* odd after the BOM */
        M("C\0R\0E\0A\0T\0E\0 \0q\0\x00\xD8"),              /* high surrogate at the end */
        M("C\0R\0E\0A\0T\0E\0 \0\x00\xDCq\0"),              /* lone low surrogate */
        M("C\0R\0E\0A\0T\0E\0 \0\x00\xD8q\0"),              /* high surrogate, then no low */
        M("C\0R\0E\0A\0T\0E\0 \0\x00\xD8\x00\xD8\x00\xDC"), /* high, high, low */
        M("\xFF\xFE\x00\xDC"),
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        wqi_request req;
        const char *why = NULL;
        uint8_t *copy = exact(bad[i].bytes, bad[i].len);
        assert_int_equal(wqi_request_parse(copy, bad[i].len, &req, &why), WQ_EBADREQ);
        free(copy);
        assert_string_equal(why, "invalid UTF-16");
        /* The error must go back in UTF-16LE. */
        assert_int_equal(req.utf16, 1);
        assert_null(req.owned);
    }

    /* Well-formed UTF-16LE that breaks the grammar is an ordinary 400. */
    wqi_request req;
    const char *why = NULL;
    n = widen("PING x", 6, wide);
    assert_int_equal(wqi_request_parse(wide, n, &req, &why), WQ_EBADREQ);
    assert_string_equal(why, "PING takes no arguments");
    assert_int_equal(req.utf16, 1);
    n = widen("CREATE a\0b", 10, wide); /* U+0000 is no name character */
    expect_bad(wide, n, "bad queue name");
    n = widen("CREATE q\n\n", 10, wide);
    expect_bad(wide, n, "bad queue name");
    /* Only one BOM is dropped. */
    uint8_t two_boms[] = {0xFF, 0xFE, 0xFF, 0xFE, 'P', 0, 'I', 0, 'N', 0, 'G', 0};
    expect_bad(two_boms, sizeof two_boms, "unknown command");
}

static void test_utf16_error_reply(void **state)
{
    (void)state;
    wqi_request req;
    const char *why = NULL;
    assert_int_equal(wqi_request_parse("P\0I", 3, &req, &why), WQ_EBADREQ);
    wqi_buf b;
    wqi_buf_init(&b);
    assert_int_equal(wqi_reply_error(&b, req.utf16, WQ_EBADREQ, why), WQ_OK);
    uint8_t expected[64];
    size_t n = widen("ERROR 400 invalid UTF-16", 24, expected);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, expected, n);
    wqi_buf_free(&b);
}

/* A lone BOM is an empty request (400), in UTF-16LE, from a message of
 * exactly two bytes. Regression: the conversion of the empty rest computed
 * NULL + 0 (clang's UBSan aborted the connection thread). */
static void test_a_lone_bom_is_an_empty_utf16_request(void **state)
{
    (void)state;
    uint8_t *bom = exact("\xFF\xFE", 2);
    wqi_request req;
    const char *why = NULL;
    assert_int_equal(wqi_request_parse(bom, 2, &req, &why), WQ_EBADREQ);
    assert_string_equal(why, "empty request");
    assert_int_equal(req.utf16, 1);
    free(bom);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_requests),
        cmocka_unit_test(test_argument_counts),
        cmocka_unit_test(test_unknown_verbs),
        cmocka_unit_test(test_empty_requests),
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_queue_names),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_publish_every_byte),
        cmocka_unit_test(test_publish_bad),
        cmocka_unit_test(test_utf8_parse_does_not_allocate),
        cmocka_unit_test(test_utf16_parse_allocates_once),
        cmocka_unit_test(test_utf16_create),
        cmocka_unit_test(test_utf16_detection),
        cmocka_unit_test(test_utf16_same_as_utf8),
        cmocka_unit_test(test_utf16_publish_is_stored_as_utf8),
        cmocka_unit_test(test_utf16_invalid),
        cmocka_unit_test(test_utf16_error_reply),
        cmocka_unit_test(test_a_lone_bom_is_an_empty_utf16_request),
    };
    return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
