/* libFuzzer harness: the daemon's configuration file (config_load) on fuzzed contents. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "tests/fuzz/fuzz_util.h"

static char path[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(path, sizeof(path), "%s/heapscope.conf", fuzz_scratch_dir("config"));
	return 0;
}

/* What a loaded file may hold: counts in range, every string terminated. */
static void check(const struct config *c)
{
	if (c->nrules < 0 || c->nrules > CONFIG_RULES_MAX || c->nallow_hosts < 0 ||
	    c->nallow_hosts > 16)
		abort();
	for (int i = 0; i < c->nrules; i++) {
		const struct config_rule *r = &c->rules[i];

		if (!memchr(r->name, 0, sizeof(r->name)) || !memchr(r->stack, 0, sizeof(r->stack)) ||
		    !memchr(r->push_url, 0, sizeof(r->push_url)) || !(r->window_s > 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = malloc(sizeof(*c));
	char err[512] = "";

	if (!c)
		abort();
	fuzz_write_file(path, data, size);
	config_defaults(c);
	if (!config_load(path, c, err, sizeof(err)))
		check(c);
	else if (!memchr(err, 0, sizeof(err)) || !err[0])
		abort(); /* an error always says what is wrong */
	free(c);
	return 0;
}
