/* Unit tests of the JSON writer: separators, pretty printing, escaping, numbers, sinks, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/json.h"

/* Takes the buffer writer's text, frees the writer, and checks both. */
static void expect_text(struct json *j, const char *want)
{
	size_t len = 0;
	char *got = json_take_buffer(j, &len);

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(json_free(j), 0);
	free(got);
}

/* One string value, compact. */
static void expect_str(const char *in, size_t len, const char *want)
{
	struct json *j = json_new_buffer(0);

	json_strn(j, in, len);
	expect_text(j, want);
}

static void write_doc(struct json *j)
{
	json_obj_begin(j);
	json_kv_int(j, "a", 1);
	json_key(j, "b");
	json_arr_begin(j);
	json_int(j, 1);
	json_str(j, "two");
	json_obj_begin(j);
	json_kv_null(j, "c");
	json_kv_bool(j, "t", 1);
	json_obj_end(j);
	json_arr_end(j);
	json_key(j, "d");
	json_obj_begin(j);
	json_obj_end(j);
	json_key(j, "e");
	json_arr_begin(j);
	json_arr_end(j);
	json_kv_str(j, "f", NULL);
	json_kv_bool(j, "g", 0);
	json_obj_end(j);
}

static void test_compact(void **state)
{
	struct json *j = json_new_buffer(0);
	(void)state;

	write_doc(j);
	expect_text(j, "{\"a\":1,\"b\":[1,\"two\",{\"c\":null,\"t\":true}],\"d\":{},\"e\":[],"
		       "\"f\":null,\"g\":false}");
}

static void test_pretty(void **state)
{
	struct json *j = json_new_buffer(1);
	(void)state;

	write_doc(j);
	expect_text(j, "{\n"
		       "  \"a\": 1,\n"
		       "  \"b\": [\n"
		       "    1,\n"
		       "    \"two\",\n"
		       "    {\n"
		       "      \"c\": null,\n"
		       "      \"t\": true\n"
		       "    }\n"
		       "  ],\n"
		       "  \"d\": {},\n"
		       "  \"e\": [],\n"
		       "  \"f\": null,\n"
		       "  \"g\": false\n"
		       "}");
}

static void test_scalar_top_level(void **state)
{
	struct json *j = json_new_buffer(1);
	(void)state;

	json_str(j, "x");
	expect_text(j, "\"x\"");
	j = json_new_buffer(0);
	json_arr_begin(j);
	json_arr_end(j);
	expect_text(j, "[]");
}

static void test_escapes(void **state)
{
	struct json *j;
	(void)state;

	expect_str("\"\\\n\t\r\b\f", 7, "\"\\\"\\\\\\n\\t\\r\\b\\f\"");
	expect_str("\x01\x1f\x7f~ ", 5, "\"\\u0001\\u001f\x7f~ \"");
	expect_str("a\0b", 3, "\"a\\u0000b\"");
	expect_str("/path/x", 7, "\"/path/x\"");
	/* The key goes through the same escaping. */
	j = json_new_buffer(0);
	json_obj_begin(j);
	json_kv_str(j, "k\"\n", "v");
	json_obj_end(j);
	expect_text(j, "{\"k\\\"\\n\":\"v\"}");
}

static void test_script_safety(void **state)
{
	(void)state;
	expect_str("</script><script>alert(1)</script>", 34,
		   "\"<\\/script><script>alert(1)<\\/script>\"");
	expect_str("</SCRIPT", 8, "\"<\\/SCRIPT\"");
	expect_str("<!-- x -->", 10, "\"\\u003c!-- x -->\"");
	expect_str("a<b/c <", 7, "\"a<b/c <\"");
	/* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR */
	expect_str("a\xe2\x80\xa8"
		   "b\xe2\x80\xa9",
		   8, "\"a\\u2028b\\u2029\"");
}

