/* other_user.c (POSIX) — the throwaway account of other_user.h: useradd
 * and userdel run as child processes, the account looked up by name. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "other_user.h"

extern char **environ;

static void die(const char *what)
{
    fprintf(stderr, "other_user: %s: %s\n", what, strerror(errno));
    abort();
}

/* Run an administration tool (found on $PATH, or in /usr/sbin, which is
 * not always on a test's $PATH) and return its exit status. */
static int run_tool(const char *tool, const char *const *argv)
{
    char path[64];
    snprintf(path, sizeof path, "/usr/sbin/%s", tool);
    const char *exe = access(path, X_OK) == 0 ? path : tool;
    pid_t pid;
    int rc = posix_spawnp(&pid, exe, NULL, NULL, (char *const *)argv, environ);
    if (rc != 0) {
        errno = rc;
        die(tool);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            die("waitpid");
        }
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int wqt_user_create(wqt_user *u)
{
    static unsigned calls;
    memset(u, 0, sizeof *u);
    if (geteuid() != 0) {
        return -1;
    }
    char name[sizeof u->name];
    snprintf(name, sizeof name,
             "wqt%lu"
             "u%u",
             (unsigned long)getpid(), ++calls);
    const char *argv[] = {"useradd",
                          "--system",
                          "--no-create-home",
                          "--user-group",
                          "--shell",
                          "/usr/sbin/nologin",
                          "--comment",
                          "workq test, removed by the test",
                          name,
                          NULL};
    int status = run_tool("useradd", argv);
    if (status != 0) {
        fprintf(stderr, "other_user: useradd %s: exit status %d\n", name, status);
        abort();
    }
    struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        fprintf(stderr, "other_user: %s was created but cannot be looked up\n", name);
        abort();
    }
    memcpy(u->name, name, sizeof name);
    u->uid = (uint32_t)pw->pw_uid;
    u->gid = (uint32_t)pw->pw_gid;
    return 0;
}

void wqt_user_remove(wqt_user *u)
{
    if (u->name[0] == '\0') {
        return;
    }
    const char *argv[] = {"userdel", u->name, NULL};
    int status = run_tool("userdel", argv);
    if (status != 0) {
        fprintf(stderr, "other_user: userdel %s: exit status %d\n", u->name, status);
        abort();
    }
    /* userdel takes the user's own group too (USERGROUPS_ENAB); make sure. */
    if (getgrnam(u->name) != NULL) {
        const char *gargv[] = {"groupdel", u->name, NULL};
        (void)run_tool("groupdel", gargv);
    }
    memset(u, 0, sizeof *u);
}

int wqt_user_become(const wqt_user *u)
{
    if (setgroups(0, NULL) != 0 || setgid((gid_t)u->gid) != 0 || setuid((uid_t)u->uid) != 0) {
        return -1;
    }
    return 0;
}
