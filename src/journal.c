/* journal.c — appending changes with group commit (journal.h). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "journal.h"
#include "journal_format.h"
#include "platform.h"

/* A batch that failed: the waiters of its changes get err. Kept until
 * each of its changes has been waited for (every append has one wait). */
struct failed {
    uint64_t lo, hi; /* its sequence numbers, [lo, hi) */
    wq_err err;
    uint64_t remaining;
};

struct wqi_journal {
    wqi_journal_config cfg;
    wqi_file *file;
    wqi_mutex lock;
    wqi_cond changed;
    wqi_buf pending;    /* records appended, not yet taken by a writer */
    wqi_buf writing;    /* the batch a writer holds (its buffer, reused) */
    uint64_t next_seq;  /* given to the next append */
    uint64_t taken;     /* changes below this have been taken by a writer */
    uint64_t written;   /* changes below this are decided: written or failed */
    uint64_t durable;   /* changes below this are decided and flushed */
    uint64_t good_size; /* the file's size after its last good write */
    int busy;           /* a writer (or the flusher) is using the file */
    wq_err broken;      /* a flush failed: refuse everything from now on */
    uint64_t fail_from; /* changes from here on failed, unrecorded (no memory) */
    struct failed *fails;
    size_t nfails, capfails;
    uint64_t writes, flushes;
    /* WQI_SYNC_INTERVAL's flusher. */
    wqi_thread flusher;
    int has_flusher;
    int stopping;
};

/* ---- failures ------------------------------------------------------------ */

static wq_err note_failure(wqi_journal *j, uint64_t lo, uint64_t hi, wq_err err)
{
    if (j->nfails == j->capfails) {
        size_t cap = j->capfails == 0 ? 4 : j->capfails * 2;
        struct failed *p = wqi_realloc(j->fails, cap * sizeof *p);
        if (p == NULL) {
            /* Cannot remember whom it concerns: fail everyone from this
             * batch on rather than tell a waiter its change is safe. */
            j->broken = WQ_EIO;
            if (lo < j->fail_from) {
                j->fail_from = lo;
            }
            return WQ_ENOMEM;
        }
        j->fails = p;
        j->capfails = cap;
    }
    struct failed *f = &j->fails[j->nfails++];
    f->lo = lo;
    f->hi = hi;
    f->err = err;
    f->remaining = hi - lo;
    return WQ_OK;
}

/* If seq's batch failed, its error (and the failure is consumed). */
static wq_err take_failure(wqi_journal *j, uint64_t seq)
{
    if (seq >= j->fail_from) {
        return WQ_EIO;
    }
    for (size_t i = 0; i < j->nfails; i++) {
        struct failed *f = &j->fails[i];
        if (seq >= f->lo && seq < f->hi) {
            wq_err err = f->err;
            if (--f->remaining == 0) {
                j->fails[i] = j->fails[--j->nfails];
            }
            return err;
        }
    }
    return WQ_OK;
}

/* ---- writing --------------------------------------------------------------- */

/* Write what is pending as one batch (and flush it if flush): called with
 * the lock held and busy clear; returns with the lock held. The disk is
 * touched without the lock, so appends go on meanwhile. */
static void write_batch(wqi_journal *j, int flush)
{
    wqi_buf tmp = j->writing;
    j->writing = j->pending;
    j->pending = tmp;
    wqi_buf_clear(&j->pending);
    uint64_t lo = j->taken, hi = j->next_seq;
    j->taken = hi;
    j->busy = 1;
    wq_err err = j->broken; /* a broken journal writes nothing more */
    wqi_mutex_unlock(&j->lock);

    wq_err flush_err = WQ_OK;
    wqi_fs *fs = j->cfg.fs;
    if (err == WQ_OK && j->writing.len > 0) {
        wqi_fs_iov iov;
        iov.data = j->writing.data;
        iov.len = j->writing.len;
        err = fs->ops->append(j->file, &iov, 1);
        if (err != WQ_OK && fs->ops->truncate(j->file, j->good_size) != WQ_OK) {
            flush_err = WQ_EIO; /* a torn batch would stay: stop here */
        }
    }
    if (err == WQ_OK && flush) {
        flush_err = fs->ops->flush(j->file);
        if (flush_err != WQ_OK) {
            err = WQ_EIO;
        }
    }

    wqi_mutex_lock(&j->lock);
    if (err == WQ_OK) {
        j->good_size += j->writing.len;
    } else if (hi > lo) {
        (void)note_failure(j, lo, hi, err);
    }
    if (flush_err != WQ_OK) {
        j->broken = WQ_EIO; /* journal.h: a failed flush is final */
    }
    j->writes += j->writing.len > 0;
    j->flushes += flush != 0;
    j->written = hi;
    if (flush) {
        j->durable = hi;
    }
    j->busy = 0;
    wqi_buf_clear(&j->writing);
    wqi_cond_broadcast(&j->changed);
}

