/* proc_posix.h — POSIX-only ways to start a program for the process tests,
 * beyond proc.h (test support only; implemented in posix/spawn.c). */
#ifndef WQT_PROC_POSIX_H
#define WQT_PROC_POSIX_H

#include <sys/resource.h>

#include "proc.h"

/* As wqt_proc_start (proc.h), but the program starts with *nofile as its
 * RLIMIT_NOFILE, soft and hard, set in the child just before exec: a hard
 * limit lowered there cannot be raised again, and this process's own
 * limits are left alone. A child that cannot set it exits with 126
 * before it runs anything. */
wqt_proc *wqt_proc_start_nofile(const char *program, const char *const *args,
                                const struct rlimit *nofile);

#endif /* WQT_PROC_POSIX_H */
