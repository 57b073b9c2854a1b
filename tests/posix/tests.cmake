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
