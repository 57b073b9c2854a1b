/* wqbench.c — the benchmark programs of bench/run.sh, in one executable.
 *
 * Servers (run as separate processes by run.sh, so that they can be pinned
 * like workqd, redis-server and beanstalkd):
 *   wqbench serve-raw   <socket>   thread-per-connection echo over the workq
 *                                  transport (wq_listener_* / wq_conn_*), same
 *                                  4-byte framing as workqd, no protocol
 *   wqbench serve-epoll <socket>   single-threaded epoll echo, same framing
 *   wqbench serve-nng   <url>      nng REP echo (ipc://)
 *
 * Clients:
 *   wqbench run <scenario> <endpoint> <clients> <ops> <reps> <size>
 *     prints "RESULT <scenario> <clients> <unit> <median> <min> <max>"
 *   wqbench check <scenario> <endpoint> <clients> <ops> <size>
 *     one short run with every reply and payload checked; prints
 *     "CHECK <scenario> <clients> ok <ops>" and exits 0, or exits 1.
 *     Never prints a timing.
 *   wqbench fill <workq|redis> <endpoint> <items> <size>
 *   wqbench idle <workq|redis> <endpoint> <clients> <server-pid>
 *     connects that many clients, has each say PING once, reads the
 *     server's VmRSS before and after, then checks every client is still
 *     answered; prints "RESULT idle-<x> <clients> kB/conn <v> <v> <v>"
 *
 * Scenarios: workq-ping, workq-job, workq-job-pipelined (the ACK rides
 * with the next RETRIEVE), workq-job-deep, workq-bulk, workq-list
 * (size = number of queues LIST returns; they are created once), raw-ping,
 * raw-oneway, epoll-ping, epoll-job (three echo round trips, as many as a
 * workq job cycle), nng-ping, redis-ping, redis-job, bs-job.
 *
 * Every scenario checks its replies in both modes (a wrong reply aborts the
 * run with exit status 1); "check" additionally verifies counts at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <hiredis/hiredis.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include <workq/client.h>
#include <workq/transport.h>

#define MAX_REPS 64
#define IO_MS 30000

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wqbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A payload whose bytes depend on the op number, so a misrouted or stale
 * item is caught. */
static void fill_payload(unsigned char *p, size_t n, uint64_t k)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)('a' + (k + i) % 26);
    }
}

/* ---- raw framing over plain sockets (epoll server, beanstalkd) ---------- */

static int uds_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        die("socket: %s", strerror(errno));
    }
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a.sun_path) {
        die("path too long: %s", path);
    }
    strcpy(a.sun_path, path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        die("connect %s: %s", path, strerror(errno));
    }
    return fd;
}

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("send: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            die("recv: %s", r == 0 ? "closed" : strerror(errno));
        }
        p += r;
        n -= (size_t)r;
    }
}

/* ---- beanstalkd text protocol -------------------------------------------- */

typedef struct bs_conn {
    int fd;
    char buf[65536 + 256];
    size_t have;
} bs_conn;

/* Read until a "\r\n"-terminated line is in the buffer; returns its length
 * (without \r\n). */
static size_t bs_line(bs_conn *b)
{
    for (;;) {
        for (size_t i = 0; i + 1 < b->have; i++) {
            if (b->buf[i] == '\r' && b->buf[i + 1] == '\n') {
                b->buf[i] = '\0';
                return i;
            }
        }
        if (b->have == sizeof b->buf) {
            die("beanstalkd: line too long");
        }
        ssize_t r = recv(b->fd, b->buf + b->have, sizeof b->buf - b->have, 0);
        if (r <= 0) {
            die("beanstalkd: recv failed");
        }
        b->have += (size_t)r;
    }
}

static void bs_consume(bs_conn *b, size_t n)
{
    memmove(b->buf, b->buf + n, b->have - n);
    b->have -= n;
}

static void bs_need(bs_conn *b, size_t n)
{
    while (b->have < n) {
        ssize_t r = recv(b->fd, b->buf + b->have, sizeof b->buf - b->have, 0);
        if (r <= 0) {
            die("beanstalkd: recv failed");
        }
        b->have += (size_t)r;
    }
}

/* ---- one client's work --------------------------------------------------- */

