/* test_fs.c — the file seam (src/fs.h).
 *
 * One conformance suite, driven only through the ops table, runs twice:
 * on the native fs of this OS in a fresh scratch directory per test
 * ("fs.native"), and on the in-memory fs ("fs.mem"). Then the in-memory
 * fs's own promises (src/fs_mem.h): fault injection, the operation
 * counter and hook, and crash images that keep only what a disk may keep
 * ("fs.mem_faults", "fs.mem_crash").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs.h"
#include "fs_mem.h"
#include "platform.h"
#include "scratch.h"

#define PATH_LEN 600

typedef struct fx {
    wqi_fs *fs;
    int native;
    wqt_scratch s;
    char dir[WQ_ENDPOINT_MAX];
} fx;

static int native_up(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->fs = wqi_fs_native();
    f->native = 1;
    wqt_scratch_init(&f->s, NULL, "fs");
    snprintf(f->dir, sizeof f->dir, "%s", wqt_scratch_dir(&f->s));
    *state = f;
    return 0;
}

static int native_down(void **state)
{
    fx *f = *state;
    wqt_scratch_cleanup(&f->s);
    free(f);
    return 0;
}

static int mem_up(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(wqi_fs_mem_new(&f->fs), WQ_OK);
    snprintf(f->dir, sizeof f->dir, "%s", "data/wq");
    *state = f;
    return 0;
}

static int mem_down(void **state)
{
    fx *f = *state;
    wqi_fs_mem_free(f->fs);
    free(f);
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static void path_of(const fx *f, const char *name, char out[PATH_LEN])
{
    int n = snprintf(out, PATH_LEN, "%s/%s", f->dir, name);
    assert_true(n > 0 && n < PATH_LEN);
}

static wq_err open_name(fx *f, const char *name, unsigned flags, wqi_file **out)
{
    char p[PATH_LEN];
    path_of(f, name, p);
    return f->fs->ops->open(f->fs, p, flags, out);
}

static wqi_file *must_open(fx *f, const char *name, unsigned flags)
{
    wqi_file *file = NULL;
    assert_int_equal(open_name(f, name, flags, &file), WQ_OK);
    assert_non_null(file);
    return file;
}

static void append_str(fx *f, wqi_file *file, const char *s)
{
    wqi_fs_iov v;
    v.data = s;
    v.len = strlen(s);
    assert_int_equal(f->fs->ops->append(file, &v, 1), WQ_OK);
}

static uint64_t size_of(fx *f, wqi_file *file)
{
    uint64_t n = 12345;
    assert_int_equal(f->fs->ops->size(file, &n), WQ_OK);
    return n;
}

/* The whole content, NUL-terminated, in buf (cap bytes). */
static size_t read_all(fx *f, wqi_file *file, char *buf, size_t cap)
{
    size_t got = 0;
    assert_int_equal(f->fs->ops->read(file, 0, buf, cap - 1, &got), WQ_OK);
    assert_true(got < cap - 1);
    buf[got] = '\0';
    return got;
}

/* The content of the file called name, "" and WQ_ENOENT if missing. */
static wq_err content_of(fx *f, const char *name, char *buf, size_t cap)
{
    buf[0] = '\0';
    wqi_file *file = NULL;
    wq_err err = open_name(f, name, 0, &file);
    if (err != WQ_OK) {
        assert_null(file);
        return err;
    }
    read_all(f, file, buf, cap);
    f->fs->ops->close(file);
    return WQ_OK;
}

static void write_file(fx *f, const char *name, const char *s)
{
    wqi_file *file = must_open(f, name, WQI_FS_CREATE | WQI_FS_TRUNC);
    append_str(f, file, s);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    f->fs->ops->close(file);
}

static void expect_content(fx *f, const char *name, const char *want)
{
    char buf[256];
    assert_int_equal(content_of(f, name, buf, sizeof buf), WQ_OK);
    assert_string_equal(buf, want);
}

static void expect_missing(fx *f, const char *name)
{
    char buf[16];
    assert_int_equal(content_of(f, name, buf, sizeof buf), WQ_ENOENT);
}

/* Every test ends here: nothing of the in-memory fs left open. */
static void done(fx *f)
{
    if (!f->native) {
        assert_int_equal(wqi_fs_mem_open_files(f->fs), 0);
    }
}

/* list's result, as a sorted, comma-separated string. */
struct listing {
    char names[16][64];
    int n;
    int stop_after; /* 0: never */
};

