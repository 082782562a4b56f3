/* Multiboot v1 (the GNU Multiboot Specification 0.6.96): header fields for
 * the image and the information structure a loader hands over. Shared by
 * the hypervisor (as a loaded kernel and as the loader of its guest) and
 * the test guest (its header, in guest/boot.S). */
#ifndef LIB_MULTIBOOT_H
#define LIB_MULTIBOOT_H

#define MB_HEADER_MAGIC    0x1BADB002
#define MB_LOADER_MAGIC    0x2BADB002
#define MB_HDR_PAGE_ALIGN  (1 << 0) /* modules on 4 KiB boundaries */
#define MB_HDR_MEMORY_INFO (1 << 1) /* mem_* and mmap_* wanted */

#define MB_INFO_MEMORY      (1 << 0)
#define MB_INFO_CMDLINE     (1 << 2)
#define MB_INFO_MODS        (1 << 3)
#define MB_INFO_MEM_MAP     (1 << 6)
#define MB_INFO_LOADER_NAME (1 << 9)

/* Assembler macros, kept as written: */
/* clang-format off */
#ifdef __ASSEMBLY__
/* The image's header (spec 3.1.1), in section .multiboot, which the linker
 * scripts place first: magic, flags and their checksum. */
.macro MULTIBOOT_HEADER flags
	.pushsection .multiboot, "a"
	.align 4
	.long MB_HEADER_MAGIC
	.long \flags
	.long -(MB_HEADER_MAGIC + (\flags))
	.popsection
.endm
#else
#include "lib/types.h"

struct mb_info {
	u32 flags;
	u32 mem_lower, mem_upper;
	u32 boot_device;
	u32 cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr;
	u32 config_table;
	u32 boot_loader_name;
	u32 apm_table;
	u32 vbe[6];
} __attribute__((packed));

struct mb_module {
	u32 mod_start, mod_end;
	u32 string;
	u32 reserved;
} __attribute__((packed));

/* One memory-map entry; `size` does not count itself. */
struct mb_mmap_entry {
	u32 size;
	u64 base_addr;
	u64 length;
	u32 type;
} __attribute__((packed));

#define MB_MMAP_AVAILABLE 1
#endif
/* clang-format on */
#ifndef __ASSEMBLY__
/* For a kernel booted by Multiboot with its image identity-mapped: the top
 * of RAM, the end of the available memory-map range that holds the byte
 * image_last (the image's last byte); from mem_upper without a map; 0 when
 * no range holds it. Entries are checked to fit the map. */
u64 mb_ram_top(const struct mb_info *mbi, u64 image_last);
#endif

#endif
