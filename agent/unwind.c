/* Unwind tables for the BPF stack walker. Rows are appended to the shared array and never
 * moved, so a mapping table once published stays valid; the two mapping tables alternate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/cfi.h"
#include "agent/symbolize.h"
#include "agent/unwind.h"
#include "bpf/abi.h"

/* A file's rows in the shared array: by build-id, else by path. */
struct file_rows {
	char *key;
	uint32_t first, count;
};

struct unwinder {
	struct hs_unwind_row *rows;
	size_t rows_len;
	struct hs_mappings *tables; /* [2 * nslots] */
	size_t tables_len;
	uint32_t *live;		    /* [nslots] */
	uint32_t nslots;
	uint32_t publishes;	    /* makes every generation unique across slots */
	struct file_rows *files;
	int nfiles, cap_files;
	struct unwind_stats stats;
};

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

static void *map_array(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int unwinder_new(int rows_fd, uint32_t rows_cap, int mappings_fd, uint32_t *live,
		 uint32_t nslots, struct unwinder **out)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return -ENOMEM;
	u->rows_len = page_round((size_t)rows_cap * sizeof(struct hs_unwind_row));
	u->tables_len = page_round(2 * (size_t)nslots * sizeof(struct hs_mappings));
	u->rows = map_array(rows_fd, u->rows_len);
	u->tables = u->rows ? map_array(mappings_fd, u->tables_len) : NULL;
	if (!u->tables) {
		err = -errno;
		unwinder_free(u);
		return err;
	}
	u->live = live;
	u->nslots = nslots;
	u->stats.rows_cap = rows_cap;
	*out = u;
	return 0;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->rows)
		munmap(u->rows, u->rows_len);
	if (u->tables)
		munmap(u->tables, u->tables_len);
	for (int i = 0; i < u->nfiles; i++)
		free(u->files[i].key);
	free(u->files);
	free(u);
}

/* Copies a file's rows into the shared array; count 0 when it has none or they do not fit. */
static void load_rows(struct unwinder *u, const char *path, struct file_rows *f)
{
	struct hs_unwind_row *rows = NULL;
	size_t n = 0;

	if (cfi_build(path, &rows, &n) || !n) {
		u->stats.files_no_cfi++;
	} else if (n > u->stats.rows_cap - u->stats.rows) {
		u->stats.files_no_room++;
	} else {
		f->first = (uint32_t)u->stats.rows;
		f->count = (uint32_t)n;
		memcpy(u->rows + f->first, rows, n * sizeof(*rows));
		u->stats.rows += n;
		u->stats.files++;
	}
	free(rows);
}

/* The rows of module m's file, built the first time the file is met; NULL on -ENOMEM. */
static const struct file_rows *file_rows(struct unwinder *u, const struct sym_module *m)
{
	const char *key = m->build_id[0] ? m->build_id : m->path;
	struct file_rows *f;

	for (int i = 0; i < u->nfiles; i++)
		if (!strcmp(u->files[i].key, key))
			return &u->files[i];
	if (u->nfiles == u->cap_files) {
		int cap = u->cap_files ? 2 * u->cap_files : 64;
		struct file_rows *p = realloc(u->files, cap * sizeof(*p));

		if (!p)
			return NULL;
		u->files = p;
		u->cap_files = cap;
	}
	f = &u->files[u->nfiles];
	*f = (struct file_rows){ .key = strdup(key) };
	if (!f->key)
		return NULL;
	u->nfiles++;
	load_rows(u, m->path, f);
	return f;
}

static int by_start(const void *a, const void *b)
{
	const struct hs_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int overlaps(const struct hs_mapping *m, uint32_t n, const struct sym_module *mod)
{
	for (uint32_t i = 0; i < n; i++)
		if (m[i].start < mod->end && mod->start < m[i].end)
			return 1;
	return 0;
}

int unwinder_sync(struct unwinder *u, uint32_t slot, const struct symbolizer *sym)
{
	uint32_t old, next, n = 0;
	struct hs_mappings *t;
	int count = sym_module_count(sym);

	if (slot >= u->nslots)
		return -EINVAL;
	old = __atomic_load_n(&u->live[slot], __ATOMIC_ACQUIRE);
	next = (++u->publishes << 1) | (~old & 1);
	t = &u->tables[2 * slot + (next & 1)];

	/* Newest first: where a library was unloaded and another loaded over it, the later wins. */
	for (int i = count - 1; i >= 0 && n < HS_MAX_MAPPINGS; i--) {
		const struct sym_module *m = sym_module_get(sym, i);
		const struct file_rows *f;

		if (!sym_module_mapped(sym, i) || m->path[0] != '/' || overlaps(t->m, n, m))
			continue; /* gone, or the vdso: the walker falls back to frame pointers */
		f = file_rows(u, m);
		if (!f)
			return -ENOMEM;
		t->m[n++] = (struct hs_mapping){ .start = m->start, .end = m->end, .bias = m->bias,
						 .first = f->first, .count = f->count };
	}
	qsort(t->m, n, sizeof(*t->m), by_start);
	t->count = n;
	u->stats.mappings = (int)t->count;
	__atomic_store_n(&u->live[slot], next, __ATOMIC_RELEASE);
	return 0;
}

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *out)
{
	*out = u->stats;
}

