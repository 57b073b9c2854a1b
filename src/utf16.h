/* utf16.h — UTF-8 <-> UTF-16LE conversion (internal).
 *
 * The protocol speaks UTF-8, but .NET's Encoding.Unicode writes UTF-16LE,
 * and the server answers such a client in kind (docs/protocol.md "Text encoding").
 * Validation follows RFC 3629 strictly: no overlong forms, no surrogate
 * code points (U+D800..U+DFFF), nothing above U+10FFFF. UTF-16LE must be
 * well-formed: an even number of bytes and every surrogate paired.
 *
 * Pure functions: thread-safe on distinct buffers. No BOM is read or
 * written here; dropping a leading BOM is the request parser's business.
 */
#ifndef WQI_UTF16_H
#define WQI_UTF16_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "buf.h"
#include "utf8.h" /* wqi_utf8_valid, for the callers of these */

/* Appends to b the UTF-16LE encoding (no BOM) of the UTF-8 text
 * src[0..n). At most 2 * n bytes are appended. Errors: WQ_EINVAL if src is
 * not valid UTF-8 (nothing is allocated then); WQ_ENOMEM. On error b is
 * unchanged. */
wq_err wqi_utf8_to_utf16le(wqi_buf *b, const uint8_t *src, size_t n);

/* Appends to b the UTF-8 encoding of the UTF-16LE text src[0..n) (a BOM in
 * src is converted like any other character). At most 3 * (n / 2) bytes are
 * appended. Errors: WQ_EINVAL if n is odd or src holds an unpaired
 * surrogate (nothing is allocated then); WQ_ENOMEM. On error b is
 * unchanged. */
wq_err wqi_utf16le_to_utf8(wqi_buf *b, const uint8_t *src, size_t n);

#endif /* WQI_UTF16_H */
