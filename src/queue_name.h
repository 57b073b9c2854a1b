/* queue_name.h — the one check of a queue name (internal; shared by
 * libworkq and workqctl, which compiles queue_name.c in).
 *
 * docs/protocol.md "Queue names": 1 to WQ_QUEUE_NAME_MAX (128) characters
 * of A-Z a-z 0-9 _ . - (ASCII, so characters are bytes). No I/O;
 * thread-safe.
 */
#ifndef WQI_QUEUE_NAME_H
#define WQI_QUEUE_NAME_H

#include <stddef.h>

#include <workq/client.h> /* WQ_QUEUE_NAME_MAX */

/* Nonzero if name[0..len) is a valid queue name (name need not be
 * NUL-terminated; NULL with len 0 is simply invalid). */
int wqi_queue_name_valid(const char *name, size_t len);

/* The rule in words, for error messages and --help. */
#define WQI_QUEUE_NAME_RULE "1 to 128 of A-Z a-z 0-9 _ . -"

#endif /* WQI_QUEUE_NAME_H */
