/* The analyses as text for a terminal: aligned columns, human units, stacks as
 * "function (file:line)". */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/report.h"
#include "store/time.h"

void report_fmt_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	while ((v >= 1024 || v <= -1024) && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRId64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* Whole units when the rate is a round number ("128 KiB", not "128.0 KiB"). */
void report_fmt_sampling(int64_t sample_bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	int64_t v = sample_bytes;
	char rate[32];
	int u = 0;

	while (u < 3 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (v < 1024)
		snprintf(rate, sizeof(rate), "%" PRId64 " %s", v, units[u]);
	else
		report_fmt_bytes(sample_bytes, rate, sizeof(rate));
	snprintf(buf, len, "1 sample per %s allocated on average — counts and bytes are estimates",
		 rate);
}

void report_fmt_ns(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000)
		snprintf(buf, len, "%" PRId64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (ns < NS_PER_S)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else if (ns < 3600000000000LL)
		snprintf(buf, len, "%.3g s", ns / (double)NS_PER_S);
	else
		snprintf(buf, len, "%.3g h", ns / 3.6e12);
}

static void frame_text(const struct an_frame *f, char *buf, size_t len)
{
	const char *file = f->file ? strrchr(f->file, '/') : NULL;
	const char *inl = f->inlined ? " [inlined]" : "";
	char name[512];

	file = file ? file + 1 : f->file;
	if (f->function && file)
		snprintf(buf, len, "%s (%s:%d)%s", f->function, file, f->line, inl);
	else if (f->function)
		snprintf(buf, len, "%s (%s)%s", f->function, f->module ? f->module : "?", inl);
	else /* module+offset: the same in every run, for addr2line -e or a later symbolize */
		snprintf(buf, len, "%s", report_frame_name(f, name, sizeof(name)));
}

static void stack_text(FILE *out, const struct an_stack *s, const char *indent, int max)
{
	char buf[1024];

	if (!s->depth)
		fprintf(out, "%s(stack unknown)\n", indent);
	for (int i = 0; i < s->depth && i < max; i++) {
		frame_text(&s->frames[i], buf, sizeof(buf));
		fprintf(out, "%s%s %s\n", indent, i ? "  " : "at", buf);
	}
	if (s->depth > max)
		fprintf(out, "%s   ... %d more frames\n", indent, s->depth - max);
}

/* Stack quality: a few lines under the summary's, counts in allocations. */
static void stacks_text(FILE *out, const struct an_stack_quality *q)
{
	const char *mode = q->mode ? q->mode : "?";

	if (!q->allocs) {
		fprintf(out, "  stacks        %s, no allocations yet\n", mode);
		return;
	}
	fprintf(out,
		"  stacks        %s, %.1f%% of allocations reach the program's entry,"
		" mean depth %.1f (p99 %d)\n",
		mode, 100 * q->complete_allocs_share, q->mean_depth, q->p99_depth);
	fprintf(out, "  stack ends   ");
	for (size_t i = 0; i < q->nends; i++)
		fprintf(out, "%s %s %" PRId64, i ? "," : "", q->ends[i].walk_end,
			q->ends[i].allocs);
	fprintf(out, " (allocations)\n");
	if (!strcmp(mode, "dwarf"))
		fprintf(out,
			"  unwinding     %" PRId64 " files with unwind tables, %" PRId64
			" without; %" PRId64 " frames by frame pointer\n",
			q->unwind_files, q->unwind_files_no_cfi, q->fp_fallback_frames);
	if (q->hint)
		fprintf(out, "  hint          %s\n", q->hint);
}

/* The last reachability scan: when, how long the process stood still, and its verdicts. */
static void scan_text(FILE *out, const struct an_scan *c)
{
	char ts[32], stop[32], b[AN_REACH_KINDS][32];

	if (!c->scans)
		return; /* never scanned: nothing to say */
	report_fmt_ns(c->ts_ns, ts, sizeof(ts));
	report_fmt_ns(c->stop_ns, stop, sizeof(stop));
	for (int k = 1; k < AN_REACH_KINDS; k++)
		report_fmt_bytes(c->bytes[k], b[k], sizeof(b[k]));
	fprintf(out,
		"  last scan     of pid %d (%s) at %s, stopped %s (%d threads); %" PRId64
		" scans in all\n"
		"  verdicts      definitely lost %" PRId64 " blocks (%s), indirectly lost %" PRId64
		" (%s), possibly lost %" PRId64 " (%s), still reachable %" PRId64 " (%s)\n",
		c->pid, c->trigger ? c->trigger : "?", ts, stop, c->threads, c->scans, c->blocks[1],
		b[1], c->blocks[2], b[2], c->blocks[3], b[3], c->blocks[4], b[4]);
}

/* One line: every event emitted was received, and stored unless it came after the cut. */
static void events_text(FILE *out, const struct an_events *e)
{
	if (!e->n)
		return;
	if (e->accounted) {
		fprintf(out,
			"  events        %" PRId64 " emitted = %" PRId64 " stored + %" PRId64
			" after the cut; %" PRId64 " dropped (accounted)\n",
			e->emitted, e->stored, e->after_cut, e->dropped);
		return;
	}
	fprintf(out,
		"  events        NOT accounted: %" PRId64 " emitted, %" PRId64 " received, %" PRId64
		" stored + %" PRId64 " after the cut; %" PRId64 " dropped;",
		e->emitted, e->received, e->stored, e->after_cut, e->dropped);
	for (size_t i = 0; i < e->n; i++) {
		const struct an_event_count *c = &e->v[i];

		if (c->emitted != c->received || c->received != c->stored + c->after_cut)
			fprintf(out,
				" %s %" PRId64 " emitted, %" PRId64 " received, %" PRId64
				" stored + %" PRId64 " after the cut;",
				c->kind, c->emitted, c->received, c->stored, c->after_cut);
	}
	fputc('\n', out);
}

static void notices_text(FILE *out, const struct an_summary *s)
{
	for (size_t i = 0; i < s->nnotices; i++) {
		const struct an_notice *n = &s->notices[i];
		const char *msg = n->message ? n->message : "?";

		if (n->pid > 0)
			fprintf(out, "  notice: pid %d: %s\n", n->pid, msg);
		else
			fprintf(out, "  notice: %s\n", msg);
	}
}

static void errors_line(FILE *out, const struct an_summary *s)
{
	if (s->sample_bytes) {
		fprintf(out, "  errors        " REPORT_MISUSE_UNCHECKED "\n");
		return;
	}
	fprintf(out, "  errors        %" PRId64 " double frees, %" PRId64 " invalid frees",
		s->double_frees, s->invalid_frees);
	if (s->unreliable_errors)
		fprintf(out, "  (%" PRId64 " after events were lost: may be spurious)",
			s->unreliable_errors);
	fputc('\n', out);
}

/* The allocation wrappers in effect: their callers are the sites below. */
static void alloc_fns_text(FILE *out, const struct an_alloc_fns *a)
{
	if (!a->npatterns)
		return;
	fprintf(out, "  alloc fns     ");
	for (size_t i = 0; i < a->npatterns; i++)
		fprintf(out, "%s%s%s", i ? ", " : "", a->patterns[i],
			i < a->nrecorded ? " (recorded)" : "");
	for (size_t i = 0; i < a->ndetected; i++)
		fprintf(out, "%s%s", i ? ", " : ": ", a->detected[i]);
	fprintf(out, "\n  wrappers      %s", a->n ? "" : "none of these functions is in a stack\n");
	for (size_t i = 0; i < a->n; i++)
		fprintf(out, "%s%s (%" PRId64 " site%s, %" PRId64 " allocations)%s",
			i ? "                " : "", a->v[i].function, a->v[i].sites,
			a->v[i].sites == 1 ? "" : "s", a->v[i].allocs,
			i + 1 < a->n ? ",\n" : ": their callers are the sites\n");
}

static void summary_text(FILE *out, const struct an_summary *s, const char *est)
{
	char live[32], peak[32], total[32], dur[32];

	report_fmt_bytes(s->live_bytes, live, sizeof(live));
	report_fmt_bytes(s->peak_bytes, peak, sizeof(peak));
	report_fmt_bytes(s->alloc_bytes, total, sizeof(total));
	report_fmt_ns(s->duration_ns, dur, sizeof(dur));
	fprintf(out, "== Summary%s\n", est);
	fprintf(out, "  target        pid %d (%s): %s\n", s->pid, s->mode ? s->mode : "?",
		s->command ? s->command : "?");
	if (s->cut_short)
		fprintf(out,
			"  recording     %s, cut short: the recorder stopped without finishing"
			" (killed?); counts are those of its last write\n",
			dur);
	else if (s->end_reason && !strcmp(s->end_reason, "error"))
		fprintf(out,
			"  recording     %s, error: writing failed; counts are those stored until"
			" then\n",
			dur);
	else
		fprintf(out, "  recording     %s, %s\n", dur,
			s->end_reason ? s->end_reason : "still recording");
	if (s->exit_status >= 0)
		fprintf(out, "  exit status   %d\n", s->exit_status);
	if (s->pid_filter)
		fprintf(out,
			"  only pid      %d (%zu program image%s): the counts below are its own\n",
			s->pid_filter, s->nprocs, s->nprocs == 1 ? "" : "s");
	if (s->windowed)
		fprintf(out,
			"  window        %.3f s to %.3f s: the allocations made then (live: not freed"
			" by the end) and the errors then\n",
			(double)s->window_from_ns / 1e9, (double)s->window_to_ns / 1e9);
	notices_text(out, s);
	fprintf(out, "  allocations   %" PRId64 " (%s)\n", s->allocs, total);
	fprintf(out, "  frees         %" PRId64 "\n", s->frees);
	fprintf(out, "  live at end   %" PRId64 " blocks, %s\n", s->live_blocks, live);
	fprintf(out, "  peak live     %s\n", peak);
	errors_line(out, s);
	if (s->freed_forgotten)
		fprintf(out,
			"  double-free   checked against the last 65536 frees; %" PRId64
			" older freed addresses forgotten (a free of one is an invalid free)\n",
			s->freed_forgotten);
	fprintf(out, "  untracked     %" PRId64 " frees of blocks allocated before tracing began\n",
		s->untracked_frees);
	fprintf(out, "  dropped       %" PRId64 " events%s\n", s->dropped_events,
		s->dropped_events ? "  (ring buffer full: counts are lower bounds)" : "");
	events_text(out, &s->events);
	stacks_text(out, &s->stacks);
	alloc_fns_text(out, &s->alloc_fns);
	scan_text(out, &s->last_scan);
}

/* v, or "-" when it is below min (unknown). */
static const char *opt_int(int v, int min, char *buf, size_t len)
{
	if (v < min)
		return "-";
	snprintf(buf, len, "%d", v);
	return buf;
}

/* One row per program image: only worth a section when there are several. */
static void processes_text(FILE *out, const struct an_summary *s, const char *est)
{
	char start[32], end[32], live[32], status[16], ppid[16], errs[24];

	fprintf(out, "\n== Processes%s (%zu program images)\n", est, s->nprocs);
	fprintf(out, "  %8s %8s %10s %10s %-14s %6s %10s %10s %10s %10s %6s  %s\n", "pid", "ppid",
		"start", "end", "ended", "status", "allocs", "frees", "live", "live bytes",
		"errors", "command");
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct an_process *p = &s->procs[i];

		report_fmt_ns(p->start_ts, start, sizeof(start));
		report_fmt_ns(p->end_ts, end, sizeof(end));
		report_fmt_bytes(p->live_bytes, live, sizeof(live));
		/* Sampled: misuse is not checked, so no count (not even 0). */
		snprintf(errs, sizeof(errs), s->sample_bytes ? "-" : "%" PRId64, p->errors);
		fprintf(out,
			"  %8d %8s %10s %10s %-14s %6s %10" PRId64 " %10" PRId64 " %10" PRId64
			" %10s %6s  %s\n",
			p->pid, opt_int(p->ppid, 1, ppid, sizeof(ppid)), start, end,
			p->end_reason ? p->end_reason : "running",
			opt_int(p->exit_status, 0, status, sizeof(status)), p->allocs, p->frees,
			p->live_blocks, live, errs,
			p->command ? p->command :
			p->exe	   ? p->exe :
				     "?");
	}
}

/* Leak suspects (held 0) or held memory (held 1), with the last scan's verdict of each row when
 * the recording has one. */
static void leaks_text(FILE *out, const struct an_leaks *l, const char *est, int scanned, int held)
{
	char bytes[32], age[32];

	if (held)
		fprintf(out, "\n== Held memory%s (still reachable at the last scan: not leaks)\n",
			est);
	else if (scanned)
		fprintf(out,
			"\n== Leak suspects%s (still live at the end; by the last scan's verdict, then "
			"score)\n",
			est);
	else
		fprintf(out,
			"\n== Leak suspects%s (still live at the end, best suspect first; not scanned: "
			"heapscope scan -p PID or record --scan-at-end for verdicts)\n",
			est);
	if (!l->n)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < l->n; i++) {
		report_fmt_bytes(l->v[i].bytes, bytes, sizeof(bytes));
		report_fmt_ns(l->v[i].oldest_age_ns, age, sizeof(age));
		fprintf(out, "  #%zu  %" PRId64 " blocks, %s, oldest %s, growth %.0f%%", i + 1,
			l->v[i].blocks, bytes, age, 100 * l->v[i].growth);
		if (scanned && !held)
			fprintf(out, ", %s", an_reach_name(l->v[i].reach));
		if (l->v[i].key && l->v[i].sites > 1)
			fprintf(out, "  in %s (%" PRId64 " call stacks, the biggest below)\n",
				l->v[i].key, l->v[i].sites);
		else if (l->v[i].key)
			fprintf(out, "  in %s\n", l->v[i].key);
		else
			fprintf(out, "  (site %" PRId64 ")\n", l->v[i].site);
		stack_text(out, &l->v[i].stack, "      ", 8);
	}
}

