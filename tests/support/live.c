/* live.c — a real server per test, and the scenario-to-test check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "live.h"
#include "platform.h"

void wqt_live_start(wqt_live *l, const char *tag, const wq_server_config *cfg)
{
    memset(l, 0, sizeof *l);
    wq_server_config c;
    if (cfg != NULL) {
        c = *cfg;
    } else {
        wq_server_config_init(&c);
    }
    wqt_scratch_init(&l->ep, NULL, tag);
    c.transport = NULL; /* native */
    c.endpoint = l->ep.endpoint;
    wq_err err = wq_server_start(&c, &l->server);
    if (err != WQ_OK) {
        wqt_scratch_cleanup(&l->ep);
        fail_msg("wq_server_start on %s: %s", l->ep.endpoint, wq_strerror(err));
    }
}

void wqt_live_stop(wqt_live *l)
{
    if (l->server != NULL) {
        wq_server_stop(l->server);
        l->server = NULL;
        wqt_scratch_cleanup(&l->ep);
    }
}

wq_client *wqt_live_client(const wqt_live *l)
{
    wq_client *c = NULL;
    wq_err err = wq_client_open(l->ep.endpoint, NULL, &c);
    if (err != WQ_OK) {
        fail_msg("wq_client_open: %s", wq_strerror(err));
    }
    return c;
}

wq_conn *wqt_live_conn(const wqt_live *l)
{
    wq_conn *c = NULL;
    wq_err err = wq_conn_connect(NULL, l->ep.endpoint, WQT_LONG_MS, &c);
    if (err != WQ_OK) {
        fail_msg("wq_conn_connect: %s", wq_strerror(err));
    }
    return c;
}

int wqt_wait_connections(wq_server *s, uint32_t n)
{
    int64_t deadline = wqi_deadline(WQT_LONG_MS);
    while (wq_server_connections(s) != n) {
        if (wqi_clock_ms() >= deadline) {
            return 0;
        }
        wqi_sleep_ms(1); /* a retry interval, not synchronisation */
    }
    return 1;
}

char *wqt_request(wq_client *c, const char *request)
{
    void *reply = NULL;
    size_t len = 0;
    wq_err err = wq_client_request(c, request, strlen(request), &reply, &len);
    if (err != WQ_OK) {
        fail_msg("request \"%s\": %s", request, wq_strerror(err));
    }
    return reply;
}

void wqt_expect(wq_client *c, const char *request, const char *reply)
{
    char *got = wqt_request(c, request);
    if (strcmp(got, reply) != 0) {
        print_error("request \"%s\": expected \"%s\", got \"%s\"\n", request, reply, got);
        wq_free(got);
        fail();
    }
    wq_free(got);
}

void wqt_expect_prefix(wq_client *c, const char *request, const char *prefix)
{
    char *got = wqt_request(c, request);
    if (strncmp(got, prefix, strlen(prefix)) != 0) {
        print_error("request \"%s\": expected \"%s...\", got \"%s\"\n", request, prefix, got);
        wq_free(got);
        fail();
    }
    wq_free(got);
}

void *wqt_conn_round_trip(wq_conn *c, const void *msg, size_t len, size_t max, size_t *reply_len)
{
    assert_int_equal(wq_conn_send(c, msg, len, WQT_LONG_MS), WQ_OK);
    void *reply = NULL;
    assert_int_equal(wq_conn_recv(c, max, WQT_LONG_MS, &reply, reply_len), WQ_OK);
    return reply;
}

