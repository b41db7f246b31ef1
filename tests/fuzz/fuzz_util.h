/* What the libFuzzer harnesses share: turning fuzz bytes into strings and request parameters,
 * and a private scratch directory for the files a harness must hand over by path. */
#ifndef HEAPSCOPE_FUZZ_UTIL_H
#define HEAPSCOPE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "server/params.h"

/* The input as a NUL-terminated malloc'd string (embedded NULs end it early, as in C strings
 * from the HTTP library); the caller frees it. Aborts when out of memory. */
char *fuzz_str(const uint8_t *data, size_t size);

/* Cuts s at the first '\n': returns the rest (s itself ends there), or "" when there is none. */
char *fuzz_line(char *s);

/* "a=1&b&c=" into p (names and values point into s, which is cut up): a part without '=' has a
 * NULL value as the HTTP library gives it; more than PARAMS_MAX parts set p->overflow. */
void fuzz_params(char *s, struct params *p);

/* A fresh directory /tmp/hs-fuzz-NAME-PID (removed at exit), its path in a static buffer. */
const char *fuzz_scratch_dir(const char *name);

/* Writes size bytes to path (replacing it); aborts on failure: a harness without its file would
 * silently test nothing. */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* Copies the fixture recording (FUZZ_FIXTURE, made by mk/fuzz.mk) to path, and checks it opens. */
void fuzz_copy_fixture(const char *path);

/* Aborts unless path opens as a recording of this tree's schema: a harness on a fixture of
 * another version would only ever test the version check. */
void fuzz_check_recording(const char *path);

#endif
