/* test_utf8.c — strict UTF-8 (src/utf8.c): RFC 3629's well-formed
 * sequences and nothing else; text cut to a buffer between characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text_cases.h"
#include "utf8.h"
#include "utf8_cases.h"

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

/* wqi_utf8_copy: the longest prefix that fits with its NUL and ends
 * between characters; nothing written past the buffer. */
static void test_utf8_copy(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t size;
        const char *want;
    } rows[] = {
        {"abc", 4, "abc"},
        {"abc", 9, "abc"},
        {"abc", 3, "ab"},
        {"abc", 1, ""},
        {"h\xC3\xA9llo", 4, "h\xC3\xA9"}, /* "hé" fits */
        {"h\xC3\xA9llo", 3, "h"},         /* not half an é */
        {"\xE2\x82\xAC!", 4, "\xE2\x82\xAC"},
        {"\xE2\x82\xAC!", 3, ""},
        {"\xE2\x82\xAC!", 2, ""},
        {"a\xF0\x9F\x98\x80"
         "b",
         6, "a\xF0\x9F\x98\x80"},
        {"a\xF0\x9F\x98\x80"
         "b",
         5, "a"},
        {"a\xF0\x9F\x98\x80"
         "b",
         4, "a"},
        {"a\xF0\x9F\x98\x80"
         "b",
         3, "a"},
        {"a\xF0\x9F\x98\x80"
         "b",
         2, "a"},
        /* Not UTF-8: backs off three bytes at most. */
        {"\x80\x80\x80\x80\x80\x80", 6, "\x80\x80"},
    };
    for (size_t i = 0; i < COUNT(rows); i++) {
        char buf[16];
        memset(buf, 'x', sizeof buf);
        size_t n = strlen(rows[i].text);
        size_t got = wqi_utf8_copy(buf, rows[i].size, rows[i].text, n);
        assert_int_equal(got, strlen(rows[i].want));
        assert_memory_equal(buf, rows[i].want, got + 1);
        for (size_t j = rows[i].size; j < sizeof buf; j++) {
            if (buf[j] != 'x') {
                fail_msg("row %lu: byte %lu written, past the buffer", (unsigned long)i,
                         (unsigned long)j);
            }
        }
    }
    char one = 'x';
    assert_int_equal(wqi_utf8_copy(&one, 0, "abc", 3), 0);
    assert_int_equal(one, 'x'); /* size 0: nothing written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_copy),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
