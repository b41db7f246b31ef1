/* Memory budgets for CI (`heapscope check`): parsed, measured on a recording, rendered as a
 * table and as JUnit XML (see budget.h). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "report/budget.h"
#include "report/report.h"

/* What each metric is called in the table and in JUnit, and its site file key. */
static const struct metric_desc {
	const char *name, *key;
	int bytes;
} METRICS[BUDGET_NMETRICS] = {
	[BUDGET_LEAKED_BYTES] = { "leaked bytes (live at the end)", NULL, 1 },
	[BUDGET_DEFINITELY_LOST] = { "definitely lost bytes", NULL, 1 },
	[BUDGET_PEAK_BYTES] = { "peak live bytes", NULL, 1 },
	[BUDGET_ALLOCS] = { "allocations", NULL, 0 },
	[BUDGET_SITE_LIVE_BYTES] = { "live bytes", "max_live_bytes", 1 },
	[BUDGET_SITE_LIVE_BLOCKS] = { "live blocks", "max_live_blocks", 0 },
	[BUDGET_SITE_ALLOCS] = { "allocations", "max_allocs", 0 },
	[BUDGET_SITE_BYTES] = { "allocated bytes", "max_bytes", 1 },
};

static int is_site(enum budget_metric m)
{
	return m >= BUDGET_SITE_LIVE_BYTES;
}

int budget_parse_bytes(const char *s, int64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u || (end[1] && strcasecmp(end + 1, "iB") && strcasecmp(end + 1, "B")))
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
	}
	if (v > (unsigned long long)INT64_MAX >> shift)
		return -EINVAL;
	*out = (int64_t)(v << shift);
	return 0;
}

int budget_add(struct budgets *b, enum budget_metric m, const char *pattern, int line,
	       int64_t limit)
{
	struct budget *x;

	if (b->n == BUDGET_MAX)
		return -ENOSPC;
	x = &b->v[b->n];
	*x = (struct budget){ .metric = m, .line = line, .limit = limit };
	if (pattern && !(x->pattern = strdup(pattern)))
		return -ENOMEM;
	b->n++;
	return 0;
}

/* One limit of a site line, "max_live_bytes=4K": its metric and value. */
static int parse_limit(const char *tok, enum budget_metric *m, int64_t *v)
{
	const char *eq = strchr(tok, '=');

	if (!eq)
		return -EINVAL;
	for (int i = BUDGET_SITE_LIVE_BYTES; i < BUDGET_NMETRICS; i++) {
		if (strlen(METRICS[i].key) == (size_t)(eq - tok) &&
		    !strncmp(tok, METRICS[i].key, (size_t)(eq - tok))) {
			*m = (enum budget_metric)i;
			return budget_parse_bytes(eq + 1, v) ? -ERANGE : 0;
		}
	}
	return -ENOENT;
}

