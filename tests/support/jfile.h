/* jfile.h — for the journal's tests: journal files built in memory,
 * record by record (journal_format.h, journal_records.h; fails the current
 * test if a file grows past its buffer), and an in-memory fs per test. */
#ifndef WQT_JFILE_H
#define WQT_JFILE_H

#include <stddef.h>
#include <stdint.h>

#include <workq/errors.h>

#include "fs.h"
#include "journal_records.h"

#define WQT_JFILE_MAX 8192
#define WQT_JFILE_RECORDS 64

typedef struct wqt_jfile {
    uint8_t data[WQT_JFILE_MAX];
    size_t len;
    size_t starts[WQT_JFILE_RECORDS]; /* where each record starts */
    size_t n;
} wqt_jfile;

/* A file holding just its header. */
void wqt_jopen(wqt_jfile *f);

/* Append a record of type and flags whose body is head then tail. */
void wqt_jput_raw(wqt_jfile *f, uint8_t type, uint8_t flags, const void *head, size_t hn,
                  const void *tail, size_t tn);

/* Fill *c with one change: name may be NULL; payload is PUBLISH's
 * payload or PURGE's encoded held ids (plen bytes). */
void wqt_jchange(wqi_jchange *c, uint8_t type, const char *name, uint64_t id, const void *payload,
                 size_t plen);

/* Append one change (journal_records.h): name may be NULL; payload is
 * PUBLISH's payload or PURGE's encoded held ids (plen bytes). */
void wqt_jput(wqt_jfile *f, uint8_t type, const char *name, uint64_t id, const void *payload,
              size_t plen);

#define WQT_JPUB(f, q, id, s) wqt_jput(f, WQI_JT_PUBLISH, q, id, s, strlen(s))
#define WQT_JNAMED(f, t, q) wqt_jput(f, t, q, 0, NULL, 0)
#define WQT_JBY_ID(f, t, id) wqt_jput(f, t, NULL, id, NULL, 0)

/* The in-memory fs (fs_mem.h) of a test, made by wqt_memfs_setup and
 * freed by wqt_memfs_teardown (CMocka setup and teardown), which also
 * fails the test if the code under test left a file or lock open. */
extern wqi_fs *wqt_memfs;
int wqt_memfs_setup(void **state);
int wqt_memfs_teardown(void **state);

#endif /* WQT_JFILE_H */
