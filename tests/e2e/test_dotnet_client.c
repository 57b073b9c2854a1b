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

/* Large items are kept in the block they arrived in (no copy): for a
 * UTF-16 request that is its UTF-8 conversion, for UTF-8 the request
 * itself. Either way the worker gets exactly the bytes published, and a
 * large item that a UTF-16 client publishes after a UTF-8 one (and the
 * reverse) keeps its place. */
static void large_items_from_utf16_and_utf8_clients_arrive_intact(void **state)
{
    struct fixture *f = *state;
    enum { N = 40000 };
    char *text = malloc(16 + N + 1);
    assert_non_null(text);
    memcpy(text, "PUBLISH Big ", 12);
    for (size_t i = 0; i < N; i++) {
        text[12 + i] = (char)('a' + i % 26);
    }
    text[12 + N] = '\0';
    unsigned char *bin = malloc(3 * N);
    assert_non_null(bin);
    for (size_t i = 0; i < 3 * N; i++) {
        bin[i] = (unsigned char)(i * 7 + 3);
    }
    dotnet_expect(f->conn, "CREATE Big", "OK");
    dotnet_expect(f->conn, "START Big", "OK");
    wq_client *worker = wqt_live_client(&f->live);
    assert_int_equal(wq_client_publish(worker, "Big", bin, 3 * N, NULL), WQ_OK);
    dotnet_expect(f->conn, text, "OK 2");
    assert_int_equal(wq_client_publish(worker, "Big", bin + 1, 2 * N, NULL), WQ_OK);
    wq_item item;
    int found;
    assert_int_equal(wq_client_retrieve(worker, "Big", -1, &item, &found), WQ_OK);
    assert_int_equal(found, 1);
    assert_int_equal(item.len, 3 * N);
    assert_memory_equal(item.payload, bin, 3 * N);
    wq_free(item.payload);
    assert_int_equal(wq_client_retrieve(worker, "Big", -1, &item, &found), WQ_OK);
    assert_int_equal(item.len, N);
    assert_memory_equal(item.payload, text + 12, N);
    wq_free(item.payload);
    assert_int_equal(wq_client_retrieve(worker, "Big", -1, &item, &found), WQ_OK);
    assert_int_equal(item.len, 2 * N);
    assert_memory_equal(item.payload, bin + 1, 2 * N);
    wq_free(item.payload);
    dotnet_expect(f->conn, "STATUS Big", "OK Big started 0 3 3 0");
    wq_client_close(worker);
    free(bin);
    free(text);
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
        T(large_items_from_utf16_and_utf8_clients_arrive_intact),
    };
    return cmocka_run_group_tests_name("e2e.dotnet_client", tests, NULL, NULL);
}
