/* test_npipe_seam.c — what the backend asks of the OS, seen through the
 * npipe_os.h seam (checklist T-WPS-e, BI-4). Wrappers record the flags of
 * every CreateNamedPipeW / CreateFileW / SetNamedPipeHandleState and
 * forward to the real function; others inject failures.
 *
 * The flags matter most where Wine cannot show their effect
 * (FIRST_PIPE_INSTANCE, REJECT_REMOTE_CLIENTS and the SQOS level are all
 * ignored by Wine 8), so checking that they are passed is the test that
 * runs everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <workq/transport.h>

#include "npipe_os.h"
#include "platform.h"
#include "scratch.h"

#define LONG_MS 20000
#define MAX_CALLS 64

static const wq_transport *T;
static struct wqi_npipe_os real; /* the table as it was before a test */

/* ---- recording wrappers ----------------------------------------------- */

struct pipe_call {
    DWORD open_mode;
    DWORD pipe_mode;
    int has_sa;
    int has_sd;
    BOOL inherit;
};

struct file_call {
    DWORD flags;
    DWORD disposition;
    DWORD share;
    int has_sa;
    BOOL inherit;
};

static wqi_mutex rec_lock;
static struct pipe_call pipes[MAX_CALLS];
static size_t npipes;
static struct file_call files[MAX_CALLS];
static size_t nfiles;
static DWORD client_mode;
static int nmode_calls;

static HANDLE WINAPI record_CreateNamedPipeW(LPCWSTR name, DWORD open_mode, DWORD pipe_mode,
                                             DWORD max_instances, DWORD out_size, DWORD in_size,
                                             DWORD default_timeout, LPSECURITY_ATTRIBUTES sa)
{
    wqi_mutex_lock(&rec_lock);
    if (npipes < MAX_CALLS) {
        pipes[npipes++] = (struct pipe_call){
            .open_mode = open_mode,
            .pipe_mode = pipe_mode,
            .has_sa = sa != NULL,
            .has_sd = sa != NULL && sa->lpSecurityDescriptor != NULL,
            .inherit = sa != NULL ? sa->bInheritHandle : FALSE,
        };
    }
    wqi_mutex_unlock(&rec_lock);
    return real.CreateNamedPipeW(name, open_mode, pipe_mode, max_instances, out_size, in_size,
                                 default_timeout, sa);
}

static HANDLE WINAPI record_CreateFileW(LPCWSTR name, DWORD access, DWORD share,
                                        LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags,
                                        HANDLE template_file)
{
    wqi_mutex_lock(&rec_lock);
    if (nfiles < MAX_CALLS) {
        files[nfiles++] = (struct file_call){
            .flags = flags,
            .disposition = disposition,
            .share = share,
            .has_sa = sa != NULL,
            .inherit = sa != NULL ? sa->bInheritHandle : FALSE,
        };
    }
    wqi_mutex_unlock(&rec_lock);
    return real.CreateFileW(name, access, share, sa, disposition, flags, template_file);
}

static BOOL WINAPI record_SetNamedPipeHandleState(HANDLE pipe, LPDWORD mode, LPDWORD max_collection,
                                                  LPDWORD collect_timeout)
{
    wqi_mutex_lock(&rec_lock);
    client_mode = mode != NULL ? *mode : 0xFFFFFFFF;
    nmode_calls++;
    wqi_mutex_unlock(&rec_lock);
    return real.SetNamedPipeHandleState(pipe, mode, max_collection, collect_timeout);
}

/* ---- failure injection ------------------------------------------------ */

static int fail_creates_after; /* CreateNamedPipeW calls that still succeed */

static HANDLE WINAPI failing_CreateNamedPipeW(LPCWSTR name, DWORD open_mode, DWORD pipe_mode,
                                              DWORD max_instances, DWORD out_size, DWORD in_size,
                                              DWORD default_timeout, LPSECURITY_ATTRIBUTES sa)
{
    if (fail_creates_after-- <= 0) {
        SetLastError(ERROR_NO_SYSTEM_RESOURCES);
        return INVALID_HANDLE_VALUE;
    }
    return real.CreateNamedPipeW(name, open_mode, pipe_mode, max_instances, out_size, in_size,
                                 default_timeout, sa);
}

static int impersonations;

static BOOL WINAPI refusing_ImpersonateNamedPipeClient(HANDLE pipe)
{
    (void)pipe;
    impersonations++;
    SetLastError(ERROR_CANNOT_IMPERSONATE);
    return FALSE;
}

/* ---- fixtures --------------------------------------------------------- */

static int save_table(void **state)
{
    (void)state;
    real = wqi_npipe_os;
    wqi_mutex_lock(&rec_lock);
    npipes = 0;
    nfiles = 0;
    nmode_calls = 0;
    client_mode = 0;
    wqi_mutex_unlock(&rec_lock);
    return 0;
}

static int restore_table(void **state)
{
    (void)state;
    wqi_npipe_os = real;
    return 0;
}

static void exchange(wq_conn *from, wq_conn *to, const char *msg)
{
    assert_int_equal(wq_conn_send(from, msg, strlen(msg), LONG_MS), WQ_OK);
    void *buf;
    size_t len;
    assert_int_equal(wq_conn_recv(to, 256, LONG_MS, &buf, &len), WQ_OK);
    assert_int_equal(len, strlen(msg));
    assert_memory_equal(buf, msg, len);
    wq_free(buf);
}

/* ---- tests ------------------------------------------------------------ */