typedef struct worker {
    const char *scenario;
    const char *endpoint;
    int index;
    uint64_t ops;
    size_t size;
    int check;
    /* connections, opened before timing starts */
    wq_client *wc;
    wq_conn *conn;
    redisContext *rc;
    nng_socket ns;
    int fd;
    bs_conn *bs;
    char queue[64];
    unsigned char *payload;
    uint64_t done;
    uint64_t held; /* workq-job-pipelined: the item not yet acknowledged */
    pthread_t thread;
} worker;

static pthread_barrier_t start_barrier;

static int is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void open_worker(worker *w)
{
    const char *s = w->scenario;
    w->payload = malloc(w->size + 1);
    if (w->payload == NULL) {
        die("out of memory");
    }
    fill_payload(w->payload, w->size, 0);
    snprintf(w->queue, sizeof w->queue, "bench%d", w->index);
    if (is(s, "workq-job-deep")) {
        /* the queue `fill workq` filled: job cycles behind a deep backlog */
        snprintf(w->queue, sizeof w->queue, "deep");
    }
    if (is(s, "workq-ping") || is(s, "workq-job") || is(s, "workq-job-deep") ||
        is(s, "workq-job-pipelined") || is(s, "workq-list")) {
        wq_client_opts o;
        wq_client_opts_init(&o);
        wq_err e = wq_client_open(w->endpoint, &o, &w->wc);
        if (e != WQ_OK) {
            die("workq connect %s: %s", w->endpoint, wq_strerror(e));
        }
        if (is(s, "workq-job") || is(s, "workq-job-deep") || is(s, "workq-job-pipelined")) {
            e = wq_client_create(w->wc, w->queue);
            if (e != WQ_OK && e != WQ_EEXIST) {
                die("CREATE: %s", wq_strerror(e));
            }
            if (wq_client_start(w->wc, w->queue) != WQ_OK) {
                die("START failed");
            }
        }
        if (is(s, "workq-list") && w->index == 0) {
            for (size_t i = 0; i < w->size; i++) {
                char name[32];
                snprintf(name, sizeof name, "list%05zu", i);
                e = wq_client_create(w->wc, name);
                if (e != WQ_OK && e != WQ_EEXIST) {
                    die("CREATE %s: %s", name, wq_strerror(e));
                }
            }
        }
    } else if (is(s, "raw-ping") || is(s, "raw-oneway") || is(s, "workq-bulk")) {
        wq_err e = wq_conn_connect(NULL, w->endpoint, 5000, &w->conn);
        if (e != WQ_OK) {
            die("connect %s: %s", w->endpoint, wq_strerror(e));
        }
        if (is(s, "workq-bulk")) {
            wq_client_opts o;
            wq_client_opts_init(&o);
            if (wq_client_open(w->endpoint, &o, &w->wc) != WQ_OK) {
                die("workq connect");
            }
            wq_err ce = wq_client_create(w->wc, w->queue);
            if (ce != WQ_OK && ce != WQ_EEXIST) {
                die("CREATE: %s", wq_strerror(ce));
            }
        }
    } else if (is(s, "epoll-ping") || is(s, "epoll-job")) {
        w->fd = uds_connect(w->endpoint);
    } else if (is(s, "nng-ping")) {
        if (nng_req0_open(&w->ns) != 0) {
            die("nng_req0_open");
        }
        int rv = nng_dial(w->ns, w->endpoint, NULL, 0);
        if (rv != 0) {
            die("nng_dial %s: %s", w->endpoint, nng_strerror(rv));
        }
    } else if (is(s, "redis-ping") || is(s, "redis-job")) {
        w->rc = redisConnectUnix(w->endpoint);
        if (w->rc == NULL || w->rc->err) {
            die("redis connect %s", w->endpoint);
        }
    } else if (is(s, "bs-job")) {
        w->bs = calloc(1, sizeof *w->bs);
        if (w->bs == NULL) {
            die("out of memory");
        }
        w->bs->fd = uds_connect(w->endpoint);
        char cmd[128];
        int n = snprintf(cmd, sizeof cmd, "use %s\r\n", w->queue);
        write_all(w->bs->fd, cmd, (size_t)n);
        size_t l = bs_line(w->bs);
        if (strncmp(w->bs->buf, "USING ", 6) != 0) {
            die("beanstalkd use: %s", w->bs->buf);
        }
        bs_consume(w->bs, l + 2);
        n = snprintf(cmd, sizeof cmd, "watch %s\r\n", w->queue);
        write_all(w->bs->fd, cmd, (size_t)n);
        l = bs_line(w->bs);
        if (strncmp(w->bs->buf, "WATCHING ", 9) != 0) {
            die("beanstalkd watch: %s", w->bs->buf);
        }
        bs_consume(w->bs, l + 2);
        write_all(w->bs->fd, "ignore default\r\n", 16);
        l = bs_line(w->bs);
        bs_consume(w->bs, l + 2);
    } else {
        die("unknown scenario %s", s);
    }
}

