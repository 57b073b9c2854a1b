# cmake/install.cmake — libworkq for ports and packagers: what
# `cmake --install` puts into the prefix. Included at the end of the
# top-level CMakeLists.txt, after the `workq` target is defined.
#
#   include/workq/*.h                       the public headers
#   POSIX    lib/libworkq.so.0.1.0          shared library, SONAME libworkq.so.<major>,
#            lib/libworkq.so.0, .so         with its two links
#            lib/libworkq.a                 static library
#   Windows  bin/workq.dll                  shared library (no "lib" prefix, as with MSVC)
#            lib/libworkq.dll.a             its import library (MSVC: lib/workq.lib)
#            lib/libworkq_s.a               static library (MSVC: lib/workq_s.lib); "_s"
#                                           because MSVC's workq.lib is the import library
#   lib/cmake/workq/                        CMake package: find_package(workq) gives
#                                           workq::workq (shared, or static when
#                                           BUILD_SHARED_LIBS=OFF) and workq::workq_static
#   lib/pkgconfig/workq.pc                  pkg-config: the library as built (shared by default)
#   lib/pkgconfig/workq-static.pc           pkg-config: the static library (adds -DWQ_STATIC)
#   bin/workqd, bin/workqctl                the service and the command-line tool
#
# The static library is built with WQ_STATIC, which its users get too
# (INTERFACE_COMPILE_DEFINITIONS, Cflags), along with the platform
# libraries a static archive cannot carry: Threads and libbsd on POSIX
# (find_dependency in the package, Requires.private/Libs.private in the .pc
# files), advapi32 on Windows. When BUILD_SHARED_LIBS=OFF, `workq` is
# itself the static library and no second one is built.
#
# Version: project(workq VERSION) is the source of truth. The committed
# include/workq/version.h must agree with it (checked below, at configure
# time), and so must the WQ_VERSION_STRING compile definition, which the
# top-level CMakeLists.txt derives from PROJECT_VERSION.
#
# tests/install/check.sh installs into a temporary prefix and builds a
# consumer against it; see there.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# --- include/workq/version.h must match project(VERSION) ---------------------
file(STRINGS ${PROJECT_SOURCE_DIR}/include/workq/version.h _workq_version_lines
  REGEX "^#define WORKQ_VERSION_(MAJOR|MINOR|PATCH|STRING) ")
set(_workq_header_version "")
foreach(_part MAJOR MINOR PATCH STRING)
  set(_value "")
  foreach(_line IN LISTS _workq_version_lines)
    if(_line MATCHES "^#define WORKQ_VERSION_${_part} +\"?([0-9.]+)\"?$")
      set(_value ${CMAKE_MATCH_1})
    endif()
  endforeach()
  list(APPEND _workq_header_version "${_part}=${_value}")
endforeach()
set(_workq_project_version
  "MAJOR=${PROJECT_VERSION_MAJOR};MINOR=${PROJECT_VERSION_MINOR};PATCH=${PROJECT_VERSION_PATCH};STRING=${PROJECT_VERSION}")
if(NOT _workq_header_version STREQUAL _workq_project_version)
  message(FATAL_ERROR
    "include/workq/version.h (${_workq_header_version}) does not match "
    "project(workq VERSION ${PROJECT_VERSION}) in CMakeLists.txt: update the header")
endif()

# --- the installed static library -------------------------------------------
if(BUILD_SHARED_LIBS)
  workq_library(workq_a STATIC)
  target_compile_definitions(workq_a PUBLIC WQ_STATIC)
  if(WIN32)
    set(_workq_static_name workq_s)
  else()
    set(_workq_static_name workq)
  endif()
  set_target_properties(workq_a PROPERTIES
    OUTPUT_NAME ${_workq_static_name}
    EXPORT_NAME workq_static)
  set(_workq_library_targets workq workq_a)
  if(WIN32)
    # workq.dll and lib/libworkq.dll.a with mingw, as workq.dll and
    # workq.lib with MSVC.
    set_target_properties(workq PROPERTIES PREFIX "")
  endif()
else()
  set(_workq_static_name workq)
  set(_workq_library_targets workq)
endif()
set(_workq_static_file
  ${CMAKE_STATIC_LIBRARY_PREFIX}${_workq_static_name}${CMAKE_STATIC_LIBRARY_SUFFIX})

# --- targets, headers, the service ------------------------------------------
set(WORKQ_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/workq CACHE STRING
  "Where the CMake package (workq-config.cmake) is installed, relative to the prefix")
set(WORKQ_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
  "Where workq.pc and workq-static.pc are installed, relative to the prefix")

