/* stdio_mode.h — workqctl's process boundary (internal): binary standard
 * streams and UTF-8 arguments.
 *
 * Payloads are bytes: publish reads stdin and retrieve writes stdout
 * verbatim. On Windows the C runtime opens the standard streams in text
 * mode, which turns "\n" into "\r\n" on output and stops input at a
 * Ctrl-Z byte, so the streams must be switched to binary first; that takes
 * _setmode, which is platform code. Likewise main's argv on Windows is in
 * the ANSI code page, while the protocol's text is UTF-8 (a payload given
 * as an argument must reach a .NET client as the text that was typed).
 *
 * Implemented in src/cli/posix/stdio_mode.c (nothing to do: streams are
 * binary and arguments are passed as the bytes they are) and
 * src/cli/windows/stdio_mode.c.
 */
#ifndef WQC_STDIO_MODE_H
#define WQC_STDIO_MODE_H

#include <stdio.h>

/* Put f (stdin or stdout, before any I/O on it) in binary mode. Returns 0,
 * or -1 if the runtime refused. */
int wqc_stdio_binary(FILE *f);

/* Replace main's argc and argv by the command line in UTF-8 (Windows:
 * from GetCommandLineW; the new vector lives until the process exits).
 * POSIX leaves them as they are. Returns 0, or -1 (out of memory, or the
 * command line could not be read) with them unchanged. */
int wqc_utf8_args(int *argc, char ***argv);

#endif /* WQC_STDIO_MODE_H */
