/* `heapscope record`: trace the malloc family of a live process or a launched command. */
#ifndef HEAPSCOPE_RECORD_H
#define HEAPSCOPE_RECORD_H

/* Runs the subcommand with its own argv (argv[0] = "record"). Returns the process exit status:
 * the launched command's, 0 after an attach, 1 on error, 2 on bad usage. */
int record_main(int argc, char **argv);

#endif
