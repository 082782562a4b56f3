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
#define MB_HDR_VIDEO_MODE  (1 << 2) /* video mode information wanted */

#define MB_INFO_MEMORY      (1 << 0)
#define MB_INFO_CMDLINE     (1 << 2)
#define MB_INFO_MODS        (1 << 3)
#define MB_INFO_MEM_MAP     (1 << 6)
#define MB_INFO_LOADER_NAME (1 << 9)
#define MB_INFO_FRAMEBUFFER (1 << 12)

/* framebuffer_type (spec 3.3): 2 is EGA-standard text mode, width and height in characters,
 * 16 bits per character cell (the character, then its attribute byte). */
#define MB_FRAMEBUFFER_TYPE_EGA_TEXT 2

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

/* The boot information (spec 3.3, "Boot information format"); offsets in the asserts below. */
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
	u32 vbe_control_info, vbe_mode_info;
	u16 vbe_mode;
	u16 vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	u64 framebuffer_addr;
	u32 framebuffer_pitch;
	u32 framebuffer_width, framebuffer_height;
	u8 framebuffer_bpp;
	u8 framebuffer_type;
	u8 color_info[6];
} __attribute__((packed));

_Static_assert(__builtin_offsetof(struct mb_info, mods_count) == 20, "mods_count at 20");
_Static_assert(__builtin_offsetof(struct mb_info, mmap_length) == 44, "mmap_length at 44");
_Static_assert(__builtin_offsetof(struct mb_info, boot_loader_name) == 64, "loader name at 64");
_Static_assert(__builtin_offsetof(struct mb_info, vbe_control_info) == 72, "VBE at 72");
_Static_assert(__builtin_offsetof(struct mb_info, vbe_mode) == 80, "vbe_mode (16 bits) at 80");
_Static_assert(__builtin_offsetof(struct mb_info, vbe_interface_len) == 86, "VBE ends at 88");
_Static_assert(__builtin_offsetof(struct mb_info, framebuffer_addr) == 88, "framebuffer at 88");
_Static_assert(__builtin_offsetof(struct mb_info, framebuffer_bpp) == 108, "bpp at 108");
_Static_assert(__builtin_offsetof(struct mb_info, color_info) == 110, "color_info at 110");
_Static_assert(sizeof(struct mb_info) == 116, "the boot information is 116 bytes");

struct mb_module {
	u32 mod_start, mod_end;
	u32 string;
	u32 reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_module) == 16, "a module entry is 16 bytes (spec 3.3)");

/* One memory-map entry; `size` does not count itself. */
struct mb_mmap_entry {
	u32 size;
	u64 base_addr;
	u64 length;
	u32 type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "a memory-map entry is 24 bytes (spec 3.3)");

#define MB_MMAP_AVAILABLE 1
#endif
/* clang-format on */
#ifndef __ASSEMBLY__
        /* For a kernel booted by Multiboot with its image identity-mapped: the top
         * of RAM, the end of the available memory-map range that holds the byte
         * image_last (the image's last byte); from mem_upper without a map; 0 when
         * no range holds it. Entries are checked to fit the map. */
        u64 mb_ram_top(const struct mb_info *mbi, u64 image_last);
        /* The RAM a PC's RAM size counts: the first MiB whole (conventional memory
         * and the BIOS area) and the available map ranges above it, holes such as
         * the PCI hole left out; from mem_upper without a map. */
        u64 mb_ram_bytes(const struct mb_info *mbi);
#endif

#endif
