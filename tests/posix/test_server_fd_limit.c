/* test_server_fd_limit.c — a server out of file descriptors still answers
 * every client: those it has descriptors for are served, the others get
 * "ERROR 503 busy ..." at once instead of waiting in the listen backlog for
 * ever, the log says so once (not once per retry), and the server serves
 * again once descriptors are back.
 *
 * The test process is the server's process, so its own descriptors count
 * against the same RLIMIT_NOFILE: every client socket is made before the
 * limit is lowered, every other free number below the limit is taken by
 * a placeholder, and exactly ROOM of them are freed for the server. The
 * limit is put back before the test ends, also when it fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <workq/client.h>
#include <workq/server.h>

#include "live.h"
#include "platform.h"
#include "raw_unix.h"

#define CLIENTS 16
#define ROOM 4 /* descriptors left for the server to accept with */
/* Clients that come, one at a time, each after one descriptor is freed
 * while the limit is still low. */
#define LATER 5
#define MAX_PLACEHOLDERS 4096

static wqt_live live;
static struct rlimit saved_limit;
static int limit_lowered;
static int placeholders[MAX_PLACEHOLDERS];
static int nplaceholders;
static int clients[CLIENTS + LATER];

/* Log lines, counted by kind. */
static wqi_mutex log_lock;
static int emfile_lines;
static int accept_failed_lines;
static char emfile_line[512];

static void capture_log(void *ctx, wq_log_level level, const char *line)
{
    (void)ctx;
    (void)level;
    wqi_mutex_lock(&log_lock);
    if (strstr(line, "out of file descriptors") != NULL) {
        emfile_lines++;
        snprintf(emfile_line, sizeof emfile_line, "%s", line);
    }
    if (strstr(line, "accept failed") != NULL) {
        accept_failed_lines++;
    }
    wqi_mutex_unlock(&log_lock);
}

static void restore_limit(void)
{
    if (limit_lowered) {
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_limit), 0);
        limit_lowered = 0;
    }
}

static void close_all(void)
{
    for (int i = 0; i < nplaceholders; i++) {
        close(placeholders[i]);
    }
    nplaceholders = 0;
    for (int i = 0; i < CLIENTS + LATER; i++) {
        if (clients[i] >= 0) {
            close(clients[i]);
            clients[i] = -1;
        }
    }
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < CLIENTS + LATER; i++) {
        clients[i] = -1;
    }
    return getrlimit(RLIMIT_NOFILE, &saved_limit);
}

static int teardown(void **state)
{
    (void)state;
    close_all();
    restore_limit();
    wqt_live_stop(&live);
    return 0;
}

/* The highest descriptor number open in this process. */
static int highest_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int top = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd > top) {
            top = fd;
        }
    }
    closedir(d);
    return top; /* counts the directory's own descriptor: harmless */
}

/* One frame (4-byte big-endian length + body) out; the peer may already
 * have closed (a refused client), which is fine. */
static void send_frame(int fd, const char *body)
{
    uint32_t n = (uint32_t)strlen(body);
    unsigned char buf[64];
    assert_true(n + 4 <= sizeof buf);
    buf[0] = (unsigned char)(n >> 24);
    buf[1] = (unsigned char)(n >> 16);
    buf[2] = (unsigned char)(n >> 8);
    buf[3] = (unsigned char)n;
    memcpy(buf + 4, body, n);
    (void)send(fd, buf, n + 4, MSG_NOSIGNAL);
}

/* Read exactly n bytes by deadline; 0 on EOF, error or time out. */
static int read_exactly(int fd, void *buf, size_t n, int64_t deadline)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {fd, POLLIN, 0};
        int ms = wqi_remaining_ms(deadline);
        if (ms == 0 || poll(&p, 1, ms) <= 0) {
            return 0;
        }
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        if (r <= 0) {
            return 0;
        }
        got += (size_t)r;
    }
    return 1;
}

/* The first reply frame on fd, as text, by deadline; "" if none came. */
static void read_reply(int fd, char *out, size_t size, int64_t deadline)
{
    out[0] = '\0';
    unsigned char hdr[4];
    if (!read_exactly(fd, hdr, 4, deadline)) {
        return;
    }
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n >= size || !read_exactly(fd, out, n, deadline)) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
}