/* One line of a site file (comment stripped, not blank): the glob, then its limits. */
static int parse_site_line(struct budgets *b, char *s, int line, char *err, size_t len)
{
	char *lim = NULL, *p = s, *tok, *save = NULL;
	enum budget_metric m;
	int64_t v;
	int e;

	/* The glob ends where the first word holding '=' starts. */
	while (*p) {
		char *w = p + strspn(p, " \t"), *we = w + strcspn(w, " \t");

		if (w == we)
			break;
		if (memchr(w, '=', (size_t)(we - w))) {
			lim = w;
			break;
		}
		p = we;
	}
	if (!lim || lim == s + strspn(s, " \t")) {
		snprintf(err, len, "%s",
			 lim ? "no function glob before the limits" :
			       "no limit (max_live_bytes=N, max_live_blocks=N, "
			       "max_allocs=N or max_bytes=N)");
		return -EINVAL;
	}
	lim[-1] = 0;
	s += strspn(s, " \t");
	for (p = lim - 2; p >= s && (*p == ' ' || *p == '\t'); p--)
		*p = 0;
	for (tok = strtok_r(lim, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		e = parse_limit(tok, &m, &v);
		if (e == -ENOENT || e == -EINVAL) {
			snprintf(err, len,
				 "unknown limit '%s' (max_live_bytes=N, max_live_blocks=N, "
				 "max_allocs=N or max_bytes=N)",
				 tok);
			return -EINVAL;
		}
		if (e) {
			snprintf(err, len, "invalid value in '%s' (a whole number, K/M/G allowed)",
				 tok);
			return -EINVAL;
		}
		e = budget_add(b, m, s, line, v);
		if (e) {
			snprintf(err, len, "%s",
				 e == -ENOSPC ? "too many budgets (at most 256)" : strerror(-e));
			return e;
		}
	}
	return 0;
}

int budget_load_file(struct budgets *b, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char buf[4096], why[512];
	int line = 0, e = 0;

	if (!f) {
		e = -errno;
		snprintf(err, errlen, "cannot read the site budget file %s: %s", path,
			 strerror(-e));
		return e;
	}
	while (!e && fgets(buf, sizeof(buf), f)) {
		line++;
		buf[strcspn(buf, "#\r\n")] = 0;
		if (!buf[strspn(buf, " \t")])
			continue;
		e = parse_site_line(b, buf, line, why, sizeof(why));
		if (e)
			snprintf(err, errlen, "%s:%d: %s", path, line, why);
	}
	if (!e && ferror(f)) {
		e = -EIO;
		snprintf(err, errlen, "cannot read the site budget file %s", path);
	}
	fclose(f);
	return e;
}

/* A site's innermost function as the site budgets match it; "?" for one without a name. */
static const char *site_function(const struct an_site *s, char *buf, size_t len)
{
	if (s->key)
		return s->key;
	snprintf(buf, len, "?");
	return buf;
}

static int64_t site_value(const struct an_site *s, enum budget_metric m)
{
	switch (m) {
	case BUDGET_SITE_LIVE_BYTES: return s->live_bytes;
	case BUDGET_SITE_LIVE_BLOCKS: return s->live_blocks;
	case BUDGET_SITE_ALLOCS: return s->allocs;
	default: return s->bytes;
	}
}

static void measure_site(struct budget *x, const struct an_sites *by_function)
{
	char buf[512];

	x->measured_ok = 1;
	for (size_t i = 0; i < by_function->n; i++) {
		const struct an_site *s = &by_function->v[i];

		if (fnmatch(x->pattern, site_function(s, buf, sizeof(buf)), 0))
			continue;
		x->measured += site_value(s, x->metric);
		x->matched++;
	}
}

/* Definitely lost: the last scan's verdicts. Every block live at the end must have one, else
 * the number would be a guess. */
static int measure_definitely_lost(struct store_reader *r, struct budget *x)
{
	struct an_leaks l = { 0 };
	int64_t unscanned = 0;
	int e = an_leaks(r, 0, 0, &l);

	for (size_t i = 0; !e && i < l.n; i++) {
		if (l.v[i].reach == 1)
			x->measured += l.v[i].bytes;
		else if (!l.v[i].reach)
			unscanned += l.v[i].bytes;
	}
	an_leaks_free(&l);
	if (e)
		return e;
	x->measured_ok = !unscanned;
	if (unscanned)
		snprintf(x->why, sizeof(x->why),
			 "%" PRId64 " bytes live at the end have no reachability verdict (the scan "
			 "at the exit did not run or failed: see the lines above)",
			 unscanned);
	return 0;
}

int budget_evaluate(struct store_reader *r, struct budgets *b)
{
	struct an_sites_query q = { .group = AN_BY_FUNCTION };
	struct an_summary s = { 0 };
	struct an_sites sites = { 0 };
	int e = an_summary(r, &s);

	for (size_t i = 0; !e && i < b->n; i++) {
		struct budget *x = &b->v[i];

		x->measured = x->matched = 0;
		x->measured_ok = 1;
		x->why[0] = 0;
		switch (x->metric) {
		case BUDGET_LEAKED_BYTES: x->measured = s.live_bytes; break;
		case BUDGET_PEAK_BYTES: x->measured = s.peak_bytes; break;
		case BUDGET_ALLOCS: x->measured = s.allocs; break;
		case BUDGET_DEFINITELY_LOST: e = measure_definitely_lost(r, x); break;
		default:
			if (!sites.v && !sites.total)
				e = an_sites(r, &q, &sites);
			if (!e)
				measure_site(x, &sites);
		}
	}
	an_sites_free(&sites);
	an_summary_free(&s);
	return e;
}

int budget_verdict(const struct budget *x)
{
	if (!x->measured_ok)
		return -1;
	return x->measured > x->limit;
}

const char *budget_name(const struct budget *x, char *buf, size_t len)
{
	if (is_site(x->metric))
		snprintf(buf, len, "site %s: %s", x->pattern, METRICS[x->metric].name);
	else
		snprintf(buf, len, "%s", METRICS[x->metric].name);
	return buf;
}

/* The budgets in the order shown: not measured, over, then within, each in the order given. */
static size_t display_order(const struct budgets *b, size_t *order)
{
	static const int ranks[] = { -1, 1, 0 };
	size_t n = 0;

	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < b->n; i++)
			if (budget_verdict(&b->v[i]) == ranks[k])
				order[n++] = i;
	return n;
}

