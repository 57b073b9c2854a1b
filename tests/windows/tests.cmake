# Windows-only suites: the npipe backend's security and robustness
# (checklist T-WPS-*, T-WPR-*). Included by tests/CMakeLists.txt when WIN32;
# under a cross build they run through Wine like every other test.
workq_test_exe(test_npipe_resolve ${CMAKE_CURRENT_LIST_DIR}/test_npipe_resolve.c)
workq_add_test(npipe.resolve test_npipe_resolve)

workq_test_exe(test_npipe_security ${CMAKE_CURRENT_LIST_DIR}/test_npipe_security.c)
workq_add_test(npipe.security test_npipe_security)

workq_test_exe(test_npipe_seam ${CMAKE_CURRENT_LIST_DIR}/test_npipe_seam.c)
workq_add_test(npipe.seam test_npipe_seam)

# A client sends nothing to a pipe server that runs as an account it does
# not trust: an impostor's process user and pipe owner made through the seam.
workq_test_exe(test_npipe_trust ${CMAKE_CURRENT_LIST_DIR}/test_npipe_trust.c)
workq_add_test(npipe.trust test_npipe_trust)

workq_test_exe(test_npipe_robustness ${CMAKE_CURRENT_LIST_DIR}/test_npipe_robustness.c)
workq_add_test(npipe.robustness test_npipe_robustness)

# workqd as a Windows service (checklist T-WS-*). The state machine, the
# control handler, the event log sink and the service DACL through their
# seams, linking the service sources directly:
workq_test_exe(test_service_status ${CMAKE_CURRENT_LIST_DIR}/test_service_status.c)
target_sources(test_service_status PRIVATE ${WORKQD_SERVICE_SOURCES})
target_include_directories(test_service_status PRIVATE ${PROJECT_SOURCE_DIR}/src/daemon
  ${PROJECT_SOURCE_DIR}/src/daemon/windows)
workq_add_test(service.status test_service_status)
# ... and the real thing under the SCM (Wine's services.exe in CI): run in
# the directory holding workqd, like the process tests.
workq_test_exe(test_service ${CMAKE_CURRENT_LIST_DIR}/test_service.c)
add_dependencies(test_service workqd)
workq_add_test(service.lifecycle test_service)
set_tests_properties(service.lifecycle PROPERTIES WORKING_DIRECTORY $<TARGET_FILE_DIR:workqd>)

# What only real Windows proves (DACL enforcement, name squatting, the SQOS
# level); the Wine-dependent cases skip under Wine and run in ci/windows.ps1.
workq_test_exe(test_npipe_real_windows ${CMAKE_CURRENT_LIST_DIR}/test_npipe_real_windows.c)
workq_add_test(npipe.real_windows test_npipe_real_windows)

# Win32 error codes to wq_err in one place; Windows' own code and text kept
# per thread.
workq_test_exe(test_os_err ${CMAKE_CURRENT_LIST_DIR}/test_os_err.c)
workq_add_test(os_err test_os_err)
