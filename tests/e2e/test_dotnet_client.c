/* test_dotnet_client.c — a client that behaves exactly like the original
 * .NET sample: Encoding.Unicode (UTF-16LE, no BOM) request text written as
 * one pipe message, the reply read in 32 KiB pieces and decoded as
 * UTF-16LE. Over our transport that is one wq_conn message each way, and
 * the reply must fit in a 32 KiB receive. */
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
#include <workq/transport.h>

#include "live.h"

/* What .NET's NamedPipeClientStream reads at a time in the sample. */
#define DOTNET_READ 32768

struct fixture {
    wqt_live live;
    wq_conn *conn;
};

static int start(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    wqt_live_start(&f->live, "net", NULL);
    f->conn = wqt_live_conn(&f->live);
    return 0;
}

static int stop(void **state)
{
    struct fixture *f = *state;
    wq_conn_close(f->conn);
    wqt_live_stop(&f->live);
    free(f);
    return 0;
}

/* Send text as .NET's Encoding.Unicode.GetBytes does, read one reply. */
static void *dotnet_send(wq_conn *c, const char *text, size_t *reply_len)
{
    size_t len;
    unsigned char *msg = wqt_utf16le(text, &len);
    void *reply = wqt_conn_round_trip(c, msg, len, DOTNET_READ, reply_len);
    free(msg);
    return reply;
}

static void dotnet_expect(wq_conn *c, const char *text, const char *reply_text)
{
    size_t n;
    void *reply = dotnet_send(c, text, &n);
    wqt_assert_utf16le(reply, n, reply_text);
    wq_free(reply);
}

static void dotnet_expect_prefix(wq_conn *c, const char *text, const char *prefix)
{
    size_t n;
    void *reply = dotnet_send(c, text, &n);
    wqt_assert_utf16le_prefix(reply, n, prefix);
    wq_free(reply);
}

static void create_my_work_queue_in_utf16_gets_ok_in_utf16_without_bom(void **state)
{
    struct fixture *f = *state;
    size_t n;
    void *reply = dotnet_send(f->conn, "CREATE MyWorkQueue", &n);
    /* Exactly "OK" in UTF-16LE: 4 bytes, no BOM, no newline. */
    assert_int_equal(n, 4);
    assert_memory_equal(reply, "O\0K\0", 4);
    wq_free(reply);
}

static void list_and_errors_come_back_in_utf16(void **state)
{
    struct fixture *f = *state;
    dotnet_expect(f->conn, "CREATE MyWorkQueue", "OK");
    dotnet_expect(f->conn, "LIST", "OK 1\nMyWorkQueue stopped 0 0");
    /* The sample's second CREATE: 409 in UTF-16LE, naming the queue as
     * stored. */
    size_t n;
    void *reply = dotnet_send(f->conn, "CREATE myworkqueue", &n);
    wqt_assert_utf16le_prefix(reply, n, "ERROR 409 ");
    size_t name_len;
    unsigned char *name = wqt_utf16le("MyWorkQueue", &name_len);
    int named = 0;
    for (size_t i = 0; i + name_len <= n && !named; i += 2) {
        named = memcmp((unsigned char *)reply + i, name, name_len) == 0;
    }
    free(name);
    wq_free(reply);
    assert_true(named);
    dotnet_expect_prefix(f->conn, "DELETE Nothing", "ERROR 404 ");
    dotnet_expect_prefix(f->conn, "FROB", "ERROR 400 ");
    /* The same connection goes on after errors. */
    dotnet_expect(f->conn, "STATUS myworkqueue", "OK MyWorkQueue stopped 0 0 0 0");
}

static void a_bom_is_accepted_and_not_echoed(void **state)
{
    struct fixture *f = *state;
    static const unsigned char ping[] = {0xFF, 0xFE, 'P', 0, 'I', 0, 'N', 0, 'G', 0};
    size_t n;
    void *reply = wqt_conn_round_trip(f->conn, ping, sizeof ping, DOTNET_READ, &n);
    wqt_assert_utf16le(reply, n, "OK PONG");
    wq_free(reply);
}

static void text_items_travel_between_utf16_and_utf8_clients(void **state)
{
    struct fixture *f = *state;
    dotnet_expect(f->conn, "CREATE MyWorkQueue", "OK");
    dotnet_expect(f->conn, "START MyWorkQueue", "OK");
    /* é is U+00E9, € U+20AC, 𝄞 U+1D11E (a surrogate pair in UTF-16). */
    dotnet_expect(f->conn, "PUBLISH MyWorkQueue h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e",
                  "OK 1");
    /* Stored as UTF-8: a UTF-8 worker gets the UTF-8 bytes. */
    wq_client *worker = wqt_live_client(&f->live);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(worker, "MyWorkQueue", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_string_equal(item.payload, "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e");
    wq_free(item.payload);
    /* A UTF-8 publisher, a UTF-16 worker. */
    assert_int_equal(wq_client_publish(worker, "MyWorkQueue", "gr\xc3\xbc\xc3\x9f", 6, NULL),
                     WQ_OK);
    dotnet_expect(f->conn, "RETRIEVE MyWorkQueue", "ITEM 2 gr\xc3\xbc\xc3\x9f");
    dotnet_expect(f->conn, "ACK MyWorkQueue 2", "OK");
    /* Bytes that are not UTF-8: 406 for the UTF-16 worker, at once even
     * with a wait, and the item stays ready for a UTF-8 worker. */
    assert_int_equal(wq_client_publish(worker, "MyWorkQueue", "\xff\xfe", 2, NULL), WQ_OK);
    dotnet_expect_prefix(f->conn, "RETRIEVE MyWorkQueue", "ERROR 406 ");
    dotnet_expect_prefix(f->conn, "RETRIEVE MyWorkQueue 60000", "ERROR 406 ");
    dotnet_expect(f->conn, "STATUS MyWorkQueue", "OK MyWorkQueue started 1 1 3 1");
    assert_int_equal(wq_client_retrieve(worker, "MyWorkQueue", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.len, 2);
    assert_memory_equal(item.payload, "\xff\xfe", 2);
    wq_free(item.payload);
    wq_client_close(worker);
}

static void a_list_of_100_queues_arrives_whole_in_a_32_kib_read(void **state)
{
    struct fixture *f = *state;
    /* 100 queues: a LIST well under 32 KiB in UTF-16LE, received whole
     * in one 32 KiB receive. */
    char name[64];
    char request[80];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "Queue%03d", i);
        snprintf(request, sizeof request, "CREATE %s", name);
        dotnet_expect(f->conn, request, "OK");
    }
    size_t n;
    void *reply = dotnet_send(f->conn, "LIST", &n);
    wqt_assert_utf16le_prefix(reply, n, "OK 100\nQueue000 stopped 0 0\nQueue001 stopped 0 0\n");
    assert_true(n <= DOTNET_READ);
    wq_free(reply);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, start, stop)
    const struct CMUnitTest tests[] = {
        T(create_my_work_queue_in_utf16_gets_ok_in_utf16_without_bom),
        T(list_and_errors_come_back_in_utf16),
        T(a_bom_is_accepted_and_not_echoed),
        T(text_items_travel_between_utf16_and_utf8_clients),
        T(a_list_of_100_queues_arrives_whole_in_a_32_kib_read),
    };
    return cmocka_run_group_tests_name("e2e.dotnet_client", tests, NULL, NULL);
}
