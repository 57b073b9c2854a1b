/* test_uds_paths.c — the uds backend's filesystem side (checklist T-US-a,
 * T-US-c, T-US-d): the private runtime directory, directory safety, stale
 * sockets, the endpoint lock, path lengths and name resolution.
 *
 * Every test works inside its own scratch directory; tests that change the
 * environment or the umask put them back before they end.
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
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <workq/transport.h>

#include "raw_unix.h"
#include "scratch.h"

#define LONG_MS 20000

static const wq_transport *T; /* native: uds */

/* ---- helpers ---------------------------------------------------------- */

static void join(char *out, size_t size, const char *a, const char *b)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    assert_true(n > 0 && (size_t)n < size);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void lock_path_of(const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "%s.lock", path);
    assert_true(n > 0 && (size_t)n < size);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode;
}

static void make_dir(const char *path, mode_t mode)
{
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(chmod(path, mode), 0); /* exact, whatever the umask */
}

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void expect_file(const char *path, const char *content)
{
    char buf[256];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(n, strlen(content));
    assert_memory_equal(buf, content, n);
}

/* Connect, accept and pass one message each way: the listener serves. */
static void expect_serves(wq_listener *l, const char *endpoint)
{
    wq_conn *client = NULL, *server = NULL;
    assert_int_equal(wq_conn_connect(T, endpoint, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    assert_int_equal(wq_conn_send(client, "ping", 4, LONG_MS), WQ_OK);
    void *msg;
    size_t len;
    assert_int_equal(wq_conn_recv(server, 64, LONG_MS, &msg, &len), WQ_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(msg, "ping", 4);
    wq_free(msg);
    assert_int_equal(wq_conn_send(server, "pong", 4, LONG_MS), WQ_OK);
    assert_int_equal(wq_conn_recv(client, 64, LONG_MS, &msg, &len), WQ_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(msg, "pong", 4);
    wq_free(msg);
    wq_conn_close(client);
    wq_conn_close(server);
}

/* Environment variables a test changes, saved and restored. */
struct saved_env {
    char xdg[1024];
    int had_xdg;
    char ep[1024];
    int had_ep;
};

static void save_one(const char *name, char *buf, size_t size, int *had)
{
    const char *v = getenv(name);
    *had = v != NULL;
    if (v != NULL) {
        int n = snprintf(buf, size, "%s", v);
        assert_true(n >= 0 && (size_t)n < size);
    }
}

static void restore_one(const char *name, const char *buf, int had)
{
    if (had) {
        assert_int_equal(setenv(name, buf, 1), 0);
    } else {
        assert_int_equal(unsetenv(name), 0);
    }
}

static void env_save(struct saved_env *e)
{
    save_one("XDG_RUNTIME_DIR", e->xdg, sizeof e->xdg, &e->had_xdg);
    save_one("WORKQ_ENDPOINT", e->ep, sizeof e->ep, &e->had_ep);
}

static void env_restore(const struct saved_env *e)
{
    restore_one("XDG_RUNTIME_DIR", e->xdg, e->had_xdg);
    restore_one("WORKQ_ENDPOINT", e->ep, e->had_ep);
}

/* A scratch dir with an "xdg" directory inside, set as XDG_RUNTIME_DIR. */
struct xdg_fixture {
    wqt_scratch s;
    struct saved_env env;
    char xdg[WQ_ENDPOINT_MAX];
    char rt[WQ_ENDPOINT_MAX]; /* xdg/workq, the runtime dir */
};

static int xdg_setup(void **state)
{
    struct xdg_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    wqt_scratch_init(&f->s, T, "p");
    env_save(&f->env);
    join(f->xdg, sizeof f->xdg, f->s.dir, "xdg");
    make_dir(f->xdg, 0700);
    join(f->rt, sizeof f->rt, f->xdg, "workq");
    assert_int_equal(setenv("XDG_RUNTIME_DIR", f->xdg, 1), 0);
    assert_int_equal(unsetenv("WORKQ_ENDPOINT"), 0);
    *state = f;
    return 0;
}

static int xdg_teardown(void **state)
{
    struct xdg_fixture *f = *state;
    env_restore(&f->env);
    wqt_scratch_cleanup(&f->s);
    free(f);
    return 0;
}

/* ---- the private runtime directory (T-US-a) --------------------------- */

static void runtime_dir_is_created_0700_with_a_0600_socket(void **state)
{
    struct xdg_fixture *f = *state;
    char expect[WQ_ENDPOINT_MAX], got[WQ_ENDPOINT_MAX];
    join(expect, sizeof expect, f->rt, "svc.sock");
    assert_int_equal(wq_endpoint_resolve(T, "svc", got, sizeof got), WQ_OK);
    assert_string_equal(got, expect);
    assert_false(exists(f->rt));

    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, "svc", NULL, &l), WQ_OK);
    struct stat st;
    assert_int_equal(lstat(f->rt, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, geteuid());
    assert_int_equal(lstat(expect, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    char lock[WQ_ENDPOINT_MAX + 8];
    lock_path_of(expect, lock, sizeof lock);
    assert_true(S_ISREG(mode_of(lock)));
    expect_serves(l, "svc");

    /* Closing removes the endpoint: socket and lock file. */
    wq_listener_close(l);
    assert_false(exists(expect));
    assert_false(exists(lock));
}

static void socket_mode_is_honoured_and_umask_does_not_widen_it(void **state)
{
    struct xdg_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->rt, "svc.sock");
    wq_listen_opts opts = {0};
    opts.socket_mode = 0660;
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, "svc", &opts, &l), WQ_OK);
    assert_int_equal(mode_of(path) & 07777, 0660);
    wq_listener_close(l);

    /* With no umask at all the default is still exactly 0600. */
    mode_t old = umask(0);
    wq_err err = wq_listener_open(T, "svc", NULL, &l);
    umask(old);
    assert_int_equal(err, WQ_OK);
    assert_int_equal(mode_of(path) & 07777, 0600);
    wq_listener_close(l);

    /* Bits beyond rwx are not a socket mode. */
    opts.socket_mode = 04600;
    assert_int_equal(wq_listener_open(T, "svc", &opts, &l), WQ_EINVAL);
    assert_null(l);
    assert_false(exists(path));
}

/* A group other than our own when we may use one (root: "daemon" if it
 * exists), else our own group: the change of group is then visible or a
 * no-op, and the mode is checked either way. */
static gid_t some_group(void)
{
    struct group *g = geteuid() == 0 ? getgrnam("daemon") : NULL;
    return g != NULL ? g->gr_gid : getegid();
}

/* --socket-group opens the private directory to a group (0750); a later
 * listener without a group closes it again (0700, our own group), as the
 * README promises, instead of inheriting what an earlier run left. */
static void group_access_to_the_runtime_dir_is_withdrawn_without_a_group(void **state)
{
    struct xdg_fixture *f = *state;
    wq_listen_opts opts = {0};
    opts.socket_mode = 0660;
    opts.has_socket_group = 1;
    opts.socket_group = (uint32_t)some_group();
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, "svc", &opts, &l), WQ_OK);
    struct stat st;
    assert_int_equal(lstat(f->rt, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_gid, (gid_t)opts.socket_group);
    wq_listener_close(l);
    /* What the group run left behind stays until the next listener. */
    assert_int_equal(mode_of(f->rt) & 07777, 0750);

    assert_int_equal(wq_listener_open(T, "svc", NULL, &l), WQ_OK);
    assert_int_equal(lstat(f->rt, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_gid, getegid());
    expect_serves(l, "svc");
    wq_listener_close(l);

    /* A directory named outright is the operator's: left as it is. */
    char own[WQ_ENDPOINT_MAX], sock[WQ_ENDPOINT_MAX + 16];
    join(own, sizeof own, f->s.dir, "own");
    make_dir(own, 0750);
    join(sock, sizeof sock, own, "svc.sock");
    assert_int_equal(wq_listener_open(T, sock, NULL, &l), WQ_OK);
    assert_int_equal(mode_of(own) & 07777, 0750);
    wq_listener_close(l);
    assert_int_equal(rmdir(own), 0);
}

static void planted_runtime_dir_that_is_not_private_is_refused(void **state)
{
    struct xdg_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8];
    join(path, sizeof path, f->rt, "svc.sock");
    lock_path_of(path, lock, sizeof lock);
    wq_listener *l = NULL;
    /* World-writable, and even sticky: the private dir must be ours alone. */
    static const mode_t bad[] = {0777, 01777, 0720};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make_dir(f->rt, bad[i]);
        assert_int_equal(wq_listener_open(T, "svc", NULL, &l), WQ_EUNSAFE);
        assert_null(l);
        assert_false(exists(path));
        assert_false(exists(lock));
        assert_int_equal(mode_of(f->rt) & 07777, bad[i]); /* not "repaired" */
        assert_int_equal(rmdir(f->rt), 0);
    }
}