static void sites_text(FILE *out, const struct report_data *d, const char *est)
{
	char bytes[32], live[32], p50[32], p99[32], a50[32], temp[16];

	fprintf(out, "\n== Sites by %s%s (%zu of %zu)\n", AN_GROUP_NAMES[d->group], est,
		d->sites.n, d->sites.total);
	fprintf(out, "  %10s %10s %10s %10s %10s %10s %10s %6s  %s\n", "allocs", "bytes", "frees",
		"live", "life p50", "life p99", "alloc p50", "temp", "where");
	for (size_t i = 0; i < d->sites.n; i++) {
		const struct an_site *s = &d->sites.v[i];
		char where[1024];

		report_fmt_bytes(s->bytes, bytes, sizeof(bytes));
		report_fmt_bytes(s->live_bytes, live, sizeof(live));
		report_fmt_ns(s->lifetime_p50_ns, p50, sizeof(p50));
		report_fmt_ns(s->lifetime_p99_ns, p99, sizeof(p99));
		report_fmt_ns(s->alloc_time_p50_ns, a50, sizeof(a50));
		if (d->group != AN_BY_STACK)
			snprintf(where, sizeof(where), "%s (%" PRId64 " stacks)",
				 s->key ? s->key : "?", s->sites);
		else if (s->stack.depth)
			frame_text(&s->stack.frames[0], where, sizeof(where));
		else
			snprintf(where, sizeof(where), "site %" PRId64, s->site);
		if (s->temporary_share < 0) /* a time window: unknown */
			snprintf(temp, sizeof(temp), "-");
		else
			snprintf(temp, sizeof(temp), "%.0f%%", 100 * s->temporary_share);
		fprintf(out, "  %10" PRId64 " %10s %10" PRId64 " %10s %10s %10s %10s %6s  %s\n",
			s->allocs, bytes, s->frees, live, p50, p99, a50, temp, where);
	}
}

