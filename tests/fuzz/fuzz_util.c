/* What the libFuzzer harnesses share (see fuzz_util.h). */
#include "tests/fuzz/fuzz_util.h"

#include "store/analysis.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[PATH_MAX];

char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

char *fuzz_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (!nl)
		return s + strlen(s);
	*nl = 0;
	return nl + 1;
}

void fuzz_params(char *s, struct params *p)
{
	char *save = NULL;

	*p = (struct params){ .n = 0 };
	for (char *part = strtok_r(s, "&", &save); part; part = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(part, '=');

		if (p->n == PARAMS_MAX) {
			p->overflow = 1;
			return;
		}
		if (eq)
			*eq = 0;
		p->name[p->n] = part;
		p->value[p->n++] = eq ? eq + 1 : NULL;
	}
}

static void remove_scratch(void)
{
	char cmd[PATH_MAX + 16];

	/* The path is ours (fixed prefix and a pid): no quoting needed. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	if (system(cmd))
		fprintf(stderr, "fuzz: could not remove %s\n", scratch);
}

const char *fuzz_scratch_dir(const char *name)
{
	snprintf(scratch, sizeof(scratch), "/tmp/hs-fuzz-%s-%d", name, (int)getpid());
	if (mkdir(scratch, 0700)) {
		perror(scratch);
		abort();
	}
	atexit(remove_scratch);
	return scratch;
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd)) {
		perror(path);
		abort();
	}
}

void fuzz_copy_fixture(const char *path)
{
	FILE *f = fopen(FUZZ_FIXTURE, "rb");
	static char buf[1 << 20];
	size_t n;

	if (!f) {
		perror(FUZZ_FIXTURE);
		abort();
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || !feof(f)) {
		fprintf(stderr, "fuzz: cannot read all of %s (at most 1 MiB)\n", FUZZ_FIXTURE);
		abort();
	}
	fclose(f);
	fuzz_write_file(path, buf, n);
	fuzz_check_recording(path);
}

void fuzz_check_recording(const char *path)
{
	struct store_reader *r;
	char err[512];

	if (store_reader_open(path, &r, err, sizeof(err))) {
		fprintf(stderr, "fuzz: the fixture does not open (%s): remake it (make fuzz-bins)\n",
			err);
		abort();
	}
	store_reader_close(r);
}