static void symlinked_runtime_dir_is_refused(void **state)
{
    struct xdg_fixture *f = *state;
    char real[WQ_ENDPOINT_MAX], inside[WQ_ENDPOINT_MAX];
    join(real, sizeof real, f->s.dir, "real");
    make_dir(real, 0700);
    assert_int_equal(symlink(real, f->rt), 0);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, "svc", NULL, &l), WQ_EUNSAFE);
    assert_null(l);
    join(inside, sizeof inside, real, "svc.sock");
    assert_false(exists(inside));
    join(inside, sizeof inside, real, "svc.sock.lock");
    assert_false(exists(inside));
}

static void missing_xdg_runtime_dir_is_not_created(void **state)
{
    struct xdg_fixture *f = *state;
    char missing[WQ_ENDPOINT_MAX];
    join(missing, sizeof missing, f->s.dir, "nope");
    assert_int_equal(setenv("XDG_RUNTIME_DIR", missing, 1), 0);
    wq_listener *l = NULL;
    assert_int_not_equal(wq_listener_open(T, "svc", NULL, &l), WQ_OK);
    assert_null(l);
    assert_false(exists(missing));
}

/* ---- user-given directories (T-US-a) ---------------------------------- */

struct dir_fixture {
    wqt_scratch s;
};

