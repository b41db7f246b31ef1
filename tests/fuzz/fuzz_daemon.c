/* libFuzzer harness: the daemon's API (routes, parameters, request bodies) on a catalog of two
 * fixture recordings, and start_body_parse on every body. Input: "METHOD ROUTE\nQUERY\nBODY".
 * It must never start a recorder nor delete a fixture: POST /api/recordings only reaches
 * start_body_parse, and DELETE only goes to ids the catalog does not hold. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/start_body.h"
#include "tests/fuzz/fuzz_util.h"

static const char *const FIXTURE_IDS[] = { "20261206T160312-aaaa", "20261206T160313-bbbb" };
#define NFIXTURES (sizeof(FIXTURE_IDS) / sizeof(FIXTURE_IDS[0]))

static struct config cfg;
static struct catalog *catalog;
static struct daemon_api api;
static char fixture_paths[NFIXTURES][PATH_MAX];

/* Two ended windows of rule "r1", so diff and trend have something to read. */
static void make_fixtures(const char *data_dir)
{
	char path[PATH_MAX], meta[128];

	snprintf(path, sizeof(path), "%s/recordings", data_dir);
	if (mkdir(path, 0700))
		abort();
	for (size_t i = 0; i < NFIXTURES; i++) {
		snprintf(fixture_paths[i], PATH_MAX, "%s/recordings/%s.db", data_dir,
			 FIXTURE_IDS[i]);
		fuzz_copy_fixture(fixture_paths[i]);
		snprintf(path, sizeof(path), "%s/recordings/%s.meta", data_dir, FIXTURE_IDS[i]);
		snprintf(meta, sizeof(meta), "rule=r1\npid=%zu\nstart_ns=%zu000000000\n", 100 + i,
			 1765000000 + i);
		fuzz_write_file(path, meta, strlen(meta));
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_scratch_dir("daemon");
	/* self_exe is never run (nothing starts a recorder): a path that cannot record. */
	struct catalog_opts o = { .data_dir = dir, .self_exe = "/bin/false", .running_max = 2 };
	char err[512];

	(void)argc, (void)argv;
	make_fixtures(dir);
	config_defaults(&cfg);
	cfg.nrules = 1;
	snprintf(cfg.rules[0].name, sizeof(cfg.rules[0].name), "r1");
	snprintf(cfg.rules[0].stack, sizeof(cfg.rules[0].stack), "dwarf");
	cfg.rules[0].window_s = 60;
	if (catalog_open(&o, &catalog, err, sizeof(err))) {
		fprintf(stderr, "fuzz_daemon: %s\n", err);
		abort();
	}
	api = (struct daemon_api){ .catalog = catalog, .data_dir = dir, .running_max = 2, .cfg = &cfg };
	return 0;
}

/* Would this request delete a fixture? recordings/ID[/...] cut as daemon/api.c cuts it. */
static int deletes_fixture(const char *method, const char *route)
{
	struct catalog_entry e;
	char id[CATALOG_ID_MAX];
	size_t n;

	if (strcmp(method, "DELETE") || strncmp(route, "recordings/", 11))
		return 0;
	route += 11;
	n = strcspn(route, "/");
	if (n >= sizeof(id))
		return 0;
	memcpy(id, route, n);
	id[n] = 0;
	return catalog_get(catalog, id, &e) == 0;
}

static void handle(const char *method, const char *route, const struct params *p, const char *body)
{
	struct server_request rq = { .method = method, .route = route, .params = p };
	struct server_reply out = { .fd = -1 };

	if (body && *body) {
		rq.body = body;
		rq.body_len = strlen(body);
	}
	daemon_api_handle(&api, &rq, &out);
	if (out.fd >= 0)
		close(out.fd);
	else if (!out.body || out.status < 200 || out.status > 599)
		abort();
	free(out.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const METHODS[] = { "GET", "HEAD", "POST", "DELETE" };
	char *line = fuzz_str(data, size), *query = fuzz_line(line), *body = fuzz_line(query);
	char *space = strchr(line, ' '), *route = space ? space + 1 : line, stack[16], err[512];
	struct catalog_request cr = { 0 };
	const char *method = "GET";
	struct params p;

	if (space)
		*space = 0;
	for (size_t i = 0; space && i < sizeof(METHODS) / sizeof(METHODS[0]); i++)
		if (!strcmp(line, METHODS[i]))
			method = METHODS[i];
	start_body_parse(body, &cr, stack, sizeof(stack), err, sizeof(err));
	fuzz_params(query, &p);
	if (!(!strcmp(method, "POST") && !strcmp(route, "recordings")) &&
	    !deletes_fixture(method, route))
		handle(method, route, &p, body);
	for (size_t i = 0; i < NFIXTURES; i++)
		if (access(fixture_paths[i], R_OK))
			abort(); /* the harness itself went wrong: stop before it tests nothing */
	free(line);
	return 0;
}
