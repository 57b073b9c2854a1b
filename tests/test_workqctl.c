/* test_workqctl.c — workqctl's pure parts: the command line (every
 * command's arguments, strict numbers, options anywhere, "--"), the
 * wq_err → exit status mapping, JSON strings and items, base64, UTF-8
 * validation, and the list table. No server, no process: the end-to-end
 * run of the tool is a separate test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <workq/client.h>

#include "cli.h"

/* Parse a NULL-terminated list of arguments (the program name is added). */
#define MAXARGS 16
static char errbuf[512];

static int parse_v(wqc_args *a, const char *const *args)
{
    char *argv[MAXARGS + 1];
    int argc = 0;
    argv[argc++] = (char *)"workqctl";
    for (; *args != NULL && argc < MAXARGS; args++) {
        argv[argc++] = (char *)*args;
    }
    argv[argc] = NULL;
    memset(errbuf, 'X', sizeof errbuf);
    return wqc_parse(argc, argv, a, errbuf, sizeof errbuf);
}

#define PARSE(a, ...) parse_v((a), (const char *const[]){__VA_ARGS__, NULL})

/* The parse fails and the reason contains `needle`. */
#define FAILS(needle, ...)                                                                         \
    do {                                                                                           \
        wqc_args fa_;                                                                              \
        assert_int_equal(PARSE(&fa_, __VA_ARGS__), -1);                                            \
        if (strstr(errbuf, (needle)) == NULL) {                                                    \
            fail_msg("reason '%s' lacks '%s'", errbuf, (needle));                                  \
        }                                                                                          \
    } while (0)

static void each_command_takes_its_arguments(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        wqc_cmd cmd;
        int nargs;
    } rows[] = {
        {"create", WQC_CREATE, 1},   {"delete", WQC_DELETE, 1},     {"start", WQC_START, 1},
        {"stop", WQC_STOP, 1},       {"list", WQC_LIST, 0},         {"status", WQC_STATUS, 1},
        {"publish", WQC_PUBLISH, 2}, {"retrieve", WQC_RETRIEVE, 1}, {"ack", WQC_ACK, 2},
        {"release", WQC_RELEASE, 2}, {"purge", WQC_PURGE, 1},       {"ping", WQC_PING, 0},
        {"hello", WQC_HELLO, 0},
    };
    /* Arguments valid for every position: a queue name, then a number
     * (valid as an id and as a payload). */
    const char *good[3] = {"MyWorkQueue", "42", "7"};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int n = 0; n <= rows[r].nargs + 1; n++) {
            const char *args[6] = {rows[r].name};
            for (int k = 0; k < n; k++) {
                args[1 + k] = good[k];
            }
            wqc_args a;
            int rc = parse_v(&a, args);
            if (n == rows[r].nargs) {
                if (rc != 0) {
                    fail_msg("%s with %d arguments: %s", rows[r].name, n, errbuf);
                }
                assert_int_equal(a.cmd, rows[r].cmd);
                assert_string_equal(a.name, rows[r].name);
                assert_int_equal(a.json, 0);
                assert_null(a.endpoint);
                assert_int_equal(a.has_timeout, 0);
                assert_int_equal(a.wait_ms, -1);
                if (n >= 1) {
                    assert_string_equal(a.queue, "MyWorkQueue");
                }
            } else {
                if (rc != -1) {
                    fail_msg("%s with %d arguments was accepted", rows[r].name, n);
                }
                assert_non_null(strstr(errbuf, n < rows[r].nargs ? "missing" : "unexpected"));
                /* Every reason names the command and shows its usage. */
                assert_memory_equal(errbuf, rows[r].name, strlen(rows[r].name));
                assert_non_null(strstr(errbuf, "(usage: workqctl "));
            }
        }
    }
}

