/* cli.h — the pure parts of workqctl (internal): argument parsing, the
 * exit-status mapping, JSON and table formatting.
 *
 * Nothing here does I/O or calls into the workq library (only its headers'
 * types and macros are used), so tests/test_workqctl.c can link these
 * files against anything and check them without a server or a process.
 * workqctl.c does the talking and the printing.
 */
#ifndef WQI_CLI_H
#define WQI_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

/* Exit statuses: one per class of failure, so scripts can branch on them.
 * Keep in step with the "exit status" part of the help text. */
#define WQI_CLI_EXIT_OK 0       /* success */
#define WQI_CLI_EXIT_EMPTY 1    /* retrieve found no item (grep's "no match") */
#define WQI_CLI_EXIT_USAGE 2    /* bad command line: nothing was sent */
#define WQI_CLI_EXIT_UNREACH 3  /* cannot reach the service, or lost it */
#define WQI_CLI_EXIT_REFUSED 4  /* 400, 403, 406, 413: the request as it stands */
#define WQI_CLI_EXIT_NOTFOUND 5 /* 404, 410 */
#define WQI_CLI_EXIT_EXISTS 6   /* 409 */
#define WQI_CLI_EXIT_BUSY 7     /* 503 busy or shutting down, 507 limit */
#define WQI_CLI_EXIT_INTERNAL 8 /* 500, protocol error, local failure */

typedef enum wqi_cli_cmd {
    WQI_CLI_NONE = 0,
    WQI_CLI_CREATE,
    WQI_CLI_DELETE,
    WQI_CLI_START,
    WQI_CLI_STOP,
    WQI_CLI_LIST,
    WQI_CLI_STATUS,
    WQI_CLI_PUBLISH,
    WQI_CLI_RETRIEVE,
    WQI_CLI_ACK,
    WQI_CLI_RELEASE,
    WQI_CLI_PURGE,
    WQI_CLI_PING,
    WQI_CLI_HELLO,
    WQI_CLI_HELP,   /* --help, -h or "help": print the help, exit 0 */
    WQI_CLI_VERSION /* --version: print "workqctl <version>", exit 0 */
} wqi_cli_cmd;

/* A parsed command line. Strings point into argv. */
typedef struct wqi_cli_args {
    wqi_cli_cmd cmd;
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
} wqi_cli_args;

/* Parse argv (argv[0] is the program) into *a. Options may come before or
 * after the command, as "--opt VALUE" or "--opt=VALUE"; "--" ends them.
 * Returns 0 on success, or -1 with a one-line reason (no program name, no
 * newline) in err: "unknown command 'frob'", "ack: bad ID 'x' (digits
 * only)". Numbers and queue names are checked here, strictly, so that a
 * bad one never reaches the wire. err_size may be 0. */
int wqi_cli_parse(int argc, char **argv, wqi_cli_args *a, char *err, size_t err_size);

/* The full --help text, in blocks: print each in turn up to the NULL. */
const char *const *wqi_cli_usage(void);

/* The exit status for a failed call's wq_err (WQ_OK gives 0). */
int wqi_cli_exit_status(wq_err err);

/* 1 if s[0..n) is a queue name docs/protocol.md accepts: 1 to 128 of
 * A-Z a-z 0-9 _ . - */
int wqi_cli_queue_name_ok(const char *s, size_t n);

/* Strict decimal: digits only (leading zeros allowed), at most max.
 * Returns 1 and sets *out, or 0. */
int wqi_cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* 1 if p[0..n) is UTF-8 as RFC 3629 has it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
int wqi_cli_utf8_valid(const void *p, size_t n);

/* A growable string for building output. Errors are sticky: after a failed
 * allocation every append is a no-op and `failed` stays set, so callers
 * check once at the end. data is NUL-terminated whenever it is not NULL.
 * Memory comes from malloc: free with wqi_cli_str_free. */
typedef struct wqi_cli_str {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} wqi_cli_str;

void wqi_cli_str_free(wqi_cli_str *s);
void wqi_cli_str_add(wqi_cli_str *s, const void *p, size_t n);
void wqi_cli_str_puts(wqi_cli_str *s, const char *z);
/* n copies of byte c. */
void wqi_cli_str_pad(wqi_cli_str *s, char c, size_t n);
/* The decimal digits of v. Hand-written: mingw's printf is Microsoft's, and
 * %llu / PRIu64 are not reliable there. */
void wqi_cli_str_u64(wqi_cli_str *s, uint64_t v);

/* p[0..n) as a JSON string, quotes included: '"' and '\\' escaped, control
 * characters as \b \f \n \r \t or \u00XX, everything else (UTF-8) as is.
 * Meant for valid UTF-8; see wqi_cli_json_payload for bytes. */
void wqi_cli_json_string(wqi_cli_str *s, const void *p, size_t n);

/* p[0..n) as standard base64 (RFC 4648, with '=' padding), no quotes. */
void wqi_cli_base64(wqi_cli_str *s, const void *p, size_t n);

/* The retrieve --json line for an item, newline included:
 * {"id":N,"payload":"<JSON string>"} when the payload is valid UTF-8, else
 * {"id":N,"payload_base64":"<base64>"} — JSON strings hold text, and
 * any way of smuggling raw bytes into one (\u00XX for a byte, say) is
 * indistinguishable from real characters, so binary goes as base64 under
 * its own key instead. */
void wqi_cli_json_item(wqi_cli_str *s, uint64_t id, const void *p, size_t n);

/* One row of the list table. */
typedef struct wqi_cli_row {
    const char *name;
    int started;
    uint64_t ready;
    uint64_t leased;
} wqi_cli_row;

/* The list table: a header "NAME STATE READY LEASED" and one line per row,
 * columns separated by two spaces and padded to their widest cell (the
 * header included); text columns are left-aligned, counts right-aligned, and
 * no line has trailing blanks. */
void wqi_cli_table(wqi_cli_str *s, const wqi_cli_row *rows, size_t n);

/* The list --json line, newline included:
 * [{"name":"Q","state":"started","ready":0,"leased":0},...] */
void wqi_cli_json_list(wqi_cli_str *s, const wqi_cli_row *rows, size_t n);

#endif /* WQI_CLI_H */
