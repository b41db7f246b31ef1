/* Unit tests of the pprof encoder: exact wire bytes, interning, and `go tool pprof` reading it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/pprof.h"

static char tmpdir[] = "/tmp/test_pprof.XXXXXX";

static void expect_bytes(const struct pprof *p, const char *want, size_t want_len)
{
	unsigned char *got;
	size_t len;

	assert_int_equal(pprof_encode(p, &got, &len), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
}

#define EXPECT_BYTES(p, lit) expect_bytes(p, lit, sizeof(lit) - 1)

/* The four sample types and the string table's fixed head, as every profile starts. */
#define SAMPLE_TYPES                                                                               \
	"\x0a\x04\x08\x01\x10\x02" /* alloc_objects/count */                                       \
	"\x0a\x04\x08\x03\x10\x04" /* alloc_space/bytes */                                         \
	"\x0a\x04\x08\x05\x10\x02" /* inuse_objects/count */                                       \
	"\x0a\x04\x08\x06\x10\x04" /* inuse_space/bytes */
#define STRINGS_HEAD                                                                               \
	"\x32\x00"                                                                                 \
	"\x32\x0d"                                                                                 \
	"alloc_objects"                                                                            \
	"\x32\x05"                                                                                 \
	"count"                                                                                    \
	"\x32\x0b"                                                                                 \
	"alloc_space"                                                                              \
	"\x32\x05"                                                                                 \
	"bytes"                                                                                    \
	"\x32\x0d"                                                                                 \
	"inuse_objects"                                                                            \
	"\x32\x0b"                                                                                 \
	"inuse_space"                                                                              \
	"\x32\x05"                                                                                 \
	"space"
/* period_type {space, bytes}, period 1, default_sample_type inuse_space */
#define TRAILER                                                                                    \
	"\x5a\x04\x08\x07\x10\x04"                                                                 \
	"\x60\x01"                                                                                 \
	"\x70\x06"

static void test_bytes_symbolized(void **state)
{
	struct pprof *p = pprof_new();
	struct pprof_frame f = { .function = "f", .file = "a.c", .line = 3 };
	int64_t v[PPROF_NVALUES] = { 1, 300, 1, 300 };
	(void)state;

	assert_int_equal(pprof_add_sample(p, &f, 1, v), 0);
	pprof_set_time(p, 1000, 0);
	EXPECT_BYTES(p, SAMPLE_TYPES
		     /* sample {location_id [1] packed, value [1, 300, 1, 300] packed} */
		     "\x12\x0b"
		     "\x0a\x01\x01"
		     "\x12\x06\x01\xac\x02\x01\xac\x02"
		     /* location {id 1, line {function_id 1, line 3}} */
		     "\x22\x08"
		     "\x08\x01"
		     "\x22\x04\x08\x01\x10\x03"
		     /* function {id 1, name 8, system_name 8, filename 9} */
		     "\x2a\x08"
		     "\x08\x01\x10\x08\x18\x08\x20\x09" STRINGS_HEAD "\x32\x01"
		     "f"
		     "\x32\x03"
		     "a.c"
		     /* time_nanos 1000 */
		     "\x48\xe8\x07" TRAILER);
	pprof_free(p);
}

static void test_bytes_mapped_address(void **state)
{
	struct pprof *p = pprof_new();
	struct pprof_frame f = {
		.addr = 0x1234, .module = "m", .module_start = 0x1000, .module_end = 0x2000
	};
	int64_t v[PPROF_NVALUES] = { -1, 0, 0, 0 };
	(void)state;

	assert_int_equal(pprof_add_sample(p, &f, 1, v), 0);
	EXPECT_BYTES(p, SAMPLE_TYPES
		     /* sample {location_id [1], value [-1 (ten bytes), 0, 0, 0]} */
		     "\x12\x12"
		     "\x0a\x01\x01"
		     "\x12\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00"
		     /* mapping {id 1, start 0x1000, limit 0x2000, filename 9, has_* false: its
		      * frame has no function} */
		     "\x1a\x0a"
		     "\x08\x01\x10\x80\x20\x18\x80\x40\x28\x09"
		     /* location {id 1, mapping_id 1, address 0x1234, line {function_id 1}} */
		     "\x22\x0b"
		     "\x08\x01\x10\x01\x18\xb4\x24"
		     "\x22\x02\x08\x01"
		     /* function {id 1, name 8 ("m+0x0": module and offset), system_name 8} */
		     "\x2a\x06"
		     "\x08\x01\x10\x08\x18\x08" STRINGS_HEAD "\x32\x05"
		     "m+0x0"
		     "\x32\x01"
		     "m" TRAILER);
	pprof_free(p);
}

