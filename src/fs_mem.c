/* fs_mem.c — the in-memory wqi_fs of fs_mem.h.
 *
 * A file (struct node) holds its content now and what a crash needs to
 * rebuild any state it went through since its last flush: the durable
 * content, kept as data[0..base) followed by `old` (the durable bytes a
 * truncate has since cut from data), and the steps done since, in order
 * (appends, with their bytes in `wlog`, and truncates). Appends never
 * touch data[0..base), so the durable content costs nothing to keep until
 * a truncate cuts into it, and a flush only forgets.
 *
 * Names: `names` maps paths to files now, `dnames` as the disk has them
 * for sure, and `changes` lists, oldest first, the creates, renames and
 * removes not yet known durable (each with the directories whose sync
 * makes it so). A change whose directories have all been synced is
 * durable; the durable ones at the front of the list are applied to
 * dnames and dropped, and the others wait for those before them (a crash
 * replays the whole list in order, so order is never lost).
 *
 * Files are reference-counted: by their names in names and dnames, by
 * changes, and by open handles. The last reference frees them.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "fs_mem.h"
#include "platform.h"

#define MAX_FAULTS 16

struct step {
    int truncate; /* 1: a truncate to n bytes; 0: an append of n bytes at wlog[off] */
    size_t n;
    size_t off;
};

struct node {
    unsigned refs;
    unsigned opens; /* handles open on it (locks too) */
    int locked;
    uint8_t *data; /* the content now: len bytes */
    size_t len, cap;
    size_t base;  /* data[0..base) is the start of the durable content */
    uint8_t *old; /* the rest of it: durable = data[0..base) + old */
    size_t old_len, old_cap;
    struct step *steps; /* since the last flush, oldest first */
    size_t nsteps, steps_cap;
    uint8_t *wlog; /* the bytes those appends wrote, in order */
    size_t wlog_len, wlog_cap;
    uint64_t pending; /* bytes appended + truncates, since the last flush */
    unsigned truncates;
};

struct name {
    char *path;
    struct node *node;
};

struct names {
    struct name *v;
    size_t n, cap;
};

struct change {
    wqi_fs_mem_change_kind kind;
    char *path;
    char *to;     /* RENAMED only */
    char *dir[2]; /* the directories it touches (dir[1] NULL if one) */
    int synced[2];
    struct node *node;
};

struct fault {
    wqi_fs_mem_op op;
    unsigned nth;
    wq_err err;
    size_t torn;
};

struct memfs {
    wqi_fs fs; /* first: a wqi_fs * of ours is a struct memfs * */
    wqi_mutex mu;
    struct names names;
    struct names dnames;
    struct change *changes;
    size_t nchanges, changes_cap;
    struct fault faults[MAX_FAULTS];
    size_t nfaults;
    uint64_t count;
    size_t open;
    wqi_fs_mem_hook hook;
    void *hook_ctx;
};

/* wqi_file is opaque in fs.h; here it is one of these. */
struct handle {
    struct memfs *m;
    struct node *node;
};

static struct memfs *memfs_of(wqi_fs *fs)
{
    return (struct memfs *)(void *)fs;
}

static struct handle *handle_of(wqi_file *f)
{
    return (struct handle *)(void *)f;
}

/* ---- small helpers ---------------------------------------------------- */

/* Room for need elements of elem bytes in the block that the pointer at
 * pp points to (capacity *cap elements), moving it if need be. 0 on
 * WQ_ENOMEM, with the block and *cap unchanged. The pointer is read and
 * written with memcpy, so it may be of any object pointer type (they all
 * share void *'s representation where workq builds) without breaking
 * the aliasing rules. */
static int reserve(void *pp, size_t *cap, size_t need, size_t elem)
{
    void *p;
    memcpy(&p, pp, sizeof p);
    if (need <= *cap && p != NULL) {
        return 1;
    }
    size_t c = *cap < 8 ? 8 : *cap;
    while (c < need) {
        if (c > SIZE_MAX / 2) {
            c = need;
            break;
        }
        c *= 2;
    }
    if (c > SIZE_MAX / elem) {
        return 0;
    }
    void *q = wqi_realloc(p, c * elem);
    if (q == NULL) {
        return 0;
    }
    memcpy(pp, &q, sizeof q);
    *cap = c;
    return 1;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = wqi_malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_str(const char *s)
{
    return dup_n(s, strlen(s));
}

/* A path names a file: not empty, not ending with '/', no "//". */
static int path_ok(const char *p)
{
    if (p == NULL || p[0] == '\0') {
        return 0;
    }
    size_t n = strlen(p);
    return p[n - 1] != '/' && strstr(p, "//") == NULL;
}

/* Length of path's directory: up to its last '/' ("/" for a file in the
 * root, "" for one without '/'). */
static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return 0;
    }
    return slash == path ? 1 : (size_t)(slash - path);
}