static void arguments_land_in_the_struct(void **state)
{
    (void)state;
    wqc_args a;
    assert_int_equal(PARSE(&a, "publish", "Q", "hello world"), 0);
    assert_string_equal(a.payload, "hello world");
    assert_int_equal(a.payload_stdin, 0);

    assert_int_equal(PARSE(&a, "publish", "Q", "-"), 0);
    assert_null(a.payload);
    assert_int_equal(a.payload_stdin, 1);

    assert_int_equal(PARSE(&a, "publish", "Q", ""), 0); /* an empty payload is fine */
    assert_string_equal(a.payload, "");

    assert_int_equal(PARSE(&a, "ack", "Q", "18446744073709551615"), 0);
    assert_true(a.id == UINT64_MAX);
    assert_int_equal(PARSE(&a, "release", "Q", "0007"), 0); /* leading zeros, as the wire */
    assert_true(a.id == 7);

    assert_int_equal(PARSE(&a, "retrieve", "Q"), 0);
    assert_int_equal(a.wait_ms, -1);
    assert_int_equal(a.ack, 0);
    assert_int_equal(PARSE(&a, "retrieve", "Q", "--wait", "4294967295", "--ack"), 0);
    assert_true(a.wait_ms == 4294967295LL);
    assert_int_equal(a.ack, 1);
    assert_int_equal(PARSE(&a, "retrieve", "--wait=0", "Q"), 0);
    assert_true(a.wait_ms == 0);
}

static void numbers_are_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "-1",
                                      "+1",
                                      " 1",
                                      "1 ",
                                      "0x10",
                                      "1.0",
                                      "1e3",
                                      "\xd9\xa1",
                                      "18446744073709551616",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FAILS("bad ID", "ack", "Q", bad[i]);
        FAILS("bad --wait", "retrieve", "Q", "--wait", bad[i]);
        FAILS("bad --timeout", "--timeout", bad[i], "ping");
    }
    /* Range: --wait is 32-bit unsigned (docs/protocol.md), --timeout an int. */
    FAILS("bad --wait", "retrieve", "Q", "--wait", "4294967296");
    FAILS("bad --timeout", "--timeout", "2147483648", "ping");
    wqc_args a;
    assert_int_equal(PARSE(&a, "--timeout", "2147483647", "ping"), 0);
    assert_int_equal(a.has_timeout, 1);
    assert_int_equal(a.timeout_ms, 2147483647);
    assert_int_equal(PARSE(&a, "--timeout=0", "ping"), 0); /* 0: no limit */
    assert_int_equal(a.timeout_ms, WQ_WAIT_FOREVER);
    FAILS("needs a value", "ping", "--timeout");
    FAILS("needs a value", "retrieve", "Q", "--wait");
}

static void queue_names_are_checked(void **state)
{
    (void)state;
    char name[130];
    memset(name, 'a', 128);
    name[128] = '\0';
    wqc_args a;
    assert_int_equal(PARSE(&a, "create", name), 0);
    name[128] = 'a';
    name[129] = '\0';
    FAILS("bad queue name", "create", name);
    FAILS("bad queue name", "status", "a b");
    FAILS("bad queue name", "publish", "q/x", "p");
    FAILS("bad queue name", "purge", "");
    FAILS("bad queue name", "retrieve", "caf\xc3\xa9");
    assert_int_equal(PARSE(&a, "create", "A-z_0.9"), 0);
    /* A name that looks like an option needs "--". */
    FAILS("unknown option '-q'", "create", "-q");
    assert_int_equal(PARSE(&a, "create", "--", "-q"), 0);
    assert_string_equal(a.queue, "-q");
}