static int dir_setup(void **state)
{
    struct dir_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    wqt_scratch_init(&f->s, T, "d");
    *state = f;
    return 0;
}

static int dir_teardown(void **state)
{
    struct dir_fixture *f = *state;
    wqt_scratch_cleanup(&f->s);
    free(f);
    return 0;
}

static void expect_refused_in(const char *dir)
{
    char path[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8];
    join(path, sizeof path, dir, "x.sock");
    lock_path_of(path, lock, sizeof lock);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EUNSAFE);
    assert_null(l);
    assert_false(exists(path));
    assert_false(exists(lock));
}

static void world_writable_directory_is_refused_unless_sticky(void **state)
{
    struct dir_fixture *f = *state;
    char dir[WQ_ENDPOINT_MAX], path[WQ_ENDPOINT_MAX];
    join(dir, sizeof dir, f->s.dir, "open");
    make_dir(dir, 0777);
    expect_refused_in(dir);
    assert_int_equal(chmod(dir, 0770), 0); /* group-writable: the same */
    expect_refused_in(dir);

    /* Sticky like /tmp: others cannot remove or rename our files. */
    assert_int_equal(chmod(dir, 01777), 0);
    join(path, sizeof path, dir, "x.sock");
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_OK);
    expect_serves(l, path);
    wq_listener_close(l);
    assert_false(exists(path));
}

