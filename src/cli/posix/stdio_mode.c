/* stdio_mode.c (POSIX) — nothing to adapt: text and binary mode are the
 * same thing here, and arguments are passed as the bytes they are (UTF-8
 * in any sane locale). */
#include "stdio_mode.h"

int wqc_stdio_binary(FILE *f)
{
    (void)f;
    return 0;
}

int wqc_utf8_args(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
