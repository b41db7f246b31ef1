/* Unit tests of the daemon's configuration file: every key's value, the defaults, and each
 * mistake reported as "FILE:LINE: what is wrong". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

struct loaded {
	char path[64];
	struct config c;
	char err[512];
	int rc;
};

/* Writes text to a temporary file and loads it over the defaults. */
static void load(struct loaded *l, const char *text)
{
	int fd;

	snprintf(l->path, sizeof(l->path), "/tmp/hs-config.XXXXXX");
	fd = mkstemp(l->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config_defaults(&l->c);
	l->err[0] = '\0';
	l->rc = config_load(l->path, &l->c, l->err, sizeof(l->err));
	unlink(l->path);
}

/* The error after "FILE:", that is "LINE: what". */
static const char *after_path(const struct loaded *l)
{
	size_t n = strlen(l->path);

	assert_memory_equal(l->err, l->path, n);
	assert_int_equal(l->err[n], ':');
	return l->err + n + 1;
}

static void expect_error(const char *text, const char *want)
{
	struct loaded l;

	load(&l, text);
	assert_int_equal(l.rc, -EINVAL);
	assert_string_equal(after_path(&l), want);
}

static void test_full_file(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "# the service\n"
		 "[daemon]\n"
		 "data = /srv/heapscope\n"
		 "bind = 0.0.0.0\n"
		 "port = 7171\n"
		 "running_max = 4\n"
		 "quota = 2G\n"
		 "allow_host = box.example\n"
		 "allow_host = box\n"
		 "\n"
		 "  [rule web]   \n"
		 "comm = nginx\n"
		 "window = 10m\n"
		 "sample = 64K\n"
		 "stack = fp\n"
		 "keep = 6\n"
		 "keep_bytes = 512M\n"
		 "push_url = http://pyroscope:4040\n"
		 "push_format = pyroscope\n"
		 "[rule batch]\n"
		 "\tcgroup = /system.slice/batch.service\n"
		 "window=90\n"
		 "sample=0\n"
		 "push_url = http://127.0.0.1:9/p\n"
		 "push_format = pprof\n");
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.c.data_dir, "/srv/heapscope");
	assert_string_equal(l.c.bind, "0.0.0.0");
	assert_int_equal(l.c.port, 7171);
	assert_int_equal(l.c.running_max, 4);
	assert_int_equal(l.c.quota_bytes, 2LL << 30);
	assert_int_equal(l.c.nallow_hosts, 2);
	assert_string_equal(l.c.allow_hosts[0], "box.example");
	assert_string_equal(l.c.allow_hosts[1], "box");
	assert_int_equal(l.c.nrules, 2);
	assert_string_equal(l.c.rules[0].name, "web");
	assert_string_equal(l.c.rules[0].comm, "nginx");
	assert_string_equal(l.c.rules[0].cgroup, "");
	assert_true(l.c.rules[0].window_s == 600.0);
	assert_int_equal(l.c.rules[0].sample_bytes, 64 * 1024);
	assert_string_equal(l.c.rules[0].stack, "fp");
	assert_int_equal(l.c.rules[0].keep, 6);
	assert_int_equal(l.c.rules[0].keep_bytes, 512LL << 20);
	assert_string_equal(l.c.rules[0].push_url, "http://pyroscope:4040");
	assert_string_equal(l.c.rules[0].push_format, "pyroscope");
	assert_string_equal(l.c.rules[1].name, "batch");
	assert_string_equal(l.c.rules[1].cgroup, "/system.slice/batch.service");
	assert_true(l.c.rules[1].window_s == 90.0);
	assert_int_equal(l.c.rules[1].sample_bytes, 0);
	assert_string_equal(l.c.rules[1].push_format, "pprof");
}

static void test_defaults(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "[rule r]\ncomm = churn\n");
	assert_int_equal(l.rc, 0);
	assert_string_equal(l.c.data_dir, "/var/lib/heapscope");
	assert_string_equal(l.c.bind, "127.0.0.1");
	assert_int_equal(l.c.port, 7070);
	assert_int_equal(l.c.running_max, CATALOG_RUNNING_MAX);
	assert_int_equal(l.c.quota_bytes, 0);
	assert_int_equal(l.c.nallow_hosts, 0);
	assert_true(l.c.rules[0].window_s == CONFIG_RULE_WINDOW_S);
	assert_int_equal(l.c.rules[0].sample_bytes, 128 * 1024);
	assert_string_equal(l.c.rules[0].stack, "dwarf");
	assert_int_equal(l.c.rules[0].keep, CONFIG_RULE_KEEP);
	assert_int_equal(l.c.rules[0].keep_bytes, 0);
	assert_string_equal(l.c.rules[0].push_url, "");
	assert_string_equal(l.c.rules[0].push_format, "pyroscope");
}

