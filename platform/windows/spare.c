/* spare.c (Windows) — the accept loop's spare descriptor (platform.h):
 * nothing to hold. A process's handles are not a small fixed quota as
 * POSIX descriptors are (RLIMIT_NOFILE, often 1024); the handle table
 * grows until memory runs out, so a pipe instance that cannot be created
 * is not helped by one handle in reserve. */
#include "platform.h"

int wqi_spare_take(intptr_t *spare)
{
    *spare = -1;
    return 0;
}

void wqi_spare_release(intptr_t *spare)
{
    *spare = -1;
}
