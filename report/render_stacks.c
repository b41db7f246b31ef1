/* The sites as whole stacks for other tools: collapsed stacks (flamegraph.pl, speedscope) and
 * pprof profiles (go tool pprof, Pyroscope, Parca). A sampled recording's values are the sites'
 * estimates (sums of weights), as every other format's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/pprof.h"
#include "report/report.h"

static int64_t site_value(const struct an_site *s, const char *value)
{
	if (!strcmp(value, "allocs"))
		return s->allocs;
	if (!strcmp(value, "live_bytes"))
		return s->live_bytes;
	if (!strcmp(value, "live_blocks"))
		return s->live_blocks;
	return s->bytes;
}

/* A frame's name in a collapsed line: ';' separates frames, so it cannot appear in one. */
static void collapsed_frame(FILE *out, const struct an_frame *f)
{
	char name[512];
	const char *p = report_frame_name(f, name, sizeof(name));

	for (; *p; p++)
		fputc(*p == ';' || *p == '\n' ? ':' : *p, out);
	if (f->inlined)
		fputs("_[i]", out); /* flamegraph.pl's mark of an inlined frame */
}

int report_collapsed(FILE *out, const struct an_sites *sites, const char *value)
{
	for (size_t i = 0; i < sites->n; i++) {
		const struct an_site *s = &sites->v[i];
		int64_t v = site_value(s, value);

		if (!v)
			continue;
		if (!s->stack.depth)
			fputs("[unknown]", out);
		for (int k = s->stack.depth - 1; k >= 0; k--) {
			collapsed_frame(out, &s->stack.frames[k]);
			if (k)
				fputc(';', out);
		}
		fprintf(out, " %" PRId64 "\n", v);
	}
	return ferror(out) ? -EIO : 0;
}

int report_pprof(FILE *out, const struct report_data *d)
{
	struct pprof *p = pprof_new();
	int err = p ? pprof_set_sampling(p, d->sample_bytes) : -ENOMEM;

	for (size_t i = 0; i < d->sites.n && !err; i++) {
		const struct an_site *s = &d->sites.v[i];
		const int64_t values[4] = { s->allocs, s->bytes, s->live_blocks, s->live_bytes };

		err = pprof_add_stack(p, &s->stack, values);
	}
	if (!err) {
		pprof_set_time(p, d->summary.start_time_ns, d->summary.duration_ns);
		err = pprof_write_gz(p, out);
	}
	pprof_free(p);
	return err;
}