static void unknown_commands_and_options(void **state)
{
    (void)state;
    wqc_args a;
    char *argv0[] = {(char *)"workqctl", NULL};
    assert_int_equal(wqc_parse(1, argv0, &a, errbuf, sizeof errbuf), -1);
    assert_string_equal(errbuf, "no command given");
    FAILS("no command given", "--json");
    FAILS("unknown command 'frob'", "frob");
    FAILS("unknown command 'LIST'", "LIST"); /* commands are lowercase */
    FAILS("unknown option '--frob'", "--frob", "ping");
    FAILS("unknown option '-x'", "ping", "-x");
    FAILS("unknown option '--jsonx'", "--jsonx", "ping");
    FAILS("--json takes no value", "--json=1", "ping");
    FAILS("--ack takes no value", "retrieve", "Q", "--ack=yes");
    FAILS("--endpoint needs a name", "--endpoint", "", "ping");
    FAILS("--endpoint needs a value", "ping", "--endpoint");
    FAILS("--server-account needs an account", "--server-account", "", "ping");
    FAILS("--server-account needs an account", "--server-account=", "ping");
    FAILS("--server-account needs a value", "ping", "--server-account");
    FAILS("--wait is only for retrieve", "list", "--wait", "5");
    FAILS("--ack is only for retrieve", "ack", "Q", "1", "--ack");
    /* The first problem is the one reported. */
    FAILS("unknown option '--a'", "--a", "--b", "frob");
}

static void options_go_anywhere_until_double_dash(void **state)
{
    (void)state;
    wqc_args a;
    assert_int_equal(PARSE(&a, "--json", "--endpoint", "E", "list"), 0);
    assert_int_equal(a.json, 1);
    assert_string_equal(a.endpoint, "E");
    assert_int_equal(PARSE(&a, "list", "--json", "--endpoint=F"), 0);
    assert_int_equal(a.cmd, WQC_LIST);
    assert_int_equal(a.json, 1);
    assert_string_equal(a.endpoint, "F");
    assert_int_equal(PARSE(&a, "status", "--endpoint", "/tmp/x.sock", "Q", "--json"), 0);
    assert_string_equal(a.endpoint, "/tmp/x.sock");
    assert_string_equal(a.queue, "Q");
    assert_int_equal(a.json, 1);
    assert_int_equal(PARSE(&a, "--endpoint", "A", "--endpoint", "B", "ping"), 0);
    assert_string_equal(a.endpoint, "B"); /* the last one wins */
    /* An option's value is taken as is, even if it starts with '-'. */
    assert_int_equal(PARSE(&a, "--endpoint", "-odd", "ping"), 0);
    assert_string_equal(a.endpoint, "-odd");
    /* The account to trust besides the defaults, either spelling. */
    assert_int_equal(PARSE(&a, "ping"), 0);
    assert_null(a.server_account);
    assert_int_equal(PARSE(&a, "--server-account", "workq", "ping"), 0);
    assert_string_equal(a.server_account, "workq");
    assert_int_equal(PARSE(&a, "list", "--server-account=NT SERVICE\\Svc"), 0);
    assert_string_equal(a.server_account, "NT SERVICE\\Svc");

    /* After "--" nothing is an option: payloads that look like options. */
    assert_int_equal(PARSE(&a, "publish", "Q", "--", "--json"), 0);
    assert_string_equal(a.payload, "--json");
    assert_int_equal(a.json, 0);
    assert_int_equal(PARSE(&a, "--json", "publish", "--", "Q", "-5"), 0);
    assert_string_equal(a.payload, "-5");
    assert_int_equal(a.json, 1);
    assert_int_equal(PARSE(&a, "publish", "Q", "--", "--"), 0);
    assert_string_equal(a.payload, "--");
    /* No option starts with a digit, so "-5" is an argument. */
    assert_int_equal(PARSE(&a, "publish", "Q", "-5"), 0);
    assert_string_equal(a.payload, "-5");
    FAILS("unknown option '-x5'", "publish", "Q", "-x5");
}

