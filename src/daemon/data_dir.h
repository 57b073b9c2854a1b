/* data_dir.h — where workqd keeps its journal when --data-dir is not
 * given (workqd-private; docs/journal.md, README "Where data lives").
 *
 * The rules, first that applies:
 *   1. under systemd with StateDirectory=: $STATE_DIRECTORY (its first
 *      path, if systemd gave several, colon-separated);
 *   2. a Windows service: %ProgramData%\workq\<service name>;
 *   3. Windows, in a console: %LOCALAPPDATA%\workq\<endpoint name>;
 *   4. POSIX as root: /var/lib/workq/<endpoint name>;
 *   5. POSIX otherwise: $XDG_STATE_HOME/workq/<endpoint name>, or
 *      $HOME/.local/state/workq/<endpoint name> without it (the XDG base
 *      directory specification's default).
 * Relative values of the variables are ignored (the XDG specification
 * says so for its own). <endpoint name> is the endpoint as given when it
 * is a plain name (WorkQueueService); for a path, its last component
 * without a ".sock" suffix — one workqd per endpoint, one directory each.
 *
 * Pure: the caller gathers the facts (src/daemon/<os>/), this decides.
 */
#ifndef WQD_DATA_DIR_H
#define WQD_DATA_DIR_H

#include <stddef.h>

#include <workq/errors.h>

typedef struct wqd_dir_facts {
    int windows;                 /* Windows rules and '\\' separators */
    int windows_service;         /* running under the SCM */
    const char *service_name;    /* its name (windows_service) */
    const char *programdata;     /* %ProgramData% */
    const char *localappdata;    /* %LOCALAPPDATA% */
    const char *state_directory; /* $STATE_DIRECTORY (systemd) */
    int root;                    /* POSIX: effective uid 0 */
    const char *xdg_state_home;  /* $XDG_STATE_HOME */
    const char *home;            /* $HOME */
} wqd_dir_facts;

/* The default data directory for endpoint (as given, or the default
 * endpoint name) into out. Errors: WQ_ENOENT (no rule applies: none of the
 * variables it needs is set, or they are relative), WQ_ENAMETOOLONG (does
 * not fit in size), WQ_EINVAL (endpoint empty, or a path ending in a
 * separator). */
wq_err wqd_data_dir_default(const wqd_dir_facts *f, const char *endpoint, char *out, size_t size);

#endif /* WQD_DATA_DIR_H */
