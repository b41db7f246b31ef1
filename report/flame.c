/* The flame graph tree: every site's stack merged from the outermost frame down, as JSON. */
#include "report/flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json.h"
#include "report/report.h"

const char *const FLAME_WEIGHTS[] = { "bytes", "allocs", "live_bytes", NULL };

static int64_t weight_of(const struct an_site *s, enum flame_weight w)
{
	switch (w) {
	case FLAME_ALLOCS: return s->allocs;
	case FLAME_LIVE_BYTES: return s->live_bytes;
	case FLAME_BYTES: break;
	}
	return s->bytes;
}

static int streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Frames without a function name are told apart by module and offset (shown as module+0x<offset>)
 * or, outside any module, by address. */
static int same_frame(const struct an_frame *a, const struct an_frame *b)
{
	if (!streq(a->function, b->function) || !streq(a->file, b->file) || a->line != b->line ||
	    a->inlined != b->inlined)
		return 0;
	if (a->function)
		return 1;
	if (a->module || b->module)
		return streq(a->module, b->module) && a->offset == b->offset;
	return a->addr == b->addr;
}

static struct flame_node *child(struct flame_node *parent, const struct an_frame *f)
{
	struct flame_node *kids;

	for (size_t i = 0; i < parent->n; i++)
		if (same_frame(parent->kids[i].frame, f))
			return &parent->kids[i];
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;

		kids = realloc(parent->kids, cap * sizeof(*kids));
		if (!kids)
			return NULL;
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->n] = (struct flame_node){ .frame = f };
	return &parent->kids[parent->n++];
}

static int add_site(struct flame_node *root, const struct an_site *s, int64_t w)
{
	struct flame_node *node = root;

	root->value += w;
	for (int i = s->stack.depth - 1; i >= 0; i--) {
		node = child(node, &s->stack.frames[i]);
		if (!node)
			return -ENOMEM;
		node->value += w;
	}
	return 0;
}

static const char *name_of(const struct an_frame *f, char *buf, size_t len)
{
	return report_frame_name(f, buf, len);
}

static int by_value_desc(const void *pa, const void *pb)
{
	const struct flame_node *a = pa, *b = pb;
	char ba[512], bb[512];

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return strcmp(name_of(a->frame, ba, sizeof(ba)), name_of(b->frame, bb, sizeof(bb)));
}

static void sort_tree(struct flame_node *node)
{
	if (node->n > 1) /* a leaf's kids is NULL, which qsort must not be given even for 0 */
		qsort(node->kids, node->n, sizeof(*node->kids), by_value_desc);
	for (size_t i = 0; i < node->n; i++)
		sort_tree(&node->kids[i]);
}

int flame_build(const struct an_sites *sites, enum flame_weight w, struct flame_node *root)
{
	int e = 0;

	*root = (struct flame_node){ 0 };
	for (size_t i = 0; i < sites->n && !e; i++) {
		int64_t v = weight_of(&sites->v[i], w);

		if (v > 0)
			e = add_site(root, &sites->v[i], v);
	}
	if (e) {
		flame_free(root);
		return e;
	}
	sort_tree(root);
	return 0;
}

static void free_kids(struct flame_node *node)
{
	for (size_t i = 0; i < node->n; i++)
		free_kids(&node->kids[i]);
	free(node->kids);
}

void flame_free(struct flame_node *root)
{
	if (!root)
		return;
	free_kids(root);
	*root = (struct flame_node){ 0 };
}

/* Recursion is as deep as the longest stack (at most the recorder's --max-depth). */
void flame_render(struct json *j, const struct flame_node *node)
{
	const struct an_frame *f = node->frame;
	char addr[512];

	json_obj_begin(j);
	json_kv_str(j, "name", f ? name_of(f, addr, sizeof(addr)) : "all");
	if (f)
		report_json_frame_place(j, f);
	json_kv_int(j, "value", node->value);
	json_key(j, "children");
	json_arr_begin(j);
	for (size_t i = 0; i < node->n; i++)
		flame_render(j, &node->kids[i]);
	json_arr_end(j);
	json_obj_end(j);
}