# The targets' include directory is $<INSTALL_INTERFACE:include>; add the
# configured one only when it differs, to not list it twice.
set(_workq_includes_destination "")
if(NOT CMAKE_INSTALL_INCLUDEDIR STREQUAL "include")
  set(_workq_includes_destination INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(TARGETS ${_workq_library_targets}
  EXPORT workq-targets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ${_workq_includes_destination})
# The programs. workqd links the static library and stands alone.
# workqctl links the shared library; installed without an RPATH, it finds
# libworkq.so where the system looks (a distribution's prefix) or through
# LD_LIBRARY_PATH; on Windows workq.dll is beside it.
install(TARGETS workqd
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET workqctl)
  install(TARGETS workqctl
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY include/workq DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# --- CMake package -----------------------------------------------------------
install(EXPORT workq-targets
  NAMESPACE workq::
  FILE workq-targets.cmake
  DESTINATION ${WORKQ_INSTALL_CMAKEDIR})
set(WORKQ_CONFIG_PLATFORM ${WORKQ_PLATFORM})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/workq-config.cmake.in
  ${PROJECT_BINARY_DIR}/package/workq-config.cmake
  INSTALL_DESTINATION ${WORKQ_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO)
# The SOVERSION is the major version, so the package promises the same.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/workq-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/workq-config.cmake
  ${PROJECT_BINARY_DIR}/package/workq-config-version.cmake
  DESTINATION ${WORKQ_INSTALL_CMAKEDIR})

# --- pkg-config --------------------------------------------------------------
# prefix= is written at install time, so `cmake --install --prefix DIR`
# gives a correct file; libdir and includedir are relative to ${prefix}
# unless configured absolute.
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(WORKQ_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(WORKQ_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
if(WIN32)
  set(WORKQ_PC_REQUIRES_PRIVATE "")
  set(WORKQ_PC_LIBS_PRIVATE "-ladvapi32")
else()
  set(WORKQ_PC_REQUIRES_PRIVATE "libbsd")
  # Empty when the C library has the threads functions itself.
  set(WORKQ_PC_LIBS_PRIVATE "${CMAKE_THREAD_LIBS_INIT}")
endif()

# @WORKQ_PC_PREFIX@ stays in for the install step to replace.
set(WORKQ_PC_PREFIX "@WORKQ_PC_PREFIX@")

# workq.pc: the `workq` target as built.
set(WORKQ_PC_NAME workq)
set(WORKQ_PC_DESCRIPTION "${PROJECT_DESCRIPTION}")
set(WORKQ_PC_LIBS "-L\${libdir} -lworkq")
if(BUILD_SHARED_LIBS)
  set(WORKQ_PC_CFLAGS "-I\${includedir}")
else()
  set(WORKQ_PC_CFLAGS "-I\${includedir} -DWQ_STATIC")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/workq.pc.in
  ${PROJECT_BINARY_DIR}/package/workq.pc.in @ONLY)

# workq-static.pc: the static library by its file name, so that it is the
# one linked even when libworkq.so sits next to it. Use with --static.
set(WORKQ_PC_NAME workq-static)
set(WORKQ_PC_DESCRIPTION "${PROJECT_DESCRIPTION} (static library)")
set(WORKQ_PC_LIBS "\${libdir}/${_workq_static_file}")
set(WORKQ_PC_CFLAGS "-I\${includedir} -DWQ_STATIC")
configure_file(${CMAKE_CURRENT_LIST_DIR}/workq.pc.in
  ${PROJECT_BINARY_DIR}/package/workq-static.pc.in @ONLY)

if(IS_ABSOLUTE "${WORKQ_INSTALL_PKGCONFIGDIR}")
  set(_workq_pc_dest "${WORKQ_INSTALL_PKGCONFIGDIR}")
else()
  set(_workq_pc_dest "\${CMAKE_INSTALL_PREFIX}/${WORKQ_INSTALL_PKGCONFIGDIR}")
endif()
install(CODE "set(_workq_pc_dir \"${PROJECT_BINARY_DIR}/package\")
set(_workq_pc_dest \"${_workq_pc_dest}\")")
install(CODE [[
foreach(_workq_pc workq workq-static)
  file(READ "${_workq_pc_dir}/${_workq_pc}.pc.in" _workq_pc_text)
  string(REPLACE "@WORKQ_PC_PREFIX@" "${CMAKE_INSTALL_PREFIX}" _workq_pc_text "${_workq_pc_text}")
  file(WRITE "${_workq_pc_dir}/${_workq_pc}.pc" "${_workq_pc_text}")
  file(INSTALL DESTINATION "${_workq_pc_dest}" TYPE FILE FILES "${_workq_pc_dir}/${_workq_pc}.pc")
endforeach()
]])