static void close_worker(worker *w)
{
    if (w->held != 0 && wq_client_ack(w->wc, w->queue, w->held) != WQ_OK) {
        die("ACK of the last item failed");
    }
    if (w->wc != NULL && is(w->scenario, "workq-bulk")) {
        wq_client_purge(w->wc, w->queue, NULL);
    }
    wq_client_close(w->wc);
    wq_conn_close(w->conn);
    if (w->rc != NULL) {
        redisFree(w->rc);
    }
    if (is(w->scenario, "nng-ping")) {
        nng_close(w->ns);
    }
    if (w->bs != NULL) {
        close(w->bs->fd);
        free(w->bs);
    }
    if (is(w->scenario, "epoll-ping") || is(w->scenario, "epoll-job")) {
        close(w->fd);
    }
    free(w->payload);
}

static void op_workq_ping(worker *w)
{
    wq_err e = wq_client_ping(w->wc);
    if (e != WQ_OK) {
        die("PING: %s", wq_strerror(e));
    }
}

enum job_mode {
    JOB_PLAIN,     /* PUBLISH, RETRIEVE (the item just published), ACK */
    JOB_PIPELINED, /* the same; the ACK leaves with the next RETRIEVE
                    * (wq_client_ack_retrieve): two round trips, not three */
    JOB_DEEP,      /* on a queue with a backlog: RETRIEVE hands out the oldest
                    * item, not the one just published, so the depth stays */
};

static void op_workq_job(worker *w, uint64_t k, enum job_mode mode)
{
    fill_payload(w->payload, w->size, k);
    uint64_t id;
    wq_err e = wq_client_publish(w->wc, w->queue, w->payload, w->size, &id);
    if (e != WQ_OK) {
        die("PUBLISH: %s", wq_strerror(e));
    }
    wq_item it;
    int found = 0;
    e = w->held != 0 ? wq_client_ack_retrieve(w->wc, w->queue, w->held, -1, &it, &found)
                     : wq_client_retrieve(w->wc, w->queue, -1, &it, &found);
    if (e != WQ_OK || !found) {
        die("RETRIEVE: %s", e != WQ_OK ? wq_strerror(e) : "EMPTY");
    }
    int right = mode == JOB_DEEP ? it.id <= id && it.len == w->size
                                 : it.id == id && it.len == w->size &&
                                       memcmp(it.payload, w->payload, w->size) == 0;
    if (!right) {
        die("RETRIEVE: wrong item (id %" PRIu64 " vs %" PRIu64 ")", it.id, id);
    }
    wq_free(it.payload);
    if (mode == JOB_PIPELINED) {
        w->held = it.id; /* acknowledged with the next RETRIEVE */
        return;
    }
    e = wq_client_ack(w->wc, w->queue, it.id);
    if (e != WQ_OK) {
        die("ACK: %s", wq_strerror(e));
    }
}

static void op_raw_ping(worker *w, uint64_t k)
{
    fill_payload(w->payload, w->size, k);
    wq_err e = wq_conn_send(w->conn, w->payload, w->size, IO_MS);
    if (e != WQ_OK) {
        die("send: %s", wq_strerror(e));
    }
    void *buf;
    size_t len;
    e = wq_conn_recv(w->conn, 1u << 26, IO_MS, &buf, &len);
    if (e != WQ_OK) {
        die("recv: %s", wq_strerror(e));
    }
    if (len != w->size || memcmp(buf, w->payload, len) != 0) {
        die("raw echo mismatch");
    }
    wq_free(buf);
}

static void op_epoll_ping(worker *w, uint64_t k)
{
    unsigned char msg[4 + 65536];
    if (w->size > 65536) {
        die("size too large for epoll-ping");
    }
    msg[0] = (unsigned char)(w->size >> 24);
    msg[1] = (unsigned char)(w->size >> 16);
    msg[2] = (unsigned char)(w->size >> 8);
    msg[3] = (unsigned char)w->size;
    fill_payload(msg + 4, w->size, k);
    write_all(w->fd, msg, 4 + w->size);
    unsigned char back[4 + 65536];
    read_all(w->fd, back, 4);
    size_t n = ((size_t)back[0] << 24) | ((size_t)back[1] << 16) | ((size_t)back[2] << 8) | back[3];
    if (n != w->size) {
        die("epoll echo: wrong length");
    }
    read_all(w->fd, back + 4, n);
    if (memcmp(back, msg, 4 + n) != 0) {
        die("epoll echo mismatch");
    }
}