static wq_err collect(void *ctx, const char *name)
{
    struct listing *l = ctx;
    assert_true(l->n < 16);
    assert_true(strlen(name) < sizeof l->names[0]);
    snprintf(l->names[l->n++], sizeof l->names[0], "%s", name);
    return l->stop_after != 0 && l->n == l->stop_after ? WQ_ECLOSED : WQ_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void listing_string(struct listing *l, char *out, size_t cap)
{
    qsort(l->names, (size_t)l->n, sizeof l->names[0], cmp_names);
    out[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", i > 0 ? "," : "", l->names[i]);
    }
}

static void expect_listing(fx *f, const char *dir, const char *want)
{
    struct listing l;
    memset(&l, 0, sizeof l);
    assert_int_equal(f->fs->ops->list(f->fs, dir, collect, &l), WQ_OK);
    char got[1024];
    listing_string(&l, got, sizeof got);
    assert_string_equal(got, want);
}

/* ---- the conformance suite ----------------------------------------------- */

static void opening_a_missing_file_without_create_is_enoent(void **state)
{
    fx *f = *state;
    wqi_file *file = (wqi_file *)f; /* anything but NULL: it must be reset */
    assert_int_equal(open_name(f, "missing", 0, &file), WQ_ENOENT);
    assert_null(file);
    file = (wqi_file *)f;
    assert_int_equal(open_name(f, "missing", WQI_FS_TRUNC, &file), WQ_ENOENT);
    assert_null(file);
    expect_listing(f, f->dir, "");
    done(f);
}

static void create_excl_refuses_an_existing_file(void **state)
{
    fx *f = *state;
    wqi_file *a = must_open(f, "a", WQI_FS_CREATE | WQI_FS_EXCL);
    append_str(f, a, "kept");
    wqi_file *b = (wqi_file *)f;
    assert_int_equal(open_name(f, "a", WQI_FS_CREATE | WQI_FS_EXCL, &b), WQ_EEXIST);
    assert_null(b);
    assert_int_equal(open_name(f, "a", WQI_FS_CREATE | WQI_FS_EXCL | WQI_FS_TRUNC, &b), WQ_EEXIST);
    f->fs->ops->close(a);
    /* Refused means untouched. */
    expect_content(f, "a", "kept");
    /* CREATE alone opens what is there, as it is. */
    wqi_file *c = must_open(f, "a", WQI_FS_CREATE);
    assert_int_equal(size_of(f, c), 4);
    f->fs->ops->close(c);
    expect_content(f, "a", "kept");
    done(f);
}

static void bad_arguments_get_einval(void **state)
{
    fx *f = *state;
    wqi_file *file = NULL;
    assert_int_equal(open_name(f, "x", WQI_FS_EXCL, &file), WQ_EINVAL); /* EXCL needs CREATE */
    assert_int_equal(open_name(f, "x", WQI_FS_CREATE | 64u, &file), WQ_EINVAL);
    assert_null(file);
    assert_int_equal(f->fs->ops->open(f->fs, "", WQI_FS_CREATE, &file), WQ_EINVAL);
    assert_int_equal(f->fs->ops->open(f->fs, NULL, WQI_FS_CREATE, &file), WQ_EINVAL);
    assert_int_equal(open_name(f, "x", WQI_FS_CREATE, NULL), WQ_EINVAL);
    assert_int_equal(f->fs->ops->remove(f->fs, ""), WQ_EINVAL);
    assert_int_equal(f->fs->ops->rename(f->fs, NULL, "x"), WQ_EINVAL);
    assert_int_equal(f->fs->ops->list(f->fs, f->dir, NULL, NULL), WQ_EINVAL);
    assert_int_equal(f->fs->ops->lock(f->fs, NULL, &file), WQ_EINVAL);
    /* Nothing was created by any of them. */
    expect_listing(f, f->dir, "");
    file = must_open(f, "y", WQI_FS_CREATE);
    wqi_fs_iov bad = {NULL, 3};
    assert_int_equal(f->fs->ops->append(file, &bad, 1), WQ_EINVAL);
    assert_int_equal(f->fs->ops->size(file, NULL), WQ_EINVAL);
    size_t got = 99;
    assert_int_equal(f->fs->ops->read(file, 0, NULL, 1, &got), WQ_EINVAL);
    assert_int_equal(size_of(f, file), 0);
    f->fs->ops->close(file);
    f->fs->ops->close(NULL);
    f->fs->ops->unlock(NULL);
    done(f);
}

static void appended_pieces_read_back_in_order(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE | WQI_FS_EXCL);
    static const char bin[] = {'a', '\0', 'b', '\n', '\xff'};
    wqi_fs_iov v[4] = {{"head:", 5}, {"", 0}, {bin, sizeof bin}, {":tail", 5}};
    assert_int_equal(f->fs->ops->append(file, v, 4), WQ_OK);
    assert_int_equal(f->fs->ops->append(file, v, 0), WQ_OK); /* nothing at all */
    append_str(f, file, "!");
    assert_int_equal(size_of(f, file), 16);
    char buf[32];
    size_t got = 0;
    assert_int_equal(f->fs->ops->read(file, 0, buf, sizeof buf, &got), WQ_OK);
    assert_int_equal(got, 16); /* short only because the file ends */
    assert_memory_equal(buf, "head:a\0b\n\xff:tail!", 16);
    /* At an offset, across the pieces. */
    assert_int_equal(f->fs->ops->read(file, 4, buf, 4, &got), WQ_OK);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, ":a\0b", 4);
    /* Up to the end, and at or past it: 0. */
    assert_int_equal(f->fs->ops->read(file, 14, buf, 8, &got), WQ_OK);
    assert_int_equal(got, 2);
    assert_memory_equal(buf, "l!", 2);
    assert_int_equal(f->fs->ops->read(file, 16, buf, 8, &got), WQ_OK);
    assert_int_equal(got, 0);
    assert_int_equal(f->fs->ops->read(file, 1000, buf, 8, &got), WQ_OK);
    assert_int_equal(got, 0);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    f->fs->ops->close(file);
    done(f);
}

/* Many pieces (more than one writev takes) and a large one. */
static void a_large_append_of_many_pieces_is_whole(void **state)
{
    fx *f = *state;
    enum { PIECES = 40, BIG = 1 << 20 };
    unsigned char *big = malloc(BIG);
    assert_non_null(big);
    for (size_t i = 0; i < BIG; i++) {
        big[i] = (unsigned char)(i * 7u + (i >> 11));
    }
    wqi_fs_iov v[PIECES];
    size_t total = 0;
    for (int i = 0; i < PIECES; i++) {
        v[i].data = big + i * 1000;
        v[i].len = i == PIECES / 2 ? BIG - PIECES * 1000 : (size_t)i * 13u;
        total += v[i].len;
    }
    wqi_file *file = must_open(f, "big", WQI_FS_CREATE);
    assert_int_equal(f->fs->ops->append(file, v, PIECES), WQ_OK);
    assert_int_equal(size_of(f, file), total);
    unsigned char *back = malloc(total);
    assert_non_null(back);
    size_t got = 0;
    assert_int_equal(f->fs->ops->read(file, 0, back, total, &got), WQ_OK);
    assert_int_equal(got, total);
    size_t at = 0;
    for (int i = 0; i < PIECES; i++) {
        assert_memory_equal(back + at, v[i].data, v[i].len);
        at += v[i].len;
    }
    f->fs->ops->close(file);
    free(back);
    free(big);
    done(f);
}

static void content_outlives_the_handle_and_trunc_empties(void **state)
{
    fx *f = *state;
    write_file(f, "k", "one,");
    wqi_file *file = must_open(f, "k", 0);
    assert_int_equal(size_of(f, file), 4);
    append_str(f, file, "two"); /* appends go at the end, never over */
    f->fs->ops->close(file);
    expect_content(f, "k", "one,two");
    file = must_open(f, "k", WQI_FS_TRUNC);
    assert_int_equal(size_of(f, file), 0);
    append_str(f, file, "new");
    f->fs->ops->close(file);
    expect_content(f, "k", "new");
    done(f);
}

