/* queue_name.c — the one check of a queue name (queue_name.h). */
#include <stdint.h>

#include "queue_name.h"

/* The rule's text must say what the code checks. */
_Static_assert(WQ_QUEUE_NAME_MAX == 128, "update WQI_QUEUE_NAME_RULE with WQ_QUEUE_NAME_MAX");

static int name_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

int wqi_queue_name_valid(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > WQ_QUEUE_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (!name_char((uint8_t)name[i])) {
            return 0;
        }
    }
    return 1;
}