/* LIST: every one of the queues made in open_worker comes back. */
static void op_workq_list(worker *w)
{
    wq_queue_info *rows = NULL;
    size_t n = 0;
    wq_err e = wq_client_list(w->wc, &rows, &n);
    if (e != WQ_OK) {
        die("LIST: %s", wq_strerror(e));
    }
    size_t mine = 0;
    for (size_t i = 0; i < n; i++) {
        mine += strncmp(rows[i].name, "list", 4) == 0;
    }
    if (mine != w->size) {
        die("LIST: %zu of the %zu queues", mine, w->size);
    }
    wq_free(rows);
}

static void op_nng_ping(worker *w, uint64_t k)
{
    fill_payload(w->payload, w->size, k);
    int rv = nng_send(w->ns, w->payload, w->size, 0);
    if (rv != 0) {
        die("nng_send: %s", nng_strerror(rv));
    }
    void *buf;
    size_t len;
    rv = nng_recv(w->ns, &buf, &len, NNG_FLAG_ALLOC);
    if (rv != 0) {
        die("nng_recv: %s", nng_strerror(rv));
    }
    if (len != w->size || memcmp(buf, w->payload, len) != 0) {
        die("nng echo mismatch");
    }
    nng_free(buf, len);
}

static void op_redis_ping(worker *w)
{
    redisReply *r = redisCommand(w->rc, "PING");
    if (r == NULL || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0) {
        die("redis PING failed");
    }
    freeReplyObject(r);
}

static void op_redis_job(worker *w, uint64_t k)
{
    fill_payload(w->payload, w->size, k);
    redisReply *r = redisCommand(w->rc, "LPUSH %s %b", w->queue, w->payload, w->size);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        die("redis LPUSH failed");
    }
    freeReplyObject(r);
    r = redisCommand(w->rc, "RPOP %s", w->queue);
    if (r == NULL || r->type != REDIS_REPLY_STRING || (size_t)r->len != w->size ||
        memcmp(r->str, w->payload, w->size) != 0) {
        die("redis RPOP: wrong item");
    }
    freeReplyObject(r);
}

static void op_bs_job(worker *w, uint64_t k)
{
    bs_conn *b = w->bs;
    char cmd[65536 + 64];
    fill_payload(w->payload, w->size, k);
    int n = snprintf(cmd, sizeof cmd, "put 0 0 60 %zu\r\n", w->size);
    memcpy(cmd + n, w->payload, w->size);
    memcpy(cmd + n + w->size, "\r\n", 2);
    write_all(b->fd, cmd, (size_t)n + w->size + 2);
    size_t l = bs_line(b);
    unsigned long long id;
    if (sscanf(b->buf, "INSERTED %llu", &id) != 1) {
        die("beanstalkd put: %s", b->buf);
    }
    bs_consume(b, l + 2);
    write_all(b->fd, "reserve-with-timeout 0\r\n", 24);
    l = bs_line(b);
    unsigned long long rid;
    size_t rlen;
    if (sscanf(b->buf, "RESERVED %llu %zu", &rid, &rlen) != 2 || rid != id || rlen != w->size) {
        die("beanstalkd reserve: %s", b->buf);
    }
    bs_consume(b, l + 2);
    bs_need(b, rlen + 2);
    if (memcmp(b->buf, w->payload, rlen) != 0) {
        die("beanstalkd reserve: wrong payload");
    }
    bs_consume(b, rlen + 2);
    n = snprintf(cmd, sizeof cmd, "delete %llu\r\n", id);
    write_all(b->fd, cmd, (size_t)n);
    l = bs_line(b);
    if (strcmp(b->buf, "DELETED") != 0) {
        die("beanstalkd delete: %s", b->buf);
    }
    bs_consume(b, l + 2);
}

/* Pipelined PUBLISH of ops items of `size` bytes: a sender thread sends,
 * this thread reads the replies. */
typedef struct bulk_sender {
    worker *w;
    uint64_t n;
} bulk_sender;

