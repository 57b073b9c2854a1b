/* workqd.c — the workq service as a program: parse options, start the
 * server, log to stderr, stop gracefully when asked. Runs in the
 * foreground (systemd and the Windows console both want that). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <workq/workq.h>
#include <workq/server.h>

#include "daemon.h"
#include "decimal.h"

/* Exit statuses. */
#define EXIT_OK 0
#define EXIT_FAILURE_START 1 /* could not start: endpoint taken, not allowed, … */
#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: workqd [options]\n"
    "\n"
    "Run the workq service in the foreground until SIGINT/SIGTERM (on Windows:\n"
    "Ctrl-C, Ctrl-Break, or setting the event Local\\workqd-stop-PID), logging\n"
    "to stderr.\n"
    "\n"
    "options:\n"
    "  --endpoint NAME          where to listen; default $WORKQ_ENDPOINT, else\n"
    "                           WorkQueueService. A plain name is \\\\.\\pipe\\NAME on\n"
    "                           Windows and $XDG_RUNTIME_DIR/workq/NAME.sock (else\n"
    "                           /tmp/workq-UID/NAME.sock) on POSIX; a name with a path\n"
    "                           separator is used as given\n"
    "  --max-connections N      connections served at once (default 1024); one more\n"
    "                           gets 'ERROR 503 busy ...'. POSIX: the open-file\n"
    "                           limit is raised to N + 64 if lower, up to the hard\n"
    "                           limit (ulimit -Hn, LimitNOFILE=)\n"
    "  --max-message BYTES      largest request (default 4194304); larger gets\n"
    "                           'ERROR 413' and the connection is closed\n"
    "  --max-queues N           queues (default 65536); CREATE beyond gets 507\n"
    "  --max-items N            items per queue, ready + leased (default 0 =\n"
    "                           unlimited); PUBLISH beyond gets 507\n"
    "  --max-memory BYTES       memory budget: what all items held may take together,\n"
    "                           each counted as its payload + 16 bytes; PUBLISH\n"
    "                           beyond gets 507. A number of bytes, or with K, M, G\n"
    "                           or T (powers of 1024), 0 = no budget. Default: a\n"
    "                           quarter of the memory this process may use (the\n"
    "                           smallest of the machine's memory, the cgroup's\n"
    "                           memory.max (systemd MemoryMax=), ulimit -v / -d;\n"
    "                           Windows: the job's limits), logged at start\n"
    "  --idle-timeout MS        close connections idle this long (default 0 = never)\n"
    "  --stop-timeout MS        on stop, let busy connections finish their replies for\n"
    "                           at most this long, then cut them (default 5000; 0 =\n"
    "                           cut at once); keep it below the service manager's\n"
    "                           stop timeout (systemd TimeoutStopSec=)\n"
    "  --pidfile PATH           write the process id to PATH (locked while running,\n"
    "                           removed at exit)\n"
    "  --log-level LEVEL        error, warn, info (default) or debug\n"
    "  --socket-mode OCTAL      POSIX: permission bits of the socket file (default\n"
    "                           0600; at most 0777, owner read and write needed),\n"
    "                           for example 0660 with --socket-group\n"
    "  --socket-group GROUP     POSIX: give the socket file to GROUP (a name or a\n"
    "                           gid) so that its members can connect; the private\n"
    "                           runtime directory then becomes 0750 with that group\n"
    "  --pipe-sddl SDDL         Windows: the pipe's security descriptor (default:\n"
    "                           SYSTEM, Administrators and the service or user full\n"
    "                           control, Authenticated Users read/write)\n"
    "  --help                   show this help\n"
    "  --version                show the version\n"
    "\n"
    "Windows service: workqd install [--name NAME] [--auto] [--account ACCOUNT]\n"
    "[--client-group GROUP] [options above]; workqd uninstall|start|stop|status\n"
    "[--name NAME] (default name WorkQueueService).\n"
    "\n"
    "Under systemd (POSIX): READY=1 and STOPPING=1 go to $NOTIFY_SOCKET when it\n"
    "is set (Type=notify), and a listening socket passed by socket activation\n"
    "(LISTEN_PID, LISTEN_FDS=1) is served instead of --endpoint.\n"
    "\n"
    "exit status: 0 after a clean stop, 1 if the service could not start (endpoint\n"
    "in use or not allowed, pid file held, …), 2 for bad options.\n";

