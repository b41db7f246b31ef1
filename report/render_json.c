/* The analyses as JSON: the stable contract of `report --format json`, the HTML report's data
 * and the server's API. Everything goes through the streaming writer in json.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/json.h"
#include "report/report.h"

const char *report_frame_name(const struct an_frame *f, char *buf, size_t len)
{
	const char *base = f->module ? strrchr(f->module, '/') : NULL;

	if (f->function)
		return f->function;
	if (f->module)
		snprintf(buf, len, "%s+0x%" PRIx64, base ? base + 1 : f->module, f->offset);
	else
		snprintf(buf, len, "0x%" PRIx64, f->addr);
	return buf;
}

void report_json_frame_place(struct json *j, const struct an_frame *f)
{
	json_kv_str(j, "file", f->file);
	if (f->line > 0)
		json_kv_int(j, "line", f->line);
	else
		json_kv_null(j, "line");
	json_kv_str(j, "module", f->module);
	if (f->module)
		json_kv_uint(j, "offset", f->offset);
	else
		json_kv_null(j, "offset");
	json_kv_bool(j, "inlined", f->inlined);
}

static void frames(struct json *j, const char *key, const struct an_stack *s)
{
	json_key(j, key);
	json_arr_begin(j);
	for (int i = 0; i < s->depth; i++) {
		const struct an_frame *f = &s->frames[i];

		json_obj_begin(j);
		json_kv_str(j, "function", f->function);
		report_json_frame_place(j, f);
		json_kv_uint(j, "addr", f->addr);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* -1 (nothing measured) becomes null. */
static void kv_opt(struct json *j, const char *key, int64_t v)
{
	if (v < 0)
		json_kv_null(j, key);
	else
		json_kv_int(j, key, v);
}

