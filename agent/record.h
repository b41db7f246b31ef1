/* `heapscope record`: trace the malloc family of a live process or a launched command. */
#ifndef HEAPSCOPE_RECORD_H
#define HEAPSCOPE_RECORD_H

#include <stdarg.h>

/* Runs the subcommand with its own argv (argv[0] = "record"). Returns the process exit status:
 * the launched command's, 0 after an attach, 1 on error, 2 on bad usage. */
int record_main(int argc, char **argv);

/* Keeps libbpf's latest warning, quoted when loading or attaching fails. */
void record_note_libbpf(const char *fmt, va_list args);

#endif
