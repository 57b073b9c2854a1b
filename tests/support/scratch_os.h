/* scratch_os.h — what scratch.c needs from the OS, implemented in
 * tests/support/<os>/scratch_os.c (test harness, internal). */
#ifndef WQT_SCRATCH_OS_H
#define WQT_SCRATCH_OS_H

#include <stddef.h>

#include "scratch.h"

/* The separator of the OS's paths: '/' or '\\'. */
extern const char wqt_scratch_os_sep;

/* Fill s->endpoint and s->dir for the native backend: a new private
 * directory, and an endpoint name unique to this process (pid), call (id)
 * and run. Aborts on failure. */
void wqt_scratch_os_make(wqt_scratch *s, const char *tag, unsigned long long pid, unsigned long id);

/* Remove dir and everything a test left below it (sockets, lock files,
 * directories it made unreadable); symlinks are removed, not followed. */
void wqt_scratch_os_remove_tree(const char *dir);

/* For the OS halves: snprintf that aborts when the result does not fit,
 * and the abort with a message. */
void wqt_scratch_fmt(char *buf, size_t size, const char *f, ...);
void wqt_scratch_fail(const char *what);

#endif /* WQT_SCRATCH_OS_H */
