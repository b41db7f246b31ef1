/* Command-line options read the same way by every subcommand (see cliopt.h). */
#include "report/cliopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"

#define NAME_MAX_LEN 64

/* Optimal string alignment distance: edits, a swap of two neighbours counting one. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[NAME_MAX_LEN + 1][NAME_MAX_LEN + 1];

	if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *cliopt_closest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]), d = distance(word, names[i]);
		/* Two edits for names of 5 letters and more, one below: "--sot" is not "--top". */
		size_t max = len >= 5 ? 2 : 1;

		if (len >= 4 && !strncmp(word, names[i], len) && word[len] == '-')
			d = 1; /* --output-file: --output */
		if (d <= max && d < best_d) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* --completion-helper: what bash completes after the subcommand. */
static void list_options(const char *shortopts, const struct option *longopts)
{
	for (const char *s = shortopts; *s; s++)
		if (*s != '+' && *s != ':' && *s != '-')
			printf("-%c\n", *s);
	for (int i = 0; longopts[i].name; i++)
		printf("--%s%s\n", longopts[i].name,
		       longopts[i].has_arg == required_argument ? "=" : "");
	exit(fflush(stdout) ? 1 : 0);
}

/* The long option named by argv's word ("--name" or "--name=value"), without dashes. */
static void long_name(const char *word, char *name, size_t len)
{
	word += strspn(word, "-");
	snprintf(name, len, "%.*s", (int)strcspn(word, "="), word);
}

static void unknown_long(const char *word, const struct option *longopts)
{
	const char *names[64], *near;
	char name[128], seen[512] = "";
	size_t n = 0, nprefix = 0, used = 0;

	long_name(word, name, sizeof(name));
	for (int i = 0; longopts[i].name && n < 64; i++) {
		names[n++] = longopts[i].name;
		if (!strncmp(longopts[i].name, name, strlen(name)) && used < sizeof(seen)) {
			used += (size_t)snprintf(seen + used, sizeof(seen) - used, "%s--%s",
						 nprefix ? ", " : "", longopts[i].name);
			nprefix++;
		}
	}
	if (nprefix > 1) {
		fprintf(stderr, "heapscope: option '--%s' is ambiguous: %s\n", name, seen);
		return;
	}
	near = cliopt_closest(name, names, n);
	if (near)
		fprintf(stderr, "heapscope: unknown option '--%s'; did you mean '--%s'?\n", name,
			near);
	else
		fprintf(stderr, "heapscope: unknown option '--%s' (--help lists them)\n", name);
}

/* A long option's error with optopt its val: a value missing or one it does not take. optind
 * is past the option's word then; a short option's error may leave it inside a cluster. */
static int long_error(const char *word, const struct option *longopts)
{
	char name[128];

	if (word[0] != '-' || word[1] != '-')
		return 0;
	long_name(word, name, sizeof(name));
	for (int i = 0; longopts[i].name; i++)
		if (longopts[i].val == optopt && !strncmp(longopts[i].name, name, strlen(name)))
			return 1;
	return 0;
}

int cliopt_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char opts[128], name[128];
	const char *word;
	int plus = shortopts[0] == '+', c;

	/* A ':' first (after a '+'): getopt_long prints nothing and returns ':' for a value
	 * missing, '?' for an unknown option. */
	snprintf(opts, sizeof(opts), "%s:%s", plus ? "+" : "", shortopts + plus);
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	word = argv[optind - 1];
	long_name(word, name, sizeof(name));
	if (!optopt && !strcmp(word, "--completion-helper"))
		list_options(shortopts, longopts);
	else if (!optopt)
		unknown_long(word, longopts);
	else if (long_error(word, longopts))
		fprintf(stderr, "heapscope: option '--%s' %s\n", name,
			c == ':' ? "needs a value" : "takes no value");
	else if (c == ':')
		fprintf(stderr, "heapscope: option '-%c' needs a value\n", optopt);
	else
		fprintf(stderr, "heapscope: unknown option '-%c' (--help lists them)\n", optopt);
	return '?';
}

int cliopt_add_alloc_fn(const char **patterns, int *n, const char *arg)
{
	int ok = *arg && strlen(arg) < AN_ALLOC_FN_PATTERN_MAX && *n < AN_ALLOC_FN_MAX;

	for (const char *c = arg; ok && *c; c++)
		ok = (unsigned char)*c >= 0x20 && *c != 0x7f;
	if (!ok) {
		fprintf(stderr,
			"heapscope: --alloc-fn takes a pattern of 1 to %d printable bytes, at most %d"
			" of them\n",
			AN_ALLOC_FN_PATTERN_MAX - 1, AN_ALLOC_FN_MAX);
		return -EINVAL;
	}
	patterns[(*n)++] = arg;
	return 0;
}
