/* Unit tests of diff's matching: stack keys across runs, folding by key, status, growth order,
 * the JSON shape, and the entry points' errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/diff_priv.h"
#include "report/json.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A stack of n frames "fn,module,addr" (function or module may be NULL). */
struct fr {
	const char *fn, *module;
	uint64_t addr;
};

static struct an_stack make_stack(const struct fr *f, int n)
{
	struct an_stack s = { .depth = n,
			      .frames = calloc((size_t)n + 1, sizeof(struct an_frame)) };

	for (int i = 0; i < n; i++)
		s.frames[i] = (struct an_frame){ .function = dup_or_null(f[i].fn),
						 .module = dup_or_null(f[i].module),
						 .file = strdup("x.c"),
						 .line = 10 + i,
						 .addr = f[i].addr };
	return s;
}

static char *key_of(const struct fr *f, int n, const uint64_t *rel)
{
	struct an_stack s = make_stack(f, n);
	char *key = NULL;

	assert_int_equal(diff_stack_key(&s, rel, &key), 0);
	an_stack_free(&s);
	return key;
}

static void test_key_symbolized_ignores_addresses(void **state)
{
	const struct fr run1[] = { { "leak", "/usr/bin/app", 0x5555001 },
				   { "main", "/usr/bin/app", 0x5555100 },
				   { "__libc_start_main", "/lib/libc.so.6", 0x7f001 } };
	const struct fr run2[] = { { "leak", "/opt/build/app", 0x6666001 },
				   { "main", "/opt/build/app", 0x6666100 },
				   { "__libc_start_main", "/lib/libc.so.6", 0x7e001 } };
	char *k1 = key_of(run1, 3, NULL), *k2 = key_of(run2, 3, NULL);

	(void)state;
	assert_string_equal(k1, "leak@app;main@app;__libc_start_main@libc.so.6");
	assert_string_equal(k1, k2); /* ASLR and another directory: the same call path */
	free(k1);
	free(k2);
}

static void test_key_unsymbolized(void **state)
{
	const struct fr f[] = { { NULL, "/lib/libx.so", 0x7f0001234 },
				{ NULL, NULL, 0xdead },
				{ "main", NULL, 0x10 } };
	const uint64_t rel[] = { 0x1234, 0, 0 };
	char *k = key_of(f, 3, rel), *empty = key_of(NULL, 0, NULL);

	(void)state;
	assert_string_equal(k, "libx.so+0x1234;0xdead;main");
	assert_string_equal(empty, "[unknown]");
	free(k);
	free(empty);
}

/* Adds a one-frame stack named fn with the given counts. */
static void add(struct diff_table *t, int side, const char *fn, int64_t allocs, int64_t bytes,
		int64_t live_blocks, int64_t live_bytes)
{
	const struct fr f[] = { { fn, "/bin/app", (uint64_t)side } };
	struct an_stack s = make_stack(f, 1);
	struct diff_counts c = { allocs, bytes, live_blocks, live_bytes };
	char *key;

	assert_int_equal(diff_stack_key(&s, NULL, &key), 0);
	assert_int_equal(diff_table_add(t, side, key, &s, &c), 0);
	assert_int_equal(s.depth, 0); /* taken */
}

static const struct diff_site *find(const struct diff_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].key, key))
			return &t->v[i];
	fail_msg("no site %s", key);
	return NULL;
}

/* grow is in both (twice in B: two processes), gone only in A, fresh only in B. */
static void fill(struct diff_table *t)
{
	add(t, 0, "grow", 10, 10000, 10, 10000);
	add(t, 0, "gone", 3, 300, 1, 100);
	add(t, 0, "same", 100, 25600, 0, 0);
	add(t, 1, "grow", 20, 20000, 20, 20000);
	add(t, 1, "fresh", 1, 5000, 1, 5000);
	add(t, 1, "grow", 5, 5000, 5, 5000);
	add(t, 1, "same", 100, 25600, 0, 0);
}

