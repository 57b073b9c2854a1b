/* test_systemd.c — workqd under a (fake) systemd, as a process: readiness
 * and stop notifications on $NOTIFY_SOCKET (path and abstract forms),
 * socket activation with an inherited listening socket (LISTEN_FDS), and
 * --socket-group/--socket-mode. Runs in the directory holding workqd (see
 * tests/posix/tests.cmake).
 *
 * Synchronisation is by the notify datagrams themselves: the test waits
 * for READY=1 (a blocking receive with a generous timeout only as a safety
 * net) instead of polling or sleeping.
 */
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <workq/workq.h>

#include "proc.h"
#include "raw_unix.h"
#include "scratch.h"

/* Only a safety net against a workqd that never reports. */
#define NOTIFY_TIMEOUT_S 60

/* ---- the fake service manager ---------------------------------------- */

/* Bind a datagram socket at name: a path, or "@name" (abstract). */
static int notify_open(const char *name)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    assert_true(n < sizeof sa.sun_path);
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    if (name[0] == '@') {
        sa.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    }
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
    struct timeval tv = {NOTIFY_TIMEOUT_S, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    return fd;
}

/* Receive the next datagram and check that its first line is want. */
static void expect_state(int fd, const char *want, char *buf, size_t size)
{
    ssize_t n = recv(fd, buf, size - 1, 0);
    if (n < 0) {
        fail_msg("no notification (wanted %s) within %d s", want, NOTIFY_TIMEOUT_S);
    }
    buf[n] = '\0';
    size_t w = strlen(want);
    if (strncmp(buf, want, w) != 0 || (buf[w] != '\n' && buf[w] != '\0')) {
        fail_msg("notification '%s', wanted %s first", buf, want);
    }
}

/* Set (value non-NULL) or unset a variable for the children started next;
 * returns the old value (strdup'ed, or NULL) for env_restore. */
static char *env_set(const char *name, const char *value)
{
    const char *old = getenv(name);
    char *saved = old != NULL ? strdup(old) : NULL;
    if (value != NULL) {
        assert_int_equal(setenv(name, value, 1), 0);
    } else {
        unsetenv(name);
    }
    return saved;
}

static void env_restore(const char *name, char *saved)
{
    if (saved != NULL) {
        setenv(name, saved, 1);
        free(saved);
    } else {
        unsetenv(name);
    }
}

static void create_a_queue(const char *endpoint)
{
    wq_client *c;
    assert_int_equal(wq_client_open(endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_create(c, "MyWorkQueue"), WQ_OK);
    wq_client_close(c);
}

/* ---- notify ------------------------------------------------------------ */

static void notify_round_trip(const char *notify_name, const char *tag)
{
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, tag);
    int nfd = notify_open(notify_name);

    char *saved = env_set("NOTIFY_SOCKET", notify_name);
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    env_restore("NOTIFY_SOCKET", saved);

    char state[1024];
    expect_state(nfd, "READY=1", state, sizeof state);
    assert_non_null(strstr(state, "\nSTATUS=serving on "));
    assert_non_null(strstr(state, ep.endpoint));
    /* Ready means ready: the first request is answered. */
    create_a_queue(ep.endpoint);

    wqt_proc_stop(p);
    expect_state(nfd, "STOPPING=1", state, sizeof state);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    assert_null(strstr(o.err, "cannot notify"));
    wqt_output_free(&o);
    close(nfd);
    wqt_scratch_cleanup(&ep);
}

static void notify_ready_and_stopping_on_a_socket_path(void **state)
{
    (void)state;
    wqt_scratch nd;
    wqt_scratch_init(&nd, NULL, "ntf");
    char path[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&nd, "notify", path, sizeof path);
    notify_round_trip(path, "np");
    wqt_scratch_cleanup(&nd);
}

static void notify_ready_and_stopping_on_an_abstract_socket(void **state)
{
    (void)state;
    char name[96];
    snprintf(name, sizeof name, "@workq-test-notify-%lu", (unsigned long)getpid());
    notify_round_trip(name, "na");
}

