/* test_protocol.c — docs/protocol.md "Text encoding", "Request syntax" and
 * "Commands", as tables: which messages parse into which requests, which are
 * bad requests (400), and the exact bytes of every reply, in UTF-8 and in
 * UTF-16LE. No I/O. */
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
#include "utf16.h"

/* A message with its exact length, so that literals may hold NUL bytes. */
typedef struct msg {
    const char *bytes;
    size_t len;
} msg;

#define M(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

/* ---- helpers ------------------------------------------------------------ */

/* Printable form of a message for failure messages. */
static const char *show(const void *p, size_t n)
{
    static char out[512];
    const uint8_t *s = p;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < sizeof out; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') {
            out[o++] = (char)s[i];
        } else {
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02X", s[i]);
        }
    }
    out[o] = '\0';
    return out;
}

/* A heap copy of exactly n bytes, so that ASan or valgrind sees any read
 * past the end of a message (a literal would hide it behind its NUL).
 * NULL for n == 0. Free with free(). */
static uint8_t *exact(const void *p, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, p, n);
    return copy;
}

/* The UTF-16LE form of an ASCII string, as Encoding.Unicode writes it. */
static size_t widen(const char *ascii, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (uint8_t)ascii[i];
        out[2 * i + 1] = 0;
    }
    return 2 * n;
}

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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

/* ---- no allocation for UTF-8 -------------------------------------------- */

static size_t allocations;

static void count_allocation(size_t size)
{
    (void)size;
    allocations++;
}

static void test_utf8_parse_does_not_allocate(void **state)
{
    (void)state;
    allocations = 0;
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
    assert_int_equal(allocations, 0);
}

/* A UTF-16LE request costs one allocation (its UTF-8 copy); an invalid one
 * costs none. */
static void test_utf16_parse_allocates_once(void **state)
{
    (void)state;
    uint8_t wide[64];
    size_t n = widen("PUBLISH q hello", 15, wide);
    wqi_request req;
    allocations = 0;
    wqi_alloc_set_observer(count_allocation);
    assert_int_equal(wqi_request_parse(wide, n, &req, NULL), WQ_OK);
    assert_int_equal(allocations, 1);
    wqi_request_free(&req);
    assert_int_equal(wqi_request_parse(wide, n - 1, &req, NULL), WQ_EBADREQ);
    wide[4] = 0x00;
    wide[5] = 0xDC;
    assert_int_equal(wqi_request_parse(wide, n, &req, NULL), WQ_EBADREQ);
    wqi_alloc_set_observer(NULL);
    assert_int_equal(allocations, 1);
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
    CHECK_REPLY(r_error, &nomem, "ERROR 500 out of memory");
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
        {WQ_EIO, "ERROR 500 x"},
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
    allocations = 0;
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
    assert_int_equal(allocations, 0);
    wqi_buf_free(&b);
}

/* ---- UTF-8 validation and conversion ------------------------------------ */

