/* workqctl.c — the workq command-line tool: parse the command line
 * (args.c), run one command through the public client API, print the
 * result (format.c), and exit with a status that says what happened.
 *
 * Exit statuses (cli.h, and the help text, which users read):
 *   0 success; 1 retrieve found no item; 2 usage error, nothing sent;
 *   3 cannot reach the service (WQ_ENOENT, WQ_EACCES, WQ_ETIMEDOUT,
 *     WQ_ECLOSED, WQ_EIO, ...); 4 request refused (400, 403, 406, 413);
 *   5 not found (404, 410); 6 already exists (409); 7 busy or full (503,
 *   507); 8 internal or protocol error, or a local failure.
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
    return complain(cmd, msg, NULL, NULL, NULL, wqi_cli_exit_status(err));
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
static int emit(const char *cmd, wqi_cli_str *s, FILE *f)
{
    int status = WQI_CLI_EXIT_OK;
    if (s->failed) {
        status = complain(cmd, "out of memory", NULL, NULL, NULL, WQI_CLI_EXIT_INTERNAL);
    } else if (put(s->data, s->len, f) != 0) {
        status = complain(cmd, "cannot write to standard output", NULL, NULL, NULL,
                          WQI_CLI_EXIT_INTERNAL);
    }
    wqi_cli_str_free(s);
    return status;
}

/* Read all of stdin, bytes as they are, into *s. */
static int read_stdin(const char *cmd, wqi_cli_str *s)
{
    if (wqi_stdio_binary(stdin) != 0) {
        return complain(cmd, "cannot switch standard input to binary mode", NULL, NULL, NULL,
                        WQI_CLI_EXIT_INTERNAL);
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
        if (n > STDIN_MAX - s->len) {
            return complain(cmd, "standard input is too large for one message (4 GiB)", NULL, NULL,
                            NULL, WQI_CLI_EXIT_REFUSED);
        }
        wqi_cli_str_add(s, chunk, n);
        if (s->failed) {
            return complain(cmd, "out of memory reading standard input", NULL, NULL, NULL,
                            WQI_CLI_EXIT_INTERNAL);
        }
    }
    if (ferror(stdin)) {
        return complain(cmd, "cannot read standard input", NULL, NULL, NULL, WQI_CLI_EXIT_INTERNAL);
    }
    return WQI_CLI_EXIT_OK;
}

static int do_list(const wqi_cli_args *a, wq_client *c)
{
    wq_queue_info *q = NULL;
    size_t n = 0;
    wq_err err = wq_client_list(c, &q, &n);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    wqi_cli_row *rows = n > 0 ? calloc(n, sizeof *rows) : NULL;
    if (n > 0 && rows == NULL) {
        wq_free(q);
        return complain(a->name, "out of memory", NULL, NULL, NULL, WQI_CLI_EXIT_INTERNAL);
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].name = q[i].name;
        rows[i].started = q[i].started;
        rows[i].ready = q[i].ready;
        rows[i].leased = q[i].leased;
    }
    wqi_cli_str s = {0};
    if (a->json) {
        wqi_cli_json_list(&s, rows, n);
    } else {
        wqi_cli_table(&s, rows, n);
    }
    free(rows);
    wq_free(q);
    return emit(a->name, &s, stdout);
}

static void key_u64(wqi_cli_str *s, const char *key, uint64_t v)
{
    wqi_cli_str_puts(s, key);
    wqi_cli_str_u64(s, v);
}

static int do_status(const wqi_cli_args *a, wq_client *c)
{
    wq_queue_info q;
    wq_err err = wq_client_status(c, a->queue, &q);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    const char *state = q.started ? "started" : "stopped";
    wqi_cli_str s = {0};
    if (a->json) {
        wqi_cli_str_puts(&s, "{\"name\":");
        wqi_cli_json_string(&s, q.name, strlen(q.name));
        wqi_cli_str_puts(&s, ",\"state\":\"");
        wqi_cli_str_puts(&s, state);
        key_u64(&s, "\",\"ready\":", q.ready);
        key_u64(&s, ",\"leased\":", q.leased);
        key_u64(&s, ",\"published\":", q.published);
        key_u64(&s, ",\"completed\":", q.completed);
        wqi_cli_str_puts(&s, "}\n");
    } else {
        wqi_cli_str_puts(&s, "name: ");
        wqi_cli_str_puts(&s, q.name);
        wqi_cli_str_puts(&s, "\nstate: ");
        wqi_cli_str_puts(&s, state);
        key_u64(&s, "\nready: ", q.ready);
        key_u64(&s, "\nleased: ", q.leased);
        key_u64(&s, "\npublished: ", q.published);
        key_u64(&s, "\ncompleted: ", q.completed);
        wqi_cli_str_puts(&s, "\n");
    }
    return emit(a->name, &s, stdout);
}