/* A copy of the stack: n bytes from base. */
struct stack_copy {
	uint64_t base;
	const uint8_t *bytes;
	size_t n;
};

static int copy_word(const struct stack_copy *c, uint64_t addr, uint64_t *out)
{
	if (addr < c->base || c->n < 8 || addr - c->base > c->n - 8)
		return -1;
	memcpy(out, c->bytes + (addr - c->base), sizeof(*out));
	return 0;
}

/* The row for the frame of return address pc (NULL: no row), and whether pc is in a module:
 * the symbolizer knows which (it symbolizes every frame anyway, and caches per address). */
static const struct hs_unwind_row *rule_at(struct unwinder *u, struct symbolizer *sym,
					   uint64_t pc, int *mapped)
{
	const struct sym_module *m;
	const struct file_rows *f;
	struct sym_info info;

	*mapped = 0;
	if (sym_lookup(sym, pc, &info) || info.module < 0)
		return NULL;
	m = sym_module_get(sym, info.module);
	*mapped = 1;
	if (m->path[0] != '/') /* the vdso */
		return NULL;
	f = file_rows(u, m);
	return f && f->count ? cfi_lookup(u->rows + f->first, f->count, info.rel_addr - 1) : NULL;
}

/* The BPF walker's step, on the copy: the caller's CFA, return address and rbp, or the end. */
static uint32_t copy_step(const struct hs_unwind_row *r, int mapped, const struct stack_copy *c,
			  uint64_t sp, uint64_t *cfa, uint64_t *ra, uint64_t *fp)
{
	uint64_t saved_fp = *fp;

	if (r && r->cfa_kind == HS_CFA_STOP)
		return HS_END_COMPLETE;
	if (r && r->cfa_kind == HS_CFA_UNSUPPORTED)
		return HS_END_UNSUPPORTED;
	if (r && r->cfa_kind <= HS_CFA_RBP) {
		*cfa = (r->cfa_kind == HS_CFA_RSP ? sp : saved_fp) + r->cfa_off;
		if (copy_word(c, *cfa - 8, ra) ||
		    (r->rbp_slot && copy_word(c, *cfa + 8 * (int64_t)r->rbp_slot, fp)))
			return HS_END_READ_FAULT;
		return HS_END_COUNT;
	}
	/* No row: the frame pointer, as the walker falls back to it. */
	if (saved_fp < sp || (saved_fp & 7) || copy_word(c, saved_fp + 8, ra) ||
	    copy_word(c, saved_fp, fp))
		return mapped ? HS_END_NO_CFI : HS_END_NO_MAPPING;
	*cfa = saved_fp + 16;
	return HS_END_COUNT;
}

uint32_t unwinder_finish_walk(struct unwinder *u, struct symbolizer *sym, uint64_t *frames,
			      uint32_t *depth, uint32_t max_depth, uint64_t sp, uint64_t fp,
			      const uint8_t *bytes, size_t n)
{
	const struct stack_copy c = { .base = sp, .bytes = bytes, .n = n };

	if (!*depth)
		return HS_END_BAD_FRAME;
	while (*depth < max_depth) {
		uint64_t cfa = 0, ra = 0;
		int mapped;
		const struct hs_unwind_row *r = rule_at(u, sym, frames[*depth - 1], &mapped);
		uint32_t end = copy_step(r, mapped, &c, sp, &cfa, &ra, &fp);

		if (end != HS_END_COUNT)
			return end;
		if (!ra || cfa <= sp)
			return HS_END_BAD_FRAME;
		frames[(*depth)++] = ra;
		sp = cfa;
	}
	return HS_END_DEPTH;
}