static void clients_beyond_the_descriptor_limit_are_told_busy(void **state)
{
    (void)state;
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.log = capture_log;
    wqt_live_start(&live, "fdlim", &cfg);

    /* The clients' sockets, made while descriptors are plenty. */
    for (int i = 0; i < CLIENTS + LATER; i++) {
        clients[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(clients[i] >= 0);
    }
    /* A limit just above everything open, and every free number below it
     * taken; then ROOM numbers given back for the server. */
    struct rlimit low = saved_limit;
    low.rlim_cur = (rlim_t)highest_fd() + 1 + ROOM + 8;
    assert_true(low.rlim_cur <= saved_limit.rlim_cur);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    limit_lowered = 1;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            assert_int_equal(errno, EMFILE);
            break;
        }
        assert_true(nplaceholders < MAX_PLACEHOLDERS);
        placeholders[nplaceholders++] = fd;
    }
    assert_true(nplaceholders >= ROOM);
    for (int i = 0; i < ROOM; i++) {
        close(placeholders[--nplaceholders]);
    }

    /* All connect (connect needs no new descriptor here), all ask. */
    struct sockaddr_un sa;
    wqt_unix_addr(live.ep.endpoint, &sa);
    for (int i = 0; i < CLIENTS; i++) {
        assert_int_equal(connect(clients[i], (const struct sockaddr *)&sa, sizeof sa), 0);
        send_frame(clients[i], "PING");
    }
    /* Every one is answered, served or busy; none is left hanging. */
    int64_t deadline = wqi_deadline(WQT_LONG_MS);
    int served = 0, busy = 0;
    for (int i = 0; i < CLIENTS; i++) {
        char reply[256];
        read_reply(clients[i], reply, sizeof reply, deadline);
        if (strcmp(reply, "OK PONG") == 0) {
            served++;
        } else if (strncmp(reply, "ERROR 503 busy ", 15) == 0) {
            busy++;
        } else {
            fail_msg("client %d of %d: no reply (\"%s\"); %d served, %d busy so far", i, CLIENTS,
                     reply, served, busy);
        }
    }
    print_message("%d served, %d told busy\n", served, busy);
    assert_true(served >= 1);
    assert_true(busy >= 1);

    /* Still at the limit, a descriptor freed elsewhere in the process
     * serves the next client at once: the server does not sit on the
     * number waiting to refuse whoever comes next. */
    for (int i = CLIENTS; i < CLIENTS + LATER; i++) {
        assert_true(nplaceholders > 0);
        close(placeholders[--nplaceholders]);
        assert_int_equal(connect(clients[i], (const struct sockaddr *)&sa, sizeof sa), 0);
        send_frame(clients[i], "PING");
        char reply[256];
        read_reply(clients[i], reply, sizeof reply, wqi_deadline(WQT_LONG_MS));
        if (strcmp(reply, "OK PONG") != 0) {
            fail_msg("client %d, after a descriptor was freed: \"%s\"", i - CLIENTS + 1, reply);
        }
    }

    /* Descriptors back: the server serves again. */
    close_all();
    restore_limit();
    assert_true(wqt_wait_connections(live.server, 0));
    wq_client *c = wqt_live_client(&live);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    wq_client_close(c);

    /* Said once, with what the OS said and what to raise. */
    wqi_mutex_lock(&log_lock);
    int lines = emfile_lines;
    int failed = accept_failed_lines;
    char line[512];
    snprintf(line, sizeof line, "%s", emfile_line);
    wqi_mutex_unlock(&log_lock);
    print_message("log: %s\n", line);
    assert_int_equal(lines, 1);
    assert_int_equal(failed, 0);
    assert_non_null(strstr(line, "Too many open files"));
    assert_non_null(strstr(line, "ulimit -n"));
    assert_non_null(strstr(line, "LimitNOFILE="));
    assert_non_null(strstr(line, "--max-connections"));
}

int main(void)
{
    wqi_mutex_init(&log_lock);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(clients_beyond_the_descriptor_limit_are_told_busy, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests_name("server.fd_limit", tests, NULL, NULL);
    wqi_mutex_destroy(&log_lock);
    return rc;
}
