/* utf8.c — strict UTF-8 (RFC 3629) decoding and validation (utf8.h). */
#include "utf8.h"

#include <string.h>

/* Decodes one UTF-8 sequence at p[0..n), n >= 1. Returns its length (1..4)
 * and the code point in *cp, or 0 if the bytes are not a well-formed
 * sequence. The ranges of the second byte are those of Unicode's table of
 * well-formed byte sequences (3-7): they exclude overlong forms (C0, C1,
 * E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above
 * U+10FFFF (F4 90.., F5..FF) in one check. */
size_t wqi_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        *cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        *cp = c & 0x0Fu;
        if (c == 0xE0) {
            lo = 0xA0;
        } else if (c == 0xED) {
            hi = 0x9F;
        }
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        *cp = c & 0x07u;
        if (c == 0xF0) {
            lo = 0x90;
        } else if (c == 0xF4) {
            hi = 0x8F;
        }
    } else {
        return 0; /* continuation byte, C0/C1, F5..FF */
    }
    if (n < len || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0u) != 0x80u) {
            return 0;
        }
        *cp = (*cp << 6) | (p[i] & 0x3Fu);
    }
    return len;
}

int wqi_utf8_valid(const uint8_t *text, size_t n)
{
    const uint8_t *p = text;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* ASCII fast path: most payloads are ASCII */
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = wqi_utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            return 0;
        }
        i += len;
    }
    return 1;
}

size_t wqi_utf8_copy(char *dst, size_t size, const char *text, size_t n)
{
    if (size == 0) {
        return 0;
    }
    size_t k = n;
    if (k > size - 1) {
        /* text[k] is the first byte left out; while it continues a
         * sequence (10xxxxxx), leave out the whole character. */
        k = size - 1;
        for (int i = 0; i < 3 && k > 0 && ((unsigned char)text[k] & 0xC0u) == 0x80u; i++) {
            k--;
        }
    }
    if (k > 0) {
        memcpy(dst, text, k);
    }
    dst[k] = '\0';
    return k;
}
