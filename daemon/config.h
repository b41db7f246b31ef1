/* The daemon's configuration file (--config FILE): a [daemon] section for the service's own
 * settings and one [rule NAME] section per continuous rule. Command-line options win over the
 * file. */
#ifndef HEAPSCOPE_DAEMON_CONFIG_H
#define HEAPSCOPE_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/catalog.h"

#define CONFIG_RULES_MAX 32
#define CONFIG_PUSH_URL_MAX 512
#define CONFIG_RULE_WINDOW_S 60 /* a rule's window when the file gives none */
#define CONFIG_RULE_KEEP 10	/* a rule's keep when the file gives none */

/* One continuous rule: record the processes it matches, in windows, keeping the last ones. */
struct config_rule {
	char name[CATALOG_RULE_MAX];
	char comm[64];		/* match: /proc/PID/comm equals it (""; not used) */
	char cgroup[256];	/* match: /proc/PID/cgroup's path starts with it ("": not used) */
	double window_s;	/* each recording's duration (> 0) */
	int64_t sample_bytes;	/* 0: exact */
	char stack[8];		/* dwarf, fp or caller */
	int keep;		/* at most this many windows of the rule (0: no count limit) */
	int64_t keep_bytes;	/* at most this many bytes of them (0: no size limit) */
	char push_url[CONFIG_PUSH_URL_MAX]; /* each finished window POSTed as pprof ("": none) */
	char push_format[16];	/* "pyroscope" (/ingest?name=...&format=pprof) or "pprof" (raw POST) */
};

struct config {
	/* [daemon]; unset fields keep the defaults config_defaults gave */
	char data_dir[512];
	char bind[64];
	int port;
	int running_max;
	int64_t quota_bytes;
	char allow_hosts[16][256];
	int nallow_hosts;
	/* [rule NAME] ... */
	struct config_rule rules[CONFIG_RULES_MAX];
	int nrules;
};

void config_defaults(struct config *c);
/* Reads path into c (over its defaults). 0, or -errno / -EINVAL with "FILE:LINE: what is wrong"
 * in err. */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

/* The value parsers of the file, shared with `heapscope ctl`; each 0 or -EINVAL.
 * Bytes: digits with an optional K, M, G or T suffix (powers of 1024; "KiB", "KB" too). */
int config_parse_bytes(const char *s, int64_t *out);
/* A sampling rate: bytes up to 4G as above, 0 (exact) or "default" (128 KiB). */
int config_parse_sample(const char *s, int64_t *out);
/* Seconds above 0 (fractions allowed), or with a suffix s, m or h: "90", "10m", "1h". */
int config_parse_seconds(const char *s, double *out);

#endif
