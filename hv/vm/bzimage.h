/* The Linux x86 boot protocol (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header",
 * "64-bit Boot Protocol"; the zero page layout of Documentation/arch/x86/zero-page.rst) for a
 * guest image given as a bzImage: Debian's kernel, memtest86+. The image is untrusted:
 * bzimage_parse checks every header field it uses against the file and names each reason for
 * refusal; bzimage_plan places the kernel, zero page, command line, initrd and the entry page
 * tables in guest RAM without overlap; bzimage_zero_page and bzimage_page_tables fill those pages.
 * Nothing here touches guest memory: the callers copy (hv/vm/loader.c), so host tests and the
 * fuzzer run all of it over plain buffers. */
#ifndef HV_VM_BZIMAGE_H
#define HV_VM_BZIMAGE_H

#include "lib/types.h"

/* Offsets in the image (and in the zero page, which holds a copy of the setup header at the same
 * offset) of the setup-header fields used here. */
#define BZ_SETUP_SECTS      0x1f1
#define BZ_SYSSIZE          0x1f4
#define BZ_BOOT_FLAG        0x1fe
#define BZ_JUMP             0x200
#define BZ_HEADER_END_BYTE  0x201 /* the jump's displacement: the header ends at 0x202 + it */
#define BZ_HEADER           0x202
#define BZ_VERSION          0x206
#define BZ_TYPE_OF_LOADER   0x210
#define BZ_LOADFLAGS        0x211
#define BZ_CODE32_START     0x214
#define BZ_RAMDISK_IMAGE    0x218
#define BZ_RAMDISK_SIZE     0x21c
#define BZ_HEAP_END_PTR     0x224
#define BZ_CMD_LINE_PTR     0x228
#define BZ_INITRD_ADDR_MAX  0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE      0x234
#define BZ_XLOADFLAGS       0x236
#define BZ_CMDLINE_SIZE     0x238
#define BZ_PREF_ADDRESS     0x258
#define BZ_INIT_SIZE        0x260

/* Zero-page fields outside the setup header (zero-page.rst). */
#define BZ_ZP_EXT_RAMDISK_IMAGE 0x0c0
#define BZ_ZP_EXT_RAMDISK_SIZE  0x0c4
#define BZ_ZP_EXT_CMD_LINE_PTR  0x0c8
#define BZ_ZP_E820_ENTRIES      0x1e8
#define BZ_ZP_E820_TABLE        0x2d0
#define BZ_ZP_E820_MAX          128
#define BZ_ZP_SIZE              4096

#define BZ_BOOT_FLAG_VALUE 0xaa55
#define BZ_HEADER_MAGIC    0x53726448 /* "HdrS" */
#define BZ_SECTOR          512
#define BZ_SETUP_SECTS_DEF 4 /* a setup_sects of 0 means 4 */
/* The oldest protocol with xloadflags and so the 64-bit entry's flag (boot.rst, 2.12). */
#define BZ_MIN_VERSION   0x020c
#define BZ_64BIT_ENTRY   0x200 /* startup_64 at the load address + 0x200 */
#define BZ_LOADED_HIGH   (1 << 0)
#define BZ_CAN_USE_HEAP  (1 << 7)
#define BZ_XLF_KERNEL_64 (1 << 0)
#define BZ_XLF_ABOVE_4G  (1 << 1)
#define BZ_LOADER_UNDEF  0xff /* type_of_loader: a loader with no assigned id */

/* E820 types (ACPI address range types as the zero page carries them). */
#define BZ_E820_RAM      1
#define BZ_E820_RESERVED 2

/* The 64-bit entry's flat GDT (boot.rst: CS = __BOOT_CS 0x10, DS = ES = SS = __BOOT_DS 0x18). */
#define BZ_BOOT_CS 0x10
#define BZ_BOOT_DS 0x18

enum bzimage_err {
	BZ_OK = 0,
	BZ_ETRUNCATED, /* shorter than the setup header, or than the setup it declares */
	BZ_EBOOTFLAG,  /* no 0xAA55 at 0x1FE */
	BZ_EMAGIC,     /* no "HdrS" at 0x202: not a bzImage of protocol 2.00 or later */
	BZ_EVERSION,   /* protocol older than 2.12 */
	BZ_ENOT64,     /* xloadflags without XLF_KERNEL_64: no 64-bit entry */
	BZ_ENOTHIGH,   /* loadflags without LOADED_HIGH: a zImage loaded at 0x10000 */
	BZ_ESETUPSIZE, /* setup_sects past the end of the file */
	BZ_ENOKERNEL,  /* no protected-mode kernel after the setup */
	BZ_ESYSSIZE,   /* syssize claims more kernel than the file holds */
	BZ_EALIGN,     /* kernel_alignment not a power of two of 4 KiB or more */
	BZ_EPREF,      /* a non-relocatable kernel whose pref_address is unaligned or low */
	BZ_EINITSIZE,  /* init_size smaller than the kernel it must hold */
	BZ_ETOOLARGE,  /* the kernel, its init_size, initrd or command line do not fit guest RAM */
	BZ_ECMDLINE,   /* the command line is longer than cmdline_size allows */
	BZ_EINITRD,    /* the initrd does not fit below initrd_addr_max */
	BZ_EMAP,       /* the guest memory map has too many ranges for the zero page */
	BZ_ERR_COUNT
};