static void every_instance_and_client_open_uses_the_safe_flags(void **state)
{
    (void)state;
    wqi_npipe_os.CreateNamedPipeW = record_CreateNamedPipeW;
    wqi_npipe_os.CreateFileW = record_CreateFileW;
    wqi_npipe_os.SetNamedPipeHandleState = record_SetNamedPipeHandleState;

    wqt_scratch s;
    wqt_scratch_init(&s, T, "flags");
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_OK);
    wq_conn *client[2], *server[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(wq_conn_connect(T, s.endpoint, LONG_MS, &client[i]), WQ_OK);
        assert_int_equal(wq_listener_accept(l, LONG_MS, &server[i]), WQ_OK);
        exchange(client[i], server[i], "ping");
    }
    for (int i = 0; i < 2; i++) {
        wq_conn_close(client[i]);
        wq_conn_close(server[i]);
    }
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);

    /* The first instance, and one replacement per accept. */
    assert_int_equal(npipes, 3);
    for (size_t i = 0; i < npipes; i++) {
        const struct pipe_call *p = &pipes[i];
        assert_int_equal(!!(p->open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE), i == 0);
        assert_int_equal(p->open_mode & PIPE_ACCESS_DUPLEX, PIPE_ACCESS_DUPLEX);
        assert_true(p->open_mode & FILE_FLAG_OVERLAPPED);
        assert_true(p->pipe_mode & PIPE_TYPE_MESSAGE);
        assert_true(p->pipe_mode & PIPE_READMODE_MESSAGE);
        assert_true(p->pipe_mode & PIPE_REJECT_REMOTE_CLIENTS);
        assert_false(p->pipe_mode & PIPE_NOWAIT);
        assert_true(p->has_sa);
        assert_true(p->has_sd);
        assert_false(p->inherit);
    }
    /* Each client open, busy retries included. */
    assert_true(nfiles >= 2);
    for (size_t i = 0; i < nfiles; i++) {
        const struct file_call *f = &files[i];
        const DWORD want = FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION;
        assert_int_equal(f->flags & want, want);
        assert_int_equal(f->disposition, OPEN_EXISTING);
        assert_int_equal(f->share, 0);
        assert_false(f->has_sa && f->inherit);
    }
    /* And every client switched itself to message reads. */
    assert_int_equal(nmode_calls, 2);
    assert_int_equal(client_mode, PIPE_READMODE_MESSAGE);
}

/* WPS-4: when the replacement instance cannot be made, accept fails and
 * keeps the connected client for the next accept rather than leaving the
 * pipe without an instance. */
static void a_failed_replacement_keeps_the_client_for_the_next_accept(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, T, "norepl");
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_OK);
    wq_conn *client;
    assert_int_equal(wq_conn_connect(T, s.endpoint, LONG_MS, &client), WQ_OK);

    fail_creates_after = 0;
    wqi_npipe_os.CreateNamedPipeW = failing_CreateNamedPipeW;
    wq_conn *server = NULL;
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_ENOMEM);
    assert_null(server);
    wqi_npipe_os.CreateNamedPipeW = real.CreateNamedPipeW;

    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    exchange(client, server, "still the same client");
    exchange(server, client, "and served");
    wq_conn_close(client);
    wq_conn_close(server);
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
}

/* WPS-8 fallback: when impersonation fails, the peer's SID still comes
 * from its process token (by pid), and that answer is not kept, so the
 * token is asked again next time. */
static void peer_falls_back_to_the_process_token_without_impersonation(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, T, "noimp");
    wq_listener *l;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_OK);
    wq_conn *client, *server;
    assert_int_equal(wq_conn_connect(T, s.endpoint, LONG_MS, &client), WQ_OK);
    assert_int_equal(wq_listener_accept(l, LONG_MS, &server), WQ_OK);
    exchange(client, server, "who");

    char me[192];
    wqi_process_sid(me, sizeof me);
    impersonations = 0;
    wqi_npipe_os.ImpersonateNamedPipeClient = refusing_ImpersonateNamedPipeClient;
    for (int i = 0; i < 2; i++) {
        wq_peer p;
        assert_int_equal(wq_conn_peer(server, &p), WQ_OK);
        assert_int_equal(p.pid, wqi_process_id());
        assert_string_equal(p.sid, me);
    }
    assert_int_equal(impersonations, 2);
    wqi_npipe_os.ImpersonateNamedPipeClient = real.ImpersonateNamedPipeClient;
    wq_conn_close(client);
    wq_conn_close(server);
    wq_listener_close(l);
    wqt_scratch_cleanup(&s);
}

/* The first instance failing is a failed open, with nothing left over. */
static void a_failed_first_instance_fails_the_open(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, T, "nofirst");
    fail_creates_after = 0;
    wqi_npipe_os.CreateNamedPipeW = failing_CreateNamedPipeW;
    wq_listener *l = NULL;
    assert_int_equal(wq_listener_open(T, s.endpoint, NULL, &l), WQ_ENOMEM);
    assert_null(l);
    wqi_npipe_os.CreateNamedPipeW = real.CreateNamedPipeW;
    wq_conn *c = NULL;
    assert_int_equal(wq_conn_connect(T, s.endpoint, 0, &c), WQ_ENOENT);
    wqt_scratch_cleanup(&s);
}

int main(void)
{
    T = wq_transport_native();
    wqi_mutex_init(&rec_lock);
#define WITH_SEAM(fn) cmocka_unit_test_setup_teardown(fn, save_table, restore_table)
    const struct CMUnitTest tests[] = {
        WITH_SEAM(every_instance_and_client_open_uses_the_safe_flags),
        WITH_SEAM(a_failed_replacement_keeps_the_client_for_the_next_accept),
        WITH_SEAM(peer_falls_back_to_the_process_token_without_impersonation),
        WITH_SEAM(a_failed_first_instance_fails_the_open),
    };
    return cmocka_run_group_tests_name("npipe.seam", tests, NULL, NULL);
}
