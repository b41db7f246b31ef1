/* Symbolizer for return addresses of a live (or since exited) process: module, function, line. */
#ifndef HEAPSCOPE_SYMBOLIZE_H
#define HEAPSCOPE_SYMBOLIZE_H

#include <stdint.h>
#include <sys/types.h>

struct symbolizer;

struct sym_module {
	const char *path;    /* as in /proc/PID/maps, "[vdso: PID]" for the vdso; symbolizer's */
	char build_id[41];   /* lowercase hex; "" if none, unreadable or longer than 20 bytes */
	uint64_t start, end; /* load range in the process */
	uint64_t bias;	     /* runtime addr - ELF vaddr; 0 if the ELF file was unreadable */
};

/* A function inlined at an address: the strings are the symbolizer's until sym_close. */
struct sym_inline {
	const char *function; /* demangled (DWARF's linkage name, else its name); NULL if unknown */
	const char *file;     /* NULL if unknown */
	int line;	      /* 0 if unknown */
};

/* Where a return address is. When other functions' code is inlined at the call, function is the
 * one that holds the code (its symbol) and file:line the call site in it of the outermost
 * inlined call; inlined lists the inlined functions innermost first: inlined[0]'s file:line is
 * the call's own source line, each next one's the call site of the one before (addr2line -i's
 * order, with the outer function last). */
struct sym_info {
	const char *function; /* demangled, NULL if unknown; the symbolizer's until sym_close */
	const char *file;     /* source file, full path as in DWARF, NULL if unknown; same */
	int line;	      /* 0 if unknown */
	int ninlined;
	const struct sym_inline *inlined; /* ninlined entries; the symbolizer's */
	int module;	      /* index for sym_module_get, -1 if addr is in no known module */
	uint64_t rel_addr;    /* addr - that module's bias (its ELF vaddr); addr if module is -1 */
};

/* Reports the code mappings of pid (files mapped with exec, from /proc/PID/maps, and the vdso)
 * and opens their ELF files now, so they stay usable once pid is gone. On success *out is the
 * caller's, to free with sym_close. Errors: -ESRCH if pid is gone or a zombie, -EACCES/-EPERM,
 * -ENOMEM, -EINVAL for pid <= 0, -EIO if the maps could not be parsed. */
int sym_open(pid_t pid, struct symbolizer **out);

/* A symbolizer for one ELF file (an unstripped copy or a separate debug file), at the file's own
 * addresses: sym_lookup takes a return address as frames.rel_addr holds it (module 0). Errors:
 * -ENOEXEC (not an ELF file libdwfl can read), -ENOMEM. Free with sym_close. */
int sym_file_open(const char *path, struct symbolizer **out);

/* name demangled (C++, Rust legacy without its hash, Rust v0); NULL if it is not a mangled name
 * (or out of memory). The caller frees it. */
char *sym_demangle(const char *name);

/* Frees everything, including every string handed out by sym_lookup and sym_module_get.
 * Accepts NULL. */
void sym_close(struct symbolizer *s);

/* Re-reads the maps after dlopen/dlclose. Known modules keep their index, new ones are appended;
 * an unmapped module stays usable unless code mapped later overlaps it; the lookup cache is
 * kept. Errors: -ESRCH once the process is gone (or a zombie): the modules already reported stay
 * usable and no more reads are tried; -ENOMEM; -EACCES; -EIO if the maps could not be parsed. */
int sym_refresh(struct symbolizer *s);

/* Adds the object at path loaded with the given bias (as the dynamic linker reports it), unless
 * known already: a library loaded and unloaded between two reads of /proc/PID/maps still
 * symbolizes. 0 (also for a file that is not ELF) or -ENOMEM. */
int sym_note_module(struct symbolizer *s, const char *path, uint64_t bias);

/* Symbolizes a return address: function and file:line of the call (addr - 1), module and
 * rel_addr of addr itself. Cached per address. An address in no known module triggers one
 * sym_refresh while the process lives. Returns 0 even when nothing is known (function NULL,
 * module -1); -ENOMEM is the only error. */
int sym_lookup(struct symbolizer *s, uint64_t addr, struct sym_info *out);

int sym_module_count(const struct symbolizer *s);

/* 1 if module idx is mapped in the process as far as the last refresh knows, else 0. */
int sym_module_mapped(const struct symbolizer *s, int idx);

/* Module idx, owned by the symbolizer and unchanged until sym_close; NULL if out of range. */
const struct sym_module *sym_module_get(const struct symbolizer *s, int idx);

#endif