/* A directory argument: "." is "", a final '/' is dropped ("/" stays).
 * Returns its length; 0 with *ok 0 if dir is NULL. */
static size_t dir_arg(const char *dir, int *ok)
{
    *ok = dir != NULL;
    if (dir == NULL) {
        return 0;
    }
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    if (n == 1 && dir[0] == '.') {
        n = 0;
    }
    return n;
}

/* ---- files ------------------------------------------------------------ */

static struct node *node_new(void)
{
    return wqi_calloc(1, sizeof(struct node));
}

static void node_ref(struct node *n)
{
    n->refs++;
}

static void node_free(struct node *n)
{
    wqi_free(n->data);
    wqi_free(n->old);
    wqi_free(n->steps);
    wqi_free(n->wlog);
    wqi_free(n);
}

static void node_unref(struct node *n)
{
    if (n != NULL && --n->refs == 0) {
        node_free(n);
    }
}

/* Append the first limit bytes of the pieces. WQ_ENOMEM leaves n as it
 * was. */
static wq_err node_append(struct node *n, const wqi_fs_iov *iov, size_t cnt, size_t limit)
{
    if (limit == 0) {
        return WQ_OK;
    }
    if (n->len > SIZE_MAX - limit || n->wlog_len > SIZE_MAX - limit ||
        !reserve(&n->data, &n->cap, n->len + limit, 1) ||
        !reserve(&n->wlog, &n->wlog_cap, n->wlog_len + limit, 1) ||
        !reserve(&n->steps, &n->steps_cap, n->nsteps + 1, sizeof *n->steps)) {
        return WQ_ENOMEM;
    }
    struct step *s = &n->steps[n->nsteps++];
    s->truncate = 0;
    s->n = limit;
    s->off = n->wlog_len;
    for (size_t i = 0; i < cnt && limit > 0; i++) {
        size_t k = iov[i].len < limit ? iov[i].len : limit;
        if (k > 0) {
            memcpy(n->data + n->len, iov[i].data, k);
            memcpy(n->wlog + n->wlog_len, iov[i].data, k);
        }
        n->len += k;
        n->wlog_len += k;
        limit -= k;
    }
    n->pending += s->n;
    return WQ_OK;
}

/* Cut to size (<= len). A cut into the durable content first saves the
 * durable bytes it drops. WQ_ENOMEM leaves n as it was. */
static wq_err node_truncate(struct node *n, size_t size)
{
    if (size == n->len) {
        return WQ_OK;
    }
    size_t saved = size < n->base ? n->base - size : 0;
    if (!reserve(&n->old, &n->old_cap, n->old_len + saved, 1) ||
        !reserve(&n->steps, &n->steps_cap, n->nsteps + 1, sizeof *n->steps)) {
        return WQ_ENOMEM;
    }
    if (saved > 0) {
        memmove(n->old + saved, n->old, n->old_len);
        memcpy(n->old, n->data + size, saved);
        n->old_len += saved;
        n->base = size;
    }
    struct step *s = &n->steps[n->nsteps++];
    s->truncate = 1;
    s->n = size;
    s->off = 0;
    n->len = size;
    n->pending++;
    n->truncates++;
    return WQ_OK;
}

static void node_flush(struct node *n)
{
    n->base = n->len;
    n->old_len = 0;
    n->nsteps = 0;
    n->wlog_len = 0;
    n->pending = 0;
    n->truncates = 0;
}

/* A new file (no references yet) holding n's durable content with the
 * first k pending steps done on it, as its durable content. NULL on
 * WQ_ENOMEM. */
static struct node *node_replay(const struct node *n, uint64_t k)
{
    struct node *r = node_new();
    if (r == NULL) {
        return NULL;
    }
    size_t dur = n->base + n->old_len;
    if (!reserve(&r->data, &r->cap, dur, 1)) {
        node_free(r);
        return NULL;
    }
    if (n->base > 0) { /* (memcpy from NULL is undefined even for 0 bytes) */
        memcpy(r->data, n->data, n->base);
    }
    if (n->old_len > 0) {
        memcpy(r->data + n->base, n->old, n->old_len);
    }
    r->len = dur;
    for (size_t i = 0; i < n->nsteps && k > 0; i++) {
        const struct step *s = &n->steps[i];
        if (s->truncate) {
            r->len = s->n;
            k--;
            continue;
        }
        size_t take = (uint64_t)s->n < k ? s->n : (size_t)k;
        if (!reserve(&r->data, &r->cap, r->len + take, 1)) {
            node_free(r);
            return NULL;
        }
        memcpy(r->data + r->len, n->wlog + s->off, take);
        r->len += take;
        k -= take;
    }
    node_flush(r);
    return r;
}

