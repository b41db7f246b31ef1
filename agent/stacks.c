/* Turns the BPF side's stack ids into stored, symbolized stacks. Frames are interned by address
 * and stacks by content, so two BPF ids with the same (truncated) frames share one row. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/elfsym.h"
#include "agent/placement.h"
#include "agent/stacks.h"
#include "agent/symbolize.h"
#include "agent/u64map.h"
#include "bpf/abi.h"
#include "store/store.h"

/* One address space: a process image, with its own symbolizer. */
struct stack_space {
	struct symbolizer *sym;
	int64_t proc;		 /* processes.id */
	uint64_t key;		 /* its frames' addresses are interned under key << 48 */
	int nmodules;		 /* of the symbolizer's modules, stored so far */
	int64_t *module_ids;	 /* per symbolizer module: modules.id */
	struct elf_file **elves; /* per symbolizer module: its file, to check return addresses */
	signed char *elf_state;	 /* 0 not opened yet, 1 open, -1 unreadable */
	int nelves;
};

struct stacks {
	struct store *st;
	struct u64map *by_bpf_id; /* bpf id -> int64 stacks.id */
	struct u64map *by_addr;	  /* space key << 48 ^ frame address -> int64 frames.id */
	struct u64map *by_hash;	  /* content hash -> int64 stacks.id (probing on collision) */
	int64_t *frames;	  /* frame ids of every stack, concatenated */
	size_t nframes, cap;
	int64_t *first; /* per stacks.id: offset in frames; depth in depths */
	int *depths;
	signed char *ends; /* per stacks.id: enum hs_walk_end */
	int *mod0;	   /* per stacks.id: modules.id - 1 of the innermost frame, -1 if none */
	int64_t nstacks, nframe_ids, nmodules;
	char **module_paths; /* per modules.id - 1 */
	uint64_t nspaces;
};

