/* Unwind rows of one ELF file from its call-frame information (libdw), in ELF vaddr space. */
#ifndef HEAPSCOPE_CFI_H
#define HEAPSCOPE_CFI_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/abi.h"

/* Builds the rows for the x86-64 ELF file at path: from .eh_frame; when .eh_frame is missing or
 * covers less than half of the executable segments' bytes, also from .debug_frame in the file
 * itself or in its separate debug file /usr/lib/debug/.build-id/xx/rest.debug (.eh_frame's rules
 * win where both have one). Each row holds from its addr to the next row's; rows are sorted
 * strictly by addr and no two neighbours carry the same rule. Code above 4 GiB cannot be
 * addressed by a row: a final HS_CFA_UNSUPPORTED row at 0xffffffff covers it.
 * 0 with *rows (malloc'd, caller frees) and *n set; -ENOENT when the file has no usable CFI;
 * -ENOEXEC if it is not a 64-bit x86-64 ELF file; -errno from open(2); -ENOMEM. */
int cfi_build(const char *path, struct hs_unwind_row **rows, size_t *n);

/* The row that holds vaddr (binary search), NULL if vaddr is below the first row. */
const struct hs_unwind_row *cfi_lookup(const struct hs_unwind_row *rows, size_t n, uint64_t vaddr);

#endif
