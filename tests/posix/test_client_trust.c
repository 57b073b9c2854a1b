/* test_client_trust.c — a client sends nothing to a server it does not
 * trust (docs/protocol.md "Trust"): the runtime directory of a plain name
 * must be ours alone, and the account the server runs as must be ours,
 * root's, or the one the caller named.
 *
 * The impostor is real: a throwaway system account (other_user.h; needs
 * root, which CI has — the tests that need it skip otherwise) runs a fake
 * server in a forked child. It counts the connections it accepts and every
 * byte that reaches it, answers each frame with "OK PONG", and reports the
 * tally when the test closes its control pipe, so "nothing was sent" is
 * the impostor's own account of it. Root passes every permission check,
 * so the unsafe directories are built with chown and chmod.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <workq/client.h>
#include <workq/server.h>
#include <workq/transport.h>

#include "other_user.h"
#include "raw_unix.h"
#include "scratch.h"

static wqt_user other; /* created by the group setup when we are root */
static wqt_scratch s;  /* each test's directory; the teardown removes it */

/* a/b into out, which must be large enough. */
static void join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    assert_true(n > 0 && (size_t)n < size);
}

/* ---- the impostor: a fake server run by the other account -------------- */

typedef struct impostor {
    pid_t pid;   /* 0 when none runs */
    int control; /* our end; closing it tells the impostor to report and exit */
    int report;  /* "R" once it listens, then "<connections> <bytes>" */
} impostor;

static impostor running; /* at most one at a time; the teardown kills it */

/* Read exactly n bytes; 0 at a clean end of stream. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? -1 : (ssize_t)got;
        }
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Serve one connection until the client leaves: count what arrives and
 * answer every whole frame with "OK PONG". */
static void impostor_serve(int fd, unsigned long *bytes)
{
    static const unsigned char pong[] = {0, 0, 0, 7, 'O', 'K', ' ', 'P', 'O', 'N', 'G'};
    struct timeval tv = {30, 0}; /* a safety net, never reached when all is well */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (;;) {
        unsigned char head[4];
        ssize_t n = read_full(fd, head, 4);
        if (n > 0) {
            *bytes += (unsigned long)n;
        }
        if (n != 4) {
            return;
        }
        uint32_t len =
            (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
        for (uint32_t left = len; left > 0;) {
            char chunk[256];
            size_t want = left < sizeof chunk ? left : sizeof chunk;
            n = read_full(fd, chunk, want);
            if (n > 0) {
                *bytes += (unsigned long)n;
            }
            if (n != (ssize_t)want) {
                return;
            }
            left -= (uint32_t)want;
        }
        if (write(fd, pong, sizeof pong) != (ssize_t)sizeof pong) {
            return;
        }
    }
}

/* The child: become the other account, listen at path, serve until the
 * control pipe closes, then report. Only plain system calls here. */
static void impostor_main(const char *path, int control, int report)
{
    if (wqt_user_become(&other) != 0) {
        _exit(10);
    }
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 8) != 0) {
        _exit(11);
    }
    if (write(report, "R", 1) != 1) {
        _exit(12);
    }
    unsigned connections = 0;
    unsigned long bytes = 0;
    for (;;) {
        struct pollfd p[2] = {{lfd, POLLIN, 0}, {control, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            _exit(13);
        }
        int c = accept(lfd, NULL, NULL);
        if (c >= 0) {
            int fl = fcntl(c, F_GETFL);
            (void)fcntl(c, F_SETFL, fl & ~O_NONBLOCK);
            connections++;
            impostor_serve(c, &bytes);
            close(c);
            continue;
        }
        /* Nothing (more) to accept: a client that connected before the
         * control pipe closed has been counted, so the tally is final. */
        if (p[1].revents != 0) {
            break;
        }
    }
    char text[64];
    int n = snprintf(text, sizeof text, "%u %lu", connections, bytes);
    (void)unlink(path);
    _exit(write(report, text, (size_t)n) == n ? 0 : 14);
}

/* Start the impostor at path, which must lie in a directory the other
 * account may write to, and wait until it listens. */
static void impostor_start(const char *path)
{
    assert_int_equal(running.pid, 0);
    int control[2];
    int report[2];
    assert_int_equal(pipe(control), 0);
    assert_int_equal(pipe(report), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(control[1]);
        close(report[0]);
        impostor_main(path, control[0], report[1]);
        _exit(15); /* not reached: impostor_main exits */
    }
    close(control[0]);
    close(report[1]);
    running.pid = pid;
    running.control = control[1];
    running.report = report[0];
    char ready = 0;
    if (read_full(running.report, &ready, 1) != 1 || ready != 'R') {
        fail_msg("the impostor did not start listening at %s", path);
    }
}

