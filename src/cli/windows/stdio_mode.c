/* stdio_mode.c (Windows) — binary standard streams, so the C runtime
 * neither rewrites "\n" as "\r\n" nor stops reading at Ctrl-Z, and a UTF-8
 * argv rebuilt from the UTF-16 command line, since the CRT's argv is in the
 * ANSI code page and would turn "café" into bytes no UTF-8 reader accepts.
 * Needs shell32 (CommandLineToArgvW). */
#include <windows.h>
#include <shellapi.h>

#include <fcntl.h>
#include <io.h>
#include <stdlib.h>

#include "stdio_mode.h"

int wqc_stdio_binary(FILE *f)
{
    return _setmode(_fileno(f), _O_BINARY) == -1 ? -1 : 0;
}

int wqc_utf8_args(int *argc, char ***argv)
{
    int n = 0;
    LPWSTR *wide = CommandLineToArgvW(GetCommandLineW(), &n);
    if (wide == NULL || n < 1) {
        if (wide != NULL) {
            LocalFree(wide);
        }
        return -1;
    }
    char **out = calloc((size_t)n + 1, sizeof *out);
    int ok = out != NULL;
    for (int i = 0; ok && i < n; i++) {
        /* Lone surrogates become U+FFFD: the result is always UTF-8. */
        int len = WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, NULL, 0, NULL, NULL);
        out[i] = len > 0 ? malloc((size_t)len) : NULL;
        ok = out[i] != NULL &&
             WideCharToMultiByte(CP_UTF8, 0, wide[i], -1, out[i], len, NULL, NULL) == len;
    }
    LocalFree(wide);
    if (!ok) {
        for (int i = 0; out != NULL && i < n; i++) {
            free(out[i]);
        }
        free(out);
        return -1;
    }
    *argc = n;
    *argv = out;
    return 0;
}