static void test_fold_and_status(void **state)
{
	struct diff_table t = { .nsides = 2 };
	const struct diff_site *g;
	struct diff_counts d;

	(void)state;
	fill(&t);
	assert_int_equal(diff_table_fold(&t), 0);
	assert_int_equal(t.n, 4);
	g = find(&t, "grow@app");
	d = diff_counts_sub(&g->c[1], &g->c[0]);
	assert_int_equal(g->c[0].live_bytes, 10000);
	assert_int_equal(g->c[1].allocs, 25);
	assert_int_equal(g->c[1].live_bytes, 25000);
	assert_int_equal(d.live_blocks, 15);
	assert_int_equal(d.bytes, 15000);
	assert_int_equal(g->stack_side, 1); /* B's frames are shown */
	assert_int_equal(g->stack.frames[0].addr, 1);
	assert_string_equal(diff_site_status(g, 0, 1), "both");
	assert_string_equal(diff_site_status(find(&t, "gone@app"), 0, 1), "gone");
	assert_string_equal(diff_site_status(find(&t, "fresh@app"), 0, 1), "new");
	diff_table_free(&t);
}

static void test_growth_order(void **state)
{
	struct diff_table t = { .nsides = 2 };
	const char *want[] = { "grow@app", "fresh@app", "same@app", "gone@app" };

	(void)state;
	fill(&t);
	diff_table_fold(&t);
	diff_table_sort_growth(&t, 0, 1);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(t.v[i].key, want[i]);
	/* Reversed: the sides swap, and so does the order. */
	diff_table_sort_growth(&t, 1, 0);
	assert_string_equal(t.v[0].key, "gone@app");
	assert_string_equal(t.v[3].key, "grow@app");
	diff_table_free(&t);
}

static void test_add_bad_side(void **state)
{
	struct diff_table t = { .nsides = 2 };
	struct an_stack s = make_stack(NULL, 0);
	struct diff_counts c = { 1, 1, 0, 0 };

	(void)state;
	assert_int_equal(diff_table_add(&t, 2, strdup("k"), &s, &c), -EINVAL);
	assert_int_equal(t.n, 0);
	diff_table_free(&t);
}

static void test_json_shape(void **state)
{
	struct diff_result r = { .t = { .nsides = 2 } };
	struct json *j = json_new_buffer(0);
	char *text;

	(void)state;
	r.a = (struct diff_meta){ .label = "A", .path = "a.db", .whole = 1 };
	r.b = (struct diff_meta){ .label = "B", .path = "b.db", .sample_bytes = 4096 };
	fill(&r.t);
	diff_table_fold(&r.t);
	diff_table_sort_growth(&r.t, 0, 1);
	diff_json(j, &r, 2);
	text = json_take_buffer(j, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"b\":{\"label\":\"B\",\"path\":\"b.db\""));
	assert_non_null(strstr(text, "\"sampled\":true,\"estimated\":true,\"sample_bytes\":4096"));
	assert_non_null(strstr(text, "\"site_count\":4,\"sites\":[{\"key\":\"grow@app\""));
	assert_non_null(strstr(text, "\"delta\":{\"allocs\":15,\"bytes\":15000,\"live_blocks\":15,"
				     "\"live_bytes\":15000},\"status\":\"both\"}"));
	assert_non_null(strstr(text, "\"status\":\"new\"}]}")); /* limit 2: fresh is the last */
	assert_null(strstr(text, "gone@app"));
	free(text);
	assert_int_equal(json_free(j), 0);
	diff_result_free(&r);
}

static void test_entry_point_errors(void **state)
{
	struct diff_side a = { "/nonexistent/a.db", NULL, -1, -1 }, b = a;
	const char *paths[] = { "/nonexistent/a.db" };
	char err[256] = "", *out = (char *)1;
	size_t len;

	(void)state;
	assert_int_equal(diff_render_json(&a, &b, &out, &len, err, sizeof(err)), -ENOENT);
	assert_null(out);
	assert_non_null(strstr(err, "cannot read /nonexistent/a.db"));
	assert_int_equal(diff_trend_json(paths, NULL, -1, 5, &out, &len, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(diff_trend_json(paths, NULL, 0, 5, &out, &len, err, sizeof(err)), 0);
	assert_string_equal(out, "{\"windows\":[],\"sites\":[]}");
	free(out);
	assert_int_equal(diff_trend_json(paths, NULL, 1, 5, &out, &len, err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_symbolized_ignores_addresses),
		cmocka_unit_test(test_key_unsymbolized),
		cmocka_unit_test(test_fold_and_status),
		cmocka_unit_test(test_growth_order),
		cmocka_unit_test(test_add_bad_side),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_entry_point_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