unsigned char *wqt_utf16le(const char *utf8, size_t *len)
{
    const unsigned char *p = (const unsigned char *)utf8;
    size_t n = strlen(utf8);
    unsigned char *out = malloc(2 * n + 2);
    assert_non_null(out);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t extra;
        if (p[i] < 0x80) {
            cp = p[i];
            extra = 0;
        } else if ((p[i] & 0xE0) == 0xC0) {
            cp = p[i] & 0x1Fu;
            extra = 1;
        } else if ((p[i] & 0xF0) == 0xE0) {
            cp = p[i] & 0x0Fu;
            extra = 2;
        } else {
            cp = p[i] & 0x07u;
            extra = 3;
        }
        assert_true(i + extra < n);
        for (size_t k = 1; k <= extra; k++) {
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        i += extra + 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            uint32_t hi = 0xD800 + (cp >> 10), lo = 0xDC00 + (cp & 0x3FF);
            out[o++] = (unsigned char)(hi & 0xFF);
            out[o++] = (unsigned char)(hi >> 8);
            out[o++] = (unsigned char)(lo & 0xFF);
            out[o++] = (unsigned char)(lo >> 8);
        } else {
            out[o++] = (unsigned char)(cp & 0xFF);
            out[o++] = (unsigned char)(cp >> 8);
        }
    }
    *len = o;
    return out;
}

void wqt_assert_utf16le(const void *msg, size_t len, const char *utf8)
{
    size_t n;
    unsigned char *want = wqt_utf16le(utf8, &n);
    int same = len == n && memcmp(msg, want, n) == 0;
    free(want);
    if (!same) {
        print_error("expected the UTF-16LE of \"%s\" (%lu bytes), got %lu bytes\n", utf8,
                    (unsigned long)n, (unsigned long)len);
        fail();
    }
}

void wqt_assert_utf16le_prefix(const void *msg, size_t len, const char *utf8)
{
    size_t n;
    unsigned char *want = wqt_utf16le(utf8, &n);
    int same = len >= n && len % 2 == 0 && memcmp(msg, want, n) == 0;
    free(want);
    if (!same) {
        print_error("expected UTF-16LE text starting with \"%s\", got %lu bytes\n", utf8,
                    (unsigned long)len);
        fail();
    }
}

int wqt_snake_case(const char *title, char *out, size_t size)
{
    size_t n = 0;
    int gap = 0;
    for (const char *p = title; *p != '\0'; p++) {
        char ch = *p;
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
        if (!alnum) {
            gap = n > 0;
            continue;
        }
        if (gap) {
            if (n + 1 >= size) {
                return 0;
            }
            out[n++] = '_';
            gap = 0;
        }
        if (n + 1 >= size) {
            return 0;
        }
        out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    if (size == 0) {
        return 0;
    }
    out[n] = '\0';
    return n > 0;
}

static int has_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i] != NULL && strcmp(names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

void wqt_check_scenarios(const char *feature, const char *const *scenarios,
                         const char *const *tests, size_t ntests, const char *self)
{
    size_t nscen = 0;
    int missing = 0;
    char wanted[256];
    for (; scenarios[nscen] != NULL; nscen++) {
        if (!wqt_snake_case(scenarios[nscen], wanted, sizeof wanted)) {
            print_error("%s: scenario \"%s\" has no usable test name\n", feature, scenarios[nscen]);
            missing++;
            continue;
        }
        for (size_t j = 0; j < nscen; j++) {
            char other[256];
            if (wqt_snake_case(scenarios[j], other, sizeof other) && strcmp(other, wanted) == 0) {
                print_error("%s: scenario \"%s\" appears twice\n", feature, scenarios[nscen]);
                missing++;
            }
        }
        if (!has_name(tests, ntests, wanted)) {
            print_error("%s: scenario \"%s\" has no test (expected a test named %s)\n", feature,
                        scenarios[nscen], wanted);
            missing++;
        }
    }
    /* The reverse: a test whose scenario was renamed or removed. */
    for (size_t i = 0; i < ntests; i++) {
        int found = tests[i] != NULL && strcmp(tests[i], self) == 0;
        for (size_t j = 0; !found && j < nscen; j++) {
            found = wqt_snake_case(scenarios[j], wanted, sizeof wanted) &&
                    strcmp(wanted, tests[i]) == 0;
        }
        if (!found) {
            print_error("%s: test %s has no scenario\n", feature, tests[i]);
            missing++;
        }
    }
    if (nscen == 0) {
        print_error("%s: no scenarios found\n", feature);
        missing++;
    }
    assert_int_equal(missing, 0);
}
