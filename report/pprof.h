/* A heap profile builder that encodes pprof's profile.proto by hand and writes it gzipped. */
#ifndef HEAPSCOPE_REPORT_PPROF_H
#define HEAPSCOPE_REPORT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The order of a sample's values, as Go's heap profiles have them. */
enum pprof_value {
	PPROF_ALLOC_OBJECTS, /* alloc_objects/count */
	PPROF_ALLOC_SPACE,   /* alloc_space/bytes */
	PPROF_INUSE_OBJECTS, /* inuse_objects/count */
	PPROF_INUSE_SPACE,   /* inuse_space/bytes, the default sample type */
	PPROF_NVALUES,
};

/* One symbolized frame. Strings are copied; NULL or 0 means unknown. */
struct pprof_frame {
	const char *function; /* NULL: named "0x<addr>" */
	const char *file;
	int line;
	uint64_t addr;	    /* runtime address; 0 if unknown */
	const char *module; /* path of the mapped object; NULL: no mapping */
	const char *build_id;
	uint64_t module_start, module_end; /* runtime range of the module's mapping */
	uint64_t offset;		   /* addr in the module's file: names a frame without
					    * a function ("libfoo.so+0x1234") */
	int inlined; /* inlined into the next frame: one Location, a Line each, innermost first */
};

/*
 * Interns strings, functions (by name and file), mappings (by module path: the first load range
 * seen is the mapping's, other processes' addresses are moved into it) and locations (by
 * mapping, address and their lines: a frame and the functions inlined into it). A mapping with
 * a frame lacking a function or file says so (has_functions / has_filenames false), so pprof
 * symbolizes its addresses by build-id when it can.
 */
struct pprof;

/* An empty profile; NULL if out of memory. Free with pprof_free(). */
struct pprof *pprof_new(void);
/*
 * Adds one sample: frames[0] is the innermost frame (the allocator's caller), frames[depth - 1]
 * the outermost; inlined frames join the next frame's location. Returns 0, -EINVAL for a negative depth or NULL frames or values, -ENOMEM.
 */
int pprof_add_sample(struct pprof *p, const struct pprof_frame *frames, int depth,
		     const int64_t values[PPROF_NVALUES]);

struct an_stack;
/* pprof_add_sample of a stored stack (its first 256 frames). */
int pprof_add_stack(struct pprof *p, const struct an_stack *stack,
		    const int64_t values[PPROF_NVALUES]);
/* A sampled recording (sample_bytes > 0): the period becomes the mean bytes between samples (as
 * Go's heap profiles give their rate) and a comment says the values are estimates; the values
 * themselves are already scaled. Returns 0 or -ENOMEM. */
int pprof_set_sampling(struct pprof *p, int64_t sample_bytes);
/* Wall-clock start of the recording and its length; 0 leaves a field out. */
void pprof_set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos);
/*
 * The uncompressed profile.proto bytes in *out (length *len), which the caller frees.
 * Returns 0 or -ENOMEM.
 */
int pprof_encode(const struct pprof *p, unsigned char **out, size_t *len);
/* Writes the gzipped profile to out and flushes it. Returns 0, -ENOMEM, -EFBIG or -EIO. */
int pprof_write_gz(const struct pprof *p, FILE *out);
/* Frees the builder; NULL is fine. */
void pprof_free(struct pprof *p);

#endif
