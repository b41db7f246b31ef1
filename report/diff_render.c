/* A comparison as text (a table of the sites that grew most), CSV (one row per site) and pprof
 * (B minus A per call path). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/diff_priv.h"
#include "report/pprof.h"
#include "report/report.h"

/* --- Text ---------------------------------------------------------------------------------- */

/* "+1.5 KiB", "-200 B", "0 B". */
static void signed_bytes(int64_t v, char *buf, size_t len)
{
	if (v > 0 && len > 1) { /* the sign, then the units */
		buf[0] = '+';
		buf++;
		len--;
	}
	report_fmt_bytes(v, buf, len);
}

static void signed_count(int64_t v, char *buf, size_t len)
{
	snprintf(buf, len, v > 0 ? "+%" PRId64 : "%" PRId64, v);
}

static void side_text(FILE *out, const char *name, const struct diff_meta *m)
{
	char from[32], to[32], dur[32], rate[160];

	report_fmt_ns(m->summary.duration_ns, dur, sizeof(dur));
	if (m->whole) {
		fprintf(out, "  %s  %s: the whole recording (%s)", name, m->label, dur);
	} else {
		report_fmt_ns(m->from_ns, from, sizeof(from));
		report_fmt_ns(m->to_ns, to, sizeof(to));
		if (!m->from_ns)
			snprintf(from, sizeof(from), "the start");
		fprintf(out, "  %s  %s: window %s to %s of %s", name, m->label, from, to, dur);
	}
	fprintf(out, ", %s\n", m->summary.command ? m->summary.command : "?");
	if (m->sample_bytes > 0) {
		report_fmt_sampling(m->sample_bytes, rate, sizeof(rate));
		fprintf(out, "     SAMPLED: %s\n", rate);
	}
}

static void totals_row(FILE *out, const char *what, int64_t a, int64_t b, int bytes)
{
	char x[32], y[32], d[32];

	if (bytes) {
		report_fmt_bytes(a, x, sizeof(x));
		report_fmt_bytes(b, y, sizeof(y));
		signed_bytes(b - a, d, sizeof(d));
	} else {
		snprintf(x, sizeof(x), "%" PRId64, a);
		snprintf(y, sizeof(y), "%" PRId64, b);
		signed_count(b - a, d, sizeof(d));
	}
	fprintf(out, "  %-12s %14s %14s %14s\n", what, x, y, d);
}

static void totals_text(FILE *out, const struct diff_result *r, const char *est)
{
	const struct diff_counts *a = &r->a.totals, *b = &r->b.totals;

	fprintf(out, "\n== Totals%s\n", est);
	fprintf(out, "  %-12s %14s %14s %14s\n", "", "A", "B", "delta");
	totals_row(out, "allocations", a->allocs, b->allocs, 0);
	totals_row(out, "bytes", a->bytes, b->bytes, 1);
	totals_row(out, "live blocks", a->live_blocks, b->live_blocks, 0);
	totals_row(out, "live bytes", a->live_bytes, b->live_bytes, 1);
}

/* "leak_grow (leak_grow.c:20) < main < __libc_start_call_main": the site and two callers. */
static void site_text(FILE *out, const struct an_stack *s)
{
	if (!s->depth) {
		fputs("[unknown stack]", out);
		return;
	}
	for (int i = 0; i < s->depth && i < 3; i++) {
		const struct an_frame *f = &s->frames[i];
		const char *file = f->file ? strrchr(f->file, '/') : NULL;

		file = file ? file + 1 : f->file;
		if (i)
			fputs(" < ", out);
		if (f->function)
			fputs(f->function, out);
		else
			fprintf(out, "0x%" PRIx64, f->addr);
		if (!i && file && f->line > 0)
			fprintf(out, " (%s:%d)", file, f->line);
	}
	if (s->depth > 3)
		fputs(" < ...", out);
}

static void site_row(FILE *out, const struct diff_site *s)
{
	struct diff_counts d = diff_counts_sub(&s->c[1], &s->c[0]);
	char lb[32], lk[32], by[32], al[32], blive[32];

	signed_bytes(d.live_bytes, lb, sizeof(lb));
	signed_count(d.live_blocks, lk, sizeof(lk));
	signed_bytes(d.bytes, by, sizeof(by));
	signed_count(d.allocs, al, sizeof(al));
	report_fmt_bytes(s->c[1].live_bytes, blive, sizeof(blive));
	fprintf(out, "  %12s %12s %12s %10s %12s  %-6s  ", lb, lk, by, al, blive,
		diff_site_status(s, 0, 1));
	site_text(out, &s->stack);
	fputc('\n', out);
}

