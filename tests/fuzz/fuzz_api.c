/* libFuzzer harness: serve's JSON API (routing and parameter checks through the real handlers)
 * on the committed fixture recording. Input: "ROUTE\nname=value&name&...". */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/api.h"
#include "tests/fuzz/fuzz_util.h"

static char db_path[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(db_path, sizeof(db_path), "%s/fixture.db", fuzz_scratch_dir("api"));
	fuzz_copy_fixture(db_path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *route = fuzz_str(data, size);
	char *query = fuzz_line(route);
	struct api_reply out;
	struct params p;

	fuzz_params(query, &p);
	api_handle(db_path, route, &p, &out);
	/* The contract: a status from the documented set and a body, always. */
	if (!out.body || (out.status != 200 && out.status != 400 && out.status != 404 &&
			  out.status != 500 && out.status != 503))
		abort();
	free(out.body);
	free(route);
	return 0;
}
