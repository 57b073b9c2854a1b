/* workqctl.c — the workq command-line tool: parse the command line
 * (args.c), run one command through the public client API, print the
 * result (format.c), and exit with a status that says what happened.
 *
 * Exit statuses (cli.h, and the help text, which users read):
 *   0 success; 1 retrieve found no item; 2 usage error, nothing sent;
 *   3 cannot reach the service (WQ_ENOENT, WQ_EACCES, WQ_ETIMEDOUT,
 *     WQ_ECLOSED, WQ_EIO, ...); 4 request refused (400, 403, 406, 413);
 *   5 not found (404, 410); 6 already exists (409); 7 busy or full (503,
 *   507); 8 internal or protocol error, or a local failure; 9 not trusted
 *   (WQ_EUNTRUSTED, WQ_EUNSAFE: nothing was sent).
 *
 * Output rules: results go to stdout, everything else to stderr as one
 * line "workqctl: <command>: <reason>". retrieve writes the payload bytes
 * exactly as stored (binary-safe, no newline added, on a terminal too, so
 * that what a person sees is what a script gets) and "id: N" to stderr.
 *
 * Portable C: the OS-specific needs (binary stdio and UTF-8 arguments on
 * Windows) are behind stdio_mode.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <workq/client.h>
#include <workq/transport.h>

#include "cli.h"
#include "stdio_mode.h"

#ifndef WQ_VERSION_STRING
#error "the build must define WQ_VERSION_STRING (the project version)"
#endif

/* No payload can exceed what the wire's 4-byte length can carry, so stop
 * reading stdin there rather than exhausting memory. */
#define STDIN_MAX 0xFFFFFFFFu

/* One line "workqctl: <cmd>: <a><b><c><d>" on stderr (NULL pieces are
 * empty); returns status. */
static int complain(const char *cmd, const char *a, const char *b, const char *c, const char *d,
                    int status)
{
    fprintf(stderr, "workqctl: %s: %s%s%s%s\n", cmd, a, b != NULL ? b : "", c != NULL ? c : "",
            d != NULL ? d : "");
    return status;
}

/* A failed client call: the server's sentence or the local reason. */
static int call_failed(const char *cmd, const wq_client *c, wq_err err)
{
    const char *msg = wq_client_message(c);
    if (msg[0] == '\0') {
        msg = wq_strerror(err);
    }
    return complain(cmd, msg, NULL, NULL, NULL, wqc_exit_status(err));
}