static void hist_text(FILE *out, const char *title, const char *est, const struct an_hist *h,
		      int lifetimes)
{
	int64_t max = h->live;
	char lo[32], hi[32];

	for (int i = 0; i < h->n; i++)
		if (h->b[i].count > max)
			max = h->b[i].count;
	fprintf(out, "\n== %s%s\n", title, est);
	for (int i = 0; i < h->n; i++) {
		int bar = max ? (int)(40 * h->b[i].count / max) : 0;

		if (!h->b[i].count)
			continue;
		if (lifetimes) {
			report_fmt_ns(h->b[i].lo, lo, sizeof(lo));
			report_fmt_ns(h->b[i].hi == INT64_MAX ? -1 : h->b[i].hi, hi, sizeof(hi));
		} else {
			report_fmt_bytes(h->b[i].lo, lo, sizeof(lo));
			report_fmt_bytes(h->b[i].hi, hi, sizeof(hi));
		}
		fprintf(out, "  %10s .. %-10s %10" PRId64 " %.*s\n", lo, hi, h->b[i].count, bar,
			"########################################");
	}
	if (lifetimes)
		fprintf(out, "  %24s %10" PRId64 "\n", "still live", h->live);
}

static void errors_text(FILE *out, const struct an_errors *e, int64_t sample_bytes)
{
	size_t unreliable = 0;

	if (sample_bytes) {
		fprintf(out, "\n== Allocator misuse\n  " REPORT_MISUSE_UNCHECKED "\n");
		return;
	}
	for (size_t i = 0; i < e->n; i++)
		unreliable += e->v[i].unreliable != 0;
	if (unreliable)
		fprintf(out,
			"\n== Allocator misuse (%zu of these came after events were lost and may"
			" be spurious)\n",
			unreliable);
	else
		fprintf(out, "\n== Allocator misuse\n");
	if (!e->n)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < e->n; i++) {
		char pid[24] = "";

		if (e->v[i].pid > 0)
			snprintf(pid, sizeof(pid), "pid %d, ", e->v[i].pid);
		fprintf(out, "  %s of 0x%" PRIx64 " by %s (%sthread %d)%s\n", e->v[i].kind,
			e->v[i].addr, e->v[i].func ? e->v[i].func : "?", pid, e->v[i].tid,
			e->v[i].unreliable ? "  [after events were lost: may be spurious]" : "");
		stack_text(out, &e->v[i].stack, "      ", 8);
		if (e->v[i].alloc_stack.depth) {
			fprintf(out, "    allocated:\n");
			stack_text(out, &e->v[i].alloc_stack, "      ", 8);
		}
		if (e->v[i].prev_free_stack.depth) {
			fprintf(out, "    first freed:\n");
			stack_text(out, &e->v[i].prev_free_stack, "      ", 8);
		}
	}
}

