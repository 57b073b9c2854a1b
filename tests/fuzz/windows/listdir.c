/* listdir.c (Windows) — wqf_list_files with FindFirstFileA/FindNextFileA.
 * Corpus file names are ASCII, so the ANSI functions are enough. */
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include "listdir.h"

static void free_all(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

int wqf_list_files(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    size_t dl = strlen(dir);
    char *pattern = malloc(dl + 3);
    if (pattern == NULL) {
        return -1;
    }
    memcpy(pattern, dir, dl);
    memcpy(pattern + dl, "\\*", 3);
    WIN32_FIND_DATAA fd;
    HANDLE h = FindFirstFileA(pattern, &fd);
    free(pattern);
    if (h == INVALID_HANDLE_VALUE) {
        /* An existing but empty directory still lists "." and "..": any
         * failure here means the directory cannot be read. */
        return -1;
    }
    char **v = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    do {
        if (fd.cFileName[0] == '.' || (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0) {
            continue;
        }
        if (count == cap) {
            size_t c = cap == 0 ? 16 : cap * 2;
            char **grown = realloc(v, c * sizeof *grown);
            if (grown == NULL) {
                rc = -1;
                break;
            }
            v = grown;
            cap = c;
        }
        size_t len = strlen(fd.cFileName);
        char *copy = malloc(len + 1);
        if (copy == NULL) {
            rc = -1;
            break;
        }
        memcpy(copy, fd.cFileName, len + 1);
        v[count++] = copy;
    } while (FindNextFileA(h, &fd));
    FindClose(h);
    if (rc != 0) {
        free_all(v, count);
        return -1;
    }
    *names = v;
    *n = count;
    return 0;
}
