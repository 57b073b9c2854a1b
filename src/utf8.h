/* utf8.h — strict UTF-8 (internal; shared by libworkq and workqctl, which
 * compiles utf8.c in).
 *
 * RFC 3629 strictly: no overlong forms, no surrogate code points
 * (U+D800..U+DFFF), nothing above U+10FFFF. NUL bytes are characters like
 * any other. Pure functions: thread-safe on distinct buffers.
 */
#ifndef WQI_UTF8_H
#define WQI_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Nonzero if text[0..n) is valid UTF-8. n == 0 is valid; text may be NULL
 * only when n is 0. */
int wqi_utf8_valid(const uint8_t *text, size_t n);

/* Decode one UTF-8 sequence at p[0..n), n >= 1. Returns its length (1 to
 * 4) and the code point in *cp, or 0 if the bytes there do not begin a
 * well-formed sequence (*cp is then unspecified). */
size_t wqi_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

/* Copy text[0..n) into dst[0..size) as a NUL-terminated string, cut to
 * fit: at most size - 1 bytes, and where it has to be cut, before the
 * character that does not fit, never inside its UTF-8 sequence. Returns
 * the number of bytes copied before the NUL; size 0 writes nothing and
 * returns 0. text need not be valid UTF-8 (a cut among invalid bytes backs
 * off at most three) and must not overlap dst. */
size_t wqi_utf8_copy(char *dst, size_t size, const char *text, size_t n);

#endif /* WQI_UTF8_H */
