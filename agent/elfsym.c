/* Reading function symbols, code bytes and the GNU build-id of an ELF file on disk (libelf). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/elfsym.h"

/* VERSYM_HIDDEN marks a non-default version (name@V rather than name@@V). */
#define VERSYM_HIDDEN 0x8000

struct elf_file {
	int fd;
	Elf *elf;
};

/* How well a symbol matches: a lookup keeps the best, so a default version beats a hidden one. */
enum match { NO_MATCH, MATCH_HIDDEN, MATCH_DEFAULT };

struct best_sym {
	GElf_Sym sym;
	enum match match;
};

int elfsym_open(const char *path, struct elf_file **out)
{
	struct elf_file *ef;
	int err;

	if (!path || !out)
		return -EINVAL;
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = -errno;
		goto fail;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto fail;
	}
	*out = ef;
	return 0;
fail:
	elfsym_close(ef);
	return err;
}

void elfsym_close(struct elf_file *ef)
{
	if (!ef)
		return;
	elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef);
}

/* The PT_LOAD whose file bytes hold vaddr. 0 or -EFAULT. */
static int load_segment(struct elf_file *ef, uint64_t vaddr, GElf_Phdr *out)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -EFAULT;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(ef->elf, (int)i, out) || out->p_type != PT_LOAD)
			continue;
		if (vaddr >= out->p_vaddr && vaddr - out->p_vaddr < out->p_filesz)
			return 0;
	}
	return -EFAULT;
}

/* symname is name, name@@VER or name@VER; hidden is the .dynsym versym bit. */
static enum match match_name(const char *symname, const char *name, size_t name_len, int hidden)
{
	if (strncmp(symname, name, name_len))
		return NO_MATCH;
	if (symname[name_len] == '\0')
		return hidden ? MATCH_HIDDEN : MATCH_DEFAULT;
	if (symname[name_len] != '@')
		return NO_MATCH;
	return symname[name_len + 1] == '@' ? MATCH_DEFAULT : MATCH_HIDDEN;
}

/* The GNU versym data of the file (parallel to .dynsym), or NULL. */
static Elf_Data *versym_data(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_GNU_versym)
			return elf_getdata(scn, NULL);
	return NULL;
}

/* Improves *best with the defined FUNC/IFUNC (or, with objects set, OBJECT) symbols of every
 * section of type sh_type. */
static void scan_symbols(Elf *elf, Elf64_Word sh_type, const char *name, int objects,
			 struct best_sym *best)
{
	Elf_Data *vs = sh_type == SHT_DYNSYM ? versym_data(elf) : NULL;
	size_t name_len = strlen(name);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)) && best->match != MATCH_DEFAULT) {
		Elf_Data *d = elf_getdata(scn, NULL);

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != sh_type || !d || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Versym v = 0;
			GElf_Sym s;
			const char *sn;
			enum match m;
			int type;

			if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(s.st_info);
			if (objects ? type != STT_OBJECT :
				      type != STT_FUNC && type != STT_GNU_IFUNC)
				continue;
			sn = elf_strptr(elf, sh.sh_link, s.st_name);
			if (vs && !gelf_getversym(vs, (int)i, &v))
				v = 0;
			m = sn ? match_name(sn, name, name_len, v & VERSYM_HIDDEN) : NO_MATCH;
			if (m > best->match) {
				best->sym = s;
				best->match = m;
			}
			if (m == MATCH_DEFAULT)
				break;
		}
	}
}

int elfsym_find_func(struct elf_file *ef, const char *name, struct elf_func *out)
{
	struct best_sym best = { .match = NO_MATCH };
	GElf_Phdr ph;
	int err;

	if (!ef || !name || !*name || !out)
		return -EINVAL;
	scan_symbols(ef->elf, SHT_DYNSYM, name, 0, &best);
	scan_symbols(ef->elf, SHT_SYMTAB, name, 0, &best);
	if (best.match == NO_MATCH)
		return -ENOENT;
	if (GELF_ST_TYPE(best.sym.st_info) == STT_GNU_IFUNC)
		return -ENOTSUP;
	err = load_segment(ef, best.sym.st_value, &ph);
	if (err)
		return err;
	out->vaddr = best.sym.st_value;
	out->size = best.sym.st_size;
	out->file_offset = ph.p_offset + best.sym.st_value - ph.p_vaddr;
	return 0;
}

int elfsym_find_object(struct elf_file *ef, const char *name, uint64_t *vaddr)
{
	struct best_sym best = { .match = NO_MATCH };

	if (!ef || !name || !*name || !vaddr)
		return -EINVAL;
	scan_symbols(ef->elf, SHT_DYNSYM, name, 1, &best);
	scan_symbols(ef->elf, SHT_SYMTAB, name, 1, &best);
	if (best.match == NO_MATCH)
		return -ENOENT;
	*vaddr = best.sym.st_value;
	return 0;
}

ssize_t elfsym_read_code(struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	GElf_Phdr ph;
	uint64_t left;
	ssize_t n;
	int err;

	if (!ef || (!buf && len))
		return -EINVAL;
	err = load_segment(ef, vaddr, &ph);
	if (err)
		return err;
	left = ph.p_filesz - (vaddr - ph.p_vaddr);
	if (len > left)
		len = left;
	n = pread(ef->fd, buf, len, (off_t)(ph.p_offset + vaddr - ph.p_vaddr));
	return n < 0 ? -errno : n;
}

/* Writes the build-id found among the notes of d as hex. 0, -ENOENT or -ERANGE. */
static int note_build_id(Elf_Data *d, char *buf, size_t len)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 || nh.n_descsz == 0 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4))
			continue;
		if (len < 2 * (size_t)nh.n_descsz + 1)
			return -ERANGE;
		for (size_t i = 0; i < nh.n_descsz; i++)
			snprintf(buf + 2 * i, 3, "%02x", desc[i]);
		return 0;
	}
	return -ENOENT;
}

int elfsym_build_id(struct elf_file *ef, char *buf, size_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Phdr ph;
	GElf_Shdr sh;
	size_t n;
	int err = -ENOENT;

	if (!ef || !buf)
		return -EINVAL;
	/* Program headers first: they survive stripping of the section headers. */
	for (size_t i = 0; !elf_getphdrnum(ef->elf, &n) && i < n && err == -ENOENT; i++) {
		if (!gelf_getphdr(ef->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		err = note_build_id(elf_getdata_rawchunk(ef->elf, (int64_t)ph.p_offset, ph.p_filesz,
							 ph.p_align == 8 ? ELF_T_NHDR8 :
									   ELF_T_NHDR),
				    buf, len);
	}
	while (err == -ENOENT && (scn = elf_nextscn(ef->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			err = note_build_id(elf_getdata(scn, NULL), buf, len);
	return err;
}

int elfsym_has_section(struct elf_file *ef, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(ef->elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(ef->elf, scn))) {
		const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(ef->elf, shstrndx, sh.sh_name) :
							 NULL;

		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}
