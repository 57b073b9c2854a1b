/* args.c — workqctl's command line: the help text, the parser, and the
 * mapping from wq_err to exit status. Pure: no I/O, no library calls. */
#include <string.h>

#include <workq/client.h>

#include "cli.h"
#include "decimal.h"
#include "queue_name.h"

/* In blocks: C11 promises string literals of 4095 bytes, not more. */
static const char *const usage_text[] = {
    "usage: workqctl [--endpoint NAME] [--server-account ACCOUNT] [--json]\n"
    "                [--timeout MS] <command> [arguments]\n"
    "\n"
    "Talk to a workq service: manage queues, publish and retrieve work items.\n"
    "\n"
    "commands:\n"
    "  create QUEUE          create a queue; it starts out stopped and empty\n"
    "  delete QUEUE          delete a queue with its items and leases\n"
    "  start QUEUE           start handing out items\n"
    "  stop QUEUE            stop handing out items (publish still works)\n"
    "  list                  every queue: NAME STATE READY LEASED, sorted by name\n"
    "  status QUEUE          one queue: name, state, ready, leased, published,\n"
    "                        completed, one 'key: value' per line\n"
    "  publish QUEUE PAYLOAD\n"
    "                        publish PAYLOAD as given; print the new item's id\n"
    "  publish QUEUE -       publish all of standard input, byte for byte\n"
    "  retrieve QUEUE [--wait MS] [--ack]\n"
    "                        lease the oldest ready item, write its payload to\n"
    "                        stdout exactly as stored (no newline is added) and\n"
    "                        'id: N' to stderr. --wait MS: let the service wait up\n"
    "                        to MS ms (0 to 4294967295) for an item. --ack: complete\n"
    "                        the item once its payload is fully written; if writing\n"
    "                        fails it is not acked. Without --ack the lease ends\n"
    "                        when workqctl exits and the item is ready again\n"
    "  ack QUEUE ID          complete item ID\n"
    "  release QUEUE ID      make item ID ready again\n"
    "                        Only the connection that holds an item's lease may\n"
    "                        ack or release it, and each workqctl run is its own\n"
    "                        connection, so from workqctl these two get 'not\n"
    "                        found' (exit 5); to complete items use retrieve --ack\n"
    "  purge QUEUE           drop the ready items (leased ones stay); print how many\n"
    "  ping                  check that the service answers; prints PONG\n"
    "  hello                 print the service's version and largest request size\n"
    "  help                  show this help\n"
    "\n",
    "options (before or after the command; --opt VALUE or --opt=VALUE):\n"
    "  --endpoint NAME  the service to talk to; default $WORKQ_ENDPOINT if set,\n"
    "                   else WorkQueueService. A plain name is \\\\.\\pipe\\NAME on\n"
    "                   Windows and $XDG_RUNTIME_DIR/workq/NAME.sock (else\n"
    "                   /tmp/workq-UID/NAME.sock) on POSIX; a name with a path\n"
    "                   separator is used as given\n"
    "  --server-account ACCOUNT\n"
    "                   also trust a service that runs as ACCOUNT; default\n"
    "                   $WORKQ_SERVER_ACCOUNT if set. Before sending anything,\n"
    "                   workqctl checks that the service runs as you, as root\n"
    "                   (POSIX) or SYSTEM, Administrators or NT SERVICE\\NAME\n"
    "                   (Windows), or as ACCOUNT, and that the directory of a\n"
    "                   plain name's socket is yours alone (POSIX); otherwise it\n"
    "                   refuses (exit 9). ACCOUNT: a user name or uid (POSIX), an\n"
    "                   account name or SID (Windows). Under systemd's\n"
    "                   workqd.service: --server-account workq\n"
    "  --json           print results as JSON (below)\n"
    "  --timeout MS     give up on a reply after MS ms (default 30000) and on\n"
    "                   connecting to a busy service after MS ms (default 5000);\n"
    "                   0 waits without limit. retrieve's --wait comes on top\n"
    "  -h, --help       show this help\n"
    "  --version        show workqctl's version\n"
    "  --               end of options: what follows is never an option (for a\n"
    "                   payload that starts with '-')\n"
    "Numbers (ID, MS) are decimal digits only. Queue names are\n" WQI_QUEUE_NAME_RULE
    " and are compared ignoring case.\n"
    "\n",
    "output with --json (one line each):\n"
    "  list      [{\"name\":\"Q\",\"state\":\"started\",\"ready\":0,\"leased\":0},...]\n"
    "  status    {\"name\":\"Q\",\"state\":\"stopped\",\"ready\":0,\"leased\":0,\n"
    "             \"published\":0,\"completed\":0}\n"
    "  publish   {\"id\":N}\n"
    "  retrieve  {\"id\":N,\"payload\":\"...\"}, or {\"id\":N,\"payload_base64\":\"...\"}\n"
    "            when the payload is not valid UTF-8\n"
    "  purge     {\"purged\":N}\n"
    "  ping      {\"pong\":true}\n"
    "  hello     {\"version\":\"...\",\"max_message\":N}\n"
    "create, delete, start, stop, ack and release print nothing on success, and\n"
    "retrieve prints nothing when there is no item, with or without --json.\n"
    "Errors are one line on stderr: 'workqctl: COMMAND: REASON'.\n"
    "\n",
    "exit status:\n"
    "  0  success\n"
    "  1  retrieve found no item (like grep's 'no match')\n"
    "  2  usage: unknown command or option, wrong arguments, bad number, queue\n"
    "     name or endpoint; nothing was sent\n"
    "  3  cannot reach the service: not running, access denied, timed out,\n"
    "     connection lost\n"
    "  4  request refused: bad request (400), not allowed (403), not text (406),\n"
    "     too large (413)\n"
    "  5  not found: no such queue or lease (404), queue deleted while waiting (410)\n"
    "  6  already exists (409)\n"
    "  7  busy or full: server busy or shutting down (503), limit reached (507)\n"
    "  8  internal or protocol error (500, a malformed reply), or a local failure\n"
    "     (out of memory, cannot read stdin or write stdout)\n"
    "  9  not trusted: the service runs as an unexpected account, or the runtime\n"
    "     directory of its socket is not yours alone; nothing was sent\n",
    NULL};