/* "OVER by 1 B (+0.0%)", "ok (1 B to spare)". */
static void verdict_text(const struct budget *x, char *buf, size_t len)
{
	char d[32];
	int64_t diff = x->measured > x->limit ? x->measured - x->limit : x->limit - x->measured;

	if (METRICS[x->metric].bytes)
		report_fmt_bytes(diff, d, sizeof(d));
	else
		snprintf(d, sizeof(d), "%" PRId64, diff);
	if (budget_verdict(x) < 0)
		snprintf(buf, len, "NOT MEASURED");
	else if (budget_verdict(x))
		snprintf(buf, len, "OVER by %s", d);
	else if (diff)
		snprintf(buf, len, "ok (%s to spare)", d);
	else
		snprintf(buf, len, "ok (at the limit)");
}

struct by_value {
	const struct an_site *s;
	int64_t v;
};

static int cmp_by_value(const void *a, const void *b)
{
	const struct by_value *x = a, *y = b;

	return x->v != y->v ? (x->v < y->v ? 1 : -1) :
			      (x->s->site > y->s->site) - (x->s->site < y->s->site);
}

/* Under an over-budget site budget: the functions it matched, biggest first (at most 5). */
static void matched_functions(FILE *out, const struct budget *x, const struct an_sites *sites)
{
	struct by_value *v = sites && sites->n ? calloc(sites->n, sizeof(*v)) : NULL;
	char buf[512];
	size_t n = 0;

	for (size_t i = 0; v && i < sites->n; i++)
		if (!fnmatch(x->pattern, site_function(&sites->v[i], buf, sizeof(buf)), 0) &&
		    site_value(&sites->v[i], x->metric))
			v[n++] = (struct by_value){ &sites->v[i],
						    site_value(&sites->v[i], x->metric) };
	qsort(v, n, sizeof(*v), cmp_by_value);
	for (size_t i = 0; i < n && i < 5; i++)
		fprintf(out, "      %-42s %14" PRId64 "\n", site_function(v[i].s, buf, sizeof(buf)),
			v[i].v);
	if (n > 5)
		fprintf(out, "      ... %zu more functions\n", n - 5);
	free(v);
}

void budget_render_text(FILE *out, const struct budgets *b, const struct an_sites *by_function,
			const struct budget_run *run)
{
	size_t order[BUDGET_MAX], n = display_order(b, order), over = 0, unmeasured = 0;
	char name[512], verdict[64];

	for (size_t i = 0; i < b->n; i++) {
		over += budget_verdict(&b->v[i]) > 0;
		unmeasured += budget_verdict(&b->v[i]) < 0;
	}
	fprintf(out, "== heapscope check: %s",
		over || run->failed ? "FAILED" :
		unmeasured	    ? "ERROR" :
				      "passed");
	fprintf(out, ": %zu of %zu budgets exceeded", over, b->n);
	if (unmeasured)
		fprintf(out, ", %zu not measured", unmeasured);
	fprintf(out, "; the command %s%s\n", run->status, run->failed ? " (a failure)" : "");
	fprintf(out, "  %-44s %14s %14s  %s\n", "budget", "measured", "limit", "verdict");
	for (size_t k = 0; k < n; k++) {
		const struct budget *x = &b->v[order[k]];

		budget_name(x, name, sizeof(name));
		verdict_text(x, verdict, sizeof(verdict));
		if (budget_verdict(x) < 0)
			fprintf(out, "  %-44s %14s %14" PRId64 "  %s\n", name, "-", x->limit,
				verdict);
		else
			fprintf(out, "  %-44s %14" PRId64 " %14" PRId64 "  %s\n", name, x->measured,
				x->limit, verdict);
		if (x->why[0])
			fprintf(out, "      %s\n", x->why);
		if (is_site(x->metric) && !x->matched)
			fprintf(out, "      (no site's innermost function matches '%s')\n",
				x->pattern);
		if (is_site(x->metric) && budget_verdict(x) > 0)
			matched_functions(out, x, by_function);
	}
}

