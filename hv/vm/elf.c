#include "hv/vm/elf.h"

#include "lib/bits.h"
#include "lib/mem.h"

/* ELF32 addresses are 32 bits: a segment ending past 4 GiB wraps on the loader's side. */
#define ELF32_ADDR_LIMIT (1ULL << 32)

/* The header fields segvisor checks, widened from either class. */
struct ehdr_view {
	u16 type;
	u16 machine;
	u32 version;
	u64 entry;
	u64 phoff;
	u16 ehsize;
	u16 phentsize;
	u16 phnum;
};

struct class_info {
	u16 machine;
	u16 ehsize;
	u16 phentsize;
};

static const struct class_info classes[] = {
    [ELFCLASS32] = {EM_386, sizeof(struct elf32_ehdr), sizeof(struct elf32_phdr)},
    [ELFCLASS64] = {EM_X86_64, sizeof(struct elf64_ehdr), sizeof(struct elf64_phdr)},
};

/* Header fields are copied out rather than accessed in place: the image need not be aligned. */
static void read_ehdr(const u8 *image, unsigned elf_class, struct ehdr_view *v)
{
	if (elf_class == ELFCLASS32) {
		struct elf32_ehdr h;
		memcpy(&h, image, sizeof(h));
		*v = (struct ehdr_view){h.e_type,  h.e_machine, h.e_version,   h.e_entry,
		                        h.e_phoff, h.e_ehsize,  h.e_phentsize, h.e_phnum};
	} else {
		struct elf64_ehdr h;
		memcpy(&h, image, sizeof(h));
		*v = (struct ehdr_view){h.e_type,  h.e_machine, h.e_version,   h.e_entry,
		                        h.e_phoff, h.e_ehsize,  h.e_phentsize, h.e_phnum};
	}
}

static void read_phdr(const u8 *p, unsigned elf_class, struct elf64_phdr *out)
{
	if (elf_class == ELFCLASS32) {
		struct elf32_phdr h;
		memcpy(&h, p, sizeof(h));
		*out = (struct elf64_phdr){.p_type = h.p_type,
		                           .p_flags = h.p_flags,
		                           .p_offset = h.p_offset,
		                           .p_vaddr = h.p_vaddr,
		                           .p_paddr = h.p_paddr,
		                           .p_filesz = h.p_filesz,
		                           .p_memsz = h.p_memsz,
		                           .p_align = h.p_align};
	} else {
		memcpy(out, p, sizeof(*out));
	}
}

static enum elf_err check_ident(const u8 *image, u64 size)
{
	if (size < EI_NIDENT)
		return ELF_ERR_TRUNCATED_HEADER;
	if (memcmp(image + EI_MAG0, ELFMAG, SELFMAG) != 0)
		return ELF_ERR_BAD_MAGIC;
	if (image[EI_CLASS] != ELFCLASS32 && image[EI_CLASS] != ELFCLASS64)
		return ELF_ERR_BAD_CLASS;
	if (image[EI_DATA] != ELFDATA2LSB)
		return ELF_ERR_NOT_LITTLE_ENDIAN;
	if (image[EI_VERSION] != EV_CURRENT)
		return ELF_ERR_BAD_VERSION;
	if (size < classes[image[EI_CLASS]].ehsize)
		return ELF_ERR_TRUNCATED_HEADER;
	return ELF_OK;
}

