/* The analyses as CSV: one table per view, each with a header row; several views are separated
 * by a blank line and a "# view" line. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "report/report.h"

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

/* A sampled recording's tables of numbers end with an `estimated` column (1 on every row): no
 * comment line, so a one-table CSV stays plain RFC 4180 for any reader. An exact recording's
 * tables are as they always were. */
static void est_head(FILE *out, int64_t sample_bytes)
{
	fputs(sample_bytes ? ",estimated\n" : "\n", out);
}

static void est_row(FILE *out, int64_t sample_bytes)
{
	fputs(sample_bytes ? ",1\n" : "\n", out);
}

static void where(FILE *out, const struct an_stack *s)
{
	const struct an_frame *f = s->depth ? &s->frames[0] : NULL;

	field(out, f ? f->function : NULL);
	fputc(',', out);
	field(out, f ? f->file : NULL);
	fprintf(out, ",%d", f ? f->line : 0);
}

static void sites_csv(FILE *out, const struct an_sites *s, int64_t est)
{
	fprintf(out,
		"site,key,allocs,bytes,min_size,avg_size,max_size,frees,live_blocks,live_bytes,"
		"peak_live_bytes,lifetime_p50_ns,lifetime_p90_ns,lifetime_p99_ns,lifetime_max_ns,"
		"temporary_share,alloc_time_p50_ns,alloc_time_p99_ns,function,file,line");
	est_head(out, est);
	for (size_t i = 0; i < s->n; i++) {
		const struct an_site *x = &s->v[i];

		fprintf(out, "%" PRId64 ",", x->site);
		field(out, x->key);
		fprintf(out,
			",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.1f,%" PRId64 ",%" PRId64 ",%" PRId64
			",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
			",%.4f,%" PRId64 ",%" PRId64 ",",
			x->allocs, x->bytes, x->min_size, x->avg_size, x->max_size, x->frees,
			x->live_blocks, x->live_bytes, x->peak_live_bytes, x->lifetime_p50_ns,
			x->lifetime_p90_ns, x->lifetime_p99_ns, x->lifetime_max_ns,
			x->temporary_share, x->alloc_time_p50_ns, x->alloc_time_p99_ns);
		where(out, &x->stack);
		est_row(out, est);
	}
}

static void leaks_csv(FILE *out, const struct an_leaks *l, int64_t est)
{
	fprintf(out, "rank,site,blocks,bytes,oldest_age_ns,growth,score,function,file,line");
	est_head(out, est);
	for (size_t i = 0; i < l->n; i++) {
		fprintf(out, "%zu,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.2f,%.1f,",
			i + 1, l->v[i].site, l->v[i].blocks, l->v[i].bytes, l->v[i].oldest_age_ns,
			l->v[i].growth, l->v[i].score);
		where(out, &l->v[i].stack);
		est_row(out, est);
	}
}

static void hist_csv(FILE *out, const struct an_hist *h, int64_t est)
{
	fprintf(out, "lo,hi,count");
	est_head(out, est);
	for (int i = 0; i < h->n; i++) {
		fprintf(out, "%" PRId64 ",", h->b[i].lo);
		if (h->b[i].hi != INT64_MAX)
			fprintf(out, "%" PRId64, h->b[i].hi);
		fprintf(out, ",%" PRId64, h->b[i].count);
		est_row(out, est);
	}
}

static void errors_csv(FILE *out, const struct an_errors *e)
{
	fprintf(out, "kind,addr,ts,tid,func,function,file,line,pid,unreliable\n");
	for (size_t i = 0; i < e->n; i++) {
		fprintf(out, "%s,%" PRIu64 ",%" PRId64 ",%d,", e->v[i].kind, e->v[i].addr,
			e->v[i].ts, e->v[i].tid);
		field(out, e->v[i].func);
		fputc(',', out);
		where(out, &e->v[i].stack);
		fprintf(out, ",%d,%d\n", e->v[i].pid, e->v[i].unreliable != 0);
	}
}

static void timeline_csv(FILE *out, const struct an_timeline *t, int64_t est)
{
	fprintf(out, "ts,live_bytes,live_blocks,allocs,frees,alloc_bytes,free_bytes");
	est_head(out, est);
	for (size_t i = 0; i < t->n; i++) {
		fprintf(out,
			"%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
			",%" PRId64,
			t->v[i].ts, t->v[i].live_bytes, t->v[i].live_blocks, t->v[i].allocs,
			t->v[i].frees, t->v[i].alloc_bytes, t->v[i].free_bytes);
		est_row(out, est);
	}
}

static void advice_csv(FILE *out, const struct an_advices *a, int64_t est)
{
	fprintf(out, "kind,site,free_site,evidence,function,file,line");
	est_head(out, est);
	for (size_t i = 0; i < a->n; i++) {
		fprintf(out, "%s,%" PRId64 ",%" PRId64 ",", a->v[i].kind, a->v[i].site,
			a->v[i].free_site);
		field(out, a->v[i].evidence);
		fputc(',', out);
		where(out, &a->v[i].stack);
		est_row(out, est);
	}
}

