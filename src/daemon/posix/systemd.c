/* systemd.c (POSIX) — what workqd does for a service manager, without
 * libsystemd: readiness notification (sd_notify(3): one datagram to
 * $NOTIFY_SOCKET), socket activation (sd_listen_fds(3): descriptor 3 when
 * $LISTEN_PID is ours) and group lookup for --socket-group.
 *
 * Only the protocol's stable parts are used: a plain AF_UNIX datagram
 * with "KEY=VALUE" lines, and LISTEN_PID/LISTEN_FDS starting at fd 3.
 * Other service managers that speak the same protocol (s6, dinit, …) work
 * too; without them every call here is a no-op.
 */
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <bsd/string.h>

#include "daemon.h"
#include "decimal.h"

/* sd_listen_fds(3): passed descriptors start here. */
#define LISTEN_FDS_START 3

/* Build the notify socket's address: "/path" or "@abstract" (the '@'
 * becomes the leading NUL of Linux's abstract namespace). */
static wq_err notify_address(const char *env, struct sockaddr_un *sa, socklen_t *len)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    size_t n = strlen(env);
    if (n < 2 || (env[0] != '/' && env[0] != '@')) {
        return WQ_EINVAL; /* relative paths, vsock:… and the like */
    }
    if (n >= sizeof sa->sun_path) {
        return WQ_ENAMETOOLONG; /* never truncated */
    }
    memcpy(sa->sun_path, env, n);
    if (env[0] == '@') {
        sa->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n); /* no trailing NUL */
    } else {
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return WQ_OK;
}

wq_err wqd_notify(const char *state)
{
    const char *env = getenv("NOTIFY_SOCKET");
    if (env == NULL || env[0] == '\0') {
        return WQ_OK; /* no service manager is listening */
    }
    if (state == NULL) {
        return WQ_EINVAL;
    }
    struct sockaddr_un sa;
    socklen_t len = 0;
    wq_err err = notify_address(env, &sa, &len);
    if (err != WQ_OK) {
        return err;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return wq_err_from_os(errno);
    }
    /* A datagram either goes whole or not at all; MSG_DONTWAIT so that a
     * service manager that stopped reading cannot block us. */
    ssize_t n;
    do {
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
                   (const struct sockaddr *)&sa, len);
    } while (n < 0 && errno == EINTR);
    err = n < 0 ? wq_err_from_os(errno) : WQ_OK;
    close(fd);
    return err;
}

/* The address fd is bound to, for the log: the socket path, "@name" for
 * Linux's abstract namespace, or "(unnamed socket)"; "" if it cannot be
 * read. Truncated to size. */
static void socket_name(int fd, char *buf, size_t size)
{
    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    struct sockaddr_un sa;
    socklen_t n = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &n) != 0) {
        return;
    }
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t len = n > off ? (size_t)n - off : 0;
    if (len > sizeof sa.sun_path) {
        len = sizeof sa.sun_path;
    }
    if (len == 0) {
        strlcpy(buf, "(unnamed socket)", size);
    } else if (sa.sun_path[0] == '\0') { /* abstract: shown as "@name" */
        snprintf(buf, size, "@%.*s", (int)(len - 1), sa.sun_path + 1);
    } else {
        snprintf(buf, size, "%.*s", (int)strnlen(sa.sun_path, len), sa.sun_path);
    }
}

wq_err wqd_inherited_listener(wq_listener **out, char *name, size_t size)
{
    *out = NULL;
    if (size > 0) {
        name[0] = '\0';
    }
    const char *pid_s = getenv("LISTEN_PID");
    const char *fds_s = getenv("LISTEN_FDS");
    uint64_t pid = 0, nfds = 0;
    int ours = wqi_decimal_parse_str(pid_s, 0x7FFFFFFF, &pid) && pid == (uint64_t)getpid();
    int fds_ok = wqi_decimal_parse_str(fds_s, 0xFFFF, &nfds);
    /* Never seen again, by us or by a child (sd_listen_fds(3) with
     * unset_environment). */
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (!ours) {
        return WQ_ENOENT; /* absent, or meant for another process */
    }
    if (!fds_ok) {
        return WQ_EINVAL;
    }
    if (nfds == 0) {
        return WQ_ENOENT;
    }
    if (nfds > 1) {
        /* One endpoint per workqd: several sockets mean a unit that is
         * not ours to guess about. */
        return WQ_EINVAL;
    }
    wq_err err = wq_listener_adopt(NULL, LISTEN_FDS_START, out);
    if (err != WQ_OK) {
        return err;
    }
    socket_name(LISTEN_FDS_START, name, size);
    return WQ_OK;
}

wq_err wqd_group_id(const char *name, uint32_t *gid)
{
    if (name == NULL || name[0] == '\0') {
        return WQ_EINVAL;
    }
    uint64_t num = 0;
    if (wqi_decimal_parse_str(name, 0xFFFFFFFEu, &num)) { /* (gid_t)-1 means "no change" */
        *gid = (uint32_t)num;
        return WQ_OK;
    }
    long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t size = hint > 0 ? (size_t)hint : 1024;
    for (;;) {
        char *buf = malloc(size);
        if (buf == NULL) {
            return WQ_ENOMEM;
        }
        struct group gr;
        struct group *found = NULL;
        int rc = getgrnam_r(name, &gr, buf, size, &found);
        if (rc == ERANGE && size < (1u << 20)) {
            free(buf);
            size *= 2;
            continue;
        }
        wq_err err = WQ_OK;
        if (rc != 0 && rc != ENOENT && rc != ESRCH) {
            err = WQ_EIO;
        } else if (rc != 0 || found == NULL) {
            err = WQ_ENOENT;
        } else {
            *gid = (uint32_t)gr.gr_gid;
        }
        free(buf);
        return err;
    }
}
