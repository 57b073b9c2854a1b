/* spare.c (POSIX) — the accept loop's spare descriptor (platform.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "platform.h"

int wqi_spare_take(intptr_t *spare)
{
    if (*spare >= 0) {
        return 1;
    }
    /* /dev/null is there even under systemd's PrivateDevices=; "/" covers
     * a chroot without /dev. Either costs nothing while held. */
    int fd;
    do {
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno != EMFILE && errno != ENFILE) {
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) {
        return 0;
    }
    *spare = fd;
    return 1;
}

void wqi_spare_release(intptr_t *spare)
{
    if (*spare >= 0) {
        close((int)*spare);
        *spare = -1;
    }
}
