/* test_npipe_resolve.c — endpoint names of the npipe backend (WPR-10):
 * plain names become \\.\pipe\<name>, given names must be pipe names, the
 * 256-character limit counts UTF-16 characters, nothing is truncated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "scratch.h"

#define LONG_MS 20000

static const wq_transport *T;

static wq_err resolve(const char *name, char *buf, size_t size)
{
    return wq_endpoint_resolve(T, name, buf, size);
}

/* n copies of unit (a UTF-8 sequence) in buf. */
static void repeat(char *buf, size_t size, const char *unit, size_t n)
{
    size_t u = strlen(unit);
    assert_true(n * u < size);
    for (size_t i = 0; i < n; i++) {
        memcpy(buf + i * u, unit, u);
    }
    buf[n * u] = '\0';
}

static void plain_name_maps_to_the_pipe_namespace(void **state)
{
    (void)state;
    char buf[WQ_ENDPOINT_MAX];
    assert_int_equal(resolve("WorkQueueService", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "\\\\.\\pipe\\WorkQueueService");
    assert_int_equal(resolve("with space.and-dots_1", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "\\\\.\\pipe\\with space.and-dots_1");
}

static void full_pipe_name_is_used_as_given(void **state)
{
    (void)state;
    char buf[WQ_ENDPOINT_MAX];
    assert_int_equal(resolve("\\\\.\\pipe\\given", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "\\\\.\\pipe\\given");
    /* The namespace is case-insensitive; the spelling is kept. */
    assert_int_equal(resolve("\\\\.\\PIPE\\Given", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "\\\\.\\PIPE\\Given");
}

static void names_that_are_not_local_pipes_are_einval(void **state)
{
    (void)state;
    char buf[WQ_ENDPOINT_MAX];
    const char *bad[] = {
        "\\\\.\\pipe\\a\\b",      /* backslash in the name part */
        "\\\\.\\pipe\\",          /* empty name part */
        "C:\\temp\\queue",        /* a file path */
        "/tmp/workq/queue.sock",  /* a POSIX socket path */
        "\\\\server\\pipe\\name", /* a remote pipe */
        "\\\\.\\pip",             /* a prefix of the prefix */
        "sub/name",               /* a separator makes it a path */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(buf, "untouched");
        assert_int_equal(resolve(bad[i], buf, sizeof buf), WQ_EINVAL);
    }
}

static void invalid_utf8_is_einval(void **state)
{
    (void)state;
    char buf[WQ_ENDPOINT_MAX];
    assert_int_equal(resolve("bad\xff\xfe", buf, sizeof buf), WQ_EINVAL);
    assert_int_equal(resolve("\xc3", buf, sizeof buf), WQ_EINVAL); /* cut sequence */
}

static void the_limit_is_256_characters_in_all(void **state)
{
    (void)state;
    char name[WQ_ENDPOINT_MAX];
    char buf[WQ_ENDPOINT_MAX];
    const size_t prefix = strlen("\\\\.\\pipe\\");
    repeat(name, sizeof name, "n", 256 - prefix);
    assert_int_equal(resolve(name, buf, sizeof buf), WQ_OK);
    assert_int_equal(strlen(buf), 256);
    repeat(name, sizeof name, "n", 256 - prefix + 1);
    assert_int_equal(resolve(name, buf, sizeof buf), WQ_ENAMETOOLONG);
    /* Characters, not bytes: "é" is two bytes of UTF-8, one of UTF-16. */
    repeat(name, sizeof name, "\xc3\xa9", 256 - prefix);
    assert_int_equal(resolve(name, buf, sizeof buf), WQ_OK);
    repeat(name, sizeof name, "\xc3\xa9", 256 - prefix + 1);
    assert_int_equal(resolve(name, buf, sizeof buf), WQ_ENAMETOOLONG);
}

static void a_result_that_does_not_fit_is_refused_not_truncated(void **state)
{
    (void)state;
    char buf[16];
    assert_int_equal(resolve("too-long-name", buf, sizeof buf), WQ_ENAMETOOLONG);
    assert_string_equal(buf, "");
    /* 9 for \\.\pipe\, 6 for the name, 1 for the NUL. */
    assert_int_equal(resolve("sixsix", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "\\\\.\\pipe\\sixsix");
}

static void bad_names_fail_listen_and_connect_too(void **state)
{
    (void)state;
    wq_listener *l = NULL;
    wq_conn *c = NULL;
    assert_int_equal(wq_listener_open(T, "\\\\.\\pipe\\a\\b", NULL, &l), WQ_EINVAL);
    assert_null(l);
    assert_int_equal(wq_conn_connect(T, "C:\\x", 0, &c), WQ_EINVAL);
    assert_null(c);
}

/* The W functions get the right name: a non-ASCII endpoint works end to
 * end, and the plain and full spellings reach the same pipe. */
static void a_non_ascii_name_round_trips(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, T, "\xc3\xa9t\xc3\xa9-\xe2\x82\xac");
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_OK);
    char full[WQ_ENDPOINT_MAX];
    assert_int_equal(resolve(s.endpoint, full, sizeof full), WQ_OK);
    wq_conn *client;
    wq_conn *server;
    assert_int_equal(wq_conn_connect(T, full, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    assert_int_equal(wq_conn_send(client, "\xc3\xa9", 2, LONG_MS), WQ_OK);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(server, 16, LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "\xc3\xa9", 2);
    wq_free(buf);
    wq_conn_close(client);
    wq_conn_close(server);
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
}

int main(void)
{
    T = wq_transport_native();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_name_maps_to_the_pipe_namespace),
        cmocka_unit_test(full_pipe_name_is_used_as_given),
        cmocka_unit_test(names_that_are_not_local_pipes_are_einval),
        cmocka_unit_test(invalid_utf8_is_einval),
        cmocka_unit_test(the_limit_is_256_characters_in_all),
        cmocka_unit_test(a_result_that_does_not_fit_is_refused_not_truncated),
        cmocka_unit_test(bad_names_fail_listen_and_connect_too),
        cmocka_unit_test(a_non_ascii_name_round_trips),
    };
    return cmocka_run_group_tests_name("npipe.resolve", tests, NULL, NULL);
}
