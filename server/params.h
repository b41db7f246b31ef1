/* Query parameters of one API request, checked against the route's list of what it accepts. */
#ifndef HEAPSCOPE_SERVER_PARAMS_H
#define HEAPSCOPE_SERVER_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define PARAMS_MAX 16			    /* more parameters than this in one request: 400 */
#define PARAM_VALUE_MAX 256		    /* longest accepted value in bytes */
#define PARAM_INT_MAX 1000000000000000000LL /* 1e18: fits int64_t, enough for ns timestamps */

enum param_kind {
	P_INT,	   /* decimal digits only, min..max, into int64_t */
	P_SECONDS, /* digits[.digits] seconds (at most 1e9), into int64_t ns */
	P_ENUM,	   /* one of choices, its index into int */
	P_STR,	   /* at most max bytes, borrowed, into const char * */
};

struct param_spec {
	const char *name; /* NULL ends a list */
	enum param_kind kind;
	int64_t min, max;
	const char *const *choices; /* P_ENUM: NULL-terminated */
	size_t off;		    /* offset of the destination field */
	int required;
};

/* The raw parameters of a request (name and value borrowed from the HTTP library; a value may
 * be NULL for "?name" without "="). */
struct params {
	const char *name[PARAMS_MAX], *value[PARAMS_MAX];
	int n;
	int overflow; /* more than PARAMS_MAX were given */
};

/* Stores every parameter of p into the fields of out that spec describes. An unknown, repeated
 * or invalid parameter, or a missing required one, is -EINVAL with a one-line message in err;
 * fields of parameters not given are left as they are (the defaults). */
int params_parse(const struct params *p, const struct param_spec *spec, void *out, char *err,
		 size_t errlen);

/* Decimal digits only (no sign, no spaces), value <= max: 0 or -EINVAL (also on overflow). */
int params_uint(const char *s, int64_t max, int64_t *out);
/* "SECONDS" or "SECONDS.FRACTION" (at most 1e9 s; fraction digits past the ninth are dropped,
 * at most 18) in ns; 0 or -EINVAL. */
int params_seconds(const char *s, int64_t *ns);

#endif
