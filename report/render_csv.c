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

static void where(FILE *out, const struct an_stack *s)
{
	const struct an_frame *f = s->depth ? &s->frames[0] : NULL;

	field(out, f ? f->function : NULL);
	fputc(',', out);
	field(out, f ? f->file : NULL);
	fprintf(out, ",%d", f ? f->line : 0);
}

static void sites_csv(FILE *out, const struct an_sites *s)
{
	fprintf(out,
		"site,key,allocs,bytes,min_size,avg_size,max_size,frees,live_blocks,live_bytes,"
		"peak_live_bytes,lifetime_p50_ns,lifetime_p90_ns,lifetime_p99_ns,lifetime_max_ns,"
		"temporary_share,alloc_time_p50_ns,alloc_time_p99_ns,function,file,line\n");
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
		fputc('\n', out);
	}
}

static void leaks_csv(FILE *out, const struct an_leaks *l)
{
	fprintf(out, "rank,site,blocks,bytes,oldest_age_ns,growth,score,function,file,line\n");
	for (size_t i = 0; i < l->n; i++) {
		fprintf(out, "%zu,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.2f,%.1f,",
			i + 1, l->v[i].site, l->v[i].blocks, l->v[i].bytes, l->v[i].oldest_age_ns,
			l->v[i].growth, l->v[i].score);
		where(out, &l->v[i].stack);
		fputc('\n', out);
	}
}

static void hist_csv(FILE *out, const struct an_hist *h)
{
	fprintf(out, "lo,hi,count\n");
	for (int i = 0; i < h->n; i++) {
		fprintf(out, "%" PRId64 ",", h->b[i].lo);
		if (h->b[i].hi != INT64_MAX)
			fprintf(out, "%" PRId64, h->b[i].hi);
		fprintf(out, ",%" PRId64 "\n", h->b[i].count);
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

static void timeline_csv(FILE *out, const struct an_timeline *t)
{
	fprintf(out, "ts,live_bytes,live_blocks,allocs,frees,alloc_bytes,free_bytes\n");
	for (size_t i = 0; i < t->n; i++)
		fprintf(out,
			"%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
			",%" PRId64 "\n",
			t->v[i].ts, t->v[i].live_bytes, t->v[i].live_blocks, t->v[i].allocs,
			t->v[i].frees, t->v[i].alloc_bytes, t->v[i].free_bytes);
}

static void advice_csv(FILE *out, const struct an_advices *a)
{
	fprintf(out, "kind,site,free_site,evidence,function,file,line\n");
	for (size_t i = 0; i < a->n; i++) {
		fprintf(out, "%s,%" PRId64 ",%" PRId64 ",", a->v[i].kind, a->v[i].site,
			a->v[i].free_site);
		field(out, a->v[i].evidence);
		fputc(',', out);
		where(out, &a->v[i].stack);
		fputc('\n', out);
	}
}

/* The stack quality's headline numbers close the row (its per-reason counts are in the JSON). */
static void summary_csv(FILE *out, const struct an_summary *s)
{
	const struct an_stack_quality *q = &s->stacks;

	fprintf(out,
		"pid,mode,command,duration_ns,allocs,frees,alloc_bytes,live_blocks,live_bytes,"
		"peak_bytes,dropped_events,untracked_frees,double_frees,invalid_frees,stack_mode,"
		"stacks_complete_allocs_share,stacks_mean_depth,stacks_p99_depth\n");
	fprintf(out, "%d,%s,", s->pid, s->mode ? s->mode : "");
	field(out, s->command);
	fprintf(out,
		",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
		",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%s,%.4f,%.2f,%d\n",
		s->duration_ns, s->allocs, s->frees, s->alloc_bytes, s->live_blocks, s->live_bytes,
		s->peak_bytes, s->dropped_events, s->untracked_frees, s->double_frees,
		s->invalid_frees, q->mode ? q->mode : "", q->complete_allocs_share, q->mean_depth,
		q->p99_depth);
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
	fprintf(out, "id,pid,ppid,exe,command,start_ts,end_ts,end_reason,exit_status,allocs,frees,"
		     "live_blocks,live_bytes,errors\n");
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
		fprintf(out, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
			p->allocs, p->frees, p->live_blocks, p->live_bytes, p->errors);
	}
}

int report_csv(FILE *out, const struct report_data *d)
{
	int several = __builtin_popcount(d->views) > 1, first = 1;

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
	TABLE(VIEW_LEAKS, "leaks", leaks_csv(out, &d->leaks));
	TABLE(VIEW_ERRORS, "errors", errors_csv(out, &d->errors));
	TABLE(VIEW_SITES, "sites", sites_csv(out, &d->sites));
	TABLE(VIEW_LIFETIMES, "lifetimes", hist_csv(out, &d->lifetimes));
	TABLE(VIEW_SIZES, "sizes", hist_csv(out, &d->sizes));
	TABLE(VIEW_TIMELINE, "timeline", timeline_csv(out, &d->timeline));
	TABLE(VIEW_ADVICE, "advice", advice_csv(out, &d->advice));
#undef TABLE
	return ferror(out) ? -EIO : 0;
}
