# POSIX platform: pthreads, the uds backend, libbsd.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBSD REQUIRED IMPORTED_TARGET libbsd)

set(WORKQ_PLATFORM_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/thread.c
  ${CMAKE_CURRENT_LIST_DIR}/process.c
  ${CMAKE_CURRENT_LIST_DIR}/spare.c
  ${CMAKE_CURRENT_LIST_DIR}/memory.c
  ${CMAKE_CURRENT_LIST_DIR}/uds.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_listen.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_connect.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_send.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_recv.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_path.c
  ${CMAKE_CURRENT_LIST_DIR}/uds_trust.c
  ${CMAKE_CURRENT_LIST_DIR}/os_err.c
  ${CMAKE_CURRENT_LIST_DIR}/fs.c)
set(WORKQ_PLATFORM_LIBS Threads::Threads PkgConfig::LIBBSD)
# _GNU_SOURCE: struct ucred / SO_PEERCRED and the POSIX 2008 interfaces
# under -std=c11.
set(WORKQ_PLATFORM_DEFINES _GNU_SOURCE)
