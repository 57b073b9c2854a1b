/* cli.h — the pure parts of workqctl (internal): argument parsing, the
 * exit-status mapping, JSON and table formatting.
 *
 * Nothing here does I/O or calls into the workq library (only its headers'
 * types and macros are used), so tests/test_workqctl.c can link these
 * files against anything and check them without a server or a process.
 * workqctl.c does the talking and the printing.
 */
#ifndef WQC_H
#define WQC_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

/* Exit statuses: one per class of failure, so scripts can branch on them.
 * Keep in step with the "exit status" part of the help text. */
#define WQC_EXIT_OK 0       /* success */
#define WQC_EXIT_EMPTY 1    /* retrieve found no item (grep's "no match") */
#define WQC_EXIT_USAGE 2    /* bad command line: nothing was sent */
#define WQC_EXIT_UNREACH 3  /* cannot reach the service, or lost it */
#define WQC_EXIT_REFUSED 4  /* 400, 403, 406, 413: the request as it stands */
#define WQC_EXIT_NOTFOUND 5 /* 404, 410 */
#define WQC_EXIT_EXISTS 6   /* 409 */
#define WQC_EXIT_BUSY 7     /* 503 busy or shutting down, 507 limit */
#define WQC_EXIT_INTERNAL 8 /* 500, protocol error, local failure */
#define WQC_EXIT_NOTRUST 9  /* not the service we trust (WQ_EUNTRUSTED, WQ_EUNSAFE) */

typedef enum wqc_cmd {
    WQC_NONE = 0,
    WQC_CREATE,
    WQC_DELETE,
    WQC_START,
    WQC_STOP,
    WQC_LIST,
    WQC_STATUS,
    WQC_PUBLISH,
    WQC_RETRIEVE,
    WQC_ACK,
    WQC_RELEASE,
    WQC_PURGE,
    WQC_PING,
    WQC_HELLO,
    WQC_HELP,   /* --help, -h or "help": print the help, exit 0 */
    WQC_VERSION /* --version: print "workqctl <version>", exit 0 */
} wqc_cmd;

/* A parsed command line. Strings point into argv. */
typedef struct wqc_args {
    wqc_cmd cmd;
    const char *name;     /* the command as typed ("retrieve"), for messages */
    const char *endpoint; /* --endpoint; NULL: $WORKQ_ENDPOINT or the default */
    int json;             /* --json */
    int has_timeout;      /* --timeout given */
    int timeout_ms;       /* --timeout; -1 (WQ_WAIT_FOREVER) for 0 = no limit */
    const char *queue;    /* every command that names a queue */
    const char *payload;  /* publish: the argument; NULL when from stdin */
    int payload_stdin;    /* publish: "-" was given */
    uint64_t id;          /* ack, release */
    int64_t wait_ms;      /* retrieve --wait; -1 when not given */
    int ack;              /* retrieve --ack */
    /* --server-account; NULL: $WORKQ_SERVER_ACCOUNT or none
     * (wq_client_opts.server_account) */
    const char *server_account;
} wqc_args;

/* Parse argv (argv[0] is the program) into *a. Options may come before or
 * after the command, as "--opt VALUE" or "--opt=VALUE"; "--" ends them.
 * Returns 0 on success, or -1 with a one-line reason (no program name, no
 * newline) in err: "unknown command 'frob'", "ack: bad ID 'x' (digits
 * only)". Numbers and queue names are checked here, strictly, so that a
 * bad one never reaches the wire. err_size may be 0. */
int wqc_parse(int argc, char **argv, wqc_args *a, char *err, size_t err_size);

/* The full --help text, in blocks: print each in turn up to the NULL. */
const char *const *wqc_usage(void);

/* The exit status for a failed call's wq_err (WQ_OK gives 0). */
int wqc_exit_status(wq_err err);

/* A growable string for building output. Errors are sticky: after a failed
 * allocation every append is a no-op and `failed` stays set, so callers
 * check once at the end. data is NUL-terminated whenever it is not NULL.
 * Memory comes from malloc: free with wqc_str_free. */
typedef struct wqc_str {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} wqc_str;

void wqc_str_free(wqc_str *s);
void wqc_str_add(wqc_str *s, const void *p, size_t n);
void wqc_str_puts(wqc_str *s, const char *z);
/* n copies of byte c. */
void wqc_str_pad(wqc_str *s, char c, size_t n);
/* The decimal digits of v. Hand-written: mingw's printf is Microsoft's, and
 * %llu / PRIu64 are not reliable there. */
void wqc_str_u64(wqc_str *s, uint64_t v);

/* p[0..n) as a JSON string, quotes included: '"' and '\\' escaped, control
 * characters as \b \f \n \r \t or \u00XX, everything else (UTF-8) as is.
 * Meant for valid UTF-8; see wqc_json_payload for bytes. */
void wqc_json_string(wqc_str *s, const void *p, size_t n);

/* p[0..n) as standard base64 (RFC 4648, with '=' padding), no quotes. */
void wqc_base64(wqc_str *s, const void *p, size_t n);

/* The retrieve --json line for an item, newline included:
 * {"id":N,"payload":"<JSON string>"} when the payload is valid UTF-8, else
 * {"id":N,"payload_base64":"<base64>"} — JSON strings hold text, and
 * any way of smuggling raw bytes into one (\u00XX for a byte, say) is
 * indistinguishable from real characters, so binary goes as base64 under
 * its own key instead. */
void wqc_json_item(wqc_str *s, uint64_t id, const void *p, size_t n);

/* One row of the list table. */
typedef struct wqc_row {
    const char *name;
    int started;
    uint64_t ready;
    uint64_t leased;
} wqc_row;

/* The list table: a header "NAME STATE READY LEASED" and one line per row,
 * columns separated by two spaces and padded to their widest cell (the
 * header included); text columns are left-aligned, counts right-aligned, and
 * no line has trailing blanks. */
void wqc_table(wqc_str *s, const wqc_row *rows, size_t n);

/* The list --json line, newline included:
 * [{"name":"Q","state":"started","ready":0,"leased":0},...] */
void wqc_json_list(wqc_str *s, const wqc_row *rows, size_t n);

#endif /* WQC_H */