static void *bulk_send_main(void *arg)
{
    bulk_sender *bs = arg;
    worker *w = bs->w;
    size_t hlen = strlen(w->queue) + 9;
    unsigned char *msg = malloc(hlen + w->size);
    if (msg == NULL) {
        die("out of memory");
    }
    snprintf((char *)msg, hlen + 1, "PUBLISH %s ", w->queue);
    memcpy(msg + hlen, w->payload, w->size);
    for (uint64_t i = 0; i < bs->n; i++) {
        wq_err e = wq_conn_send(w->conn, msg, hlen + w->size, IO_MS);
        if (e != WQ_OK) {
            die("bulk send: %s", wq_strerror(e));
        }
    }
    free(msg);
    return NULL;
}

static void run_bulk(worker *w)
{
    bulk_sender bs = {w, w->ops};
    pthread_t t;
    if (pthread_create(&t, NULL, bulk_send_main, &bs) != 0) {
        die("pthread_create");
    }
    for (uint64_t i = 0; i < w->ops; i++) {
        void *buf;
        size_t len;
        wq_err e = wq_conn_recv(w->conn, 1u << 20, IO_MS, &buf, &len);
        if (e != WQ_OK || len < 4 || memcmp(buf, "OK ", 3) != 0) {
            die("bulk PUBLISH reply: %s", e != WQ_OK ? wq_strerror(e) : (char *)buf);
        }
        wq_free(buf);
    }
    pthread_join(t, NULL);
    uint64_t purged = 0;
    if (wq_client_purge(w->wc, w->queue, &purged) != WQ_OK || purged != w->ops) {
        die("bulk: PURGE found %" PRIu64 " items, expected %" PRIu64, purged, w->ops);
    }
}

/* One-way: "SINK <n>" then n messages; the raw server answers "DONE <n>"
 * once all have arrived. */
static void run_oneway(worker *w)
{
    char hdr[64];
    int n = snprintf(hdr, sizeof hdr, "SINK %" PRIu64, w->ops);
    if (wq_conn_send(w->conn, hdr, (size_t)n, IO_MS) != WQ_OK) {
        die("oneway send");
    }
    for (uint64_t i = 0; i < w->ops; i++) {
        wq_err e = wq_conn_send(w->conn, w->payload, w->size, IO_MS);
        if (e != WQ_OK) {
            die("oneway send: %s", wq_strerror(e));
        }
    }
    void *buf;
    size_t len;
    wq_err e = wq_conn_recv(w->conn, 1024, IO_MS, &buf, &len);
    char want[64];
    snprintf(want, sizeof want, "DONE %" PRIu64, w->ops);
    if (e != WQ_OK || strcmp(buf, want) != 0) {
        die("oneway: bad DONE");
    }
    wq_free(buf);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_barrier);
    const char *s = w->scenario;
    if (is(s, "workq-bulk")) {
        run_bulk(w);
        w->done = w->ops;
    } else if (is(s, "raw-oneway")) {
        run_oneway(w);
        w->done = w->ops;
    } else {
        for (uint64_t k = 0; k < w->ops; k++) {
            if (is(s, "workq-ping")) {
                op_workq_ping(w);
            } else if (is(s, "workq-job")) {
                op_workq_job(w, k, JOB_PLAIN);
            } else if (is(s, "workq-job-deep")) {
                op_workq_job(w, k, JOB_DEEP);
            } else if (is(s, "workq-job-pipelined")) {
                op_workq_job(w, k, JOB_PIPELINED);
            } else if (is(s, "raw-ping")) {
                op_raw_ping(w, k);
            } else if (is(s, "epoll-ping")) {
                op_epoll_ping(w, k);
            } else if (is(s, "epoll-job")) {
                op_epoll_ping(w, 3 * k);
                op_epoll_ping(w, 3 * k + 1);
                op_epoll_ping(w, 3 * k + 2);
            } else if (is(s, "workq-list")) {
                op_workq_list(w);
            } else if (is(s, "nng-ping")) {
                op_nng_ping(w, k);
            } else if (is(s, "redis-ping")) {
                op_redis_ping(w);
            } else if (is(s, "redis-job")) {
                op_redis_job(w, k);
            } else if (is(s, "bs-job")) {
                op_bs_job(w, k);
            }
            w->done++;
        }
    }
    pthread_barrier_wait(&start_barrier);
    return NULL;
}

