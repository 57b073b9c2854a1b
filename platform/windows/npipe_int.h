/* npipe_int.h — what the files of the npipe backend share (internal).
 *
 *   npipe.c           the listener and the ops table
 *   npipe_conn.c      connections: connect, send, receive, shutdown, peer
 *   npipe_name.c      endpoint names: resolve, UTF-8 to UTF-16
 *   npipe_security.c  the pipe's security descriptor; SIDs from tokens
 *   npipe_trust.c     a client's check of the account the server runs as
 *   npipe_os.c        the OS-call seam (npipe_os.h)
 */
#ifndef WQI_NPIPE_INT_H
#define WQI_NPIPE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <workq/transport.h>

#include "platform_types.h"

/* The whole pipe name, \\.\pipe\ included, may be this many UTF-16
 * characters long (CreateNamedPipe's documented limit, WPR-10). */
#define WQI_NPIPE_NAME_MAX 256

/* Every instance's in and out buffer size (advisory to the OS). 64 KiB like
 * Docker's pipes: a typical reply fits, and memory per instance stays small. */
#define WQI_NPIPE_BUFFER_SIZE (64u * 1024u)

/* --- npipe_name.c --- */

/* The ops table's resolve: plain name -> \\.\pipe\<name>; a name with a
 * separator must already be a pipe name. */
wq_err wqi_npipe_resolve(const char *name, char *buf, size_t size);

/* A resolved endpoint (UTF-8) as the UTF-16 name the W functions take. */
wq_err wqi_npipe_wide_name(const char *endpoint, WCHAR out[WQI_NPIPE_NAME_MAX + 1]);

/* --- npipe_security.c --- */

/* The security descriptor for new pipe instances: from sddl, or the
 * default DACL when sddl is NULL. Free with wqi_npipe_sd_free(). */
wq_err wqi_npipe_sd_create(const char *sddl, PSECURITY_DESCRIPTOR *out);
void wqi_npipe_sd_free(PSECURITY_DESCRIPTOR sd);

/* The user SID ("S-1-5-…") of the client at the other end of a server
 * pipe, read from its impersonation token; works once a message has been
 * read. 1 on success; 0 leaves buf "". */
int wqi_npipe_client_token_sid(HANDLE pipe, char *buf, size_t size);

/* The user SID of process pid, from its process token. With not_after,
 * only if the process was created no later than that (a process id can
 * have been reused since). 1 on success; 0 (process gone, too young, or
 * not ours to open) leaves buf "". */
int wqi_npipe_process_sid(DWORD pid, const FILETIME *not_after, char *buf, size_t size);

/* The owner SID of the kernel object behind h (a pipe), as a string; needs
 * READ_CONTROL on h. 1 on success; 0 leaves buf "". */
int wqi_npipe_owner_sid(HANDLE h, char *buf, size_t size);

/* sid as a string ("S-1-5-18") into buf. 1 on success; 0 leaves buf "". */
int wqi_npipe_sid_text(PSID sid, char *buf, size_t size);

/* --- npipe_conn.c --- */

/* A connection with its buffers and events but no pipe yet, so that the
 * listener can fail before it hands anything over. */
wq_err wqi_npipe_conn_new(int server, wq_conn **out);
/* Give c its connected server-side pipe (c takes ownership) and record the
 * client's process id. */
void wqi_npipe_conn_set_pipe(wq_conn *c, HANDLE pipe);

wq_err wqi_npipe_connect(const char *endpoint, int timeout_ms, wq_conn **out);
wq_err wqi_npipe_send(wq_conn *c, const void *buf, size_t len, int timeout_ms);
wq_err wqi_npipe_recv(wq_conn *c, size_t max, int timeout_ms, void **buf, size_t *len);
void wqi_npipe_shutdown(wq_conn *c);
void wqi_npipe_close(wq_conn *c);
wq_err wqi_npipe_peer(wq_conn *c, wq_peer *out);
/* Client side: the owner SID of the pipe c is connected to (1), or ""
 * (0: unreadable, or c shut down). */
int wqi_npipe_conn_owner_sid(wq_conn *c, char *buf, size_t size);

/* --- npipe_trust.c --- */

/* The client's check of the account the server runs as (trust.h). */
wq_err wqi_npipe_trust_server(wq_conn *c, const char *endpoint, const char *account, char *why,
                              size_t size);

/* --- shared helpers (npipe_conn.c) --- */

/* Milliseconds to wait until deadline, in the form WaitFor* takes. */
DWORD wqi_npipe_wait_ms(int64_t deadline_ms);

/* Cancel the overlapped operation ov on h and wait until it has really
 * finished (WPR-6: the OVERLAPPED and buffer stay in use until then).
 * Returns the operation's final status: ERROR_SUCCESS if it completed
 * anyway, ERROR_OPERATION_ABORTED if the cancel took, or another error. */
DWORD wqi_npipe_cancel_and_wait(HANDLE h, OVERLAPPED *ov, DWORD *n);

/* Clear ov for the next operation, keeping its event. */
void wqi_npipe_ov_reset(OVERLAPPED *ov);

#endif /* WQI_NPIPE_INT_H */