wq_err wqi_journal_append(wqi_journal *j, const wqi_jchange *c, uint64_t *seq)
{
    uint8_t head[WQI_JCHANGE_HEAD_MAX];
    size_t hn = wqi_jchange_encode_head(c, head);
    size_t tn = c->type == WQI_JT_PUBLISH || c->type == WQI_JT_PURGE ? c->payload_len : 0;
    const void *p[2];
    size_t len[2];
    p[0] = head;
    p[1] = c->payload;
    len[0] = hn;
    len[1] = tn;
    uint8_t hdr[WQI_JREC_HEADER];
    if ((uint64_t)hn + tn > WQI_JREC_MAX_BODY) {
        return WQ_EINVAL;
    }
    wqi_jrec_header(hdr, c->type, 0, p, len, 2);
    wqi_mutex_lock(&j->lock);
    wq_err err = j->broken;
    size_t before = j->pending.len;
    if (err == WQ_OK) {
        err = wqi_buf_reserve(&j->pending, WQI_JREC_HEADER + hn + tn);
    }
    if (err == WQ_OK) {
        (void)wqi_buf_append(&j->pending, hdr, sizeof hdr);
        (void)wqi_buf_append(&j->pending, head, hn);
        if (tn > 0) {
            (void)wqi_buf_append(&j->pending, c->payload, tn);
        }
        *seq = j->next_seq++;
    } else {
        j->pending.len = before;
    }
    wqi_mutex_unlock(&j->lock);
    return err;
}

wq_err wqi_journal_wait(wqi_journal *j, uint64_t seq)
{
    int flush = j->cfg.sync == WQI_SYNC_ALWAYS;
    wqi_mutex_lock(&j->lock);
    wq_err err = WQ_OK;
    for (;;) {
        uint64_t done = flush ? j->durable : j->written;
        if (seq < done) {
            err = take_failure(j, seq);
            break;
        }
        if (!j->busy && j->taken <= seq) {
            write_batch(j, flush); /* lead: write for everyone waiting */
        } else {
            wqi_cond_wait(&j->changed, &j->lock);
        }
    }
    wqi_mutex_unlock(&j->lock);
    return err;
}

/* WQI_SYNC_INTERVAL: flush what was written at least every interval_ms. */
static void flusher_main(void *arg)
{
    wqi_journal *j = arg;
    wqi_mutex_lock(&j->lock);
    while (!j->stopping) {
        int64_t deadline = wqi_clock_ms() + (int64_t)j->cfg.interval_ms;
        while (!j->stopping && wqi_cond_wait_until(&j->changed, &j->lock, deadline) == WQ_OK) {
        }
        while (j->busy && !j->stopping) {
            wqi_cond_wait(&j->changed, &j->lock); /* a writer is at it */
        }
        if (!j->stopping && j->broken == WQ_OK && j->durable < j->next_seq) {
            write_batch(j, 1);
        }
    }
    wqi_mutex_unlock(&j->lock);
}

/* ---- open and close ---------------------------------------------------- */

/* The directory part of path ("." if none). */
static void dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(out, size, ".");
    } else {
        snprintf(out, size, "%.*s", (int)(slash - path), path);
    }
}

wq_err wqi_journal_open(const wqi_journal_config *cfg, wqi_journal **out)
{
    *out = NULL;
    wqi_journal *j = wqi_calloc(1, sizeof *j);
    if (j == NULL) {
        return WQ_ENOMEM;
    }
    j->cfg = *cfg;
    j->next_seq = j->taken = j->written = j->durable = cfg->next_seq;
    j->fail_from = UINT64_MAX;
    wqi_buf_init(&j->pending);
    wqi_buf_init(&j->writing);
    wqi_mutex_init(&j->lock);
    wqi_cond_init(&j->changed);
    wqi_fs *fs = cfg->fs;
    wq_err err = fs->ops->open(fs, cfg->path, WQI_FS_CREATE, &j->file);
    if (err == WQ_OK) {
        err = fs->ops->size(j->file, &j->good_size);
    }
    if (err == WQ_OK && j->good_size == 0) {
        /* A new segment: its header, made durable with its name. */
        uint8_t hdr[WQI_JOURNAL_FILE_HEADER];
        wqi_journal_header_write(hdr);
        wqi_fs_iov iov;
        iov.data = hdr;
        iov.len = sizeof hdr;
        char dir[4096];
        dir_of(cfg->path, dir, sizeof dir);
        err = fs->ops->append(j->file, &iov, 1);
        if (err == WQ_OK) {
            err = fs->ops->flush(j->file);
        }
        if (err == WQ_OK) {
            err = fs->ops->sync_dir(fs, dir);
        }
        j->good_size = err == WQ_OK ? sizeof hdr : 0;
    }
    if (err == WQ_OK && cfg->sync == WQI_SYNC_INTERVAL) {
        err = wqi_thread_start(&j->flusher, flusher_main, j);
        j->has_flusher = err == WQ_OK;
    }
    if (err != WQ_OK) {
        wqi_journal_close(j);
        return err;
    }
    *out = j;
    return WQ_OK;
}

void wqi_journal_close(wqi_journal *j)
{
    if (j == NULL) {
        return;
    }
    wqi_mutex_lock(&j->lock);
    j->stopping = 1;
    wqi_cond_broadcast(&j->changed);
    wqi_mutex_unlock(&j->lock);
    if (j->has_flusher) {
        wqi_thread_join(&j->flusher);
    }
    if (j->file != NULL) {
        wqi_mutex_lock(&j->lock);
        if (j->broken == WQ_OK && (j->pending.len > 0 || j->durable < j->next_seq)) {
            write_batch(j, j->cfg.sync != WQI_SYNC_NONE);
        }
        wqi_mutex_unlock(&j->lock);
        j->cfg.fs->ops->close(j->file);
    }
    wqi_buf_free(&j->pending);
    wqi_buf_free(&j->writing);
    wqi_free(j->fails);
    wqi_cond_destroy(&j->changed);
    wqi_mutex_destroy(&j->lock);
    wqi_free(j);
}

void wqi_journal_stats(wqi_journal *j, uint64_t *writes, uint64_t *flushes)
{
    wqi_mutex_lock(&j->lock);
    *writes = j->writes;
    *flushes = j->flushes;
    wqi_mutex_unlock(&j->lock);
}
