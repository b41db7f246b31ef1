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
#include "bpf/unwind_step.h"

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
	uint32_t *live; /* [nslots] */
	uint32_t nslots;
	uint32_t publishes; /* makes every generation unique across slots */
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

int unwinder_new(int rows_fd, uint32_t rows_cap, int mappings_fd, uint32_t *live, uint32_t nslots,
		 struct unwinder **out)
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
		t->m[n++] = (struct hs_mapping){ .start = m->start,
						 .end = m->end,
						 .bias = m->bias,
						 .first = f->first,
						 .count = f->count };
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

int unwind_copy_read(const struct unwind_copy *c, uint64_t addr, void *out, uint32_t n)
{
	size_t len = 8 * (size_t)n;

	if (addr < c->base || c->n < len || addr - c->base > c->n - len)
		return -EFAULT;
	memcpy(out, c->bytes + (addr - c->base), len);
	return 0;
}

/* The frame step's hooks (bpf/unwind_step.h); src is a struct unwind_copy. */
static __always_inline long unwind_read_words(void *src, __u64 addr, __u64 *out, __u32 n)
{
	return unwind_copy_read(src, addr, out, n);
}

static __always_inline void unwind_fp_taken(void *src)
{
	(void)src; /* only the BPF side counts them */
}

/* The rule for the frame of return address pc, as the BPF walker finds it in its mapping table:
 * 1 with the row (a NONE row where no CFI covers pc), or 0, with a NONE row, when pc is in no
 * mapping of that table, which leaves out the vdso. The symbolizer knows the module (it
 * symbolizes every frame anyway, and caches per address). */
static int rule_at(struct unwinder *u, struct symbolizer *sym, uint64_t pc,
		   struct hs_unwind_row *row)
{
	const struct hs_unwind_row *r = NULL;
	const struct sym_module *m;
	const struct file_rows *f;
	struct sym_info info;

	*row = (struct hs_unwind_row){ .cfa_kind = HS_CFA_NONE };
	if (sym_lookup(sym, pc, &info) || info.module < 0)
		return 0;
	m = sym_module_get(sym, info.module);
	if (m->path[0] != '/')
		return 0;
	f = file_rows(u, m);
	if (f && f->count)
		r = cfi_lookup(u->rows + f->first, f->count, info.rel_addr - 1);
	if (r)
		*row = *r;
	return 1;
}

uint32_t unwinder_finish_walk(struct unwinder *u, struct symbolizer *sym, uint64_t *frames,
			      uint32_t *depth, uint32_t max_depth, uint64_t sp, uint64_t fp,
			      const uint8_t *bytes, size_t n)
{
	struct unwind_copy c = { .base = sp, .bytes = bytes, .n = n };
	struct unwind_regs r = { .sp = sp, .fp = fp };

	if (!*depth)
		return HS_END_BAD_FRAME;
	while (*depth < max_depth) {
		struct hs_unwind_row row;
		uint32_t end;
		int mapped;

		r.pc = frames[*depth - 1];
		mapped = rule_at(u, sym, r.pc, &row);
		end = unwind_step(&c, &row, mapped, &r);
		if (end != UNWIND_GO_ON)
			return end;
		frames[(*depth)++] = r.pc;
	}
	return HS_END_DEPTH;
}
