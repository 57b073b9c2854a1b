/* journal_recover.c — the journal's segments, in order, into a registry
 * (journal_recover.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "journal_recover.h"

void wqi_journal_name(uint64_t seq, char out[WQI_JOURNAL_NAME_LEN + 1])
{
    snprintf(out, WQI_JOURNAL_NAME_LEN + 1, "journal-%020llu", (unsigned long long)seq);
}

int wqi_journal_name_parse(const char *name, uint64_t *seq)
{
    if (strlen(name) != WQI_JOURNAL_NAME_LEN || strncmp(name, "journal-", 8) != 0) {
        return 0;
    }
    uint64_t v = 0;
    for (const char *p = name + 8; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return 0;
        }
        v = v * 10 + d;
    }
    *seq = v;
    return 1;
}

/* The segments' numbers, collected by list(). */
struct segments {
    uint64_t *seq;
    size_t n, cap;
};

static wq_err collect(void *ctx, const char *name)
{
    struct segments *s = ctx;
    uint64_t seq;
    if (!wqi_journal_name_parse(name, &seq)) {
        return WQ_OK; /* not ours: left alone */
    }
    if (s->n == s->cap) {
        size_t cap = s->cap == 0 ? 8 : s->cap * 2;
        uint64_t *p = wqi_realloc(s->seq, cap * sizeof *p);
        if (p == NULL) {
            return WQ_ENOMEM;
        }
        s->seq = p;
        s->cap = cap;
    }
    s->seq[s->n++] = seq;
    return WQ_OK;
}

static int seq_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* dir + "/" + name into out; WQ_ENAMETOOLONG if it does not fit. */
static wq_err join(const char *dir, const char *name, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= size ? WQ_ENAMETOOLONG : WQ_OK;
}

/* The whole file into *data (the caller frees it). */
static wq_err read_whole(wqi_fs *fs, const char *path, uint8_t **data, size_t *len)
{
    wqi_file *f = NULL;
    *data = NULL;
    *len = 0;
    wq_err err = fs->ops->open(fs, path, 0, &f);
    uint64_t size = 0;
    if (err == WQ_OK) {
        err = fs->ops->size(f, &size);
    }
    if (err == WQ_OK && size > SIZE_MAX - 1) {
        err = WQ_ENOMEM;
    }
    uint8_t *buf = NULL;
    if (err == WQ_OK) {
        buf = wqi_malloc((size_t)size + 1);
        err = buf == NULL ? WQ_ENOMEM : WQ_OK;
    }
    size_t have = 0;
    while (err == WQ_OK && have < size) {
        size_t got = 0;
        err = fs->ops->read(f, have, buf + have, (size_t)size - have, &got);
        if (err == WQ_OK && got == 0) {
            break; /* shorter than it said: it changed under us */
        }
        have += got;
    }
    if (f != NULL) {
        fs->ops->close(f);
    }
    if (err != WQ_OK) {
        wqi_free(buf);
        return err;
    }
    *data = buf;
    *len = have;
    return WQ_OK;
}

wq_err wqi_journal_recover(wqi_fs *fs, const char *dir, wqi_registry *r, wqi_recovery *report)
{
    memset(report, 0, sizeof *report);
    report->end = WQI_REPLAY_WHOLE;
    struct segments segs = {NULL, 0, 0};
    wq_err err = fs->ops->list(fs, dir, collect, &segs);
    if (err == WQ_OK && segs.n > 1) {
        qsort(segs.seq, segs.n, sizeof *segs.seq, seq_cmp);
    }
    wqi_replay *m = NULL;
    if (err == WQ_OK) {
        err = wqi_replay_new(&m);
    }
    for (size_t i = 0; err == WQ_OK && i < segs.n; i++) {
        char name[WQI_JOURNAL_NAME_LEN + 1];
        char path[4096];
        wqi_journal_name(segs.seq[i], name);
        err = join(dir, name, path, sizeof path);
        uint8_t *data = NULL;
        size_t len = 0;
        if (err == WQ_OK) {
            err = read_whole(fs, path, &data, &len);
        }
        wqi_replay_end end = WQI_REPLAY_WHOLE;
        size_t at = 0;
        if (err == WQ_OK) {
            err = wqi_replay_file(m, data, len, &end, &at);
        }
        wqi_free(data);
        if (err != WQ_OK) {
            break;
        }
        report->segments++;
        report->last_seq = segs.seq[i];
        snprintf(report->file, sizeof report->file, "%s", name);
        report->end = end;
        report->offset = at;
        int last = i + 1 == segs.n;
        /* Only the last segment can have been cut by a crash: a torn tail
         * anywhere else is damage. */
        if (end == WQI_REPLAY_TORN && !last) {
            report->end = WQI_REPLAY_DAMAGED;
        }
        if (report->end != WQI_REPLAY_WHOLE && report->end != WQI_REPLAY_TORN) {
            err = WQ_EPROTO;
        }
    }
    if (err == WQ_OK) {
        wqi_replay_counts(m, &report->queues, &report->items, &report->bytes, &report->next_id);
        err = wqi_replay_restore(m, r);
    }
    wqi_replay_free(m);
    wqi_free(segs.seq);
    return err;
}