static void truncate_cuts_and_the_next_append_follows(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "t", WQI_FS_CREATE);
    append_str(f, file, "good-torn");
    assert_int_equal(f->fs->ops->truncate(file, 4), WQ_OK);
    assert_int_equal(size_of(f, file), 4);
    append_str(f, file, "+next");
    char buf[64];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "good+next");
    /* Never longer: refused, unchanged. */
    assert_int_equal(f->fs->ops->truncate(file, 10), WQ_EINVAL);
    assert_int_equal(size_of(f, file), 9);
    assert_int_equal(f->fs->ops->truncate(file, 9), WQ_OK);
    assert_int_equal(f->fs->ops->truncate(file, 0), WQ_OK);
    assert_int_equal(size_of(f, file), 0);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    f->fs->ops->close(file);
    expect_content(f, "t", "");
    done(f);
}

static void rename_replaces_the_target(void **state)
{
    fx *f = *state;
    write_file(f, "journal", "old");
    write_file(f, "journal.tmp", "new");
    char from[PATH_LEN], to[PATH_LEN];
    path_of(f, "journal.tmp", from);
    path_of(f, "journal", to);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_OK);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    expect_content(f, "journal", "new");
    expect_missing(f, "journal.tmp");
    expect_listing(f, f->dir, "journal");
    /* Nothing to rename: ENOENT, the target untouched. */
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_ENOENT);
    expect_content(f, "journal", "new");
    /* To a new name. */
    assert_int_equal(f->fs->ops->rename(f->fs, to, from), WQ_OK);
    expect_missing(f, "journal");
    expect_content(f, "journal.tmp", "new");
    done(f);
}

/* The journal renames a file it still holds open: the handle goes on
 * reading and appending the same file under its new name. */
static void an_open_file_can_be_renamed(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "live", WQI_FS_CREATE);
    append_str(f, file, "abc");
    char from[PATH_LEN], to[PATH_LEN];
    path_of(f, "live", from);
    path_of(f, "moved", to);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_OK);
    append_str(f, file, "def");
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    char buf[32];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "abcdef");
    f->fs->ops->close(file);
    expect_content(f, "moved", "abcdef");
    expect_missing(f, "live");
    done(f);
}

static void remove_removes_and_a_missing_file_is_enoent(void **state)
{
    fx *f = *state;
    write_file(f, "gone", "x");
    write_file(f, "stays", "y");
    char p[PATH_LEN];
    path_of(f, "gone", p);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_OK);
    expect_missing(f, "gone");
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_ENOENT);
    expect_content(f, "stays", "y");
    expect_listing(f, f->dir, "stays");
    /* An open file can be removed; its handle still reads it. */
    wqi_file *file = must_open(f, "stays", 0);
    path_of(f, "stays", p);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_OK);
    char buf[8];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "y");
    f->fs->ops->close(file);
    expect_missing(f, "stays");
    done(f);
}

static void list_gives_each_entry_once_and_stops_on_error(void **state)
{
    fx *f = *state;
    write_file(f, "one", "1");
    write_file(f, "two", "2");
    write_file(f, "three", "3");
    expect_listing(f, f->dir, "one,three,two");
    /* A final '/' names the same directory. */
    char slash[PATH_LEN];
    snprintf(slash, sizeof slash, "%s/", f->dir);
    expect_listing(f, slash, "one,three,two");
    /* fn's error ends the listing and is the result. */
    struct listing l;
    memset(&l, 0, sizeof l);
    l.stop_after = 2;
    assert_int_equal(f->fs->ops->list(f->fs, f->dir, collect, &l), WQ_ECLOSED);
    assert_int_equal(l.n, 2);
    if (f->native) {
        /* (In memory every directory exists: fs_mem.h.) */
        char missing[PATH_LEN];
        path_of(f, "no-such-dir", missing);
        memset(&l, 0, sizeof l);
        assert_int_equal(f->fs->ops->list(f->fs, missing, collect, &l), WQ_ENOENT);
        assert_int_equal(l.n, 0);
        assert_int_equal(f->fs->ops->sync_dir(f->fs, missing), WQ_ENOENT);
    }
    done(f);
}

static void flush_and_sync_dir_succeed(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "d", WQI_FS_CREATE | WQI_FS_EXCL);
    append_str(f, file, "durable");
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK); /* nothing new: fine too */
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    f->fs->ops->close(file);
    expect_content(f, "d", "durable");
    done(f);
}

static void a_second_lock_on_a_path_is_ebusy_until_unlocked(void **state)
{
    fx *f = *state;
    char p[PATH_LEN];
    path_of(f, "lock", p);
    wqi_file *first = NULL;
    assert_int_equal(f->fs->ops->lock(f->fs, p, &first), WQ_OK);
    assert_non_null(first);
    wqi_file *second = (wqi_file *)f;
    assert_int_equal(f->fs->ops->lock(f->fs, p, &second), WQ_EBUSY);
    assert_null(second);
    assert_int_equal(f->fs->ops->lock(f->fs, p, &second), WQ_EBUSY); /* still */
    /* The lock file exists and can be read meanwhile (the Windows lock is
     * on a byte far past its end). */
    wqi_file *reader = must_open(f, "lock", 0);
    append_str(f, reader, "pid 42");
    char buf[16];
    read_all(f, reader, buf, sizeof buf);
    assert_string_equal(buf, "pid 42");
    f->fs->ops->close(reader);
    /* Another path is another lock. */
    char q[PATH_LEN];
    path_of(f, "other.lock", q);
    wqi_file *other = NULL;
    assert_int_equal(f->fs->ops->lock(f->fs, q, &other), WQ_OK);
    f->fs->ops->unlock(first);
    assert_int_equal(f->fs->ops->lock(f->fs, p, &second), WQ_OK);
    assert_non_null(second);
    f->fs->ops->unlock(second);
    f->fs->ops->unlock(other);
    /* The lock files stay, as does what was written into them. */
    expect_listing(f, f->dir, "lock,other.lock");
    expect_content(f, "lock", "pid 42");
    done(f);
}

