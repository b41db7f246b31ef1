/* `heapscope ctl`: list, start, stop, delete and export recordings through the daemon's HTTP
 * API, authenticated with the daemon's token (DATA/token). */
#include "daemon/ctl.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/ctl_json.h"
#include "daemon/daemon.h"
#include "daemon/http_client.h"
#include "report/cliopt.h"
#include "report/report.h"

#define CTL_DEFAULT_URL "http://127.0.0.1:7070"
#define TOKEN_MAX 128

struct ctl_opts {
	const char *url, *data_dir, *token_file;
	int json;
	int pid;
	const char *duration, *sample, *stack; /* start's, as given ("": not given) */
	const char *format, *output;	       /* export's */
	const char *command, *id;
	char token[TOKEN_MAX + 1];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope ctl [--url URL] [--data DIR] [--token-file F] COMMAND\n"
		"  list [--json]                     the recordings (--json: the API's JSON)\n"
		"  start -p PID [--duration S] [--sample B|default] [--stack dwarf|fp|caller]\n"
		"                                    attach a recording; prints its id\n"
		"  stop ID                           end a running recording (a clean cut)\n"
		"  delete ID                         stop it if running and remove its files\n"
		"  export ID --format db|pprof|html|json [-o FILE]\n"
		"  --url     the daemon (default " CTL_DEFAULT_URL ")\n"
		"  --data    its data directory, for DATA/token (default " DAEMON_DEFAULT_DATA ")\n"
		"  --token-file  read the token there instead\n");
}

/* ------------------------------------------------------------------------------------------
 * Requests. */

static int read_token(struct ctl_opts *o)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	if (o->token_file)
		snprintf(path, sizeof(path), "%s", o->token_file);
	else
		snprintf(path, sizeof(path), "%s/token", o->data_dir);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "heapscope: cannot read the daemon's token %s: %s%s\n", path,
			strerror(errno),
			errno == EACCES ? " (it is root's, mode 0600: run ctl as root)" :
			errno == ENOENT ? " (is the daemon's data directory elsewhere? --data DIR)" :
					  "");
		return -1;
	}
	n = fread(o->token, 1, TOKEN_MAX, f);
	fclose(f);
	o->token[n] = '\0';
	o->token[strcspn(o->token, "\r\n")] = '\0';
	if (!o->token[0]) {
		fprintf(stderr, "heapscope: the token file %s is empty\n", path);
		return -1;
	}
	return 0;
}

/* One API call; a transport failure or a non-2xx status is said in one line. 0 or -1. */
static int call(const struct ctl_opts *o, const char *method, const char *path, const char *body,
		FILE *sink, struct http_response *resp)
{
	char url[1024], err[512], said[1200];
	struct http_request rq = { .method = method,
				   .url = url,
				   .token = o->token,
				   .content_type = body ? "application/json" : NULL,
				   .body = body,
				   .body_len = body ? strlen(body) : 0,
				   .timeout_s = sink ? 600 : HTTP_TIMEOUT_S,
				   .sink = sink };
	size_t base = strlen(o->url);

	if (base && o->url[base - 1] == '/')
		base--;
	snprintf(url, sizeof(url), "%.*s%s", (int)base, o->url, path);
	if (http_request(&rq, resp, err, sizeof(err))) {
		fprintf(stderr, "heapscope: cannot reach the heapscope daemon at %s: %s\n", o->url,
			err);
		return -1;
	}
	if (resp->status >= 200 && resp->status < 300)
		return 0;
	if (ctl_json_string(resp->body, "error", said, sizeof(said)))
		snprintf(said, sizeof(said), "HTTP %ld from %s", resp->status, url);
	fprintf(stderr, "heapscope: ctl %s: %s\n", o->command, said);
	http_response_free(resp);
	return -1;
}

/* ------------------------------------------------------------------------------------------
 * list: one row per recording. */

static void fmt_bytes_text(int64_t v, char *out, size_t len)
{
	if (v < 0)
		snprintf(out, len, "-");
	else
		report_fmt_bytes(v, out, len);
}