static void advice_text(FILE *out, const struct an_advices *a, const char *est)
{
	fprintf(out, "\n== Allocator advice%s\n", est);
	if (!a->n)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < a->n; i++) {
		fprintf(out, "  %s: %s\n", a->v[i].kind, a->v[i].evidence);
		stack_text(out, &a->v[i].stack, "      ", 4);
		if (a->v[i].free_stack.depth) {
			fprintf(out, "    freed at:\n");
			stack_text(out, &a->v[i].free_stack, "      ", 4);
		}
	}
}

static void timeline_text(FILE *out, const struct an_timeline *t, const char *est)
{
	char ts[32], live[32];

	fprintf(out, "\n== Timeline%s\n  %10s %12s %12s %10s %10s\n", est, "time", "live bytes",
		"live blocks", "allocs", "frees");
	for (size_t i = 0; i < t->n; i++) {
		report_fmt_ns(t->v[i].ts, ts, sizeof(ts));
		report_fmt_bytes(t->v[i].live_bytes, live, sizeof(live));
		fprintf(out, "  %10s %12s %12" PRId64 " %10" PRId64 " %10" PRId64 "\n", ts, live,
			t->v[i].live_blocks, t->v[i].allocs, t->v[i].frees);
	}
}

/* A sampled recording says so first, and marks each section of numbers "(estimated)". */
int report_text(FILE *out, const struct report_data *d)
{
	const char *est = d->sample_bytes ? " (estimated)" : "";
	char line[160];

	if (d->sample_bytes) {
		report_fmt_sampling(d->sample_bytes, line, sizeof(line));
		fprintf(out, "SAMPLED: %s\n\n", line);
	}
	if (d->views & VIEW_SUMMARY)
		summary_text(out, &d->summary, est);
	if ((d->views & VIEW_SUMMARY) && d->summary.nprocs > 1)
		processes_text(out, &d->summary, est);
	if (d->views & VIEW_LEAKS)
		leaks_text(out, &d->leaks, est, d->scan.scans > 0, 0);
	if (d->views & VIEW_HELD)
		leaks_text(out, &d->held, est, 1, 1);
	if (d->views & VIEW_ERRORS)
		errors_text(out, &d->errors, d->sample_bytes);
	if (d->views & VIEW_SITES)
		sites_text(out, d, est);
	if (d->views & VIEW_LIFETIMES)
		hist_text(out, "Lifetimes", est, &d->lifetimes, 1);
	if (d->views & VIEW_SIZES)
		hist_text(out, "Requested sizes", est, &d->sizes, 0);
	if (d->views & VIEW_ADVICE)
		advice_text(out, &d->advice, est);
	if (d->views & VIEW_TIMELINE)
		timeline_text(out, &d->timeline, est);
	return ferror(out) ? -EIO : 0;
}
