# POSIX-only suites: the uds backend's filesystem safety and wire robustness
# (checklist T-US-*, T-UR-*). Included by tests/CMakeLists.txt when not WIN32.

# Runtime directory, directory safety, stale sockets, the endpoint lock,
# path lengths and endpoint name resolution.
workq_test_exe(test_uds_paths posix/test_uds_paths.c)
workq_add_test(uds.paths test_uds_paths)

# The wire against a raw socket peer: hostile lengths, split and merged
# writes, vanishing peers, SIGPIPE, peer credentials, descriptors.
workq_test_exe(test_uds_robustness posix/test_uds_robustness.c)
workq_add_test(uds.robustness test_uds_robustness)

# Server-level: half-sent messages are cut, others are served meanwhile.
workq_test_exe(test_server_slow_clients posix/test_server_slow_clients.c)
workq_add_test(server.slow_clients test_server_slow_clients)

# Serving a listening socket opened by someone else (socket activation):
# wq_listener_adopt and wq_server_config.listener, in process.
workq_test_exe(test_uds_adopt posix/test_uds_adopt.c)
workq_add_test(uds.adopt test_uds_adopt)

# workqd under a fake systemd, as a process: READY=1/STOPPING=1 on
# $NOTIFY_SOCKET, an inherited socket (LISTEN_FDS), --socket-group and
# --socket-mode. Runs where workqd is, like tests/programs.
workq_test_exe(test_systemd posix/test_systemd.c)
add_dependencies(test_systemd workqd)
workq_add_test(programs.systemd test_systemd)
set_tests_properties(programs.systemd PROPERTIES WORKING_DIRECTORY $<TARGET_FILE_DIR:workqd>)


# A client sends nothing to a server it does not trust: the runtime
# directory's owner and mode, the account the server runs as (a real second
# account, created and removed by the test as root). The lock keeps the two
# tests that run useradd/userdel from meeting on /etc/passwd's lock.
workq_test_exe(test_client_trust posix/test_client_trust.c)
workq_add_test(client.trust test_client_trust)
set_tests_properties(client.trust PROPERTIES RESOURCE_LOCK workq_accounts)

# workqctl as a process against workqd run by that second account: exit
# status 9 and both accounts named, --server-account, $WORKQ_SERVER_ACCOUNT.
workq_test_exe(test_workqctl_trust posix/test_workqctl_trust.c)
add_dependencies(test_workqctl_trust workqd workqctl)
workq_add_test(programs.workqctl_trust test_workqctl_trust)
set_tests_properties(programs.workqctl_trust PROPERTIES
  WORKING_DIRECTORY $<TARGET_FILE_DIR:workqd> RESOURCE_LOCK workq_accounts)

# errno to wq_err in one place; the OS's own code and text kept per thread.
workq_test_exe(test_os_err posix/test_os_err.c)
workq_add_test(os_err test_os_err)

# Library threads get the documented stack size (src/platform.h).
workq_test_exe(test_thread_stack posix/test_thread_stack.c)
workq_add_test(thread_stack test_thread_stack)

# Out of file descriptors (a low RLIMIT_NOFILE in the test process): every
# client is served or told 503 busy, the log says so once, the server
# recovers.
workq_test_exe(test_server_fd_limit posix/test_server_fd_limit.c)
workq_add_test(server.fd_limit test_server_fd_limit)

# workqd as a process under a low descriptor limit: it raises its soft
# RLIMIT_NOFILE for --max-connections, or says once that the hard limit is
# too low. Runs where workqd is, like tests/programs.
workq_test_exe(test_workqd_fd_limit posix/test_workqd_fd_limit.c)
add_dependencies(test_workqd_fd_limit workqd)
workq_add_test(programs.fd_limit test_workqd_fd_limit)
set_tests_properties(programs.fd_limit PROPERTIES WORKING_DIRECTORY $<TARGET_FILE_DIR:workqd>)

# workqd under a real memory cap (RLIMIT_AS): the default budget follows
# it; when memory runs out anyway, management keeps working.
workq_test_exe(test_workqd_memory_cap posix/test_workqd_memory_cap.c)
add_dependencies(test_workqd_memory_cap workqd)
workq_add_test(programs.memory_cap test_workqd_memory_cap)
set_tests_properties(programs.memory_cap PROPERTIES WORKING_DIRECTORY $<TARGET_FILE_DIR:workqd>)

# The native file seam beyond the shared conformance suite (tests/test_fs.c):
# ENOSPC from a full device (/dev/full), 0600 files, the lock across
# processes.
workq_test_exe(test_fs_posix posix/test_fs_posix.c)
workq_add_test(fs.posix test_fs_posix)
