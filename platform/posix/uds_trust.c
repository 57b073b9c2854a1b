/* uds_trust.c (POSIX) — what a client checks before it talks to a uds
 * endpoint (trust.h; docs/protocol.md "Trust"; the uds backend's overview
 * is in uds.c).
 *
 * Without $XDG_RUNTIME_DIR the private runtime directory is
 * /tmp/workq-<uid>, in a directory everyone may write to. Another user can
 * create it first and listen there; the server then refuses to start, but
 * a client that simply connected would hand its requests (payloads,
 * secrets) to the impostor and run the work items it invents. So:
 *
 *  - before connecting to an endpoint that lies directly in the runtime
 *    directory (what a plain name resolves to), that directory must be a
 *    real directory (lstat: not a symlink), owned by our effective uid and
 *    without group or other write permission — the same rule the server
 *    applies to it (uds_path.c). Nobody else can then have put a socket
 *    there, or swap ours afterwards;
 *  - after connecting, whatever the path, the kernel's record of the
 *    listening process (SO_PEERCRED: its credentials when it called
 *    listen(); getpeereid elsewhere, read at connect by uds.c) must name
 *    our own effective uid, root, or the account the caller named.
 *
 * Root is trusted because it can take any endpoint anyway, and because a
 * socket systemd opened for workqd.socket was listened on by root.
 */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "alloc.h"
#include "decimal.h"
#include "platform.h"
#include "uds_int.h"
#include "uds_path.h"

/* "alice (uid 1000)", or "uid 1000" for a uid without a name. */
#define ACCOUNT_TEXT 96

/* Formatting that never fails: a message cut short still refuses. */
static void put(char *buf, size_t size, const char *a, const char *b, const char *c, const char *d,
                const char *e)
{
    (void)snprintf(buf, size, "%s%s%s%s%s", a, b != NULL ? b : "", c != NULL ? c : "",
                   d != NULL ? d : "", e != NULL ? e : "");
}

/* Look up a passwd entry by name (name != NULL) or by uid; 1 if found.
 * The reentrant calls want a buffer of unknown size: grow it on ERANGE. */
static int passwd_entry(const char *name, uid_t uid, uid_t *uid_out, char *name_out,
                        size_t name_size)
{
    size_t size = 1024;
    for (;;) {
        char *tmp = wqi_malloc(size);
        if (tmp == NULL) {
            return 0;
        }
        struct passwd pw;
        struct passwd *found = NULL;
        int rc = name != NULL ? getpwnam_r(name, &pw, tmp, size, &found)
                              : getpwuid_r(uid, &pw, tmp, size, &found);
        int ok = rc == 0 && found != NULL;
        if (ok) {
            *uid_out = found->pw_uid;
            if (name_out != NULL) {
                (void)snprintf(name_out, name_size, "%s", found->pw_name);
            }
        }
        wqi_free(tmp);
        if (rc != ERANGE || size >= (1u << 20)) {
            return ok;
        }
        size *= 2;
    }
}

static void describe_uid(uid_t uid, char *buf, size_t size)
{
    char name[64];
    uid_t same;
    if (passwd_entry(NULL, uid, &same, name, sizeof name)) {
        (void)snprintf(buf, size, "%s (uid %lu)", name, (unsigned long)uid);
    } else {
        (void)snprintf(buf, size, "uid %lu", (unsigned long)uid);
    }
}

/* The private runtime directory, as wqi_uds_resolve places a plain name in
 * it (so that the two can never disagree). 0 if it cannot be named. */
static int runtime_dir(char *buf, size_t size)
{
    char probe[WQI_UDS_SUN_PATH_SIZE];
    if (wqi_uds_resolve("x", probe, sizeof probe) != WQ_OK) {
        return 0;
    }
    char *slash = strrchr(probe, '/');
    if (slash == NULL || (size_t)(slash - probe) >= size) {
        return 0;
    }
    *slash = '\0';
    memcpy(buf, probe, (size_t)(slash - probe) + 1);
    return 1;
}

