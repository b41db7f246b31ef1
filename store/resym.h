/* Re-symbolizing a finished recording in place: the frames that lack symbols, by module, and
 * their update in one transaction (heapscope symbolize). */
#ifndef HEAPSCOPE_STORE_RESYM_H
#define HEAPSCOPE_STORE_RESYM_H

#include <stddef.h>
#include <stdint.h>

struct store_resym;

/* A frame to resolve: its id and its address in the module's file (frames.rel_addr). */
struct resym_frame {
	int64_t id;
	uint64_t rel_addr;
};

/* The frames of one file (every modules row with that build-id, e.g. one per process) that lack
 * a function or a source file. path is the first such row's; strings and v are the store's
 * until the next call or store_resym_close. */
struct resym_module {
	const char *path, *build_id;
	struct resym_frame *v;
	size_t n;
};

/* A function inlined at a frame (inlined_frames), innermost first. */
struct resym_inline {
	const char *function, *file;
	int line;
};

/* Opens the recording at path for writing and starts the transaction (BEGIN IMMEDIATE). A
 * recording still being written (no end, its recorder running) is refused with -EBUSY, another
 * schema with -EPROTO, a missing file with -ENOENT, not a recording with -ENOTSUP; err says why
 * in one line. */
int store_resym_open(const char *path, struct store_resym **out, char *err, size_t errlen);

/* The next file with frames to resolve: 1 with *m filled, 0 when there are no more, -EIO. */
int store_resym_next(struct store_resym *r, struct resym_module *m);

/* Sets a frame's function (kept when NULL), file and line, and replaces its inlined functions.
 * 0 or -EIO. */
int store_resym_update(struct store_resym *r, int64_t frame_id, const char *function,
		       const char *file, int line, const struct resym_inline *inl, int ninl);

/* Commits everything updated; 0 or -EIO (then nothing changed). */
int store_resym_commit(struct store_resym *r);

/* Rolls back what was not committed and closes. Accepts NULL. */
void store_resym_close(struct store_resym *r);

/* The last SQLite error. */
const char *store_resym_errmsg(const struct store_resym *r);

#endif
