/* `heapscope check`: record a command exactly, then hold it to memory budgets (CI gates). */
#ifndef HEAPSCOPE_CHECK_H
#define HEAPSCOPE_CHECK_H

/* Exit statuses of `heapscope check` (0: every budget met and the command succeeded; 2: usage). */
#define CHECK_OVER_BUDGET 1    /* a budget was exceeded */
#define CHECK_COMMAND_FAILED 3 /* the command exited non-zero, was killed, or could not run */
#define CHECK_ERROR 4	       /* heapscope failed: recording, reading, a budget not measured */

/* Runs the subcommand with its own argv (argv[0] = "check"); returns the exit status. */
int check_main(int argc, char **argv);

#endif
