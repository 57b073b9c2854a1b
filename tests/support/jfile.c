/* jfile.c — journal files built in memory (jfile.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fs_mem.h"
#include "jfile.h"
#include "journal_format.h"
#include "journal_records.h"

void wqt_jopen(wqt_jfile *f)
{
    wqi_journal_header_write(f->data);
    f->len = WQI_JOURNAL_FILE_HEADER;
    f->n = 0;
}

void wqt_jput_raw(wqt_jfile *f, uint8_t type, uint8_t flags, const void *head, size_t hn,
                  const void *tail, size_t tn)
{
    const void *p[2];
    size_t len[2];
    p[0] = head; /* field by field: MSVC's C4204 otherwise */
    p[1] = tail;
    len[0] = hn;
    len[1] = tn;
    assert_true(f->len + WQI_JREC_HEADER + hn + tn <= sizeof f->data && f->n < WQT_JFILE_RECORDS);
    f->starts[f->n++] = f->len;
    wqi_jrec_header(f->data + f->len, type, flags, p, len, 2);
    memcpy(f->data + f->len + WQI_JREC_HEADER, head, hn);
    if (tn > 0) {
        memcpy(f->data + f->len + WQI_JREC_HEADER + hn, tail, tn);
    }
    f->len += WQI_JREC_HEADER + hn + tn;
}

void wqt_jchange(wqi_jchange *c, uint8_t type, const char *name, uint64_t id, const void *payload,
                 size_t plen)
{
    memset(c, 0, sizeof *c);
    c->type = type;
    c->name = name;
    c->name_len = name != NULL ? strlen(name) : 0;
    c->id = id;
    c->payload = payload;
    c->payload_len = plen;
}

void wqt_jput(wqt_jfile *f, uint8_t type, const char *name, uint64_t id, const void *payload,
              size_t plen)
{
    wqi_jchange c;
    wqt_jchange(&c, type, name, id, payload, plen);
    uint8_t head[WQI_JCHANGE_HEAD_MAX];
    size_t hn = wqi_jchange_encode_head(&c, head);
    wqt_jput_raw(f, type, 0, head, hn, payload, plen);
}

wqi_fs *wqt_memfs;

int wqt_memfs_setup(void **state)
{
    (void)state;
    assert_int_equal(wqi_fs_mem_new(&wqt_memfs), WQ_OK);
    return 0;
}

int wqt_memfs_teardown(void **state)
{
    (void)state;
    assert_int_equal(wqi_fs_mem_open_files(wqt_memfs), 0);
    wqi_fs_mem_free(wqt_memfs);
    wqt_memfs = NULL;
    return 0;
}