static void symlinked_directory_is_refused(void **state)
{
    struct dir_fixture *f = *state;
    char real[WQ_ENDPOINT_MAX], link[WQ_ENDPOINT_MAX], slashes[WQ_ENDPOINT_MAX];
    join(real, sizeof real, f->s.dir, "real");
    join(link, sizeof link, f->s.dir, "link");
    make_dir(real, 0700);
    assert_int_equal(symlink(real, link), 0);
    expect_refused_in(link);
    /* A doubled slash must not make the check follow the link. */
    int n = snprintf(slashes, sizeof slashes, "%s/", link);
    assert_true(n > 0 && (size_t)n < sizeof slashes);
    expect_refused_in(slashes);
    char inside[WQ_ENDPOINT_MAX];
    join(inside, sizeof inside, real, "x.sock");
    assert_false(exists(inside));
}

static void directory_of_another_user_is_refused(void **state)
{
    struct dir_fixture *f = *state;
    if (geteuid() != 0) {
        skip(); /* only root can give a directory away (checklist US-8) */
    }
    char dir[WQ_ENDPOINT_MAX];
    join(dir, sizeof dir, f->s.dir, "theirs");
    make_dir(dir, 0755);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    expect_refused_in(dir);
}

/* ---- stale sockets and the lock (T-US-c) ------------------------------ */

/* What a SIGKILLed server leaves: a bound socket file nobody listens on. */
static void leave_dead_socket(const char *path)
{
    assert_int_equal(close(wqt_unix_bound(path, -1)), 0);
    assert_true(S_ISSOCK(mode_of(path)));
}

static void stale_socket_is_replaced(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "stale.sock");
    leave_dead_socket(path);
    /* Before: nobody answers. */
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(T, path, LONG_MS, &c), WQ_ENOENT);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_OK);
    expect_serves(l, path);
    wq_listener_close(l);
}

static void stale_lock_file_is_reused(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8];
    join(path, sizeof path, f->s.dir, "s.sock");
    lock_path_of(path, lock, sizeof lock);
    write_file(lock, ""); /* left by a dead server; nobody holds it */
    leave_dead_socket(path);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_OK);
    expect_serves(l, path);
    wq_listener_close(l);
    assert_false(exists(lock));
}

static void regular_file_at_the_path_is_left_untouched(void **state)
{
    struct dir_fixture *f = *state;
    static const char content[] = "precious data\n\x01\x02 not a socket\n";
    char path[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8];
    join(path, sizeof path, f->s.dir, "file.sock");
    lock_path_of(path, lock, sizeof lock);
    write_file(path, content);
    assert_int_equal(chmod(path, 0640), 0);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EUNSAFE);
    assert_null(l);
    expect_file(path, content);
    assert_int_equal(mode_of(path) & 07777, 0640);
    assert_false(exists(lock)); /* our own lock file is not left behind */
    /* A client does not mistake it for a server. */
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(T, path, LONG_MS, &c), WQ_ENOENT);
    assert_null(c);
}

static void directory_or_symlink_at_the_path_is_left_untouched(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX], target[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "d.sock");
    make_dir(path, 0700);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EUNSAFE);
    assert_true(S_ISDIR(mode_of(path)));

    join(path, sizeof path, f->s.dir, "l.sock");
    join(target, sizeof target, f->s.dir, "target");
    write_file(target, "target");
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EUNSAFE);
    assert_null(l);
    assert_true(S_ISLNK(mode_of(path)));
    expect_file(target, "target");
}

static void symlinked_lock_file_is_refused(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8], target[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "k.sock");
    lock_path_of(path, lock, sizeof lock);
    join(target, sizeof target, f->s.dir, "victim");
    assert_int_equal(symlink(target, lock), 0); /* dangling: would be created */
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EUNSAFE);
    assert_null(l);
    assert_false(exists(target));
    assert_false(exists(path));
}

static void live_listener_keeps_its_endpoint(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "live.sock");
    wq_listener *first = NULL, *second = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &first), WQ_OK);
    assert_int_equal(wq_listener_open(T, path, NULL, &second), WQ_EADDRINUSE);
    assert_null(second);
    assert_true(S_ISSOCK(mode_of(path)));
    expect_serves(first, path);
    wq_listener_close(first);
    /* Once it is gone the endpoint is free again. */
    assert_int_equal(wq_listener_open(T, path, NULL, &second), WQ_OK);
    expect_serves(second, path);
    wq_listener_close(second);
}