int stacks_new(struct store *st, struct stacks **out)
{
	struct stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->st = st;
	s->by_bpf_id = u64map_new(sizeof(int64_t));
	s->by_addr = u64map_new(sizeof(int64_t));
	s->by_hash = u64map_new(sizeof(int64_t));
	if (!s->by_bpf_id || !s->by_addr || !s->by_hash) {
		stacks_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void stacks_free(struct stacks *s)
{
	if (!s)
		return;
	u64map_free(s->by_bpf_id);
	u64map_free(s->by_addr);
	u64map_free(s->by_hash);
	free(s->frames);
	free(s->first);
	free(s->depths);
	free(s->ends);
	free(s->mod0);
	for (int64_t i = 0; i < s->nmodules; i++)
		free(s->module_paths[i]);
	free(s->module_paths);
	free(s);
}

int stacks_space_new(struct stacks *s, struct symbolizer *sym, int64_t proc,
		     struct stack_space **out)
{
	struct stack_space *sp = calloc(1, sizeof(*sp));

	if (!sp)
		return -ENOMEM;
	sp->sym = sym;
	sp->proc = proc;
	sp->key = ++s->nspaces;
	*out = sp;
	return 0;
}

void stacks_space_free(struct stack_space *sp)
{
	if (!sp)
		return;
	for (int i = 0; i < sp->nelves; i++)
		elfsym_close(sp->elves[i]);
	free(sp->elves);
	free(sp->elf_state);
	free(sp->module_ids);
	free(sp);
}

/* A new modules row for module m of the space's symbolizer. */
static int add_module(struct stacks *s, struct stack_space *sp, const struct sym_module *m)
{
	char **paths = realloc(s->module_paths, (s->nmodules + 1) * sizeof(*paths));
	int64_t *ids = paths ? realloc(sp->module_ids, (sp->nmodules + 1) * sizeof(*ids)) : NULL;

	if (paths)
		s->module_paths = paths;
	if (!ids)
		return -ENOMEM;
	sp->module_ids = ids;
	paths[s->nmodules] = strdup(m->path);
	if (!paths[s->nmodules])
		return -ENOMEM;
	ids[sp->nmodules] = ++s->nmodules;
	return store_insert_module(s->st, s->nmodules, m->path, m->build_id, m->start, m->end);
}

/* Stores the modules the space's symbolizer learned since the last call. */
static int sync_modules(struct stacks *s, struct stack_space *sp)
{
	int n = sym_module_count(sp->sym), err = 0;

	for (; sp->nmodules < n && !err; sp->nmodules++)
		err = add_module(s, sp, sym_module_get(sp->sym, sp->nmodules));
	return err;
}

/* The module's file, opened once; NULL when it cannot be read (the vdso, a deleted file). */
static struct elf_file *module_elf(struct stack_space *s, int m)
{
	if (m >= s->nelves) {
		int n = m + 16;
		struct elf_file **e = realloc(s->elves, n * sizeof(*e));
		signed char *st = e ? realloc(s->elf_state, n) : NULL;

		if (e)
			s->elves = e;
		if (!st)
			return NULL;
		s->elf_state = st;
		memset(s->elves + s->nelves, 0, (n - s->nelves) * sizeof(*e));
		memset(s->elf_state + s->nelves, 0, n - s->nelves);
		s->nelves = n;
	}
	if (!s->elf_state[m]) {
		const struct sym_module *mod = sym_module_get(s->sym, m);

		s->elf_state[m] =
			mod && mod->path[0] == '/' && !elfsym_open(mod->path, &s->elves[m]) ? 1 :
											      -1;
	}
	return s->elf_state[m] > 0 ? s->elves[m] : NULL;
}

/* A frame-pointer walk through code without frame pointers yields words that are not return
 * addresses: a real one follows a call instruction. Unverifiable addresses are kept. */
static int after_call(struct stack_space *s, const struct sym_info *info)
{
	struct elf_file *ef = module_elf(s, info->module);
	uint8_t code[15];

	if (!ef || info->rel_addr < sizeof(code) ||
	    elfsym_read_code(ef, info->rel_addr - sizeof(code), code, sizeof(code)) !=
		    (ssize_t)sizeof(code))
		return 1;
	return placement_call_before(code, sizeof(code));
}

/* frames.id of addr, symbolizing it the first time; *known = 0 if it is in no module or does
 * not follow a call. */
static int frame_id(struct stacks *s, struct stack_space *sp, uint64_t addr, int64_t *id,
		    int *known)
{
	uint64_t key = (sp->key << 48) ^ addr;
	struct sym_info info;
	int64_t *slot;
	int created, err;

	slot = u64map_put(s->by_addr, key, &created);
	if (!slot)
		return -ENOMEM;
	if (!created) {
		*id = *slot > 0 ? *slot : -*slot;
		*known = *slot > 0;
		return 0;
	}
	sym_lookup(sp->sym, addr, &info);
	err = sync_modules(s, sp);
	*id = ++s->nframe_ids;
	*known = info.module >= 0 && after_call(sp, &info);
	*(int64_t *)u64map_get(s->by_addr, key) = *known ? *id : -*id;
	if (!err)
		err = store_insert_frame(s->st, *id, addr,
					 info.module >= 0 ? sp->module_ids[info.module] : 0,
					 info.rel_addr, info.function, info.file, info.line);
	for (int i = 0; i < info.ninlined && !err; i++)
		err = store_insert_inlined(s->st, *id, i, info.inlined[i].function,
					   info.inlined[i].file, info.inlined[i].line);
	return err;
}

static const char *const walk_ends[HS_END_COUNT] = {
	[HS_END_COMPLETE] = "complete",
	[HS_END_CALLER_ONLY] = "caller_only",
	[HS_END_FP] = "fp",
	[HS_END_DEPTH] = "depth",
	[HS_END_NO_MAPPING] = "no_mapping",
	[HS_END_NO_CFI] = "no_cfi",
	[HS_END_UNSUPPORTED] = "unsupported",
	[HS_END_READ_FAULT] = "read_fault",
	[HS_END_BAD_FRAME] = "bad_frame",
};

static uint64_t content_hash(const int64_t *ids, int depth, int end)
{
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)end;

	for (int i = 0; i < depth; i++) {
		h ^= (uint64_t)ids[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static int grow_arrays(struct stacks *s, int depth)
{
	if (s->nframes + depth > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		int64_t *f;

		while (cap < s->nframes + depth)
			cap *= 2;
		f = realloc(s->frames, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->frames = f;
		s->cap = cap;
	}
	if ((s->nstacks & (s->nstacks + 1)) == 0) { /* nstacks + 1 is a power of two */
		size_t n = (s->nstacks + 1) * 2 + 1;
		int64_t *first = realloc(s->first, n * sizeof(*first));
		int *depths = first ? realloc(s->depths, n * sizeof(*depths)) : NULL;
		int *mod0 = depths ? realloc(s->mod0, n * sizeof(*mod0)) : NULL;
		signed char *ends = mod0 ? realloc(s->ends, n) : NULL;

		if (first)
			s->first = first;
		if (depths)
			s->depths = depths;
		if (mod0)
			s->mod0 = mod0;
		if (!ends)
			return -ENOMEM;
		s->ends = ends;
	}
	return 0;
}

static int same(const struct stacks *s, int64_t id, const int64_t *ids, int depth, int end)
{
	return s->depths[id] == depth && s->ends[id] == end &&
	       !memcmp(s->frames + s->first[id], ids, depth * sizeof(*ids));
}

/* stacks.id for this frame list, storing it the first time. */
static int intern(struct stacks *s, const int64_t *ids, int depth, int end, int mod0, int64_t proc,
		  int64_t *out)
{
	uint64_t h = content_hash(ids, depth, end);
	int64_t *slot;
	int created, err;

	for (;; h = h * 31 + 1) { /* probe on a (64-bit) content-hash collision */
		slot = u64map_put(s->by_hash, h ? h : 1, &created);
		if (!slot)
			return -ENOMEM;
		if (created || same(s, *slot, ids, depth, end))
			break;
	}
	if (!created) {
		*out = *slot;
		return 0;
	}
	err = grow_arrays(s, depth);
	if (err)
		return err;
	*slot = *out = ++s->nstacks;
	s->first[*out] = s->nframes;
	s->depths[*out] = depth;
	s->ends[*out] = (signed char)end;
	s->mod0[*out] = mod0;
	memcpy(s->frames + s->nframes, ids, depth * sizeof(*ids));
	s->nframes += depth;
	return store_insert_stack(s->st, *out, depth, walk_ends[end], ids, proc);
}

int stacks_add(struct stacks *s, struct stack_space *sp, uint64_t bpf_id, const uint64_t *frames,
	       uint32_t depth, uint32_t end)
{
	int64_t ids[HS_MAX_FRAMES], stack_id, *slot;
	int n = 0, known = 1, err = 0, created;
	struct sym_info info = { .module = -1 };

	if (depth > HS_MAX_FRAMES)
		depth = HS_MAX_FRAMES;
	for (uint32_t i = 0; i < depth && !err; i++) {
		err = frame_id(s, sp, frames[i], &ids[n], &known);
		if (!known && i > 0) {
			end = HS_END_BAD_FRAME; /* not a return address: the walk went astray */
			break;
		}
		n++;
	}
	if (end >= HS_END_COUNT)
		end = HS_END_BAD_FRAME;
	if (!err && n)
		sym_lookup(sp->sym, frames[0], &info); /* cached by frame_id */
	if (!err)
		err = intern(s, ids, n, (int)end,
			     info.module >= 0 ? (int)sp->module_ids[info.module] - 1 : -1, sp->proc,
			     &stack_id);
	if (err)
		return err;
	slot = u64map_put(s->by_bpf_id, bpf_id, &created);
	if (!slot)
		return -ENOMEM;
	*slot = stack_id;
	return 0;
}

int64_t stacks_lookup(const struct stacks *s, uint64_t bpf_id)
{
	int64_t *id = bpf_id ? u64map_get(s->by_bpf_id, bpf_id) : NULL;

	return id ? *id : 0;
}

const char *stacks_innermost_path(const struct stacks *s, int64_t site)
{
	int m = site > 0 && site <= s->nstacks ? s->mod0[site] : -1;

	return m >= 0 ? s->module_paths[m] : NULL;
}
