/* text_cases.h — helpers shared by the text-handling test files
 * (test_protocol.c, test_reply.c, test_utf8.c, test_utf16.c): messages
 * with NUL bytes, printable forms for failure messages, exact-size heap
 * copies, the UTF-16LE form of ASCII, and an allocation counter.
 * Include after <cmocka.h>. */
#ifndef WQT_TEXT_CASES_H
#define WQT_TEXT_CASES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A message with its exact length, so that literals may hold NUL bytes. */
typedef struct msg {
    const char *bytes;
    size_t len;
} msg;

#define M(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

/* Printable form of a message for failure messages. */
static inline const char *show(const void *p, size_t n)
{
    static char out[512];
    const uint8_t *s = p;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < sizeof out; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\') {
            out[o++] = (char)s[i];
        } else {
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02X", s[i]);
        }
    }
    out[o] = '\0';
    return out;
}

/* A heap copy of exactly n bytes, so that ASan or valgrind sees any read
 * past the end of a message (a literal would hide it behind its NUL).
 * NULL for n == 0. Free with free(). */
static inline uint8_t *exact(const void *p, size_t n)
{
    if (n == 0) {
        return NULL;
    }
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, p, n);
    return copy;
}

/* The UTF-16LE form of an ASCII string, as Encoding.Unicode writes it. */
static inline size_t widen(const char *ascii, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = (uint8_t)ascii[i];
        out[2 * i + 1] = 0;
    }
    return 2 * n;
}

/* Counts allocations while an observer is set (wqi_alloc_set_observer):
 * *allocations() = 0, set count_allocation as the observer, read it back. */
static inline size_t *allocations(void)
{
    static size_t n;
    return &n;
}

static inline void count_allocation(size_t size)
{
    (void)size;
    (*allocations())++;
}

#endif /* WQT_TEXT_CASES_H */