const char *const *wqc_usage(void)
{
    return usage_text;
}

/* The exit-status classes (see cli.h and the help). The rule of thumb:
 * 3 "the service was not there to ask", 4 "it said no to this request as
 * written — retrying it unchanged will not help" (403 belongs here: it is a
 * refusal of this client, not a passing state), 7 "it said no for now or
 * because something is full", 9 "we did not ask: whoever is there is not
 * to be trusted" (an unsafe path is one too: the client meets WQ_EUNSAFE
 * only from its runtime-directory check or a symlink loop). Anything
 * unexpected is 8, never 0. */
int wqc_exit_status(wq_err err)
{
    switch (err) {
    case WQ_OK:
        return WQC_EXIT_OK;
    case WQ_ENOENT:
    case WQ_EACCES:
    case WQ_ETIMEDOUT:
    case WQ_ECLOSED:
    case WQ_EIO:
    case WQ_ENAMETOOLONG:
    case WQ_EADDRINUSE:
        return WQC_EXIT_UNREACH;
    case WQ_EUNTRUSTED:
    case WQ_EUNSAFE:
        return WQC_EXIT_NOTRUST;
    case WQ_EBADREQ:
    case WQ_EFORBIDDEN:
    case WQ_ENOTTEXT:
    case WQ_EMSGSIZE:
        return WQC_EXIT_REFUSED;
    case WQ_ENOTFOUND:
    case WQ_EGONE:
        return WQC_EXIT_NOTFOUND;
    case WQ_EEXIST:
        return WQC_EXIT_EXISTS;
    case WQ_EBUSY:
    case WQ_ESHUTDOWN:
    case WQ_ELIMIT:
        return WQC_EXIT_BUSY;
    case WQ_EINTERNAL:
    case WQ_EPROTO:
    case WQ_EINVAL:
    case WQ_ENOMEM:
    case WQ_ENOSPC: /* no protocol code: only ever a local failure */
    default:
        return WQC_EXIT_INTERNAL;
    }
}

/* One row per command: what it takes, for the parser and its messages. */
typedef struct command {
    const char *name;
    wqc_cmd cmd;
    int nargs;         /* positional arguments after the command name */
    const char *usage; /* "create QUEUE" */
} command;

