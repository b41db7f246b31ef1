/* The daemon's configuration file: an INI-like text of [daemon] and [rule NAME] sections, each
 * key checked by a table of parsers, every mistake reported as "FILE:LINE: what is wrong". */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/daemon.h"
#include "server/server.h"

#define SAMPLE_DEFAULT_BYTES (128 * 1024) /* as `record --sample default` */
#define SAMPLE_MAX_BYTES (1LL << 32)	  /* as `record --sample`: 4 GiB */
#define COMM_MAX_CHARS 15		  /* the kernel cuts a task's comm at 15 characters */

/* One key of a section: where its value goes and how it is checked. parse returns 0 or
 * -EINVAL; `expect` completes "bad value for KEY 'V': " when it fails. */
struct key_spec {
	const char *name;
	int (*parse)(const char *value, void *field, size_t size);
	size_t offset, size;
	const char *expect;
};

/* Where the parser is: for errors, for keys given twice, and for the rule being filled. */
struct parse_state {
	const char *path;
	int line;
	struct config *c;
	struct config_rule *rule; /* NULL: in [daemon] (or before any section) */
	int in_section;
	int rule_lines[CONFIG_RULES_MAX]; /* each rule's header line */
	int daemon_line;		  /* [daemon]'s header line, 0: not seen */
	unsigned long long seen;	  /* keys of the current section already given */
	char *err;
	size_t errlen;
};

int config_parse_bytes(const char *s, int64_t *out)
{
	static const char units[] = "KMGT";
	char *end;
	double v;
	int shift = 0;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isdigit((unsigned char)*s) || v < 0)
		return -EINVAL;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (*end && strcasecmp(end, "iB") && strcasecmp(end, "B"))
			return -EINVAL;
	}
	v = ldexp(v, shift);
	if (v != floor(v) || v >= 9.2e18)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int config_parse_seconds(const char *s, double *out)
{
	char *end;
	double v, unit = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isdigit((unsigned char)*s))
		return -EINVAL;
	if (*end == 's' || *end == 'm' || *end == 'h')
		unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : 1, end++;
	if (*end || !(v > 0) || v * unit > 365 * 86400.0)
		return -EINVAL;
	*out = v * unit;
	return 0;
}

int config_parse_sample(const char *s, int64_t *out)
{
	int64_t v;

	if (!strcmp(s, "default")) {
		*out = SAMPLE_DEFAULT_BYTES;
		return 0;
	}
	if (config_parse_bytes(s, &v) || v > SAMPLE_MAX_BYTES)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_string(const char *v, void *field, size_t size)
{
	size_t n = strlen(v);

	if (!n || n >= size)
		return -EINVAL;
	memcpy(field, v, n + 1);
	return 0;
}

static int parse_comm(const char *v, void *field, size_t size)
{
	return strlen(v) > COMM_MAX_CHARS ? -EINVAL : parse_string(v, field, size);
}

/* A cgroup v2 path as /proc/PID/cgroup shows it: absolute. */
static int parse_cgroup(const char *v, void *field, size_t size)
{
	return v[0] != '/' ? -EINVAL : parse_string(v, field, size);
}

static int parse_one_of(const char *v, void *field, size_t size, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(v, names[i]))
			return parse_string(v, field, size);
	return -EINVAL;
}

static int parse_stack(const char *v, void *field, size_t size)
{
	static const char *const modes[] = { "dwarf", "fp", "caller", NULL };

	return parse_one_of(v, field, size, modes);
}

static int parse_push_format(const char *v, void *field, size_t size)
{
	static const char *const formats[] = { "pyroscope", "pprof", NULL };

	return parse_one_of(v, field, size, formats);
}

static int parse_url(const char *v, void *field, size_t size)
{
	if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
		return -EINVAL;
	if (strpbrk(v, " \t\"'<>\\"))
		return -EINVAL;
	return parse_string(v, field, size);
}

static int parse_int_range(const char *v, int *out, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || !isdigit((unsigned char)*v) || n < min || n > max)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

static int parse_port(const char *v, void *field, size_t size)
{
	(void)size;
	return parse_int_range(v, field, 1, 65535);
}

static int parse_running_max(const char *v, void *field, size_t size)
{
	(void)size;
	return parse_int_range(v, field, 1, 1024);
}

