/* heapscope's entry point: dispatches the subcommands record, report, serve, diff, daemon and ctl. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "agent/bpfside.h"
#include "agent/record.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "report/diff.h"
#include "report/report.h"
#include "server/server.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: heapscope <command> [options]\n"
		   "  record   trace the malloc family of a process into a recording file\n"
		   "           heapscope record -p PID [-o FILE]\n"
		   "           heapscope record [-o FILE] -- COMMAND [ARGS...]\n"
		   "  report   analyses of a recording: text, json, csv, pprof, collapsed, html\n"
		   "           heapscope report -d FILE [--view V] [--format F] [-o OUT]\n"
		   "  serve    the dashboard and JSON API of a recording over HTTP\n"
		   "           heapscope serve -d FILE [--port N] [--bind ADDR]\n"
		   "  diff     per-site deltas between two recordings (or two time windows)\n"
		   "           heapscope diff A.db B.db [--format text|json|csv|pprof]\n"
		   "  daemon   the service: recordings and processes in the dashboard, rules\n"
		   "           heapscope daemon [--data DIR] [--port N] [--config FILE]\n"
		   "  ctl      talk to a running daemon: list, start, stop, delete, export\n"
		   "           heapscope ctl list | start -p PID | stop ID | delete ID\n"
		   "  --version\n"
		   "Run 'heapscope <command> --help' for a command's options.\n");
}

/* libbpf's messages go to stderr only with HEAPSCOPE_DEBUG set; otherwise the last warning is
 * kept for the one-line error of a failed load (see bpfside.c). */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (getenv("HEAPSCOPE_DEBUG"))
		return vfprintf(stderr, fmt, args);
	if (level != LIBBPF_DEBUG)
		bpfside_note_libbpf(fmt, args);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	libbpf_set_print(print_libbpf);
	/* libdwfl would otherwise fetch debug info over the network while we record. */
	unsetenv("DEBUGINFOD_URLS");
	if (!strcmp(argv[1], "record"))
		return record_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "serve"))
		return serve_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return diff_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "daemon"))
		return daemon_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("heapscope %s\n", HEAPSCOPE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "heapscope: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
