/* `heapscope report`, and the renderers of the analyses that it and the server share. */
#ifndef HEAPSCOPE_REPORT_H
#define HEAPSCOPE_REPORT_H

#include <stdio.h>

#include "store/analysis.h"

struct json;

/* The analyses one report shows; a view not asked for stays zeroed. */
enum report_view {
	VIEW_SUMMARY = 1 << 0,
	VIEW_SITES = 1 << 1,
	VIEW_LEAKS = 1 << 2,
	VIEW_LIFETIMES = 1 << 3,
	VIEW_SIZES = 1 << 4,
	VIEW_ERRORS = 1 << 5,
	VIEW_TIMELINE = 1 << 6,
	VIEW_ADVICE = 1 << 7,
	VIEW_ALL = (1 << 8) - 1,
	/* Held memory (the blocks the last scan found still reachable): asked for (--view held,
	 * /api/held), or with the leaks of a scanned recording; never of one without a scan. */
	VIEW_HELD = 1 << 8,
};

struct report_data {
	unsigned views;
	enum an_group group;
	/* store_reader_sample_bytes: 0 exact; else every count and byte total is an estimate and
	 * misuse is not checked, which every format says. */
	int64_t sample_bytes;
	struct an_summary summary;
	struct an_sites sites;
	struct an_leaks leaks, held;
	struct an_scan scan; /* the last reachability scan (scan.scans 0: none) */
	struct an_hist lifetimes, sizes;
	struct an_errors errors;
	struct an_timeline timeline;
	struct an_advices advice;
};

/* Runs the subcommand (argv[0] = "report"); returns the exit status. */
int report_main(int argc, char **argv);

/* The report of the recording at db_path in format ("text", "json", "csv", "pprof", "collapsed",
 * "html") with the defaults of `heapscope report --format F`, written to out. 0, or -errno with
 * a one-line reason in err (-EINVAL: unknown format). Safe from several threads at once. */
int report_export(const char *db_path, const char *format, FILE *out, char *err, size_t errlen);

struct option;
/* For getopt_long loops (report's, serve's): an option that takes a value may be given once; a
 * second one is a mistake to point out, never a silent "last one wins" (a repeated flag too,
 * for one rule everywhere). Marks option c (its
 * long form and short form alike) in *seen (one bit per longopts entry, at most 64). 0, or
 * -EINVAL after printing "option --NAME given twice". */
int report_option_once(int c, const struct option *longopts, unsigned long long *seen);

/* A frame's "file", "line" (null when unknown), "module", "offset" (its address in the module's
 * file; null without a module) and "inlined" keys, as every frame shows them. */
void report_json_frame_place(struct json *j, const struct an_frame *f);

/* What a frame is called everywhere: its function, else the module file's name and the offset
 * in it ("libsqlite3.so.0.8.6+0x5a504", the same in every run), else its address. Returns the
 * function or buf. */
const char *report_frame_name(const struct an_frame *f, char *buf, size_t len);

/* JSON of each analysis, as the stable contract documented in the README. A sampled recording
 * (sample_bytes > 0) adds "sampling" and "estimated": true to the summary, "estimated": true to
 * a histogram; an exact one's JSON has neither. */
void report_json_summary(struct json *j, const struct an_summary *s);
/* {"mode": "sampled", "mean_bytes": N, "errors_checked": false}: what a sampled recording's
 * numbers are. */
void report_json_sampling(struct json *j, int64_t sample_bytes);
void report_json_sites(struct json *j, const struct an_sites *s);
/* One element of report_json_sites' array: the API's site object. */
void report_json_site(struct json *j, const struct an_site *s);
/* Each row's "verdict" is the last scan's (an_reach_name: "not scanned" without one). */
void report_json_leaks(struct json *j, const struct an_leaks *l);
/* The last scan {"ts_ns", "pid", "trigger", "threads", "stop_ns", "scan_ns", "scans",
 * "definitely_lost": {"blocks", "bytes"}, "indirectly_lost", "possibly_lost",
 * "still_reachable"}, or null without one. */
void report_json_scan(struct json *j, const struct an_scan *s);
void report_json_hist(struct json *j, const struct an_hist *h, int lifetimes, int64_t sample_bytes);
void report_json_errors(struct json *j, const struct an_errors *e);
void report_json_timeline(struct json *j, const struct an_timeline *t);
void report_json_advice(struct json *j, const struct an_advices *a);
/* The whole report as one object with a key per loaded view. */
void report_json(struct json *j, const struct report_data *d);

/* The other formats; 0 or -errno (-EIO: the output could not be written). */
int report_text(FILE *out, const struct report_data *d);
int report_csv(FILE *out, const struct report_data *d);
/* Collapsed stacks "outer;...;inner value" by the given site column (bytes, allocs,
 * live_bytes, live_blocks). */
int report_collapsed(FILE *out, const struct an_sites *sites, const char *value);
int report_pprof(FILE *out, const struct report_data *d);

/* Human units: "1.5 KiB", "12.3 ms". */
void report_fmt_bytes(int64_t bytes, char *buf, size_t len);
/* A sampled recording's one-line warning, "1 sample per 128 KiB allocated on average — counts
 * and bytes are estimates" (no newline). */
void report_fmt_sampling(int64_t sample_bytes, char *buf, size_t len);
/* Where misuse is shown for a sampled recording. */
#define REPORT_MISUSE_UNCHECKED "not checked in sampled mode: only sampled blocks are tracked"
void report_fmt_ns(int64_t ns, char *buf, size_t len);

#endif
