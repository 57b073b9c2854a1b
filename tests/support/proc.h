/* proc.h — run the project's programs as processes, for tests.
 *
 * Implemented per OS in tests/support/<os>/spawn.c and linked only into the
 * test support library. A program is named by its file name and found in
 * the current directory (CTest runs these tests in the directory holding
 * workqd and workqctl). Standard input comes from a buffer, standard output
 * and error are captured in memory. Aborts the test program on a failure
 * of the machinery itself (not of the program run).
 */
#ifndef WQT_PROC_H
#define WQT_PROC_H

#include <stddef.h>

typedef struct wqt_proc wqt_proc;

/* What a finished process left. Buffers are NUL-terminated, owned by the
 * struct, freed by wqt_output_free. */
typedef struct wqt_output {
    int status; /* exit status; 128 + signal number if killed by a signal */
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} wqt_output;

/* Run program (a file name in the current directory; ".exe" is added on
 * Windows) with args (NULL-terminated, not including the program), feed it
 * in[0..in_len) on standard input, wait for it to end and collect what it
 * wrote. */
void wqt_run(const char *program, const char *const *args, const void *in, size_t in_len,
             wqt_output *out);

/* Start program in the background with standard input empty and output
 * captured; ask it to stop gracefully with wqt_proc_stop (SIGTERM on
 * POSIX, Ctrl-Break to its own process group on Windows) and collect it
 * with wqt_proc_wait, which frees proc. */
wqt_proc *wqt_proc_start(const char *program, const char *const *args);
void wqt_proc_stop(wqt_proc *proc);
/* Nonzero while the process has not exited. */
int wqt_proc_running(wqt_proc *proc);
void wqt_proc_wait(wqt_proc *proc, wqt_output *out);

void wqt_output_free(wqt_output *out);

/* Fail the current test unless the process exited with status; on a
 * mismatch print what it wrote to standard error first (a sanitizer's
 * report in a child process is only ever seen there). */
void wqt_assert_exit_status(const wqt_output *out, int status);

/* For a group teardown, where an assertion would not fail the group:
 * stop proc (wqt_proc_stop), collect it, and return 0 if it exited with
 * status 0; otherwise write its status and standard error to stderr and
 * return -1. */
int wqt_proc_stop_clean(wqt_proc *proc);

/* Kill at once (SIGKILL / TerminateProcess), without waiting; collect it
 * with wqt_proc_wait as usual. */
void wqt_proc_kill(wqt_proc *proc);

/* Kill and collect every process started with wqt_proc_start and not yet
 * collected, so that a failed assertion never leaves a daemon running.
 * wqt_proc_teardown is the same as a CMocka (group) teardown. */
void wqt_proc_kill_all(void);
int wqt_proc_teardown(void **state);

/* For the platform halves: a started process is tracked until collected. */
void wqt_proc_track(wqt_proc *proc);
void wqt_proc_untrack(wqt_proc *proc);

/* Wait until a workq service answers PING at endpoint, polling every 10 ms
 * for up to about 30 s while proc keeps running (the programs have no
 * readiness signal of their own outside systemd). Fails the current test
 * if proc exits first or time runs out. */
void wqt_wait_until_serving(const char *endpoint, wqt_proc *proc);

#endif /* WQT_PROC_H */