struct options {
    wq_server_config cfg;
    const char *pidfile;
    int explicit_budget; /* --max-memory was given */
};

/* "workqd: <what><arg>" and a hint, then exit 2. */
static void fail_usage(const char *what, const char *arg)
{
    fprintf(stderr, "workqd: %s%s\ntry 'workqd --help'\n", what, arg);
    exit(EXIT_USAGE);
}

/* Strict decimal in [min, max]: digits only, no sign, no spaces. */
static uint64_t parse_number(const char *opt, const char *s, uint64_t min, uint64_t max)
{
    uint64_t v = 0;
    if (s == NULL || *s == '\0') {
        fail_usage("a number is needed for ", opt);
    }
    if (!wqi_decimal_parse_str(s, UINT64_MAX, &v)) {
        fail_usage("bad number (digits only) for ", opt);
    }
    if (v < min || v > max) {
        fail_usage("number out of range for ", opt);
    }
    return v;
}

/* --max-memory: strict decimal bytes, optionally followed by one of K, M,
 * G, T (either case; powers of 1024). */
static uint64_t parse_bytes(const char *opt, const char *s)
{
    static const char units[] = "KMGT";
    size_t n = strlen(s);
    unsigned shift = 0;
    const char *u = n > 1 ? strchr(units, toupper((unsigned char)s[n - 1])) : NULL;
    if (u != NULL && *u != '\0') {
        shift = 10u * (unsigned)(u - units + 1);
        n--;
    }
    char digits[24];
    if (n == 0 || n >= sizeof digits) {
        fail_usage("a number of bytes (digits, then optionally K, M, G or T) is needed for ", opt);
    }
    memcpy(digits, s, n);
    digits[n] = '\0';
    uint64_t v = 0;
    if (!wqi_decimal_parse_str(digits, UINT64_MAX, &v)) {
        fail_usage("a number of bytes (digits, then optionally K, M, G or T) is needed for ", opt);
    }
    if (v > (UINT64_MAX >> shift)) {
        fail_usage("number out of range for ", opt);
    }
    return v << shift;
}

/* --socket-mode: 1 to 4 octal digits, at most 0777, with owner read and
 * write (the service must be able to use its own socket). */
static unsigned parse_mode(const char *opt, const char *s)
{
    unsigned v = 0;
    size_t n = strlen(s);
    if (strcmp(wq_transport_name(NULL), "uds") != 0) {
        fail_usage(opt, " applies to Unix-domain sockets (POSIX) only");
    }
    if (n == 0 || n > 4 || strspn(s, "01234567") != n) {
        fail_usage("octal digits (for example 0660) are needed for ", opt);
    }
    for (const char *p = s; *p != '\0'; p++) {
        v = v * 8 + (unsigned)(*p - '0');
    }
    if (v > 0777u || (v & 0600u) != 0600u) {
        fail_usage("a mode of at most 0777 with owner read and write is needed for ", opt);
    }
    return v;
}

/* --socket-group: a group name or a gid, looked up now so that a typo is
 * a usage error rather than a failed start. */
static void parse_group(const char *opt, const char *s, wq_listen_opts *listen)
{
    if (strcmp(wq_transport_name(NULL), "uds") != 0) {
        fail_usage(opt, " applies to Unix-domain sockets (POSIX) only");
    }
    uint32_t gid = 0;
    wq_err err = wqd_group_id(s, &gid);
    if (err == WQ_ENOENT) {
        fail_usage("no such group for --socket-group: ", s);
    } else if (err != WQ_OK) {
        fail_usage("cannot look up the group for --socket-group: ", wq_strerror(err));
    }
    listen->has_socket_group = 1;
    listen->socket_group = gid;
}