/* ---- names ------------------------------------------------------------ */

static struct name *names_find(const struct names *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].path, path) == 0) {
            return &l->v[i];
        }
    }
    return NULL;
}

static struct node *names_get(const struct names *l, const char *path)
{
    const struct name *e = names_find(l, path);
    return e == NULL ? NULL : e->node;
}

/* Room for one more name, and its path copied: what names_set needs so
 * that it cannot fail. */
static wq_err names_prepare(struct names *l, const char *path, char **copy)
{
    *copy = NULL;
    if (!reserve(&l->v, &l->cap, l->n + 1, sizeof *l->v)) {
        return WQ_ENOMEM;
    }
    *copy = dup_str(path);
    return *copy == NULL ? WQ_ENOMEM : WQ_OK;
}

/* path now names node (replacing what it named). Takes copy (the path's
 * copy from names_prepare), freeing it if path was there already. */
static void names_set(struct names *l, char *copy, struct node *node)
{
    node_ref(node);
    struct name *e = names_find(l, copy);
    if (e != NULL) {
        wqi_free(copy);
        node_unref(e->node);
        e->node = node;
        return;
    }
    l->v[l->n].path = copy;
    l->v[l->n].node = node;
    l->n++;
}

static void names_del(struct names *l, const char *path)
{
    struct name *e = names_find(l, path);
    if (e == NULL) {
        return;
    }
    wqi_free(e->path);
    node_unref(e->node);
    *e = l->v[--l->n];
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++) {
        wqi_free(l->v[i].path);
        node_unref(l->v[i].node);
    }
    wqi_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- name changes ----------------------------------------------------- */

static void change_free(struct change *c)
{
    wqi_free(c->path);
    wqi_free(c->to);
    wqi_free(c->dir[0]);
    wqi_free(c->dir[1]);
    node_unref(c->node);
}

/* A change, ready to record (nothing shared with the fs yet): its copies
 * of the paths and directories. */
static wq_err change_make(struct change *c, wqi_fs_mem_change_kind kind, const char *path,
                          const char *to, struct node *node)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    size_t pl = dir_len(path);
    c->path = dup_str(path);
    c->dir[0] = dup_n(path, pl);
    int failed = c->path == NULL || c->dir[0] == NULL;
    if (to != NULL) {
        size_t tl = dir_len(to);
        c->to = dup_str(to);
        failed |= c->to == NULL;
        if (tl != pl || memcmp(to, path, tl) != 0) {
            c->dir[1] = dup_n(to, tl);
            failed |= c->dir[1] == NULL;
        }
    }
    if (failed) {
        change_free(c);
        return WQ_ENOMEM;
    }
    c->node = node;
    node_ref(node);
    return WQ_OK;
}

static int change_durable(const struct change *c)
{
    return c->synced[0] && (c->dir[1] == NULL || c->synced[1]);
}

/* Apply c to l. A durable change is what the disk has for its names,
 * whatever came before it; one that may or may not have survived applies
 * only where the names are still as it found them. Returns WQ_ENOMEM (l
 * unchanged) or WQ_OK. */
static wq_err change_apply(struct names *l, const struct change *c, int durable)
{
    const char *target = c->kind == WQI_FS_MEM_RENAMED ? c->to : c->path;
    struct node *at = names_get(l, c->path);
    if (c->kind == WQI_FS_MEM_REMOVED) {
        if (at == c->node) {
            names_del(l, c->path);
        }
        return WQ_OK;
    }
    if (!durable && (c->kind == WQI_FS_MEM_CREATED ? at != NULL : at != c->node)) {
        return WQ_OK; /* moot: its file is not where it was */
    }
    char *copy;
    if (names_prepare(l, target, &copy) != WQ_OK) {
        return WQ_ENOMEM;
    }
    names_set(l, copy, c->node);
    if (c->kind == WQI_FS_MEM_RENAMED && at == c->node) {
        names_del(l, c->path);
    }
    return WQ_OK;
}