/* An unusable $NOTIFY_SOCKET costs a warning, never the service. */
static void a_bad_notify_socket_is_only_a_warning(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "nb");
    char dead[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "nobody-listens", dead, sizeof dead);
    char *saved = env_set("NOTIFY_SOCKET", dead);
    const char *args[] = {"--endpoint", ep.endpoint, NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    env_restore("NOTIFY_SOCKET", saved);
    /* No readiness signal to wait for here: poll the endpoint. */
    wqt_wait_until_serving(ep.endpoint, p);
    wqt_proc_stop(p);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    assert_non_null(strstr(o.err, "warn: cannot notify the service manager"));
    wqt_output_free(&o);
    wqt_scratch_cleanup(&ep);
}

/* ---- socket activation ------------------------------------------------- */

/* What systemd does: fork, put the socket on descriptor 3, set LISTEN_FDS
 * and LISTEN_PID (the child's own pid unless listen_pid says otherwise),
 * exec workqd. stderr goes to log_path. */
static pid_t activate(int fd, const char *listen_fds, pid_t listen_pid, const char *notify,
                      const char *log_path, const char *const *args)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        return pid;
    }
    /* The child: only async-signal-safe work would be strictly right after
     * fork in a threaded program; this test program has no other thread. */
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log < 0 || dup2(log, 2) < 0 || (fd != 3 && dup2(fd, 3) < 0)) {
        _exit(126);
    }
    if (fd == 3) {
        fcntl(3, F_SETFD, 0);
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", (long)(listen_pid != 0 ? listen_pid : getpid()));
    setenv("LISTEN_PID", buf, 1);
    setenv("LISTEN_FDS", listen_fds, 1);
    setenv("NOTIFY_SOCKET", notify, 1);
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)"workqd";
    for (; args[n - 1] != NULL && n < 15; n++) {
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    execv("./workqd", argv);
    _exit(127);
}

