/* heapscope symbolize: resolves a finished recording's frames that lack symbols, by build-id. */
#ifndef HEAPSCOPE_RESYM_H
#define HEAPSCOPE_RESYM_H

/* heapscope symbolize -d FILE [--debug-dir DIR]. 0 ok, 1 failed, 2 usage. */
int symbolize_main(int argc, char **argv);

#endif
