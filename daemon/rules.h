/* Continuous recording by rule: the processes a rule matches are recorded in rotating windows,
 * new matching processes are picked up as they start, old windows are deleted (retention) and
 * each finished window may be pushed as pprof to a profiling backend. */
#ifndef HEAPSCOPE_DAEMON_RULES_H
#define HEAPSCOPE_DAEMON_RULES_H

#include "daemon/catalog.h"
#include "daemon/config.h"

struct rules;

/* The rules of cfg (copied); pushes run on their own thread. 0 or -ENOMEM. */
int rules_start(const struct config *cfg, struct catalog *c, struct rules **out);
/* Waits at most a few seconds for pushes in flight, then frees. Accepts NULL. */
void rules_stop(struct rules *r);
/* From the daemon's main loop, about every second: attach to matching processes not yet
 * recorded by their rule, start the next window of a rule whose window ended, apply retention. */
void rules_tick(struct rules *r);
/* A catalog_end_fn (ctx: the rules): a window ended; queue its push. */
void rules_on_end(void *ctx, const struct catalog_entry *e, const char *db_path);

#endif
