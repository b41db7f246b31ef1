/* Unit tests of the flame graph tree: merging equal frames, ordering, weights, unknown
 * functions, and its JSON as one value of a writer, deeper than 64 containers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "report/flame.h"
#include "report/json.h"

#define MAXF 80

/* A site whose stack is given innermost first as "function:line" strings ("?" = unknown). */
struct fake {
	struct an_site site;
	struct an_frame frames[MAXF];
};

static void make(struct fake *f, int64_t bytes, int64_t allocs, int64_t live, int n,
		 const char *const *names)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < n; i++) {
		const char *colon = strchr(names[i], ':');

		size_t len = colon ? (size_t)(colon - names[i]) : strlen(names[i]);

		f->frames[i].function = names[i][0] == '?' ? NULL : strndup(names[i], len);
		f->frames[i].file = f->frames[i].function ? "x.c" : NULL;
		f->frames[i].line = colon ? atoi(colon + 1) : 0;
		f->frames[i].addr =
			0x1000 + (uint64_t)(names[i][0] == '?' ? atoi(names[i] + 1) : i);
	}
	f->site.stack.depth = n;
	f->site.stack.frames = f->frames;
	f->site.bytes = bytes;
	f->site.allocs = allocs;
	f->site.live_bytes = live;
}

static void unmake(struct fake *f, int n)
{
	for (int i = 0; i < f->site.stack.depth && i < n; i++)
		free(f->frames[i].function);
}

static char *render(struct fake *fakes, size_t n, enum flame_weight w)
{
	struct an_site v[8];
	struct an_sites s = { .v = v, .n = n, .total = n };
	struct flame_node root;
	struct json *j = json_new_buffer(0);
	char *text;

	assert_non_null(j);
	for (size_t i = 0; i < n; i++)
		v[i] = fakes[i].site;
	assert_int_equal(flame_build(&s, w, &root), 0);
	flame_render(j, &root);
	flame_free(&root);
	text = json_take_buffer(j, NULL);
	assert_non_null(text);
	assert_int_equal(json_free(j), 0);
	return text;
}

static void test_merge_and_order(void **state)
{
	static const char *const a[] = { "leaf_a:10", "mid:5", "main:1" };
	static const char *const b[] = { "leaf_b:20", "mid:5", "main:1" };
	static const char *const c[] = { "leaf_a:10", "other:7", "main:1" };
	struct fake f[3];
	char *got;

	(void)state;
	make(&f[0], 100, 1, 0, 3, a);
	make(&f[1], 300, 2, 0, 3, b);
	make(&f[2], 50, 5, 0, 3, c);
	got = render(f, 3, FLAME_BYTES);
	assert_string_equal(
		got,
		"{\"name\":\"all\",\"value\":450,\"children\":["
		"{\"name\":\"main\",\"file\":\"x.c\",\"line\":1,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":450,\"children\":["
		"{\"name\":\"mid\",\"file\":\"x.c\",\"line\":5,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":400,\"children\":["
		"{\"name\":\"leaf_b\",\"file\":\"x.c\",\"line\":20,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":300,\"children\":[]},"
		"{\"name\":\"leaf_a\",\"file\":\"x.c\",\"line\":10,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":100,\"children\":[]}]},"
		"{\"name\":\"other\",\"file\":\"x.c\",\"line\":7,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":50,\"children\":["
		"{\"name\":\"leaf_a\",\"file\":\"x.c\",\"line\":10,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":50,\"children\":[]}]}]}]}");
	free(got);
	/* By allocations the order flips: other (5) before mid (3). */
	got = render(f, 3, FLAME_ALLOCS);
	assert_non_null(strstr(got, "{\"name\":\"all\",\"value\":8,"));
	assert_true(strstr(got, "\"other\"") < strstr(got, "\"mid\""));
	free(got);
	for (int i = 0; i < 3; i++)
		unmake(&f[i], 3);
}

static void test_same_function_other_line(void **state)
{
	static const char *const a[] = { "f:1", "main:1" };
	static const char *const b[] = { "f:2", "main:1" };
	struct fake f[2];
	struct an_site v[2];
	struct an_sites s = { .v = v, .n = 2 };
	struct flame_node root;

	(void)state;
	make(&f[0], 10, 1, 0, 2, a);
	make(&f[1], 10, 1, 0, 2, b);
	v[0] = f[0].site;
	v[1] = f[1].site;
	assert_int_equal(flame_build(&s, FLAME_BYTES, &root), 0);
	assert_int_equal(root.n, 1);
	assert_int_equal(root.kids[0].n, 2);
	assert_int_equal(root.kids[0].value, 20);
	flame_free(&root);
	for (int i = 0; i < 2; i++)
		unmake(&f[i], 2);
}

static void test_unknown_and_zero_weight(void **state)
{
	static const char *const a[] = { "?1", "main:1" };
	static const char *const b[] = { "?2", "main:1" };
	static const char *const c[] = { "f:3", "main:1" };
	struct fake f[3];
	char *got;

	(void)state;
	make(&f[0], 0, 1, 7, 2, a);
	make(&f[1], 0, 1, 9, 2, b);
	make(&f[2], 0, 1, 0, 2, c); /* no live bytes: left out */
	got = render(f, 3, FLAME_LIVE_BYTES);
	assert_non_null(strstr(got, "{\"name\":\"all\",\"value\":16,"));
	assert_non_null(strstr(
		got,
		"{\"name\":\"0x1002\",\"file\":null,\"line\":null,\"module\":null,\"offset\":null,\"inlined\":false,\"value\":9,"));
	assert_non_null(strstr(got, "{\"name\":\"0x1001\""));
	assert_null(strstr(got, "\"f\""));
	free(got);
	for (int i = 0; i < 3; i++)
		unmake(&f[i], 2);
}

static void test_empty(void **state)
{
	struct an_sites s = { 0 };
	struct flame_node root;
	struct json *j = json_new_buffer(0);
	char *got;

	(void)state;
	assert_int_equal(flame_build(&s, FLAME_BYTES, &root), 0);
	/* The tree is one value of the caller's document, written by the caller's writer. */
	json_obj_begin(j);
	json_key(j, "flame");
	flame_render(j, &root);
	json_kv_int(j, "after", 1);
	json_obj_end(j);
	got = json_take_buffer(j, NULL);
	assert_string_equal(got, "{\"flame\":{\"name\":\"all\",\"value\":0,\"children\":[]},"
				 "\"after\":1}");
	assert_int_equal(json_free(j), 0);
	free(got);
	flame_free(&root);
	flame_free(NULL);
}

/* 70 frames nest 142 JSON containers (an object and its children array per node). */
static void test_deep_stack(void **state)
{
	static char names[70][16];
	const char *ptrs[70];
	struct fake f;
	char *got;
	int opens = 0, closes = 0;

	(void)state;
	for (int i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "fn%d:%d", i, i + 1);
		ptrs[i] = names[i];
	}
	make(&f, 42, 1, 0, 70, ptrs);
	got = render(&f, 1, FLAME_BYTES);
	for (char *p = got; *p; p++) {
		opens += *p == '{';
		closes += *p == '}';
	}
	assert_int_equal(opens, 71);
	assert_int_equal(closes, 71);
	assert_true(strstr(got, "\"fn69\"") < strstr(got, "\"fn0\""));
	free(got);
	unmake(&f, 70);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_and_order),
		cmocka_unit_test(test_same_function_other_line),
		cmocka_unit_test(test_unknown_and_zero_weight),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_deep_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
