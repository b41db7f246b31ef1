/* heapscope's entry point: dispatches the subcommands (record, report, serve, diff, daemon, ctl,
 * version, help). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "agent/bpfside.h"
#include "agent/check.h"
#include "agent/record.h"
#include "agent/record_scan.h"
#include "agent/resym.h"
#include "agent/version.h"
#include "daemon/ctl.h"
#include "daemon/daemon.h"
#include "report/cliopt.h"
#include "report/diff.h"
#include "report/report.h"
#include "server/server.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: heapscope <command> [options]\n"
		   "  record   trace the malloc family of a process into a recording file\n"
		   "           heapscope record -p PID [-d FILE] [--duration SECONDS]\n"
		   "           heapscope record [-d FILE] -- COMMAND [ARGS...]\n"
		   "  scan     a reachability scan of a process a heapscope record traces, now\n"
		   "           heapscope scan -p PID [--json]\n"
		   "  check    record a command and hold it to memory budgets (CI): exit 1 if over\n"
		   "           heapscope check --max-leaked-bytes N [--junit FILE] -- COMMAND\n"
		   "  report   analyses of a recording: text, json, csv, pprof, collapsed, html\n"
		   "           heapscope report -d FILE [--view V] [--format F] [-o OUT]\n"
		   "  serve    the dashboard and JSON API of a recording over HTTP\n"
		   "           heapscope serve -d FILE [--port N] [--bind ADDR]\n"
		   "  diff     per-site deltas between two recordings (or two time windows)\n"
		   "           heapscope diff A.db B.db [--format text|json|csv|pprof]\n"
		   "  symbolize resolve a finished recording's frames without symbols, by build-id\n"
		   "           heapscope symbolize -d FILE [--debug-dir DIR]\n"
		   "  daemon   the service: recordings and processes in the dashboard, rules\n"
		   "           heapscope daemon [--data DIR] [--port N] [--config FILE]\n"
		   "  ctl      talk to a running daemon: list, start, stop, delete, export\n"
		   "           heapscope ctl list | start -p PID | stop ID | delete ID\n"
		   "  version  the version, libraries and what this kernel supports\n"
		   "Run 'heapscope <command> --help' for a command's options, 'man heapscope' for\n"
		   "the manual. Exit status: 0 ok, 1 failed, 2 usage; record -- COMMAND: the\n"
		   "command's (127 not found, 126 not executable, 128+N killed by signal N).\n");
}

static int help_main(int argc, char **argv);

/* Every subcommand: add new ones here (dispatch, suggestions and completion read this). */
static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
} COMMANDS[] = {
	{ "record", record_main }, { "report", report_main }, { "serve", serve_main },
	{ "diff", diff_main },	   { "daemon", daemon_main }, { "ctl", ctl_main },
	{ "version", version_main }, { "help", help_main }, { "scan", scan_main },
	{ "check", check_main }, { "symbolize", symbolize_main },
};
#define NCOMMANDS (sizeof(COMMANDS) / sizeof(COMMANDS[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(COMMANDS[i].name, name))
			return &COMMANDS[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS], *near;

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = COMMANDS[i].name;
	near = cliopt_closest(name, names, NCOMMANDS);
	if (near)
		fprintf(stderr, "heapscope: unknown command '%s'; did you mean '%s'?\n", name,
			near);
	else
		fprintf(stderr, "heapscope: unknown command '%s' (heapscope --help lists them)\n",
			name);
	return 2;
}

/* help [COMMAND]: the overview, or the command's --help. */
static int help_main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c || c->main == help_main)
		return c ? help_main(1, argv) : unknown_command(argv[1]);
	return c->main(2, (char *[]){ argv[1], "--help", NULL });
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
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	libbpf_set_print(print_libbpf);
	/* libdwfl would otherwise fetch debug info over the network while we record (the ring
	 * buffer waits meanwhile); only symbolize, after the fact, asks debuginfod. */
	if (strcmp(argv[1], "symbolize"))
		unsetenv("DEBUGINFOD_URLS");
	c = find_command(argv[1]);
	if (c)
		return c->main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version")) {
		printf("heapscope %s\n", HEAPSCOPE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--completion-helper")) { /* the bash completion's commands */
		for (size_t i = 0; i < NCOMMANDS; i++)
			printf("%s\n", COMMANDS[i].name);
		return 0;
	}
	if (argv[1][0] == '-')
		fprintf(stderr, "heapscope: unknown option '%s' (options follow the command)\n",
			argv[1]);
	else
		unknown_command(argv[1]);
	usage(stderr);
	return 2;
}
