/* `heapscope ctl`: the daemon's API from the command line, for scripts. */
#ifndef HEAPSCOPE_DAEMON_CTL_H
#define HEAPSCOPE_DAEMON_CTL_H

/* Runs the subcommand (argv[0] = "ctl"); returns the exit status. */
int ctl_main(int argc, char **argv);

#endif