/* One repetition with nclients connections; returns elapsed seconds. */
static double one_rep(const char *scenario, const char *ep, int nclients, uint64_t ops, size_t size,
                      uint64_t *total)
{
    worker *ws = calloc((size_t)nclients, sizeof *ws);
    if (ws == NULL) {
        die("out of memory");
    }
    for (int i = 0; i < nclients; i++) {
        ws[i].scenario = scenario;
        ws[i].endpoint = ep;
        ws[i].index = i;
        ws[i].ops = ops;
        ws[i].size = size;
        open_worker(&ws[i]);
    }
    pthread_barrier_init(&start_barrier, NULL, (unsigned)nclients + 1);
    for (int i = 0; i < nclients; i++) {
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            die("pthread_create");
        }
    }
    pthread_barrier_wait(&start_barrier);
    double t0 = now_s();
    pthread_barrier_wait(&start_barrier);
    double t1 = now_s();
    *total = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(ws[i].thread, NULL);
        *total += ws[i].done;
        close_worker(&ws[i]);
    }
    pthread_barrier_destroy(&start_barrier);
    free(ws);
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_run(int argc, char **argv, int check)
{
    if (argc < (check ? 7 : 8)) {
        die("usage: run <scenario> <endpoint> <clients> <ops> <reps> <size>");
    }
    const char *scenario = argv[2];
    const char *ep = argv[3];
    int nclients = atoi(argv[4]);
    uint64_t ops = strtoull(argv[5], NULL, 10);
    int reps = check ? 1 : atoi(argv[6]);
    size_t size = (size_t)strtoull(argv[check ? 6 : 7], NULL, 10);
    if (nclients < 1 || reps < 1 || reps > MAX_REPS || ops == 0) {
        die("bad arguments");
    }
    int bytes = is(scenario, "workq-bulk") || is(scenario, "raw-oneway");
    uint64_t total;
    if (check) {
        one_rep(scenario, ep, nclients, ops, size, &total);
        if (total != ops * (uint64_t)nclients) {
            die("%s: %" PRIu64 " ops done, expected %" PRIu64, scenario, total,
                ops * (uint64_t)nclients);
        }
        printf("CHECK %s clients=%d size=%zu ok ops=%" PRIu64 "\n", scenario, nclients, size,
               total);
        return 0;
    }
    /* One warm-up repetition, not counted. */
    one_rep(scenario, ep, nclients, ops / 4 + 1, size, &total);
    double rate[MAX_REPS];
    for (int r = 0; r < reps; r++) {
        double dt = one_rep(scenario, ep, nclients, ops, size, &total);
        rate[r] = bytes ? (double)total * (double)size / dt / 1e6 : (double)total / dt;
        fprintf(stderr, "  %s c=%d rep %d: %.3f s\n", scenario, nclients, r + 1, dt);
    }
    qsort(rate, (size_t)reps, sizeof rate[0], cmp_double);
    double med = reps % 2 ? rate[reps / 2] : (rate[reps / 2 - 1] + rate[reps / 2]) / 2;
    printf("RESULT %s %d %s %.1f %.1f %.1f\n", scenario, nclients, bytes ? "MB/s" : "ops/s", med,
           rate[0], rate[reps - 1]);
    return 0;
}

/* ---- fill: put many items into workq or redis (depth, memory) ----------- */

