# Windows-only suites: the npipe backend's security and robustness
# (checklist T-WPS-*, T-WPR-*). Included by tests/CMakeLists.txt when WIN32;
# under a cross build they run through Wine like every other test.
workq_test_exe(test_npipe_resolve ${CMAKE_CURRENT_LIST_DIR}/test_npipe_resolve.c)
workq_add_test(npipe.resolve test_npipe_resolve)

workq_test_exe(test_npipe_security ${CMAKE_CURRENT_LIST_DIR}/test_npipe_security.c)
workq_add_test(npipe.security test_npipe_security)

workq_test_exe(test_npipe_seam ${CMAKE_CURRENT_LIST_DIR}/test_npipe_seam.c)
workq_add_test(npipe.seam test_npipe_seam)

workq_test_exe(test_npipe_robustness ${CMAKE_CURRENT_LIST_DIR}/test_npipe_robustness.c)
workq_add_test(npipe.robustness test_npipe_robustness)

# What only real Windows proves (DACL enforcement, name squatting, the SQOS
# level); the Wine-dependent cases skip under Wine and run in ci/windows.ps1.
workq_test_exe(test_npipe_real_windows ${CMAKE_CURRENT_LIST_DIR}/test_npipe_real_windows.c)
workq_add_test(npipe.real_windows test_npipe_real_windows)
