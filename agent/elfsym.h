/* Reading function symbols, code bytes and the GNU build-id of an ELF file on disk (libelf). */
#ifndef HEAPSCOPE_ELFSYM_H
#define HEAPSCOPE_ELFSYM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_file;

/* A defined function symbol. */
struct elf_func {
	uint64_t vaddr;	      /* st_value, the ELF virtual address */
	uint64_t size;	      /* st_size in bytes; 0 when the symbol carries no size */
	uint64_t file_offset; /* vaddr via its PT_LOAD: p_offset + vaddr - p_vaddr */
};

/* Opens path for reading. 0 with *out owned by the caller (elfsym_close), -errno from open(2),
 * -ENOEXEC if the file is not ELF, -ENOMEM. */
int elfsym_open(const char *path, struct elf_file **out);

/* Closes ef. Accepts NULL. */
void elfsym_close(struct elf_file *ef);

/* The defined FUNC symbol name, looked up in .dynsym, then .symtab (a .dynsym match wins).
 * A versioned symbol matches its bare name; the default version (name@@V, or a .dynsym entry
 * without the hidden bit) wins over a non-default one (name@V), which is used only when it is
 * the sole match. -ENOENT when absent, -ENOTSUP when the match is an IFUNC (its code is the
 * resolver, not the function), -EFAULT when no PT_LOAD holds its address. */
int elfsym_find_func(struct elf_file *ef, const char *name, struct elf_func *out);

/* ELF address of the defined data symbol (STT_OBJECT) `name`. 0, -ENOENT or -EINVAL. */
int elfsym_find_object(struct elf_file *ef, const char *name, uint64_t *vaddr);

/* Copies up to len bytes of the file found at ELF address vaddr (through the PT_LOAD that holds
 * it, stopping at the end of that segment's file bytes) into buf. The number of bytes copied,
 * or -EFAULT when no PT_LOAD holds vaddr, or -errno from pread(2). */
ssize_t elfsym_read_code(struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

/* The GNU build-id (NT_GNU_BUILD_ID note) as lowercase hex, NUL-terminated, into buf (41 bytes
 * hold a SHA-1 id). -ENOENT if the file has none, -ERANGE if buf is too small. */
int elfsym_build_id(struct elf_file *ef, char *buf, size_t len);

/* 1 if the file has a section of that name (e.g. ".go.buildinfo"), else 0. */
int elfsym_has_section(struct elf_file *ef, const char *name);

#endif
