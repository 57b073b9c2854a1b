/* utf16.c — UTF-8 <-> UTF-16LE conversion (strict UTF-8 decoding is
 * utf8.c's). */
#include "utf16.h"
#include "utf8.h"

/* Validates UTF-8 and measures its UTF-16 size: 2 bytes per character,
 * 4 for those beyond U+FFFF (the 4-byte UTF-8 sequences). */
static int utf8_measure(const uint8_t *p, size_t n, size_t *utf16_size)
{
    size_t size = 0;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path: most payloads and every command are ASCII. */
        if (p[i] < 0x80) {
            i++;
            size += 2;
            continue;
        }
        uint32_t cp = 0; /* set on every path that uses it; -O2 cannot prove that */
        size_t len = wqi_utf8_decode(p + i, n - i, &cp);
        if (len == 0) {
            return 0;
        }
        i += len;
        size += len == 4 ? 4 : 2;
    }
    *utf16_size = size;
    return 1;
}

static uint8_t *put_unit16(uint8_t *out, uint32_t u)
{
    out[0] = (uint8_t)(u & 0xFFu);
    out[1] = (uint8_t)(u >> 8);
    return out + 2;
}

wq_err wqi_utf8_to_utf16le(wqi_buf *b, const uint8_t *src, size_t n)
{
    size_t size;
    if (n == 0) {
        /* Nothing to write, and b->data may still be NULL: NULL + 0 below
         * would be undefined behaviour. */
        return WQ_OK;
    }
    if (n > (size_t)-1 / 2) {
        return WQ_ENOMEM; /* the measure below could overflow */
    }
    if (!utf8_measure(src, n, &size)) {
        return WQ_EINVAL;
    }
    wq_err err = wqi_buf_reserve(b, size);
    if (err != WQ_OK) {
        return err;
    }
    uint8_t *out = b->data + b->len;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0; /* set on every path that uses it; -O2 cannot prove that */
        i += wqi_utf8_decode(src + i, n - i, &cp); /* measured: never 0 */
        if (cp < 0x10000u) {
            out = put_unit16(out, cp);
        } else {
            cp -= 0x10000u;
            out = put_unit16(out, 0xD800u | (cp >> 10));
            out = put_unit16(out, 0xDC00u | (cp & 0x3FFu));
        }
    }
    b->len += size;
    return WQ_OK;
}

static uint8_t *put_utf8(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80u) {
        *out++ = (uint8_t)cp;
    } else if (cp < 0x800u) {
        *out++ = (uint8_t)(0xC0u | (cp >> 6));
        *out++ = (uint8_t)(0x80u | (cp & 0x3Fu));
    } else if (cp < 0x10000u) {
        *out++ = (uint8_t)(0xE0u | (cp >> 12));
        *out++ = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
        *out++ = (uint8_t)(0x80u | (cp & 0x3Fu));
    } else {
        *out++ = (uint8_t)(0xF0u | (cp >> 18));
        *out++ = (uint8_t)(0x80u | ((cp >> 12) & 0x3Fu));
        *out++ = (uint8_t)(0x80u | ((cp >> 6) & 0x3Fu));
        *out++ = (uint8_t)(0x80u | (cp & 0x3Fu));
    }
    return out;
}

static uint32_t unit16_at(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

/* Decodes one UTF-16LE character at p[0..n), n >= 2 and even. Returns the
 * bytes it took (2, or 4 for a surrogate pair) with the code point in *cp,
 * or 0 for an unpaired surrogate. */
static size_t utf16le_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint32_t u = unit16_at(p);
    if (u < 0xD800u || u > 0xDFFFu) {
        *cp = u;
        return 2;
    }
    if (u >= 0xDC00u) {
        return 0; /* a low surrogate with no high one before it */
    }
    uint32_t lo = n >= 4 ? unit16_at(p + 2) : 0;
    if (lo < 0xDC00u || lo > 0xDFFFu) {
        return 0; /* a high surrogate not followed by a low one */
    }
    *cp = 0x10000u + ((u - 0xD800u) << 10) + (lo - 0xDC00u);
    return 4;
}

static size_t utf8_len(uint32_t cp)
{
    return cp < 0x80u ? 1 : cp < 0x800u ? 2 : cp < 0x10000u ? 3 : 4;
}

/* Validates UTF-16LE and measures its UTF-8 size, so that invalid input
 * costs no allocation and valid input exactly one reservation. */
static int utf16le_measure(const uint8_t *src, size_t n, size_t *utf8_size)
{
    if (n % 2 != 0) {
        return 0;
    }
    size_t size = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0; /* set on every path that uses it; -O2 cannot prove that */
        size_t used = utf16le_decode(src + i, n - i, &cp);
        if (used == 0) {
            return 0;
        }
        size += utf8_len(cp); /* <= 3 bytes per 2 read: cannot overflow */
        i += used;
    }
    *utf8_size = size;
    return 1;
}

wq_err wqi_utf16le_to_utf8(wqi_buf *b, const uint8_t *src, size_t n)
{
    size_t size;
    if (n == 0) {
        /* A request that is only a BOM: nothing to write, and b->data may
         * still be NULL (NULL + 0 below would be undefined behaviour). */
        return WQ_OK;
    }
    if (!utf16le_measure(src, n, &size)) {
        return WQ_EINVAL;
    }
    wq_err err = wqi_buf_reserve(b, size);
    if (err != WQ_OK) {
        return err;
    }
    uint8_t *out = b->data + b->len;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0; /* set on every path that uses it; -O2 cannot prove that */
        i += utf16le_decode(src + i, n - i, &cp); /* measured: never 0 */
        out = put_utf8(out, cp);
    }
    b->len += size;
    return WQ_OK;
}