static wq_log_level parse_level(const char *s)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (s != NULL && strcmp(s, names[i]) == 0) {
            return (wq_log_level)i;
        }
    }
    fail_usage("--log-level takes error, warn, info or debug, not ", s ? s : "");
    return WQ_LOG_INFO;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    wq_server_config_init(&o->cfg);
    o->pidfile = NULL;
    o->explicit_budget = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            exit(EXIT_OK);
        } else if (strcmp(a, "--version") == 0) {
            printf("workqd %s\n", WQ_VERSION_STRING);
            exit(EXIT_OK);
        } else if (v == NULL) {
            fail_usage(strncmp(a, "--", 2) == 0 ? "unknown option or missing value: "
                                                : "unexpected argument: ",
                       a);
        } else if (strcmp(a, "--endpoint") == 0) {
            o->cfg.endpoint = v;
        } else if (strcmp(a, "--max-connections") == 0) {
            o->cfg.max_connections = (uint32_t)parse_number(a, v, 1, 1000000);
        } else if (strcmp(a, "--max-message") == 0) {
            /* Below 64 bytes not even a PUBLISH with a short name fits. */
            o->cfg.max_message = (size_t)parse_number(a, v, 64, 0xFFFFFFFFu);
        } else if (strcmp(a, "--max-queues") == 0) {
            o->cfg.max_queues = (uint32_t)parse_number(a, v, 1, 0xFFFFFFFFu);
        } else if (strcmp(a, "--max-items") == 0) {
            o->cfg.max_items = parse_number(a, v, 0, UINT64_MAX);
        } else if (strcmp(a, "--max-memory") == 0) {
            o->cfg.max_memory = parse_bytes(a, v);
            o->explicit_budget = 1;
        } else if (strcmp(a, "--idle-timeout") == 0) {
            o->cfg.idle_timeout_ms = (uint32_t)parse_number(a, v, 0, 0x7FFFFFFFu);
        } else if (strcmp(a, "--stop-timeout") == 0) {
            o->cfg.stop_timeout_ms = (uint32_t)parse_number(a, v, 0, 0x7FFFFFFFu);
        } else if (strcmp(a, "--pidfile") == 0) {
            o->pidfile = v;
        } else if (strcmp(a, "--pipe-sddl") == 0) {
            o->cfg.listen.sddl = v;
        } else if (strcmp(a, "--log-level") == 0) {
            o->cfg.log_level = parse_level(v);
        } else if (strcmp(a, "--socket-mode") == 0) {
            o->cfg.listen.socket_mode = parse_mode(a, v);
        } else if (strcmp(a, "--socket-group") == 0) {
            parse_group(a, v, &o->cfg.listen);
        } else {
            fail_usage("unknown option: ", a);
        }
        i++; /* the value */
    }
}

/* One line per event: timestamp, program, level, sentence. stderr is
 * unbuffered, and one fprintf per line keeps lines from interleaving. */
static void log_line(void *ctx, wq_log_level level, const char *line)
{
    (void)ctx;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    if (wqd_service_log(level, line)) {
        return; /* under the SCM: the event log */
    }
    char ts[32];
    wqd_timestamp(ts, sizeof ts);
    fprintf(stderr, "%s workqd[%lu] %s: %s\n", ts, wqd_pid(),
            names[level <= WQ_LOG_DEBUG ? level : WQ_LOG_DEBUG], line);
}

static void log_msg(const struct options *o, wq_log_level level, const char *fmt, ...)
{
    if (level > o->cfg.log_level) {
        return;
    }
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_line(NULL, level, line);
}

/* Tell a service manager (systemd's $NOTIFY_SOCKET) how we are; a failure
 * is worth a warning, never a stop. */
static void notify(const struct options *o, const char *what, const char *status, const char *arg)
{
    char state[WQ_ENDPOINT_MAX + 64];
    snprintf(state, sizeof state, "%s\nSTATUS=%s%s", what, status, arg);
    wq_err err = wqd_notify(state);
    if (err != WQ_OK) {
        log_msg(o, WQ_LOG_WARN, "cannot notify the service manager ($NOTIFY_SOCKET): %s",
                wq_strerror(err));
    }
}

