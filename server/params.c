/* Query parameters of one API request, checked against the route's list of what it accepts. */
#include "server/params.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/time.h"

int params_uint(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* max - digit < 0 would round (max - digit) / 10 up to 0 and let "8" pass max 7. */
		if (*s - '0' > max || v > (max - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

int params_seconds(const char *s, int64_t *ns)
{
	char whole[16] = "", frac[10] = "000000000";
	const char *dot = s ? strchr(s, '.') : NULL;
	size_t wl = dot ? (size_t)(dot - s) : (s ? strlen(s) : 0);
	int64_t sec, part;

	if (!s || wl == 0 || wl >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, wl);
	if (dot) {
		size_t fl = strlen(dot + 1);

		/* Digits past the ninth (below a nanosecond) are checked, then dropped. */
		if (fl == 0 || fl > 18 || strspn(dot + 1, "0123456789") != fl)
			return -EINVAL;
		memcpy(frac, dot + 1, fl < 9 ? fl : 9);
	}
	if (params_uint(whole, 1000000000, &sec) || params_uint(frac, 999999999, &part))
		return -EINVAL;
	*ns = sec * NS_PER_S + part;
	return 0;
}

static const struct param_spec *find(const struct param_spec *spec, const char *name)
{
	for (; spec->name; spec++)
		if (!strcmp(spec->name, name))
			return spec;
	return NULL;
}

static int pick(const char *const *choices, const char *v, int *out)
{
	for (int i = 0; choices[i]; i++)
		if (!strcmp(choices[i], v)) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static void enum_message(const struct param_spec *sp, char *err, size_t errlen)
{
	int k = snprintf(err, errlen, "parameter '%s' must be one of:", sp->name);

	for (int i = 0; sp->choices[i] && k > 0 && (size_t)k < errlen; i++)
		k += snprintf(err + k, errlen - (size_t)k, "%s %s", i ? "," : "", sp->choices[i]);
}

static int store_one(const struct param_spec *sp, const char *v, char *base, char *err,
		     size_t errlen)
{
	int64_t n;

	switch (sp->kind) {
	case P_INT:
		if (params_uint(v, sp->max, &n) || n < sp->min)
			break;
		*(int64_t *)(base + sp->off) = n;
		return 0;
	case P_SECONDS:
		if (params_seconds(v, &n))
			break;
		*(int64_t *)(base + sp->off) = n;
		return 0;
	case P_ENUM:
		if (pick(sp->choices, v, (int *)(base + sp->off)))
			break;
		return 0;
	case P_STR:
		if (strlen(v) > (size_t)sp->max)
			break;
		*(const char **)(base + sp->off) = v;
		return 0;
	}
	if (sp->kind == P_INT)
		snprintf(err, errlen,
			 "parameter '%s' must be an integer from %" PRId64 " to %" PRId64, sp->name,
			 sp->min, sp->max);
	else if (sp->kind == P_SECONDS)
		snprintf(err, errlen, "parameter '%s' must be seconds, e.g. 1.5", sp->name);
	else if (sp->kind == P_ENUM)
		enum_message(sp, err, errlen);
	else
		snprintf(err, errlen, "parameter '%s' is longer than %" PRId64 " bytes", sp->name,
			 sp->max);
	return -EINVAL;
}

/* Parameter names are echoed in messages only when short and printable. */
static const char *shown(const char *name)
{
	size_t n = strlen(name);

	if (n > 32)
		return "(long name)";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f ||
		    name[i] == '\'')
			return "(unprintable name)";
	return name;
}

int params_parse(const struct params *p, const struct param_spec *spec, void *out, char *err,
		 size_t errlen)
{
	unsigned long long seen = 0;

	if (p->overflow) {
		snprintf(err, errlen, "more than %d parameters", PARAMS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < p->n; i++) {
		const struct param_spec *sp = find(spec, p->name[i]);
		unsigned long long bit;

		if (!sp) {
			snprintf(err, errlen, "unknown parameter '%s'", shown(p->name[i]));
			return -EINVAL;
		}
		bit = 1ull << (sp - spec);
		if (seen & bit) {
			snprintf(err, errlen, "parameter '%s' given twice", sp->name);
			return -EINVAL;
		}
		seen |= bit;
		if (store_one(sp, p->value[i] ? p->value[i] : "", out, err, errlen))
			return -EINVAL;
	}
	for (const struct param_spec *sp = spec; sp->name; sp++)
		if (sp->required && !(seen & (1ull << (sp - spec)))) {
			snprintf(err, errlen, "parameter '%s' is required", sp->name);
			return -EINVAL;
		}
	return 0;
}
