/* decimal.h — strict decimal numbers (internal; shared by libworkq,
 * workqd and workqctl, which compile decimal.c in).
 *
 * The one spelling of a number everywhere workq reads one — the protocol
 * (docs/protocol.md "Numbers"), replies, command-line options, environment
 * variables from a service manager: decimal digits only, at least one; no
 * sign, no spaces, no "0x", no fraction; leading zeros allowed. No I/O, no
 * locale, no errno; thread-safe.
 */
#ifndef WQI_DECIMAL_H
#define WQI_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Parse s[0..n) (need not be NUL-terminated). Returns 1 and sets *out if
 * it is a strict decimal number not above max; returns 0 and leaves *out
 * unchanged otherwise (empty, a non-digit, or above max — overflow is
 * checked digit by digit, so any number of leading zeros is fine). */
int wqi_decimal_parse(const char *s, size_t n, uint64_t max, uint64_t *out);

/* The same for a NUL-terminated string; s NULL gives 0. */
int wqi_decimal_parse_str(const char *s, uint64_t max, uint64_t *out);

#endif /* WQI_DECIMAL_H */
