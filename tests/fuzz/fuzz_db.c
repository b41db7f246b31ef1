/* libFuzzer harness: a recording from an untrusted source (a download, a file from another
 * machine). The input IS the database file; seeded with the fixture (build/fuzz/fixture/, passed
 * as a corpus directory), the fuzzer mutates its pages. Every reader of a recording runs on it: report_export in every format, the API's
 * routes and diff. Errors are expected; crashes, leaks and undefined behaviour are not. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/diff.h"
#include "report/report.h"
#include "server/api.h"
#include "store/analysis.h"
#include "tests/fuzz/fuzz_util.h"

static char db_path[PATH_MAX], wal_path[PATH_MAX], shm_path[PATH_MAX];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_scratch_dir("db");

	(void)argc, (void)argv;
	snprintf(db_path, sizeof(db_path), "%s/input.db", dir);
	snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path);
	snprintf(shm_path, sizeof(shm_path), "%s-shm", db_path);
	fuzz_check_recording(FUZZ_FIXTURE); /* the seed corpus: it must reach past the checks */
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static void exports(void)
{
	static const char *const FORMATS[] = { "text", "json", "csv", "pprof", "collapsed",
					       "html" };
	char err[512];

	for (size_t i = 0; i < sizeof(FORMATS) / sizeof(FORMATS[0]); i++)
		report_export(db_path, FORMATS[i], devnull, err, sizeof(err));
}

/* The routes with their defaults, and the ones that take a site or a process. */
static void api_routes(void)
{
	static const char *const ROUTES[] = { "summary", "sites", "site", "leaks", "lifetimes",
					      "sizes", "timeline", "errors", "advice", "flame" };
	static const char *const SITE = "1", *const PID = "1";
	struct params none = { .n = 0 };
	struct params site = { .name = { "id" }, .value = { SITE }, .n = 1 };
	struct params pid = { .name = { "pid" }, .value = { PID }, .n = 1 };
	struct api_reply out;

	for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++) {
		api_handle(db_path, ROUTES[i], strcmp(ROUTES[i], "site") ? &none : &site, &out);
		free(out.body);
	}
	api_handle(db_path, "sites", &pid, &out);
	free(out.body);
}

static void diffs(void)
{
	struct diff_side whole = { .db_path = db_path, .from_ns = -1, .to_ns = -1 };
	struct diff_side window = { .db_path = db_path, .from_ns = 1000000, .to_ns = 50000000 };
	const char *paths[] = { db_path, db_path };
	char err[512], *json = NULL;
	size_t len;

	if (!diff_render_json(&whole, &window, &json, &len, err, sizeof(err)))
		free(json);
	json = NULL;
	if (!diff_trend_json(paths, paths, 2, 10, &json, &len, err, sizeof(err)))
		free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_reader *r;
	char err[512];

	unlink(wal_path);
	unlink(shm_path);
	fuzz_write_file(db_path, data, size);
	/* Not a recording at all: every reader refuses it the same way, skip the rest. */
	if (store_reader_open(db_path, &r, err, sizeof(err)))
		return 0;
	store_reader_close(r);
	exports();
	api_routes();
	diffs();
	return 0;
}
