/* raw_unix.h — raw Unix-domain sockets for POSIX tests that play a peer
 * the library does not control (a stalled client, a dead server's file, a
 * socket systemd would pass). Every helper asserts on failure. */
#ifndef WQT_RAW_UNIX_H
#define WQT_RAW_UNIX_H

#include <sys/un.h>

/* sa for path; fails the test if path does not fit sun_path. */
void wqt_unix_addr(const char *path, struct sockaddr_un *sa);

/* A SOCK_STREAM socket bound at path, listening with this backlog unless
 * backlog < 0. Not close-on-exec: tests pass it to a child. */
int wqt_unix_bound(const char *path, int backlog);

/* A SOCK_STREAM socket connected to path, close-on-exec, with a 30 s
 * receive timeout as a safety net (a peer that never answers fails the
 * test instead of hanging it). */
int wqt_unix_connect(const char *path);

#endif /* WQT_RAW_UNIX_H */
