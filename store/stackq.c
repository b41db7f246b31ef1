/* Stack quality: how far the recorded call stacks reach and why the others stop, weighted by the
 * allocations made at each site (read from site_stats, never by scanning the allocations; a
 * sampled recording's allocations are its estimates: sums of weights). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"

/* Under this share of allocations with complete stacks, the main truncation reason gets a hint. */
#define HINT_BELOW_SHARE 0.9

/* Sites and their allocations per (walk_end, depth), shallowest first. A site without a stacks
 * row lost its stack (site 0: the event that carried it was dropped); it names no process, so
 * a process filter leaves it out. */
#define QUALITY_SQL(source)                                                                        \
	"SELECT coalesce(k.walk_end, 'unknown'), coalesce(k.depth, 0), count(*), sum(w.allocs)"    \
	" FROM " source " w LEFT JOIN stacks k ON k.id = w.site WHERE w.allocs > 0"                \
	" AND " RD_PID_STACK("w.site") " GROUP BY 1, 2 ORDER BY 2"

static const char *const SQL_SITES = QUALITY_SQL("site_stats");
/* Until the recorder first publishes site_stats, the allocation rows written so far. */
static const char *const SQL_LIVE =
	QUALITY_SQL("(SELECT site, sum(weight) AS allocs FROM allocations GROUP BY site)");

/* What to do about the reason that cuts most stacks short, one line each. */
static const struct {
	const char *walk_end, *hint;
} HINTS[] = {
	{ "caller_only", "caller_only: --stack=caller keeps only the allocator's caller; record"
			 " without it for whole stacks" },
	{ "fp", "fp: frame-pointer chains stop in code built without them; the default"
		" --stack=dwarf unwinds through it" },
	{ "depth", "depth: stacks reached the frame limit; raise --max-depth (at most 64)" },
	{ "no_mapping", "no_mapping: return addresses in no known file (JIT code, or a library"
			" loaded after the stack was taken)" },
	{ "no_cfi", "no_cfi: code without unwind tables and without frame pointers" },
	{ "unsupported", "unsupported: unwind rules the walker cannot evaluate (DWARF expressions,"
			 " signal frames)" },
	{ "read_fault", "read_fault: stack memory was not resident when the stack was read" },
	{ "bad_frame", "bad_frame: a walk left real code (a corrupt stack or a wrong unwind row)" },
	{ "unknown", "unknown: stacks lost with dropped events or a full stack map" },
};

static struct an_walk_end *find_end(struct an_stack_quality *q, const char *name, int *err)
{
	struct an_walk_end *v;
	char *copy;