static int parse_keep(const char *v, void *field, size_t size)
{
	(void)size;
	return parse_int_range(v, field, 0, 1000000);
}

static int parse_size(const char *v, void *field, size_t size)
{
	(void)size;
	return config_parse_bytes(v, field);
}

static int parse_sample(const char *v, void *field, size_t size)
{
	(void)size;
	return config_parse_sample(v, field);
}

static int parse_window(const char *v, void *field, size_t size)
{
	(void)size;
	return config_parse_seconds(v, field);
}

#define DKEY(name, fn, field, expect)                                                           \
	{ name, fn, offsetof(struct config, field), sizeof(((struct config *)0)->field), expect }
#define RKEY(name, fn, field, expect)                                                           \
	{ name, fn, offsetof(struct config_rule, field),                                        \
	  sizeof(((struct config_rule *)0)->field), expect }

static const char BYTES_EXPECT[] = "a byte count, with an optional K, M, G or T suffix";

/* allow_host is [daemon]'s one repeatable key: handled apart (add_allow_host). */
static const struct key_spec DAEMON_KEYS[] = {
	DKEY("data", parse_string, data_dir, "a directory path"),
	DKEY("bind", parse_string, bind, "an IP address"),
	DKEY("port", parse_port, port, "a port number from 1 to 65535"),
	DKEY("running_max", parse_running_max, running_max, "a count from 1 to 1024"),
	DKEY("quota", parse_size, quota_bytes, BYTES_EXPECT),
	{ NULL },
};

static const struct key_spec RULE_KEYS[] = {
	RKEY("comm", parse_comm, comm, "a process name of 1 to 15 characters (/proc/PID/comm)"),
	RKEY("cgroup", parse_cgroup, cgroup, "a cgroup v2 path starting with /"),
	RKEY("window", parse_window, window_s,
	     "seconds above 0, or with a suffix s, m or h (90, 10m, 1h)"),
	RKEY("sample", parse_sample, sample_bytes,
	     "a byte count up to 4G with an optional K, M or G suffix, 0 (exact) or default"),
	RKEY("stack", parse_stack, stack, "dwarf, fp or caller"),
	RKEY("keep", parse_keep, keep, "a count of windows (0: no limit)"),
	RKEY("keep_bytes", parse_size, keep_bytes, BYTES_EXPECT),
	RKEY("push_url", parse_url, push_url, "an http:// or https:// URL"),
	RKEY("push_format", parse_push_format, push_format, "pyroscope or pprof"),
	{ NULL },
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "%s", DAEMON_DEFAULT_DATA);
	snprintf(c->bind, sizeof(c->bind), "%s", SERVER_DEFAULT_BIND);
	c->port = SERVER_DEFAULT_PORT;
	c->running_max = CATALOG_RUNNING_MAX;
}

static void rule_defaults(struct config_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->window_s = CONFIG_RULE_WINDOW_S;
	r->sample_bytes = SAMPLE_DEFAULT_BYTES;
	snprintf(r->stack, sizeof(r->stack), "dwarf");
	r->keep = CONFIG_RULE_KEEP;
	snprintf(r->push_format, sizeof(r->push_format), "pyroscope");
}

/* Always returns -EINVAL, for `return fail(...)`. */
__attribute__((format(printf, 2, 3))) static int fail(struct parse_state *st, const char *fmt,
						      ...)
{
	int n = snprintf(st->err, st->errlen, "%s:%d: ", st->path, st->line);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < st->errlen)
		vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A rule's name goes into file names' metadata and Pyroscope application names. */
