/* `heapscope daemon`: the long-running service — recordings and processes in the dashboard,
 * attach/stop/delete/compare over a token-guarded API, continuous recording by rule. */
#ifndef HEAPSCOPE_DAEMON_H
#define HEAPSCOPE_DAEMON_H

#define DAEMON_DEFAULT_DATA "/var/lib/heapscope"

/* Runs the subcommand (argv[0] = "daemon") until SIGTERM/SIGINT; returns the exit status. */
int daemon_main(int argc, char **argv);

#endif
