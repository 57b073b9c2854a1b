/* utf8_cases.h — valid and invalid UTF-8 (RFC 3629), for test_utf8.c and
 * test_utf16.c. Include after text_cases.h. */
#ifndef WQT_UTF8_CASES_H
#define WQT_UTF8_CASES_H

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

#endif /* WQT_UTF8_CASES_H */
