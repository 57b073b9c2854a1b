/* listdir.c (POSIX) — wqf_list_files with opendir/readdir. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "listdir.h"

/* Append a copy of name to the growing array; 0 or -1 (memory). */
static int push(char ***names, size_t *n, size_t *cap, const char *name)
{
    if (*n == *cap) {
        size_t c = *cap == 0 ? 16 : *cap * 2;
        char **grown = realloc(*names, c * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        *names = grown;
        *cap = c;
    }
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }
    memcpy(copy, name, len + 1);
    (*names)[(*n)++] = copy;
    return 0;
}

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
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    char **v = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        /* d_type is not reliable on every filesystem: ask stat. */
        size_t need = strlen(dir) + 1 + strlen(e->d_name) + 1;
        char *path = malloc(need);
        if (path == NULL) {
            rc = -1;
            break;
        }
        snprintf(path, need, "%s/%s", dir, e->d_name);
        struct stat st;
        int regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
        if (regular) {
            rc = push(&v, &count, &cap, e->d_name);
        }
    }
    closedir(d);
    if (rc != 0) {
        free_all(v, count);
        return -1;
    }
    *names = v;
    *n = count;
    return 0;
}
