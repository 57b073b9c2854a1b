/* server.c — the service: a listener, an accept thread, and one thread per
 * connection that loops receive → dispatch → send. The registry is the
 * only shared state; the server's own lock guards just the connection list
 * and the stop flags, and is never held across I/O. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <workq/server.h>

#include "alloc.h"
#include "buf.h"
#include "dispatch.h"
#include "platform.h"
#include "protocol.h"
#include "registry.h"
#include "transport_batch.h"
#include "utf16.h"

/* How long a reply may take to leave: a client that stops reading must not
 * hold a connection thread forever. */
#define SEND_TIMEOUT_MS 10000
/* docs/protocol.md: a message left half-sent is cut after 10 s. */
#define PARTIAL_MESSAGE_MS 10000
/* The unasked "busy" message to a connection over the limit. */
#define BUSY_SEND_MS 1000
/* Out of file descriptors: one log line at most this often, and a pause
 * before accepting again when not even the spare could make room. */
#define EMFILE_LOG_MS 60000
#define EMFILE_BACKOFF_MS 100
/* Memory running out and coming back at once: one log line at most this
 * often. */
#define OOM_LOG_MS 60000

struct conn {
    struct conn *next;
    struct conn *prev;
    wq_server *server;
    wq_conn *c;
    wqi_owner *owner;
    wqi_thread thread;
    int busy;     /* between receiving a request and sending its reply */
    int finished; /* the thread has ended and awaits its join */
};

struct wq_server {
    wq_server_config cfg;
    char endpoint[WQ_ENDPOINT_MAX]; /* resolved */
    wq_listener *listener;
    wqi_registry *registry;
    wqi_dispatch_ctx dispatch;
    wqi_thread accept_thread;

    wqi_mutex lock;
    wqi_cond changed;
    struct conn *live;     /* connections being served */
    struct conn *finished; /* ended, not yet joined */
    uint32_t nlive;
    int stopping;               /* wq_server_stop is draining */
    int stop_requested;         /* wq_server_request_stop was called */
    int memory_short;           /* the reserve was seen spent (alloc.h); reported */
    int64_t oom_next_report_ms; /* rate limit of "out of memory for a moment" */
    int has_reserve;            /* wqi_alloc_reserve_acquire succeeded */

    /* The accept thread's own (no lock): the spare descriptor that lets
     * it answer a client while out of descriptors (platform.h), and what
     * happened since the last report of that. */
    intptr_t spare;
    int emfile_reported;
    int64_t emfile_next_report_ms;
    uint64_t emfile_refused;    /* told 503 busy */
    uint64_t emfile_unanswered; /* no descriptor even for that */
};