	for (size_t i = 0; i < q->nends; i++)
		if (!strcmp(q->ends[i].walk_end, name))
			return &q->ends[i];
	copy = strdup(name);
	v = copy ? realloc(q->ends, (q->nends + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(copy);
		*err = -ENOMEM;
		return NULL;
	}
	q->ends = v;
	v = &q->ends[q->nends++];
	*v = (struct an_walk_end){ .walk_end = copy };
	return v;
}

/* Allocations per depth, all walk ends together (rows arrive by depth: a depth's are adjacent). */
struct depths {
	struct depth_count {
		int depth;
		int64_t allocs;
	} * v;
	size_t n;
};

static int add_depth(struct depths *d, int depth, int64_t allocs)
{
	struct depth_count *v;

	if (d->n && d->v[d->n - 1].depth == depth) {
		d->v[d->n - 1].allocs += allocs;
		return 0;
	}
	if ((d->n & (d->n - 1)) == 0) { /* at 0, 1, 2, 4...: double */
		v = realloc(d->v, (d->n ? d->n * 2 : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		d->v = v;
	}
	d->v[d->n++] = (struct depth_count){ depth, allocs };
	return 0;
}

/* The smallest depth that 99% of allocations do not exceed. */
static int p99(const struct depths *d, int64_t total)
{
	int64_t seen = 0;

	for (size_t i = 0; i < d->n; i++) {
		seen += d->v[i].allocs;
		if (seen * 100 >= total * 99) /* in integers: exactly at 99% counts */
			return d->v[i].depth;
	}
	return 0;
}

static int read_rows(struct store_reader *r, struct an_stack_quality *q, struct depths *d)
{
	int64_t complete = 0, complete_sites = 0;
	double frames = 0;
	sqlite3_stmt *st;
	int err, rc = SQLITE_DONE, written = rd_site_stats_written(r);

	if (written < 0)
		return written;
	err = rd_prepare(r, written ? SQL_SITES : SQL_LIVE, &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0); /* never NULL */
		int depth = sqlite3_column_int(st, 1);
		int64_t sites = sqlite3_column_int64(st, 2), allocs = sqlite3_column_int64(st, 3);
		struct an_walk_end *e = find_end(q, name, &err);

		if (!e)
			break;
		e->sites += sites;
		e->allocs += allocs;
		q->sites += sites;
		q->allocs += allocs;
		frames += (double)depth * (double)allocs;
		if (!strcmp(name, "complete")) {
			complete += allocs;
			complete_sites += sites;
		}
		err = add_depth(d, depth, allocs);
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (q->allocs) {
		q->complete_allocs_share = (double)complete / (double)q->allocs;
		q->complete_sites_share = (double)complete_sites / (double)q->sites;
		q->mean_depth = frames / (double)q->allocs;
		q->p99_depth = p99(d, q->allocs);
	}
	return err;
}

static int read_recording(struct store_reader *r, struct an_stack_quality *q)
{
	sqlite3_stmt *st;
	int err, rc;

	err = rd_prepare(r,
			 "SELECT stack_mode, fp_fallback_frames, unwind_files,"
			 " unwind_files_no_cfi FROM recording WHERE id = 1",
			 &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		q->mode = rd_text(st, 0, &err);
		q->fp_fallback_frames = sqlite3_column_int64(st, 1);
		q->unwind_files = sqlite3_column_int64(st, 2);
		q->unwind_files_no_cfi = sqlite3_column_int64(st, 3);
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

static int cmp_ends(const void *a, const void *b)
{
	const struct an_walk_end *x = a, *y = b;

	if (x->allocs != y->allocs)
		return x->allocs > y->allocs ? -1 : 1;
	return strcmp(x->walk_end, y->walk_end);
}

/* The hint for the reason with the most allocations, when too few stacks are complete. */
static const char *choose_hint(const struct an_stack_quality *q)
{
	if (!q->allocs || q->complete_allocs_share >= HINT_BELOW_SHARE)
		return NULL;
	for (size_t i = 0; i < q->nends; i++) {
		if (!strcmp(q->ends[i].walk_end, "complete"))
			continue;
		for (size_t h = 0; h < sizeof(HINTS) / sizeof(*HINTS); h++)
			if (!strcmp(HINTS[h].walk_end, q->ends[i].walk_end))
				return HINTS[h].hint;
		return NULL; /* a reason this heapscope does not know */
	}
	return NULL;
}

int an_stack_quality(struct store_reader *r, struct an_stack_quality *out)
{
	struct depths d = { 0 };
	int err;

	*out = (struct an_stack_quality){ 0 };
	err = read_recording(r, out);
	if (!err)
		err = read_rows(r, out, &d);
	free(d.v);
	if (err) {
		an_stack_quality_free(out);
		return err;
	}
	if (out->nends) /* ends is NULL then, which qsort must not be given even for 0 */
		qsort(out->ends, out->nends, sizeof(*out->ends), cmp_ends);
	out->hint = choose_hint(out);
	return 0;
}

void an_stack_quality_free(struct an_stack_quality *q)
{
	for (size_t i = 0; i < q->nends; i++)
		free(q->ends[i].walk_end);
	free(q->ends);
	free(q->mode);
	*q = (struct an_stack_quality){ 0 };
}
