/* The dashboard files (web/) embedded into the binary at build time, looked up by exact name. */
#include "server/assets.h"

#include <string.h>

/* Generated into build/web_assets.S by server/gen_assets.sh (see the Makefile). */
extern const struct asset web_assets[] __attribute__((visibility("hidden")));
extern const size_t web_assets_count __attribute__((visibility("hidden")));

static const char PLACEHOLDER[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<title>heapscope</title></head>\n<body><h1>heapscope</h1>\n"
	"<p>This heapscope was built without the dashboard (web/index.html). The JSON API "
	"works: <a href=\"/api/summary\">/api/summary</a>, <a href=\"/api/sites\">/api/sites</a>, "
	"<a href=\"/api/leaks\">/api/leaks</a>.</p>\n</body></html>\n";

static const struct asset placeholder = {
	.name = "index.html",
	.data = (const unsigned char *)PLACEHOLDER,
	.size = sizeof(PLACEHOLDER) - 1,
	.type = "text/html; charset=utf-8",
};

const struct asset *assets_find(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (!strcmp(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

const struct asset *assets_index(void)
{
	const struct asset *a = assets_find("index.html");

	return a ? a : &placeholder;
}
