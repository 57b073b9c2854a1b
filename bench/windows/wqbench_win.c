/* wqbench_win.c — issue 5, scenario 7: workq over its named pipe against a
 * raw message-mode named-pipe ping-pong, both on Windows (run under Wine by
 * bench/wine.sh). Windows only; built by bench/windows/CMakeLists.txt.
 *
 * Server:
 *   wqbench-win serve-pipe <pipe>   raw echo written straight on Win32: a
 *                                   message-mode pipe, synchronous ReadFile
 *                                   and WriteFile, a thread per connection
 *                                   (as workqd has); runs until killed
 *
 * Clients (one connection; a plain <pipe> or <endpoint> name means
 * \\.\pipe\<name>, as for workq):
 *   wqbench-win run <scenario> <endpoint> <ops> <reps> <size>
 *     one warm-up repetition of ops/4+1 (not counted), then reps timed
 *     repetitions; prints "RESULT <scenario> 1 ops/s <median> <min> <max>"
 *     like wqbench's cmd_run
 *   wqbench-win check <scenario> <endpoint> <ops> <size>
 *     one short run, every reply and payload checked (and, for workq-job,
 *     the queue's counters at the end); prints "CHECK ..." and exits 0, or
 *     the error and exits 1. Never prints a timing.
 *
 * Scenarios:
 *   pipe-ping   raw client: write a <size>-byte message, read the echo,
 *               compare it with what was sent
 *   workq-ping  libworkq: PING / OK PONG
 *   workq-job   libworkq: PUBLISH, RETRIEVE, ACK of one <size>-byte item on
 *               a queue of this process, the payload compared
 *
 * Every reply is checked in timed runs too: a wrong one ends the run with
 * exit status 1, so a broken transport cannot produce a fast figure.
 */
#include <windows.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <workq/client.h>

#define MAX_REPS 64
/* Largest message either side handles; pipe buffers match workq's 64 KiB. */
#define MSG_MAX (64u * 1024u)
#define PIPE_BUFFER (64u * 1024u)
/* How long a raw client waits while every server instance is busy (the
 * moment between one ConnectNamedPipe and the next instance). */
#define CONNECT_WAIT_MS 5000
#define PIPE_NAME_MAX 256

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wqbench-win: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Strict decimal: digits only, within [min, max]. */
static uint64_t parse_num(const char *what, const char *s, uint64_t min, uint64_t max)
{
    uint64_t v = 0;
    if (*s == '\0') {
        die("%s: a number is needed", what);
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            die("%s: bad number '%s'", what, s);
        }
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            die("%s: number too large", what);
        }
        v = v * 10 + d;
    }
    if (v < min || v > max) {
        die("%s: %s is out of range", what, s);
    }
    return v;
}

/* A payload whose bytes depend on the op number, so a stale or misrouted
 * message is caught (the same pattern as wqbench.c). */
static void fill_payload(unsigned char *p, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)('a' + (k + i) % 26);
    }
}

/* A plain name becomes \\.\pipe\<name>, as workq maps its endpoints
 * (docs/protocol.md "Endpoint names"), so one name works for both servers. */
static void pipe_name(const char *name, WCHAR out[PIPE_NAME_MAX + 1])
{
    char full[PIPE_NAME_MAX + 1];
    int plain = strpbrk(name, "/\\") == NULL;
    int n = snprintf(full, sizeof full, "%s%s", plain ? "\\\\.\\pipe\\" : "", name);
    if (n < 0 || (size_t)n >= sizeof full) {
        die("pipe name too long: %s", name);
    }
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, full, -1, out, PIPE_NAME_MAX + 1) <= 0) {
        die("bad pipe name: %s", name);
    }
}

/* ---- time ------------------------------------------------------------------ */

static double now_s(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER t;
    if (freq.QuadPart == 0) {
        QueryPerformanceFrequency(&freq);
    }
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)freq.QuadPart;
}

/* ---- raw echo server ----------------------------------------------------- */

static DWORD WINAPI echo_main(LPVOID arg)
{
    HANDLE h = arg;
    unsigned char *buf = malloc(MSG_MAX);
    if (buf == NULL) {
        die("out of memory");
    }
    for (;;) {
        DWORD n = 0;
        /* Message mode: one ReadFile is one whole message; one larger than
         * MSG_MAX (ERROR_MORE_DATA) is not ours to echo, and ends the
         * connection like a broken pipe does. */
        if (!ReadFile(h, buf, MSG_MAX, &n, NULL)) {
            break;
        }
        DWORD w = 0;
        if (!WriteFile(h, buf, n, &w, NULL) || w != n) {
            break;
        }
    }
    free(buf);
    /* No DisconnectNamedPipe: the client has left (or broke the rules), and
     * closing is what it would see either way. */
    CloseHandle(h);
    return 0;
}

static HANDLE new_instance(const WCHAR *name, int first)
{
    DWORD open_mode = PIPE_ACCESS_DUPLEX | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    const DWORD pipe_mode =
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    HANDLE h = CreateNamedPipeW(name, open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER,
                                PIPE_BUFFER, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        die("CreateNamedPipe: error %lu", (unsigned long)GetLastError());
    }
    return h;
}