int diff_text(FILE *out, const struct diff_result *r, size_t limit)
{
	const char *est = r->a.sample_bytes || r->b.sample_bytes ? " (estimated)" : "";
	size_t n = limit && limit < r->t.n ? limit : r->t.n;

	fputs("heapscope diff: B compared with A\n", out);
	side_text(out, "A", &r->a);
	side_text(out, "B", &r->b);
	totals_text(out, r, est);
	fprintf(out,
		"\n== Sites by growth%s: %zu of %zu (B - A: live bytes, then bytes; --limit N)\n",
		est, n, r->t.n);
	fprintf(out, "  %12s %12s %12s %10s %12s  %-6s  %s\n", "live bytes", "live blocks", "bytes",
		"allocs", "B live bytes", "status", "site");
	for (size_t i = 0; i < n; i++)
		site_row(out, &r->t.v[i]);
	return ferror(out) ? -EIO : 0;
}

/* --- CSV ----------------------------------------------------------------------------------- */

/* RFC 4180 quoting: always quoted, inner quotes doubled. */
static void field(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_counts(FILE *out, const struct diff_counts *c)
{
	fprintf(out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, c->allocs, c->bytes,
		c->live_blocks, c->live_bytes);
}

/* As report's CSV: a comparison with a sampled side ends every row with `estimated` (1). */
int diff_csv(FILE *out, const struct diff_result *r, size_t limit)
{
	int est = r->a.sample_bytes || r->b.sample_bytes;
	size_t n = limit && limit < r->t.n ? limit : r->t.n;

	fputs("key,function,file,line,module,status,a_allocs,a_bytes,a_live_blocks,a_live_bytes,"
	      "b_allocs,b_bytes,b_live_blocks,b_live_bytes,delta_allocs,delta_bytes,"
	      "delta_live_blocks,delta_live_bytes",
	      out);
	fputs(est ? ",estimated\n" : "\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct diff_site *s = &r->t.v[i];
		const struct an_frame *f = s->stack.depth ? &s->stack.frames[0] : NULL;
		struct diff_counts d = diff_counts_sub(&s->c[1], &s->c[0]);

		field(out, s->key);
		fputc(',', out);
		field(out, f ? f->function : NULL);
		fputc(',', out);
		field(out, f ? f->file : NULL);
		fprintf(out, ",%d,", f ? f->line : 0);
		field(out, f ? f->module : NULL);
		fprintf(out, ",%s", diff_site_status(s, 0, 1));
		csv_counts(out, &s->c[0]);
		csv_counts(out, &s->c[1]);
		csv_counts(out, &d);
		fputs(est ? ",1\n" : "\n", out);
	}
	return ferror(out) ? -EIO : 0;
}

/* --- pprof --------------------------------------------------------------------------------- */

static int add_sample(struct pprof *p, const struct diff_site *s, const struct diff_counts *d)
{
	const int64_t values[PPROF_NVALUES] = { d->allocs, d->bytes, d->live_blocks,
						d->live_bytes };

	return pprof_add_stack(p, &s->stack, values);
}

int diff_pprof(FILE *out, const struct diff_result *r)
{
	int64_t rate = r->b.sample_bytes ? r->b.sample_bytes : r->a.sample_bytes;
	struct pprof *p = pprof_new();
	int err = p ? pprof_set_sampling(p, rate) : -ENOMEM;

	for (size_t i = 0; i < r->t.n && !err; i++) {
		const struct diff_site *s = &r->t.v[i];
		struct diff_counts d = diff_counts_sub(&s->c[1], &s->c[0]);

		if (!diff_counts_zero(&d)) /* unchanged call paths: no sample */
			err = add_sample(p, s, &d);
	}
	if (!err) {
		pprof_set_time(p, r->b.summary.start_time_ns, r->b.summary.duration_ns);
		err = pprof_write_gz(p, out);
	}
	pprof_free(p);
	return err;
}