static void test_utf8(void **state)
{
	(void)state;
	/* é, €, 😀 and U+FFFF, U+10FFFF, U+E000 pass through unchanged. */
	expect_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		   "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	expect_str("\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80", 10,
		   "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\xee\x80\x80\"");
	/* A stray byte, a stray continuation byte: one U+FFFD each. */
	expect_str("a\xff"
		   "b\x80"
		   "c",
		   5,
		   "\"a\xef\xbf\xbd"
		   "b\xef\xbf\xbd"
		   "c\"");
	/* Overlong encodings of '/' (C0 AF) and of U+0000 in three bytes (E0 80 80). */
	expect_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xe0\x80\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* A truncated sequence is one U+FFFD, whether at the end or before ASCII. */
	expect_str("\xe2\x82", 2, "\"\xef\xbf\xbd\"");
	expect_str("\xe2\x82"
		   "A\xf0\x9f\x98",
		   6,
		   "\"\xef\xbf\xbd"
		   "A\xef\xbf\xbd\"");
	/* A UTF-16 surrogate (U+D800) and a code point above U+10FFFF. */
	expect_str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xf5\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void test_integers(void **state)
{
	struct json *j = json_new_buffer(0);
	(void)state;

	json_arr_begin(j);
	json_int(j, INT64_MIN);
	json_int(j, INT64_MAX);
	json_int(j, -1);
	json_int(j, 0);
	json_uint(j, UINT64_MAX);
	json_uint(j, 0);
	json_arr_end(j);
	expect_text(j, "[-9223372036854775808,9223372036854775807,-1,0,18446744073709551615,0]");
}

static void test_doubles(void **state)
{
	struct json *j = json_new_buffer(0);
	(void)state;

	json_arr_begin(j);
	json_double(j, 0.1);
	json_double(j, 1.0 / 3);
	json_double(j, 2.5);
	json_double(j, 3.0);
	json_double(j, -0.0);
	json_double(j, 1e300);
	json_double(j, 123456789012345678.0);
	json_double(j, DBL_MAX);
	json_double(j, 1e-7);
	json_double(j, NAN);
	json_double(j, INFINITY);
	json_double(j, -INFINITY);
	json_arr_end(j);
	expect_text(j, "[0.1,0.3333333333333333,2.5,3,-0,1e+300,1.2345678901234568e+17,"
		       "1.7976931348623157e+308,1e-07,null,null,null]");
}

static void test_kv_helpers(void **state)
{
	struct json *j = json_new_buffer(0);
	(void)state;

	json_obj_begin(j);
	json_kv_str(j, "s", "x");
	json_kv_int(j, "i", -5);
	json_kv_uint(j, "u", 5);
	json_kv_double(j, "d", 0.25);
	json_kv_bool(j, "b", 1);
	json_kv_null(j, "n");
	json_obj_end(j);
	expect_text(j, "{\"s\":\"x\",\"i\":-5,\"u\":5,\"d\":0.25,\"b\":true,\"n\":null}");
}

static void test_buffer_sink(void **state)
{
	struct json *j = json_new_buffer(0);
	size_t len = 1;
	char *s;
	(void)state;

	/* Nothing written yet: an empty string. */
	s = json_take_buffer(j, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	/* Growth well past the first allocation. */
	json_arr_begin(j);
	for (int i = 0; i < 10000; i++)
		json_int(j, 1000000 + i);
	json_arr_end(j);
	s = json_take_buffer(j, &len);
	assert_non_null(s);
	assert_int_equal(len, 2 + 10000 * 8 - 1);
	assert_memory_equal(s, "[1000000,1000001,", 17);
	assert_memory_equal(s + len - 9, ",1009999]", 9);
	free(s);
	/* The buffer was handed over: the writer's is empty again. */
	s = json_take_buffer(j, &len);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(json_free(j), 0);
}

static void test_file_sink(void **state)
{
	char *mem = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&mem, &size);
	struct json *j = json_new_file(f, 0);
	(void)state;

	assert_non_null(j);
	assert_null(json_take_buffer(j, NULL));
	write_doc(j);
	assert_int_equal(json_error(j), 0);
	assert_int_equal(json_free(j), 0);
	fclose(f);
	assert_string_equal(mem, "{\"a\":1,\"b\":[1,\"two\",{\"c\":null,\"t\":true}],\"d\":{},"
				 "\"e\":[],\"f\":null,\"g\":false}");
	free(mem);
	assert_null(json_new_file(NULL, 0));
	assert_int_equal(json_free(NULL), 0);
}

/* Each misuse the writer can see (it keeps no per-level state, see json.h) poisons it with
 * -EINVAL and stops output. */