static _Noreturn void serve_pipe(const char *endpoint)
{
    WCHAR name[PIPE_NAME_MAX + 1];
    pipe_name(endpoint, name);
    HANDLE h = new_instance(name, 1);
    for (;;) {
        if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
            /* A client that came and went (ERROR_NO_DATA): listen again. */
            DisconnectNamedPipe(h);
            continue;
        }
        /* The next instance before this one is handed over, as workq's
         * listener does, so the pipe is never without a listening end for
         * longer than this call. */
        HANDLE next = new_instance(name, 0);
        HANDLE t = CreateThread(NULL, 0, echo_main, h, 0, NULL);
        if (t == NULL) {
            CloseHandle(h);
        } else {
            CloseHandle(t);
        }
        h = next;
    }
}

/* ---- clients --------------------------------------------------------------- */

typedef struct client {
    const char *scenario;
    const char *endpoint;
    size_t size;
    HANDLE pipe;   /* pipe-ping */
    wq_client *wc; /* workq-ping, workq-job */
    char queue[64];
    unsigned char *payload;
    unsigned char *back;
} client;

/* Raw client end, as workq's npipe client opens its own (identification
 * only, no sharing) but synchronous. Waits while every instance is busy;
 * a missing pipe fails at once. */
static HANDLE pipe_open(const char *endpoint)
{
    WCHAR name[PIPE_NAME_MAX + 1];
    pipe_name(endpoint, name);
    ULONGLONG deadline = GetTickCount64() + CONNECT_WAIT_MS;
    for (;;) {
        HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                               SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            /* The client end starts in byte read mode. */
            DWORD mode = PIPE_READMODE_MESSAGE;
            if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
                die("SetNamedPipeHandleState: error %lu", (unsigned long)GetLastError());
            }
            return h;
        }
        DWORD e = GetLastError();
        if (e != ERROR_PIPE_BUSY || GetTickCount64() >= deadline) {
            die("connect %s: error %lu", endpoint, (unsigned long)e);
        }
        WaitNamedPipeW(name, 500);
    }
}

static void workq_open(client *c)
{
    wq_err e = wq_client_open(c->endpoint, NULL, &c->wc);
    if (e != WQ_OK) {
        die("workq connect %s: %s", c->endpoint, wq_strerror(e));
    }
}

/* The queue of this process, created on the first repetition, started so
 * that RETRIEVE hands out items (a new queue is stopped). */
static void queue_ready(client *c)
{
    wq_err e = wq_client_create(c->wc, c->queue);
    if (e != WQ_OK && e != WQ_EEXIST) {
        die("CREATE %s: %s", c->queue, wq_strerror(e));
    }
    e = wq_client_start(c->wc, c->queue);
    if (e != WQ_OK) {
        die("START %s: %s", c->queue, wq_strerror(e));
    }
}

static void client_open(client *c)
{
    if (is(c->scenario, "pipe-ping")) {
        c->pipe = pipe_open(c->endpoint);
    } else if (is(c->scenario, "workq-ping")) {
        workq_open(c);
    } else if (is(c->scenario, "workq-job")) {
        workq_open(c);
        queue_ready(c);
    } else {
        die("unknown scenario %s (pipe-ping, workq-ping, workq-job)", c->scenario);
    }
}

static void client_close(client *c)
{
    if (c->pipe != NULL) {
        CloseHandle(c->pipe);
        c->pipe = NULL;
    }
    wq_client_close(c->wc);
    c->wc = NULL;
}

static void op_pipe_ping(client *c, uint64_t k)
{
    fill_payload(c->payload, c->size, k);
    DWORD w = 0;
    if (!WriteFile(c->pipe, c->payload, (DWORD)c->size, &w, NULL) || w != c->size) {
        die("WriteFile: error %lu", (unsigned long)GetLastError());
    }
    /* One byte of room beyond size: a longer echo shows up as a length
     * mismatch or ERROR_MORE_DATA instead of passing as a prefix. */
    DWORD n = 0;
    if (!ReadFile(c->pipe, c->back, (DWORD)c->size + 1, &n, NULL)) {
        die("ReadFile: error %lu", (unsigned long)GetLastError());
    }
    if (n != c->size || memcmp(c->back, c->payload, c->size) != 0) {
        die("pipe echo mismatch (%lu bytes back, %lu sent)", (unsigned long)n,
            (unsigned long)c->size);
    }
}

static void op_workq_ping(client *c)
{
    wq_err e = wq_client_ping(c->wc);
    if (e != WQ_OK) {
        die("PING: %s", wq_strerror(e));
    }
}

