/* decimal.c — strict decimal numbers (decimal.h). */
#include <string.h>

#include "decimal.h"

int wqi_decimal_parse(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    if (s == NULL || n == 0) {
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        uint64_t d = (uint64_t)(s[i] - '0');
        if (d > max || v > (max - d) / 10u) {
            return 0;
        }
        v = v * 10u + d;
    }
    *out = v;
    return 1;
}

int wqi_decimal_parse_str(const char *s, uint64_t max, uint64_t *out)
{
    return s != NULL && wqi_decimal_parse(s, strlen(s), max, out);
}
