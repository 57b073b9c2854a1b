/* other_user.h — a second, throwaway account for the POSIX tests that need
 * a peer running as someone else: a server that is not ours (the client's
 * trust checks, docs/protocol.md "Trust"). Test harness only.
 *
 * Creating an account needs root, which CI has; elsewhere wqt_user_create
 * says so and the test skips. Root's own permission checks are bypassed,
 * so such tests build their cases with chown/chmod, never by relying on an
 * access being denied to root.
 */
#ifndef WQT_OTHER_USER_H
#define WQT_OTHER_USER_H

#include <stdint.h>

#include "proc.h"

typedef struct wqt_user {
    char name[32]; /* "" when there is no account (not created, removed) */
    uint32_t uid;
    uint32_t gid;
} wqt_user;

/* Create a system account with a name unique to this process and call
 * ("wqt<pid>u<n>"), its own group, no home and no login shell (useradd).
 * Returns 0, or -1 when this process is not root (nothing is created; the
 * caller skips with that reason). Aborts on any other failure. */
int wqt_user_create(wqt_user *u);

/* In a CMocka test that needs u (created by a group setup): skip the test,
 * saying why, when u could not be created. */
#define WQT_NEED_USER(u)                                                                           \
    do {                                                                                           \
        if ((u).name[0] == '\0') {                                                                 \
            print_message("skipped: creating a second account needs root\n");                      \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Remove the account and its group (userdel). Idempotent: a u that was
 * never created, or already removed, is left alone. Aborts if userdel
 * fails. */
void wqt_user_remove(wqt_user *u);

/* Turn the calling process into u: no supplementary groups, then u's gid,
 * then u's uid (so it cannot come back). For a child right after fork:
 * async-signal-safe. Returns 0, or -1 with errno set. */
int wqt_user_become(const wqt_user *u);

/* As wqt_proc_start (proc.h), but the program runs as u. */
wqt_proc *wqt_proc_start_as(const wqt_user *u, const char *program, const char *const *args);

#endif /* WQT_OTHER_USER_H */
