/* libFuzzer harness: the request checks that run before any handler: query parameters
 * (params_parse over every kind, params_uint, params_seconds), the Host and Origin guard, the
 * token comparison, --port and --allow-host values, and the daemon's value parsers.
 * Input: "LINE1\nLINE2\nname=value&...": each check takes the lines it needs. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/config.h"
#include "server/auth.h"
#include "server/hosts.h"
#include "server/params.h"
#include "server/server.h"
#include "tests/fuzz/fuzz_util.h"

static struct hosts hosts4, hosts6;

struct fuzz_args {
	int64_t n, secs;
	int choice;
	const char *str;
};

static const char *const CHOICES[] = { "bytes", "allocs", "live_bytes", NULL };
static const struct param_spec SPEC[] = {
	{ "n", P_INT, 1, PARAM_INT_MAX, NULL, offsetof(struct fuzz_args, n), 0 },
	{ "s", P_SECONDS, 0, 0, NULL, offsetof(struct fuzz_args, secs), 0 },
	{ "e", P_ENUM, 0, 0, CHOICES, offsetof(struct fuzz_args, choice), 0 },
	{ "t", P_STR, 0, PARAM_VALUE_MAX, NULL, offsetof(struct fuzz_args, str), 1 },
	{ NULL },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const allow[] = { "example.com", "10.1.2.3", "fe80::1", NULL };

	(void)argc, (void)argv;
	if (hosts_init(&hosts4, "127.0.0.1", allow) || hosts_init(&hosts6, "::", allow) ||
	    hosts4.family != AF_INET || hosts6.family != AF_INET6)
		abort();
	return 0;
}

/* One value through every scalar parser; results only have to stay in their ranges. */
static void scalars(const char *s)
{
	int64_t v = -1, ns = -1, bytes;
	double secs;
	int port = -1;

	if (!params_uint(s, PARAM_INT_MAX, &v) && (v < 0 || v > PARAM_INT_MAX))
		abort();
	if (!params_uint(s, 7, &v) && (v < 0 || v > 7))
		abort();
	if (!params_seconds(s, &ns) && (ns < 0 || ns > 1000000000LL * 1000000000LL + 999999999))
		abort();
	if (!server_parse_port(s, &port) && (port < 0 || port > 65535))
		abort();
	config_parse_bytes(s, &bytes);
	config_parse_sample(s, &bytes);
	config_parse_seconds(s, &secs);
	hosts_name_ok(s);
	auth_token_equal(s, "0123456789abcdef0123456789abcdef");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *first = fuzz_str(data, size);
	char *second = fuzz_line(first);
	char *query = fuzz_line(second);
	struct fuzz_args a = { 0 };
	char err[256];
	struct params p;

	scalars(first);
	hosts_host_ok(&hosts4, first);
	hosts_host_ok(&hosts6, first);
	hosts_origin_ok(first, second);
	/* The token always matches itself, whatever bytes it holds. */
	if (!auth_token_equal(first, first))
		abort();
	fuzz_params(query, &p);
	/* Accepted means: not too many parameters, and the required one given. */
	if (!params_parse(&p, SPEC, &a, err, sizeof(err)) && (p.overflow || !a.str))
		abort();
	free(first);
	return 0;
}
