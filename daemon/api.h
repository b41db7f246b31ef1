/* The daemon's JSON API: the processes, the recordings (start, stop, delete, download), each
 * recording's analyses as `serve` answers them, comparisons and a rule's trend. */
#ifndef HEAPSCOPE_DAEMON_API_H
#define HEAPSCOPE_DAEMON_API_H

#include "daemon/catalog.h"
#include "daemon/config.h"
#include "server/server.h"

/* What every request handler shares; read-only after start but for the catalog (which locks). */
struct daemon_api {
	struct catalog *catalog;
	const char *data_dir;
	int running_max;
	const struct config *cfg; /* its rules */
};

/*
 * Routes (the README documents them):
 *   GET    daemon                                 {"daemon": true, "version", "hostname", ...}
 *   GET    processes                              procs_json
 *   GET    recordings                             {"recordings": [...]} oldest first
 *   POST   recordings  {"pid", "duration", "stack", "sample"}   201 {"id"}
 *   GET    recordings/ID                          one recording's object
 *   DELETE recordings/ID                          {"id", "deleted": true}
 *   POST   recordings/ID/stop                     {"id", "state"}
 *   POST   recordings/ID/scan                     the scan's JSON (heapscope scan --json): 409
 *                                                 when it has ended, 504 its recorder is busy
 *   GET    recordings/ID/download?format=db|pprof|html|json|csv|text   the file
 *   GET    recordings/ID/ROUTE?...                serve's API (server/api.h) on that recording
 *   GET    diff?a=ID&b=ID[&a_from&a_to&b_from&b_to=SECONDS]         report/diff.h's JSON
 *   GET    rules                                  {"rules": [...]} of the config file
 *   GET    trend?rule=NAME[&top=N]                the rule's ended windows, oldest first
 * A server_daemon.handle (ctx: struct daemon_api); thread-safe.
 */
void daemon_api_handle(void *ctx, const struct server_request *rq, struct server_reply *out);

#endif
