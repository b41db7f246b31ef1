/* The options of `heapscope record`, parsed and checked. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/record_opts.h"
#include "agent/sampling.h"
#include "bpf/abi.h"
#include "report/cliopt.h"
#include "report/report.h"
#include "server/server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope record [-d FILE] [--duration SECONDS] [--keep-events]\n"
		"                        [--ringbuf-mb N] (-p PID[,PID...] | -- COMMAND [ARGS...])\n"
		"  -p, --pid PID        attach to running processes (repeat, or PID,PID,...)\n"
		"      --follow         -p: also trace the processes they fork from now on\n"
		"      --no-follow      COMMAND: trace the command's process only, not those it\n"
		"                       forks (followed by default, through every exec)\n"
		"  -d, --db FILE        recording file (default heapscope-<pid>.db)\n"
		"  -o, --output FILE    the same (-d names the database in every command)\n"
		"  -t, --duration SECS  stop after this many seconds\n"
		"      --keep-events    also store every raw event (table events)\n"
		"      --ringbuf-mb N   size of the kernel ring buffer, a power of two (default 64)\n"
		"      --stack=MODE     dwarf: full stacks from the modules' unwind tables, frame\n"
		"                       pointers where there are none (default); fp: frame pointers\n"
		"                       only; caller: the allocator's caller only (cheapest)\n"
		"      --max-depth N    frames kept per stack, 1-64 (default 64)\n"
		"      --sample BYTES   sampled mode: one allocation per BYTES allocated on average\n"
		"                       (Poisson by bytes; suffix K, M or G; 'default' = 128K), each\n"
		"                       weighed so that every count and byte total is an unbiased\n"
		"                       estimate; unsampled calls cost one trap and no event.\n"
		"                       0: exact (default): every call traced\n"
		"      --sample-seed N  sampled mode: the same random sequence each run (tests)\n"
		"      --serve          serve the live dashboard meanwhile (and after, until Ctrl-C)\n"
		"      --port N         its port (default 7070; 0: any free port)\n"
		"      --bind ADDR      its address (default 127.0.0.1: this machine only)\n"
		"      --allow-host NAME  also answer requests for NAME (repeat)\n"
		"      --alloc-fn PATTERN  a glob of allocation wrappers (xmalloc, g_malloc*, 'auto'):\n"
		"                       reports show their callers as the sites (repeat)\n"
		"      --scan-at-end    a reachability scan of each process at its exit (held\n"
		"                       there: launched or --follow) or, still running, at the end:\n"
		"                       definitely/indirectly/possibly lost, still reachable\n");
}

static const char *const stack_modes[] = {
	[HS_STACK_CALLER] = "caller",
	[HS_STACK_FP] = "fp",
	[HS_STACK_DWARF] = "dwarf",
};

int stack_mode_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(stack_modes) / sizeof(*stack_modes)); i++)
		if (!strcmp(name, stack_modes[i]))
			return i;
	return -1;
}

const char *stack_mode_name(int mode)
{
	return stack_modes[mode];
}

static int parse_positive(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || *out <= 0 ? -EINVAL : 0;
}

/* --sample: 0, or 1 byte to 4 GiB, with an optional K/M/G (KiB, MiB, GiB) suffix. */
static int parse_bytes(const char *s, uint64_t *out)
{
	static const char *const units[] = { "", "K", "M", "G" };
	char *end;
	double v;

	if (!strcmp(s, "default")) {
		*out = SAMPLING_DEFAULT_BYTES;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v != (double)(uint64_t)v)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(end, units[i]) || (i && (!strcasecmp(end + 1, "iB") ||
							  !strcasecmp(end + 1, "B")) &&
						      toupper(*end) == units[i][0])) {
			v *= (double)(1ULL << (10 * i));
			if (v > (double)(1ULL << 32))
				return -EINVAL;
			*out = (uint64_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

/* -p 12 or -p 12,34 (and -p repeated): each pid once. */
static int parse_pids(const char *arg, struct record_opts *o)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;

		if (parse_positive(tok, &v) || v != (pid_t)v || v > INT_MAX) {
			fprintf(stderr, "heapscope: invalid pid '%s'\n", tok);
			return -EINVAL;
		}
		for (int i = 0; i < o->npids; i++) {
			if (o->pids[i] == (pid_t)v) {
				fprintf(stderr, "heapscope: pid %d given twice\n", (int)v);
				return -EINVAL;
			}
		}
		if (o->npids == RECORD_MAX_PIDS) {
			fprintf(stderr, "heapscope: at most %d pids\n", RECORD_MAX_PIDS);
			return -EINVAL;
		}
		o->pids[o->npids++] = (pid_t)v;
	}
	if (!o->npids) {
		fprintf(stderr, "heapscope: invalid pid '%s'\n", arg);
		return -EINVAL;
	}
	return 0;
}