static int wait_exit(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int file_contains(const char *path, const char *text)
{
    char buf[16384];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

static void an_inherited_socket_is_served_and_left_in_place(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "act");
    char notify[WQ_ENDPOINT_MAX * 2], log[WQ_ENDPOINT_MAX * 2], unused[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "notify", notify, sizeof notify);
    wqt_scratch_path(&ep, "workqd.log", log, sizeof log);
    wqt_scratch_path(&ep, "unused.sock", unused, sizeof unused);
    int nfd = notify_open(notify);
    int lfd = wqt_unix_bound(ep.endpoint, 16);

    /* --endpoint is overridden by the passed socket. */
    const char *args[] = {"--endpoint", unused, NULL};
    pid_t pid = activate(lfd, "1", 0, notify, log, args);
    char st[1024];
    expect_state(nfd, "READY=1", st, sizeof st);
    assert_non_null(strstr(st, ep.endpoint));
    create_a_queue(ep.endpoint);
    struct stat sb;
    assert_int_equal(lstat(unused, &sb), -1);

    assert_int_equal(kill(pid, SIGTERM), 0);
    expect_state(nfd, "STOPPING=1", st, sizeof st);
    assert_int_equal(wait_exit(pid), 0);
    assert_true(file_contains(log, "passed by the service manager"));

    /* What workqd did not create it did not remove, nor shut down: the
     * socket still takes connections (into the backlog, for the next
     * instance, as systemd's socket unit expects). */
    assert_int_equal(lstat(ep.endpoint, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    wq_conn *c;
    assert_int_equal(wq_conn_connect(NULL, ep.endpoint, 5000, &c), WQ_OK);

    /* The next instance serves it, that waiting connection included. */
    pid = activate(lfd, "1", 0, notify, log, args);
    expect_state(nfd, "READY=1", st, sizeof st);
    assert_int_equal(wq_conn_send(c, "PING", 4, 5000), WQ_OK);
    void *reply;
    size_t len;
    assert_int_equal(wq_conn_recv(c, 4096, 10000, &reply, &len), WQ_OK);
    assert_true(len >= 2 && memcmp(reply, "OK", 2) == 0);
    wq_free(reply);
    wq_conn_close(c);
    assert_int_equal(kill(pid, SIGTERM), 0);
    expect_state(nfd, "STOPPING=1", st, sizeof st);
    assert_int_equal(wait_exit(pid), 0);

    close(lfd);
    close(nfd);
    wqt_scratch_cleanup(&ep);
}

static void listen_pid_of_another_process_is_ignored(void **state)
{
    (void)state;
    wqt_scratch ep, own;
    wqt_scratch_init(&ep, NULL, "oth");
    wqt_scratch_init(&own, NULL, "own");
    char notify[WQ_ENDPOINT_MAX * 2], log[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "notify", notify, sizeof notify);
    wqt_scratch_path(&ep, "workqd.log", log, sizeof log);
    int nfd = notify_open(notify);
    int lfd = wqt_unix_bound(ep.endpoint, 16);

    const char *args[] = {"--endpoint", own.endpoint, NULL};
    pid_t pid = activate(lfd, "1", getpid(), notify, log, args); /* not the child's pid */
    char st[1024];
    expect_state(nfd, "READY=1", st, sizeof st);
    assert_non_null(strstr(st, own.endpoint));
    create_a_queue(own.endpoint);
    assert_int_equal(kill(pid, SIGTERM), 0);
    expect_state(nfd, "STOPPING=1", st, sizeof st);
    assert_int_equal(wait_exit(pid), 0);
    assert_false(file_contains(log, "passed by the service manager"));

    close(lfd);
    close(nfd);
    wqt_scratch_cleanup(&own);
    wqt_scratch_cleanup(&ep);
}

/* Several sockets, or a descriptor 3 that is no listening stream socket:
 * exit 1 with a clear message, not a guess. */
static void unusable_passed_sockets_are_refused(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "bad");
    char notify[WQ_ENDPOINT_MAX * 2], log[WQ_ENDPOINT_MAX * 2], file[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "notify", notify, sizeof notify);
    wqt_scratch_path(&ep, "workqd.log", log, sizeof log);
    wqt_scratch_path(&ep, "plain-file", file, sizeof file);
    int lfd = wqt_unix_bound(ep.endpoint, 16);
    const char *args[] = {NULL};

    pid_t pid = activate(lfd, "2", 0, notify, log, args);
    assert_int_equal(wait_exit(pid), 1);
    assert_true(file_contains(log, "LISTEN_FDS"));

    int ffd = open(file, O_RDWR | O_CREAT, 0600);
    assert_true(ffd >= 0);
    pid = activate(ffd, "1", 0, notify, log, args);
    assert_int_equal(wait_exit(pid), 1);
    assert_true(file_contains(log, "LISTEN_FDS"));
    close(ffd);

    int dfd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(dfd >= 0);
    pid = activate(dfd, "1", 0, notify, log, args);
    assert_int_equal(wait_exit(pid), 1);
    close(dfd);

    close(lfd);
    wqt_scratch_cleanup(&ep);
}

/* ---- --socket-group, --socket-mode ------------------------------------ */

/* A group other than our own when we may use one (root: "daemon" if it
 * exists), else our own group: the chgrp is then visible or a no-op. */
static gid_t some_group(char *name, size_t size)
{
    struct group *g = geteuid() == 0 ? getgrnam("daemon") : NULL;
    gid_t gid = g != NULL ? g->gr_gid : getegid();
    if (g != NULL) {
        snprintf(name, size, "%s", g->gr_name);
    } else {
        snprintf(name, size, "%lu", (unsigned long)gid);
    }
    return gid;
}

static void socket_group_and_mode_open_the_socket_to_a_group(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "grp");
    char notify[WQ_ENDPOINT_MAX * 2], rt[WQ_ENDPOINT_MAX * 2], dir[WQ_ENDPOINT_MAX * 3];
    char sock[WQ_ENDPOINT_MAX * 4];
    wqt_scratch_path(&ep, "notify", notify, sizeof notify);
    wqt_scratch_path(&ep, "rt", rt, sizeof rt);
    assert_int_equal(mkdir(rt, 0700), 0);
    snprintf(dir, sizeof dir, "%s/workq", rt);
    snprintf(sock, sizeof sock, "%s/shared.sock", dir);
    int nfd = notify_open(notify);
    char gname[64];
    gid_t gid = some_group(gname, sizeof gname);

    /* A plain endpoint name: the socket lives in the private runtime
     * directory, which must let the group through. */
    char *saved_rt = env_set("XDG_RUNTIME_DIR", rt);
    char *saved_ns = env_set("NOTIFY_SOCKET", notify);
    const char *args[] = {"--endpoint", "shared", "--socket-mode", "0660", "--socket-group",
                          gname,        NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    env_restore("NOTIFY_SOCKET", saved_ns);
    env_restore("XDG_RUNTIME_DIR", saved_rt);

    char st[1024];
    expect_state(nfd, "READY=1", st, sizeof st);
    struct stat sb;
    assert_int_equal(lstat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 07777, 0750);
    assert_int_equal(sb.st_gid, gid);
    assert_int_equal(lstat(sock, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0660);
    assert_int_equal(sb.st_gid, gid);
    create_a_queue(sock);

    wqt_proc_stop(p);
    expect_state(nfd, "STOPPING=1", st, sizeof st);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    wqt_output_free(&o);
    close(nfd);
    rmdir(dir);
    rmdir(rt);
    wqt_scratch_cleanup(&ep);
}

/* Without a group the private directory stays 0700 and the mode applies
 * to a socket at a path given outright. */
static void socket_mode_alone_sets_the_socket_mode(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "mod");
    char notify[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "notify", notify, sizeof notify);
    int nfd = notify_open(notify);
    char *saved = env_set("NOTIFY_SOCKET", notify);
    const char *args[] = {"--endpoint", ep.endpoint, "--socket-mode", "640", NULL};
    wqt_proc *p = wqt_proc_start("workqd", args);
    env_restore("NOTIFY_SOCKET", saved);
    char st[1024];
    expect_state(nfd, "READY=1", st, sizeof st);
    struct stat sb;
    assert_int_equal(lstat(ep.endpoint, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(sb.st_gid, getegid());
    wqt_proc_stop(p);
    expect_state(nfd, "STOPPING=1", st, sizeof st);
    wqt_output o;
    wqt_proc_wait(p, &o);
    wqt_assert_exit_status(&o, 0);
    wqt_output_free(&o);
    close(nfd);
    wqt_scratch_cleanup(&ep);
}

static void bad_socket_options_exit_2(void **state)
{
    (void)state;
    const char *cases[][3] = {
        {"--socket-mode", "0800", NULL}, {"--socket-mode", "1777", NULL},
        {"--socket-mode", "0060", NULL}, {"--socket-mode", "rw", NULL},
        {"--socket-mode", "", NULL},     {"--socket-mode", "066000", NULL},
        {"--socket-group", "", NULL},    {"--socket-group", "no-such-group-workq", NULL},
        {"--socket-group", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wqt_output o;
        wqt_run("workqd", cases[i], NULL, 0, &o);
        if (o.status != 2) {
            fail_msg("%s '%s': status %d", cases[i][0], cases[i][1] ? cases[i][1] : "", o.status);
        }
        assert_non_null(strstr(o.err, "--socket-"));
        wqt_output_free(&o);
    }
    const char *help[] = {"--help", NULL};
    wqt_output o;
    wqt_run("workqd", help, NULL, 0, &o);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "--socket-mode"));
    assert_non_null(strstr(o.out, "--socket-group"));
    assert_non_null(strstr(o.out, "NOTIFY_SOCKET"));
    wqt_output_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notify_ready_and_stopping_on_a_socket_path),
        cmocka_unit_test(notify_ready_and_stopping_on_an_abstract_socket),
        cmocka_unit_test(a_bad_notify_socket_is_only_a_warning),
        cmocka_unit_test(an_inherited_socket_is_served_and_left_in_place),
        cmocka_unit_test(listen_pid_of_another_process_is_ignored),
        cmocka_unit_test(unusable_passed_sockets_are_refused),
        cmocka_unit_test(socket_group_and_mode_open_the_socket_to_a_group),
        cmocka_unit_test(socket_mode_alone_sets_the_socket_mode),
        cmocka_unit_test(bad_socket_options_exit_2),
    };
    return cmocka_run_group_tests_name("programs.systemd", tests, NULL, wqt_proc_teardown);
}
