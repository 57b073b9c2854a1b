/* test_fs_posix.c — what the native POSIX fs (platform/posix/fs.c)
 * promises beyond the conformance suite (tests/test_fs.c): a full device
 * is WQ_ENOSPC, files are created 0600 whatever the umask, and the lock
 * excludes another process too. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs.h"
#include "scratch.h"

/* /dev/full is the kernel's device for this: every write to it fails with
 * ENOSPC. The same path as a full disk: writev's errno through
 * wq_err_from_os. */
static void a_full_device_gives_enospc(void **state)
{
    (void)state;
    wqi_fs *fs = wqi_fs_native();
    wqi_file *f = NULL;
    wq_err err = fs->ops->open(fs, "/dev/full", 0, &f);
    if (err == WQ_ENOENT) {
        skip(); /* a system without /dev/full */
    }
    assert_int_equal(err, WQ_OK);
    wqi_fs_iov v = {"record", 6};
    assert_int_equal(fs->ops->append(f, &v, 1), WQ_ENOSPC);
    long code = 0;
    assert_int_equal(wq_os_error_last(&code, NULL, 0), 1);
    assert_int_equal(code, ENOSPC);
    fs->ops->close(f);
}

static void files_are_created_private(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, NULL, "fsmode");
    char file[512], lock[512];
    wqt_scratch_path(&s, "journal", file, sizeof file);
    wqt_scratch_path(&s, "lock", lock, sizeof lock);
    wqi_fs *fs = wqi_fs_native();
    mode_t old = umask(0); /* the mode must not depend on the umask */
    wqi_file *f = NULL;
    wqi_file *l = NULL;
    wq_err e1 = fs->ops->open(fs, file, WQI_FS_CREATE | WQI_FS_EXCL, &f);
    wq_err e2 = fs->ops->lock(fs, lock, &l);
    umask(old);
    assert_int_equal(e1, WQ_OK);
    assert_int_equal(e2, WQ_OK);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(lock, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    fs->ops->close(f);
    fs->ops->unlock(l);
    wqt_scratch_cleanup(&s);
}

/* The lock is what keeps a second workqd off a data directory. */
static void another_process_cannot_take_the_lock(void **state)
{
    (void)state;
    wqt_scratch s;
    wqt_scratch_init(&s, NULL, "fslock");
    char lock[512];
    wqt_scratch_path(&s, "lock", lock, sizeof lock);
    wqi_fs *fs = wqi_fs_native();
    wqi_file *l = NULL;
    assert_int_equal(fs->ops->lock(fs, lock, &l), WQ_OK);
    for (int round = 0; round < 2; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* The child's answer is its exit status: 0 EBUSY, 1 it got
             * the lock, 2 anything else. */
            wqi_file *mine = NULL;
            wq_err err = fs->ops->lock(fs, lock, &mine);
            _exit(err == WQ_EBUSY ? 0 : err == WQ_OK ? 1 : 2);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        /* Held: refused. Released: the child gets it. */
        assert_int_equal(WEXITSTATUS(status), round == 0 ? 0 : 1);
        if (round == 0) {
            fs->ops->unlock(l);
        }
    }
    wqt_scratch_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_full_device_gives_enospc),
        cmocka_unit_test(files_are_created_private),
        cmocka_unit_test(another_process_cannot_take_the_lock),
    };
    return cmocka_run_group_tests_name("fs.posix", tests, NULL, NULL);
}
