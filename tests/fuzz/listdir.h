/* listdir.h — the files of a directory, for the fuzz replay (replay.c).
 * One implementation per OS: posix/listdir.c, windows/listdir.c. */
#ifndef WQF_LISTDIR_H
#define WQF_LISTDIR_H

#include <stddef.h>

/* The names of the regular files directly in dir, except those whose name
 * starts with '.', in no particular order: *names is an array of *n
 * malloc'd strings, itself malloc'd (free each, then the array; NULL when
 * *n is 0). Returns 0, or -1 if dir cannot be read (missing, not a
 * directory, no permission, out of memory); *names and *n are then NULL
 * and 0. Not thread-safe on Windows (the ANSI code page is used). */
int wqf_list_files(const char *dir, char ***names, size_t *n);

#endif /* WQF_LISTDIR_H */
