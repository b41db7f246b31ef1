/* The body of a request to start a recording. */
#ifndef HEAPSCOPE_DAEMON_START_BODY_H
#define HEAPSCOPE_DAEMON_START_BODY_H

#include <stddef.h>

#include "daemon/catalog.h"

/* {"pid": N, "duration": S, "stack": "dwarf|fp|caller", "sample": BYTES} into r (stack copied
 * into stack[slen]); pid required, any other field or a wrong type refused. 0 or -EINVAL with a
 * one-line reason in err. Values are range-checked by catalog_start. */
int start_body_parse(const char *body, struct catalog_request *r, char *stack, size_t slen,
		     char *err, size_t errlen);

#endif