const char *bzimage_err_name(enum bzimage_err e);

/* What the header says, checked. */
struct bzimage {
	u16 version;
	u8 loadflags;
	u16 xloadflags;
	bool relocatable;
	u64 setup_bytes; /* the real-mode part: (setup_sects + 1) * 512, also the kernel's offset */
	u64 kernel_bytes; /* the protected-mode kernel in the file, copied to the load address */
	u32 alignment;    /* kernel_alignment */
	u64 pref_address;
	u64 init_size;       /* memory the kernel needs from its load address (>= kernel_bytes) */
	u32 cmdline_size;    /* the longest command line, without its NUL */
	u32 initrd_addr_max; /* the highest address the initrd's last byte may have */
	u64 header_end;      /* the setup header's end: 0x202 + the byte at 0x201 */
};

/* True when the file carries a setup header (the "HdrS" magic): the loader then treats it by
 * this protocol, and a Multiboot or ELF check never sees it. */
bool bzimage_detect(const u8 *img, u64 len);
/* True when the file has the boot sector's flag 0xAA55 at 0x1FE: the loader takes an image
 * with it and no Multiboot header for a bzImage, so that a broken "HdrS" is refused by name. */
bool bzimage_has_boot_flag(const u8 *img, u64 len);
enum bzimage_err bzimage_parse(const u8 *img, u64 len, struct bzimage *out);

/* Guest-physical placement for one boot. Low structures sit in one block below 1 MiB; the
 * kernel at its preferred address (or, relocatable, the first aligned address at or above
 * 1 MiB that fits); the initrd at the highest page-aligned place below both the end of the
 * RAM range and initrd_addr_max. */
struct bzimage_layout {
	u64 tables;    /* the entry page tables (bzimage_page_tables) */
	u64 gdt;       /* the flat GDT */
	u64 zero_page; /* struct boot_params, passed in RSI */
	u64 cmdline;   /* NUL-terminated */
	u64 kernel;    /* the load address */
	u64 entry;     /* kernel + 0x200 */
	u64 initrd, initrd_size;
	u64 identity_top; /* the entry page tables identity-map [0, identity_top) */
};

#define BZ_LOW_BASE     0x10000 /* the low block: tables, GDT, zero page, command line */
#define BZ_TABLE_PAGES  6       /* PML4, PDPT and 4 PDs: 4 GiB in 2 MiB pages */
#define BZ_IDENTITY_TOP (4ull * GiB)
#define BZ_GDT_ENTRIES  4 /* null, unused, __BOOT_CS, __BOOT_DS */

/* ram_top: the end of the guest RAM range that starts at 0 (the kernel, its init_size and the
 * initrd lie below it, and below the 4 GiB the entry tables map); cmdline_len without the NUL. */
enum bzimage_err bzimage_plan(const struct bzimage *bz, u64 ram_top, u64 cmdline_len,
                              u64 initrd_size, struct bzimage_layout *out);

struct bzimage_e820 {
	u64 base, length;
	u32 type;
};

/* The legacy area a PC keeps between conventional memory and 1 MiB (EBDA, VGA, option and
 * BIOS ROMs): reserved in the E820 table whatever RAM lies behind it, as a BIOS reports it. */
#define BZ_LEGACY_START 0x9f000ull
#define BZ_LEGACY_END   0x100000ull

/* The E820 table for guest RAM given as ranges sorted by base and not overlapping (the guest
 * memory map's RAM regions): adjacent ranges merged, the legacy area cut out of RAM and listed
 * once as reserved, in address order. *n gets the count; BZ_EMAP when more than max. */
enum bzimage_err bzimage_e820(const struct bzimage_e820 *ram, unsigned nram,
                              struct bzimage_e820 *out, unsigned max, unsigned *n);

/* Fills the 4 KiB zero page: zeroed, the image's setup header copied in (0x1F1 to its end), the
 * loader's fields (type_of_loader, command line, initrd, LOADED_HIGH kept, no heap), and the
 * E820 table. BZ_EMAP when n exceeds the table. */
enum bzimage_err bzimage_zero_page(u8 *zp, const u8 *img, const struct bzimage *bz,
                                   const struct bzimage_layout *lay, const struct bzimage_e820 *map,
                                   unsigned n);

/* The entry's page tables in BZ_TABLE_PAGES consecutive pages at gPA lay->tables (buf is their
 * bytes): [0, 4 GiB) identity-mapped with 2 MiB pages, writable, so the kernel, zero page,
 * command line and initrd are all reachable (boot.rst: "identity mapped"). Returns the CR3. */
u64 bzimage_page_tables(u8 *buf, const struct bzimage_layout *lay);

/* The flat GDT: 64-bit code at __BOOT_CS, data at __BOOT_DS. */
void bzimage_gdt(u64 *gdt);

#endif
