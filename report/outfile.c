/* One way to write an output file, for report and diff alike. */
#include "report/outfile.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Straight into f, which is closed unless it is stdout. */
static int write_direct(FILE *f, int (*render)(FILE *, void *), void *ctx)
{
	int e;

	if (!f)
		return -errno;
	e = render(f, ctx);
	if (!e && fflush(f))
		e = -errno;
	if (f != stdout && fclose(f) && !e)
		e = -errno;
	return e;
}

int outfile_write(const char *path, int (*render)(FILE *f, void *ctx), void *ctx)
{
	char tmp[PATH_MAX];
	struct stat st;
	FILE *f;
	int e;

	if (!path)
		return write_direct(stdout, render, ctx);
	if (!stat(path, &st) && !S_ISREG(st.st_mode))
		return write_direct(fopen(path, "we"), render, ctx);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	e = render(f, ctx);
	if (fclose(f) && !e)
		e = -errno;
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}