/* 1 if endpoint names a file directly inside dir. */
static int directly_in(const char *endpoint, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(endpoint, dir, n) == 0 && endpoint[n] == '/' && endpoint[n + 1] != '\0' &&
           strchr(endpoint + n + 1, '/') == NULL;
}

wq_err wqi_uds_trust_endpoint(const char *endpoint, char *why, size_t size)
{
    char dir[WQI_UDS_SUN_PATH_SIZE];
    if (!runtime_dir(dir, sizeof dir) || !directly_in(endpoint, dir)) {
        return WQ_OK; /* a path the caller chose: the server check decides */
    }
    struct stat st;
    if (lstat(dir, &st) != 0) {
        return wq_err_from_os(errno); /* ENOENT: no server has run here */
    }
    uid_t me = geteuid();
    char owner[ACCOUNT_TEXT];
    char mine[ACCOUNT_TEXT];
    if (S_ISLNK(st.st_mode)) {
        put(why, size, "runtime directory ", dir, " is a symbolic link", NULL, NULL);
        return WQ_EUNSAFE;
    }
    if (!S_ISDIR(st.st_mode)) {
        put(why, size, "runtime directory ", dir, " is not a directory", NULL, NULL);
        return WQ_EUNSAFE;
    }
    if (st.st_uid != me) {
        describe_uid(st.st_uid, owner, sizeof owner);
        describe_uid(me, mine, sizeof mine);
        put(why, size, "runtime directory ", dir, " belongs to ", owner, NULL);
        size_t n = strlen(why);
        put(why + n, size - n, ", not to ", mine, NULL, NULL, NULL);
        return WQ_EUNSAFE;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        char mode[8];
        (void)snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
        put(why, size, "runtime directory ", dir, " is writable by others (mode ", mode, ")");
        return WQ_EUNSAFE;
    }
    return WQ_OK;
}

/* The account the caller named: a user name, or a uid in decimal (which
 * needs no passwd entry: a container may run a server under a bare uid). */
static wq_err resolve_account(const char *account, uid_t *uid, char *why, size_t size)
{
    uint64_t n;
    if (wqi_decimal_parse_str(account, (uid_t)-1 - 1, &n)) {
        *uid = (uid_t)n;
        return WQ_OK;
    }
    if (passwd_entry(account, 0, uid, NULL, 0)) {
        return WQ_OK;
    }
    put(why, size, "unknown server account '", account, "' (a user name or a uid)", NULL, NULL);
    return WQ_EINVAL;
}

wq_err wqi_uds_trust_server(wq_conn *wc, const char *endpoint, const char *account, char *why,
                            size_t size)
{
    wq_peer p;
    (void)wq_conn_peer(wc, &p); /* cannot fail on a connection */
    const wq_peer *peer = &p;
    uid_t me = geteuid();
    uid_t named = 0;
    if (account != NULL) {
        wq_err err = resolve_account(account, &named, why, size);
        if (err != WQ_OK) {
            return err;
        }
    }
    if (peer->has_ugid &&
        (peer->uid == me || peer->uid == 0 || (account != NULL && peer->uid == named))) {
        return WQ_OK;
    }
    /* "runs as X; expected A, B or C": the named account, ours, root,
     * each once. */
    char found[ACCOUNT_TEXT] = "an unknown user";
    if (peer->has_ugid) {
        describe_uid((uid_t)peer->uid, found, sizeof found);
    }
    uid_t expected[3];
    size_t count = 0;
    if (account != NULL && named != me && named != 0) {
        expected[count++] = named;
    }
    if (me != 0) {
        expected[count++] = me;
    }
    expected[count++] = 0;
    put(why, size, "the server at ", endpoint, " runs as ", found, "; expected ");
    for (size_t i = 0; i < count; i++) {
        char text[ACCOUNT_TEXT];
        describe_uid(expected[i], text, sizeof text);
        size_t n = strlen(why);
        put(why + n, size - n, i == 0 ? "" : i + 1 < count ? ", " : " or ", text, NULL, NULL, NULL);
    }
    return WQ_EUNTRUSTED;
}