#define CONFORMANCE(up, down)                                                                      \
    cmocka_unit_test_setup_teardown(opening_a_missing_file_without_create_is_enoent, up, down),    \
        cmocka_unit_test_setup_teardown(create_excl_refuses_an_existing_file, up, down),           \
        cmocka_unit_test_setup_teardown(bad_arguments_get_einval, up, down),                       \
        cmocka_unit_test_setup_teardown(appended_pieces_read_back_in_order, up, down),             \
        cmocka_unit_test_setup_teardown(a_large_append_of_many_pieces_is_whole, up, down),         \
        cmocka_unit_test_setup_teardown(content_outlives_the_handle_and_trunc_empties, up, down),  \
        cmocka_unit_test_setup_teardown(truncate_cuts_and_the_next_append_follows, up, down),      \
        cmocka_unit_test_setup_teardown(rename_replaces_the_target, up, down),                     \
        cmocka_unit_test_setup_teardown(an_open_file_can_be_renamed, up, down),                    \
        cmocka_unit_test_setup_teardown(remove_removes_and_a_missing_file_is_enoent, up, down),    \
        cmocka_unit_test_setup_teardown(list_gives_each_entry_once_and_stops_on_error, up, down),  \
        cmocka_unit_test_setup_teardown(flush_and_sync_dir_succeed, up, down),                     \
        cmocka_unit_test_setup_teardown(a_second_lock_on_a_path_is_ebusy_until_unlocked, up, down)

/* ---- in memory: faults ---------------------------------------------------- */

static void enospc_on_append_changes_nothing_and_the_next_succeeds(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    append_str(f, file, "first;");
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 1, WQ_ENOSPC, 0), WQ_OK);
    wqi_fs_iov v = {"second;", 7};
    assert_int_equal(f->fs->ops->append(file, &v, 1), WQ_ENOSPC);
    assert_int_equal(size_of(f, file), 6);
    assert_int_equal(f->fs->ops->append(file, &v, 1), WQ_OK); /* used up */
    char buf[32];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "first;second;");
    f->fs->ops->close(file);
    done(f);
}

static void the_nth_call_fails_and_only_it(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 3, WQ_EIO, 0), WQ_OK);
    append_str(f, file, "1");
    assert_int_equal(size_of(f, file), 1); /* other operations do not count */
    append_str(f, file, "2");
    wqi_fs_iov v = {"3", 1};
    assert_int_equal(f->fs->ops->append(file, &v, 1), WQ_EIO);
    append_str(f, file, "4");
    char buf[8];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "124");
    /* WQI_FS_MEM_ANY counts every call that can fail. */
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_ANY, 2, WQ_ENOSPC, 0), WQ_OK);
    assert_int_equal(size_of(f, file), 3);
    assert_int_equal(f->fs->ops->flush(file), WQ_ENOSPC);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    /* Cleared faults never fire. */
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_FLUSH, 1, WQ_EIO, 0), WQ_OK);
    wqi_fs_mem_fail_clear(f->fs);
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    f->fs->ops->close(file);
    done(f);
}

static void a_torn_append_writes_a_prefix_then_fails(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    append_str(f, file, "good|");
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 1, WQ_ENOSPC, 6), WQ_OK);
    wqi_fs_iov v[2] = {{"rec", 3}, {"ord|", 4}};
    assert_int_equal(f->fs->ops->append(file, v, 2), WQ_ENOSPC);
    char buf[32];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "good|record"); /* 6 of its 7 bytes, across the pieces */
    /* As the journal does: cut back to the last good size, go on. */
    assert_int_equal(f->fs->ops->truncate(file, 5), WQ_OK);
    assert_int_equal(f->fs->ops->append(file, v, 2), WQ_OK);
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "good|record|");
    /* A tear longer than the append writes all of it, and still fails. */
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 1, WQ_EIO, 1000), WQ_OK);
    assert_int_equal(f->fs->ops->append(file, v, 1), WQ_EIO);
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "good|record|rec");
    f->fs->ops->close(file);
    done(f);
}

/* Each failing call leaves the files and names as they were. */
static void a_failed_call_changes_nothing(void **state)
{
    fx *f = *state;
    write_file(f, "a", "A");
    char a[PATH_LEN], b[PATH_LEN];
    path_of(f, "a", a);
    path_of(f, "b", b);
    wqi_file *file = NULL;
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_OPEN, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(open_name(f, "new", WQI_FS_CREATE, &file), WQ_EIO);
    assert_null(file);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_OPEN, 1, WQ_ENOSPC, 0), WQ_OK);
    assert_int_equal(open_name(f, "a", WQI_FS_TRUNC, &file), WQ_ENOSPC);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_RENAME, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->rename(f->fs, a, b), WQ_EIO);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_REMOVE, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->remove(f->fs, a), WQ_EIO);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_LOCK, 1, WQ_EACCES, 0), WQ_OK);
    assert_int_equal(f->fs->ops->lock(f->fs, b, &file), WQ_EACCES);
    assert_null(file);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_SYNC_DIR, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_EIO);
    struct listing l;
    memset(&l, 0, sizeof l);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_LIST, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->list(f->fs, f->dir, collect, &l), WQ_EIO);
    assert_int_equal(l.n, 0);
    file = must_open(f, "a", 0);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_TRUNCATE, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->truncate(file, 0), WQ_EIO);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_READ, 1, WQ_EIO, 0), WQ_OK);
    char buf[8];
    size_t got = 7;
    assert_int_equal(f->fs->ops->read(file, 0, buf, sizeof buf, &got), WQ_EIO);
    assert_int_equal(got, 0);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_SIZE, 1, WQ_EIO, 0), WQ_OK);
    uint64_t size = 7;
    assert_int_equal(f->fs->ops->size(file, &size), WQ_EIO);
    f->fs->ops->close(file);
    expect_listing(f, f->dir, "a");
    expect_content(f, "a", "A");
    done(f);
}

static void faults_are_checked(void **state)
{
    fx *f = *state;
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 0, WQ_EIO, 0), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_APPEND, 1, WQ_OK, 0), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_CLOSE, 1, WQ_EIO, 0), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_UNLOCK, 1, WQ_EIO, 0), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_fail(f->fs, (wqi_fs_mem_op)99, 1, WQ_EIO, 0), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_fail(NULL, WQI_FS_MEM_APPEND, 1, WQ_EIO, 0), WQ_EINVAL);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_REMOVE, 1, WQ_EIO, 0), WQ_OK);
    }
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_REMOVE, 1, WQ_EIO, 0), WQ_ENOMEM);
    /* All sixteen reach the same call: one failure uses them all up. */
    char p[PATH_LEN];
    path_of(f, "x", p);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_EIO);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_ENOENT);
    /* Two faults: the one armed first decides. */
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_ANY, 1, WQ_EACCES, 0), WQ_OK);
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_REMOVE, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_EACCES);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_ENOENT);
    done(f);
}

struct hook_log {
    wqi_fs_mem_op ops[32];
    uint64_t n[32];
    int count;
    wqi_fs *fs;
};

