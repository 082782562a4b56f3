/* Validation of an in-memory ELF image as a Multiboot-loadable x86 kernel (the guest module, and
 * the hypervisor's own image in self-tests). The image is untrusted: every header field is checked
 * against the file size and the caller's physical bounds with overflow-safe arithmetic before use,
 * and each reason for rejection has its own error. Multiboot loaders place segments by p_paddr,
 * so bounds and overlap are checked on physical ranges. Nothing is copied or loaded here. */
#ifndef HV_ELF_H
#define HV_ELF_H

#include "lib/types.h"

/* Record formats (System V ABI, "ELF Header" and "Program Header"; ELF-64 Object File Format
 * v1.5, sections 3 and 6). Natural alignment gives the on-file layout; the asserts prove it. */
#define EI_NIDENT   16
#define EI_MAG0     0
#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFMAG      "\177ELF"
#define SELFMAG     4
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define EV_CURRENT  1
#define ET_EXEC     2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PN_XNUM     0xffff /* e_phnum escape to section 0; never used by kernels we load */
#define PF_X        0x1
#define PF_W        0x2
#define PF_R        0x4

struct elf32_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u32 e_entry;
	u32 e_phoff;
	u32 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf32_phdr {
	u32 p_type;
	u32 p_offset;
	u32 p_vaddr;
	u32 p_paddr;
	u32 p_filesz;
	u32 p_memsz;
	u32 p_flags;
	u32 p_align;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

_Static_assert(sizeof(struct elf32_ehdr) == 52, "ELF32 header is 52 bytes");
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf32_phdr) == 32, "ELF32 program header is 32 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

#define ELF_MAX_SEGMENTS 16

enum elf_err {
	ELF_OK = 0,
	ELF_ERR_TRUNCATED_HEADER, /* file shorter than its ELF header */
	ELF_ERR_BAD_MAGIC,
	ELF_ERR_BAD_CLASS, /* neither ELFCLASS32 nor ELFCLASS64 */
	ELF_ERR_NOT_LITTLE_ENDIAN,
	ELF_ERR_BAD_VERSION,    /* EI_VERSION or e_version not EV_CURRENT */
	ELF_ERR_NOT_EXECUTABLE, /* e_type not ET_EXEC */
	ELF_ERR_BAD_MACHINE,    /* not EM_386 for ELF32 / EM_X86_64 for ELF64 */
	ELF_ERR_BAD_EHSIZE,
	ELF_ERR_BAD_PHENTSIZE,
	ELF_ERR_PHDRS_OUTSIDE_FILE,   /* program header table past the end (or wraps) */
	ELF_ERR_SEGMENT_OUTSIDE_FILE, /* p_offset + p_filesz past the end (or wraps) */
	ELF_ERR_FILESZ_GT_MEMSZ,
	ELF_ERR_SEGMENT_WRAPS,         /* p_paddr/p_vaddr + p_memsz wraps the address space */
	ELF_ERR_SEGMENT_OUT_OF_BOUNDS, /* physical range not inside the caller's [lo, hi) */
	ELF_ERR_SEGMENTS_OVERLAP,      /* two PT_LOAD segments share physical memory */
	ELF_ERR_TOO_MANY_SEGMENTS,     /* more than ELF_MAX_SEGMENTS PT_LOAD segments */
	ELF_ERR_NO_LOAD_SEGMENT,
	ELF_ERR_ENTRY_OUTSIDE, /* e_entry not in the file-backed part of a segment */
	ELF_ERR_COUNT,
};

struct elf_segment {
	u64 paddr;
	u64 vaddr;
	u64 offset;
	u64 filesz;
	u64 memsz;
	u32 flags; /* PF_R | PF_W | PF_X */
};

struct elf_image {
	unsigned elf_class; /* ELFCLASS32 or ELFCLASS64 */
	u64 entry;          /* e_entry, a virtual address */
	u64 entry_paddr;    /* where the loader jumps: e_entry moved into the segment's p_paddr */
	unsigned nsegments; /* PT_LOAD segments with memsz > 0, in program header order */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	int bad_phdr; /* on a segment error, the program header index; else -1 */
};

/* Checks image[0, size) and fills *out. Segments must lie in physical [lo, hi). */
enum elf_err elf_validate(const void *image, u64 size, u64 lo, u64 hi, struct elf_image *out);
const char *elf_strerror(enum elf_err err);

#endif