static int valid_rule_name(const char *name)
{
	if (!*name || strlen(name) >= CATALOG_RULE_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return 0;
	return 1;
}

/* The section that ended must be complete: a rule matches something. */
static int close_section(struct parse_state *st)
{
	struct config_rule *r = st->rule;

	if (r && !r->comm[0] && !r->cgroup[0]) {
		st->line = st->rule_lines[st->c->nrules - 1];
		return fail(st, "rule '%s' matches nothing: give it comm or cgroup (or both)",
			    r->name);
	}
	return 0;
}

static int open_rule(struct parse_state *st, const char *name)
{
	struct config *c = st->c;

	if (!valid_rule_name(name))
		return fail(st, "bad rule name '%s': 1 to %d letters, digits, '_', '.' or '-'", name,
			    CATALOG_RULE_MAX - 1);
	for (int i = 0; i < c->nrules; i++)
		if (!strcmp(c->rules[i].name, name))
			return fail(st, "duplicate rule '%s' (first at line %d)", name,
				    st->rule_lines[i]);
	if (c->nrules == CONFIG_RULES_MAX)
		return fail(st, "too many rules (at most %d)", CONFIG_RULES_MAX);
	st->rule_lines[c->nrules] = st->line;
	st->rule = &c->rules[c->nrules++];
	rule_defaults(st->rule);
	snprintf(st->rule->name, sizeof(st->rule->name), "%s", name);
	return 0;
}

/* "[daemon]" or "[rule NAME]". */
static int open_section(struct parse_state *st, char *line)
{
	char *close = strchr(line, ']'), *name;
	int e = close_section(st);

	if (e)
		return e;
	if (!close || trim(close + 1)[0])
		return fail(st, "bad section header '%s': [daemon] or [rule NAME]", line);
	*close = '\0';
	name = trim(line + 1);
	st->seen = 0;
	st->rule = NULL;
	st->in_section = 1;
	if (!strcmp(name, "daemon")) {
		if (st->daemon_line)
			return fail(st, "duplicate section [daemon] (first at line %d)",
				    st->daemon_line);
		st->daemon_line = st->line;
		return 0;
	}
	if (!strncmp(name, "rule", 4) && isspace((unsigned char)name[4]))
		return open_rule(st, trim(name + 5));
	return fail(st, "unknown section [%s]: [daemon] or [rule NAME]", name);
}

static int add_allow_host(struct parse_state *st, const char *value)
{
	struct config *c = st->c;
	int max = (int)(sizeof(c->allow_hosts) / sizeof(c->allow_hosts[0]));

	if (c->nallow_hosts == max)
		return fail(st, "too many allow_host (at most %d)", max);
	if (parse_string(value, c->allow_hosts[c->nallow_hosts], sizeof(c->allow_hosts[0])))
		return fail(st, "bad value for allow_host '%s': a host name", value);
	c->nallow_hosts++;
	return 0;
}

static int set_key(struct parse_state *st, const char *key, const char *value)
{
	const struct key_spec *keys = st->rule ? RULE_KEYS : DAEMON_KEYS;
	char *base = st->rule ? (char *)st->rule : (char *)st->c;

	if (!st->rule && !strcmp(key, "allow_host"))
		return add_allow_host(st, value);
	for (int i = 0; keys[i].name; i++) {
		if (strcmp(key, keys[i].name))
			continue;
		if (st->seen & (1ULL << i))
			return fail(st, "%s given twice in this section", key);
		st->seen |= 1ULL << i;
		if (keys[i].parse(value, base + keys[i].offset, keys[i].size))
			return fail(st, "bad value for %s '%s': %s", key, value, keys[i].expect);
		return 0;
	}
	if (st->rule)
		return fail(st, "unknown key '%s' in [rule %s]", key, st->rule->name);
	return fail(st, "unknown key '%s' in [daemon]", key);
}

static int parse_line(struct parse_state *st, char *raw)
{
	char *line = trim(raw), *eq;

	if (!*line || *line == '#')
		return 0;
	if (*line == '[')
		return open_section(st, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(st, "expected 'key = value' or a [section], got '%s'", line);
	*eq = '\0';
	if (!st->in_section)
		return fail(st, "'%s' outside any section: begin with [daemon] or [rule NAME]",
			    trim(line));
	return set_key(st, trim(line), trim(eq + 1));
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct parse_state st = { .path = path, .c = c, .err = err, .errlen = errlen };
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");
	int e = 0;

	if (!f) {
		e = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-e));
		return e;
	}
	while (!e && getline(&line, &cap, f) >= 0) {
		st.line++;
		e = parse_line(&st, line);
	}
	if (!e && ferror(f)) {
		e = -EIO;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(EIO));
	}
	if (!e)
		e = close_section(&st);
	free(line);
	fclose(f);
	return e;
}