static int cmd_fill(int argc, char **argv)
{
    if (argc < 6) {
        die("usage: fill <workq|redis> <endpoint> <items> <size>");
    }
    const char *what = argv[2];
    const char *ep = argv[3];
    uint64_t n = strtoull(argv[4], NULL, 10);
    size_t size = (size_t)strtoull(argv[5], NULL, 10);
    unsigned char *p = malloc(size + 1);
    if (p == NULL) {
        die("out of memory");
    }
    fill_payload(p, size, 7);
    const uint64_t batch = 1000;
    if (is(what, "workq")) {
        wq_client *c;
        if (wq_client_open(ep, NULL, &c) != WQ_OK) {
            die("workq connect");
        }
        wq_err e = wq_client_create(c, "deep");
        if (e != WQ_OK && e != WQ_EEXIST) {
            die("CREATE deep");
        }
        wq_client_close(c);
        wq_conn *conn;
        if (wq_conn_connect(NULL, ep, 5000, &conn) != WQ_OK) {
            die("connect");
        }
        /* Pipelined: a sender thread, replies read here (sending a batch
         * and then reading would deadlock once the server's replies fill
         * the socket buffer). */
        worker w;
        memset(&w, 0, sizeof w);
        w.conn = conn;
        w.size = size;
        w.payload = p;
        snprintf(w.queue, sizeof w.queue, "deep");
        bulk_sender bs = {&w, n};
        pthread_t t;
        if (pthread_create(&t, NULL, bulk_send_main, &bs) != 0) {
            die("pthread_create");
        }
        for (uint64_t j = 0; j < n; j++) {
            void *buf;
            size_t len;
            if (wq_conn_recv(conn, 4096, IO_MS, &buf, &len) != WQ_OK ||
                memcmp(buf, "OK ", 3) != 0) {
                die("fill: PUBLISH failed");
            }
            wq_free(buf);
        }
        pthread_join(t, NULL);
        (void)batch;
        wq_conn_close(conn);
    } else if (is(what, "redis")) {
        redisContext *rc = redisConnectUnix(ep);
        if (rc == NULL || rc->err) {
            die("redis connect");
        }
        for (uint64_t i = 0; i < n; i += batch) {
            uint64_t m = n - i < batch ? n - i : batch;
            for (uint64_t j = 0; j < m; j++) {
                redisAppendCommand(rc, "LPUSH deep %b", p, size);
            }
            for (uint64_t j = 0; j < m; j++) {
                redisReply *r;
                if (redisGetReply(rc, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_INTEGER) {
                    die("fill: LPUSH failed");
                }
                freeReplyObject(r);
            }
        }
        redisFree(rc);
    } else {
        die("fill: unknown %s", what);
    }
    free(p);
    return 0;
}

/* ---- servers ------------------------------------------------------------- */

static void *raw_conn_main(void *arg)
{
    wq_conn *c = arg;
    for (;;) {
        void *buf;
        size_t len;
        if (wq_conn_recv(c, 1u << 26, WQ_WAIT_FOREVER, &buf, &len) != WQ_OK) {
            break;
        }
        unsigned long long n;
        if (len > 5 && len < 32 && memcmp(buf, "SINK ", 5) == 0 &&
            sscanf((char *)buf + 5, "%llu", &n) == 1) {
            wq_free(buf);
            for (unsigned long long i = 0; i < n; i++) {
                if (wq_conn_recv(c, 1u << 26, WQ_WAIT_FOREVER, &buf, &len) != WQ_OK) {
                    goto out;
                }
                wq_free(buf);
            }
            char done[64];
            int dn = snprintf(done, sizeof done, "DONE %llu", n);
            if (wq_conn_send(c, done, (size_t)dn, IO_MS) != WQ_OK) {
                break;
            }
            continue;
        }
        wq_err e = wq_conn_send(c, buf, len, IO_MS);
        wq_free(buf);
        if (e != WQ_OK) {
            break;
        }
    }
out:
    wq_conn_close(c);
    return NULL;
}

static int serve_raw(const char *ep)
{
    wq_listener *l;
    wq_err e = wq_listener_open(NULL, ep, NULL, &l);
    if (e != WQ_OK) {
        die("listen %s: %s", ep, wq_strerror(e));
    }
    for (;;) {
        wq_conn *c;
        e = wq_listener_accept(l, WQ_WAIT_FOREVER, &c);
        if (e != WQ_OK) {
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, raw_conn_main, c) != 0) {
            wq_conn_close(c);
            continue;
        }
        pthread_detach(t);
    }
}

typedef struct econn {
    int fd;
    unsigned char *buf;
    size_t have, cap;
} econn;

static int serve_epoll(const char *path)
{
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1024) != 0) {
        die("epoll server: bind/listen %s: %s", path, strerror(errno));
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[128];
    for (;;) {
        int n = epoll_wait(ep, evs, 128, -1);
        for (int i = 0; i < n; i++) {
            econn *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    econn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    nc->cap = 65536 + 4;
                    nc->buf = malloc(nc->cap);
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            ssize_t r = recv(c->fd, c->buf + c->have, c->cap - c->have, 0);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                    continue;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                free(c->buf);
                free(c);
                continue;
            }
            c->have += (size_t)r;
            size_t off = 0;
            while (c->have - off >= 4) {
                unsigned char *h = c->buf + off;
                size_t len =
                    ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
                if (len > c->cap - 4) {
                    die("epoll server: message too large");
                }
                if (c->have - off < 4 + len) {
                    break;
                }
                /* Small replies to a client with one request in flight:
                 * the socket buffer has room; a blocking retry covers the
                 * rest. */
                size_t sent = 0;
                while (sent < 4 + len) {
                    ssize_t w = send(c->fd, h + sent, 4 + len - sent, MSG_NOSIGNAL);
                    if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
                        continue;
                    }
                    if (w < 0) {
                        break;
                    }
                    sent += (size_t)w;
                }
                off += 4 + len;
            }
            memmove(c->buf, c->buf + off, c->have - off);
            c->have -= off;
        }
    }
}