/* Record c (made by change_make) as the newest change. */
static void changes_push(struct memfs *m, struct change *c)
{
    m->changes[m->nchanges++] = *c;
}

static wq_err changes_reserve(struct memfs *m)
{
    return reserve(&m->changes, &m->changes_cap, m->nchanges + 1, sizeof *m->changes) ? WQ_OK
                                                                                      : WQ_ENOMEM;
}

/* Move the durable changes at the front into dnames. Stops early (they
 * stay recorded, nothing is lost) if memory runs out. */
static void changes_settle(struct memfs *m)
{
    size_t done = 0;
    while (done < m->nchanges && change_durable(&m->changes[done])) {
        if (change_apply(&m->dnames, &m->changes[done], 1) != WQ_OK) {
            break;
        }
        change_free(&m->changes[done]);
        done++;
    }
    if (done > 0) {
        memmove(m->changes, m->changes + done, (m->nchanges - done) * sizeof *m->changes);
        m->nchanges -= done;
    }
}

/* ---- calls: counting, faults, the hook --------------------------------- */

/* Under the lock, at the start of every call: count it, and return the
 * fault it meets (1) or 0. */
static int enter(struct memfs *m, wqi_fs_mem_op op, struct fault *hit)
{
    m->count++;
    int fired = 0;
    if (op == WQI_FS_MEM_CLOSE || op == WQI_FS_MEM_UNLOCK) {
        return 0;
    }
    for (size_t i = 0; i < m->nfaults;) {
        struct fault *f = &m->faults[i];
        if ((f->op == op || f->op == WQI_FS_MEM_ANY) && --f->nth == 0) {
            if (!fired) {
                *hit = *f;
                fired = 1;
            }
            memmove(f, f + 1, (m->nfaults - i - 1) * sizeof *f);
            m->nfaults--;
            continue;
        }
        i++;
    }
    return fired;
}

/* Unlock, then tell the hook (read under the lock). */
static void leave(struct memfs *m, wqi_fs_mem_op op)
{
    uint64_t n = m->count;
    wqi_fs_mem_hook fn = m->hook;
    void *ctx = m->hook_ctx;
    wqi_mutex_unlock(&m->mu);
    if (fn != NULL) {
        fn(ctx, op, n);
    }
}

/* ---- the ops ------------------------------------------------------------ */

static wq_err make_handle(struct memfs *m, struct node *node, wqi_file **out)
{
    struct handle *h = wqi_malloc(sizeof *h);
    if (h == NULL) {
        return WQ_ENOMEM;
    }
    h->m = m;
    h->node = node;
    node_ref(node);
    node->opens++;
    m->open++;
    *out = (wqi_file *)(void *)h;
    return WQ_OK;
}

/* A new empty file under path, with its change recorded; *out set. */
static wq_err create_at(struct memfs *m, const char *path, struct node **out)
{
    struct node *node = node_new();
    if (node == NULL) {
        return WQ_ENOMEM;
    }
    node_ref(node); /* ours until the end of this function */
    char *copy = NULL;
    struct change c;
    wq_err err = changes_reserve(m);
    if (err == WQ_OK) {
        err = names_prepare(&m->names, path, &copy);
    }
    if (err == WQ_OK) {
        err = change_make(&c, WQI_FS_MEM_CREATED, path, NULL, node);
    }
    if (err != WQ_OK) {
        wqi_free(copy);
        node_unref(node);
        return err;
    }
    names_set(&m->names, copy, node);
    changes_push(m, &c);
    node_unref(node);
    *out = node;
    return WQ_OK;
}

static wq_err mem_open(wqi_fs *fs, const char *path, unsigned flags, wqi_file **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_OPEN, &hit)) {
        err = hit.err;
    } else if (!path_ok(path) || out == NULL ||
               (flags & ~(WQI_FS_CREATE | WQI_FS_EXCL | WQI_FS_TRUNC)) != 0 ||
               ((flags & WQI_FS_EXCL) && !(flags & WQI_FS_CREATE))) {
        err = WQ_EINVAL;
    } else {
        struct node *node = names_get(&m->names, path);
        if (node != NULL && (flags & WQI_FS_EXCL)) {
            err = WQ_EEXIST;
        } else if (node == NULL && !(flags & WQI_FS_CREATE)) {
            err = WQ_ENOENT;
        } else if (node == NULL) {
            err = create_at(m, path, &node);
        } else if (flags & WQI_FS_TRUNC) {
            err = node_truncate(node, 0);
        }
        if (err == WQ_OK) {
            err = make_handle(m, node, out);
        }
    }
    leave(m, WQI_FS_MEM_OPEN);
    return err;
}