void budget_xml_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80	    ? 1 :
			(*p & 0xe0) == 0xc0 ? 2 :
			(*p & 0xf0) == 0xe0 ? 3 :
			(*p & 0xf8) == 0xf0 ? 4 :
					      0;
		int ok = n > 0;

		for (int i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok || (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f) {
			fputc('?', out);
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fwrite(p, 1, (size_t)n, out);
		}
		p += n;
	}
}

static void xml_attr(FILE *out, const char *name, const char *value)
{
	fprintf(out, " %s=\"", name);
	budget_xml_escape(out, value);
	fputc('"', out);
}

static void junit_testcase(FILE *out, const struct budget *x, double time_s)
{
	char name[512], msg[768];
	int v = budget_verdict(x);

	fprintf(out, "    <testcase");
	xml_attr(out, "classname", "heapscope.check");
	xml_attr(out, "name", budget_name(x, name, sizeof(name)));
	fprintf(out, " time=\"%.3f\"", time_s);
	if (!v) {
		fprintf(out, "/>\n");
		return;
	}
	if (v < 0)
		snprintf(msg, sizeof(msg), "%s: not measured (limit %" PRId64 "): %s", name,
			 x->limit, x->why);
	else
		snprintf(msg, sizeof(msg),
			 "%s: measured %" PRId64 ", limit %" PRId64 ": over by %" PRId64, name,
			 x->measured, x->limit, x->measured - x->limit);
	fprintf(out, ">\n      <%s", v < 0 ? "error" : "failure");
	xml_attr(out, "message", msg);
	xml_attr(out, "type", v < 0 ? "NotMeasured" : "BudgetExceeded");
	fputc('>', out);
	budget_xml_escape(out, msg);
	fprintf(out, "</%s>\n    </testcase>\n", v < 0 ? "error" : "failure");
}

int budget_write_junit(FILE *out, const struct budgets *b, const struct budget_run *run,
		       const char *text)
{
	char host[256] = "localhost", stamp[32], msg[1024];
	time_t t = (time_t)run->wall_start_s;
	size_t failures = run->failed, errors = 0;
	struct tm tm;

	for (size_t i = 0; i < b->n; i++) {
		failures += budget_verdict(&b->v[i]) > 0;
		errors += budget_verdict(&b->v[i]) < 0;
	}
	if (gethostname(host, sizeof(host) - 1) || !host[0])
		snprintf(host, sizeof(host), "localhost");
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite");
	xml_attr(out, "name", "heapscope check");
	xml_attr(out, "package", "heapscope");
	fprintf(out, " id=\"0\" timestamp=\"%s\"", stamp);
	xml_attr(out, "hostname", host);
	fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", b->n + 1,
		failures, errors, run->time_s);
	fprintf(out, "    <properties>\n      <property name=\"command\"");
	xml_attr(out, "value", run->command);
	fprintf(out, "/>\n    </properties>\n    <testcase");
	xml_attr(out, "classname", "heapscope.check");
	xml_attr(out, "name", "command status");
	fprintf(out, " time=\"%.3f\"", run->time_s);
	if (run->failed) {
		snprintf(msg, sizeof(msg), "the command %s: %s", run->status, run->command);
		fprintf(out, ">\n      <failure");
		xml_attr(out, "message", msg);
		xml_attr(out, "type", "CommandFailed");
		fputc('>', out);
		budget_xml_escape(out, msg);
		fprintf(out, "</failure>\n    </testcase>\n");
	} else {
		fprintf(out, "/>\n");
	}
	for (size_t i = 0; i < b->n; i++)
		junit_testcase(out, &b->v[i], 0);
	fprintf(out, "    <system-out>");
	budget_xml_escape(out, text ? text : "");
	fprintf(out,
		"</system-out>\n    <system-err></system-err>\n  </testsuite>\n</testsuites>\n");
	return ferror(out) ? -EIO : 0;
}

void budgets_free(struct budgets *b)
{
	for (size_t i = 0; b && i < b->n; i++)
		free(b->v[i].pattern);
	if (b)
		b->n = 0;
}
