/* test_bad_requests.c — docs/protocol.md "Errors": an error never
 * changes anything, and only 413 and 503 end the connection. Every request in
 * the table gets its documented ERROR code, leaves the raw LIST and STATUS
 * replies byte for byte as they were, and the next good request on the
 * same connection succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>

#include "live.h"

/* A bad request: its bytes (len 0 with a non-empty text means strlen) and
 * the code its reply must carry. */
struct bad {
    const char *text;
    size_t len;
    int utf16; /* the reply is UTF-16LE */
    const char *code;
};

#define B(text, code)                                                                              \
    {                                                                                              \
        text, sizeof text - 1, 0, code                                                             \
    }
#define U(bytes, code)                                                                             \
    {                                                                                              \
        bytes, sizeof bytes - 1, 1, code                                                           \
    }

static const struct bad table[] = {
    /* Empty. */
    B("", "400"), B("\n", "400"), B("\r\n", "400"), B("\n\n", "400"),
    /* Unknown verbs. */
    B("FROB", "400"), B("FROB Jobs", "400"), B("LISTS", "400"), B("LIS", "400"),
    B("GET Jobs", "400"), B("CREATEX Jobs", "400"), B("PING\0", "400"),
    B("\xc3\x89TAT Jobs", "400"), B("LIST\n\n", "400"),
    /* Too few or too many arguments, for every command. */
    B("CREATE", "400"), B("CREATE New Other", "400"), B("DELETE", "400"),
    B("DELETE Jobs Other", "400"), B("START", "400"), B("START Jobs Other", "400"),
    B("STOP", "400"), B("STOP Jobs Other", "400"), B("LIST Jobs", "400"), B("STATUS", "400"),
    B("STATUS Jobs Other", "400"), B("PUBLISH", "400"), B("PUBLISH Jobs", "400"),
    B("PUBLISH Jobs\n", "400"), B("RETRIEVE", "400"), B("RETRIEVE Jobs 10 20", "400"),
    B("ACK", "400"), B("ACK Jobs", "400"), B("ACK Jobs 1 2", "400"), B("RELEASE", "400"),
    B("RELEASE Jobs", "400"), B("RELEASE Jobs 1 2", "400"), B("PURGE", "400"),
    B("PURGE Jobs Other", "400"), B("PING now", "400"), B("HELLO there", "400"),
    /* Bad numbers. */
    B("RETRIEVE Jobs 10b", "400"), B("RETRIEVE Jobs -1", "400"), B("RETRIEVE Jobs +1", "400"),
    B("RETRIEVE Jobs 0x10", "400"), B("RETRIEVE Jobs 1.5", "400"), B("RETRIEVE Jobs 1e3", "400"),
    B("RETRIEVE Jobs 4294967296", "400"), B("RETRIEVE Jobs 99999999999999999999999", "400"),
    B("ACK Jobs 10b", "400"), B("ACK Jobs -1", "400"), B("ACK Jobs 0x10", "400"),
    B("ACK Jobs 18446744073709551616", "400"), B("RELEASE Jobs 1,0", "400"),
    B("RELEASE Jobs 00000000000000000000018446744073709551616", "400"),
    /* Bad names. */
    B("CREATE bad/name", "400"), B("CREATE bad*name", "400"), B("CREATE caf\xc3\xa9", "400"),
    B("CREATE Jobs\r", "400"), B("STATUS bad!name", "400"), B("START bad\\name", "400"),
    B("PUBLISH bad/name payload", "400"),
    B("CREATE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "400"),
    /* Spaces and tabs. */
    B(" LIST", "400"), B("LIST ", "400"), B("LIST \n", "400"), B("CREATE  New", "400"),
    B("STATUS  Jobs", "400"), B("STATUS Jobs ", "400"), B("ACK Jobs  1", "400"),
    B("RETRIEVE Jobs  5", "400"), B("RETRIEVE Jobs 5 ", "400"), B("PUBLISH  Jobs payload", "400"),
    B("CREATE\tNew", "400"), B("STATUS Jobs\t", "400"),
    /* Syntax is checked before existence. */
    B("ACK Missing abc", "400"), B("RETRIEVE Missing -1", "400"), B("CREATE Jobs extra", "400"),
    B("DELETE Missing Other", "400"),
    /* Existence: 404 and 409. */
    B("DELETE Missing", "404"), B("START Missing", "404"), B("STOP Missing", "404"),
    B("STATUS Missing", "404"), B("PURGE Missing", "404"), B("PUBLISH Missing payload", "404"),
    B("RETRIEVE Missing", "404"), B("RETRIEVE Missing 10", "404"), B("ACK Missing 1", "404"),
    B("RELEASE Missing 1", "404"),
    B("ACK Jobs 1", "404"),     /* item 1 is leased by another connection */
    B("RELEASE Jobs 1", "404"), /* likewise */
    B("ACK Jobs 2", "404"),     /* ready, not leased */
    B("ACK Jobs 999", "404"), B("CREATE Jobs", "409"), B("CREATE JOBS", "409"),
    B("create jobs", "409"),
    /* UTF-16LE: bad encoding and bad requests get their codes in UTF-16LE. */
    U("L\0I\0S", "400"),              /* odd length */
    U("P\0I\0N\0G\0\x00\xD8", "400"), /* lone high surrogate */
    U("P\0I\0N\0G\0\x00\xDC", "400"), /* lone low surrogate */
    U("P\0\x00\xD8I\0N\0G\0", "400"), /* high surrogate, then no low one */
    U("P\0\x00\xDC\x00\xD8", "400"),  /* a pair the wrong way round */
    /* Starts with a surrogate, so its second byte is not 00: by the
     * detection rule it is not UTF-16LE, and as UTF-8 it is no command. */
    B("\x00\xD8P\0I\0N\0G\0", "400"), U("\xFF\xFE", "400"), /* a BOM and nothing */
    U("F\0R\0O\0B\0", "400"),                               /* unknown verb */
    U("C\0R\0E\0A\0T\0E\0 \0b\0/\0x\0", "400"),             /* bad name */
    U("S\0T\0A\0T\0U\0S\0 \0M\0i\0s\0s\0", "404"),          /* no such queue */
    U("C\0R\0E\0A\0T\0E\0 \0j\0o\0b\0s\0", "409"),          /* exists */
};

struct fixture {
    wqt_live live;
    wq_client *me;     /* sends the bad requests */
    wq_client *holder; /* holds item 1 of Jobs */
    char *list;        /* raw LIST before */
    char *status;      /* raw STATUS Jobs before */
    char *status_other;
};

static int start(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    wqt_live_start(&f->live, "bad", NULL);
    f->me = wqt_live_client(&f->live);
    f->holder = wqt_live_client(&f->live);
    /* Jobs: started, items 1..3, item 1 leased to holder. Idle: stopped. */
    assert_int_equal(wq_client_create(f->me, "Jobs"), WQ_OK);
    assert_int_equal(wq_client_create(f->me, "Idle"), WQ_OK);
    assert_int_equal(wq_client_start(f->me, "Jobs"), WQ_OK);
    for (int i = 0; i < 3; i++) {
        uint64_t id;
        assert_int_equal(wq_client_publish(f->me, "Jobs", "work", 4, &id), WQ_OK);
        assert_int_equal(id, (uint64_t)i + 1);
    }
    assert_int_equal(wq_client_publish(f->me, "Idle", "x", 1, NULL), WQ_OK);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(f->holder, "Jobs", -1, &item, &found), WQ_OK);
    assert_int_equal(item.id, 1);
    wq_free(item.payload);
    f->list = wqt_request(f->me, "LIST");
    f->status = wqt_request(f->me, "STATUS Jobs");
    f->status_other = wqt_request(f->me, "STATUS Idle");
    assert_string_equal(f->list, "OK 2\nIdle stopped 1 0\nJobs started 2 1");
    assert_string_equal(f->status, "OK Jobs started 2 1 3 0");
    return 0;
}