static enum elf_err check_ehdr(const struct ehdr_view *h, const struct class_info *ci, u64 size)
{
	if (h->version != EV_CURRENT)
		return ELF_ERR_BAD_VERSION;
	if (h->type != ET_EXEC)
		return ELF_ERR_NOT_EXECUTABLE;
	if (h->machine != ci->machine)
		return ELF_ERR_BAD_MACHINE;
	if (h->ehsize != ci->ehsize)
		return ELF_ERR_BAD_EHSIZE;
	if (h->phnum == 0)
		return ELF_ERR_NO_LOAD_SEGMENT;
	if (h->phnum == PN_XNUM)
		return ELF_ERR_TOO_MANY_SEGMENTS;
	if (h->phentsize != ci->phentsize)
		return ELF_ERR_BAD_PHENTSIZE;
	/* phnum * phentsize < 2^16 * 2^16 cannot overflow; the offset can. */
	u64 table = (u64)h->phnum * h->phentsize;
	if (add_overflows(h->phoff, table) || h->phoff + table > size)
		return ELF_ERR_PHDRS_OUTSIDE_FILE;
	return ELF_OK;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static enum elf_err check_load(const struct elf64_phdr *ph, unsigned elf_class, u64 size, u64 lo,
                               u64 hi, const struct elf_image *out)
{
	if (add_overflows(ph->p_offset, ph->p_filesz) || ph->p_offset + ph->p_filesz > size)
		return ELF_ERR_SEGMENT_OUTSIDE_FILE;
	if (ph->p_filesz > ph->p_memsz)
		return ELF_ERR_FILESZ_GT_MEMSZ;
	if (ph->p_memsz == 0)
		return ELF_OK; /* occupies no memory: nothing to bound or overlap */
	if (add_overflows(ph->p_paddr, ph->p_memsz) || add_overflows(ph->p_vaddr, ph->p_memsz))
		return ELF_ERR_SEGMENT_WRAPS;
	if (elf_class == ELFCLASS32 && (ph->p_paddr + ph->p_memsz > ELF32_ADDR_LIMIT ||
	                                ph->p_vaddr + ph->p_memsz > ELF32_ADDR_LIMIT))
		return ELF_ERR_SEGMENT_WRAPS;
	if (ph->p_paddr < lo || ph->p_paddr + ph->p_memsz > hi)
		return ELF_ERR_SEGMENT_OUT_OF_BOUNDS;
	for (unsigned i = 0; i < out->nsegments; i++)
		if (ranges_overlap(ph->p_paddr, ph->p_memsz, out->seg[i].paddr, out->seg[i].memsz))
			return ELF_ERR_SEGMENTS_OVERLAP;
	if (out->nsegments == ELF_MAX_SEGMENTS)
		return ELF_ERR_TOO_MANY_SEGMENTS;
	return ELF_OK;
}

/* The entry must be code the loader copied from the file, not zero-filled memory. */
static enum elf_err find_entry(struct elf_image *out)
{
	for (unsigned i = 0; i < out->nsegments; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (out->entry >= s->vaddr && out->entry - s->vaddr < s->filesz) {
			out->entry_paddr = out->entry - s->vaddr + s->paddr;
			return ELF_OK;
		}
	}
	return ELF_ERR_ENTRY_OUTSIDE;
}

enum elf_err elf_validate(const void *image, u64 size, u64 lo, u64 hi, struct elf_image *out)
{
	const u8 *bytes = image;
	struct ehdr_view h;
	enum elf_err err;

	memset(out, 0, sizeof(*out));
	out->bad_phdr = -1;
	err = check_ident(bytes, size);
	if (err)
		return err;
	out->elf_class = bytes[EI_CLASS];
	const struct class_info *ci = &classes[out->elf_class];
	read_ehdr(bytes, out->elf_class, &h);
	err = check_ehdr(&h, ci, size);
	if (err)
		return err;
	out->entry = h.entry;

	for (unsigned i = 0; i < h.phnum; i++) {
		struct elf64_phdr ph;
		read_phdr(bytes + h.phoff + (u64)i * h.phentsize, out->elf_class, &ph);
		if (ph.p_type != PT_LOAD)
			continue;
		err = check_load(&ph, out->elf_class, size, lo, hi, out);
		if (err) {
			out->bad_phdr = (int)i;
			return err;
		}
		if (ph.p_memsz == 0)
			continue;
		out->seg[out->nsegments++] = (struct elf_segment){
		    .paddr = ph.p_paddr,
		    .vaddr = ph.p_vaddr,
		    .offset = ph.p_offset,
		    .filesz = ph.p_filesz,
		    .memsz = ph.p_memsz,
		    .flags = ph.p_flags,
		};
	}
	if (out->nsegments == 0)
		return ELF_ERR_NO_LOAD_SEGMENT;
	return find_entry(out);
}

const char *elf_strerror(enum elf_err err)
{
	static const char *const names[ELF_ERR_COUNT] = {
	    [ELF_OK] = "ok",
	    [ELF_ERR_TRUNCATED_HEADER] = "file shorter than the ELF header",
	    [ELF_ERR_BAD_MAGIC] = "not an ELF file (bad magic)",
	    [ELF_ERR_BAD_CLASS] = "unknown ELF class",
	    [ELF_ERR_NOT_LITTLE_ENDIAN] = "not little-endian",
	    [ELF_ERR_BAD_VERSION] = "unknown ELF version",
	    [ELF_ERR_NOT_EXECUTABLE] = "not an executable (ET_EXEC)",
	    [ELF_ERR_BAD_MACHINE] = "wrong machine for the class (want EM_386 or EM_X86_64)",
	    [ELF_ERR_BAD_EHSIZE] = "wrong ELF header size",
	    [ELF_ERR_BAD_PHENTSIZE] = "wrong program header entry size",
	    [ELF_ERR_PHDRS_OUTSIDE_FILE] = "program headers outside the file",
	    [ELF_ERR_SEGMENT_OUTSIDE_FILE] = "segment data outside the file",
	    [ELF_ERR_FILESZ_GT_MEMSZ] = "segment file size exceeds memory size",
	    [ELF_ERR_SEGMENT_WRAPS] = "segment address range wraps",
	    [ELF_ERR_SEGMENT_OUT_OF_BOUNDS] = "segment outside the allowed physical range",
	    [ELF_ERR_SEGMENTS_OVERLAP] = "segments overlap in physical memory",
	    [ELF_ERR_TOO_MANY_SEGMENTS] = "too many loadable segments",
	    [ELF_ERR_NO_LOAD_SEGMENT] = "no loadable segment",
	    [ELF_ERR_ENTRY_OUTSIDE] = "entry point outside the loaded code",
	};
	return NAME_IN(names, err, "unknown ELF error");
}
