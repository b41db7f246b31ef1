/* `heapscope scan -p PID [--json]`: a reachability scan now, by the recorder that traces PID. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/record_scan.h"
#include "agent/scan_client.h"
#include "report/cliopt.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: heapscope scan -p PID [--json]\n"
		   "  A reachability scan of PID now, by the heapscope record that traces it: the\n"
		   "  process is stopped for the scan (the time is printed), its live blocks are\n"
		   "  classified as definitely, indirectly or possibly lost or still reachable, and\n"
		   "  the result goes into the recording (leaks and held views).\n"
		   "  -p, --pid PID   the traced process\n"
		   "      --json      the result as one JSON object\n");
}

int scan_main(int argc, char **argv)
{
	static const struct option longopts[] = { { "pid", required_argument, NULL, 'p' },
						   { "json", no_argument, NULL, 'j' },
						   { "help", no_argument, NULL, 'h' },
						   { NULL, 0, NULL, 0 } };
	char out[4096], *end;
	int c, json = 0, e;
	long pid = 0;

	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "p:h", longopts)) != -1) {
		switch (c) {
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0 || pid > 0x7fffffff) {
				fprintf(stderr, "heapscope: invalid pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!pid || optind < argc) {
		usage(stderr);
		return 2;
	}
	e = record_scan_ask(0, (pid_t)pid, json, out, sizeof(out));
	if (e) {
		fprintf(stderr, "heapscope: %s\n", out);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