/* publish, purge: one number, plain or as {"<key>":N}. */
static int print_number(const wqi_cli_args *a, const char *json_key, uint64_t v)
{
    wqi_cli_str s = {0};
    if (a->json) {
        wqi_cli_str_puts(&s, "{\"");
        wqi_cli_str_puts(&s, json_key);
        wqi_cli_str_puts(&s, "\":");
    }
    wqi_cli_str_u64(&s, v);
    wqi_cli_str_puts(&s, a->json ? "}\n" : "\n");
    return emit(a->name, &s, stdout);
}

static int do_publish(const wqi_cli_args *a, wq_client *c, const wqi_cli_str *in)
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
static int do_retrieve(const wqi_cli_args *a, wq_client *c)
{
    if (!a->json && wqi_stdio_binary(stdout) != 0) {
        return complain(a->name, "cannot switch standard output to binary mode", NULL, NULL, NULL,
                        WQI_CLI_EXIT_INTERNAL);
    }
    wq_item item;
    int found = 0;
    wq_err err = wq_client_retrieve(c, a->queue, a->wait_ms, &item, &found);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    if (!found) {
        return WQI_CLI_EXIT_EMPTY;
    }
    char idtext[24];
    wqi_cli_str id = {0};
    wqi_cli_str_u64(&id, item.id);
    memcpy(idtext, id.failed ? "?" : id.data, id.failed ? 2 : id.len + 1);
    wqi_cli_str_free(&id);

    int written;
    if (a->json) {
        wqi_cli_str s = {0};
        wqi_cli_json_item(&s, item.id, item.payload, item.len);
        if (s.failed) {
            wq_free(item.payload);
            return complain(a->name, "out of memory formatting item ", idtext, NULL, NULL,
                            WQI_CLI_EXIT_INTERNAL);
        }
        written = put(s.data, s.len, stdout) == 0;
        wqi_cli_str_free(&s);
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
                        NULL, WQI_CLI_EXIT_INTERNAL);
    }
    if (a->ack && (err = wq_client_ack(c, a->queue, item.id)) != WQ_OK) {
        return complain(a->name, "ack of item ", idtext, " failed: ", wq_client_message(c),
                        wqi_cli_exit_status(err));
    }
    return WQI_CLI_EXIT_OK;
}

static int do_hello(const wqi_cli_args *a, wq_client *c)
{
    char version[64];
    uint64_t max = 0;
    wq_err err = wq_client_hello(c, version, sizeof version, &max);
    if (err != WQ_OK) {
        return call_failed(a->name, c, err);
    }
    wqi_cli_str s = {0};
    if (a->json) {
        wqi_cli_str_puts(&s, "{\"version\":");
        wqi_cli_json_string(&s, version, strlen(version));
        key_u64(&s, ",\"max_message\":", max);
        wqi_cli_str_puts(&s, "}\n");
    } else {
        wqi_cli_str_puts(&s, "version: ");
        wqi_cli_str_puts(&s, version);
        key_u64(&s, "\nmax_message: ", max);
        wqi_cli_str_puts(&s, "\n");
    }
    return emit(a->name, &s, stdout);
}

/* The commands whose success is silence. */
static int do_simple(const wqi_cli_args *a, wq_client *c)
{
    wq_err err;
    switch (a->cmd) {
    case WQI_CLI_CREATE:
        err = wq_client_create(c, a->queue);
        break;
    case WQI_CLI_DELETE:
        err = wq_client_delete(c, a->queue);
        break;
    case WQI_CLI_START:
        err = wq_client_start(c, a->queue);
        break;
    case WQI_CLI_STOP:
        err = wq_client_stop(c, a->queue);
        break;
    case WQI_CLI_ACK:
        err = wq_client_ack(c, a->queue, a->id);
        break;
    case WQI_CLI_RELEASE:
        err = wq_client_release(c, a->queue, a->id);
        break;
    default:
        err = WQ_EINVAL;
        break;
    }
    return err == WQ_OK ? WQI_CLI_EXIT_OK : call_failed(a->name, c, err);
}