/* End the impostor and learn how many connections it accepted and how many
 * bytes reached it. */
static void impostor_finish(unsigned *connections, unsigned long *bytes)
{
    close(running.control);
    char text[64] = {0};
    ssize_t n = read_full(running.report, text, sizeof text - 1);
    close(running.report);
    int st = 0;
    while (waitpid(running.pid, &st, 0) < 0 && errno == EINTR) {
    }
    running.pid = 0;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(n > 0);
    assert_int_equal(sscanf(text, "%u %lu", connections, bytes), 2);
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    if (wqt_user_create(&other) != 0) {
        print_message("not root: the tests with a second account will skip\n");
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    wqt_user_remove(&other);
    return 0;
}

/* After every test: no impostor left running, the environment as found. */
static int teardown(void **state)
{
    (void)state;
    if (running.pid > 0) {
        kill(running.pid, SIGKILL);
        while (waitpid(running.pid, NULL, 0) < 0 && errno == EINTR) {
        }
        close(running.control);
        close(running.report);
        running.pid = 0;
    }
    unsetenv("WORKQ_SERVER_ACCOUNT");
    unsetenv("XDG_RUNTIME_DIR");
    wqt_scratch_cleanup(&s); /* also after a failed assertion */
    return 0;
}

/* A scratch directory the other account owns, and the socket path in it. */
static void other_users_dir(wqt_scratch *dir)
{
    wqt_scratch_init(dir, NULL, "imp");
    assert_int_equal(chown(dir->dir, (uid_t)other.uid, (gid_t)other.gid), 0);
}

static void expect_message_has(const wq_client *c, const char *needle)
{
    const char *m = wq_client_message(c);
    if (strstr(m, needle) == NULL) {
        fail_msg("message '%s' lacks '%s'", m, needle);
    }
}

/* ---- the server's account ------------------------------------------------ */

static void a_server_run_by_another_user_is_refused_and_hears_nothing(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    other_users_dir(&s);
    impostor_start(s.endpoint);

    wq_client *c = NULL;
    assert_int_equal(wq_client_open(s.endpoint, NULL, &c), WQ_EUNTRUSTED);
    assert_null(c);

    /* The same through the two steps, which keep the reason: both
     * accounts, by name and number, and the endpoint. */
    assert_int_equal(wq_client_new(NULL, &c), WQ_OK);
    assert_int_equal(wq_client_connect(c, s.endpoint), WQ_EUNTRUSTED);
    char found[64];
    snprintf(found, sizeof found, "runs as %s (uid %lu)", other.name, (unsigned long)other.uid);
    expect_message_has(c, found);
    expect_message_has(c, "expected root (uid 0)");
    expect_message_has(c, s.endpoint);
    /* Still unconnected: a request is refused locally, never sent. */
    assert_int_equal(wq_client_ping(c), WQ_ECLOSED);
    expect_message_has(c, "not connected");
    wq_client_close(c);

    unsigned connections;
    unsigned long bytes;
    impostor_finish(&connections, &bytes);
    assert_int_equal(connections, 2); /* it was reached twice... */
    assert_int_equal(bytes, 0);       /* ...and told nothing */
    wqt_scratch_cleanup(&s);
}

static void naming_the_account_lets_the_client_talk_to_it(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    other_users_dir(&s);
    impostor_start(s.endpoint);

    char uid_text[16];
    snprintf(uid_text, sizeof uid_text, "%lu", (unsigned long)other.uid);
    const char *accounts[] = {other.name, uid_text};
    for (size_t i = 0; i < 2; i++) {
        wq_client_opts opts;
        wq_client_opts_init(&opts);
        opts.server_account = accounts[i];
        wq_client *c = NULL;
        assert_int_equal(wq_client_open(s.endpoint, &opts, &c), WQ_OK);
        assert_int_equal(wq_client_ping(c), WQ_OK);
        wq_client_close(c);
    }
    /* From the environment, as WORKQ_ENDPOINT is. */
    assert_int_equal(setenv("WORKQ_SERVER_ACCOUNT", other.name, 1), 0);
    wq_client *c = NULL;
    assert_int_equal(wq_client_open(s.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    wq_client_close(c);
    /* ...unless the caller names another account: that one counts. */
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.server_account = "root";
    assert_int_equal(wq_client_open(s.endpoint, &opts, &c), WQ_EUNTRUSTED);

    unsigned connections;
    unsigned long bytes;
    impostor_finish(&connections, &bytes);
    assert_int_equal(connections, 4);
    assert_int_equal(bytes, 3 * 8); /* three PINGs of 4 + 4 bytes */
    wqt_scratch_cleanup(&s);
}

static void an_unknown_account_is_einval_and_nothing_is_sent(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    other_users_dir(&s);
    impostor_start(s.endpoint);
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.server_account = "no-such-user-of-workq";
    wq_client *c = NULL;
    assert_int_equal(wq_client_new(&opts, &c), WQ_OK);
    assert_int_equal(wq_client_connect(c, s.endpoint), WQ_EINVAL);
    expect_message_has(c, "unknown server account 'no-such-user-of-workq'");
    wq_client_close(c);
    unsigned connections;
    unsigned long bytes;
    impostor_finish(&connections, &bytes);
    assert_int_equal(connections, 1);
    assert_int_equal(bytes, 0);
    wqt_scratch_cleanup(&s);
}

/* The bare transport is documented not to check: it connects, and the
 * peer it reports is the one the client check refuses. */
static void the_raw_transport_connects_and_reports_the_peer(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    other_users_dir(&s);
    impostor_start(s.endpoint);
    wq_conn *conn = NULL;
    assert_int_equal(wq_conn_connect(NULL, s.endpoint, 5000, &conn), WQ_OK);
    wq_peer peer;
    assert_int_equal(wq_conn_peer(conn, &peer), WQ_OK);
    assert_true(peer.has_ugid);
    assert_int_equal(peer.uid, other.uid);
    assert_int_equal(peer.gid, other.gid);
    wq_conn_close(conn);
    unsigned connections;
    unsigned long bytes;
    impostor_finish(&connections, &bytes);
    assert_int_equal(connections, 1);
    wqt_scratch_cleanup(&s);
}

/* ---- the runtime directory ---------------------------------------------- */

/* $XDG_RUNTIME_DIR set to a scratch directory: the runtime directory is
 * then <scratch>/workq, and "Svc" resolves to <scratch>/workq/Svc.sock —
 * the same code path as /tmp/workq-<uid>, without touching the real one. */
static void use_runtime_dir(wqt_scratch *dir, char *rt, size_t size)
{
    wqt_scratch_init(dir, NULL, "rt");
    assert_int_equal(setenv("XDG_RUNTIME_DIR", dir->dir, 1), 0);
    join(rt, size, dir->dir, "workq");
}

/* A socket of our own in the runtime directory, to show that the client
 * does not even connect when the directory is not safe. */
static int plant_socket(const char *rt)
{
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, rt, "Svc.sock");
    int fd = wqt_unix_bound(path, 8);
    int fl = fcntl(fd, F_GETFL);
    assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
    return fd;
}

static void assert_never_connected(int fd)
{
    assert_int_equal(accept(fd, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static wq_err open_plain(const char *account, char *message, size_t size)
{
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    opts.server_account = account;
    wq_client *c = NULL;
    assert_int_equal(wq_client_new(&opts, &c), WQ_OK);
    wq_err err = wq_client_connect(c, "Svc");
    snprintf(message, size, "%s", wq_client_message(c));
    wq_client_close(c);
    return err;
}

static void a_runtime_dir_open_to_others_is_refused_before_connecting(void **state)
{
    (void)state;
    char rt[WQ_ENDPOINT_MAX];
    char msg[1024];
    use_runtime_dir(&s, rt, sizeof rt);
    assert_int_equal(mkdir(rt, 0700), 0);
    int fd = plant_socket(rt);
    static const mode_t bad[] = {0777, 0770, 0702, 01777};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(chmod(rt, bad[i]), 0);
        assert_int_equal(open_plain(NULL, msg, sizeof msg), WQ_EUNSAFE);
        char mode[64];
        snprintf(mode, sizeof mode, "is writable by others (mode %04o)", (unsigned)bad[i]);
        if (strstr(msg, mode) == NULL || strstr(msg, rt) == NULL) {
            fail_msg("message '%s' lacks '%s' or the directory", msg, mode);
        }
        assert_never_connected(fd);
    }
    /* Private again (0700, or 0750 for a group that may connect): fine. */
    static const mode_t good[] = {0700, 0750, 0755};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(chmod(rt, good[i]), 0);
        wq_client *c = NULL;
        assert_int_equal(wq_client_open("Svc", NULL, &c), WQ_OK);
        wq_client_close(c);
        int got = accept(fd, NULL, NULL);
        assert_true(got >= 0);
        close(got);
    }
    close(fd);
    wqt_scratch_cleanup(&s);
}

static void a_runtime_dir_that_is_a_symlink_is_refused(void **state)
{
    (void)state;
    char rt[WQ_ENDPOINT_MAX];
    char real[WQ_ENDPOINT_MAX];
    char msg[1024];
    use_runtime_dir(&s, rt, sizeof rt);
    join(real, sizeof real, s.dir, "elsewhere");
    assert_int_equal(mkdir(real, 0700), 0);
    assert_int_equal(symlink(real, rt), 0);
    int fd = plant_socket(real);
    assert_int_equal(open_plain(NULL, msg, sizeof msg), WQ_EUNSAFE);
    assert_non_null(strstr(msg, "is a symbolic link"));
    assert_never_connected(fd);
    close(fd);
    /* Not a directory at all. */
    assert_int_equal(unlink(rt), 0);
    int file = open(rt, O_CREAT | O_WRONLY, 0600);
    assert_true(file >= 0);
    close(file);
    assert_int_equal(open_plain(NULL, msg, sizeof msg), WQ_EUNSAFE);
    assert_non_null(strstr(msg, "is not a directory"));
    /* Missing: nothing to connect to, as before. */
    assert_int_equal(unlink(rt), 0);
    assert_int_equal(open_plain(NULL, msg, sizeof msg), WQ_ENOENT);
    wqt_scratch_cleanup(&s);
}

/* The finding itself: another user made our runtime directory first and
 * listens in it. The client refuses before connecting — even when told to
 * trust that account, since the runtime directory is ours by definition. */
static void a_runtime_dir_made_by_another_user_is_refused_before_connecting(void **state)
{
    (void)state;
    WQT_NEED_USER(other);
    char rt[WQ_ENDPOINT_MAX];
    char msg[1024];
    use_runtime_dir(&s, rt, sizeof rt);
    assert_int_equal(chmod(s.dir, 0711), 0); /* the other account passes through */
    assert_int_equal(mkdir(rt, 0700), 0);
    assert_int_equal(chown(rt, (uid_t)other.uid, (gid_t)other.gid), 0);
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, rt, "Svc.sock");
    impostor_start(path);

    assert_int_equal(open_plain(NULL, msg, sizeof msg), WQ_EUNSAFE);
    char owner[96];
    snprintf(owner, sizeof owner, "belongs to %s (uid %lu), not to root (uid 0)", other.name,
             (unsigned long)other.uid);
    if (strstr(msg, owner) == NULL || strstr(msg, rt) == NULL) {
        fail_msg("message '%s' lacks '%s' or the directory", msg, owner);
    }
    assert_int_equal(open_plain(other.name, msg, sizeof msg), WQ_EUNSAFE);

    unsigned connections;
    unsigned long bytes;
    impostor_finish(&connections, &bytes);
    assert_int_equal(connections, 0);
    assert_int_equal(bytes, 0);
    wqt_scratch_cleanup(&s);
}

/* What a plain name is for: our own server in our own runtime directory. */
static void our_own_server_in_our_runtime_dir_is_trusted(void **state)
{
    (void)state;
    char rt[WQ_ENDPOINT_MAX];
    use_runtime_dir(&s, rt, sizeof rt);
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.endpoint = "Svc";
    wq_server *server = NULL;
    assert_int_equal(wq_server_start(&cfg, &server), WQ_OK);
    wq_client *c = NULL;
    assert_int_equal(wq_client_open("Svc", NULL, &c), WQ_OK);
    assert_int_equal(wq_client_ping(c), WQ_OK);
    wq_client_close(c);
    wq_server_stop(server);
    wqt_scratch_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(a_server_run_by_another_user_is_refused_and_hears_nothing,
                                  teardown),
        cmocka_unit_test_teardown(naming_the_account_lets_the_client_talk_to_it, teardown),
        cmocka_unit_test_teardown(an_unknown_account_is_einval_and_nothing_is_sent, teardown),
        cmocka_unit_test_teardown(the_raw_transport_connects_and_reports_the_peer, teardown),
        cmocka_unit_test_teardown(a_runtime_dir_open_to_others_is_refused_before_connecting,
                                  teardown),
        cmocka_unit_test_teardown(a_runtime_dir_that_is_a_symlink_is_refused, teardown),
        cmocka_unit_test_teardown(a_runtime_dir_made_by_another_user_is_refused_before_connecting,
                                  teardown),
        cmocka_unit_test_teardown(our_own_server_in_our_runtime_dir_is_trusted, teardown),
    };
    return cmocka_run_group_tests_name("client.trust", tests, group_setup, group_teardown);
}