/* Reads one varint from *pos; the test's own minimal protobuf decoder. */
static uint64_t read_varint(const unsigned char *b, size_t len, size_t *pos)
{
	uint64_t v = 0;

	for (int shift = 0; *pos < len && shift < 64; shift += 7) {
		unsigned char c = b[(*pos)++];

		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	fail_msg("truncated varint at byte %zu", *pos);
	return 0;
}

/* Counts the profile's top-level fields by number, checking the framing on the way. */
static void count_fields(const struct pprof *p, size_t counts[16])
{
	unsigned char *b;
	size_t len, pos = 0;

	assert_int_equal(pprof_encode(p, &b, &len), 0);
	memset(counts, 0, 16 * sizeof(counts[0]));
	while (pos < len) {
		uint64_t tag = read_varint(b, len, &pos);

		assert_in_range(tag >> 3, 1, 15);
		counts[tag >> 3]++;
		if ((tag & 7) == 0)
			read_varint(b, len, &pos);
		else if ((tag & 7) == 2)
			pos += read_varint(b, len, &pos);
		else
			fail_msg("unexpected wire type %d", (int)(tag & 7));
	}
	assert_int_equal(pos, len);
	free(b);
}

static void test_interning(void **state)
{
	struct pprof *p = pprof_new();
	struct pprof_frame a = { "alloc", "x.c", 10, 0x1010, "/bin/x", "id", 0x1000, 0x9000, 0x10, 0 };
	struct pprof_frame a2 = { "alloc", "x.c", 12, 0x1020, "/bin/x", "id", 0x1000, 0x9000, 0x20, 0 };
	struct pprof_frame b = { "main", "x.c", 5, 0, NULL, NULL, 0, 0, 0, 0 };
	/* Unnamed: "y.so+0x0" and "y.so+0x8", by offset in the file. */
	struct pprof_frame u1 = { NULL, NULL, 0, 0x7000, "/lib/y.so", NULL, 0x7000, 0x8000, 0, 0 };
	struct pprof_frame u2 = { NULL, NULL, 0, 0x7008, "/lib/y.so", NULL, 0x7000, 0x8000, 8, 0 };
	/* Inlined into a: one location with two lines (helper's, then alloc's). */
	struct pprof_frame h = { "helper", "x.h", 3, 0x1010, "/bin/x", "id", 0x1000, 0x9000, 0x10, 1 };
	struct pprof_frame s1[] = { a, b }, s2[] = { a2, b }, s3[] = { u1, u2, a, b };
	struct pprof_frame s4[] = { h, a, b };
	int64_t v[PPROF_NVALUES] = { 1, 2, 3, 4 };
	size_t n[16];
	(void)state;

	assert_int_equal(pprof_add_sample(p, s1, 2, v), 0);
	assert_int_equal(pprof_add_sample(p, s1, 2, v), 0);
	assert_int_equal(pprof_add_sample(p, s2, 2, v), 0);
	assert_int_equal(pprof_add_sample(p, s3, 4, v), 0);
	assert_int_equal(pprof_add_sample(p, s4, 3, v), 0);
	assert_int_equal(pprof_add_sample(p, NULL, 0, v), 0);
	assert_int_equal(pprof_add_sample(p, s1, -1, v), -EINVAL);
	assert_int_equal(pprof_add_sample(p, NULL, 1, v), -EINVAL);
	count_fields(p, n);
	assert_int_equal(n[1], 4); /* sample types */
	assert_int_equal(n[2], 6); /* samples, the empty one included */
	assert_int_equal(n[3], 2); /* mappings: /bin/x, /lib/y.so */
	assert_int_equal(n[4], 6); /* locations: a, a2, b, u1, u2, helper+a */
	assert_int_equal(n[5], 5); /* functions: alloc, main, y.so+0x0, y.so+0x8, helper */
	/* strings: 8 fixed, alloc, x.c, /bin/x, id, main, y.so+0x0, /lib/y.so, y.so+0x8, helper,
	 * x.h */
	assert_int_equal(n[6], 18);
	pprof_free(p);
}

static int setup(void **state)
{
	char path[128];
	(void)state;

	if (!mkdtemp(tmpdir))
		return -1;
	/* go may want a home and a build cache; keep both away from the real ones. */
	snprintf(path, sizeof(path), "%s/gocache", tmpdir);
	setenv("HOME", tmpdir, 1);
	setenv("GOCACHE", path, 1);
	setenv("PPROF_TMPDIR", tmpdir, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs cmd through the shell; returns its output (stderr included), which the caller frees. */
static char *run(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	size_t len = 0, n;
	char *out = malloc(65536);

	assert_non_null(f);
	assert_non_null(out);
	while (len < 65535 && (n = fread(out + len, 1, 65535 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	*status = pclose(f);
	return out;
}

static void require_go(void)
{
	int status;
	char *out = run("go version 2>&1", &status);

	if (status != 0 || strncmp(out, "go version", 10))
		fail_msg("`go version` failed (%s): install golang-go (`make deps`); these tests "
			 "check heapscope's pprof files with `go tool pprof`",
			 out);
	free(out);
}

/* Three stacks with known values through the real `go tool pprof`. */
static void write_known_profile(const char *path)
{
	static const char *prog = "/usr/bin/prog";
	struct pprof_frame t[] = {
		{ "alloc_node", "tree.c", 10, 0x401010, prog, "abcd", 0x400000, 0x500000, 0x401010, 0 },
		{ "build_tree", "tree.c", 40, 0x401100, prog, "abcd", 0x400000, 0x500000, 0x401100, 0 },
		{ "main", "main.c", 5, 0x401200, prog, "abcd", 0x400000, 0x500000, 0x401200, 0 },
	};
	struct pprof_frame io[] = { { "read_line", "io.c", 22, 0, NULL, NULL, 0, 0, 0, 0 },
				    { "main", "main.c", 7, 0, NULL, NULL, 0, 0, 0, 0 } };
	/* No symbol: named by module and offset (a non-PIE executable's is its address). */
	struct pprof_frame anon[] = {
		{ NULL, NULL, 0, 0x401234, prog, "abcd", 0x400000, 0x500000, 0x401234, 0 }, t[2]
	};
	int64_t vt[] = { 100, 6400, 10, 640 }, vio[] = { 50, 204800, 50, 204800 };
	int64_t vanon[] = { 7, 700, 0, 0 };
	struct pprof *p = pprof_new();
	FILE *f = fopen(path, "w");

	assert_non_null(p);
	assert_non_null(f);
	assert_int_equal(pprof_add_sample(p, t, 3, vt), 0);
	assert_int_equal(pprof_add_sample(p, io, 2, vio), 0);
	assert_int_equal(pprof_add_sample(p, anon, 2, vanon), 0);
	pprof_set_time(p, 1700000000000000000LL, 2500000000LL);
	assert_int_equal(pprof_write_gz(p, f), 0);
	assert_int_equal(fclose(f), 0);
	pprof_free(p);
}

/* Runs `go tool pprof ARGS path` and returns its output. */
static char *go_pprof(const char *args, const char *path)
{
	char cmd[512];
	int status;
	char *out;

	snprintf(cmd, sizeof(cmd), "go tool pprof %s '%s' 2>&1", args, path);
	out = run(cmd, &status);
	if (status != 0)
		fail_msg("`%s` failed:\n%s", cmd, out);
	return out;
}

static void expect_contains(const char *out, const char *want)
{
	if (!strstr(out, want))
		fail_msg("expected \"%s\" in pprof's output:\n%s", want, out);
}

/* The function of -top's first row: the largest flat value. */
static void expect_top_function(const char *out, const char *want)
{
	const char *row = strstr(out, "flat  flat%");
	const char *end, *name;

	row = row ? strchr(row, '\n') : NULL;
	if (!row)
		fail_msg("no table in pprof's output:\n%s", out);
	end = strchr(++row, '\n');
	if (!end)
		end = row + strlen(row);
	for (name = end; name > row && name[-1] != ' '; name--)
		;
	if ((size_t)(end - name) != strlen(want) || memcmp(name, want, strlen(want)))
		fail_msg("expected %s at the top of:\n%s", want, out);
}

static void test_go_pprof_raw_and_top(void **state)
{
	char path[128];
	char *out;
	(void)state;

	require_go();
	snprintf(path, sizeof(path), "%s/known.pb.gz", tmpdir);
	write_known_profile(path);
	out = go_pprof("-raw", path);
	expect_contains(out, "PeriodType: space bytes\nPeriod: 1\n");
	expect_contains(out, "Duration: 2.5s\n");
	expect_contains(out, "alloc_objects/count alloc_space/bytes inuse_objects/count "
			     "inuse_space/bytes[dflt]\n");
	expect_contains(out, "        100       6400         10        640: 1 2 3 \n"
			     "         50     204800         50     204800: 4 5 \n"
			     "          7        700          0          0: 6 3 \n");
	expect_contains(out, "     3: 0x401200 M=1 main main.c:5 s=0\n");
	expect_contains(out, "     5: 0x0 main main.c:7 s=0\n");
	expect_contains(out, "     6: 0x401234 M=1 prog+0x401234 :0 s=0\n");
	/* A frame without a name: the mapping is not marked symbolized, so pprof looks for the
	 * file by build-id to symbolize it later (here it is not there). */
	expect_contains(out, "1: 0x400000/0x500000/0x0 /usr/bin/prog abcd \n");
	expect_contains(out, "Local symbolization failed for prog (build ID abcd)");
	free(out);
	out = go_pprof("-top -sample_index=alloc_space -unit=B -nodefraction=0", path);
	expect_contains(out, "Showing nodes accounting for 211900B, 100% of 211900B total\n");
	expect_top_function(out, "read_line");
	expect_contains(out, "6400B  3.02% 99.67%      6400B  3.02%  alloc_node\n");
	expect_contains(out, "700B  0.33%   100%       700B  0.33%  prog+0x401234\n");
	expect_contains(out, "0     0%   100%    211900B   100%  main\n");
	free(out);
}

static void test_go_pprof_sample_types(void **state)
{
	static const struct {
		const char *args, *type, *total, *top;
	} want[] = {
		{ "-sample_index=alloc_objects", "alloc_objects", "of 157 total", "alloc_node" },
		{ "-sample_index=alloc_space -unit=B", "alloc_space", "of 211900B total",
		  "read_line" },
		{ "-sample_index=inuse_objects", "inuse_objects", "of 60 total", "read_line" },
		{ "-sample_index=inuse_space -unit=B", "inuse_space", "of 205440B total",
		  "read_line" },
		{ "-unit=B", "inuse_space", "of 205440B total", "read_line" }, /* the default */
	};
	char path[128], args[128];
	(void)state;

	require_go();
	snprintf(path, sizeof(path), "%s/types.pb.gz", tmpdir);
	write_known_profile(path);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char type[64], *out;

		snprintf(args, sizeof(args), "-top -nodefraction=0 %s", want[i].args);
		snprintf(type, sizeof(type), "Type: %s\n", want[i].type);
		out = go_pprof(args, path);
		expect_contains(out, type);
		expect_contains(out, want[i].total);
		expect_top_function(out, want[i].top);
		free(out);
	}
}

static void test_write_error(void **state)
{
	struct pprof *p = pprof_new();
	FILE *f = fopen("/dev/full", "w");
	(void)state;

	assert_non_null(f);
	assert_int_equal(pprof_write_gz(p, f), -EIO);
	fclose(f);
	pprof_free(p);
	pprof_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_symbolized),
		cmocka_unit_test(test_bytes_mapped_address),
		cmocka_unit_test(test_interning),
		cmocka_unit_test(test_go_pprof_raw_and_top),
		cmocka_unit_test(test_go_pprof_sample_types),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
