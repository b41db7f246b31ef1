/* html: writes the self-contained HTML report, the dashboard (web/) inlined around the report
 * JSON. */
#include "report/html.h"
#include "report/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/assets.h"

/* Names of index.html's tags that the page replaces, each on a line of its own. */
#define TAG_STYLE "<link rel=\"stylesheet\" href=\"/assets/"
#define TAG_ICON "<link rel=\"icon\" "
#define TAG_SCRIPT "<script type=\"module\" src=\"/assets/"
/* The inline module that loads the others (web/offline.js). */
#define LOADER "offline.js"

typedef int (*data_fn)(FILE *out, void *ctx);

static int write_all(FILE *out, const void *buf, size_t len)
{
	return len && fwrite(buf, 1, len, out) != len ? -EIO : 0;
}

static int write_str(FILE *out, const char *s)
{
	return write_all(out, s, strlen(s));
}

/* Writes buf with every '<' as \u003c (see html.h). Returns 0 or -EIO. */
static int write_escaped(FILE *out, const char *buf, size_t len)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *lt = memchr(buf, '<', (size_t)(end - buf));
		size_t run = (size_t)((lt ? lt : end) - buf);

		if (write_all(out, buf, run))
			return -EIO;
		if (!lt)
			break;
		if (fputs("\\u003c", out) == EOF)
			return -EIO;
		buf = lt + 1;
	}
	return 0;
}

/* An asset inlined as raw text inside <tag>...</tag>: it must not hold "</tag" (embedded
 * assets end with a NUL byte, see server/gen_assets.sh). */
static const struct asset *inline_asset(const char *name, const char *closing)
{
	const struct asset *a = assets_find(name);

	if (!a || strcasestr((const char *)a->data, closing))
		return NULL;
	return a;
}

/* If line [p, end) is, leading blanks aside, tag followed by NAME", copies NAME to name. */
static int tag_line(const char *p, const char *end, const char *tag, char *name, size_t len)
{
	size_t n = strlen(tag);
	const char *q;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < n || memcmp(p, tag, n))
		return 0;
	p += n;
	q = memchr(p, '"', (size_t)(end - p));
	if (!name)
		return 1;
	if (!q || (size_t)(q - p) >= len)
		return 0;
	memcpy(name, p, (size_t)(q - p));
	name[q - p] = '\0';
	return 1;
}

static int write_style(FILE *out, const char *name)
{
	const struct asset *a = inline_asset(name, "</style");
	int err;

	if (!a)
		return -EINVAL;
	err = write_str(out, "<style>\n");
	if (!err)
		err = write_all(out, a->data, a->size);
	if (!err)
		err = write_str(out, "\n</style>\n");
	return err;
}

/* fopencookie write hook: escape, then pass on to the real stream. */
static ssize_t escape_write(void *cookie, const char *buf, size_t len)
{
	return write_escaped(cookie, buf, len) ? -1 : (ssize_t)len;
}

struct stream {
	int (*write_json)(FILE *json_out, void *ctx);
	void *ctx;
};

static int write_stream(FILE *out, void *ctx)
{
	cookie_io_functions_t io = { .write = escape_write };
	const struct stream *s = ctx;
	FILE *json_out = fopencookie(out, "w", io);
	int err;

	if (!json_out)
		return -ENOMEM;
	err = s->write_json(json_out, s->ctx);
	/* fclose flushes the cookie stream's buffer through escape_write. */
	if (fclose(json_out) == EOF && !err)
		err = -EIO;
	return err;
}

/* {"entry": NAME, "modules": {"app.js": "source", ...}}: every embedded .js file, through the
 * project's JSON writer (the stream it writes to escapes '<' for the script element). */
static int write_modules(FILE *json_out, void *ctx)
{
	struct json *j = json_new_file(json_out, 0);
	const struct asset *a;

	if (!j)
		return -ENOMEM;
	json_obj_begin(j);
	json_kv_str(j, "entry", ctx);
	json_key(j, "modules");
	json_obj_begin(j);
	for (size_t i = 0; (a = assets_at(i)); i++) {
		size_t n = strlen(a->name);

		if (n < 3 || strcmp(a->name + n - 3, ".js"))
			continue;
		json_key(j, a->name);
		json_strn(j, (const char *)a->data, a->size);
	}
	json_obj_end(j);
	json_obj_end(j);
	return json_free(j);
}

/* In place of the dashboard's <script src>: the data, the modules, the loader. */
static int write_scripts(FILE *out, const char *entry, data_fn data, void *ctx)
{
	const struct asset *loader = inline_asset(LOADER, "</script");
	int err;

	if (!loader || !assets_find(entry))
		return -EINVAL;
	err = write_str(out, "<script type=\"application/json\" id=\"heapscope-data\">\n");
	if (!err)
		err = data(out, ctx);
	if (!err)
		err = write_str(out, "\n</script>\n<script type=\"application/json\" "
				     "id=\"heapscope-modules\">");
	if (!err)
		err = write_stream(out, &(struct stream){ write_modules, (void *)entry });
	if (!err)
		err = write_str(out, "</script>\n<script type=\"module\">\n");
	if (!err)
		err = write_all(out, loader->data, loader->size);
	if (!err)
		err = write_str(out, "</script>\n");
	return err;
}

/* The embedded index.html line by line, its stylesheets, icon and module script replaced. */
static int write_page(FILE *out, data_fn data, void *ctx)
{
	const struct asset *index = assets_find("index.html");
	const char *p, *end;
	char name[128];
	int err = 0, scripts = 0;

	if (!index)
		return -EINVAL;
	p = (const char *)index->data;
	end = p + index->size;
	while (!err && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;

		if (tag_line(p, next, TAG_STYLE, name, sizeof(name))) {
			err = write_style(out, name);
		} else if (tag_line(p, next, TAG_ICON, NULL, 0)) {
			err = write_str(out, "<link rel=\"icon\" href=\"data:,\">\n");
		} else if (tag_line(p, next, TAG_SCRIPT, name, sizeof(name))) {
			err = scripts++ ? -EINVAL : write_scripts(out, name, data, ctx);
		} else {
			err = write_all(out, p, (size_t)(next - p));
		}
		p = next;
	}
	if (!err && scripts != 1)
		err = -EINVAL;
	if (!err && fflush(out) == EOF)
		err = -EIO;
	return err;
}

struct json_text {
	const char *json;
	size_t len;
};

static int write_json_text(FILE *out, void *ctx)
{
	const struct json_text *t = ctx;

	return write_escaped(out, t->json, t->len);
}

int html_render(FILE *out, const char *json, size_t len)
{
	struct json_text t = { json, len };

	return write_page(out, write_json_text, &t);
}

int html_render_stream(FILE *out, int (*write_json)(FILE *json_out, void *ctx), void *ctx)
{
	struct stream s = { write_json, ctx };

	return write_page(out, write_stream, &s);
}