static const command commands[] = {
    {"create", WQC_CREATE, 1, "create QUEUE"},
    {"delete", WQC_DELETE, 1, "delete QUEUE"},
    {"start", WQC_START, 1, "start QUEUE"},
    {"stop", WQC_STOP, 1, "stop QUEUE"},
    {"list", WQC_LIST, 0, "list"},
    {"status", WQC_STATUS, 1, "status QUEUE"},
    {"publish", WQC_PUBLISH, 2, "publish QUEUE PAYLOAD|-"},
    {"retrieve", WQC_RETRIEVE, 1, "retrieve QUEUE [--wait MS] [--ack]"},
    {"ack", WQC_ACK, 2, "ack QUEUE ID"},
    {"release", WQC_RELEASE, 2, "release QUEUE ID"},
    {"purge", WQC_PURGE, 1, "purge QUEUE"},
    {"ping", WQC_PING, 0, "ping"},
    {"hello", WQC_HELLO, 0, "hello"},
    {"help", WQC_HELP, -1, "help"}, /* -1: ignores what follows */
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Parser state. Only the first problem is reported, but scanning goes on
 * so that a --help anywhere (before "--") still wins over it. */
typedef struct parser {
    char *err;
    size_t err_size;
    int failed;
    int help;
    int version;
    const command *cmd;
    const char *pos[3]; /* the first positional arguments after the command */
    int npos;           /* how many there were, all told */
    int wait_given;
    int ack_given;
} parser;

/* Record the first failure as the concatenation of up to six pieces (NULL
 * pieces skipped), truncated to fit. Concatenation rather than a printf
 * format keeps user text out of format strings. */
static void fail(parser *ps, const char *a, const char *b, const char *c, const char *d,
                 const char *e, const char *f)
{
    if (ps->failed) {
        return;
    }
    ps->failed = 1;
    if (ps->err == NULL || ps->err_size == 0) {
        return;
    }
    const char *parts[6] = {a, b, c, d, e, f};
    size_t len = 0;
    for (int i = 0; i < 6; i++) {
        for (const char *p = parts[i]; p != NULL && *p != '\0' && len + 1 < ps->err_size; p++) {
            ps->err[len++] = *p;
        }
    }
    ps->err[len] = '\0';
}

/* "--name" or "--name=value": 1 if arg is that option, with *value the text
 * after '=' (or NULL without one). */
static int is_opt(const char *arg, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) {
        return 0;
    }
    if (arg[n] == '\0') {
        *value = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    return 0;
}

/* An option's value: the text after '=' or the next argument (consumed). */
static const char *opt_value(parser *ps, const char *opt, const char *inline_value, int argc,
                             char **argv, int *i)
{
    if (inline_value != NULL) {
        return inline_value;
    }
    if (*i + 1 >= argc) {
        fail(ps, opt, " needs a value", NULL, NULL, NULL, NULL);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

static void flag_without_value(parser *ps, const char *opt, const char *inline_value)
{
    if (inline_value != NULL) {
        fail(ps, opt, " takes no value", NULL, NULL, NULL, NULL);
    }
}

/* Handle argv[*i], which starts with '-' and is not "-" or "--". */
static void parse_option(parser *ps, wqc_args *a, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *v = NULL;
    uint64_t n = 0;
    if (strcmp(arg, "-h") == 0 || is_opt(arg, "--help", &v)) {
        ps->help = 1;
    } else if (is_opt(arg, "--version", &v)) {
        flag_without_value(ps, "--version", v);
        ps->version = 1;
    } else if (is_opt(arg, "--json", &v)) {
        flag_without_value(ps, "--json", v);
        a->json = 1;
    } else if (is_opt(arg, "--ack", &v)) {
        flag_without_value(ps, "--ack", v);
        a->ack = 1;
        ps->ack_given = 1;
    } else if (is_opt(arg, "--endpoint", &v)) {
        v = opt_value(ps, "--endpoint", v, argc, argv, i);
        if (v != NULL && *v == '\0') {
            /* "" would quietly mean the default; say so instead. */
            fail(ps, "--endpoint needs a name", NULL, NULL, NULL, NULL, NULL);
        } else if (v != NULL) {
            a->endpoint = v;
        }
    } else if (is_opt(arg, "--server-account", &v)) {
        v = opt_value(ps, "--server-account", v, argc, argv, i);
        if (v != NULL && *v == '\0') {
            /* "" would quietly mean $WORKQ_SERVER_ACCOUNT or nobody. */
            fail(ps, "--server-account needs an account", NULL, NULL, NULL, NULL, NULL);
        } else if (v != NULL) {
            a->server_account = v;
        }
    } else if (is_opt(arg, "--timeout", &v)) {
        v = opt_value(ps, "--timeout", v, argc, argv, i);
        /* The transport takes an int; 0 is "no limit" (WQ_WAIT_FOREVER),
         * since a zero timeout would fail every request. */
        if (v != NULL && !wqi_decimal_parse_str(v, INT32_MAX, &n)) {
            fail(ps, "bad --timeout '", v, "' (milliseconds: digits only, 0 to 2147483647)", NULL,
                 NULL, NULL);
        } else if (v != NULL) {
            a->has_timeout = 1;
            a->timeout_ms = n == 0 ? WQ_WAIT_FOREVER : (int)n;
        }
    } else if (is_opt(arg, "--wait", &v)) {
        v = opt_value(ps, "--wait", v, argc, argv, i);
        /* docs/protocol.md: <wait-ms> fits in 32 bits unsigned. */
        if (v != NULL && !wqi_decimal_parse_str(v, UINT32_MAX, &n)) {
            fail(ps, "bad --wait '", v, "' (milliseconds: digits only, 0 to 4294967295)", NULL,
                 NULL, NULL);
        } else if (v != NULL) {
            a->wait_ms = (int64_t)n;
            ps->wait_given = 1;
        }
    } else {
        fail(ps, "unknown option '", arg, "'", NULL, NULL, NULL);
    }
}

static void positional(parser *ps, const char *arg)
{
    if (ps->cmd == NULL) {
        for (size_t k = 0; k < NCOMMANDS; k++) {
            if (strcmp(arg, commands[k].name) == 0) {
                ps->cmd = &commands[k];
                return;
            }
        }
        fail(ps, "unknown command '", arg, "'", NULL, NULL, NULL);
        return;
    }
    if (ps->npos < 3) {
        ps->pos[ps->npos] = arg;
    }
    ps->npos++;
}

/* Check the positional arguments against the command and store them. */
static void finish(parser *ps, wqc_args *a)
{
    const command *c = ps->cmd;
    a->cmd = c->cmd;
    a->name = c->name;
    if (c->nargs < 0) {
        return;
    }
    if (ps->npos > c->nargs) {
        /* No command takes more than 2, so pos[nargs] is always stored. */
        fail(ps, c->name, ": unexpected argument '", ps->pos[c->nargs], "' (usage: workqctl ",
             c->usage, ")");
        return;
    }
    if (ps->npos < c->nargs) {
        const char *what = ps->npos == 0           ? "QUEUE"
                           : c->cmd == WQC_PUBLISH ? "PAYLOAD (or - for stdin)"
                                                   : "ID";
        fail(ps, c->name, ": missing ", what, " (usage: workqctl ", c->usage, ")");
        return;
    }
    if (ps->wait_given && c->cmd != WQC_RETRIEVE) {
        fail(ps, c->name, ": --wait is only for retrieve", NULL, NULL, NULL, NULL);
        return;
    }
    if (ps->ack_given && c->cmd != WQC_RETRIEVE) {
        /* ack as a separate run cannot work (leases belong to a
         * connection); point at the form that does. */
        fail(ps, c->name, ": --ack is only for retrieve", NULL, NULL, NULL, NULL);
        return;
    }
    if (c->nargs >= 1) {
        a->queue = ps->pos[0];
        if (!wqi_queue_name_valid(a->queue, strlen(a->queue))) {
            fail(ps, c->name, ": bad queue name '", a->queue, "' (" WQI_QUEUE_NAME_RULE ")", NULL,
                 NULL);
            return;
        }
    }
    if (c->cmd == WQC_PUBLISH) {
        if (strcmp(ps->pos[1], "-") == 0) {
            a->payload_stdin = 1;
        } else {
            a->payload = ps->pos[1];
        }
    } else if (c->cmd == WQC_ACK || c->cmd == WQC_RELEASE) {
        if (!wqi_decimal_parse_str(ps->pos[1], UINT64_MAX, &a->id)) {
            fail(ps, c->name, ": bad ID '", ps->pos[1],
                 "' (digits only, 0 to 18446744073709551615)", NULL, NULL);
        }
    }
}

int wqc_parse(int argc, char **argv, wqc_args *a, char *err, size_t err_size)
{
    memset(a, 0, sizeof *a);
    a->wait_ms = -1;
    a->timeout_ms = WQ_DEFAULT_CLIENT_TIMEOUT_MS;
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.err = err;
    ps.err_size = err_size;
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }

    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0' &&
                   !(arg[1] >= '0' && arg[1] <= '9')) {
            /* "-" is stdin and "-5" a (bad) number or a payload: no option
             * starts with a digit. */
            parse_option(&ps, a, argc, argv, &i);
        } else {
            positional(&ps, arg);
        }
    }

    /* Help and version win over any other problem on the line: someone
     * who asks for help should get it. */
    if (ps.help || (ps.cmd != NULL && ps.cmd->cmd == WQC_HELP)) {
        a->cmd = WQC_HELP;
        a->name = "help";
        return 0;
    }
    if (ps.version) {
        a->cmd = WQC_VERSION;
        a->name = "version";
        return 0;
    }
    if (!ps.failed && ps.cmd == NULL) {
        fail(&ps, "no command given", NULL, NULL, NULL, NULL, NULL);
    }
    if (!ps.failed) {
        finish(&ps, a);
    }
    return ps.failed ? -1 : 0;
}
