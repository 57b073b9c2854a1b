/* scratch_os.c (POSIX) — scratch directories under $TMPDIR (or /tmp). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch_os.h"

const char wqt_scratch_os_sep = '/';

void wqt_scratch_os_make(wqt_scratch *s, const char *tag, unsigned long long pid, unsigned long id)
{
    (void)pid; /* mkdtemp makes the directory unique */
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') {
        tmp = "/tmp";
    }
    char templ[WQ_ENDPOINT_MAX];
    /* Short names: socket paths are limited to 107 bytes. */
    wqt_scratch_fmt(templ, sizeof templ, "%s/wqt-XXXXXX", tmp);
    if (mkdtemp(templ) == NULL) {
        wqt_scratch_fail("mkdtemp failed");
    }
    wqt_scratch_fmt(s->dir, sizeof s->dir, "%s", templ);
    wqt_scratch_fmt(s->endpoint, sizeof s->endpoint, "%s/%s%lu.sock", s->dir, tag, id);
}

void wqt_scratch_os_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
                continue;
            }
            char path[WQ_ENDPOINT_MAX * 2];
            wqt_scratch_fmt(path, sizeof path, "%s/%s", dir, e->d_name);
            struct stat st;
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                chmod(path, 0700); /* a test may have made it unreadable */
                wqt_scratch_os_remove_tree(path);
            } else {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(dir);
}