static void live_server_without_our_lock_is_not_unlinked(void **state)
{
    struct dir_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "other.sock");
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_EADDRINUSE);
    assert_null(l);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    close(fd);
}

static void connect_without_permission_gets_eacces(void **state)
{
    struct dir_fixture *f = *state;
    if (geteuid() == 0) {
        skip(); /* root ignores the socket's mode (checklist US-8) */
    }
    char path[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "acc.sock");
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_OK);
    assert_int_equal(chmod(path, 0), 0);
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(T, path, LONG_MS, &c), WQ_EACCES);
    wq_listener_close(l);
}

/* ---- path lengths (T-US-d) -------------------------------------------- */

/* dir + "/" + filler up to exactly len bytes. */
static void path_of_length(char *out, size_t size, const char *dir, size_t len)
{
    size_t d = strlen(dir);
    assert_true(len < size && d + 2 <= len);
    memcpy(out, dir, d);
    out[d] = '/';
    memset(out + d + 1, 'p', len - d - 1);
    out[len] = '\0';
}

static void expect_too_long(const char *path)
{
    char buf[WQ_ENDPOINT_MAX];
    wq_listener *l = NULL;
    wq_conn *c = NULL;
    assert_int_equal(wq_endpoint_resolve(T, path, buf, sizeof buf), WQ_ENAMETOOLONG);
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_ENAMETOOLONG);
    assert_null(l);
    assert_int_equal(wq_conn_connect(T, path, LONG_MS, &c), WQ_ENAMETOOLONG);
    assert_null(c);
    /* Nothing at the path, nor at what truncating it to fit would give. */
    char cut[WQ_ENDPOINT_MAX], lock[WQ_ENDPOINT_MAX + 8];
    assert_false(exists(path));
    memcpy(cut, path, 107);
    cut[107] = '\0';
    assert_false(exists(cut));
    lock_path_of(cut, lock, sizeof lock);
    assert_false(exists(lock));
}

static void path_lengths_are_checked_never_truncated(void **state)
{
    struct dir_fixture *f = *state;
    if (strlen(f->s.dir) > 90) {
        skip(); /* $TMPDIR too long to build a 107-byte path in it */
    }
    char path[WQ_ENDPOINT_MAX], buf[WQ_ENDPOINT_MAX];
    /* 107 bytes + NUL fill sun_path exactly: accepted. */
    path_of_length(path, sizeof path, f->s.dir, 107);
    assert_int_equal(wq_endpoint_resolve(T, path, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, path);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, path, NULL, &l), WQ_OK);
    expect_serves(l, path);
    wq_listener_close(l);
    assert_false(exists(path));

    path_of_length(path, sizeof path, f->s.dir, 108);
    expect_too_long(path);
    path_of_length(path, sizeof path, f->s.dir, 200);
    expect_too_long(path);
}

/* ---- name resolution -------------------------------------------------- */

