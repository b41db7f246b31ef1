/* The dashboard page served at /: the embedded web/index.html, or a placeholder without it. */
#include "server/assets.h"

#include <string.h>

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

const struct asset *assets_index(void)
{
	const struct asset *a = assets_find("index.html");

	return a ? a : &placeholder;
}