static const struct utf8_case {
    msg bytes;
    int valid;
} utf8_cases[] = {
    {M(""), 1},
    {M("ascii\0with NUL"), 1},
    {M("\x7F"), 1},
    {M("\xC2\x80"), 1},         /* U+0080, smallest 2-byte */
    {M("\xDF\xBF"), 1},         /* U+07FF */
    {M("\xE0\xA0\x80"), 1},     /* U+0800, smallest 3-byte */
    {M("\xED\x9F\xBF"), 1},     /* U+D7FF, just below the surrogates */
    {M("\xEE\x80\x80"), 1},     /* U+E000, just above */
    {M("\xEF\xBF\xBF"), 1},     /* U+FFFF */
    {M("\xEF\xBB\xBF"), 1},     /* U+FEFF (a BOM is a character) */
    {M("\xF0\x90\x80\x80"), 1}, /* U+10000, smallest 4-byte */
    {M("\xF0\x9F\x98\x80"), 1}, /* U+1F600 */
    {M("\xF4\x8F\xBF\xBF"), 1}, /* U+10FFFF, the last code point */
    {M("caf\xC3\xA9 \xE2\x82\xAC"), 1},
    {M("\x80"), 0}, /* lone continuation byte */
    {M("\xBF"), 0},
    {M("\xC0\x80"), 0},                 /* overlong NUL */
    {M("\xC1\xBF"), 0},                 /* overlong U+007F */
    {M("\xE0\x80\x80"), 0},             /* overlong NUL, 3 bytes */
    {M("\xE0\x9F\xBF"), 0},             /* overlong U+07FF */
    {M("\xF0\x80\x80\x80"), 0},         /* overlong NUL, 4 bytes */
    {M("\xF0\x8F\xBF\xBF"), 0},         /* overlong U+FFFF */
    {M("\xED\xA0\x80"), 0},             /* U+D800, a surrogate */
    {M("\xED\xBF\xBF"), 0},             /* U+DFFF */
    {M("\xED\xA0\xBD\xED\xB8\x80"), 0}, /* CESU-8 pair */
    {M("\xF4\x90\x80\x80"), 0},         /* U+110000 */
    {M("\xF5\x80\x80\x80"), 0},
    {M("\xF8\x88\x80\x80\x80"), 0}, /* 5-byte form */
    {M("\xFE"), 0},
    {M("\xFF"), 0},
    {M("\xC3"), 0},         /* truncated 2-byte */
    {M("\xE2\x82"), 0},     /* truncated 3-byte */
    {M("\xF0\x9F\x98"), 0}, /* truncated 4-byte */
    {M("\xE2\x82x"), 0},    /* continuation replaced by ASCII */
    {M("\xC3\xA9\xC3"), 0}, /* valid, then truncated */
    {M("a\xC3(b"), 0},
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(utf8_cases); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        uint8_t *copy = exact(c->bytes.bytes, c->bytes.len);
        int got = wqi_utf8_valid(copy, c->bytes.len);
        free(copy);
        if (got != c->valid) {
            fail_msg("\"%s\": expected %s", show(c->bytes.bytes, c->bytes.len),
                     c->valid ? "valid" : "invalid");
        }
    }
}

/* Valid UTF-8 survives UTF-16LE and back; invalid UTF-8 is refused. */
static void test_conversion_round_trip(void **state)
{
    (void)state;
    wqi_buf wide, back;
    wqi_buf_init(&wide);
    wqi_buf_init(&back);
    for (size_t i = 0; i < COUNT(utf8_cases); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        wqi_buf_clear(&wide);
        wqi_buf_clear(&back);
        wq_err err = wqi_utf8_to_utf16le(&wide, (const uint8_t *)c->bytes.bytes, c->bytes.len);
        if (!c->valid) {
            assert_int_equal(err, WQ_EINVAL);
            assert_int_equal(wide.len, 0);
            continue;
        }
        assert_int_equal(err, WQ_OK);
        assert_true(wide.len <= 2 * c->bytes.len);
        assert_int_equal(wqi_utf16le_to_utf8(&back, wide.data, wide.len), WQ_OK);
        assert_int_equal(back.len, c->bytes.len);
        assert_memory_equal(back.data, c->bytes.bytes, c->bytes.len);
    }
    wqi_buf_free(&wide);
    wqi_buf_free(&back);
}