static void plain_names_resolve_into_the_runtime_dir(void **state)
{
    struct xdg_fixture *f = *state;
    char buf[WQ_ENDPOINT_MAX], expect[WQ_ENDPOINT_MAX];
    join(expect, sizeof expect, f->rt, "Name.sock");
    assert_int_equal(wq_endpoint_resolve(T, "Name", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);

    /* Without XDG_RUNTIME_DIR (unset or empty): /tmp/workq-<euid>. */
    int n = snprintf(expect, sizeof expect, "/tmp/workq-%lu/Name.sock", (unsigned long)geteuid());
    assert_true(n > 0 && (size_t)n < sizeof expect);
    assert_int_equal(unsetenv("XDG_RUNTIME_DIR"), 0);
    assert_int_equal(wq_endpoint_resolve(T, "Name", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);
    assert_int_equal(setenv("XDG_RUNTIME_DIR", "", 1), 0);
    assert_int_equal(wq_endpoint_resolve(T, "Name", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);

    /* A name with a '/' is used as given. */
    assert_int_equal(wq_endpoint_resolve(T, "/abs/x.sock", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "/abs/x.sock");
    assert_int_equal(wq_endpoint_resolve(T, "./rel", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, "./rel");

    /* A runtime dir so long that the socket path cannot fit. */
    char longdir[300];
    memset(longdir, 'x', 200);
    longdir[0] = '/';
    longdir[200] = '\0';
    assert_int_equal(setenv("XDG_RUNTIME_DIR", longdir, 1), 0);
    assert_int_equal(wq_endpoint_resolve(T, "Name", buf, sizeof buf), WQ_ENAMETOOLONG);
    assert_string_equal(buf, "");
}

static void workq_endpoint_sets_the_default(void **state)
{
    struct xdg_fixture *f = *state;
    char path[WQ_ENDPOINT_MAX], buf[WQ_ENDPOINT_MAX];
    join(path, sizeof path, f->s.dir, "env.sock");
    assert_int_equal(setenv("WORKQ_ENDPOINT", path, 1), 0);
    assert_int_equal(wq_endpoint_resolve(NULL, NULL, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, path);
    assert_int_equal(wq_endpoint_resolve(T, "", buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, path);

    /* Listener and client both find it through the default. */
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(NULL, NULL, NULL, &l), WQ_OK);
    assert_true(S_ISSOCK(mode_of(path)));
    expect_serves(l, NULL);
    wq_listener_close(l);

    /* A plain name in WORKQ_ENDPOINT goes to the runtime dir. */
    char expect[WQ_ENDPOINT_MAX];
    join(expect, sizeof expect, f->rt, "fromenv.sock");
    assert_int_equal(setenv("WORKQ_ENDPOINT", "fromenv", 1), 0);
    assert_int_equal(wq_endpoint_resolve(NULL, NULL, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);

    /* Unset or empty: the service's default name. */
    join(expect, sizeof expect, f->rt, WQ_DEFAULT_ENDPOINT ".sock");
    assert_int_equal(setenv("WORKQ_ENDPOINT", "", 1), 0);
    assert_int_equal(wq_endpoint_resolve(NULL, NULL, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);
    assert_int_equal(unsetenv("WORKQ_ENDPOINT"), 0);
    assert_int_equal(wq_endpoint_resolve(NULL, NULL, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, expect);
}

int main(void)
{
    T = wq_transport_native();
    assert_string_equal(wq_transport_name(T), "uds");
#define XDG(fn) cmocka_unit_test_setup_teardown(fn, xdg_setup, xdg_teardown)
#define DIR(fn) cmocka_unit_test_setup_teardown(fn, dir_setup, dir_teardown)
    const struct CMUnitTest tests[] = {
        XDG(runtime_dir_is_created_0700_with_a_0600_socket),
        XDG(socket_mode_is_honoured_and_umask_does_not_widen_it),
        XDG(group_access_to_the_runtime_dir_is_withdrawn_without_a_group),
        XDG(planted_runtime_dir_that_is_not_private_is_refused),
        XDG(symlinked_runtime_dir_is_refused),
        XDG(missing_xdg_runtime_dir_is_not_created),
        DIR(world_writable_directory_is_refused_unless_sticky),
        DIR(symlinked_directory_is_refused),
        DIR(directory_of_another_user_is_refused),
        DIR(stale_socket_is_replaced),
        DIR(stale_lock_file_is_reused),
        DIR(regular_file_at_the_path_is_left_untouched),
        DIR(directory_or_symlink_at_the_path_is_left_untouched),
        DIR(symlinked_lock_file_is_refused),
        DIR(live_listener_keeps_its_endpoint),
        DIR(live_server_without_our_lock_is_not_unlinked),
        DIR(connect_without_permission_gets_eacces),
        DIR(path_lengths_are_checked_never_truncated),
        XDG(plain_names_resolve_into_the_runtime_dir),
        XDG(workq_endpoint_sets_the_default),
    };
    return cmocka_run_group_tests_name("uds.paths", tests, NULL, NULL);
}
