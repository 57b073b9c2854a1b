/* workq/version.h — the version of these headers and of the library.
 *
 * The macros give the version the headers belong to, known at compile
 * time; wq_version() gives the version of the library actually loaded at
 * run time. A program may compare the two.
 *
 * project(workq VERSION …) in CMakeLists.txt is the source of truth: the
 * numbers below are written by hand, and configuring with CMake fails if
 * they differ from it (cmake/install.cmake), so bump both together.
 */
#ifndef WORKQ_VERSION_H
#define WORKQ_VERSION_H

#include "export.h"

#define WORKQ_VERSION_MAJOR 0
#define WORKQ_VERSION_MINOR 1
#define WORKQ_VERSION_PATCH 0
#define WORKQ_VERSION_STRING "0.1.0"

/* One comparable number, unsigned: MAJOR * 10000 + MINOR * 100 + PATCH
 * (0.1.0 is 100). Use as `#if WORKQ_VERSION_NUMBER >= 100`. */
#define WORKQ_VERSION_NUMBER                                                                       \
    (WORKQ_VERSION_MAJOR * 10000u + WORKQ_VERSION_MINOR * 100u + WORKQ_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH" (WORKQ_VERSION_STRING of the
 * build that made it). A constant string, never NULL. Thread-safe. */
WQ_API const char *wq_version(void);

/* The library's WORKQ_VERSION_NUMBER. Thread-safe. */
WQ_API unsigned wq_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* WORKQ_VERSION_H */
