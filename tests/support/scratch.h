/* scratch.h — unique, self-cleaning endpoints for tests.
 *
 * Every test that listens gets its own endpoint so that tests can run in
 * parallel and never meet a leftover of another run. The helper owns
 * whatever it creates on disk and removes it in wqt_scratch_cleanup().
 */
#ifndef WQT_SCRATCH_H
#define WQT_SCRATCH_H

#include <workq/transport.h>

typedef struct wqt_scratch {
    /* The endpoint to pass to wq_listener_open/wq_conn_connect. */
    char endpoint[WQ_ENDPOINT_MAX];
    /* Native: a private temporary directory (POSIX: it holds the socket;
     * Windows: for files a test needs); "" for mem. */
    char dir[WQ_ENDPOINT_MAX];
} wqt_scratch;

/* Make a fresh endpoint for backend t (NULL: native) whose name contains
 * tag. POSIX native: a new 0700 directory under $TMPDIR (or /tmp) and a
 * socket path inside it. Windows native: a pipe name unique to this
 * process and call. mem: a unique name. Aborts the test on failure. */
void wqt_scratch_init(wqt_scratch *s, const wq_transport *t, const char *tag);

/* Remove what wqt_scratch_init made and anything left inside its
 * directory (a socket or lock file a crashed listener left behind). */
void wqt_scratch_cleanup(wqt_scratch *s);

/* The same directory ("" for mem). */
const char *wqt_scratch_dir(const wqt_scratch *s);

/* The path of a file called name in that directory, removed with it by
 * wqt_scratch_cleanup. Aborts if there is no directory or no room. */
void wqt_scratch_path(const wqt_scratch *s, const char *name, char *buf, size_t size);

#endif /* WQT_SCRATCH_H */
