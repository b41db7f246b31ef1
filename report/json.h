/* The one streaming JSON writer: all of heapscope's JSON goes through it, to a FILE* or memory. */
#ifndef HEAPSCOPE_REPORT_JSON_H
#define HEAPSCOPE_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The writer tracks nesting, commas and key/value alternation itself, so callers never write
 * separators. Nesting has no cap: the writer keeps a depth and a comma flag, no per-level state.
 * So it catches a key at the top level or after a key, a container closed while a value is due,
 * an unbalanced or second top-level value, but not a value without its key in an object, a key
 * in an array or "]" closing "{": those are the caller's to avoid. Errors are sticky: after the
 * first one every call is a no-op, and json_error() or json_free() report it. Output is
 * always valid UTF-8:
 *  - strings escape '"', '\\', control characters (\n \t \r \b \f, else \u00XX), U+2028 and
 *    U+2029 (\u2028, \u2029), and "</" as "<\/" and "<!--" as "\u003c!--" so the document can
 *    sit inside an HTML <script> element;
 *  - each maximal ill-formed UTF-8 subsequence (overlong, surrogate, > U+10FFFF, truncated,
 *    stray continuation byte) becomes one U+FFFD;
 *  - doubles use the shortest of %.15g, %.16g, %.17g that reads back to the same value (so
 *    they always round-trip); NaN and infinities become null.
 * Compact mode writes no whitespace. Pretty mode indents by two spaces, writes "key": value,
 * keeps empty containers as {} and []. Neither adds a newline after the top-level value.
 */
struct json;

/* A writer appending to f, which the caller still owns. NULL if out of memory. */
struct json *json_new_file(FILE *f, int pretty);
/* A writer into a growable memory buffer; get the text with json_take_buffer(). NULL on ENOMEM. */
struct json *json_new_buffer(int pretty);
/*
 * The buffer writer's text so far (NUL-terminated, length in *len if len is non-NULL); the
 * caller frees it and the writer's buffer starts empty again. NULL if the writer has failed
 * or writes to a file.
 */
char *json_take_buffer(struct json *j, size_t *len);
/* The sticky error so far: 0, -EIO (a write failed), -ENOMEM, or -EINVAL (misuse). */
int json_error(const struct json *j);
/*
 * Flushes a file writer and frees the writer (NULL is fine). Returns 0, -EIO if a write or the
 * flush failed, -ENOMEM, or -EINVAL if the document was misused or left unbalanced.
 */
int json_free(struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
/* An object key; the next call must write its value. */
void json_key(struct json *j, const char *key);
/* A string value; NULL writes null. */
void json_str(struct json *j, const char *s);
/* A string value of len bytes that may contain NUL; NULL writes null. */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* Key and value in one call. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_double(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, int v);
void json_kv_null(struct json *j, const char *key);

#endif