static wq_err mem_read(wqi_file *f, uint64_t off, void *buf, size_t len, size_t *got)
{
    if (got != NULL) {
        *got = 0;
    }
    if (f == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = handle_of(f)->m;
    struct node *n = handle_of(f)->node;
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_READ, &hit)) {
        err = hit.err;
    } else if (got == NULL || (buf == NULL && len > 0)) {
        err = WQ_EINVAL;
    } else if (off < n->len) {
        size_t k = n->len - (size_t)off < len ? n->len - (size_t)off : len;
        memcpy(buf, n->data + (size_t)off, k);
        *got = k;
    }
    leave(m, WQI_FS_MEM_READ);
    return err;
}

static wq_err mem_append(wqi_file *f, const wqi_fs_iov *iov, size_t cnt)
{
    if (f == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = handle_of(f)->m;
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    int faulty = enter(m, WQI_FS_MEM_APPEND, &hit);
    wq_err err = WQ_OK;
    size_t total = 0;
    if (iov == NULL && cnt > 0) {
        err = WQ_EINVAL;
    }
    for (size_t i = 0; err == WQ_OK && i < cnt; i++) {
        if ((iov[i].data == NULL && iov[i].len > 0) || iov[i].len > SIZE_MAX - total) {
            err = WQ_EINVAL;
        }
        total += iov[i].len;
    }
    if (err == WQ_OK && faulty) {
        /* A torn write: the first bytes, then the error. */
        err = node_append(handle_of(f)->node, iov, cnt, hit.torn < total ? hit.torn : total);
        if (err == WQ_OK) {
            err = hit.err;
        }
    } else if (faulty) {
        err = hit.err;
    } else if (err == WQ_OK) {
        err = node_append(handle_of(f)->node, iov, cnt, total);
    }
    leave(m, WQI_FS_MEM_APPEND);
    return err;
}

static wq_err mem_flush(wqi_file *f)
{
    if (f == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = handle_of(f)->m;
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_FLUSH, &hit)) {
        err = hit.err;
    } else {
        node_flush(handle_of(f)->node);
    }
    leave(m, WQI_FS_MEM_FLUSH);
    return err;
}

static wq_err mem_size(wqi_file *f, uint64_t *size)
{
    if (size != NULL) {
        *size = 0;
    }
    if (f == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = handle_of(f)->m;
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_SIZE, &hit)) {
        err = hit.err;
    } else if (size == NULL) {
        err = WQ_EINVAL;
    } else {
        *size = handle_of(f)->node->len;
    }
    leave(m, WQI_FS_MEM_SIZE);
    return err;
}

static wq_err mem_truncate(wqi_file *f, uint64_t size)
{
    if (f == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = handle_of(f)->m;
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_TRUNCATE, &hit)) {
        err = hit.err;
    } else if (size > handle_of(f)->node->len) {
        err = WQ_EINVAL;
    } else {
        err = node_truncate(handle_of(f)->node, (size_t)size);
    }
    leave(m, WQI_FS_MEM_TRUNCATE);
    return err;
}

/* close and unlock: let go of a handle (f may be NULL). */
static void release_handle(wqi_file *f, wqi_fs_mem_op op)
{
    if (f == NULL) {
        return;
    }
    struct memfs *m = handle_of(f)->m;
    wqi_mutex_lock(&m->mu);
    struct fault unused;
    enter(m, op, &unused);
    if (op == WQI_FS_MEM_UNLOCK) {
        handle_of(f)->node->locked = 0;
    }
    handle_of(f)->node->opens--;
    node_unref(handle_of(f)->node);
    m->open--;
    wqi_free(handle_of(f));
    leave(m, op);
}

static void mem_close(wqi_file *f)
{
    release_handle(f, WQI_FS_MEM_CLOSE);
}

