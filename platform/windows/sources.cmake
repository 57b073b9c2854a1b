# Windows platform: Win32 threads, the npipe backend. No libbsd here.
set(WORKQ_PLATFORM_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/thread.c
  ${CMAKE_CURRENT_LIST_DIR}/process.c
  ${CMAKE_CURRENT_LIST_DIR}/spare.c
  ${CMAKE_CURRENT_LIST_DIR}/memory.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe_conn.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe_name.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe_security.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe_trust.c
  ${CMAKE_CURRENT_LIST_DIR}/os_err.c
  ${CMAKE_CURRENT_LIST_DIR}/npipe_os.c
  ${CMAKE_CURRENT_LIST_DIR}/fs.c)
set(WORKQ_PLATFORM_LIBS advapi32)
# Windows 7 is the oldest target: CancelIoEx, GetTickCount64, SRW locks and
# condition variables are all there.
set(WORKQ_PLATFORM_DEFINES WIN32_LEAN_AND_MEAN _WIN32_WINNT=0x0601 UNICODE _UNICODE)