char *record_alloc_fns_json(const struct record_opts *o)
{
	size_t len = 16;
	char *s, *p;

	for (int i = 0; i < o->nalloc_fns; i++)
		len += 2 * strlen(o->alloc_fns[i]) + 3;
	s = p = malloc(len);
	if (!s || !o->nalloc_fns) {
		if (s)
			*s = 0;
		return s;
	}
	p += sprintf(p, ",\"alloc_fn\":[");
	for (int i = 0; i < o->nalloc_fns; i++) {
		*p++ = i ? ',' : '"';
		if (i)
			*p++ = '"';
		for (const char *c = o->alloc_fns[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = *c;
		}
		*p++ = '"';
	}
	strcpy(p, "]");
	return s;
}

int record_parse_opts(int argc, char **argv, struct record_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "db", required_argument, NULL, 'o' }, /* -d: the database, as in every command */
		{ "duration", required_argument, NULL, 't' },
		{ "keep-events", no_argument, NULL, 'k' },
		{ "ringbuf-mb", required_argument, NULL, 'r' },
		{ "stack", required_argument, NULL, 's' },
		{ "max-depth", required_argument, NULL, 'D' },
		{ "serve", no_argument, NULL, 'S' },
		{ "port", required_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'B' },
		{ "allow-host", required_argument, NULL, 'A' },
		{ "alloc-fn", required_argument, NULL, 'F' },
		{ "follow", no_argument, NULL, 'f' },
		{ "no-follow", no_argument, NULL, 'n' },
		{ "sample", required_argument, NULL, 'm' },
		{ "sample-seed", required_argument, NULL, 'e' },
		{ "scan-at-end", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	double v;
	int c;

	*o = (struct record_opts){ .ringbuf_mb = 64,
				   .port = SERVER_DEFAULT_PORT,
				   .bind = SERVER_DEFAULT_BIND,
				   .stack_mode = HS_STACK_DWARF,
				   .max_depth = HS_MAX_FRAMES };
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "+p:o:d:t:h", longopts)) != -1) {
		if (c == 'd')
			c = 'o';
		if (c != 'p' && c != 'A' && c != 'F' &&
		    report_option_once(c, longopts, &seen)) /* they add */
			return -EINVAL;
		switch (c) {
		case 'p':
			if (parse_pids(optarg, o))
				return -EINVAL;
			break;
		case 'f': o->follow = 1; break;
		case 'n': o->no_follow = 1; break;
		case 'o': snprintf(o->output, sizeof(o->output), "%s", optarg); break;
		case 't':
			if (parse_positive(optarg, &o->duration_s)) {
				fprintf(stderr, "heapscope: invalid duration '%s' (seconds > 0)\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'k': o->keep_events = 1; break;
		case 'r':
			if (parse_positive(optarg, &v) || v != (int)v || ((int)v & ((int)v - 1)) ||
			    v > 4096) {
				fprintf(stderr,
					"heapscope: --ringbuf-mb must be a power of two <= 4096\n");
				return -EINVAL;
			}
			o->ringbuf_mb = (int)v;
			break;
		case 's':
			o->stack_mode = stack_mode_parse(optarg);
			if (o->stack_mode < 0) {
				fprintf(stderr, "heapscope: --stack must be dwarf, fp or caller\n");
				return -EINVAL;
			}
			break;
		case 'D':
			if (parse_positive(optarg, &v) || v != (int)v || v > HS_MAX_FRAMES) {
				fprintf(stderr, "heapscope: --max-depth must be 1-%d\n",
					HS_MAX_FRAMES);
				return -EINVAL;
			}
			o->max_depth = (int)v;
			break;
		case 'm':
			if (parse_bytes(optarg, &o->sample_bytes)) {
				fprintf(stderr,
					"heapscope: invalid --sample '%s' (bytes: 0 for exact, or 1 to "
					"4G with an optional K, M or G suffix, or 'default')\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'e':
			if (parse_positive(optarg, &v) || v != (double)(uint64_t)v) {
				fprintf(stderr, "heapscope: invalid --sample-seed '%s' (an integer > 0)\n",
					optarg);
				return -EINVAL;
			}
			o->sample_seed = (uint64_t)v;
			break;
		case 'S': o->serve = 1; break;
		case 'X': o->scan_at_end = 1; break;
		case 'P':
			if (server_parse_port(optarg, &o->port)) {
				fprintf(stderr, "heapscope: invalid port '%s' (0-65535)\n", optarg);
				return -EINVAL;
			}
			break;
		case 'B': o->bind = optarg; break;
		case 'A':
			if (server_add_allow_host(o->allow_hosts, optarg))
				return -EINVAL;
			break;
		case 'F':
			if (cliopt_add_alloc_fn(o->alloc_fns, &o->nalloc_fns, optarg))
				return -EINVAL;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc)
		o->argv = argv + optind;
	if (!o->npids == !o->argv) {
		fprintf(stderr, "heapscope: record needs either -p PID or -- COMMAND [ARGS...]\n");
		usage(stderr);
		return -EINVAL;
	}
	if ((o->follow && o->argv) || (o->no_follow && !o->argv)) {
		fprintf(stderr, "heapscope: --follow goes with -p, --no-follow with a command\n");
		return -EINVAL;
	}
	if (o->sample_seed && !o->sample_bytes) {
		fprintf(stderr, "heapscope: --sample-seed goes with --sample BYTES\n");
		return -EINVAL;
	}
	if (o->scan_at_end && o->sample_bytes) {
		fprintf(stderr, "heapscope: --scan-at-end needs an exact recording: a sampled one "
				"knows only the sampled blocks\n");
		return -EINVAL;
	}
	o->pid = o->npids ? o->pids[0] : 0;
	return 0;
}