static void test_misuse(void **state)
{
	struct json *j;
	(void)state;

	j = json_new_buffer(0); /* a key at the top level */
	json_key(j, "k");
	assert_int_equal(json_error(j), -EINVAL);
	assert_null(json_take_buffer(j, NULL));
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* two keys in a row */
	json_obj_begin(j);
	json_key(j, "k");
	json_key(j, "l");
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* a key without its value */
	json_obj_begin(j);
	json_key(j, "k");
	json_obj_end(j);
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* a NULL key */
	json_obj_begin(j);
	json_key(j, NULL);
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* closing more than was opened */
	json_arr_begin(j);
	json_arr_end(j);
	json_arr_end(j);
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* left open */
	json_arr_begin(j);
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* left open deep down */
	for (int i = 0; i < 200; i++)
		json_arr_begin(j);
	for (int i = 0; i < 199; i++)
		json_arr_end(j);
	assert_int_equal(json_free(j), -EINVAL);

	j = json_new_buffer(0); /* two top-level values */
	json_int(j, 1);
	json_int(j, 2);
	assert_int_equal(json_free(j), -EINVAL);
}

#define DEEP 200

/* DEEP levels of {"k":[...]} pairs (2 * DEEP containers) around 7, then one more item at every
 * level on the way out: nesting has no cap, and each level's comma state survives the levels
 * opened and closed inside it. */
static void write_deep(struct json *j)
{
	for (int i = 0; i < DEEP; i++) {
		json_obj_begin(j);
		json_key(j, "k");
		json_arr_begin(j);
	}
	json_int(j, 7);
	for (int i = 0; i < DEEP; i++) {
		json_arr_end(j);
		json_kv_int(j, "n", i);
		json_obj_end(j);
	}
}

static void test_deep_nesting(void **state)
{
	struct json *j = json_new_buffer(0);
	char *want = malloc(DEEP * 24 + 2), *w = want;
	(void)state;

	assert_non_null(want);
	for (int i = 0; i < DEEP; i++)
		w += sprintf(w, "{\"k\":[");
	w += sprintf(w, "7");
	for (int i = 0; i < DEEP; i++)
		w += sprintf(w, "],\"n\":%d}", i);
	write_deep(j);
	assert_int_equal(json_error(j), 0);
	expect_text(j, want);
	free(want);
}

/* Pretty mode indents every level by two more spaces, however deep. */
static void test_deep_nesting_pretty(void **state)
{
	struct json *j = json_new_buffer(1);
	size_t len = 0, depth = 2 * DEEP;
	char *s, *seven, *line;
	(void)state;

	write_deep(j);
	s = json_take_buffer(j, &len);
	assert_non_null(s);
	assert_int_equal(json_free(j), 0);
	seven = strchr(s, '7'); /* the innermost value: no key holds a 7 */
	assert_non_null(seven);
	line = seven;
	while (line > s && line[-1] == ' ')
		line--;
	assert_int_equal(seven - line, 2 * depth);
	assert_int_equal(line[-1], '\n');
	/* The outermost object closes on its own line, unindented, after its last key. */
	assert_int_equal(s[len - 1], '}');
	assert_int_equal(s[len - 2], '\n');
	assert_non_null(strstr(s, "\n  \"n\": 199\n}"));
	free(s);
}

static void write_big(struct json *j)
{
	json_arr_begin(j);
	for (int i = 0; i < 20000; i++)
		json_str(j, "some text that will not fit");
	json_arr_end(j);
}

static void test_write_error_fmemopen(void **state)
{
	char small[16];
	FILE *f = fmemopen(small, sizeof(small), "w");
	struct json *j = json_new_file(f, 0);
	(void)state;

	assert_non_null(j);
	json_arr_begin(j);
	json_str(j, "longer than sixteen bytes");
	json_arr_end(j);
	assert_int_equal(json_free(j), -EIO);
	fclose(f);
}

static void test_write_error_dev_full(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct json *j;
	(void)state;

	assert_non_null(f);
	j = json_new_file(f, 1);
	write_big(j);
	/* stdio's buffer filled and failed long before the end. */
	assert_int_equal(json_error(j), -EIO);
	assert_int_equal(json_free(j), -EIO);
	fclose(f);
}

static void test_write_error_closed_pipe(void **state)
{
	int fds[2];
	FILE *f;
	struct json *j;
	(void)state;

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	f = fdopen(fds[1], "w");
	assert_non_null(f);
	j = json_new_file(f, 0);
	write_big(j);
	assert_int_equal(json_free(j), -EIO);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_scalar_top_level),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_script_safety),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_kv_helpers),
		cmocka_unit_test(test_buffer_sink),
		cmocka_unit_test(test_file_sink),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_deep_nesting_pretty),
		cmocka_unit_test(test_write_error_fmemopen),
		cmocka_unit_test(test_write_error_dev_full),
		cmocka_unit_test(test_write_error_closed_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
