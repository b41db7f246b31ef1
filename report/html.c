/* html: writes the self-contained HTML report, the embedded template around the report JSON. */
#include "report/html.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * The template goes into .rodata as it is on disk. The path is relative to the assembler's
 * working directory, the repository root, where make runs; the compiler's dependency files do
 * not see it, so the Makefile names it as a prerequisite of this object.
 */
__asm__(".pushsection .rodata,\"a\",@progbits\n"
	".balign 16\n"
	".globl html_template\n"
	".hidden html_template\n"
	".type html_template, @object\n"
	"html_template:\n"
	".incbin \"report/html_template.html\"\n"
	".globl html_template_end\n"
	".hidden html_template_end\n"
	"html_template_end:\n"
	".byte 0\n"
	".size html_template, . - html_template\n"
	".popsection\n");

extern const char html_template[] __attribute__((visibility("hidden")));
extern const char html_template_end[] __attribute__((visibility("hidden")));

#define PLACEHOLDER "<!--HEAPSCOPE_DATA-->"

/* The template split around the placeholder line: head includes the newline before it, tail
 * starts with the newline after it. Both are NULL if the template lacks the placeholder. */
static void template_parts(const char **head, size_t *head_len, const char **tail, size_t *tail_len)
{
	size_t n = (size_t)(html_template_end - html_template);
	const char *p = memmem(html_template, n, PLACEHOLDER, strlen(PLACEHOLDER));

	*head = *tail = NULL;
	*head_len = *tail_len = 0;
	if (!p)
		return;
	*head = html_template;
	*head_len = (size_t)(p - html_template);
	*tail = p + strlen(PLACEHOLDER);
	*tail_len = (size_t)(html_template_end - *tail);
}

/* Writes buf with every '<' as \u003c (see html.h). Returns 0 or -EIO. */
static int write_escaped(FILE *out, const char *buf, size_t len)
{
	const char *end = buf + len;

	while (buf < end) {
		const char *lt = memchr(buf, '<', (size_t)(end - buf));
		size_t run = (size_t)((lt ? lt : end) - buf);

		if (run && fwrite(buf, 1, run, out) != run)
			return -EIO;
		if (!lt)
			break;
		if (fputs("\\u003c", out) == EOF)
			return -EIO;
		buf = lt + 1;
	}
	return 0;
}

static int write_all(FILE *out, const char *buf, size_t len)
{
	return len && fwrite(buf, 1, len, out) != len ? -EIO : 0;
}

int html_render(FILE *out, const char *json, size_t len)
{
	const char *head, *tail;
	size_t head_len, tail_len;
	int err;

	template_parts(&head, &head_len, &tail, &tail_len);
	if (!head)
		return -EINVAL;
	err = write_all(out, head, head_len);
	if (!err)
		err = write_escaped(out, json, len);
	if (!err)
		err = write_all(out, tail, tail_len);
	if (!err && fflush(out) == EOF)
		err = -EIO;
	return err;
}

/* fopencookie write hook for html_render_stream: escape, then pass on to the real stream. */
static ssize_t escape_write(void *cookie, const char *buf, size_t len)
{
	return write_escaped(cookie, buf, len) ? -1 : (ssize_t)len;
}

int html_render_stream(FILE *out, int (*write_json)(FILE *json_out, void *ctx), void *ctx)
{
	cookie_io_functions_t io = { .write = escape_write };
	const char *head, *tail;
	size_t head_len, tail_len;
	FILE *json_out = NULL;
	int err;

	template_parts(&head, &head_len, &tail, &tail_len);
	if (!head)
		return -EINVAL;
	err = write_all(out, head, head_len);
	if (err)
		goto out;
	json_out = fopencookie(out, "w", io);
	if (!json_out) {
		err = -ENOMEM;
		goto out;
	}
	err = write_json(json_out, ctx);
	/* fclose flushes the cookie stream's buffer through escape_write. */
	if (fclose(json_out) == EOF && !err)
		err = -EIO;
	if (!err)
		err = write_all(out, tail, tail_len);
	if (!err && fflush(out) == EOF)
		err = -EIO;
out:
	return err;
}
