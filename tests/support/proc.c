/* proc.c — the portable half of proc.h: which started processes are still
 * to be collected, so that a failed test can have them killed, and what is
 * done with a collected process's output. The platform halves
 * (tests/support/<os>/spawn.c) start, stop, kill and collect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc.h"

/* Tests start a handful of processes at a time, from one thread. */
#define MAX_TRACKED 64

static wqt_proc *tracked[MAX_TRACKED];
static size_t ntracked;

void wqt_proc_track(wqt_proc *proc)
{
    if (ntracked == MAX_TRACKED) {
        fail_msg("more than %d processes started and not collected", MAX_TRACKED);
    }
    tracked[ntracked++] = proc;
}

void wqt_proc_untrack(wqt_proc *proc)
{
    for (size_t i = 0; i < ntracked; i++) {
        if (tracked[i] == proc) {
            tracked[i] = tracked[--ntracked];
            return;
        }
    }
}

void wqt_proc_kill_all(void)
{
    while (ntracked > 0) {
        wqt_proc *p = tracked[ntracked - 1];
        wqt_proc_kill(p);
        wqt_output o;
        wqt_proc_wait(p, &o); /* untracks it */
        wqt_output_free(&o);
    }
}

void wqt_output_free(wqt_output *out)
{
    free(out->out);
    free(out->err);
    memset(out, 0, sizeof *out);
}

void wqt_assert_exit_status(const wqt_output *out, int status)
{
    if (out->status != status) {
        /* Written directly: print_error cuts its text at 1 KiB. */
        fprintf(stderr, "exit status %d, expected %d; standard error:\n%s\n", out->status, status,
                out->err != NULL ? out->err : "");
        fail_msg("exit status %d, expected %d", out->status, status);
    }
}

int wqt_proc_stop_clean(wqt_proc *proc)
{
    wqt_proc_stop(proc);
    wqt_output o;
    wqt_proc_wait(proc, &o);
    int status = o.status;
    if (status != 0) {
        /* Written directly: print_error cuts its text at 1 KiB. */
        fprintf(stderr, "exit status %d, expected 0; standard error:\n%s\n", status, o.err);
    }
    wqt_output_free(&o);
    return status == 0 ? 0 : -1;
}

int wqt_proc_teardown(void **state)
{
    (void)state;
    wqt_proc_kill_all();
    return 0;
}