static void record_hook(void *ctx, wqi_fs_mem_op op, uint64_t n)
{
    struct hook_log *h = ctx;
    assert_true(h->count < 32);
    h->ops[h->count] = op;
    h->n[h->count] = n;
    h->count++;
    /* Called without the fs's lock: the fs can be used from here. */
    assert_int_equal(wqi_fs_mem_ops(h->fs), n);
}

static void every_call_is_counted_and_told_to_the_hook(void **state)
{
    fx *f = *state;
    assert_int_equal(wqi_fs_mem_ops(f->fs), 0);
    struct hook_log h;
    memset(&h, 0, sizeof h);
    h.fs = f->fs;
    wqi_fs_mem_set_hook(f->fs, record_hook, &h);
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    append_str(f, file, "x");
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_FLUSH, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->flush(file), WQ_EIO); /* failed calls count too */
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    f->fs->ops->close(file);
    wqi_fs_mem_set_hook(f->fs, NULL, NULL);
    assert_int_equal(wqi_fs_mem_ops(f->fs), 5);
    static const wqi_fs_mem_op want[] = {WQI_FS_MEM_OPEN, WQI_FS_MEM_APPEND, WQI_FS_MEM_FLUSH,
                                         WQI_FS_MEM_SYNC_DIR, WQI_FS_MEM_CLOSE};
    assert_int_equal(h.count, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(h.ops[i], want[i]);
        assert_int_equal(h.n[i], (uint64_t)i + 1);
    }
    expect_content(f, "j", "x"); /* the hook is gone: not told */
    assert_int_equal(h.count, 5);
    assert_int_equal(wqi_fs_mem_ops(f->fs), 8);
    done(f);
}

static void directories_are_implied_by_paths(void **state)
{
    fx *f = *state;
    write_file(f, "top", "t");
    write_file(f, "sub/a", "a");
    write_file(f, "sub/b", "b");
    write_file(f, "sub/deeper/c", "c");
    expect_listing(f, f->dir, "sub,top");
    char sub[PATH_LEN];
    path_of(f, "sub", sub);
    expect_listing(f, sub, "a,b,deeper");
    expect_listing(f, "data", "wq");
    expect_listing(f, "nothing/here", "");
    wqi_file *file = NULL;
    assert_int_equal(f->fs->ops->open(f->fs, "bad//path", WQI_FS_CREATE, &file), WQ_EINVAL);
    assert_int_equal(f->fs->ops->open(f->fs, "bad/", WQI_FS_CREATE, &file), WQ_EINVAL);
    /* Paths without a directory are in "" (or "."), absolute ones in "/". */
    assert_int_equal(f->fs->ops->open(f->fs, "rel", WQI_FS_CREATE, &file), WQ_OK);
    f->fs->ops->close(file);
    assert_int_equal(f->fs->ops->open(f->fs, "/abs", WQI_FS_CREATE, &file), WQ_OK);
    f->fs->ops->close(file);
    expect_listing(f, ".", "data,rel");
    expect_listing(f, "", "data,rel");
    expect_listing(f, "/", "abs");
    done(f);
}

/* Several threads at once, on their own files and on one shared file
 * through their own handles: nothing lost, nothing mixed. */
#define THREADS 4
#define ROUNDS 500

struct worker {
    wqi_thread t;
    fx *f;
    int id;
    wqi_file *shared;
};

static void worker_main(void *arg)
{
    struct worker *w = arg;
    char name[16];
    snprintf(name, sizeof name, "own%d", w->id);
    wqi_file *own = must_open(w->f, name, WQI_FS_CREATE | WQI_FS_EXCL);
    char rec[8];
    snprintf(rec, sizeof rec, "<%d>", w->id);
    for (int i = 0; i < ROUNDS; i++) {
        wqi_fs_iov v[2];
        v[0].data = rec;
        v[0].len = 2;
        v[1].data = rec + 2;
        v[1].len = 1;
        assert_int_equal(w->f->fs->ops->append(own, v, 2), WQ_OK);
        assert_int_equal(w->f->fs->ops->append(w->shared, v, 2), WQ_OK);
        if (i % 50 == 0) {
            assert_int_equal(w->f->fs->ops->flush(own), WQ_OK);
            assert_int_equal(w->f->fs->ops->sync_dir(w->f->fs, w->f->dir), WQ_OK);
        }
    }
    w->f->fs->ops->close(own);
}

static void threads_may_share_the_fs(void **state)
{
    fx *f = *state;
    write_file(f, "shared", "");
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i].f = f;
        w[i].id = i;
        w[i].shared = must_open(f, "shared", 0);
        assert_int_equal(wqi_thread_start(&w[i].t, worker_main, &w[i]), WQ_OK);
    }
    for (int i = 0; i < THREADS; i++) {
        wqi_thread_join(&w[i].t);
    }
    static char buf[THREADS * ROUNDS * 3 + 2];
    size_t n = read_all(f, w[0].shared, buf, sizeof buf);
    assert_int_equal(n, THREADS * ROUNDS * 3);
    int counts[THREADS] = {0};
    for (size_t i = 0; i < n; i += 3) {
        /* Each record whole: appends of one handle never interleave. */
        assert_int_equal(buf[i], '<');
        assert_int_equal(buf[i + 2], '>');
        counts[buf[i + 1] - '0']++;
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(counts[i], ROUNDS);
        f->fs->ops->close(w[i].shared);
        char name[16];
        snprintf(name, sizeof name, "own%d", i);
        wqi_file *own = must_open(f, name, 0);
        assert_int_equal(size_of(f, own), ROUNDS * 3);
        f->fs->ops->close(own);
    }
    done(f);
}

/* Windows cannot replace an open file (fs.h): neither can the in-memory
 * fs, so that portable code learns it in its tests. Renaming an open file
 * away is fine on both. */
