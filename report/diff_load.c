/* Loading one side of a comparison: a whole recording from its per-site aggregates (the numbers
 * `report` shows), a window from its allocation rows; each stack keyed by its identity. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/diff_priv.h"
#include "store/diffq.h"

/* Deeper stacks are keyed by their first frames only (report's pprof keeps as many). */
#define KEY_MAX_FRAMES 256

/* Adds one stack's counts as side idx; takes the stack's frames. */
static int add_stack(struct an_stack *stack, int idx, struct diff_table *t,
		     const struct diff_counts *c)
{
	uint64_t rel[KEY_MAX_FRAMES];
	int n = stack->depth < KEY_MAX_FRAMES ? stack->depth : KEY_MAX_FRAMES;
	int depth = stack->depth, err;
	char *key;

	for (int i = 0; i < n; i++)
		rel[i] = stack->frames[i].offset;
	stack->depth = n; /* the key's frames */
	err = diff_stack_key(stack, rel, &key);
	stack->depth = depth;
	if (err) {
		an_stack_free(stack);
		return err;
	}
	return diff_table_add(t, idx, key, stack, c);
}

static int load_window(struct store_reader *r, const struct diff_meta *m, int idx,
		       struct diff_table *t);

/* From the per-site aggregates, as `report` counts; until a recorder first publishes them (a
 * recording just started), from the allocation rows. */
static int load_whole(struct store_reader *r, int idx, struct diff_table *t)
{
	const struct diff_meta rows = { .from_ns = 0, .to_ns = -1 };
	struct an_sites_query q = { .group = AN_BY_STACK, .sort = "site" };
	struct an_sites sites;
	int err = an_sites(r, &q, &sites);

	for (size_t i = 0; i < sites.n && !err; i++) {
		struct an_site *s = &sites.v[i];
		struct diff_counts c = { s->allocs, s->bytes, s->live_blocks, s->live_bytes };

		if (!diff_counts_zero(&c))
			err = add_stack(&s->stack, idx, t, &c);
	}
	if (!err && !sites.total)
		err = load_window(r, &rows, idx, t);
	an_sites_free(&sites);
	return err;
}

static int load_window(struct store_reader *r, const struct diff_meta *m, int idx,
		       struct diff_table *t)
{
	struct diffq_sites w;
	int err = diffq_window_sites(r, m->from_ns, m->to_ns, &w);

	for (size_t i = 0; i < w.n && !err; i++) {
		const struct diffq_site *s = &w.v[i];
		struct diff_counts c = { s->allocs, s->bytes, s->live_blocks, s->live_bytes };
		struct an_stack stack;

		err = an_load_stack(r, s->site, &stack);
		if (!err)
			err = add_stack(&stack, idx, t, &c);
	}
	diffq_sites_free(&w);
	return err;
}

static void sum_totals(const struct diff_table *t, int idx, struct diff_counts *out)
{
	*out = (struct diff_counts){ 0 };
	for (size_t i = 0; i < t->n; i++) {
		const struct diff_counts *c = &t->v[i].c[idx];

		out->allocs += c->allocs;
		out->bytes += c->bytes;
		out->live_blocks += c->live_blocks;
		out->live_bytes += c->live_bytes;
	}
}

/* The window made explicit: open ends become the recording's start and end. */
static int set_window(const struct diff_side *side, struct diff_meta *m, char *err, size_t errlen)
{
	int64_t end = m->summary.duration_ns;

	m->from_open = side->from_ns < 0;
	m->to_open = side->to_ns < 0;
	m->whole = m->from_open && m->to_open;
	m->from_ns = side->from_ns < 0 ? 0 : side->from_ns;
	m->to_ns = side->to_ns < 0 ? end : side->to_ns;
	if (side->to_ns >= 0 && side->to_ns <= m->from_ns) {
		snprintf(err, errlen, "%s: the window ends before it starts (to <= from)",
			 side->db_path);
		return -EINVAL;
	}
	if (m->to_ns > end) /* past the end: the state at the end */
		m->to_ns = end;
	return 0;
}

int diff_load_side(const struct diff_side *side, int idx, struct diff_table *t, struct diff_meta *m,
		   char *err, size_t errlen)
{
	struct store_reader *r;
	int e;

	*m = (struct diff_meta){ .path = side->db_path,
				 .label = side->label ? side->label : side->db_path };
	e = store_reader_open(side->db_path, &r, err, errlen);
	if (e)
		return e;
	m->sample_bytes = store_reader_sample_bytes(r);
	e = an_summary(r, &m->summary);
	if (!e)
		e = set_window(side, m, err, errlen);
	else
		snprintf(err, errlen, "cannot read %s: %s", side->db_path,
			 e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	if (!e) {
		/* The window's own end, not the clamped one: past the end means still live. */
		struct diff_meta w = *m;

		w.to_ns = side->to_ns;
		e = m->whole ? load_whole(r, idx, t) : load_window(r, &w, idx, t);
		if (e)
			snprintf(err, errlen, "cannot read %s: %s", side->db_path,
				 e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	}
	if (!e)
		sum_totals(t, idx, &m->totals);
	store_reader_close(r);
	return e;
}

void diff_meta_free(struct diff_meta *m)
{
	an_summary_free(&m->summary);
}
