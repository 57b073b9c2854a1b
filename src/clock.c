/* clock.c — deadline arithmetic shared by every platform. */
#include <workq/transport.h>

#include "platform.h"

int64_t wqi_deadline(int timeout_ms)
{
    if (timeout_ms < 0) {
        return INT64_MAX;
    }
    return wqi_clock_ms() + timeout_ms;
}

int wqi_remaining_ms(int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX) {
        return -1;
    }
    int64_t left = deadline_ms - wqi_clock_ms();
    if (left < 0) {
        return 0;
    }
    return left > INT32_MAX ? INT32_MAX : (int)left;
}