static void op_workq_job(client *c, uint64_t k)
{
    fill_payload(c->payload, c->size, k);
    uint64_t id = 0;
    wq_err e = wq_client_publish(c->wc, c->queue, c->payload, c->size, &id);
    if (e != WQ_OK) {
        die("PUBLISH: %s", wq_strerror(e));
    }
    wq_item it;
    int found = 0;
    e = wq_client_retrieve(c->wc, c->queue, -1, &it, &found);
    if (e != WQ_OK || !found) {
        die("RETRIEVE: %s", e != WQ_OK ? wq_strerror(e) : "EMPTY");
    }
    if (it.id != id || it.len != c->size || memcmp(it.payload, c->payload, c->size) != 0) {
        die("RETRIEVE: wrong item (id %" PRIu64 ", published %" PRIu64 ")", it.id, id);
    }
    wq_free(it.payload);
    e = wq_client_ack(c->wc, c->queue, id);
    if (e != WQ_OK) {
        die("ACK: %s", wq_strerror(e));
    }
}

/* One repetition on a fresh connection (opened and closed outside the
 * timed part, as in wqbench.c); returns the elapsed seconds of the ops. */
static double one_rep(client *c, uint64_t ops)
{
    client_open(c);
    double t0 = now_s();
    for (uint64_t k = 0; k < ops; k++) {
        if (is(c->scenario, "pipe-ping")) {
            op_pipe_ping(c, k);
        } else if (is(c->scenario, "workq-ping")) {
            op_workq_ping(c);
        } else {
            op_workq_job(c, k);
        }
    }
    double t1 = now_s();
    client_close(c);
    return t1 - t0;
}

/* workq-job leaves nothing behind: in check mode the counters must show
 * exactly the cycles done, then the queue is deleted. */
static void queue_finish(client *c, uint64_t cycles, int check)
{
    if (!is(c->scenario, "workq-job")) {
        return;
    }
    workq_open(c);
    if (check) {
        wq_queue_info info;
        wq_err e = wq_client_status(c->wc, c->queue, &info);
        if (e != WQ_OK) {
            die("STATUS %s: %s", c->queue, wq_strerror(e));
        }
        if (info.ready != 0 || info.leased != 0 || info.published != cycles ||
            info.completed != cycles) {
            die("STATUS %s: ready %" PRIu64 " leased %" PRIu64 " published %" PRIu64
                " completed %" PRIu64 ", expected 0 0 %" PRIu64 " %" PRIu64,
                c->queue, info.ready, info.leased, info.published, info.completed, cycles, cycles);
        }
    }
    wq_err e = wq_client_delete(c->wc, c->queue);
    if (e != WQ_OK) {
        die("DELETE %s: %s", c->queue, wq_strerror(e));
    }
    client_close(c);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_run(int argc, char **argv, int check)
{
    if (argc != (check ? 6 : 7)) {
        die(check ? "usage: check <scenario> <endpoint> <ops> <size>"
                  : "usage: run <scenario> <endpoint> <ops> <reps> <size>");
    }
    client c;
    memset(&c, 0, sizeof c);
    c.scenario = argv[2];
    c.endpoint = argv[3];
    uint64_t ops = parse_num("ops", argv[4], 1, UINT64_MAX / 2);
    int reps = check ? 1 : (int)parse_num("reps", argv[5], 1, MAX_REPS);
    c.size = (size_t)parse_num("size", argv[check ? 5 : 6], 1, MSG_MAX - 1);
    snprintf(c.queue, sizeof c.queue, "wqbench-win-%lu", (unsigned long)GetCurrentProcessId());
    c.payload = malloc(c.size + 1);
    c.back = malloc(c.size + 1);
    if (c.payload == NULL || c.back == NULL) {
        die("out of memory");
    }
    if (check) {
        one_rep(&c, ops);
        queue_finish(&c, ops, 1);
        printf("CHECK %s clients=1 size=%lu ok ops=%" PRIu64 "\n", c.scenario,
               (unsigned long)c.size, ops);
        fflush(stdout);
        return 0;
    }
    /* One warm-up repetition, not counted. */
    one_rep(&c, ops / 4 + 1);
    double rate[MAX_REPS];
    for (int r = 0; r < reps; r++) {
        double dt = one_rep(&c, ops);
        rate[r] = (double)ops / dt;
        fprintf(stderr, "  %s rep %d: %.3f s\n", c.scenario, r + 1, dt);
    }
    queue_finish(&c, 0, 0);
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    double med = reps % 2 ? rate[reps / 2] : (rate[reps / 2 - 1] + rate[reps / 2]) / 2;
    printf("RESULT %s 1 ops/s %.1f %.1f %.1f\n", c.scenario, med, rate[0], rate[reps - 1]);
    fflush(stdout);
    free(c.payload);
    free(c.back);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        die("usage: see the comment at the top of bench/windows/wqbench_win.c");
    }
    if (is(argv[1], "serve-pipe") && argc == 3) {
        serve_pipe(argv[2]);
    }
    if (is(argv[1], "run")) {
        return cmd_run(argc, argv, 0);
    }
    if (is(argv[1], "check")) {
        return cmd_run(argc, argv, 1);
    }
    die("unknown command %s", argv[1]);
}