static wq_err mem_rename(wqi_fs *fs, const char *from, const char *to)
{
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    struct node *node = NULL;
    struct node *target = NULL;
    if (enter(m, WQI_FS_MEM_RENAME, &hit)) {
        err = hit.err;
    } else if (!path_ok(from) || !path_ok(to)) {
        err = WQ_EINVAL;
    } else if ((node = names_get(&m->names, from)) == NULL) {
        err = WQ_ENOENT;
    } else if ((target = names_get(&m->names, to)) != NULL && target != node && target->opens > 0) {
        err = WQ_EACCES; /* as on Windows (fs.h) */
    } else if (strcmp(from, to) != 0 && target != node) {
        /* (POSIX: renaming a file onto itself, or onto another name of
         * itself, does nothing.) */
        char *copy = NULL;
        struct change c;
        err = changes_reserve(m);
        if (err == WQ_OK) {
            err = names_prepare(&m->names, to, &copy);
        }
        if (err == WQ_OK) {
            err = change_make(&c, WQI_FS_MEM_RENAMED, from, to, node);
        }
        if (err == WQ_OK) {
            names_set(&m->names, copy, node);
            names_del(&m->names, from);
            changes_push(m, &c);
        } else {
            wqi_free(copy);
        }
    }
    leave(m, WQI_FS_MEM_RENAME);
    return err;
}

static wq_err mem_remove(wqi_fs *fs, const char *path)
{
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    struct node *node = NULL;
    if (enter(m, WQI_FS_MEM_REMOVE, &hit)) {
        err = hit.err;
    } else if (!path_ok(path)) {
        err = WQ_EINVAL;
    } else if ((node = names_get(&m->names, path)) == NULL) {
        err = WQ_ENOENT;
    } else {
        struct change c;
        err = changes_reserve(m);
        if (err == WQ_OK) {
            err = change_make(&c, WQI_FS_MEM_REMOVED, path, NULL, node);
        }
        if (err == WQ_OK) {
            names_del(&m->names, path);
            changes_push(m, &c);
        }
    }
    leave(m, WQI_FS_MEM_REMOVE);
    return err;
}

static wq_err mem_sync_dir(wqi_fs *fs, const char *dir)
{
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    int ok;
    size_t dlen = dir_arg(dir, &ok);
    if (enter(m, WQI_FS_MEM_SYNC_DIR, &hit)) {
        err = hit.err;
    } else if (!ok) {
        err = WQ_EINVAL;
    } else {
        for (size_t i = 0; i < m->nchanges; i++) {
            struct change *c = &m->changes[i];
            for (int d = 0; d < 2; d++) {
                if (c->dir[d] != NULL && strlen(c->dir[d]) == dlen &&
                    memcmp(c->dir[d], dir, dlen) == 0) {
                    c->synced[d] = 1;
                }
            }
        }
        changes_settle(m);
    }
    leave(m, WQI_FS_MEM_SYNC_DIR);
    return err;
}

/* The entry of dir that path is or is below (NULL: neither); its length
 * in *n. */
static const char *entry_of(const char *path, const char *dir, size_t dlen, size_t *n)
{
    const char *rest;
    if (dlen == 0) {
        rest = path[0] == '/' ? NULL : path; /* "" holds relative paths */
    } else if (dlen == 1 && dir[0] == '/') {
        rest = path[0] == '/' ? path + 1 : NULL;
    } else {
        rest = strncmp(path, dir, dlen) == 0 && path[dlen] == '/' ? path + dlen + 1 : NULL;
    }
    if (rest == NULL) {
        return NULL;
    }
    const char *slash = strchr(rest, '/');
    *n = slash == NULL ? strlen(rest) : (size_t)(slash - rest);
    return rest;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        wqi_free(v[i]);
    }
    wqi_free(v);
}

static wq_err mem_list(wqi_fs *fs, const char *dir, wq_err (*fn)(void *ctx, const char *name),
                       void *ctx)
{
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    int ok;
    size_t dlen = dir_arg(dir, &ok);
    /* Collected under the lock, called without it: fn may use the fs. */
    char **found = NULL;
    size_t nfound = 0, cap = 0;
    if (enter(m, WQI_FS_MEM_LIST, &hit)) {
        err = hit.err;
    } else if (!ok || fn == NULL) {
        err = WQ_EINVAL;
    } else {
        for (size_t i = 0; err == WQ_OK && i < m->names.n; i++) {
            size_t n;
            const char *e = entry_of(m->names.v[i].path, dir, dlen, &n);
            int seen = e == NULL;
            for (size_t j = 0; !seen && j < nfound; j++) {
                seen = strlen(found[j]) == n && memcmp(found[j], e, n) == 0;
            }
            if (seen) {
                continue;
            }
            if (!reserve(&found, &cap, nfound + 1, sizeof *found) ||
                (found[nfound] = dup_n(e, n)) == NULL) {
                err = WQ_ENOMEM;
                break;
            }
            nfound++;
        }
    }
    leave(m, WQI_FS_MEM_LIST);
    for (size_t i = 0; err == WQ_OK && i < nfound; i++) {
        err = fn(ctx, found[i]);
    }
    free_strings(found, nfound);
    return err;
}