static void test_utf16_boundaries(void **state)
{
    (void)state;
    static const struct {
        msg utf16;
        msg utf8;
    } pairs[] = {
        {M("\x00\x00"), M("\x00")},
        {M("\x7F\x00"), M("\x7F")},
        {M("\x80\x00"), M("\xC2\x80")},
        {M("\xFF\x07"), M("\xDF\xBF")},
        {M("\x00\x08"), M("\xE0\xA0\x80")},
        {M("\xFF\xD7"), M("\xED\x9F\xBF")},
        {M("\x00\xE0"), M("\xEE\x80\x80")},
        {M("\xFF\xFE"), M("\xEF\xBB\xBF")}, /* a BOM converts like any character */
        {M("\xFF\xFF"), M("\xEF\xBF\xBF")},
        {M("\x00\xD8\x00\xDC"), M("\xF0\x90\x80\x80")},
        {M("\xFF\xDB\xFF\xDF"), M("\xF4\x8F\xBF\xBF")},
    };
    wqi_buf b;
    wqi_buf_init(&b);
    for (size_t i = 0; i < COUNT(pairs); i++) {
        wqi_buf_clear(&b);
        assert_int_equal(
            wqi_utf16le_to_utf8(&b, (const uint8_t *)pairs[i].utf16.bytes, pairs[i].utf16.len),
            WQ_OK);
        assert_int_equal(b.len, pairs[i].utf8.len);
        assert_memory_equal(b.data, pairs[i].utf8.bytes, b.len);
        wqi_buf_clear(&b);
        assert_int_equal(
            wqi_utf8_to_utf16le(&b, (const uint8_t *)pairs[i].utf8.bytes, pairs[i].utf8.len),
            WQ_OK);
        assert_int_equal(b.len, pairs[i].utf16.len);
        assert_memory_equal(b.data, pairs[i].utf16.bytes, b.len);
    }
    static const msg bad[] = {
        M("A"),
        M("A\0B"),
        M("\x00\xD8"),
        M("\x00\xDC"),
        M("\x00\xD8\x41\x00"),
        M("\xFF\xDB\xFF\xDB"),
        M("\x00\xDC\x00\xD8"),
    };
    assert_int_equal(wqi_buf_append_str(&b, "x"), WQ_OK);
    size_t before = b.len;
    for (size_t i = 0; i < COUNT(bad); i++) {
        uint8_t *copy = exact(bad[i].bytes, bad[i].len);
        assert_int_equal(wqi_utf16le_to_utf8(&b, copy, bad[i].len), WQ_EINVAL);
        free(copy);
        assert_int_equal(b.len, before);
    }
    wqi_buf_free(&b);
}

/* Empty text converts to nothing, also into a buffer that has never held
 * anything (data still NULL): the case of a request that is only a BOM.
 * Regression: both converters computed NULL + 0, which is undefined
 * behaviour that clang's -fsanitize=undefined reports. */
static void test_empty_conversions_into_an_empty_buffer(void **state)
{
    (void)state;
    static const uint8_t some[2] = {0x41, 0x00};
    const uint8_t *sources[2] = {some, NULL};
    for (size_t i = 0; i < COUNT(sources); i++) {
        wqi_buf b;
        wqi_buf_init(&b);
        assert_int_equal(wqi_utf16le_to_utf8(&b, sources[i], 0), WQ_OK);
        assert_int_equal(b.len, 0);
        assert_int_equal(wqi_utf8_to_utf16le(&b, sources[i], 0), WQ_OK);
        assert_int_equal(b.len, 0);
        wqi_buf_free(&b);
    }
    /* The whole request: a lone BOM is an empty request (400), in
     * UTF-16LE, from a message of exactly two bytes. */
    uint8_t *bom = exact("\xFF\xFE", 2);
    wqi_request req;
    const char *why = NULL;
    assert_int_equal(wqi_request_parse(bom, 2, &req, &why), WQ_EBADREQ);
    assert_string_equal(why, "empty request");
    assert_int_equal(req.utf16, 1);
    free(bom);
}

/* ---- the buffer --------------------------------------------------------- */

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
        cmocka_unit_test(test_simple_replies),
        cmocka_unit_test(test_status_and_list_replies),
        cmocka_unit_test(test_item_and_error_replies),
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_item_utf16_bytes),
        cmocka_unit_test(test_reply_errors_leave_buffer_unchanged),
        cmocka_unit_test(test_reused_buffer_does_not_allocate),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_conversion_round_trip),
        cmocka_unit_test(test_utf16_boundaries),
        cmocka_unit_test(test_empty_conversions_into_an_empty_buffer),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
