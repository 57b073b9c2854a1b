/* test_utf8.c — strict UTF-8 (src/utf8.c): RFC 3629's well-formed
 * sequences and nothing else. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
