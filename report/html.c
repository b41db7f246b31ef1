/* The self-contained HTML report (placeholder page until the dashboard template lands): the
 * report's JSON inside a script tag, rendered as preformatted text. */
#include <errno.h>

#include "report/html.h"

int html_render(FILE *out, const char *json, size_t len)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>heapscope report</title>"
	      "</head><body><pre id=\"out\"></pre>\n<script type=\"application/json\" "
	      "id=\"heapscope-data\">",
	      out);
	fwrite(json, 1, len, out);
	fputs("</script>\n<script>document.getElementById('out').textContent = JSON.stringify("
	      "JSON.parse(document.getElementById('heapscope-data').textContent), null, 2);"
	      "</script></body></html>\n",
	      out);
	return ferror(out) ? -EIO : 0;
}