static void logf_(wq_server *s, wq_log_level level, const char *fmt, ...)
{
    if (s->cfg.log == NULL || level > s->cfg.log_level) {
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->cfg.log(s->cfg.log_ctx, level, line);
}

void wq_server_config_init(wq_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_message = WQ_DEFAULT_MAX_MESSAGE;
    cfg->max_connections = WQ_DEFAULT_MAX_CONNECTIONS;
    cfg->max_queues = WQ_DEFAULT_MAX_QUEUES;
    cfg->log_level = WQ_LOG_INFO;
    cfg->stop_timeout_ms = WQ_DEFAULT_STOP_TIMEOUT_MS;
    cfg->max_memory = wq_server_default_max_memory();
}

uint64_t wq_server_memory_limit(void)
{
    return wqi_memory_limit();
}

uint64_t wq_server_default_max_memory(void)
{
    uint64_t limit = wqi_memory_limit();
    return limit != 0 ? limit / WQ_DEFAULT_MAX_MEMORY_SHARE : WQ_DEFAULT_MAX_MEMORY_UNKNOWN;
}

/* ---- connections ------------------------------------------------------- */

static void list_remove(struct conn **head, struct conn *cn)
{
    if (cn->prev != NULL) {
        cn->prev->next = cn->next;
    } else {
        *head = cn->next;
    }
    if (cn->next != NULL) {
        cn->next->prev = cn->prev;
    }
    cn->next = cn->prev = NULL;
}

static void list_push(struct conn **head, struct conn *cn)
{
    cn->prev = NULL;
    cn->next = *head;
    if (*head != NULL) {
        (*head)->prev = cn;
    }
    *head = cn;
}

/* Mark the connection busy (a request is in hand) unless the server is
 * stopping; returns 0 if the connection should end instead. */
static int begin_request(struct conn *cn)
{
    wq_server *s = cn->server;
    wqi_mutex_lock(&s->lock);
    int go = !s->stopping;
    cn->busy = go;
    wqi_mutex_unlock(&s->lock);
    return go;
}

/* The reply is out; returns 0 if the server is stopping (so the
 * connection, now idle, ends). */
static int end_request(struct conn *cn)
{
    wq_server *s = cn->server;
    wqi_mutex_lock(&s->lock);
    cn->busy = 0;
    int go = !s->stopping;
    wqi_mutex_unlock(&s->lock);
    return go;
}

/* Receive the next request. Idle connections wait up to the idle timeout
 * (or for ever); once a message has started it must finish within the
 * message timeout set in admit(). */
static wq_err receive(struct conn *cn, void **msg, size_t *len)
{
    wq_server *s = cn->server;
    int idle = s->cfg.idle_timeout_ms > 0 ? (int)s->cfg.idle_timeout_ms : WQ_WAIT_FOREVER;
    return wq_conn_recv(cn->c, s->cfg.max_message, idle, msg, len);
}

/* docs/protocol.md: a message left half-sent is cut after 10 s from its first
 * byte, or after the idle timeout if that is shorter. */
static int partial_message_ms(const wq_server *s)
{
    uint32_t idle = s->cfg.idle_timeout_ms;
    return idle > 0 && idle < PARTIAL_MESSAGE_MS ? (int)idle : PARTIAL_MESSAGE_MS;
}

/* Replies held back while more pipelined requests are already buffered,
 * to leave in one write (transport_batch.h). */
#define BATCH_MAX_BYTES (256u * 1024u)

struct batch {
    wqi_buf data; /* the replies, back to back */
    size_t len[WQI_SEND_MANY_MAX];
    size_t n;
};

static wq_err batch_flush(struct conn *cn, struct batch *b)
{
    wqi_msg m[WQI_SEND_MANY_MAX];
    size_t off = 0;
    for (size_t i = 0; i < b->n; i++) {
        m[i].data = b->data.data + off;
        m[i].len = b->len[i];
        off += b->len[i];
    }
    wq_err err = b->n > 0 ? wqi_conn_send_many(cn->c, m, b->n, SEND_TIMEOUT_MS) : WQ_OK;
    b->n = 0;
    wqi_buf_clear(&b->data);
    return err;
}

/* Hold reply; sends the batch once it is full. Short of memory to hold
 * it, sends what is held and then the reply, in order. */
static wq_err batch_add(struct conn *cn, struct batch *b, const wqi_buf *reply)
{
    wq_err err = wqi_buf_append(&b->data, reply->data, reply->len);
    if (err != WQ_OK) {
        err = batch_flush(cn, b);
        return err == WQ_OK ? wq_conn_send(cn->c, reply->data, reply->len, SEND_TIMEOUT_MS) : err;
    }
    b->len[b->n++] = reply->len;
    return b->n == WQI_SEND_MANY_MAX || b->data.len >= BATCH_MAX_BYTES ? batch_flush(cn, b) : WQ_OK;
}

/* A request that may wait (RETRIEVE with a wait) must not hold back the
 * replies before it. */
static int may_block(const void *msg, size_t len)
{
    wqi_request req;
    int wait = wqi_request_parse(msg, len, &req, NULL) == WQ_OK && req.verb == WQI_VERB_RETRIEVE &&
               req.has_wait && req.wait_ms > 0;
    wqi_request_free(&req);
    return wait;
}

/* A request the server had no memory to receive or answer: the fixed 507
 * reply, after the replies held before it. */
static wq_err answer_out_of_memory(struct conn *cn, struct batch *b)
{
    const void *data;
    size_t len;
    wqi_dispatch_out_of_memory(&data, &len);
    wq_err err = batch_flush(cn, b);
    return err == WQ_OK ? wq_conn_send(cn->c, data, len, SEND_TIMEOUT_MS) : err;
}

static void log_burst_error(wq_server *s, wq_err err)
{
    if (err != WQ_OK && err != WQ_ECLOSED) {
        logf_(s, WQ_LOG_WARN, "answering a connection failed: %s", wq_strerror(err));
    }
}

/* One request of a burst: dispatch it and send or hold its reply.
 * *sent tells whether the reply has left already. */
static wq_err serve_one(struct conn *cn, void *msg, size_t len, wqi_buf *out, struct batch *b,
                        int *sent)
{
    *sent = 0;
    if (msg == NULL) {
        *sent = 1;
        return answer_out_of_memory(cn, b);
    }
    if (b->n > 0 && may_block(msg, len)) {
        wq_err err = batch_flush(cn, b);
        if (err != WQ_OK) {
            wq_free(msg);
            return err;
        }
    }
    wq_err err = wqi_dispatch_block(&cn->server->dispatch, cn->owner, &msg, len, out);
    wq_free(msg); /* NULL if a PUBLISH kept it */
    if (err == WQ_ENOMEM) {
        *sent = 1;
        return answer_out_of_memory(cn, b);
    }
    return err;
}

/* Serve the request in msg (ours to free; NULL: one that could not be
 * received for lack of memory) and every pipelined request already
 * buffered behind it, all inside one begin/end_request, so that a
 * graceful stop never finds replies held back. The replies leave in as
 * few writes as the transport allows. */
static wq_err serve_burst(struct conn *cn, void *msg, size_t len, wqi_buf *out, struct batch *b)
{
    wq_server *s = cn->server;
    wq_err err;
    for (;;) {
        int sent;
        err = serve_one(cn, msg, len, out, b, &sent);
        if (err != WQ_OK) {
            break;
        }
        int more = wqi_conn_has_message(cn->c);
        if (!sent && b->n == 0 && !more) {
            /* The usual case, one request at a time: no copy. */
            err = wq_conn_send(cn->c, out->data, out->len, SEND_TIMEOUT_MS);
            break;
        }
        if (!sent) {
            err = batch_add(cn, b, out);
        }
        if (err != WQ_OK || !more) {
            break;
        }
        /* Already buffered: returns at once, without I/O. */
        err = wq_conn_recv(cn->c, s->cfg.max_message, 0, &msg, &len);
        if (err == WQ_ENOMEM) {
            msg = NULL; /* skipped by the transport: answered 507 */
            err = WQ_OK;
        }
        if (err != WQ_OK) {
            break;
        }
    }
    /* Whatever ended the burst, what was answered goes out. */
    wq_err ferr = batch_flush(cn, b);
    if (err == WQ_OK) {
        err = ferr;
    }
    log_burst_error(s, err);
    return err;
}

/* After each burst: if an allocation has failed and spent the reserve
 * (alloc.h), try to take it back, and say what happened: that PUBLISH is
 * refused (once, until memory is back), or, when the reserve could be
 * taken back at once, that memory ran out for a moment (at most once a
 * minute: at the edge of memory this can happen with every request). */
static void check_memory(wq_server *s)
{
    if (!wqi_alloc_reserve_spent()) {
        return; /* the usual case: one atomic read */
    }
    int restored = wqi_alloc_reserve_restore();
    int64_t now = wqi_clock_ms();
    wqi_mutex_lock(&s->lock);
    int was_short = s->memory_short;
    int brief = restored && !was_short && now >= s->oom_next_report_ms;
    if (brief) {
        s->oom_next_report_ms = now + OOM_LOG_MS;
    }
    s->memory_short = !restored;
    wqi_mutex_unlock(&s->lock);
    unsigned long long budget = (unsigned long long)s->cfg.max_memory;
    if (!restored && !was_short) {
        logf_(s, WQ_LOG_ERROR,
              "out of memory: PUBLISH is refused (507) until memory is free again, so that "
              "PURGE, DELETE, LIST and STATUS keep working; lower --max-memory (now %llu bytes) "
              "or give the service more memory",
              budget);
    } else if (restored && was_short) {
        logf_(s, WQ_LOG_WARN, "memory is available again: PUBLISH is accepted again");
    } else if (brief) {
        logf_(s, WQ_LOG_WARN,
              "out of memory for a moment: a request was answered 507; lower --max-memory (now "
              "%llu bytes) or give the service more memory (reported at most once a minute)",
              budget);
    }
}

/* Replies up to this size are formatted on the connection thread's own
 * stack, so an idle connection holds no reply buffer (larger ones move to
 * the heap and stay there, for that connection, up to 64 KiB). */
#define REPLY_ON_STACK 128u

static void serve(struct conn *cn)
{
    wq_server *s = cn->server;
    /* This frame is on the stack while the connection idles: keep it small
     * (platform/posix/uds_recv.c, wqi_uds_recv, says why). */
    uint8_t small[REPLY_ON_STACK];
    wqi_buf out;
    wqi_buf_init_on(&out, small, sizeof small);
    struct batch b;
    wqi_buf_init(&b.data);
    b.n = 0;
    for (;;) {
        void *msg;
        size_t len;
        wq_err err = receive(cn, &msg, &len);
        if (err == WQ_ENOMEM) {
            msg = NULL; /* skipped by the transport: answered 507 */
            err = WQ_OK;
        }
        if (err == WQ_EMSGSIZE) {
            /* docs/protocol.md: 413, then this connection (only) is closed. */
            if (wqi_dispatch_too_large(&out) == WQ_OK) {
                wq_conn_send(cn->c, out.data, out.len, SEND_TIMEOUT_MS);
            }
            logf_(s, WQ_LOG_WARN, "closing a connection that sent a request over %lu bytes",
                  (unsigned long)s->cfg.max_message);
            break;
        }
        if (err == WQ_ETIMEDOUT) {
            logf_(s, WQ_LOG_DEBUG, "closing an idle connection");
            break;
        }
        if (err != WQ_OK) {
            if (err != WQ_ECLOSED) {
                logf_(s, WQ_LOG_WARN, "connection receive failed: %s", wq_strerror(err));
            }
            break;
        }
        if (!begin_request(cn)) {
            wq_free(msg);
            break;
        }
        err = serve_burst(cn, msg, len, &out, &b);
        check_memory(s);
        if (!end_request(cn) || err != WQ_OK) {
            break;
        }
        /* A big reply (LIST, a large ITEM) should not pin memory while
         * the connection idles. */
        if (out.cap > 64 * 1024) {
            wqi_buf_free(&out);
        }
        if (b.data.cap > 64 * 1024) {
            wqi_buf_free(&b.data);
        }
    }
    wqi_buf_free(&b.data);
    wqi_buf_free(&out);
}

static void conn_main(void *arg)
{
    struct conn *cn = arg;
    wq_server *s = cn->server;
    serve(cn);
    /* Leased items go back to their queues before anyone can see this
     * connection gone. */
    wqi_registry_owner_destroy(s->registry, cn->owner);
    cn->owner = NULL;
    wqi_mutex_lock(&s->lock);
    list_remove(&s->live, cn);
    s->nlive--;
    cn->finished = 1;
    list_push(&s->finished, cn);
    wqi_cond_broadcast(&s->changed);
    wqi_mutex_unlock(&s->lock);
    /* Off the live list, nobody else can reach the connection: close it
     * now rather than when the accept loop next reaps, so that a quiet
     * server does not sit on the descriptors of departed clients. */
    wq_conn_close(cn->c);
    cn->c = NULL;
}

static void conn_free(struct conn *cn)
{
    wq_conn_close(cn->c); /* NULL once its thread has closed it */
    wqi_free(cn);
}

/* Join and free connections whose threads have ended (only the thread
 * and the small record are left by then). */
static void reap(wq_server *s)
{
    wqi_mutex_lock(&s->lock);
    struct conn *done = s->finished;
    s->finished = NULL;
    wqi_mutex_unlock(&s->lock);
    while (done != NULL) {
        struct conn *next = done->next;
        wqi_thread_join(&done->thread);
        conn_free(done);
        done = next;
    }
}

/* One connection we will not serve (over the limit, or no descriptor to
 * spare): tell it, unasked, and hang up. The caller logs. */
static void turn_away(wq_conn *c, const char *reply)
{
    wq_conn_send(c, reply, strlen(reply), BUSY_SEND_MS);
    wq_conn_close(c);
}

static const char busy_limit[] = "ERROR 503 " WQI_503_BUSY " connection limit reached";
static const char busy_memory[] = "ERROR 503 " WQI_503_BUSY " server out of memory";

/* Start cn's thread, registered as live. A thread's stack is not taken
 * through wqi_malloc, so running out of memory here does not spend the
 * reserve by itself: spend it and try once more, so that an operator can
 * still connect to free memory. */
static wq_err start_conn_thread(wq_server *s, struct conn *cn)
{
    wq_err err = WQ_EIO;
    for (int attempt = 0; attempt < 2 && err != WQ_OK; attempt++) {
        if (attempt > 0 && !wqi_alloc_reserve_spend()) {
            break;
        }
        wqi_mutex_lock(&s->lock);
        list_push(&s->live, cn);
        s->nlive++;
        err = wqi_thread_start(&cn->thread, conn_main, cn);
        if (err != WQ_OK) {
            list_remove(&s->live, cn);
            s->nlive--;
        }
        wqi_mutex_unlock(&s->lock);
    }
    return err;
}

static void admit(wq_server *s, wq_conn *c)
{
    struct conn *cn = wqi_calloc(1, sizeof *cn);
    wq_err err = cn != NULL ? wqi_registry_owner_create(s->registry, &cn->owner) : WQ_ENOMEM;
    if (err != WQ_OK) {
        wqi_free(cn);
        turn_away(c, busy_memory);
        logf_(s, WQ_LOG_ERROR, "cannot serve a connection: %s", wq_strerror(err));
        return;
    }
    cn->server = s;
    cn->c = c;
    wq_conn_set_message_timeout(c, partial_message_ms(s));
    err = start_conn_thread(s, cn);
    if (err != WQ_OK) {
        wqi_registry_owner_destroy(s->registry, cn->owner);
        cn->c = NULL;
        conn_free(cn);
        turn_away(c, busy_memory);
        logf_(s, WQ_LOG_ERROR, "cannot start a connection thread: %s", wq_strerror(err));
    }
}

/* Report running out of descriptors: what happened, the OS's words and
 * what to raise, once, then at most once per EMFILE_LOG_MS with what
 * happened meanwhile (a server at its limit meets this with every new
 * client; a line each time would flood the log). */
static void report_out_of_descriptors(wq_server *s, int told, const char *os_text)
{
    if (told) {
        s->emfile_refused++;
    } else {
        s->emfile_unanswered++;
    }
    int64_t now = wqi_clock_ms();
    if (s->emfile_reported && now < s->emfile_next_report_ms) {
        return;
    }
    s->emfile_reported = 1;
    s->emfile_next_report_ms = now + EMFILE_LOG_MS;
    wqi_mutex_lock(&s->lock);
    unsigned long nopen = (unsigned long)s->nlive;
    wqi_mutex_unlock(&s->lock);
    logf_(s, s->emfile_unanswered > 0 ? WQ_LOG_ERROR : WQ_LOG_WARN,
          "out of file descriptors (accept: %s) with %lu connections open: %llu client(s) "
          "answered 503 busy, %llu left waiting (reported at most once a minute); raise the "
          "limit (ulimit -n, or LimitNOFILE= under systemd) or lower --max-connections (now %lu)",
          os_text[0] != '\0' ? os_text : "too many open files", nopen,
          (unsigned long long)s->emfile_refused, (unsigned long long)s->emfile_unanswered,
          (unsigned long)s->cfg.max_connections);
    s->emfile_refused = 0;
    s->emfile_unanswered = 0;
}

/* accept failed for want of a descriptor. A client may be waiting in the
 * backlog that we can neither serve nor tell; and accept fails at once
 * whether or not one is (the OS wants the descriptor before it looks), so
 * trying again would spin. Instead give the spare's number to the next
 * client: release the spare and wait for one in its place. If the spare
 * can then be taken again, descriptors are back and the client is
 * returned to be served as usual; otherwise it is answered 503 busy and
 * closed, and the spare taken again. Without a spare, pause instead.
 * Returns the connection to serve, or NULL. */
static wq_conn *out_of_descriptors(wq_server *s, const char *os_text)
{
    if (!wqi_spare_take(&s->spare)) {
        report_out_of_descriptors(s, 0, os_text);
        wqi_sleep_ms(EMFILE_BACKOFF_MS);
        return NULL;
    }
    wqi_spare_release(&s->spare);
    wq_conn *c = NULL;
    wq_err err = wq_listener_accept(s->listener, WQ_WAIT_FOREVER, &c);
    int room = wqi_spare_take(&s->spare);
    if (err != WQ_OK) {
        if (err == WQ_EMFILE) {
            /* Someone else in the process took the number meanwhile. */
            report_out_of_descriptors(s, 0, os_text);
            wqi_sleep_ms(EMFILE_BACKOFF_MS);
        }
        return NULL; /* WQ_ECLOSED: the next accept says so too */
    }
    if (room) {
        return c;
    }
    turn_away(c, busy_limit);
    (void)wqi_spare_take(&s->spare); /* the number c just gave back */
    report_out_of_descriptors(s, 1, os_text);
    return NULL;
}

static void accept_main(void *arg)
{
    wq_server *s = arg;
    for (;;) {
        wq_conn *c;
        wq_err err = wq_listener_accept(s->listener, WQ_WAIT_FOREVER, &c);
        char os_text[128] = "";
        if (err == WQ_EMFILE) {
            /* The OS's own words, before another call can replace them. */
            (void)wq_os_error_last(NULL, os_text, sizeof os_text);
        }
        reap(s);
        if (err == WQ_ECLOSED) {
            return;
        }
        if (err == WQ_EMFILE) {
            c = out_of_descriptors(s, os_text);
            if (c == NULL) {
                continue;
            }
            err = WQ_OK;
        }
        if (err != WQ_OK) {
            /* Out of memory, say: log, back off a little so the loop does
             * not spin, and keep serving those already in. */
            logf_(s, WQ_LOG_ERROR, "accept failed: %s", wq_strerror(err));
            wqi_sleep_ms(100);
            continue;
        }
        wqi_mutex_lock(&s->lock);
        int full = s->nlive >= s->cfg.max_connections;
        wqi_mutex_unlock(&s->lock);
        if (full) {
            turn_away(c, busy_limit);
            logf_(s, WQ_LOG_WARN, "turned a connection away: %u connections open",
                  (unsigned)s->cfg.max_connections);
        } else {
            admit(s, c);
        }
    }
}

/* ---- lifecycle --------------------------------------------------------- */

static void server_free(wq_server *s)
{
    if (s->has_reserve) {
        wqi_alloc_reserve_release();
    }
    wq_listener_close(s->listener);
    wqi_spare_release(&s->spare);
    wqi_registry_destroy(s->registry);
    wqi_cond_destroy(&s->changed);
    wqi_mutex_destroy(&s->lock);
    wqi_free(s);
}

wq_err wq_server_start(const wq_server_config *cfg, wq_server **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (cfg == NULL || out == NULL || cfg->max_message == 0 || cfg->max_connections == 0) {
        if (cfg != NULL) {
            wq_listener_close(cfg->listener); /* ours, also on failure */
        }
        return WQ_EINVAL;
    }
    wq_server *s = wqi_calloc(1, sizeof *s);
    if (s == NULL) {
        wq_listener_close(cfg->listener);
        return WQ_ENOMEM;
    }
    s->cfg = *cfg;
    s->spare = -1;               /* taken below, once the listener is open */
    s->listener = cfg->listener; /* NULL unless given: then opened below */
    s->cfg.listener = NULL;
    wqi_mutex_init(&s->lock);
    wqi_cond_init(&s->changed);
    wq_err err = WQ_OK;
    if (s->listener != NULL) {
        /* Served as given: the name is only for reports. */
        snprintf(s->endpoint, sizeof s->endpoint, "%s",
                 cfg->endpoint != NULL ? cfg->endpoint : "(inherited listener)");
    } else {
        err = wq_endpoint_resolve(cfg->transport, cfg->endpoint, s->endpoint, sizeof s->endpoint);
    }
    s->cfg.endpoint = s->endpoint; /* the caller's string need not outlive us */

    wqi_registry_config rc;
    wqi_registry_config_init(&rc);
    rc.max_queues = cfg->max_queues;
    rc.max_items = cfg->max_items;
    rc.max_bytes = cfg->max_memory;
    rc.is_text = wqi_utf8_valid; /* UTF-16LE replies carry text only */
    if (err == WQ_OK) {
        err = wqi_registry_create(&rc, &s->registry);
    }
    if (err == WQ_OK && s->listener == NULL) {
        err = wq_listener_open(cfg->transport, s->endpoint, &cfg->listen, &s->listener);
    }
    s->dispatch.registry = s->registry;
    s->dispatch.version = WQ_VERSION_STRING;
    s->dispatch.max_message = cfg->max_message;
    s->dispatch.max_bytes = cfg->max_memory;
    if (err == WQ_OK) {
        err = wqi_alloc_reserve_acquire();
        s->has_reserve = err == WQ_OK;
    }
    if (err == WQ_OK) {
        /* Not having one is no reason not to start: the accept loop tries
         * again when it needs it. */
        (void)wqi_spare_take(&s->spare);
        err = wqi_thread_start(&s->accept_thread, accept_main, s);
    }
    if (err != WQ_OK) {
        /* Not logged here: the caller has the error and knows its context
         * (workqd adds a hint for the operator). */
        server_free(s);
        return err;
    }
    logf_(s, WQ_LOG_INFO, "listening on %s (%s)", s->endpoint, wq_transport_name(cfg->transport));
    *out = s;
    return WQ_OK;
}

void wq_server_request_stop(wq_server *s)
{
    if (s == NULL) {
        return;
    }
    wqi_mutex_lock(&s->lock);
    s->stop_requested = 1;
    wqi_cond_broadcast(&s->changed);
    wqi_mutex_unlock(&s->lock);
}

wq_err wq_server_wait(wq_server *s, int timeout_ms)
{
    if (s == NULL) {
        return WQ_EINVAL;
    }
    int64_t deadline = wqi_deadline(timeout_ms);
    wq_err err = WQ_OK;
    wqi_mutex_lock(&s->lock);
    while (!s->stop_requested && err == WQ_OK) {
        err = wqi_cond_wait_until(&s->changed, &s->lock, deadline);
    }
    err = s->stop_requested ? WQ_OK : WQ_ETIMEDOUT;
    wqi_mutex_unlock(&s->lock);
    return err;
}

void wq_server_stop(wq_server *s)
{
    if (s == NULL) {
        return;
    }
    logf_(s, WQ_LOG_INFO, "stopping");
    /* 1. No new connections. */
    wq_listener_shutdown(s->listener);
    wqi_thread_join(&s->accept_thread);
    /* 2. Waiters in RETRIEVE get "ERROR 503 shutdown …". */
    wqi_registry_shutdown(s->registry);
    /* 3. Idle connections are closed; busy ones finish their reply and
     *    then see `stopping` and end. */
    wqi_mutex_lock(&s->lock);
    s->stopping = 1;
    s->stop_requested = 1;
    for (struct conn *cn = s->live; cn != NULL; cn = cn->next) {
        if (!cn->busy) {
            wq_conn_shutdown(cn->c);
        }
    }
    /* 4. ... but not for longer than the deadline: a client that pipelines
     *    large replies and reads them slowly could otherwise hold the stop
     *    for as long as it likes, past any service manager's patience. */
    uint32_t grace = s->cfg.stop_timeout_ms;
    int64_t deadline = wqi_deadline(grace > (uint32_t)INT32_MAX ? INT32_MAX : (int)grace);
    while (s->nlive > 0 && wqi_cond_wait_until(&s->changed, &s->lock, deadline) == WQ_OK) {
    }
    uint32_t cut = s->nlive;
    for (struct conn *cn = s->live; cn != NULL; cn = cn->next) {
        wq_conn_shutdown(cn->c); /* their sends and receives end at once */
    }
    wqi_mutex_unlock(&s->lock);
    if (cut > 0) {
        logf_(s, WQ_LOG_WARN,
              "stop deadline of %lu ms passed: cutting %lu connection%s still busy (replies not "
              "yet sent are lost)",
              (unsigned long)grace, (unsigned long)cut, cut == 1 ? "" : "s");
    }
    wqi_mutex_lock(&s->lock);
    while (s->nlive > 0) {
        wqi_cond_wait(&s->changed, &s->lock);
    }
    wqi_cond_broadcast(&s->changed);
    wqi_mutex_unlock(&s->lock);
    /* 5. Join every thread and free. */
    reap(s);
    logf_(s, WQ_LOG_INFO, "stopped");
    server_free(s);
}

const char *wq_server_endpoint(const wq_server *s)
{
    return s != NULL ? s->endpoint : "";
}

uint32_t wq_server_connections(wq_server *s)
{
    if (s == NULL) {
        return 0;
    }
    wqi_mutex_lock(&s->lock);
    uint32_t n = s->nlive;
    wqi_mutex_unlock(&s->lock);
    return n;
}
