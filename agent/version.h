/* `heapscope version`: the version and what this machine offers the recorder. */
#ifndef HEAPSCOPE_VERSION_H
#define HEAPSCOPE_VERSION_H

/* Prints the version, the libraries and the kernel's features on stdout. 0, or 2 on a bad
 * argument. Reads only uname(2) and /sys: fast, no BPF loaded. */
int version_main(int argc, char **argv);

#endif