static wq_err mem_lock(wqi_fs *fs, const char *path, wqi_file **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (fs == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    struct fault hit;
    wq_err err = WQ_OK;
    if (enter(m, WQI_FS_MEM_LOCK, &hit)) {
        err = hit.err;
    } else if (!path_ok(path) || out == NULL) {
        err = WQ_EINVAL;
    } else {
        struct node *node = names_get(&m->names, path);
        if (node == NULL) {
            err = create_at(m, path, &node);
        } else if (node->locked) {
            err = WQ_EBUSY;
        }
        if (err == WQ_OK) {
            err = make_handle(m, node, out);
        }
        if (err == WQ_OK) {
            node->locked = 1;
        }
    }
    leave(m, WQI_FS_MEM_LOCK);
    return err;
}

static void mem_unlock(wqi_file *lock)
{
    release_handle(lock, WQI_FS_MEM_UNLOCK);
}

static const wqi_fs_ops mem_ops = {
    .open = mem_open,
    .read = mem_read,
    .append = mem_append,
    .flush = mem_flush,
    .size = mem_size,
    .truncate = mem_truncate,
    .close = mem_close,
    .rename = mem_rename,
    .remove = mem_remove,
    .sync_dir = mem_sync_dir,
    .list = mem_list,
    .lock = mem_lock,
    .unlock = mem_unlock,
};

/* ---- the fs itself -------------------------------------------------------- */

wq_err wqi_fs_mem_new(wqi_fs **out)
{
    if (out == NULL) {
        return WQ_EINVAL;
    }
    *out = NULL;
    struct memfs *m = wqi_calloc(1, sizeof *m);
    if (m == NULL) {
        return WQ_ENOMEM;
    }
    m->fs.ops = &mem_ops;
    wqi_mutex_init(&m->mu);
    *out = &m->fs;
    return WQ_OK;
}

void wqi_fs_mem_free(wqi_fs *fs)
{
    if (fs == NULL) {
        return;
    }
    struct memfs *m = memfs_of(fs);
    names_free(&m->names);
    names_free(&m->dnames);
    for (size_t i = 0; i < m->nchanges; i++) {
        change_free(&m->changes[i]);
    }
    wqi_free(m->changes);
    wqi_mutex_destroy(&m->mu);
    wqi_free(m);
}

size_t wqi_fs_mem_open_files(wqi_fs *fs)
{
    if (fs == NULL) {
        return 0;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    size_t n = m->open;
    wqi_mutex_unlock(&m->mu);
    return n;
}

wq_err wqi_fs_mem_fail(wqi_fs *fs, wqi_fs_mem_op op, unsigned nth, wq_err err, size_t torn)
{
    if (fs == NULL || nth == 0 || err == WQ_OK || op == WQI_FS_MEM_CLOSE ||
        op == WQI_FS_MEM_UNLOCK || (int)op < (int)WQI_FS_MEM_ANY ||
        (int)op > (int)WQI_FS_MEM_UNLOCK) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    wq_err r = WQ_ENOMEM;
    if (m->nfaults < MAX_FAULTS) {
        struct fault *f = &m->faults[m->nfaults++];
        f->op = op;
        f->nth = nth;
        f->err = err;
        f->torn = torn;
        r = WQ_OK;
    }
    wqi_mutex_unlock(&m->mu);
    return r;
}

void wqi_fs_mem_fail_clear(wqi_fs *fs)
{
    if (fs == NULL) {
        return;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    m->nfaults = 0;
    wqi_mutex_unlock(&m->mu);
}

uint64_t wqi_fs_mem_ops(wqi_fs *fs)
{
    if (fs == NULL) {
        return 0;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    uint64_t n = m->count;
    wqi_mutex_unlock(&m->mu);
    return n;
}

void wqi_fs_mem_set_hook(wqi_fs *fs, wqi_fs_mem_hook fn, void *ctx)
{
    if (fs == NULL) {
        return;
    }
    struct memfs *m = memfs_of(fs);
    wqi_mutex_lock(&m->mu);
    m->hook = fn;
    m->hook_ctx = ctx;
    wqi_mutex_unlock(&m->mu);
}

/* ---- crash images ---------------------------------------------------------- */

/* Which image file stands for which file of the crashed fs. */
struct pair {
    const struct node *from;
    struct node *to;
};

/* The image's file for n, made (with plan's choice of its pending steps)
 * the first time n is met under name path. NULL on WQ_ENOMEM. */
static struct node *image_node(struct pair **map, size_t *nmap, size_t *cap, const struct node *n,
                               const char *path, const wqi_fs_mem_crash_plan *plan)
{
    for (size_t i = 0; i < *nmap; i++) {
        if ((*map)[i].from == n) {
            return (*map)[i].to;
        }
    }
    uint64_t keep = 0;
    if (plan->keep != NULL && n->pending > 0) {
        wqi_fs_mem_tail t;
        t.path = path;
        t.durable = n->base + n->old_len;
        t.pending = n->pending;
        t.size = n->len;
        t.truncates = n->truncates;
        keep = plan->keep(plan->ctx, &t);
    }
    if (!reserve(map, cap, *nmap + 1, sizeof **map)) {
        return NULL;
    }
    struct node *r = node_replay(n, keep);
    if (r == NULL) {
        return NULL;
    }
    node_ref(r); /* the map's, until the image is made */
    (*map)[*nmap].from = n;
    (*map)[*nmap].to = r;
    (*nmap)++;
    return r;
}

wq_err wqi_fs_mem_crash(wqi_fs *fs, const wqi_fs_mem_crash_plan *plan, wqi_fs **image)
{
    if (image != NULL) {
        *image = NULL;
    }
    if (fs == NULL || plan == NULL || image == NULL) {
        return WQ_EINVAL;
    }
    struct memfs *m = memfs_of(fs);
    wqi_fs *img = NULL;
    wq_err err = wqi_fs_mem_new(&img);
    if (err != WQ_OK) {
        return err;
    }
    struct memfs *im = memfs_of(img);
    struct names disk = {NULL, 0, 0}; /* the names the disk has, files of m */
    struct pair *map = NULL;
    size_t nmap = 0, map_cap = 0;
    wqi_mutex_lock(&m->mu);
    for (size_t i = 0; err == WQ_OK && i < m->dnames.n; i++) {
        char *copy;
        err = names_prepare(&disk, m->dnames.v[i].path, &copy);
        if (err == WQ_OK) {
            names_set(&disk, copy, m->dnames.v[i].node);
        }
    }
    for (size_t i = 0; err == WQ_OK && i < m->nchanges; i++) {
        const struct change *c = &m->changes[i];
        int durable = change_durable(c);
        if (!durable) {
            wqi_fs_mem_change pub;
            pub.kind = c->kind;
            pub.path = c->path;
            pub.to = c->to;
            if (plan->survives == NULL || !plan->survives(plan->ctx, &pub)) {
                continue;
            }
        }
        err = change_apply(&disk, c, durable);
    }
    /* The image's own files, under the names the disk has. */
    for (size_t i = 0; err == WQ_OK && i < disk.n; i++) {
        struct node *r = image_node(&map, &nmap, &map_cap, disk.v[i].node, disk.v[i].path, plan);
        char *a = NULL, *b = NULL;
        if (r == NULL || names_prepare(&im->names, disk.v[i].path, &a) != WQ_OK ||
            names_prepare(&im->dnames, disk.v[i].path, &b) != WQ_OK) {
            wqi_free(a);
            err = WQ_ENOMEM;
            break;
        }
        names_set(&im->names, a, r);
        names_set(&im->dnames, b, r);
    }
    for (size_t i = 0; i < nmap; i++) {
        node_unref(map[i].to); /* the image's names hold them now */
    }
    names_free(&disk);
    wqi_mutex_unlock(&m->mu);
    wqi_free(map);
    if (err != WQ_OK) {
        wqi_fs_mem_free(img);
        return err;
    }
    *image = img;
    return WQ_OK;
}

/* splitmix64: a small, well-mixed generator for reproducible choices. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint64_t seeded_keep(void *ctx, const wqi_fs_mem_tail *t)
{
    uint64_t r = next_random(ctx);
    return t->pending == UINT64_MAX ? r : r % (t->pending + 1);
}

static int seeded_survives(void *ctx, const wqi_fs_mem_change *c)
{
    (void)c;
    return (int)(next_random(ctx) >> 63);
}

wq_err wqi_fs_mem_crash_seeded(wqi_fs *fs, uint64_t seed, wqi_fs **image)
{
    uint64_t state = seed;
    wqi_fs_mem_crash_plan plan;
    plan.keep = seeded_keep;
    plan.survives = seeded_survives;
    plan.ctx = &state;
    return wqi_fs_mem_crash(fs, &plan, image);
}