static void renaming_onto_an_open_file_is_refused(void **state)
{
    fx *f = *state;
    write_file(f, "journal", "old");
    write_file(f, "journal.new", "new");
    char from[PATH_LEN], to[PATH_LEN];
    path_of(f, "journal.new", from);
    path_of(f, "journal", to);
    wqi_file *old = must_open(f, "journal", 0);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_EACCES);
    expect_content(f, "journal", "old");
    expect_content(f, "journal.new", "new");
    f->fs->ops->close(old);
    wqi_file *lock = NULL;
    assert_int_equal(f->fs->ops->lock(f->fs, to, &lock), WQ_OK);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_EACCES);
    f->fs->ops->unlock(lock);
    /* Closed: replaced. An open source is no obstacle. */
    wqi_file *src = must_open(f, "journal.new", 0);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_OK);
    f->fs->ops->close(src);
    expect_content(f, "journal", "new");
    expect_missing(f, "journal.new");
    /* A rename of an open file onto itself does nothing, as on POSIX. */
    src = must_open(f, "journal", 0);
    assert_int_equal(f->fs->ops->rename(f->fs, to, to), WQ_OK);
    f->fs->ops->close(src);
    expect_content(f, "journal", "new");
    done(f);
}

/* ---- in memory: crash images ------------------------------------------------ */

/* A plan that keeps a fixed number of steps of every file and lets every
 * name change survive or not; it records what it was asked. */
struct fixed {
    uint64_t keep;
    int survives;
    int only; /* 1 + a wqi_fs_mem_change_kind: only that kind survives */
    int keep_calls;
    int survive_calls;
    wqi_fs_mem_tail last; /* its path is last_path */
    char last_path[PATH_LEN];
    struct seen_change {
        wqi_fs_mem_change_kind kind;
        char path[PATH_LEN];
        char to[PATH_LEN];
        int has_to;
    } changes[8];
};

static uint64_t fixed_keep(void *ctx, const wqi_fs_mem_tail *t)
{
    struct fixed *p = ctx;
    p->keep_calls++;
    p->last = *t;
    /* The strings live only as long as the call. */
    snprintf(p->last_path, sizeof p->last_path, "%s", t->path);
    p->last.path = p->last_path;
    return p->keep;
}

static int fixed_survives(void *ctx, const wqi_fs_mem_change *c)
{
    struct fixed *p = ctx;
    if (p->survive_calls < 8) {
        struct seen_change *s = &p->changes[p->survive_calls];
        s->kind = c->kind;
        snprintf(s->path, sizeof s->path, "%s", c->path);
        s->has_to = c->to != NULL;
        snprintf(s->to, sizeof s->to, "%s", c->to != NULL ? c->to : "");
    }
    p->survive_calls++;
    return p->only != 0 ? (int)c->kind == p->only - 1 : p->survives;
}

/* A crash image of f's fs under plan, as a fixture of its own (same
 * directory names). */
static fx *crash(fx *f, struct fixed *p)
{
    wqi_fs_mem_crash_plan plan;
    plan.keep = fixed_keep;
    plan.survives = fixed_survives;
    plan.ctx = p;
    fx *img = calloc(1, sizeof *img);
    assert_non_null(img);
    memcpy(img->dir, f->dir, sizeof img->dir);
    assert_int_equal(wqi_fs_mem_crash(f->fs, &plan, &img->fs), WQ_OK);
    assert_non_null(img->fs);
    return img;
}

static fx *crash_keeping(fx *f, uint64_t keep, int survives)
{
    struct fixed p;
    memset(&p, 0, sizeof p);
    p.keep = keep;
    p.survives = survives;
    return crash(f, &p);
}

static void image_free(fx *img)
{
    assert_int_equal(wqi_fs_mem_open_files(img->fs), 0);
    wqi_fs_mem_free(img->fs);
    free(img);
}

static void flushed_bytes_survive_and_later_ones_survive_as_a_prefix(void **state)
{
    fx *f = *state;
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    append_str(f, file, "durable;");
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    append_str(f, file, "abc");
    append_str(f, file, "de");
    static const char *const want[] = {"durable;",     "durable;a",    "durable;ab",
                                       "durable;abc",  "durable;abcd", "durable;abcde",
                                       "durable;abcde"};
    for (uint64_t k = 0; k <= 6; k++) {
        struct fixed p;
        memset(&p, 0, sizeof p);
        p.keep = k;
        fx *img = crash(f, &p);
        assert_int_equal(p.keep_calls, 1);
        assert_string_equal(p.last.path, "data/wq/j");
        assert_int_equal(p.last.durable, 8);
        assert_int_equal(p.last.pending, 5);
        assert_int_equal(p.last.size, 13);
        assert_int_equal(p.last.truncates, 0);
        assert_int_equal(p.survive_calls, 0); /* the name was durable */
        expect_content(img, "j", want[k]);
        image_free(img);
    }
    /* After a flush nothing is pending: the keep callback is not asked. */
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    struct fixed p;
    memset(&p, 0, sizeof p);
    fx *img = crash(f, &p);
    assert_int_equal(p.keep_calls, 0);
    expect_content(img, "j", "durable;abcde");
    image_free(img);
    f->fs->ops->close(file);
    done(f);
}

/* A failed flush made nothing durable. */
static void a_failed_flush_keeps_nothing_for_sure(void **state)
{
    fx *f = *state;
    write_file(f, "j", "old;");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    wqi_file *file = must_open(f, "j", 0);
    append_str(f, file, "new;");
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_FLUSH, 1, WQ_EIO, 0), WQ_OK);
    assert_int_equal(f->fs->ops->flush(file), WQ_EIO);
    fx *img = crash_keeping(f, 0, 0);
    expect_content(img, "j", "old;");
    image_free(img);
    f->fs->ops->close(file);
    done(f);
}

/* Every image of a file is a state it went through, or one append of it
 * cut short: never bytes out of order, never bytes it did not have. */
static void a_crash_never_reorders_or_invents(void **state)
{
    fx *f = *state;
    write_file(f, "j", "base:");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    wqi_file *file = must_open(f, "j", 0);
    const char *recs[] = {"one;", "two;", "three;", "four;"};
    char all[64] = "base:";
    for (int i = 0; i < 4; i++) {
        append_str(f, file, recs[i]);
        strcat(all, recs[i]);
    }
    for (uint64_t seed = 1; seed <= 200; seed++) {
        fx *img = calloc(1, sizeof *img);
        assert_non_null(img);
        memcpy(img->dir, f->dir, sizeof img->dir);
        assert_int_equal(wqi_fs_mem_crash_seeded(f->fs, seed, &img->fs), WQ_OK);
        char got[64];
        assert_int_equal(content_of(img, "j", got, sizeof got), WQ_OK);
        assert_true(strlen(got) >= 5);
        assert_memory_equal(got, all, strlen(got));
        /* The same seed, the same image. */
        fx *again = calloc(1, sizeof *again);
        assert_non_null(again);
        memcpy(again->dir, f->dir, sizeof again->dir);
        assert_int_equal(wqi_fs_mem_crash_seeded(f->fs, seed, &again->fs), WQ_OK);
        expect_content(again, "j", got);
        image_free(again);
        image_free(img);
    }
    f->fs->ops->close(file);
    done(f);
}