static void stack_quality(struct json *j, const struct an_stack_quality *q)
{
	json_obj_begin(j);
	json_kv_str(j, "mode", q->mode);
	json_kv_int(j, "sites", q->sites);
	json_kv_int(j, "allocs", q->allocs);
	json_kv_double(j, "complete_allocs_share", q->complete_allocs_share);
	json_kv_double(j, "complete_sites_share", q->complete_sites_share);
	json_kv_double(j, "mean_depth", q->mean_depth);
	json_kv_int(j, "p99_depth", q->p99_depth);
	json_key(j, "ends");
	json_arr_begin(j);
	for (size_t i = 0; i < q->nends; i++) {
		json_obj_begin(j);
		json_kv_str(j, "walk_end", q->ends[i].walk_end);
		json_kv_int(j, "sites", q->ends[i].sites);
		json_kv_int(j, "allocs", q->ends[i].allocs);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_int(j, "fp_fallback_frames", q->fp_fallback_frames);
	json_kv_int(j, "unwind_files", q->unwind_files);
	json_kv_int(j, "unwind_files_no_cfi", q->unwind_files_no_cfi);
	json_kv_str(j, "hint", q->hint);
	json_obj_end(j);
}

/* 0 (none) becomes null. */
static void kv_opt_pos(struct json *j, const char *key, int64_t v)
{
	if (v > 0)
		json_kv_int(j, key, v);
	else
		json_kv_null(j, key);
}

/* A sampled recording's misuse counts are null: not checked, not zero. */
static void kv_errors(struct json *j, const char *key, int64_t v, int64_t sample_bytes)
{
	if (sample_bytes)
		json_kv_null(j, key);
	else
		json_kv_int(j, key, v);
}

static void process(struct json *j, const struct an_process *p, int64_t sample_bytes)
{
	json_obj_begin(j);
	json_kv_int(j, "id", p->id);
	json_kv_int(j, "pid", p->pid);
	kv_opt_pos(j, "ppid", p->ppid);
	json_kv_str(j, "exe", p->exe);
	json_kv_str(j, "command", p->command);
	json_kv_str(j, "allocator", p->allocator);
	json_kv_int(j, "start_ts", p->start_ts);
	kv_opt(j, "end_ts", p->end_ts);
	json_kv_str(j, "end_reason", p->end_reason);
	kv_opt(j, "exit_status", p->exit_status);
	json_kv_int(j, "allocs", p->allocs);
	json_kv_int(j, "frees", p->frees);
	json_kv_int(j, "live_blocks", p->live_blocks);
	json_kv_int(j, "live_bytes", p->live_bytes);
	kv_errors(j, "errors", p->errors, sample_bytes);
	json_obj_end(j);
}

static void event_numbers(struct json *j, int64_t emitted, int64_t dropped, int64_t received,
			  int64_t stored, int64_t after_cut)
{
	json_kv_int(j, "emitted", emitted);
	json_kv_int(j, "dropped", dropped);
	json_kv_int(j, "received", received);
	json_kv_int(j, "stored", stored);
	json_kv_int(j, "after_cut", after_cut);
}

/* null until the recorder writes the counts (at the end). */
static void events(struct json *j, const struct an_events *e)
{
	if (!e->n) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	event_numbers(j, e->emitted, e->dropped, e->received, e->stored, e->after_cut);
	json_kv_bool(j, "accounted", e->accounted);
	json_key(j, "kinds");
	json_arr_begin(j);
	for (size_t i = 0; i < e->n; i++) {
		const struct an_event_count *c = &e->v[i];

		json_obj_begin(j);
		json_kv_str(j, "kind", c->kind);
		event_numbers(j, c->emitted, c->dropped, c->received, c->stored, c->after_cut);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* The keys schema 3 added: who was traced, what could not be, and whether every event is
 * accounted for. */
static void summary_processes(struct json *j, const struct an_summary *s)
{
	kv_opt_pos(j, "pid_filter", s->pid_filter);
	kv_opt(j, "cut_ts", s->cut_ts);
	kv_opt(j, "first_drop_ts", s->first_drop_ts);
	json_kv_int(j, "unreliable_errors", s->unreliable_errors);
	json_key(j, "events");
	events(j, &s->events);
	json_key(j, "processes");
	json_arr_begin(j);
	for (size_t i = 0; i < s->nprocs; i++)
		process(j, &s->procs[i], s->sample_bytes);
	json_arr_end(j);
	json_key(j, "notices");
	json_arr_begin(j);
	for (size_t i = 0; i < s->nnotices; i++) {
		json_obj_begin(j);
		kv_opt_pos(j, "pid", s->notices[i].pid);
		json_kv_str(j, "kind", s->notices[i].kind);
		json_kv_str(j, "message", s->notices[i].message);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void str_array(struct json *j, const char *key, char *const *v, size_t n)
{
	json_key(j, key);
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, v[i]);
	json_arr_end(j);
}

/* Allocation wrappers in effect (null: none): the patterns (the recording's first), what "auto"
 * found, and each function dropped from the stacks with the sites and allocations concerned. */
static void alloc_fns(struct json *j, const struct an_alloc_fns *a)
{
	if (!a->npatterns) {
		json_kv_null(j, "alloc_fns");
		return;
	}
	json_key(j, "alloc_fns");
	json_obj_begin(j);
	str_array(j, "patterns", a->patterns, a->npatterns);
	json_kv_int(j, "recorded", (int64_t)a->nrecorded);
	str_array(j, "detected", a->detected, a->ndetected);
	json_key(j, "functions");
	json_arr_begin(j);
	for (size_t i = 0; i < a->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "function", a->v[i].function);
		json_kv_int(j, "sites", a->v[i].sites);
		json_kv_int(j, "allocs", a->v[i].allocs);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void report_json_summary(struct json *j, const struct an_summary *s)
{
	json_obj_begin(j);
	json_kv_int(j, "pid", s->pid);
	json_kv_str(j, "mode", s->mode);
	json_kv_str(j, "command", s->command);
	json_kv_str(j, "exe", s->exe);
	json_kv_str(j, "allocator", s->allocator);
	json_kv_int(j, "start_time_ns", s->start_time_ns);
	json_kv_int(j, "duration_ns", s->duration_ns);
	json_kv_str(j, "end_reason", s->end_reason);
	kv_opt(j, "exit_status", s->exit_status);
	json_kv_bool(j, "live", s->end_reason == NULL);
	json_kv_int(j, "allocs", s->allocs);
	json_kv_int(j, "frees", s->frees);
	json_kv_int(j, "alloc_bytes", s->alloc_bytes);
	json_kv_int(j, "live_blocks", s->live_blocks);
	json_kv_int(j, "live_bytes", s->live_bytes);
	json_kv_int(j, "peak_bytes", s->peak_bytes);
	json_kv_int(j, "peak_ts", s->peak_ts);
	json_kv_int(j, "dropped_events", s->dropped_events);
	json_kv_int(j, "untracked_frees", s->untracked_frees);
	json_kv_int(j, "freed_forgotten", s->freed_forgotten);
	json_kv_int(j, "stack_collisions", s->stack_collisions);
	json_kv_int(j, "stack_map_full", s->stack_map_full);
	kv_errors(j, "double_frees", s->double_frees, s->sample_bytes);
	kv_errors(j, "invalid_frees", s->invalid_frees, s->sample_bytes);
	json_key(j, "stacks");
	stack_quality(j, &s->stacks);
	summary_processes(j, s);
	alloc_fns(j, &s->alloc_fns);
	if (s->last_scan.scans) { /* only once scanned: a recording without a scan is unchanged */
		json_key(j, "last_scan");
		report_json_scan(j, &s->last_scan);
	}
	if (s->windowed) { /* only with a window: the counts are of its allocations */
		json_key(j, "window");
		json_obj_begin(j);
		json_kv_int(j, "from_ns", s->window_from_ns);
		json_kv_int(j, "to_ns", s->window_to_ns);
		json_obj_end(j);
	}
	if (s->sample_bytes) {
		json_key(j, "sampling");
		report_json_sampling(j, s->sample_bytes);
		json_kv_bool(j, "estimated", 1);
	}
	json_obj_end(j);
}

void report_json_sampling(struct json *j, int64_t sample_bytes)
{
	json_obj_begin(j);
	json_kv_str(j, "mode", "sampled");
	json_kv_int(j, "mean_bytes", sample_bytes);
	json_kv_bool(j, "errors_checked", 0);
	json_obj_end(j);
}

void report_json_site(struct json *j, const struct an_site *s)
{
	json_obj_begin(j);
	json_kv_int(j, "site", s->site);
	json_kv_str(j, "key", s->key);
	json_kv_int(j, "sites", s->sites);
	json_kv_int(j, "allocs", s->allocs);
	json_kv_int(j, "bytes", s->bytes);
	json_kv_int(j, "min_size", s->min_size);
	json_kv_double(j, "avg_size", s->avg_size);
	json_kv_int(j, "max_size", s->max_size);
	json_kv_int(j, "frees", s->frees);
	json_kv_int(j, "live_blocks", s->live_blocks);
	json_kv_int(j, "live_bytes", s->live_bytes);
	kv_opt(j, "peak_live_bytes", s->peak_live_bytes); /* -1 in a time window: unknown */
	kv_opt(j, "lifetime_p50_ns", s->lifetime_p50_ns);
	kv_opt(j, "lifetime_p90_ns", s->lifetime_p90_ns);
	kv_opt(j, "lifetime_p99_ns", s->lifetime_p99_ns);
	kv_opt(j, "lifetime_max_ns", s->lifetime_max_ns);
	if (s->temporary_share < 0)
		json_kv_null(j, "temporary_share");
	else
		json_kv_double(j, "temporary_share", s->temporary_share);
	kv_opt(j, "alloc_time_p50_ns", s->alloc_time_p50_ns);
	kv_opt(j, "alloc_time_p99_ns", s->alloc_time_p99_ns);
	frames(j, "frames", &s->stack);
	json_obj_end(j);
}

void report_json_sites(struct json *j, const struct an_sites *s)
{
	json_arr_begin(j);
	for (size_t i = 0; i < s->n; i++)
		report_json_site(j, &s->v[i]);
	json_arr_end(j);
}

void report_json_scan(struct json *j, const struct an_scan *s)
{
	static const char *const keys[AN_REACH_KINDS] = { NULL, "definitely_lost",
							  "indirectly_lost", "possibly_lost",
							  "still_reachable" };

	if (!s->scans) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_int(j, "ts_ns", s->ts_ns);
	json_kv_int(j, "pid", s->pid);
	json_kv_str(j, "trigger", s->trigger);
	json_kv_int(j, "threads", s->threads);
	json_kv_int(j, "stop_ns", s->stop_ns);
	json_kv_int(j, "scan_ns", s->scan_ns);
	json_kv_int(j, "scans", s->scans);
	for (int k = 1; k < AN_REACH_KINDS; k++) {
		json_key(j, keys[k]);
		json_obj_begin(j);
		json_kv_int(j, "blocks", s->blocks[k]);
		json_kv_int(j, "bytes", s->bytes[k]);
		json_obj_end(j);
	}
	json_obj_end(j);
}

void report_json_leaks(struct json *j, const struct an_leaks *l)
{
	json_arr_begin(j);
	for (size_t i = 0; i < l->n; i++) {
		json_obj_begin(j);
		json_kv_int(j, "site", l->v[i].site);
		json_kv_str(j, "key", l->v[i].key);
		json_kv_int(j, "sites", l->v[i].sites);
		json_kv_int(j, "blocks", l->v[i].blocks);
		json_kv_int(j, "bytes", l->v[i].bytes);
		json_kv_int(j, "oldest_age_ns", l->v[i].oldest_age_ns);
		json_kv_double(j, "growth", l->v[i].growth);
		json_kv_double(j, "score", l->v[i].score);
		json_kv_str(j, "verdict", an_reach_name(l->v[i].reach));
		frames(j, "frames", &l->v[i].stack);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void bucket_label(const struct an_bucket *b, int lifetimes, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (lifetimes) {
		report_fmt_ns(b->lo, lo, sizeof(lo));
		report_fmt_ns(b->hi, hi, sizeof(hi));
		if (b->lo == 0)
			snprintf(buf, len, "< %s", hi);
		else if (b->hi == INT64_MAX)
			snprintf(buf, len, ">= %s", lo);
		else
			snprintf(buf, len, "%s - %s", lo, hi);
		return;
	}
	report_fmt_bytes(b->lo, lo, sizeof(lo));
	report_fmt_bytes(b->hi, hi, sizeof(hi));
	if (b->hi - b->lo <= 1)
		snprintf(buf, len, "%s", lo);
	else
		snprintf(buf, len, "%s - %s", lo, hi);
}

void report_json_hist(struct json *j, const struct an_hist *h, int lifetimes, int64_t sample_bytes)
{
	char label[96];

	json_obj_begin(j);
	json_key(j, "buckets");
	json_arr_begin(j);
	for (int i = 0; i < h->n; i++) {
		json_obj_begin(j);
		bucket_label(&h->b[i], lifetimes, label, sizeof(label));
		json_kv_str(j, "label", label);
		json_kv_int(j, lifetimes ? "lo_ns" : "lo", h->b[i].lo);
		if (h->b[i].hi == INT64_MAX)
			json_kv_null(j, lifetimes ? "hi_ns" : "hi");
		else
			json_kv_int(j, lifetimes ? "hi_ns" : "hi", h->b[i].hi);
		json_kv_int(j, "count", h->b[i].count);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (lifetimes)
		json_kv_int(j, "live", h->live);
	if (sample_bytes)
		json_kv_bool(j, "estimated", 1);
	json_obj_end(j);
}

void report_json_errors(struct json *j, const struct an_errors *e)
{
	json_arr_begin(j);
	for (size_t i = 0; i < e->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "kind", e->v[i].kind);
		json_kv_uint(j, "addr", e->v[i].addr);
		json_kv_int(j, "ts", e->v[i].ts);
		json_kv_int(j, "tid", e->v[i].tid);
		kv_opt_pos(j, "pid", e->v[i].pid);
		json_kv_bool(j, "unreliable", e->v[i].unreliable);
		json_kv_str(j, "func", e->v[i].func);
		frames(j, "frames", &e->v[i].stack);
		frames(j, "alloc_frames", &e->v[i].alloc_stack);
		frames(j, "prev_free_frames", &e->v[i].prev_free_stack);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void report_json_timeline(struct json *j, const struct an_timeline *t)
{
	json_arr_begin(j);
	for (size_t i = 0; i < t->n; i++) {
		const struct an_point *p = &t->v[i];

		json_obj_begin(j);
		json_kv_int(j, "ts", p->ts);
		json_kv_int(j, "live_bytes", p->live_bytes);
		json_kv_int(j, "live_blocks", p->live_blocks);
		json_kv_int(j, "allocs", p->allocs);
		json_kv_int(j, "frees", p->frees);
		json_kv_int(j, "alloc_bytes", p->alloc_bytes);
		json_kv_int(j, "free_bytes", p->free_bytes);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void report_json_advice(struct json *j, const struct an_advices *a)
{
	json_arr_begin(j);
	for (size_t i = 0; i < a->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "kind", a->v[i].kind);
		json_kv_int(j, "site", a->v[i].site);
		json_kv_str(j, "evidence", a->v[i].evidence);
		frames(j, "frames", &a->v[i].stack);
		if (a->v[i].free_site) {
			json_kv_int(j, "free_site", a->v[i].free_site);
			frames(j, "free_frames", &a->v[i].free_stack);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* A sampled recording: "sampling" first, then which sections are estimates ("estimated": true
 * per section; errors are not estimated but unchecked: sampling.errors_checked). */
static void sampled_sections(struct json *j, const struct report_data *d)
{
	static const struct {
		unsigned view;
		const char *name;
	} sections[] = {
		{ VIEW_SUMMARY, "summary" },	 { VIEW_LEAKS, "leaks" },
		{ VIEW_SITES, "sites" },	 { VIEW_LIFETIMES, "lifetimes" },
		{ VIEW_SIZES, "sizes" },	 { VIEW_TIMELINE, "timeline" },
		{ VIEW_ADVICE, "advice" },
	};

	json_key(j, "sampling");
	report_json_sampling(j, d->sample_bytes);
	json_key(j, "estimated");
	json_obj_begin(j);
	for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++)
		if (d->views & sections[i].view)
			json_kv_bool(j, sections[i].name, 1);
	json_obj_end(j);
}

void report_json(struct json *j, const struct report_data *d)
{
	json_obj_begin(j);
	if (d->sample_bytes)
		sampled_sections(j, d);
	if (d->views & VIEW_SUMMARY) {
		json_key(j, "summary");
		report_json_summary(j, &d->summary);
	}
	if (d->views & VIEW_LEAKS) {
		json_key(j, "leaks");
		report_json_leaks(j, &d->leaks);
	}
	if (d->views & VIEW_HELD) {
		json_key(j, "held");
		report_json_leaks(j, &d->held);
	}
	if (d->views & VIEW_ERRORS) {
		json_key(j, "errors");
		report_json_errors(j, &d->errors);
	}
	if (d->views & VIEW_SITES) {
		json_key(j, "sites");
		report_json_sites(j, &d->sites);
	}
	if (d->views & VIEW_LIFETIMES) {
		json_key(j, "lifetimes");
		report_json_hist(j, &d->lifetimes, 1, d->sample_bytes);
	}
	if (d->views & VIEW_SIZES) {
		json_key(j, "sizes");
		report_json_hist(j, &d->sizes, 0, d->sample_bytes);
	}
	if (d->views & VIEW_TIMELINE) {
		json_key(j, "timeline");
		report_json_timeline(j, &d->timeline);
	}
	if (d->views & VIEW_ADVICE) {
		json_key(j, "advice");
		report_json_advice(j, &d->advice);
	}
	json_obj_end(j);
}