static void test_empty_file(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "# nothing but comments\n\n");
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.c.nrules, 0);
	assert_int_equal(l.c.port, 7070);
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("[daemon]\nport = 1\nprot = 2\n", "3: unknown key 'prot' in [daemon]");
	expect_error("[rule a]\ncomm = x\nwindows = 2\n", "3: unknown key 'windows' in [rule a]");
	/* allow_host belongs to [daemon] only */
	expect_error("[rule a]\ncomm = x\nallow_host = h\n",
		     "3: unknown key 'allow_host' in [rule a]");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("[daemon]\nport = 70000\n",
		     "2: bad value for port '70000': a port number from 1 to 65535");
	expect_error("[daemon]\nport = 80x\n",
		     "2: bad value for port '80x': a port number from 1 to 65535");
	expect_error("[daemon]\nrunning_max = 0\n",
		     "2: bad value for running_max '0': a count from 1 to 1024");
	expect_error("[daemon]\nquota = 5X\n",
		     "2: bad value for quota '5X': a byte count, with an optional K, M, G or T suffix");
	expect_error("[daemon]\ndata =\n", "2: bad value for data '': a directory path");
	expect_error("[rule a]\ncomm = x\nwindow = 0\n",
		     "3: bad value for window '0': seconds above 0, or with a suffix s, m or h "
		     "(90, 10m, 1h)");
	expect_error("[rule a]\ncomm = x\nwindow = 10d\n",
		     "3: bad value for window '10d': seconds above 0, or with a suffix s, m or h "
		     "(90, 10m, 1h)");
	expect_error("[rule a]\ncomm = x\nsample = 8G\n",
		     "3: bad value for sample '8G': a byte count up to 4G with an optional K, M or G "
		     "suffix, 0 (exact) or default");
	expect_error("[rule a]\ncomm = x\nstack = lbr\n",
		     "3: bad value for stack 'lbr': dwarf, fp or caller");
	expect_error("[rule a]\ncomm = x\npush_format = otlp\n",
		     "3: bad value for push_format 'otlp': pyroscope or pprof");
	expect_error("[rule a]\ncomm = x\npush_url = ftp://h/\n",
		     "3: bad value for push_url 'ftp://h/': an http:// or https:// URL");
	expect_error("[rule a]\ncomm = x\nkeep = -1\n",
		     "3: bad value for keep '-1': a count of windows (0: no limit)");
	expect_error("[rule a]\ncomm = a_name_of_16_chr\n",
		     "2: bad value for comm 'a_name_of_16_chr': a process name of 1 to 15 characters "
		     "(/proc/PID/comm)");
	expect_error("[rule a]\ncgroup = system.slice\n",
		     "2: bad value for cgroup 'system.slice': a cgroup v2 path starting with /");
}

static void test_rules(void **state)
{
	(void)state;
	expect_error("[rule a]\ncomm = x\n\n[rule a]\ncomm = y\n",
		     "4: duplicate rule 'a' (first at line 1)");
	expect_error("[rule a]\nwindow = 2\n[rule b]\ncomm = y\n",
		     "1: rule 'a' matches nothing: give it comm or cgroup (or both)");
	/* the last section is checked at the end of the file too */
	expect_error("[daemon]\n[rule last]\nkeep = 2\n",
		     "2: rule 'last' matches nothing: give it comm or cgroup (or both)");
	expect_error("[rule a b]\ncomm = x\n",
		     "1: bad rule name 'a b': 1 to 63 letters, digits, '_', '.' or '-'");
	expect_error("[rule ]\ncomm = x\n", "1: unknown section [rule]: [daemon] or [rule NAME]");
}

static void test_structure(void **state)
{
	(void)state;
	expect_error("port = 1\n",
		     "1: 'port' outside any section: begin with [daemon] or [rule NAME]");
	expect_error("[daemon]\nport 1\n", "2: expected 'key = value' or a [section], got 'port 1'");
	expect_error("[demon]\n", "1: unknown section [demon]: [daemon] or [rule NAME]");
	expect_error("[daemon\n", "1: bad section header '[daemon': [daemon] or [rule NAME]");
	expect_error("[daemon]\n[daemon]\n", "2: duplicate section [daemon] (first at line 1)");
	expect_error("[daemon]\nport = 1\nport = 2\n", "3: port given twice in this section");
	expect_error("[rule a]\ncomm = x\ncomm = y\n", "3: comm given twice in this section");
}

static void test_missing_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load("/nonexistent/hs.conf", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/hs.conf: cannot open: No such file or directory");
}

static void test_value_parsers(void **state)
{
	int64_t b = -1;
	double s = -1;

	(void)state;
	assert_int_equal(config_parse_bytes("0", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(config_parse_bytes("1k", &b), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(config_parse_bytes("3MiB", &b), 0);
	assert_int_equal(b, 3 << 20);
	assert_int_equal(config_parse_bytes("1.5G", &b), 0);
	assert_int_equal(b, 3LL << 29);
	assert_int_equal(config_parse_bytes("2T", &b), 0);
	assert_int_equal(b, 2LL << 40);
	assert_int_equal(config_parse_bytes("1.5", &b), -EINVAL);
	assert_int_equal(config_parse_bytes("-1", &b), -EINVAL);
	assert_int_equal(config_parse_bytes("K", &b), -EINVAL);
	assert_int_equal(config_parse_bytes("1KX", &b), -EINVAL);
	assert_int_equal(config_parse_bytes("99999999T", &b), -EINVAL);
	assert_int_equal(config_parse_sample("default", &b), 0);
	assert_int_equal(b, 128 * 1024);
	assert_int_equal(config_parse_sample("4G", &b), 0);
	assert_int_equal(b, 4LL << 30);
	assert_int_equal(config_parse_sample("4097M", &b), -EINVAL);
	assert_int_equal(config_parse_seconds("2", &s), 0);
	assert_true(s == 2.0);
	assert_int_equal(config_parse_seconds("0.5", &s), 0);
	assert_true(s == 0.5);
	assert_int_equal(config_parse_seconds("30s", &s), 0);
	assert_true(s == 30.0);
	assert_int_equal(config_parse_seconds("1h", &s), 0);
	assert_true(s == 3600.0);
	assert_int_equal(config_parse_seconds("0", &s), -EINVAL);
	assert_int_equal(config_parse_seconds("-5", &s), -EINVAL);
	assert_int_equal(config_parse_seconds("1hm", &s), -EINVAL);
	assert_int_equal(config_parse_seconds("nan", &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),   cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file),  cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),  cmocka_unit_test(test_rules),
		cmocka_unit_test(test_structure),   cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_value_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