static int stop(void **state)
{
    struct fixture *f = *state;
    wq_free(f->list);
    wq_free(f->status);
    wq_free(f->status_other);
    wq_client_close(f->holder);
    wq_client_close(f->me);
    wqt_live_stop(&f->live);
    free(f);
    return 0;
}

static void printable(const char *p, size_t n, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < size; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch >= 0x20 && ch < 0x7F) {
            out[o++] = (char)ch;
        } else {
            o += (size_t)snprintf(out + o, size - o, "\\x%02X", ch);
        }
    }
    out[o] = '\0';
}

static void expect_same(wq_client *c, const char *request, const char *before, const char *what)
{
    char *now = wqt_request(c, request);
    if (strcmp(now, before) != 0) {
        print_error("after %s: %s was \"%s\", is \"%s\"\n", what, request, before, now);
        wq_free(now);
        fail();
    }
    wq_free(now);
}

static void every_bad_request_gets_its_code_and_changes_nothing(void **state)
{
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        const struct bad *b = &table[i];
        char what[512];
        printable(b->text, b->len, what, sizeof what);
        void *reply;
        size_t n;
        wq_err err = wq_client_request(f->me, b->text, b->len, &reply, &n);
        if (err != WQ_OK) {
            fail_msg("request \"%s\": %s", what, wq_strerror(err));
        }
        char want[16];
        snprintf(want, sizeof want, "ERROR %s ", b->code);
        int ok;
        if (b->utf16) {
            size_t wl;
            unsigned char *w16 = wqt_utf16le(want, &wl);
            ok = n > wl && n % 2 == 0 && memcmp(reply, w16, wl) == 0;
            free(w16);
        } else {
            ok = n > strlen(want) && memcmp(reply, want, strlen(want)) == 0 &&
                 memchr(reply, '\n', n) == NULL;
        }
        if (!ok) {
            char got[512];
            printable(reply, n, got, sizeof got);
            print_error("request \"%s\": expected \"%s...\", got \"%s\"\n", what, want, got);
            wq_free(reply);
            fail();
        }
        wq_free(reply);
        /* Nothing changed, and the connection still serves. */
        expect_same(f->me, "LIST", f->list, what);
        expect_same(f->me, "STATUS Jobs", f->status, what);
        expect_same(f->me, "STATUS Idle", f->status_other, what);
        wqt_expect(f->me, "PING", "OK PONG");
    }
    /* The lease survived it all: the holder can still acknowledge it. */
    assert_int_equal(wq_client_ack(f->holder, "Jobs", 1), WQ_OK);
}

static void the_connection_stays_usable_between_bad_requests(void **state)
{
    struct fixture *f = *state;
    /* Bad requests back to back, then good ones that change things. */
    wqt_expect_prefix(f->me, "FROB", "ERROR 400 ");
    wqt_expect_prefix(f->me, "", "ERROR 400 ");
    wqt_expect_prefix(f->me, "CREATE jobs", "ERROR 409 ");
    wqt_expect(f->me, "CREATE New", "OK");
    wqt_expect(f->me, "PUBLISH New hello", "OK 5");
    wqt_expect(f->me, "list", "OK 3\nIdle stopped 1 0\nJobs started 2 1\nNew stopped 1 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_bad_request_gets_its_code_and_changes_nothing, start,
                                        stop),
        cmocka_unit_test_setup_teardown(the_connection_stays_usable_between_bad_requests, start,
                                        stop),
    };
    return cmocka_run_group_tests_name("e2e.bad_requests", tests, NULL, NULL);
}
