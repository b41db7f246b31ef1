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
/* From the daemon's main loop, about every second and when rules_window_ended: attach to
 * matching processes not yet recorded by their rule, start the next window of a rule whose
 * window ended, apply retention. Never waits for a recorder to attach. */
void rules_tick(struct rules *r);
/* Has a rule's window ended since the last tick (the next one is due now)? Accepts NULL. */
int rules_window_ended(const struct rules *r);
/* A catalog_attach_fn (ctx: the rules): a window's recorder attached (the pid's backoff is
 * forgotten) or failed (logged once, the pid retried after 30 s, doubling up to 10 min). */
void rules_on_attach(void *ctx, const struct catalog_entry *e, int err, const char *msg);
/* A catalog_end_fn (ctx: the rules): a window ended; queue its push. */
void rules_on_end(void *ctx, const struct catalog_entry *e, const char *db_path);

#endif
