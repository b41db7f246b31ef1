/* Unit tests of the HTML report writer: the embedded dashboard (web/) inlined around the data,
 * with nothing left to fetch, and data that cannot close its script tag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/html.h"

static char *render(const char *json, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(html_render(f, json, strlen(json)), 0);
	fclose(f);
	return buf;
}

static void test_data_spliced_into_dashboard(void **state)
{
	size_t len;
	char *page = render("{\"summary\":{\"pid\":42}}", &len);
	(void)state;

	assert_true(len > 100000); /* the dashboard's modules, uPlot among them */
	assert_memory_equal(page, "<!DOCTYPE html>", 15);
	assert_non_null(strstr(page, "<script type=\"application/json\" id=\"heapscope-data\">\n"
				     "{\"summary\":{\"pid\":42}}\n</script>"));
	assert_non_null(strstr(page, "id=\"heapscope-modules\">{\"entry\":\"app.js\""));
	assert_non_null(strstr(page, "\"app.js\":\"// The dashboard's shell"));
	assert_non_null(strstr(page, "\"vendor/uPlot.esm.js\":"));
	assert_non_null(strstr(page, "<style>\n"));
	/* Nothing is fetched: no stylesheet, icon or module by URL. */
	assert_null(strstr(page, "=\"/assets/"));
	assert_null(strstr(page, " src="));
	free(page);
}

static void test_data_cannot_close_the_script(void **state)
{
	size_t len;
	char *page = render("{\"f\":\"</script><b>x</b><!--\"}", &len);
	char *data = strstr(page, "{\"f\":");
	(void)state;

	assert_non_null(data);
	/* Every '<' of the data is escaped, so the browser sees the same string in JSON. */
	assert_non_null(strstr(data, "\\u003c/script>\\u003cb>x\\u003c/b>\\u003c!--"));
	assert_null(strstr(page, "</script><b>"));
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_spliced_into_dashboard),
		cmocka_unit_test(test_data_cannot_close_the_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
