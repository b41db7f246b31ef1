/* What `heapscope record` will trace: the command line, the executable and the object that
 * provides malloc to it, for a running process or for a command about to be launched. */
#ifndef HEAPSCOPE_TARGET_H
#define HEAPSCOPE_TARGET_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent/proc.h"

struct target {
	char command[4096];	      /* as the user would type it */
	char exe[PATH_MAX];	      /* the executable's path */
	char allocator[PATH_MAX];     /* the object whose malloc family is probed */
	struct obj_list objs;	      /* every object the process maps, or will map */
	int go;			      /* a Go program: its heap is not malloc's */
	int command_error;	      /* launch: -errno when the command cannot be found or run */
	char notice[PATH_MAX + 4096]; /* what cannot be traced in it, "" if nothing */
};

/* Describes the command argv (launch mode, when argv is non-NULL) or the process pid. 0, or
 * -errno with one line for the user in err: -ENOENT (command not found), -ESRCH (no such
 * process, or it exited meanwhile), or what listing its objects or finding its allocator
 * failed with. The caller frees t with target_free in every case. */
int target_describe(struct target *t, pid_t pid, char **argv, char *err, size_t errlen);

/* Describes process pid stopped at its exec: the new program, and the objects it will load with
 * its own environment (LD_PRELOAD), cached in cache (may be NULL). Errors as target_describe. */
int target_describe_exec(struct target *t, pid_t pid, struct obj_cache *cache, char *err,
			 size_t errlen);

void target_free(struct target *t);

#endif