static void fmt_int_text(int64_t v, char *out, size_t len)
{
	if (v < 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%" PRId64, v);
}

/* A sampled recording's errors are "n/a", as on the dashboard: misuse is not checked then. */
static void print_row(const struct ctl_recording *r)
{
	char start[32] = "-", dur[32] = "-", pid[24], size[32], allocs[24], live[32], errors[24];
	time_t t = r->start_ns > 0 ? (time_t)(r->start_ns / 1000000000) : 0;
	struct tm tm;

	if (t > 0 && localtime_r(&t, &tm))
		strftime(start, sizeof(start), "%Y-%m-%d %H:%M:%S", &tm);
	if (r->duration_s >= 0)
		snprintf(dur, sizeof(dur), "%.1f s", r->duration_s);
	fmt_int_text(r->pid, pid, sizeof(pid));
	fmt_bytes_text(r->size_bytes, size, sizeof(size));
	fmt_int_text(r->allocs, allocs, sizeof(allocs));
	fmt_bytes_text(r->live_bytes, live, sizeof(live));
	if (r->sample_bytes > 0)
		snprintf(errors, sizeof(errors), "n/a");
	else
		fmt_int_text(r->errors, errors, sizeof(errors));
	printf("%-22s %-10s %7s %-12s %-19s %10s %10s %12s %11s %6s\n", r->id, r->state, pid,
	       r->rule[0] ? r->rule : "-", start, dur, size, allocs, live, errors);
}

static int cmd_list(const struct ctl_opts *o)
{
	struct http_response resp;
	struct ctl_recording *rows;
	int n;

	if (call(o, "GET", "/api/recordings", NULL, NULL, &resp))
		return 1;
	if (o->json) {
		fputs(resp.body ? resp.body : "", stdout);
		if (resp.len && resp.body[resp.len - 1] != '\n')
			putchar('\n');
		http_response_free(&resp);
		return 0;
	}
	n = ctl_json_recordings(resp.body, &rows);
	http_response_free(&resp);
	if (n < 0) {
		fprintf(stderr, "heapscope: ctl list: %s\n",
			n == -ENOMEM ? "out of memory" :
				       "the daemon's answer to /api/recordings is not the JSON expected "
				       "(is --url a heapscope daemon?)");
		return 1;
	}
	printf("%-22s %-10s %7s %-12s %-19s %10s %10s %12s %11s %6s\n", "ID", "STATE", "PID",
	       "RULE", "START", "DURATION", "SIZE", "ALLOCATIONS", "LIVE BYTES", "ERRORS");
	for (int i = 0; i < n; i++)
		print_row(&rows[i]);
	free(rows);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * start, stop, delete, export. */

/* The start request's JSON; the values are checked here, so none needs escaping. */
static int start_body(const struct ctl_opts *o, char *body, size_t len)
{
	double duration_s = 0;
	int64_t sample = 0;
	int n;

	if (o->duration && (config_parse_seconds(o->duration, &duration_s))) {
		fprintf(stderr, "heapscope: --duration: seconds above 0, or with s, m or h (90, 10m)\n");
		return -EINVAL;
	}
	if (o->sample && config_parse_sample(o->sample, &sample)) {
		fprintf(stderr, "heapscope: --sample: bytes up to 4G with K, M or G, 0 or default\n");
		return -EINVAL;
	}
	if (o->stack && strcmp(o->stack, "dwarf") && strcmp(o->stack, "fp") &&
	    strcmp(o->stack, "caller")) {
		fprintf(stderr, "heapscope: --stack: dwarf, fp or caller\n");
		return -EINVAL;
	}
	n = snprintf(body, len, "{\"pid\":%d,\"duration\":%.17g,\"sample\":%" PRId64 "%s%s%s}",
		     o->pid, duration_s, sample, o->stack ? ",\"stack\":\"" : "",
		     o->stack ? o->stack : "", o->stack ? "\"" : "");
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

static int cmd_start(const struct ctl_opts *o)
{
	struct http_response resp;
	char body[256], id[CATALOG_ID_MAX];

	if (o->pid <= 0) {
		fprintf(stderr, "heapscope: ctl start needs -p PID\n");
		return 2;
	}
	if (start_body(o, body, sizeof(body)))
		return 2;
	if (call(o, "POST", "/api/recordings", body, NULL, &resp))
		return 1;
	if (ctl_json_string(resp.body, "id", id, sizeof(id))) {
		fprintf(stderr, "heapscope: the daemon started a recording but did not say its id\n");
		http_response_free(&resp);
		return 1;
	}
	printf("%s\n", id);
	http_response_free(&resp);
	return 0;
}

static int cmd_stop_or_delete(const struct ctl_opts *o, int delete)
{
	struct http_response resp;
	char path[128];

	snprintf(path, sizeof(path), "/api/recordings/%s%s", o->id, delete ? "" : "/stop");
	if (call(o, delete ? "DELETE" : "POST", path, NULL, NULL, &resp))
		return 1;
	http_response_free(&resp);
	printf("%s %s\n", o->id, delete ? "deleted" : "stopped");
	return 0;
}

/* Into -o FILE through FILE.tmp renamed at the end (never half-written), or to stdout. */
static int cmd_export(const struct ctl_opts *o)
{
	static const char *const formats[] = { "db", "pprof", "html", "json", NULL };
	struct http_response resp;
	char path[160], tmp[PATH_MAX];
	FILE *out = stdout;
	int ok = 0;

	for (int i = 0; formats[i]; i++)
		ok |= o->format && !strcmp(o->format, formats[i]);
	if (!ok) {
		fprintf(stderr, "heapscope: ctl export needs --format db, pprof, html or json\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/api/recordings/%s/download?format=%s", o->id, o->format);
	if (o->output) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", o->output);
		out = fopen(tmp, "we");
		if (!out) {
			fprintf(stderr, "heapscope: cannot write %s: %s\n", o->output, strerror(errno));
			return 1;
		}
	}
	ok = !call(o, "GET", path, NULL, out, &resp);
	http_response_free(&resp);
	if (o->output) {
		if (fclose(out) && ok)
			ok = 0, fprintf(stderr, "heapscope: cannot write %s: %s\n", o->output,
					strerror(errno));
		if (ok && rename(tmp, o->output))
			ok = 0, fprintf(stderr, "heapscope: cannot write %s: %s\n", o->output,
					strerror(errno));
		if (!ok)
			unlink(tmp);
	} else if (fflush(stdout)) {
		ok = 0;
	}
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------------------------------------
 * Options. */

enum { OPT_URL = 256, OPT_DATA, OPT_TOKEN_FILE, OPT_JSON, OPT_DURATION, OPT_SAMPLE, OPT_STACK,
       OPT_FORMAT };

static int parse_pid(const char *s, int *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT32_MAX)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

static int set_option(int c, struct ctl_opts *o)
{
	switch (c) {
	case OPT_URL: o->url = optarg; return 0;
	case OPT_DATA: o->data_dir = optarg; return 0;
	case OPT_TOKEN_FILE: o->token_file = optarg; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case 'p':
		if (parse_pid(optarg, &o->pid)) {
			fprintf(stderr, "heapscope: -p needs a pid, not '%s'\n", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_DURATION: o->duration = optarg; return 0;
	case OPT_SAMPLE: o->sample = optarg; return 0;
	case OPT_STACK: o->stack = optarg; return 0;
	case OPT_FORMAT: o->format = optarg; return 0;
	case 'o': o->output = optarg; return 0;
	case 'h': usage(stdout); exit(0);
	default: return -EINVAL;
	}
}

/* Which options each command takes (the global ones go with all). */
static int option_fits(const struct ctl_opts *o)
{
	int start = !strcmp(o->command, "start"), export = !strcmp(o->command, "export");

	if (o->json && strcmp(o->command, "list"))
		return fprintf(stderr, "heapscope: --json goes with list\n"), 0;
	if (!start && (o->pid || o->duration || o->sample || o->stack))
		return fprintf(stderr, "heapscope: -p, --duration, --sample and --stack go with start\n"), 0;
	if (!export && (o->format || o->output))
		return fprintf(stderr, "heapscope: --format and -o go with export\n"), 0;
	return 1;
}

static int valid_id(const char *id)
{
	if (!*id || strlen(id) >= CATALOG_ID_MAX)
		return 0;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && *id != '-')
			return 0;
	return 1;
}

/* The command and its ID from the operands. */
static int take_operands(int argc, char **argv, struct ctl_opts *o)
{
	static const char *const commands[] = { "list", "start", "stop", "delete", "export", NULL };
	int needs_id, known = 0;

	if (optind >= argc) {
		usage(stderr);
		return -EINVAL;
	}
	o->command = argv[optind++];
	for (int i = 0; commands[i]; i++)
		known |= !strcmp(o->command, commands[i]);
	if (!known) {
		fprintf(stderr, "heapscope: unknown ctl command '%s' (list, start, stop, delete, "
				"export)\n", o->command);
		return -EINVAL;
	}
	needs_id = !strcmp(o->command, "stop") || !strcmp(o->command, "delete") ||
		   !strcmp(o->command, "export");
	if (needs_id && optind < argc)
		o->id = argv[optind++];
	if (needs_id && (!o->id || !valid_id(o->id))) {
		fprintf(stderr, "heapscope: ctl %s needs a recording id (letters, digits and '-'; "
				"see ctl list)\n", o->command);
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "heapscope: unexpected '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return option_fits(o) ? 0 : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, OPT_URL },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "stack", required_argument, NULL, OPT_STACK },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	int c;

	*o = (struct ctl_opts){ .url = CTL_DEFAULT_URL, .data_dir = DAEMON_DEFAULT_DATA };
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "p:o:h", longopts)) != -1)
		if (report_option_once(c, longopts, &seen) || set_option(c, o))
			return -EINVAL;
	return take_operands(argc, argv, o);
}

int ctl_main(int argc, char **argv)
{
	struct ctl_opts o;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (read_token(&o))
		return 1;
	if (!strcmp(o.command, "list"))
		return cmd_list(&o);
	if (!strcmp(o.command, "start"))
		return cmd_start(&o);
	if (!strcmp(o.command, "export"))
		return cmd_export(&o);
	return cmd_stop_or_delete(&o, !strcmp(o.command, "delete"));
}