static int dispatch(const wqi_cli_args *a, wq_client *c, const wqi_cli_str *in)
{
    wq_err err;
    uint64_t n = 0;
    const char *pong;
    switch (a->cmd) {
    case WQI_CLI_LIST:
        return do_list(a, c);
    case WQI_CLI_STATUS:
        return do_status(a, c);
    case WQI_CLI_PUBLISH:
        return do_publish(a, c, in);
    case WQI_CLI_RETRIEVE:
        return do_retrieve(a, c);
    case WQI_CLI_PURGE:
        err = wq_client_purge(c, a->queue, &n);
        return err == WQ_OK ? print_number(a, "purged", n) : call_failed(a->name, c, err);
    case WQI_CLI_PING:
        err = wq_client_ping(c);
        if (err != WQ_OK) {
            return call_failed(a->name, c, err);
        }
        pong = a->json ? "{\"pong\":true}\n" : "PONG\n";
        return put(pong, strlen(pong), stdout) == 0
                   ? WQI_CLI_EXIT_OK
                   : complain(a->name, "cannot write to standard output", NULL, NULL, NULL,
                              WQI_CLI_EXIT_INTERNAL);
    case WQI_CLI_HELLO:
        return do_hello(a, c);
    default:
        return do_simple(a, c);
    }
}

/* Connect, run the command, disconnect. */
static int run(const wqi_cli_args *a)
{
    /* Read stdin before connecting: a slow producer must not hold an idle
     * connection that the service may time out. */
    wqi_cli_str in = {0};
    int status = a->payload_stdin ? read_stdin(a->name, &in) : WQI_CLI_EXIT_OK;
    if (status != WQI_CLI_EXIT_OK) {
        wqi_cli_str_free(&in);
        return status;
    }
    /* Resolve first, for a clear message about a bad name and so that a
     * failed connect can say where it tried. */
    char where[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(NULL, a->endpoint, where, sizeof where);
    if (err != WQ_OK) {
        wqi_cli_str_free(&in);
        return complain(a->name, "bad endpoint: ", wq_strerror(err), NULL, NULL,
                        WQI_CLI_EXIT_USAGE);
    }
    wq_client_opts opts;
    wq_client_opts_init(&opts);
    if (a->has_timeout) {
        opts.timeout_ms = a->timeout_ms;
        opts.connect_timeout_ms = a->timeout_ms;
    }
    wq_client *c = NULL;
    err = wq_client_open(a->endpoint, &opts, &c);
    if (err != WQ_OK) {
        status = complain(a->name, "cannot connect to ", where, ": ", wq_strerror(err),
                          wqi_cli_exit_status(err));
    } else {
        status = dispatch(a, c, &in);
    }
    wq_client_close(c);
    wqi_cli_str_free(&in);
    return status;
}

int main(int argc, char **argv)
{
    if (wqi_cli_utf8_args(&argc, &argv) != 0) {
        fputs("workqctl: cannot read the command line\n", stderr);
        return WQI_CLI_EXIT_INTERNAL;
    }
    wqi_cli_args a;
    char why[512];
    if (wqi_cli_parse(argc, argv, &a, why, sizeof why) != 0) {
        fprintf(stderr, "workqctl: %s\ntry 'workqctl --help'\n", why);
        return WQI_CLI_EXIT_USAGE;
    }
    if (a.cmd == WQI_CLI_HELP) {
        for (const char *const *part = wqi_cli_usage(); *part != NULL; part++) {
            fputs(*part, stdout);
        }
    } else if (a.cmd == WQI_CLI_VERSION) {
        fputs("workqctl " WQ_VERSION_STRING "\n", stdout);
    } else {
        return run(&a);
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? WQI_CLI_EXIT_OK : WQI_CLI_EXIT_INTERNAL;
}