static int serve_nng(const char *url)
{
    nng_socket s;
    if (nng_rep0_open(&s) != 0) {
        die("nng_rep0_open");
    }
    int rv = nng_listen(s, url, NULL, 0);
    if (rv != 0) {
        die("nng_listen %s: %s", url, nng_strerror(rv));
    }
    for (;;) {
        void *buf;
        size_t len;
        if (nng_recv(s, &buf, &len, NNG_FLAG_ALLOC) != 0) {
            continue;
        }
        if (nng_send(s, buf, len, NNG_FLAG_ALLOC) != 0) {
            nng_free(buf, len);
        }
    }
}

/* ---- idle: memory per idle connection ------------------------------------ */

static long rss_kb(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        die("cannot read %s", path);
    }
    long kb = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
        }
    }
    fclose(f);
    return kb;
}

/* One PING on client i; dies unless it is answered. */
static void idle_ping(int redis, wq_conn **wc, redisContext **rc, int i)
{
    if (redis) {
        redisReply *r = redisCommand(rc[i], "PING");
        if (r == NULL || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0) {
            die("redis client %d: no PONG", i);
        }
        freeReplyObject(r);
        return;
    }
    void *buf;
    size_t len;
    if (wq_conn_send(wc[i], "PING", 4, IO_MS) != WQ_OK ||
        wq_conn_recv(wc[i], 1024, IO_MS, &buf, &len) != WQ_OK) {
        die("workq client %d: no reply", i);
    }
    if (len != 7 || memcmp(buf, "OK PONG", 7) != 0) {
        die("workq client %d: wrong reply", i);
    }
    wq_free(buf);
}

static int cmd_idle(int argc, char **argv)
{
    if (argc < 6) {
        die("usage: idle <workq|redis> <endpoint> <clients> <server-pid>");
    }
    int redis = is(argv[2], "redis");
    const char *ep = argv[3];
    int n = atoi(argv[4]);
    long pid = atol(argv[5]);
    if (n < 1 || pid < 1 || (!redis && !is(argv[2], "workq"))) {
        die("bad arguments");
    }
    wq_conn **wc = calloc((size_t)n, sizeof *wc);
    redisContext **rc = calloc((size_t)n, sizeof *rc);
    if (wc == NULL || rc == NULL) {
        die("out of memory");
    }
    long before = rss_kb(pid);
    for (int i = 0; i < n; i++) {
        if (redis) {
            rc[i] = redisConnectUnix(ep);
            if (rc[i] == NULL || rc[i]->err) {
                die("redis connect %d", i);
            }
        } else if (wq_conn_connect(NULL, ep, 5000, &wc[i]) != WQ_OK) {
            die("workq connect %d", i);
        }
        idle_ping(redis, wc, rc, i); /* the server has taken it in */
    }
    long after = rss_kb(pid);
    /* All idle now; every one must still be answered. */
    for (int i = 0; i < n; i++) {
        idle_ping(redis, wc, rc, i);
    }
    for (int i = 0; i < n; i++) {
        if (redis) {
            redisFree(rc[i]);
        } else {
            wq_conn_close(wc[i]);
        }
    }
    free(wc);
    free(rc);
    double per = (double)(after - before) / n;
    fprintf(stderr, "  idle %s: VmRSS %ld -> %ld kB with %d clients\n", argv[2], before, after, n);
    printf("RESULT idle-%s %d kB/conn %.2f %.2f %.2f\n", argv[2], n, per, per, per);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) {
        die("usage: see the comment at the top of bench/wqbench.c");
    }
    const char *cmd = argv[1];
    if (is(cmd, "serve-raw")) {
        return serve_raw(argv[2]);
    }
    if (is(cmd, "serve-epoll")) {
        return serve_epoll(argv[2]);
    }
    if (is(cmd, "serve-nng")) {
        return serve_nng(argv[2]);
    }
    if (is(cmd, "run")) {
        return cmd_run(argc, argv, 0);
    }
    if (is(cmd, "check")) {
        return cmd_run(argc, argv, 1);
    }
    if (is(cmd, "fill")) {
        return cmd_fill(argc, argv);
    }
    if (is(cmd, "idle")) {
        return cmd_idle(argc, argv);
    }
    die("unknown command %s", cmd);
    return 1;
}
