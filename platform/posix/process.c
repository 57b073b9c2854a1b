/* process.c (POSIX) — identity of this process, environment. */
#include <stdlib.h>
#include <unistd.h>

#include "platform.h"

uint64_t wqi_process_id(void)
{
    return (uint64_t)getpid();
}

int wqi_process_ugid(uint32_t *uid, uint32_t *gid)
{
    *uid = (uint32_t)geteuid();
    *gid = (uint32_t)getegid();
    return 1;
}

void wqi_process_sid(char *buf, size_t size)
{
    if (size > 0) {
        buf[0] = '\0';
    }
}

const char *wqi_getenv(const char *name)
{
    return getenv(name);
}
