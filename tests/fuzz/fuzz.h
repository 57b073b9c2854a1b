/* fuzz.h — what the fuzz targets of tests/fuzz share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput for one input that
 * comes from outside the process. The same file is linked two ways: with
 * libFuzzer (preset linux-fuzz, -fsanitize=fuzzer), which supplies main()
 * and generates inputs; and with replay.c, whose main() runs it over every
 * file of the committed corpus and regressions directories (the CTest
 * entries fuzz_replay.<target>, on every OS).
 *
 * A target reports a broken invariant with WQF_CHECK, which prints where
 * and aborts: libFuzzer records the input as a crash, and the replay (or
 * CTest) fails.
 */
#ifndef WQF_FUZZ_H
#define WQF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point: data[0..size) is one input; returns 0. Must
 * not keep state from one input to the next. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print "file:line: invariant broken: what" on stderr and abort(). */
void wqf_fail(const char *file, int line, const char *what);

#define WQF_CHECK(cond) ((cond) ? (void)0 : wqf_fail(__FILE__, __LINE__, #cond))

#endif /* WQF_FUZZ_H */
