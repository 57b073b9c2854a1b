/* test_uds_adopt.c — serving a listening socket opened by someone else
 * (systemd socket activation), in process: what wq_listener_adopt
 * accepts and refuses, a server given the listener through
 * wq_server_config.listener, and what such a listener leaves behind: the
 * socket file and a socket that still listens. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include <workq/client.h>
#include <workq/server.h>
#include <workq/transport.h>

#include "raw_unix.h"
#include "scratch.h"

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static void only_listening_unix_stream_sockets_are_adopted(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "adr");
    char file[WQ_ENDPOINT_MAX * 2];
    wqt_scratch_path(&ep, "file", file, sizeof file);
    wq_listener *l = NULL;

    int ffd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int dfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); /* never listens */
    int nfd = wqt_unix_bound(ep.endpoint, -1);                /* bound, not listening */
    int bad[] = {ffd, dfd, ufd, nfd};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(bad[i] >= 0);
        assert_int_equal(wq_listener_adopt(NULL, bad[i], &l), WQ_EINVAL);
        assert_null(l);
        assert_true(fd_open(bad[i])); /* still the caller's */
        close(bad[i]);
    }
    assert_int_equal(wq_listener_adopt(NULL, -1, &l), WQ_EINVAL);
    assert_int_equal(wq_listener_adopt(NULL, (intptr_t)1 << 40, &l), WQ_EINVAL);
    assert_int_equal(wq_listener_adopt(NULL, 0, NULL), WQ_EINVAL);
    unlink(ep.endpoint);
    wqt_scratch_cleanup(&ep);
}

static void a_server_serves_an_adopted_listener_and_leaves_the_socket(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "ads");
    int fd = wqt_unix_bound(ep.endpoint, 16);
    int mine = dup(fd); /* what the creator (systemd) keeps */
    assert_true(mine >= 0);

    wq_listener *l = NULL;
    assert_int_equal(wq_listener_adopt(NULL, fd, &l), WQ_OK);
    assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    assert_true((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    const char *name = ep.endpoint;

    wq_server_config cfg;
    wq_server_config_init(&cfg);
    assert_null(cfg.listener);
    cfg.listener = l;
    cfg.endpoint = name;
    wq_server *s = NULL;
    assert_int_equal(wq_server_start(&cfg, &s), WQ_OK);
    assert_string_equal(wq_server_endpoint(s), ep.endpoint);
    wq_client *c;
    assert_int_equal(wq_client_open(ep.endpoint, NULL, &c), WQ_OK);
    assert_int_equal(wq_client_create(c, "MyWorkQueue"), WQ_OK);
    wq_client_close(c);
    wq_server_stop(s);

    /* The file stays, no lock file was made, and the socket still listens
     * (through the creator's descriptor). */
    struct stat sb;
    assert_int_equal(lstat(ep.endpoint, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    char lock[WQ_ENDPOINT_MAX * 2];
    snprintf(lock, sizeof lock, "%s.lock", ep.endpoint);
    assert_int_equal(lstat(lock, &sb), -1);
    wq_conn *conn;
    assert_int_equal(wq_conn_connect(NULL, ep.endpoint, 5000, &conn), WQ_OK);
    wq_conn_close(conn);
    close(mine);
    unlink(ep.endpoint);
    wqt_scratch_cleanup(&ep);
}

static void the_server_owns_the_listener_even_when_it_fails(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "adf");
    int fd = wqt_unix_bound(ep.endpoint, 16);
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_adopt(NULL, fd, &l), WQ_OK);
    wq_server_config cfg;
    wq_server_config_init(&cfg);
    cfg.listener = l;
    cfg.max_connections = 0; /* invalid */
    wq_server *s = NULL;
    assert_int_equal(wq_server_start(&cfg, &s), WQ_EINVAL);
    assert_null(s);
    assert_false(fd_open(fd)); /* closed with the listener */
    unlink(ep.endpoint);
    wqt_scratch_cleanup(&ep);
}

/* Only the Unix-socket backend can adopt; the others say so and leave the
 * descriptor alone. */
static void other_backends_cannot_adopt(void **state)
{
    (void)state;
    wqt_scratch ep;
    wqt_scratch_init(&ep, NULL, "adm");
    int fd = wqt_unix_bound(ep.endpoint, 16);
    wq_listener *l = (wq_listener *)&l;
    assert_int_equal(wq_listener_adopt(wq_transport_mem(), fd, &l), WQ_ENOTSUP);
    assert_null(l);
    assert_true(fd_open(fd));
    close(fd);
    unlink(ep.endpoint);
    wqt_scratch_cleanup(&ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_listening_unix_stream_sockets_are_adopted),
        cmocka_unit_test(a_server_serves_an_adopted_listener_and_leaves_the_socket),
        cmocka_unit_test(the_server_owns_the_listener_even_when_it_fails),
        cmocka_unit_test(other_backends_cannot_adopt),
    };
    return cmocka_run_group_tests_name("uds.adopt", tests, NULL, NULL);
}