/* A truncate since the last flush is a step too: the image is the durable
 * content, or the cut, or the cut and a prefix of what followed. */
static void a_truncate_since_the_flush_is_replayed_in_order(void **state)
{
    fx *f = *state;
    write_file(f, "j", "ABCDEF");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    wqi_file *file = must_open(f, "j", 0);
    append_str(f, file, "gh");
    assert_int_equal(f->fs->ops->truncate(file, 3), WQ_OK);
    append_str(f, file, "xy");
    static const char *const want[] = {"ABCDEF", "ABCDEFg", "ABCDEFgh", "ABC", "ABCx", "ABCxy"};
    for (uint64_t k = 0; k <= 5; k++) {
        struct fixed p;
        memset(&p, 0, sizeof p);
        p.keep = k;
        fx *img = crash(f, &p);
        assert_int_equal(p.last.durable, 6);
        assert_int_equal(p.last.pending, 5);
        assert_int_equal(p.last.truncates, 1);
        assert_int_equal(p.last.size, 5);
        expect_content(img, "j", want[k]);
        image_free(img);
    }
    /* A file opened with TRUNC: its old content may come back. */
    assert_int_equal(f->fs->ops->flush(file), WQ_OK);
    f->fs->ops->close(file);
    file = must_open(f, "j", WQI_FS_TRUNC);
    fx *img = crash_keeping(f, 0, 0);
    expect_content(img, "j", "ABCxy");
    image_free(img);
    img = crash_keeping(f, 1, 0);
    expect_content(img, "j", "");
    image_free(img);
    f->fs->ops->close(file);
    done(f);
}

static void an_unsynced_create_may_or_may_not_survive(void **state)
{
    fx *f = *state;
    write_file(f, "new", "data");
    struct fixed p;
    memset(&p, 0, sizeof p);
    fx *img = crash(f, &p);
    assert_int_equal(p.survive_calls, 1);
    assert_int_equal(p.changes[0].kind, WQI_FS_MEM_CREATED);
    assert_string_equal(p.changes[0].path, "data/wq/new");
    assert_false(p.changes[0].has_to);
    expect_missing(img, "new");
    expect_listing(img, img->dir, "");
    image_free(img);
    img = crash_keeping(f, 0, 1);
    expect_content(img, "new", "data"); /* flushed: all of it */
    image_free(img);
    /* Synced: there whatever the plan says. */
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    memset(&p, 0, sizeof p);
    img = crash(f, &p);
    assert_int_equal(p.survive_calls, 0);
    expect_content(img, "new", "data");
    image_free(img);
    /* Another directory's sync does not count. */
    write_file(f, "later", "x");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, "data"), WQ_OK);
    img = crash_keeping(f, 0, 0);
    expect_missing(img, "later");
    image_free(img);
    done(f);
}

/* The compaction pattern: write a new file, flush it, rename it over the
 * old one. Until the directory is synced, either may be found under the
 * name — whole, never neither, never a mix. */
static void an_unsynced_rename_may_or_may_not_survive_a_synced_one_does(void **state)
{
    fx *f = *state;
    write_file(f, "journal", "old state");
    write_file(f, "journal.tmp", "new state");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    char from[PATH_LEN], to[PATH_LEN];
    path_of(f, "journal.tmp", from);
    path_of(f, "journal", to);
    assert_int_equal(f->fs->ops->rename(f->fs, from, to), WQ_OK);
    struct fixed p;
    memset(&p, 0, sizeof p);
    fx *img = crash(f, &p);
    assert_int_equal(p.survive_calls, 1);
    assert_int_equal(p.changes[0].kind, WQI_FS_MEM_RENAMED);
    assert_string_equal(p.changes[0].path, from);
    assert_string_equal(p.changes[0].to, to);
    expect_content(img, "journal", "old state");
    expect_content(img, "journal.tmp", "new state");
    image_free(img);
    img = crash_keeping(f, 0, 1);
    expect_content(img, "journal", "new state");
    expect_missing(img, "journal.tmp");
    image_free(img);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    img = crash_keeping(f, 0, 0);
    expect_content(img, "journal", "new state");
    expect_missing(img, "journal.tmp");
    expect_listing(img, img->dir, "journal");
    image_free(img);
    done(f);
}

/* A rename from one directory to another is durable once both are
 * synced. */
static void a_rename_across_directories_needs_both_synced(void **state)
{
    fx *f = *state;
    write_file(f, "a", "moving");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    char from[PATH_LEN];
    path_of(f, "a", from);
    assert_int_equal(f->fs->ops->rename(f->fs, from, "elsewhere/b"), WQ_OK);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, "elsewhere"), WQ_OK);
    fx *img = crash_keeping(f, 0, 0);
    expect_content(img, "a", "moving");
    wqi_file *file = NULL;
    assert_int_equal(img->fs->ops->open(img->fs, "elsewhere/b", 0, &file), WQ_ENOENT);
    image_free(img);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    img = crash_keeping(f, 0, 0);
    expect_missing(img, "a");
    assert_int_equal(img->fs->ops->open(img->fs, "elsewhere/b", 0, &file), WQ_OK);
    img->fs->ops->close(file);
    image_free(img);
    done(f);
}

static void a_removed_file_may_come_back_until_synced(void **state)
{
    fx *f = *state;
    write_file(f, "old", "still here");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    char p[PATH_LEN];
    path_of(f, "old", p);
    assert_int_equal(f->fs->ops->remove(f->fs, p), WQ_OK);
    fx *img = crash_keeping(f, 0, 0);
    expect_content(img, "old", "still here");
    image_free(img);
    img = crash_keeping(f, 0, 1);
    expect_missing(img, "old");
    image_free(img);
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    img = crash_keeping(f, 0, 0);
    expect_missing(img, "old");
    image_free(img);
    done(f);
}

/* Changes are replayed in order, each only where it still applies: a
 * create of a name that a rename did not free (because the rename did
 * not survive) does not happen either. */
