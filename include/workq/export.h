/* workq/export.h — symbol visibility for the public API.
 *
 * WQ_API marks every public declaration. The shared library is built with
 * hidden visibility, so only WQ_API symbols are exported. Define WQ_STATIC
 * when linking the static library so that Windows consumers do not expect
 * dllimport thunks.
 */
#ifndef WORKQ_EXPORT_H
#define WORKQ_EXPORT_H

#if defined(WQ_STATIC)
#define WQ_API
#elif defined(_WIN32)
#if defined(WQ_BUILDING)
#define WQ_API __declspec(dllexport)
#else
#define WQ_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define WQ_API __attribute__((visibility("default")))
#else
#define WQ_API
#endif

#endif /* WORKQ_EXPORT_H */
