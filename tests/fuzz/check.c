/* check.c — the failure path of WQF_CHECK (fuzz.h). */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void wqf_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    fflush(stderr);
    abort();
}