static void name_changes_that_did_not_survive_make_later_ones_moot(void **state)
{
    fx *f = *state;
    write_file(f, "cur", "first");
    assert_int_equal(f->fs->ops->sync_dir(f->fs, f->dir), WQ_OK);
    char cur[PATH_LEN], prev[PATH_LEN];
    path_of(f, "cur", cur);
    path_of(f, "prev", prev);
    assert_int_equal(f->fs->ops->rename(f->fs, cur, prev), WQ_OK);
    write_file(f, "cur", "second");
    /* Neither, both, or the rename alone: each a state the disk passed
     * through. */
    fx *img = crash_keeping(f, 0, 0);
    expect_content(img, "cur", "first");
    expect_missing(img, "prev");
    image_free(img);
    img = crash_keeping(f, 100, 1);
    expect_content(img, "cur", "second");
    expect_content(img, "prev", "first");
    image_free(img);
    struct fixed p;
    memset(&p, 0, sizeof p);
    p.only = 1 + WQI_FS_MEM_RENAMED;
    img = crash(f, &p);
    assert_int_equal(p.survive_calls, 2);
    expect_missing(img, "cur");
    expect_content(img, "prev", "first");
    image_free(img);
    /* The create alone cannot be: "cur" was still taken. */
    memset(&p, 0, sizeof p);
    p.only = 1 + WQI_FS_MEM_CREATED;
    p.keep = 100;
    img = crash(f, &p);
    expect_content(img, "cur", "first");
    expect_missing(img, "prev");
    expect_listing(img, img->dir, "cur");
    image_free(img);
    done(f);
}

/* An image is a fs of its own: all durable, unlocked, independent. */
static void an_image_is_independent_and_usable(void **state)
{
    fx *f = *state;
    char lp[PATH_LEN];
    path_of(f, "lock", lp);
    wqi_file *lock = NULL;
    assert_int_equal(f->fs->ops->lock(f->fs, lp, &lock), WQ_OK);
    wqi_file *file = must_open(f, "j", WQI_FS_CREATE);
    append_str(f, file, "abc");
    assert_int_equal(wqi_fs_mem_fail(f->fs, WQI_FS_MEM_ANY, 1, WQ_EIO, 0), WQ_OK);
    fx *img = crash_keeping(f, 2, 1);
    assert_int_equal(wqi_fs_mem_open_files(img->fs), 0);
    assert_int_equal(wqi_fs_mem_ops(img->fs), 0);
    /* No fault came along, and the lock was released by the crash. */
    wqi_file *lock2 = NULL;
    assert_int_equal(img->fs->ops->lock(img->fs, lp, &lock2), WQ_OK);
    img->fs->ops->unlock(lock2);
    expect_content(img, "j", "ab");
    /* What it holds is durable: a crash of the image keeps it all. */
    fx *img2 = crash_keeping(img, 0, 0);
    expect_content(img2, "j", "ab");
    expect_listing(img2, img2->dir, "j,lock");
    image_free(img2);
    /* Changing one leaves the other alone. */
    wqi_file *w = must_open(img, "j", 0);
    append_str(img, w, "XYZ");
    img->fs->ops->close(w);
    image_free(img);
    wqi_fs_mem_fail_clear(f->fs);
    char buf[16];
    read_all(f, file, buf, sizeof buf);
    assert_string_equal(buf, "abc");
    f->fs->ops->close(file);
    f->fs->ops->unlock(lock);
    done(f);
}

static void a_crash_checks_its_arguments(void **state)
{
    fx *f = *state;
    wqi_fs *img = (wqi_fs *)f;
    wqi_fs_mem_crash_plan plan;
    memset(&plan, 0, sizeof plan);
    assert_int_equal(wqi_fs_mem_crash(f->fs, NULL, &img), WQ_EINVAL);
    assert_null(img);
    assert_int_equal(wqi_fs_mem_crash(NULL, &plan, &img), WQ_EINVAL);
    assert_int_equal(wqi_fs_mem_crash(f->fs, &plan, NULL), WQ_EINVAL);
    /* NULL callbacks: nothing pending survives. */
    write_file(f, "x", "flushed");
    assert_int_equal(wqi_fs_mem_crash(f->fs, &plan, &img), WQ_OK);
    fx view;
    memset(&view, 0, sizeof view);
    view.fs = img;
    memcpy(view.dir, f->dir, sizeof view.dir);
    expect_missing(&view, "x");
    wqi_fs_mem_free(img);
    done(f);
}

int main(void)
{
    const struct CMUnitTest native[] = {CONFORMANCE(native_up, native_down)};
    const struct CMUnitTest mem[] = {CONFORMANCE(mem_up, mem_down)};
#define MEM(fn) cmocka_unit_test_setup_teardown(fn, mem_up, mem_down)
    const struct CMUnitTest faults[] = {
        MEM(enospc_on_append_changes_nothing_and_the_next_succeeds),
        MEM(the_nth_call_fails_and_only_it),
        MEM(a_torn_append_writes_a_prefix_then_fails),
        MEM(a_failed_call_changes_nothing),
        MEM(faults_are_checked),
        MEM(every_call_is_counted_and_told_to_the_hook),
        MEM(directories_are_implied_by_paths),
        MEM(threads_may_share_the_fs),
        MEM(renaming_onto_an_open_file_is_refused),
    };
    const struct CMUnitTest crashes[] = {
        MEM(flushed_bytes_survive_and_later_ones_survive_as_a_prefix),
        MEM(a_failed_flush_keeps_nothing_for_sure),
        MEM(a_crash_never_reorders_or_invents),
        MEM(a_truncate_since_the_flush_is_replayed_in_order),
        MEM(an_unsynced_create_may_or_may_not_survive),
        MEM(an_unsynced_rename_may_or_may_not_survive_a_synced_one_does),
        MEM(a_rename_across_directories_needs_both_synced),
        MEM(a_removed_file_may_come_back_until_synced),
        MEM(name_changes_that_did_not_survive_make_later_ones_moot),
        MEM(an_image_is_independent_and_usable),
        MEM(a_crash_checks_its_arguments),
    };
#undef MEM
    int failed = cmocka_run_group_tests_name("fs.native", native, NULL, NULL);
    failed += cmocka_run_group_tests_name("fs.mem", mem, NULL, NULL);
    failed += cmocka_run_group_tests_name("fs.mem_faults", faults, NULL, NULL);
    failed += cmocka_run_group_tests_name("fs.mem_crash", crashes, NULL, NULL);
    return failed != 0;
}
