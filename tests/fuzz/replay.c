/* replay.c — main() for a fuzz target without libFuzzer: runs
 * LLVMFuzzerTestOneInput once over every file of each directory given, in
 * name order, so that the committed corpus and every crash ever found are
 * checked by the ordinary test run on every OS (CTest: fuzz_replay.*).
 *
 *   fuzz_replay_<target> DIR...
 *
 * Exit status 0 when every file ran; 1 when a directory is missing,
 * cannot be read, holds no file, or a file cannot be read (a replay that
 * runs nothing must not pass). A broken invariant aborts (fuzz.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "listdir.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file, in a block of exactly its size (so that ASan sees a
 * read past the end), or NULL. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    uint8_t *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            uint8_t *grown = realloc(data, cap);
            if (grown == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        return NULL;
    }
    uint8_t *exact = malloc(n > 0 ? n : 1);
    if (exact != NULL && n > 0) {
        memcpy(exact, data, n);
    }
    free(data);
    *size = n;
    return exact;
}

static int replay_dir(const char *dir)
{
    char **names;
    size_t n;
    if (wqf_list_files(dir, &names, &n) != 0) {
        fprintf(stderr, "replay: cannot read directory %s\n", dir);
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "replay: no file in %s\n", dir);
        return 1;
    }
    qsort(names, n, sizeof names[0], by_name);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = strlen(dir) + 1 + strlen(names[i]) + 1;
        char *path = malloc(need);
        size_t size = 0;
        uint8_t *data = NULL;
        if (path != NULL) {
            snprintf(path, need, "%s/%s", dir, names[i]);
            /* Named before it runs: a crash leaves this as the last line. */
            fprintf(stderr, "replay: %s\n", path);
            fflush(stderr);
            data = read_file(path, &size);
        }
        if (data == NULL) {
            fprintf(stderr, "replay: cannot read %s/%s\n", dir, names[i]);
            status = 1;
        } else {
            LLVMFuzzerTestOneInput(data, size);
        }
        free(data);
        free(path);
        free(names[i]);
    }
    free(names);
    if (status == 0) {
        printf("replay: %u files from %s\n", (unsigned)n, dir);
    }
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR...\n", argv[0]);
        return 1;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (replay_dir(argv[i]) != 0) {
            status = 1;
        }
    }
    return status;
}
