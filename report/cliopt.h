/* Command-line options read the same way by every subcommand: getopt_long without its own
 * messages, ours instead (one line, naming the option meant when one was mistyped). */
#ifndef HEAPSCOPE_CLIOPT_H
#define HEAPSCOPE_CLIOPT_H

#include <getopt.h>
#include <stddef.h>

/* getopt_long(argc, argv, shortopts, longopts, NULL), but an unknown or ambiguous option, or
 * one without its value, prints one line on stderr ("heapscope: unknown option '--duraton';
 * did you mean '--duration'?") and returns '?'. The hidden option --completion-helper prints
 * the subcommand's options (one a line: "-d", "--db=" for one that takes a value, "--asc")
 * on stdout and exits 0: the bash completion reads them there. */
int cliopt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* The name in names[0..n) closest to word (a typo: a few letters swapped, missing or extra,
 * or word a known name with something appended), or NULL if none is close. */
const char *cliopt_closest(const char *word, const char *const *names, size_t n);

/* One --alloc-fn PATTERN appended to patterns (n of them so far, at most AN_ALLOC_FN_MAX): 1 to
 * AN_ALLOC_FN_PATTERN_MAX - 1 printable bytes. 0, or -EINVAL after a one-line message. For
 * record, report and check alike. */
int cliopt_add_alloc_fn(const char **patterns, int *n, const char *arg);

#endif
