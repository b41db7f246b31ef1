/* What diff's files share: sites matched across recordings by their call stack's identity, and
 * each compared side's description. Not part of report's public face (tests use it). */
#ifndef HEAPSCOPE_REPORT_DIFF_PRIV_H
#define HEAPSCOPE_REPORT_DIFF_PRIV_H

#include <stdint.h>
#include <stdio.h>

#include "report/diff.h"
#include "store/analysis.h"

struct json;

struct diff_counts {
	int64_t allocs, bytes, live_blocks, live_bytes;
};

/* One call path across the sides: its counts in each (all zero where it is absent). */
struct diff_site {
	char *key;	       /* diff_stack_key */
	struct an_stack stack; /* frames as the latest side holding it recorded them */
	int stack_side;	       /* that side */
	struct diff_counts *c; /* [nsides] */
};

/* Rows are added per side and stack, then folded by key: stacks of several processes, or
 * several stacks that differ only in lines or addresses, become one site. */
struct diff_table {
	int nsides;
	struct diff_site *v;
	size_t n, cap;
};

/* The identity of a call path in any run of the same binaries: innermost frame first, each
 * "function@module" (the module file's name), or "module+0xOFFSET" (rel_addr[i], the address in
 * the module file) when unsymbolized, or "0xADDR" outside any module, joined by ';'. rel_addr
 * may be NULL (offsets unknown: 0). An empty stack (lost) is "[unknown]". Malloc'd into *out:
 * 0 or -ENOMEM. */
int diff_stack_key(const struct an_stack *s, const uint64_t *rel_addr, char **out);

/* Adds one side's counts of one stack; takes key and the stack's frames (emptied in *stack)
 * whatever the result. 0, -EINVAL (side out of range) or -ENOMEM. */
int diff_table_add(struct diff_table *t, int side, char *key, struct an_stack *stack,
		   const struct diff_counts *c);
/* Folds the rows of one key into one site (counts summed per side, the latest side's frames
 * kept), in key order. 0. */
int diff_table_fold(struct diff_table *t);
/* Orders sites by growth from side a to side b: delta live bytes, then delta bytes, both
 * descending, then key. */
void diff_table_sort_growth(struct diff_table *t, int a, int b);
void diff_table_free(struct diff_table *t);

/* "new" (only in b), "gone" (only in a) or "both". */
const char *diff_site_status(const struct diff_site *s, int a, int b);
struct diff_counts diff_counts_sub(const struct diff_counts *b, const struct diff_counts *a);
int diff_counts_zero(const struct diff_counts *c);

/* One loaded side: its recording's description, its window made explicit, its totals. */
struct diff_meta {
	const char *path, *label;
	int64_t from_ns, to_ns; /* the window actually compared: [0, duration] when whole */
	int from_open, to_open; /* that end was not given: the recording's start, its end */
	int whole;
	int64_t sample_bytes; /* 0 exact; else its counts are estimates */
	struct an_summary summary;
	struct diff_counts totals;
};

/* Opens side's recording, adds each of its stacks' counts to t as side idx and describes it
 * in *m (freed with diff_meta_free). 0 or -errno with a one-line reason in err: -ENOENT,
 * -ENOTSUP, -EPROTO (the reader's open errors), -EINVAL (an empty window), -EIO. */
int diff_load_side(const struct diff_side *side, int idx, struct diff_table *t, struct diff_meta *m,
		   char *err, size_t errlen);
void diff_meta_free(struct diff_meta *m);

/* The comparison of sides 0 (a) and 1 (b) of a folded, growth-sorted table. */
struct diff_result {
	struct diff_meta a, b;
	struct diff_table t;
};

/* Loads both sides and compares them. 0 or -errno with err; free with diff_result_free. */
int diff_compute(const struct diff_side *a, const struct diff_side *b, struct diff_result *out,
		 char *err, size_t errlen);
void diff_result_free(struct diff_result *r);

/* Renderers; limit 0: every site. 0 or -errno (-EIO: a write failed). */
void diff_json(struct json *j, const struct diff_result *r, size_t limit);
int diff_text(FILE *out, const struct diff_result *r, size_t limit);
int diff_csv(FILE *out, const struct diff_result *r, size_t limit);
/* A profile of b minus a per call path (negative values where it shrank), with report's sample
 * types. */
int diff_pprof(FILE *out, const struct diff_result *r);

#endif