/* Write n bytes to f and make sure they got there (flushed, no error). */
static int put(const void *p, size_t n, FILE *f)
{
    if (n > 0 && fwrite(p, 1, n, f) != n) {
        return -1;
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* Write what s holds to f; frees s. */
static int emit(const char *cmd, wqc_str *s, FILE *f)
{
    int status = WQC_EXIT_OK;
    if (s->failed) {
        status = complain(cmd, "out of memory", NULL, NULL, NULL, WQC_EXIT_INTERNAL);
    } else if (put(s->data, s->len, f) != 0) {
        status =
            complain(cmd, "cannot write to standard output", NULL, NULL, NULL, WQC_EXIT_INTERNAL);
    }
    wqc_str_free(s);
    return status;
}

/* Read all of stdin, bytes as they are, into *s. */
static int read_stdin(const char *cmd, wqc_str *s)
{
    if (wqc_stdio_binary(stdin) != 0) {
        return complain(cmd, "cannot switch standard input to binary mode", NULL, NULL, NULL,
                        WQC_EXIT_INTERNAL);
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (n > STDIN_MAX - s->len) {
            return complain(cmd, "standard input is too large for one message (4 GiB)", NULL, NULL,
                            NULL, WQC_EXIT_REFUSED);
        }
        wqc_str_add(s, chunk, n);
        if (s->failed) {
            return complain(cmd, "out of memory reading standard input", NULL, NULL, NULL,
                            WQC_EXIT_INTERNAL);
        }
    }
    if (ferror(stdin)) {
        return complain(cmd, "cannot read standard input", NULL, NULL, NULL, WQC_EXIT_INTERNAL);
    }
    return WQC_EXIT_OK;
}

static int do_list(const wqc_args *a, wq_client *c)
{
    wq_queue_info *q = NULL;
    size_t n = 0;
    wq_err err = wq_client_list(c, &q, &n);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    wqc_row *rows = n > 0 ? calloc(n, sizeof *rows) : NULL;
    if (n > 0 && rows == NULL) {
        wq_free(q);
        return complain(a->name, "out of memory", NULL, NULL, NULL, WQC_EXIT_INTERNAL);
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].name = q[i].name;
        rows[i].started = q[i].started;
        rows[i].ready = q[i].ready;
        rows[i].leased = q[i].leased;
    }
    wqc_str s = {0};
    if (a->json) {
        wqc_json_list(&s, rows, n);
    } else {
        wqc_table(&s, rows, n);
    }
    free(rows);
    wq_free(q);
    return emit(a->name, &s, stdout);
}

static void key_u64(wqc_str *s, const char *key, uint64_t v)
{
    wqc_str_puts(s, key);
    wqc_str_u64(s, v);
}

static int do_status(const wqc_args *a, wq_client *c)
{
    wq_queue_info q;
    wq_err err = wq_client_status(c, a->queue, &q);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    const char *state = q.started ? "started" : "stopped";
    wqc_str s = {0};
    if (a->json) {
        wqc_str_puts(&s, "{\"name\":");
        wqc_json_string(&s, q.name, strlen(q.name));
        wqc_str_puts(&s, ",\"state\":\"");
        wqc_str_puts(&s, state);
        key_u64(&s, "\",\"ready\":", q.ready);
        key_u64(&s, ",\"leased\":", q.leased);
        key_u64(&s, ",\"published\":", q.published);
        key_u64(&s, ",\"completed\":", q.completed);
        wqc_str_puts(&s, "}\n");
    } else {
        wqc_str_puts(&s, "name: ");
        wqc_str_puts(&s, q.name);
        wqc_str_puts(&s, "\nstate: ");
        wqc_str_puts(&s, state);
        key_u64(&s, "\nready: ", q.ready);
        key_u64(&s, "\nleased: ", q.leased);
        key_u64(&s, "\npublished: ", q.published);
        key_u64(&s, "\ncompleted: ", q.completed);
        wqc_str_puts(&s, "\n");
    }
    return emit(a->name, &s, stdout);
}

/* publish, purge: one number, plain or as {"<key>":N}. */
static int print_number(const wqc_args *a, const char *json_key, uint64_t v)
{
    wqc_str s = {0};
    if (a->json) {
        wqc_str_puts(&s, "{\"");
        wqc_str_puts(&s, json_key);
        wqc_str_puts(&s, "\":");
    }
    wqc_str_u64(&s, v);
    wqc_str_puts(&s, a->json ? "}\n" : "\n");
    return emit(a->name, &s, stdout);
}

static int do_publish(const wqc_args *a, wq_client *c, const wqc_str *in)
{
    const void *p = a->payload_stdin ? (const void *)in->data : a->payload;
    size_t len = a->payload_stdin ? in->len : strlen(a->payload);
    uint64_t id = 0;
    wq_err err = wq_client_publish(c, a->queue, p, len, &id);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    return print_number(a, "id", id);
}

/* Print the item, then (with --ack) complete it — in that order, so that a
 * failure to deliver the payload leaves the item to be retried: we exit
 * without acking and the service makes it ready again when our connection
 * closes. At-least-once, never lost. (On POSIX a reader that went away
 * kills us with SIGPIPE during the write, which ends the same way.) */
static int do_retrieve(const wqc_args *a, wq_client *c)
{
    if (!a->json && wqc_stdio_binary(stdout) != 0) {
        return complain(a->name, "cannot switch standard output to binary mode", NULL, NULL, NULL,
                        WQC_EXIT_INTERNAL);
    }
    wq_item item;
    int found = 0;
    wq_err err = wq_client_retrieve(c, a->queue, a->wait_ms, &item, &found);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    if (!found) {
        return WQC_EXIT_EMPTY;
    }
    char idtext[24];
    wqc_str id = {0};
    wqc_str_u64(&id, item.id);
    memcpy(idtext, id.failed ? "?" : id.data, id.failed ? 2 : id.len + 1);
    wqc_str_free(&id);

    int written;
    if (a->json) {
        wqc_str s = {0};
        wqc_json_item(&s, item.id, item.payload, item.len);
        if (s.failed) {
            wq_free(item.payload);
            return complain(a->name, "out of memory formatting item ", idtext, NULL, NULL,
                            WQC_EXIT_INTERNAL);
        }
        written = put(s.data, s.len, stdout) == 0;
        wqc_str_free(&s);
    } else {
        /* The id first: on a terminal it then stands on its own line
         * above the payload, which gets no newline of its own. */
        fprintf(stderr, "id: %s\n", idtext);
        written = put(item.payload, item.len, stdout) == 0;
    }
    wq_free(item.payload);
    if (!written) {
        return complain(a->name, "cannot write item ", idtext,
                        a->ack ? " to standard output; not acked, it is ready again once "
                                 "workqctl exits"
                               : " to standard output",
                        NULL, WQC_EXIT_INTERNAL);
    }
    if (a->ack && (err = wq_client_ack(c, a->queue, item.id)) != WQ_OK) {
        return complain(a->name, "ack of item ", idtext, " failed: ", wq_client_message(c),
                        wqc_exit_status(err));
    }
    return WQC_EXIT_OK;
}

static int do_hello(const wqc_args *a, wq_client *c)
{
    char version[64];
    uint64_t max = 0;
    wq_err err = wq_client_hello(c, version, sizeof version, &max);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    wqc_str s = {0};
    if (a->json) {
        wqc_str_puts(&s, "{\"version\":");
        wqc_json_string(&s, version, strlen(version));
        key_u64(&s, ",\"max_message\":", max);
        wqc_str_puts(&s, "}\n");
    } else {
        wqc_str_puts(&s, "version: ");
        wqc_str_puts(&s, version);
        key_u64(&s, "\nmax_message: ", max);
        wqc_str_puts(&s, "\n");
    }
    return emit(a->name, &s, stdout);
}

/* The commands whose success is silence. */
static int do_simple(const wqc_args *a, wq_client *c)
{
    wq_err err;
    switch (a->cmd) {
    case WQC_CREATE:
        err = wq_client_create(c, a->queue);
        break;
    case WQC_DELETE:
        err = wq_client_delete(c, a->queue);
        break;
    case WQC_START:
        err = wq_client_start(c, a->queue);
        break;
    case WQC_STOP:
        err = wq_client_stop(c, a->queue);
        break;
    case WQC_ACK:
        err = wq_client_ack(c, a->queue, a->id);
        break;
    case WQC_RELEASE:
        err = wq_client_release(c, a->queue, a->id);
        break;
    default:
        err = WQ_EINVAL;
        break;
    }
    return err == WQ_OK ? WQC_EXIT_OK : call_failed(a->name, c, err);
}

static int dispatch(const wqc_args *a, wq_client *c, const wqc_str *in)
{
    wq_err err;
    uint64_t n = 0;
    const char *pong;
    switch (a->cmd) {
    case WQC_LIST:
        return do_list(a, c);
    case WQC_STATUS:
        return do_status(a, c);
    case WQC_PUBLISH:
        return do_publish(a, c, in);
    case WQC_RETRIEVE:
        return do_retrieve(a, c);
    case WQC_PURGE:
        err = wq_client_purge(c, a->queue, &n);
        return err == WQ_OK ? print_number(a, "purged", n) : call_failed(a->name, c, err);
    case WQC_PING:
        err = wq_client_ping(c);
        if (err != WQ_OK) {
            return call_failed(a->name, c, err);
        }
        pong = a->json ? "{\"pong\":true}\n" : "PONG\n";
        return put(pong, strlen(pong), stdout) == 0
                   ? WQC_EXIT_OK
                   : complain(a->name, "cannot write to standard output", NULL, NULL, NULL,
                              WQC_EXIT_INTERNAL);
    case WQC_HELLO:
        return do_hello(a, c);
    default:
        return do_simple(a, c);
    }
}

/* Connect, run the command, disconnect. */
static int run(const wqc_args *a)
{
    /* Read stdin before connecting: a slow producer must not hold an idle
     * connection that the service may time out. */
    wqc_str in = {0};
    int status = a->payload_stdin ? read_stdin(a->name, &in) : WQC_EXIT_OK;
    if (status != WQC_EXIT_OK) {
        wqc_str_free(&in);
        return status;
    }
    /* Resolve first, for a clear message about a bad name and so that a
     * failed connect can say where it tried. */
    char where[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(NULL, a->endpoint, where, sizeof where);
    if (err != WQ_OK) {
        wqc_str_free(&in);
        return complain(a->name, "bad endpoint: ", wq_strerror(err), NULL, NULL, WQC_EXIT_USAGE);
    }
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    if (a->has_timeout) {
        opts.timeout_ms = a->timeout_ms;
        opts.connect_timeout_ms = a->timeout_ms;
    }
    opts.server_account = a->server_account;
    /* In two steps, so that a refused connect can say why in the
     * library's words (whom it found, whom it expected). */
    wq_client *c = NULL;
    err = wq_client_new(&opts, &c);
    if (err == WQ_OK) {
        err = wq_client_connect(c, a->endpoint);
    }
    if (err == WQ_EUNTRUSTED) {
        status =
            complain(a->name, "refusing to talk to the service: ", wq_client_message(c),
                     "; --server-account ACCOUNT trusts another account", NULL, WQC_EXIT_NOTRUST);
    } else if (err == WQ_EUNSAFE) {
        status = complain(a->name, "refusing to talk to the service: ", wq_client_message(c), NULL,
                          NULL, WQC_EXIT_NOTRUST);
    } else if (err == WQ_EINVAL && c != NULL) {
        /* The endpoint resolved above, so this is --server-account. */
        status = complain(a->name, wq_client_message(c), NULL, NULL, NULL, WQC_EXIT_USAGE);
    } else if (err != WQ_OK) {
        status = complain(a->name, "cannot connect to ", where, ": ", wq_strerror(err),
                          wqc_exit_status(err));
    } else {
        status = dispatch(a, c, &in);
    }
    wq_client_close(c);
    wqc_str_free(&in);
    return status;
}

int main(int argc, char **argv)
{
    if (wqc_utf8_args(&argc, &argv) != 0) {
        fputs("workqctl: cannot read the command line\n", stderr);
        return WQC_EXIT_INTERNAL;
    }
    wqc_args a;
    char why[512];
    if (wqc_parse(argc, argv, &a, why, sizeof why) != 0) {
        fprintf(stderr, "workqctl: %s\ntry 'workqctl --help'\n", why);
        return WQC_EXIT_USAGE;
    }
    if (a.cmd == WQC_HELP) {
        for (const char *const *part = wqc_usage(); *part != NULL; part++) {
            fputs(*part, stdout);
        }
    } else if (a.cmd == WQC_VERSION) {
        fputs("workqctl " WQ_VERSION_STRING "\n", stdout);
    } else {
        return run(&a);
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? WQC_EXIT_OK : WQC_EXIT_INTERNAL;
}
