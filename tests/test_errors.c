/* test_errors.c — the error vocabulary: every value named and described,
 * the protocol codes map both ways, and the OS's own text for the last OS
 * error fits any buffer (the translation of OS codes themselves is tested
 * per OS, in tests/<os>/test_os_err.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <workq/errors.h>

/* Every row of the map, expanded here as a binding would. */
#define ROW(name, value, code, text) {name, value, code, text, #name},
static const struct {
    wq_err err;
    int value;
    int code;
    const char *text;
    const char *name;
} rows[] = {WQ_ERR_MAP(ROW)};
#undef ROW
#define NROWS (sizeof rows / sizeof rows[0])

static void values_are_dense_from_zero(void **state)
{
    (void)state;
    assert_int_equal(rows[0].err, WQ_OK);
    assert_int_equal(WQ_OK, 0);
    for (size_t i = 0; i < NROWS; i++) {
        assert_int_equal(rows[i].value, (int)i);
        assert_int_equal((int)rows[i].err, (int)i);
    }
}

static void every_error_has_a_distinct_description_and_its_own_name(void **state)
{
    (void)state;
    for (size_t a = 0; a < NROWS; a++) {
        const char *ta = wq_strerror(rows[a].err);
        assert_string_equal(ta, rows[a].text);
        assert_string_not_equal(ta, "unknown error");
        assert_string_equal(wq_err_name(rows[a].err), rows[a].name);
        assert_memory_equal(rows[a].name, "WQ_", 3);
        for (size_t b = a + 1; b < NROWS; b++) {
            assert_string_not_equal(ta, wq_strerror(rows[b].err));
            assert_string_not_equal(rows[a].name, rows[b].name);
        }
    }
    assert_string_equal(wq_strerror((wq_err)NROWS), "unknown error");
    assert_string_equal(wq_err_name((wq_err)NROWS), "WQ_E?");
    assert_string_equal(wq_strerror((wq_err)-1), "unknown error");
    assert_string_equal(wq_err_name((wq_err)9999), "WQ_E?");
}

static void protocol_codes_map_both_ways(void **state)
{
    (void)state;
    for (size_t i = 0; i < NROWS; i++) {
        assert_int_equal(wq_err_code(rows[i].err), rows[i].code);
        if (rows[i].code != 0 && rows[i].err != WQ_ESHUTDOWN) {
            assert_int_equal(wq_err_from_code(rows[i].code), rows[i].err);
        }
    }
    /* The spec's codes, from docs/protocol.md. */
    static const struct {
        int code;
        wq_err err;
    } spec[] = {
        {400, WQ_EBADREQ}, {403, WQ_EFORBIDDEN}, {404, WQ_ENOTFOUND}, {406, WQ_ENOTTEXT},
        {409, WQ_EEXIST},  {410, WQ_EGONE},      {413, WQ_EMSGSIZE},  {500, WQ_EINTERNAL},
        {503, WQ_EBUSY},   {507, WQ_ELIMIT},
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        assert_int_equal(wq_err_from_code(spec[i].code), spec[i].err);
    }
    assert_int_equal(wq_err_code(WQ_ESHUTDOWN), 503);
    assert_int_equal(wq_err_code(WQ_ETIMEDOUT), 0);
    assert_int_equal(wq_err_code((wq_err)9999), 0);
    assert_int_equal(wq_err_from_code(200), WQ_EPROTO);
    assert_int_equal(wq_err_from_code(0), WQ_EPROTO);
    assert_int_equal(wq_err_from_code(-1), WQ_EPROTO);
}

/* wq_os_error_last cuts the OS's text to any buffer size: what it writes is
 * the longest prefix of the full text that fits with its NUL and does not
 * end inside a UTF-8 sequence; nothing past the buffer is touched; size 0
 * writes nothing. The full text is one line without a final period. */
static void the_os_text_fits_any_buffer(void **state)
{
    (void)state;
    /* An error code on every OS (EIO on Linux, ERROR_ACCESS_DENIED on
     * Windows): all that matters here is that the OS has a text for it. */
    assert_int_not_equal(wq_err_from_os(5), WQ_OK);
    char full[256];
    assert_int_equal(wq_os_error_last(NULL, full, sizeof full), 1);
    size_t len = strlen(full);
    assert_true(len > 0 && len < sizeof full - 1);
    assert_null(strpbrk(full, "\r\n"));
    assert_true(full[len - 1] != '.' && full[len - 1] != ' ');
    for (size_t size = 0; size <= len + 1; size++) {
        char buf[sizeof full + 8];
        memset(buf, 'x', sizeof buf);
        long code = 0;
        assert_int_equal(wq_os_error_last(&code, buf, size), 1);
        assert_int_equal(code, 5);
        const char *nul = size > 0 ? memchr(buf, '\0', size) : buf;
        if (nul == NULL) {
            fail_msg("size %lu: no NUL inside the buffer", (unsigned long)size);
        }
        size_t kept = (size_t)(nul - buf);
        size_t room = size == 0 ? 0 : (size - 1 < len ? size - 1 : len);
        assert_true(kept <= room);
        assert_memory_equal(buf, full, kept);
        /* Cut only before a character, and only before one that would not
         * fit: every byte after it up to the room continues it. */
        assert_true(kept == len || ((unsigned char)full[kept] & 0xC0u) != 0x80u);
        for (size_t i = kept + 1; i <= room; i++) {
            assert_int_equal((unsigned char)full[i] & 0xC0u, 0x80u);
        }
        for (size_t i = size; i < sizeof buf; i++) {
            if (buf[i] != 'x') {
                fail_msg("size %lu: byte %lu written, past the buffer", (unsigned long)size,
                         (unsigned long)i);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_are_dense_from_zero),
        cmocka_unit_test(every_error_has_a_distinct_description_and_its_own_name),
        cmocka_unit_test(protocol_codes_map_both_ways),
        cmocka_unit_test(the_os_text_fits_any_buffer),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
