/* The streaming JSON writer: separators, uncapped nesting, RFC 8259 escaping, FILE or memory. */
#include "report/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/buf.h"

struct json {
	FILE *f; /* file sink, or NULL for the memory sink */
	struct buf out;
	int pretty;
	int err;
	/* Nesting needs no per-level state: a value after a key is an object's, any other value
	 * inside a container an array item, and only the innermost container's "has an item
	 * already" matters, since a closed container is always an item of its parent. */
	size_t depth;
	int need_comma; /* the innermost container has an item: the next one needs a comma */
	int after_key;	/* a key was written and its value is due */
	int done;	/* the top-level value is complete */
};

static struct json *json_new(FILE *f, int pretty)
{
	struct json *j = calloc(1, sizeof(*j));

	if (j) {
		j->f = f;
		j->pretty = pretty;
	}
	return j;
}

struct json *json_new_file(FILE *f, int pretty)
{
	return f ? json_new(f, pretty) : NULL;
}

struct json *json_new_buffer(int pretty)
{
	return json_new(NULL, pretty);
}

static void fail(struct json *j, int err)
{
	if (!j->err)
		j->err = err;
}

static void emit(struct json *j, const char *s, size_t n)
{
	if (j->err || !n)
		return;
	if (j->f) {
		if (fwrite(s, 1, n, j->f) != n)
			fail(j, -EIO);
		return;
	}
	buf_add(&j->out, s, n);
	if (j->out.err)
		fail(j, j->out.err);
}

static void emit_str(struct json *j, const char *s)
{
	emit(j, s, strlen(s));
}

static void newline_indent(struct json *j, size_t depth)
{
	static const char spaces[] = "                                ";

	if (!j->pretty)
		return;
	emit(j, "\n", 1);
	for (size_t n = 2 * depth; n > 0;) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		emit(j, spaces, k);
		n -= k;
	}
}

/* Writes what must precede a value here (comma, indent) and checks a value may go here. */
static int begin_value(struct json *j)
{
	if (j->err)
		return -1;
	if (j->depth == 0 && j->done) {
		fail(j, -EINVAL);
		return -1;
	}
	if (j->depth > 0 && !j->after_key) {
		if (j->need_comma)
			emit(j, ",", 1);
		newline_indent(j, j->depth);
	}
	j->after_key = 0;
	return 0;
}

static void end_value(struct json *j)
{
	j->need_comma = 1;
	if (j->depth == 0)
		j->done = 1;
}

/* Length of the well-formed UTF-8 sequence at s, or minus the length of its maximal ill-formed
 * prefix, which becomes one U+FFFD (Unicode's "maximal subpart" practice, as in WHATWG). */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return -1;
	need = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	for (int i = 1; i < need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/* The escape for the ASCII byte s[i], or NULL if it goes out as is. */
static const char *ascii_escape(const unsigned char *s, size_t n, size_t i, char tmp[8])
{
	switch (s[i]) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\t': return "\\t";
	case '\r': return "\\r";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '/': /* "</script>" must not end an enclosing <script> element */
		return i > 0 && s[i - 1] == '<' ? "\\/" : NULL;
	case '<': /* "<!--" would put an enclosing <script> into its escaped state */
		return n - i >= 4 && !memcmp(s + i, "<!--", 4) ? "\\u003c" : NULL;
	}
	if (s[i] >= 0x20)
		return NULL;
	snprintf(tmp, 8, "\\u%04x", s[i]);
	return tmp;
}

/* The escape for the multi-byte sequence at s (length in *k), or NULL if it goes out as is. */
static const char *utf8_escape(const unsigned char *s, size_t n, int *k)
{
	*k = utf8_seq(s, n);
	if (*k < 0) {
		*k = -*k;
		return "\xef\xbf\xbd";
	}
	/* U+2028 and U+2029 end a line in JavaScript before ES2019. */
	if (*k == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return s[2] == 0xa8 ? "\\u2028" : "\\u2029";
	return NULL;
}

static void write_string(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0;
	char tmp[8];

	emit(j, "\"", 1);
	while (i < n) {
		const char *esc;
		int k = 1;

		if (s[i] < 0x80)
			esc = ascii_escape(s, n, i, tmp);
		else
			esc = utf8_escape(s + i, n - i, &k);
		if (esc) {
			emit(j, str + start, i - start);
			emit_str(j, esc);
			start = i + (size_t)k;
		}
		i += (size_t)k;
	}
	emit(j, str + start, n - start);
	emit(j, "\"", 1);
}

static void container_begin(struct json *j, int is_obj)
{
	if (begin_value(j))
		return;
	j->depth++;
	j->need_comma = 0;
	emit(j, is_obj ? "{" : "[", 1);
}

static void container_end(struct json *j, int is_obj)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->after_key) {
		fail(j, -EINVAL);
		return;
	}
	j->depth--;
	if (j->need_comma)
		newline_indent(j, j->depth);
	emit(j, is_obj ? "}" : "]", 1);
	end_value(j);
}

void json_obj_begin(struct json *j)
{
	container_begin(j, 1);
}

void json_obj_end(struct json *j)
{
	container_end(j, 1);
}

void json_arr_begin(struct json *j)
{
	container_begin(j, 0);
}

void json_arr_end(struct json *j)
{
	container_end(j, 0);
}

void json_key(struct json *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0 || j->after_key || !key) {
		fail(j, -EINVAL);
		return;
	}
	if (j->need_comma)
		emit(j, ",", 1);
	newline_indent(j, j->depth);
	write_string(j, key, strlen(key));
	emit_str(j, j->pretty ? ": " : ":");
	j->after_key = 1;
}

/* Writes one scalar already formatted as JSON text. */
static void scalar(struct json *j, const char *text)
{
	if (begin_value(j))
		return;
	emit_str(j, text);
	end_value(j);
}

void json_strn(struct json *j, const char *s, size_t len)
{
	if (!s) {
		json_null(j);
		return;
	}
	if (begin_value(j))
		return;
	write_string(j, s, len);
	end_value(j);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, s ? strlen(s) : 0);
}

void json_int(struct json *j, int64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	scalar(j, tmp);
}

void json_uint(struct json *j, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	scalar(j, tmp);
}

void json_double(struct json *j, double v)
{
	char tmp[32];

	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* A locale with a decimal comma must not leak into JSON. */
	for (char *c = tmp; *c; c++)
		if (*c == ',')
			*c = '.';
	scalar(j, tmp);
}

void json_bool(struct json *j, int v)
{
	scalar(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	scalar(j, "null");
}

void json_kv_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_kv_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}

char *json_take_buffer(struct json *j, size_t *len)
{
	char *out;

	if (!j || j->f || j->err)
		return NULL;
	out = buf_take(&j->out, len);
	if (!out)
		fail(j, -ENOMEM);
	return out;
}

int json_error(const struct json *j)
{
	return j->err;
}

int json_free(struct json *j)
{
	int err;

	if (!j)
		return 0;
	if (j->f && (fflush(j->f) || ferror(j->f)))
		fail(j, -EIO);
	if (j->depth || j->after_key)
		fail(j, -EINVAL);
	err = j->err;
	buf_free(&j->out);
	free(j);
	return err;
}