/* A hint for the operator after a failed start. */
static const char *start_hint(wq_err err)
{
    switch (err) {
    case WQ_EADDRINUSE:
        return " (is another workqd running on it?)";
    case WQ_EUNSAFE:
        return " (the socket's directory must be owned by this user and not writable by others)";
    case WQ_EACCES:
        return " (not allowed)";
    case WQ_ENOENT:
        return " (does its directory exist?)";
    case WQ_EINVAL:
        return " (is the --pipe-sddl security descriptor well-formed, with a DACL?)";
    default:
        return "";
    }
}

/* Room in the descriptor limit for --max-connections (POSIX: a soft
 * RLIMIT_NOFILE of 1024 is common, which the default 1024 connections
 * would exhaust). Short of it, say so once: the server then answers
 * the clients it has no descriptor for with 503 busy. */
static void raise_fd_limit(const struct options *o)
{
    uint64_t needed = (uint64_t)o->cfg.max_connections + WQD_FD_HEADROOM;
    uint64_t before = 0, after = 0, hard = 0;
    wq_err err = wqd_fd_limit_raise(needed, &before, &after, &hard);
    unsigned long conns = (unsigned long)o->cfg.max_connections;
    if (err == WQ_OK && after > before) {
        log_msg(o, WQ_LOG_INFO,
                "raised the open-file limit (RLIMIT_NOFILE) from %llu to %llu for "
                "--max-connections %lu",
                (unsigned long long)before, (unsigned long long)after, conns);
    } else if (err == WQ_EMFILE) {
        log_msg(o, WQ_LOG_WARN,
                "the open-file limit (RLIMIT_NOFILE) can only be raised to its hard limit %llu, "
                "below the %llu that --max-connections %lu needs: beyond about %llu connections "
                "clients get 503 busy; raise the hard limit (ulimit -Hn, LimitNOFILE= under "
                "systemd) or lower --max-connections",
                (unsigned long long)hard, (unsigned long long)needed, conns,
                (unsigned long long)(after > WQD_FD_HEADROOM ? after - WQD_FD_HEADROOM : 0));
    } else if (err != WQ_OK) {
        log_msg(o, WQ_LOG_WARN,
                "cannot raise the open-file limit (RLIMIT_NOFILE) from %llu to the %llu that "
                "--max-connections %lu needs: %s; raise it (ulimit -n, LimitNOFILE= under "
                "systemd) or lower --max-connections",
                (unsigned long long)before, (unsigned long long)needed, conns, wq_strerror(err));
    }
}

/* Say what the memory budget is and where it came from, so that an
 * operator who meets 507 knows what to raise. */
static void log_budget(const struct options *o)
{
    uint64_t limit = wq_server_memory_limit();
    unsigned long long bytes = (unsigned long long)o->cfg.max_memory;
    unsigned long long mib = bytes >> 20;
    if (bytes == 0) {
        log_msg(o, WQ_LOG_INFO, "no memory budget (--max-memory 0)");
    } else if (o->explicit_budget) {
        log_msg(o, WQ_LOG_INFO, "memory budget %llu bytes (%llu MiB; --max-memory)", bytes, mib);
    } else if (limit != 0) {
        log_msg(o, WQ_LOG_INFO,
                "memory budget %llu bytes (%llu MiB): a quarter of the %llu MiB this process may "
                "use (--max-memory to change)",
                bytes, mib, (unsigned long long)(limit >> 20));
    } else {
        log_msg(o, WQ_LOG_INFO,
                "memory budget %llu bytes (%llu MiB): how much memory this process may use is "
                "unknown (--max-memory to change)",
                bytes, mib);
    }
}

/* The program proper: from the console, or on the service thread under
 * the Windows SCM (wqd_service_main). Returns the exit status. */
