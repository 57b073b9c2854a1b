/* spawn.c (POSIX) — run programs for the process tests (test support
 * only), as ourselves or as another account (other_user.h), with our
 * descriptor limit or another (proc_posix.h). Output goes
 * to unlinked temporary files, which need no reader thread and cannot fill
 * up and block the child. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "other_user.h"
#include "proc.h"
#include "proc_posix.h"

extern char **environ;

struct wqt_proc {
    pid_t pid;
    int out_fd;
    int err_fd;
    int exited;
    int status;
};

static void die(const char *what)
{
    fprintf(stderr, "spawn: %s: %s\n", what, strerror(errno));
    abort();
}

/* An anonymous temporary file: created, then unlinked at once. */
static int temp_fd(void)
{
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/wqt-spawn-XXXXXX", dir != NULL && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        die("mkstemp");
    }
    unlink(path);
    return fd;
}

static char *slurp(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        die("fstat");
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        die("malloc");
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
        if (n <= 0) {
            die("pread");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    close(fd);
    return buf;
}

/* What a child does between fork and exec beyond its standard streams,
 * which posix_spawn cannot do. */
typedef struct child_setup {
    const struct rlimit *nofile; /* RLIMIT_NOFILE to set, or NULL */
    const wqt_user *as;          /* the account to become, or NULL */
} child_setup;

/* Fork, set up the child as cs says (the limit first, while it may still
 * be raised), exec. Only async-signal-safe calls in the child (the parent
 * may have threads); setrlimit is a plain system call. */
static pid_t fork_exec(const child_setup *cs, const char *path, const char *const *argv, int in_fd,
                       int out_fd, int err_fd)
{
    pid_t pid = fork();
    if (pid < 0) {
        die("fork");
    }
    if (pid == 0) {
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0 ||
            (cs->nofile != NULL && setrlimit(RLIMIT_NOFILE, cs->nofile) != 0) ||
            (cs->as != NULL && wqt_user_become(cs->as) != 0)) {
            _exit(126);
        }
        execve(path, (char *const *)argv, environ);
        _exit(127);
    }
    return pid;
}

/* cs NULL: posix_spawn, nothing changed in the child. */
static wqt_proc *start(const char *program, const char *const *args, int in_fd,
                       const child_setup *cs)
{
    char path[512];
    snprintf(path, sizeof path, "./%s", program);
    const char *argv[64];
    size_t n = 0;
    argv[n++] = path;
    for (; args[n - 1] != NULL && n < 63; n++) {
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    wqt_proc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        die("calloc");
    }
    p->out_fd = temp_fd();
    p->err_fd = temp_fd();
    if (cs != NULL) {
        p->pid = fork_exec(cs, path, argv, in_fd, p->out_fd, p->err_fd);
        return p;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawn_file_actions_adddup2(&fa, p->out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, p->err_fd, 2);
    int rc = posix_spawn(&p->pid, path, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die(path);
    }
    return p;
}

static void reap(wqt_proc *p, int options)
{
    if (p->exited) {
        return;
    }
    int st;
    pid_t r;
    while ((r = waitpid(p->pid, &st, options)) < 0 && errno == EINTR) {
    }
    if (r < 0) {
        die("waitpid");
    }
    if (r == p->pid) {
        p->exited = 1;
        p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
}

static void collect(wqt_proc *p, wqt_output *out)
{
    wqt_proc_untrack(p);
    reap(p, 0);
    out->status = p->status;
    out->out = slurp(p->out_fd, &out->out_len);
    out->err = slurp(p->err_fd, &out->err_len);
    free(p);
}

void wqt_run(const char *program, const char *const *args, const void *in, size_t in_len,
             wqt_output *out)
{
    int in_fd = temp_fd();
    if (in_len > 0 && pwrite(in_fd, in, in_len, 0) != (ssize_t)in_len) {
        die("pwrite");
    }
    wqt_proc *p = start(program, args, in_fd, NULL);
    close(in_fd);
    collect(p, out);
}

static wqt_proc *start_tracked(const char *program, const char *const *args, const child_setup *cs)
{
    int in_fd = temp_fd(); /* empty */
    wqt_proc *p = start(program, args, in_fd, cs);
    close(in_fd);
    wqt_proc_track(p);
    return p;
}

wqt_proc *wqt_proc_start(const char *program, const char *const *args)
{
    return start_tracked(program, args, NULL);
}

wqt_proc *wqt_proc_start_as(const wqt_user *u, const char *program, const char *const *args)
{
    child_setup cs = {NULL, NULL};
    cs.as = u;
    return start_tracked(program, args, &cs);
}

wqt_proc *wqt_proc_start_nofile(const char *program, const char *const *args,
                                const struct rlimit *nofile)
{
    child_setup cs = {NULL, NULL};
    cs.nofile = nofile;
    return start_tracked(program, args, &cs);
}

void wqt_proc_kill(wqt_proc *p)
{
    if (!p->exited && kill(p->pid, SIGKILL) != 0 && errno != ESRCH) {
        die("kill");
    }
}

void wqt_proc_stop(wqt_proc *p)
{
    if (!p->exited && kill(p->pid, SIGTERM) != 0 && errno != ESRCH) {
        die("kill");
    }
}

int wqt_proc_running(wqt_proc *p)
{
    reap(p, WNOHANG);
    return !p->exited;
}

void wqt_proc_wait(wqt_proc *p, wqt_output *out)
{
    collect(p, out);
}
