/* leb128.h — unsigned LEB128, the variable-length integers of the item
 * store's record headers (registry_items.c) and of the journal's record
 * bodies (journal_records.c) (internal).
 *
 * Seven bits per byte, least significant first, the high bit set on every
 * byte but the last; at most 10 bytes for 64 bits. Inline: the item store
 * decodes a header on every RETRIEVE. Pure.
 */
#ifndef WQI_LEB128_H
#define WQI_LEB128_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes a value takes. */
#define WQI_LEB128_MAX 10u

/* How many bytes v takes. */
static inline size_t wqi_leb128_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80u) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Write v at p (room for wqi_leb128_size(v) bytes); returns that size. */
static inline size_t wqi_leb128_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80u) {
        p[n++] = (uint8_t)(v | 0x80u);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read a value this process wrote itself (no bounds are checked); returns
 * its size. */
static inline size_t wqi_leb128_get(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    size_t n = 0;
    unsigned shift = 0;
    for (;;) {
        uint8_t b = p[n++];
        x |= (uint64_t)(b & 0x7Fu) << shift;
        if ((b & 0x80u) == 0) {
            break;
        }
        shift += 7;
    }
    *v = x;
    return n;
}

/* Read a value from bytes that may be anything (a file): at p[*pos..n),
 * advancing *pos. 0 if it is cut, longer than 10 bytes, above 2^64 - 1 or
 * not in its shortest form (so that one value has one encoding). */
static inline int wqi_leb128_get_checked(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < WQI_LEB128_MAX; i++) {
        if (*pos >= n) {
            return 0;
        }
        uint8_t b = p[(*pos)++];
        if (i == WQI_LEB128_MAX - 1 && b > 1) {
            return 0; /* the tenth byte holds bit 63 only */
        }
        x |= (uint64_t)(b & 0x7Fu) << (7 * i);
        if ((b & 0x80u) == 0) {
            if (i > 0 && b == 0) {
                return 0;
            }
            *v = x;
            return 1;
        }
    }
    return 0;
}

#endif /* WQI_LEB128_H */