static void opt_field(FILE *out, int64_t v, int64_t none);

/* The stack quality's headline numbers close the row (its per-reason counts are in the JSON). */
static void summary_csv(FILE *out, const struct an_summary *s)
{
	const struct an_stack_quality *q = &s->stacks;

	fprintf(out,
		"pid,mode,command,end_reason,duration_ns,allocs,frees,alloc_bytes,live_blocks,live_bytes,"
		"peak_bytes,dropped_events,untracked_frees,double_frees,invalid_frees,stack_mode,"
		"stacks_complete_allocs_share,stacks_mean_depth,stacks_p99_depth%s\n",
		s->sample_bytes ? ",sample_bytes,estimated" : "");
	fprintf(out, "%d,%s,", s->pid, s->mode ? s->mode : "");
	field(out, s->command);
	fputc(',', out);
	field(out, s->end_reason);
	fprintf(out,
		",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		",%" PRId64 ",%" PRId64,
		s->duration_ns, s->allocs, s->frees, s->alloc_bytes, s->live_blocks, s->live_bytes,
		s->peak_bytes, s->dropped_events, s->untracked_frees);
	/* Sampled: misuse is not checked, so the counts are empty (unknown), not 0. */
	opt_field(out, s->double_frees, s->sample_bytes ? s->double_frees : INT64_MIN);
	opt_field(out, s->invalid_frees, s->sample_bytes ? s->invalid_frees : INT64_MIN);
	fprintf(out, ",%s,%.4f,%.2f,%d", q->mode ? q->mode : "", q->complete_allocs_share,
		q->mean_depth, q->p99_depth);
	if (s->sample_bytes)
		fprintf(out, ",%" PRId64 ",1", s->sample_bytes);
	fputc('\n', out);
}

/* Empty fields for unknown values (-1, or a ppid of 0). */
static void opt_field(FILE *out, int64_t v, int64_t none)
{
	fputc(',', out);
	if (v != none)
		fprintf(out, "%" PRId64, v);
}

static void processes_csv(FILE *out, const struct an_summary *s)
{
	int64_t est = s->sample_bytes;

	fprintf(out, "id,pid,ppid,exe,command,start_ts,end_ts,end_reason,exit_status,allocs,frees,"
		     "live_blocks,live_bytes,errors");
	est_head(out, est);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct an_process *p = &s->procs[i];

		fprintf(out, "%" PRId64 ",%d", p->id, p->pid);
		opt_field(out, p->ppid, 0);
		fputc(',', out);
		field(out, p->exe);
		fputc(',', out);
		field(out, p->command);
		fprintf(out, ",%" PRId64, p->start_ts);
		opt_field(out, p->end_ts, -1);
		fputc(',', out);
		field(out, p->end_reason);
		opt_field(out, p->exit_status, -1);
		fprintf(out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, p->allocs, p->frees,
			p->live_blocks, p->live_bytes);
		opt_field(out, p->errors, est ? p->errors : INT64_MIN);
		est_row(out, est);
	}
}

int report_csv(FILE *out, const struct report_data *d)
{
	int several = __builtin_popcount(d->views) > 1, first = 1;
	int64_t est = d->sample_bytes;

#define TABLE(view, name, call)                                                                    \
	if (d->views & (view)) {                                                                   \
		if (several)                                                                       \
			fprintf(out, "%s# %s\n", first ? "" : "\n", name);                         \
		first = 0;                                                                         \
		call;                                                                              \
	}
	TABLE(VIEW_SUMMARY, "summary", summary_csv(out, &d->summary));
	/* Several program images: their table follows the summary's row (always titled, as it
	 * makes two tables of one view). */
	if ((d->views & VIEW_SUMMARY) && d->summary.nprocs > 1) {
		fprintf(out, "\n# processes\n");
		processes_csv(out, &d->summary);
	}
	TABLE(VIEW_LEAKS, "leaks", leaks_csv(out, &d->leaks, est));
	TABLE(VIEW_ERRORS, "errors", errors_csv(out, &d->errors));
	TABLE(VIEW_SITES, "sites", sites_csv(out, &d->sites, est));
	TABLE(VIEW_LIFETIMES, "lifetimes", hist_csv(out, &d->lifetimes, est));
	TABLE(VIEW_SIZES, "sizes", hist_csv(out, &d->sizes, est));
	TABLE(VIEW_TIMELINE, "timeline", timeline_csv(out, &d->timeline, est));
	TABLE(VIEW_ADVICE, "advice", advice_csv(out, &d->advice, est));
#undef TABLE
	return ferror(out) ? -EIO : 0;
}