static int run_workqd(int argc, char **argv, void *ctx)
{
    (void)ctx;
    wqd_init_signals();
    wqd_init_heap();
    struct options o;
    parse_options(argc, argv, &o);
    o.cfg.log = log_line;
    wqd_service_stop_timeout(o.cfg.stop_timeout_ms);
    raise_fd_limit(&o);
    wqd_service_progress();

    char endpoint[WQ_ENDPOINT_MAX];
    wq_err err = wq_endpoint_resolve(o.cfg.transport, o.cfg.endpoint, endpoint, sizeof endpoint);
    if (err != WQ_OK) {
        log_msg(&o, WQ_LOG_ERROR, "bad endpoint '%s': %s", o.cfg.endpoint ? o.cfg.endpoint : "",
                wq_strerror(err));
        return EXIT_FAILURE_START;
    }

    wqd_pidfile *pid = NULL;
    if (o.pidfile != NULL) {
        unsigned long other = 0;
        err = wqd_pidfile_open(o.pidfile, &pid, &other);
        if (err != WQ_OK) {
            if (other != 0) {
                log_msg(&o, WQ_LOG_ERROR, "pid file %s is held by process %lu", o.pidfile, other);
            } else if (err == WQ_EADDRINUSE) {
                log_msg(&o, WQ_LOG_ERROR, "pid file %s is held by another process", o.pidfile);
            } else {
                log_msg(&o, WQ_LOG_ERROR, "cannot open pid file %s: %s", o.pidfile,
                        wq_strerror(err));
            }
            return EXIT_FAILURE_START;
        }
        /* Written before the endpoint opens: whoever sees the service
         * answer finds the pid in place. (We stay in the foreground, so
         * this pid is final.) */
        if ((err = wqd_pidfile_write(pid)) != WQ_OK) {
            log_msg(&o, WQ_LOG_ERROR, "cannot write pid file %s: %s", o.pidfile, wq_strerror(err));
            wqd_pidfile_close(pid);
            return EXIT_FAILURE_START;
        }
        wqd_service_progress();
    }

    /* systemd socket activation: serve the socket we were handed. */
    char inherited[WQ_ENDPOINT_MAX];
    err = wqd_inherited_listener(&o.cfg.listener, inherited, sizeof inherited);
    if (err != WQ_OK && err != WQ_ENOENT) {
        log_msg(&o, WQ_LOG_ERROR,
                "cannot use the socket passed by the service manager (LISTEN_FDS): %s "
                "(exactly one listening Unix stream socket is needed)",
                wq_strerror(err));
        wqd_pidfile_close(pid);
        return EXIT_FAILURE_START;
    }
    if (err == WQ_OK) {
        snprintf(endpoint, sizeof endpoint, "%s", inherited);
        o.cfg.endpoint = endpoint; /* reported only; the socket is served as is */
        log_msg(&o, WQ_LOG_INFO, "serving the socket passed by the service manager: %s", endpoint);
        if (o.cfg.listen.socket_mode != 0 || o.cfg.listen.has_socket_group) {
            log_msg(&o, WQ_LOG_WARN,
                    "--socket-mode and --socket-group do not apply to a passed "
                    "socket (set SocketMode= and SocketGroup= in the .socket unit)");
        }
    }

    log_msg(&o, WQ_LOG_INFO, "workqd %s starting", WQ_VERSION_STRING);
    wq_server *server = NULL;
    err = wq_server_start(&o.cfg, &server);
    if (err != WQ_OK) {
        log_msg(&o, WQ_LOG_ERROR, "cannot listen on %s: %s%s", endpoint, wq_strerror(err),
                start_hint(err));
        wqd_pidfile_close(pid);
        return EXIT_FAILURE_START;
    }

    log_budget(&o);
    wqd_service_running();
    notify(&o, "READY=1", "serving on ", wq_server_endpoint(server));
    const char *why = wqd_wait_for_stop(server);
    notify(&o, "STOPPING=1", "stopping: ", why);
    wqd_service_stopping();
    log_msg(&o, WQ_LOG_INFO, "%s received, stopping", why);
    wq_server_stop(server);
    wqd_pidfile_close(pid);
    log_msg(&o, WQ_LOG_INFO, "workqd stopped");
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    /* Windows service subcommands and the SCM; -1: a plain run. */
    int status = wqd_service_main(argc, argv, run_workqd, NULL);
    return status >= 0 ? status : run_workqd(argc, argv, NULL);
}
