/* The daemon's recordings: one directory per data dir (DATA/recordings/ID.db, ID.log), the
 * recorder children that write them, and what is known of each. Thread-safe: the HTTP server's
 * threads, the rules and the main loop share one catalog. */
#ifndef HEAPSCOPE_DAEMON_CATALOG_H
#define HEAPSCOPE_DAEMON_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CATALOG_ID_MAX 32     /* "20261206T160312-4f3a" and its NUL fit */
#define CATALOG_RULE_MAX 64   /* a rule's name */
#define CATALOG_RUNNING_MAX 8 /* default limit of recordings at once */

struct catalog;

/* What to record: an attach to pid (the web never launches a program). */
struct catalog_request {
	int pid;
	double duration_s;     /* 0: until stopped */
	const char *stack;     /* "dwarf", "fp" or "caller"; NULL: dwarf */
	int64_t sample_bytes;  /* 0: exact */
	const char *rule;      /* the continuous rule that asked; NULL: by hand */
	int no_wait;	       /* return once spawned; the attach is told by catalog_on_attach */
};

enum catalog_state {
	CAT_RUNNING,	/* its recorder child runs */
	CAT_ENDED,	/* the recorder wrote the end */
	CAT_CUT_SHORT,	/* the recorder died without writing the end (killed, crashed) */
	CAT_UNREADABLE, /* its file cannot be read as a recording (garbage, another program's,
			 * another schema): why in stats.error */
};

/* What the recording's file says (read at each listing while it runs, once after). */
struct catalog_stats {
	int valid;	  /* 0: no file yet, or unreadable: why in error */
	char error[512];  /* the store's one line; "" when valid */
	char command[256];
	char end_reason[32]; /* "" while recording */
	char stack[8];
	int64_t sample_bytes, duration_ns;
	int64_t allocs, frees, live_blocks, live_bytes, errors, nprocs;
};

/* A snapshot of one recording (copied out under the lock). */
struct catalog_entry {
	char id[CATALOG_ID_MAX];
	char rule[CATALOG_RULE_MAX]; /* "" by hand */
	enum catalog_state state;
	int pid;	  /* the traced process */
	pid_t child;	  /* the recorder child while running, else 0 */
	int64_t start_ns; /* wall clock, when the daemon started it (or the file's mtime) */
	int64_t size_bytes; /* the .db with its -wal */
	int exit_status;    /* the recorder's, once ended (-1 unknown: found on disk, or killed) */
	struct catalog_stats stats;
};

struct catalog_opts {
	const char *data_dir;	/* recordings go to DATA/recordings */
	const char *self_exe;	/* this binary, exec'd as `record -p PID ...` */
	int running_max;	/* 0: CATALOG_RUNNING_MAX */
	int64_t quota_bytes;	/* 0: no quota; recordings of the data dir in all */
};

/* Opens (creating DATA/recordings if need be) and lists what is already there: a file whose
 * recorder is gone is CAT_ENDED or CAT_CUT_SHORT as its content says. 0 or -errno with a
 * one-line reason in err. */
int catalog_open(const struct catalog_opts *o, struct catalog **out, char *err, size_t errlen);
/* Stops every running recorder (catalog_stop_all) first. Accepts NULL. */
void catalog_close(struct catalog *c);

/* Starts a recorder child. 0 with the new id, or -ESRCH (no such process), -EBUSY (running_max
 * reached), -EDQUOT (quota reached), -EINVAL (bad request), -errno of fork/exec; err says it in
 * one line: also when the recorder exits before it has attached (-ECHILD, its own error line
 * then; -ENOENT: deleted meanwhile). Waits for the recorder to attach (at most 30 s), unless
 * r->no_wait: then the outcome of the attach comes later through the on_attach callback. */
int catalog_start(struct catalog *c, const struct catalog_request *r, char id[CATALOG_ID_MAX],
		  char *err, size_t errlen);
/* A clean cut (SIGINT to the recorder). 0, -ENOENT (no such id) or -EALREADY (not running). */
int catalog_stop(struct catalog *c, const char *id);
/* Stops it if running (waiting for the end to be written, at most 10 s), then removes its files.
 * 0 or -ENOENT. */
int catalog_delete(struct catalog *c, const char *id);
/* The .db path of id into path. 0 or -ENOENT (also for an id that is not [A-Za-z0-9-]). */
int catalog_path(struct catalog *c, const char *id, char *path, size_t len);
/* The same for reading it: also -EIO when the recording is CAT_UNREADABLE (the file is read
 * again first), err saying why in one line. */
int catalog_read_path(struct catalog *c, const char *id, char *path, size_t len, char *err,
		      size_t errlen);
/* One entry by id: 0 or -ENOENT. */
int catalog_get(struct catalog *c, const char *id, struct catalog_entry *out);
/* Every recording, oldest first, with its size and stats read now, malloc'd into *out (free
 * it). The count, or -ENOMEM. */
int catalog_list(struct catalog *c, struct catalog_entry **out);
/* The same without reading the files (stats as last known): cheap, for the running ones. */
int catalog_snapshot(struct catalog *c, struct catalog_entry **out);

/* Reaps exited recorder children (call on SIGCHLD and on every tick); calls the on_attach
 * callback for each no_wait start whose recorder attached or failed since, then the on_end
 * callback for each recording that ended, outside the lock. */
void catalog_reap(struct catalog *c);
/* Called once per recording whose recorder ended (cleanly or not), with its entry; not for a
 * recorder that exited before it attached (that start failed). */
typedef void (*catalog_end_fn)(void *ctx, const struct catalog_entry *e, const char *db_path);
void catalog_on_end(struct catalog *c, catalog_end_fn fn, void *ctx);
/* Called once per no_wait start: err 0 when its recorder attached (or still attaches after 30 s:
 * it is running, and ends as any recording), else -ECHILD with the recorder's own error line in
 * msg: the recording and its files are gone then. Not called for one deleted meanwhile. */
typedef void (*catalog_attach_fn)(void *ctx, const struct catalog_entry *e, int err,
				  const char *msg);
void catalog_on_attach(struct catalog *c, catalog_attach_fn fn, void *ctx);
/* SIGINT to every recorder, then waits up to timeout_ms for them all (SIGKILL after). */
void catalog_stop_all(struct catalog *c, int timeout_ms);

#endif