static void help_and_version_win(void **state)
{
    (void)state;
    wqc_args a;
    assert_int_equal(PARSE(&a, "--help"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    assert_int_equal(PARSE(&a, "-h"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    assert_int_equal(PARSE(&a, "help"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    assert_int_equal(PARSE(&a, "help", "create"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    /* Asking for help beats any other mistake on the line... */
    assert_int_equal(PARSE(&a, "frob", "--bogus", "--help"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    assert_int_equal(PARSE(&a, "create", "--help"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
    /* ...but not after "--", where it is data. */
    assert_int_equal(PARSE(&a, "publish", "Q", "--", "--help"), 0);
    assert_int_equal(a.cmd, WQC_PUBLISH);
    assert_string_equal(a.payload, "--help");

    assert_int_equal(PARSE(&a, "--version"), 0);
    assert_int_equal(a.cmd, WQC_VERSION);
    assert_int_equal(PARSE(&a, "ping", "--version"), 0);
    assert_int_equal(a.cmd, WQC_VERSION);
    assert_int_equal(PARSE(&a, "--version", "--help"), 0);
    assert_int_equal(a.cmd, WQC_HELP);
}

/* The whole help text as one string (freed by the caller). */
static char *help_text(void)
{
    size_t n = 0;
    for (const char *const *p = wqc_usage(); *p != NULL; p++) {
        n += strlen(*p);
    }
    char *s = malloc(n + 1);
    assert_non_null(s);
    s[0] = '\0';
    for (const char *const *p = wqc_usage(); *p != NULL; p++) {
        strcat(s, *p);
    }
    return s;
}

static void help_tells_the_truth(void **state)
{
    (void)state;
    char *h = help_text();
    static const char *const must[] = {
        "  create QUEUE",
        "  delete QUEUE",
        "  start QUEUE",
        "  stop QUEUE",
        "  list ",
        "  status QUEUE",
        "  publish QUEUE PAYLOAD",
        "  publish QUEUE -",
        "  retrieve QUEUE [--wait MS] [--ack]",
        "  ack QUEUE ID",
        "  release QUEUE ID",
        "  purge QUEUE",
        "  ping ",
        "  hello ",
        "  help ",
        "--endpoint NAME",
        "--json",
        "--timeout MS",
        "--server-account ACCOUNT",
        "$WORKQ_SERVER_ACCOUNT",
        "-h, --help",
        "--version",
        "$WORKQ_ENDPOINT",
        "WorkQueueService",
        "payload_base64",
        "exit status",
    };
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        if (strstr(h, must[i]) == NULL) {
            fail_msg("help lacks '%s'", must[i]);
        }
    }
    /* Every exit status is listed, and the defaults it states are the
     * library's. */
    for (int st = 0; st <= 9; st++) {
        char line[8] = {' ', ' ', (char)('0' + st), ' ', ' ', '\0'};
        if (strstr(h, line) == NULL) {
            fail_msg("help lacks exit status %d", st);
        }
    }
    assert_int_equal(WQ_DEFAULT_CLIENT_TIMEOUT_MS, 30000);
    assert_non_null(strstr(h, "(default 30000)"));
    assert_non_null(strstr(h, "(default 5000)"));
    /* No line wider than 80 columns. */
    for (const char *p = h; *p != '\0';) {
        const char *e = strchr(p, '\n');
        assert_non_null(e);
        assert_true(e - p <= 80);
        p = e + 1;
    }
    free(h);
}

static void exit_status_per_error_class(void **state)
{
    (void)state;
    static const struct {
        wq_err err;
        int status;
    } rows[] = {
        {WQ_OK, 0},         {WQ_ENOENT, 3},     {WQ_EACCES, 3},       {WQ_ETIMEDOUT, 3},
        {WQ_ECLOSED, 3},    {WQ_EIO, 3},        {WQ_ENAMETOOLONG, 3}, {WQ_EUNSAFE, 9},
        {WQ_EADDRINUSE, 3}, {WQ_EBADREQ, 4},    {WQ_EFORBIDDEN, 4},   {WQ_ENOTTEXT, 4},
        {WQ_EMSGSIZE, 4},   {WQ_ENOTFOUND, 5},  {WQ_EGONE, 5},        {WQ_EEXIST, 6},
        {WQ_EBUSY, 7},      {WQ_ESHUTDOWN, 7},  {WQ_ELIMIT, 7},       {WQ_EINTERNAL, 8},
        {WQ_EPROTO, 8},     {WQ_EINVAL, 8},     {WQ_ENOMEM, 8},       {WQ_ENOTSUP, 8},
        {WQ_EMFILE, 8},     {WQ_EUNTRUSTED, 9}, {WQ_ENOSPC, 8},
    };
    /* The table covers every wq_err there is. */
#define WQT_COUNT_ROW(name, value, code, text) +1
    assert_int_equal(sizeof rows / sizeof rows[0], 0 WQ_ERR_MAP(WQT_COUNT_ROW));
#undef WQT_COUNT_ROW
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (wqc_exit_status(rows[i].err) != rows[i].status) {
            fail_msg("wq_err %d gives %d, not %d", (int)rows[i].err, wqc_exit_status(rows[i].err),
                     rows[i].status);
        }
    }
    /* A value from a newer library is never success nor "empty". */
    assert_int_equal(wqc_exit_status((wq_err)999), WQC_EXIT_INTERNAL);
    assert_int_equal(WQC_EXIT_EMPTY, 1);
    assert_int_equal(WQC_EXIT_USAGE, 2);
    assert_int_equal(WQC_EXIT_NOTRUST, 9);
}

/* Format with fn and compare with the expected text. */
static void expect_str(wqc_str *s, const char *want)
{
    assert_false(s->failed);
    assert_non_null(s->data);
    assert_int_equal(s->len, strlen(want));
    assert_string_equal(s->data, want);
    wqc_str_free(s);
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    wqc_str s = {0};
    wqc_json_string(&s, "", 0);
    expect_str(&s, "\"\"");
    wqc_json_string(&s, "plain text", 10);
    expect_str(&s, "\"plain text\"");
    wqc_json_string(&s, "a\"b\\c/d", 7);
    expect_str(&s, "\"a\\\"b\\\\c/d\"");
    wqc_json_string(&s, "\b\f\n\r\t", 5);
    expect_str(&s, "\"\\b\\f\\n\\r\\t\"");
    wqc_json_string(&s, "\x00\x01\x1f\x7f", 4);
    expect_str(&s, "\"\\u0000\\u0001\\u001f\x7f\"");
    /* UTF-8 passes through: JSON text is UTF-8. */
    wqc_json_string(&s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
    expect_str(&s, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void items_are_json_text_or_base64(void **state)
{
    (void)state;
    wqc_str s = {0};
    wqc_json_item(&s, 1, "hello", 5);
    expect_str(&s, "{\"id\":1,\"payload\":\"hello\"}\n");
    wqc_json_item(&s, UINT64_MAX, "", 0);
    expect_str(&s, "{\"id\":18446744073709551615,\"payload\":\"\"}\n");
    wqc_json_item(&s, 7, "line\n\"q\"", 8);
    expect_str(&s, "{\"id\":7,\"payload\":\"line\\n\\\"q\\\"\"}\n");
    /* Not UTF-8: the bytes go as base64 under their own key. */
    wqc_json_item(&s, 3, "a\0b\xff\n", 5);
    expect_str(&s, "{\"id\":3,\"payload_base64\":\"YQBi/wo=\"}\n");
    wqc_json_item(&s, 4, "\xc0\x80", 2); /* overlong NUL */
    expect_str(&s, "{\"id\":4,\"payload_base64\":\"wIA=\"}\n");
}

static void base64_matches_rfc4648(void **state)
{
    (void)state;
    static const char *const vec[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        wqc_str s = {0};
        wqc_base64(&s, vec[i][0], strlen(vec[i][0]));
        if (vec[i][1][0] == '\0') {
            assert_int_equal(s.len, 0);
            wqc_str_free(&s);
        } else {
            expect_str(&s, vec[i][1]);
        }
    }
    wqc_str s = {0};
    wqc_base64(&s, "\xfb\xff\xbf", 3);
    expect_str(&s, "+/+/");
}

static void numbers_format_without_printf(void **state)
{
    (void)state;
    wqc_str s = {0};
    wqc_str_u64(&s, 0);
    wqc_str_puts(&s, " ");
    wqc_str_u64(&s, 10);
    wqc_str_puts(&s, " ");
    wqc_str_u64(&s, UINT64_MAX);
    expect_str(&s, "0 10 18446744073709551615");
    wqc_str_pad(&s, '-', 0);
    assert_int_equal(s.len, 0);
    wqc_str_pad(&s, '-', 3);
    expect_str(&s, "---");
}

static void list_table_is_aligned(void **state)
{
    (void)state;
    wqc_str s = {0};
    wqc_table(&s, NULL, 0);
    expect_str(&s, "NAME  STATE  READY  LEASED\n");

    const wqc_row rows[] = {
        {"a", 1, 0, 0},
        {"MyWorkQueue", 0, 1234567, 3},
        {"b", 1, 5, UINT64_MAX},
    };
    wqc_table(&s, rows, 3);
    expect_str(&s, "NAME         STATE      READY                LEASED\n"
                   "a            started        0                     0\n"
                   "MyWorkQueue  stopped  1234567                     3\n"
                   "b            started        5  18446744073709551615\n");

    /* A cell wider than its header widens the column. */
    const wqc_row one[] = {{"x", 0, 12, 1}};
    wqc_table(&s, one, 1);
    expect_str(&s, "NAME  STATE    READY  LEASED\n"
                   "x     stopped     12       1\n");
}

static void list_json(void **state)
{
    (void)state;
    wqc_str s = {0};
    wqc_json_list(&s, NULL, 0);
    expect_str(&s, "[]\n");
    const wqc_row rows[] = {{"a", 1, 0, 2}, {"B.q-1", 0, 5, 0}};
    wqc_json_list(&s, rows, 2);
    expect_str(&s, "[{\"name\":\"a\",\"state\":\"started\",\"ready\":0,\"leased\":2},"
                   "{\"name\":\"B.q-1\",\"state\":\"stopped\",\"ready\":5,\"leased\":0}]\n");
}

static void long_reasons_are_truncated_safely(void **state)
{
    (void)state;
    static char longarg[2000];
    memset(longarg, 'z', sizeof longarg - 1);
    wqc_args a;
    char small[16];
    char *argv[] = {(char *)"workqctl", longarg, NULL};
    assert_int_equal(wqc_parse(2, argv, &a, small, sizeof small), -1);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(wqc_parse(2, argv, &a, NULL, 0), -1);
    assert_int_equal(PARSE(&a, longarg), -1);
    assert_true(strlen(errbuf) < sizeof errbuf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_command_takes_its_arguments),
        cmocka_unit_test(arguments_land_in_the_struct),
        cmocka_unit_test(numbers_are_strict),
        cmocka_unit_test(queue_names_are_checked),
        cmocka_unit_test(unknown_commands_and_options),
        cmocka_unit_test(options_go_anywhere_until_double_dash),
        cmocka_unit_test(help_and_version_win),
        cmocka_unit_test(help_tells_the_truth),
        cmocka_unit_test(exit_status_per_error_class),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(items_are_json_text_or_base64),
        cmocka_unit_test(base64_matches_rfc4648),
        cmocka_unit_test(numbers_format_without_printf),
        cmocka_unit_test(list_table_is_aligned),
        cmocka_unit_test(list_json),
        cmocka_unit_test(long_reasons_are_truncated_safely),
    };
    return cmocka_run_group_tests_name("workqctl", tests, NULL, NULL);
}
