/* trust.h — what a client checks before it sends anything (internal).
 *
 * docs/protocol.md "Trust" is the contract. client.c calls these around
 * wq_conn_connect; transport.c hands them to the backend, which knows how
 * its OS names an account. A backend without checks (mem: in-process,
 * nothing to impersonate) accepts. Both write a sentence for people into
 * why (NUL-terminated, truncated to size) when they refuse.
 */
#ifndef WQI_TRUST_H
#define WQI_TRUST_H

#include <stddef.h>

#include <workq/transport.h>

/* Before connecting to endpoint (resolved). uds: when the endpoint lies in
 * the private runtime directory, that directory must be ours, a real
 * directory, and writable by nobody else: WQ_EUNSAFE otherwise, or the
 * error of looking at it (WQ_ENOENT when it is missing). Does not block
 * beyond a stat; thread-safe. */
wq_err wqi_trust_endpoint(const wq_transport *t, const char *endpoint, char *why, size_t size);

/* After connecting c to endpoint (resolved, for messages): the server must
 * run as this process's own account, the OS's most privileged account, or
 * account (NULL or "": none), which the backend resolves (a user name or
 * uid on POSIX; an account name or SID string on Windows). Errors:
 * WQ_EUNTRUSTED (naming what was found and what was expected), WQ_EINVAL
 * (account unknown to the OS), WQ_ENOMEM. Nothing is sent or received.
 * Thread-safe for different connections. */
wq_err wqi_trust_server(wq_conn *c, const char *endpoint, const char *account, char *why,
                        size_t size);

#endif /* WQI_TRUST_H */
