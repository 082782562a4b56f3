#include "hv/vm/bzimage.h"

#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/desc.h"
#include "lib/x86/paging.h"

#define PAGE    4096ull
#define LARGE   (2 * MiB)
#define LOW_TOP BZ_LEGACY_START /* below the EBDA and the legacy hole: the low block ends here */

_Static_assert(BZ_TABLE_PAGES == 2 + BZ_IDENTITY_TOP / GiB, "PML4, PDPT and one PD per GiB");

static const char *const err_names[BZ_ERR_COUNT] = {
    [BZ_OK] = "ok",
    [BZ_ETRUNCATED] = "image shorter than its setup header",
    [BZ_EBOOTFLAG] = "no boot flag 0xAA55 at offset 0x1FE",
    [BZ_EMAGIC] = "no setup header magic \"HdrS\" at offset 0x202",
    [BZ_EVERSION] = "boot protocol older than 2.12 (no 64-bit entry flag)",
    [BZ_ENOT64] = "xloadflags has no XLF_KERNEL_64: the kernel has no 64-bit entry",
    [BZ_ENOTHIGH] = "loadflags has no LOADED_HIGH: a zImage, loaded at 0x10000",
    [BZ_ESETUPSIZE] = "setup_sects reaches past the end of the image",
    [BZ_ENOKERNEL] = "no protected-mode kernel after the setup sectors",
    [BZ_ESYSSIZE] = "syssize claims more kernel than the image holds",
    [BZ_EALIGN] = "kernel_alignment is not a power of two of at least 4 KiB",
    [BZ_EPREF] = "non-relocatable kernel with pref_address below 1 MiB or unaligned",
    [BZ_EINITSIZE] = "init_size is smaller than the kernel it must hold",
    [BZ_ETOOLARGE] = "the kernel (init_size from its load address) does not fit guest RAM",
    [BZ_ECMDLINE] = "command line longer than the kernel's cmdline_size",
    [BZ_EINITRD] = "the initrd does not fit between the kernel and initrd_addr_max",
    [BZ_EMAP] = "guest memory map has more ranges than the zero page's E820 table",
};

const char *bzimage_err_name(enum bzimage_err e)
{
	return (unsigned)e < BZ_ERR_COUNT && err_names[e] ? err_names[e] : "unknown error";
}

/* Little-endian field reads; every caller has checked off + width <= the buffer's length. */
static u64 rd(const u8 *p, u64 off, unsigned width)
{
	u64 v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (u64)p[off + i] << (8 * i);
	return v;
}

static void wr(u8 *p, u64 off, unsigned width, u64 v)
{
	for (unsigned i = 0; i < width; i++)
		p[off + i] = (u8)(v >> (8 * i));
}

#define HEADER_MIN (BZ_INIT_SIZE + 4) /* protocol 2.12's header reaches init_size */

bool bzimage_detect(const u8 *img, u64 len)
{
	return len >= BZ_HEADER + 4 && rd(img, BZ_HEADER, 4) == BZ_HEADER_MAGIC;
}

bool bzimage_has_boot_flag(const u8 *img, u64 len)
{
	return len >= BZ_BOOT_FLAG + 2 && rd(img, BZ_BOOT_FLAG, 2) == BZ_BOOT_FLAG_VALUE;
}

enum bzimage_err bzimage_parse(const u8 *img, u64 len, struct bzimage *out)
{
	memset(out, 0, sizeof(*out));
	if (len < HEADER_MIN)
		return BZ_ETRUNCATED;
	if (rd(img, BZ_BOOT_FLAG, 2) != BZ_BOOT_FLAG_VALUE)
		return BZ_EBOOTFLAG;
	if (rd(img, BZ_HEADER, 4) != BZ_HEADER_MAGIC)
		return BZ_EMAGIC;
	out->version = (u16)rd(img, BZ_VERSION, 2);
	if (out->version < BZ_MIN_VERSION)
		return BZ_EVERSION;
	out->header_end = BZ_HEADER + (u64)img[BZ_HEADER_END_BYTE];
	if (out->header_end < HEADER_MIN || out->header_end > len)
		return BZ_ETRUNCATED;
	out->loadflags = img[BZ_LOADFLAGS];
	if (!(out->loadflags & BZ_LOADED_HIGH))
		return BZ_ENOTHIGH;
	out->xloadflags = (u16)rd(img, BZ_XLOADFLAGS, 2);
	if (!(out->xloadflags & BZ_XLF_KERNEL_64))
		return BZ_ENOT64;

	u64 sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : BZ_SETUP_SECTS_DEF;
	out->setup_bytes = (sects + 1) * BZ_SECTOR;
	if (out->setup_bytes > len)
		return BZ_ESETUPSIZE;
	out->kernel_bytes = len - out->setup_bytes;
	if (!out->kernel_bytes)
		return BZ_ENOKERNEL;
	/* syssize is the kernel in 16-byte paragraphs, rounded up (the kernel's build tool). */
	if (rd(img, BZ_SYSSIZE, 4) * 16 > align_up(out->kernel_bytes, 16))
		return BZ_ESYSSIZE;

	out->alignment = (u32)rd(img, BZ_KERNEL_ALIGNMENT, 4);
	if (!is_pow2(out->alignment) || out->alignment < PAGE)
		return BZ_EALIGN;
	out->relocatable = img[BZ_RELOCATABLE] != 0;
	out->pref_address = rd(img, BZ_PREF_ADDRESS, 8);
	if (!out->relocatable && (out->pref_address < MiB || !is_aligned(out->pref_address, PAGE)))
		return BZ_EPREF;
	out->init_size = rd(img, BZ_INIT_SIZE, 4);
	if (out->init_size < out->kernel_bytes)
		return BZ_EINITSIZE;
	out->cmdline_size = (u32)rd(img, BZ_CMDLINE_SIZE, 4);
	out->initrd_addr_max = (u32)rd(img, BZ_INITRD_ADDR_MAX, 4);
	return BZ_OK;
}

/* [base, base + size) lies below top, without overflow. */
static bool fits_below(u64 base, u64 size, u64 top)
{
	return !add_overflows(base, size) && base + size <= top;
}

enum bzimage_err bzimage_plan(const struct bzimage *bz, u64 ram_top, u64 cmdline_len,
                              u64 initrd_size, struct bzimage_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->tables = BZ_LOW_BASE;
	out->gdt = out->tables + BZ_TABLE_PAGES * PAGE;
	out->zero_page = out->gdt + PAGE;
	out->cmdline = out->zero_page + BZ_ZP_SIZE;
	out->identity_top = BZ_IDENTITY_TOP;
	if (cmdline_len > bz->cmdline_size || !fits_below(out->cmdline, cmdline_len + 1, LOW_TOP))
		return BZ_ECMDLINE;

	const u64 top = ram_top < out->identity_top ? ram_top : out->identity_top;
	u64 at = bz->pref_address;
	if (bz->relocatable &&
	    (!is_aligned(at, bz->alignment) || at < MiB || !fits_below(at, bz->init_size, top)))
		at = align_up(MiB, bz->alignment);
	if (!fits_below(at, bz->init_size, top))
		return BZ_ETOOLARGE;
	out->kernel = at;
	out->entry = at + BZ_64BIT_ENTRY;

	if (initrd_size) {
		u64 hi = top;
		if ((u64)bz->initrd_addr_max + 1 < hi)
			hi = (u64)bz->initrd_addr_max + 1;
		const u64 kernel_end = out->kernel + bz->init_size;
		if (initrd_size > hi || align_down(hi - initrd_size, PAGE) < kernel_end)
			return BZ_EINITRD;
		out->initrd = align_down(hi - initrd_size, PAGE);
		out->initrd_size = initrd_size;
	}
	return BZ_OK;
}

/* Appends [base, base + len) of a type, merged into the last entry when it continues it. */
static bool e820_add(struct bzimage_e820 *out, unsigned max, unsigned *n, u64 base, u64 len,
                     u32 type)
{
	if (!len)
		return true;
	struct bzimage_e820 *last = *n ? &out[*n - 1] : NULL;
	if (last && last->type == type && last->base + last->length == base) {
		last->length += len;
		return true;
	}
	if (*n >= max)
		return false;
	out[(*n)++] = (struct bzimage_e820){base, len, type};
	return true;
}

enum bzimage_err bzimage_e820(const struct bzimage_e820 *ram, unsigned nram,
                              struct bzimage_e820 *out, unsigned max, unsigned *n)
{
	bool legacy_done = false;
	*n = 0;
	for (unsigned i = 0; i < nram; i++) {
		const u64 base = ram[i].base, end = ram[i].base + ram[i].length;
		/* The part below the legacy area, the area itself (once), the part from 1 MiB. */
		const u64 low_end = end < BZ_LEGACY_START ? end : BZ_LEGACY_START;
		if (base < low_end && !e820_add(out, max, n, base, low_end - base, BZ_E820_RAM))
			return BZ_EMAP;
		if (!legacy_done && base < BZ_LEGACY_END && end > BZ_LEGACY_START) {
			if (!e820_add(out, max, n, BZ_LEGACY_START, BZ_LEGACY_END - BZ_LEGACY_START,
			              BZ_E820_RESERVED))
				return BZ_EMAP;
			legacy_done = true;
		}
		const u64 high = base > BZ_LEGACY_END ? base : BZ_LEGACY_END;
		if (end > high && !e820_add(out, max, n, high, end - high, BZ_E820_RAM))
			return BZ_EMAP;
	}
	return BZ_OK;
}

enum bzimage_err bzimage_zero_page(u8 *zp, const u8 *img, const struct bzimage *bz,
                                   const struct bzimage_layout *lay, const struct bzimage_e820 *map,
                                   unsigned n)
{
	if (n > BZ_ZP_E820_MAX)
		return BZ_EMAP;
	memset(zp, 0, BZ_ZP_SIZE);
	memcpy(zp + BZ_SETUP_SECTS, img + BZ_SETUP_SECTS, bz->header_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEF;
	/* No real-mode heap: the 64-bit entry never runs the setup code that would use it. */
	zp[BZ_LOADFLAGS] = (u8)(bz->loadflags & ~BZ_CAN_USE_HEAP);
	wr(zp, BZ_HEAP_END_PTR, 2, 0);
	wr(zp, BZ_CMD_LINE_PTR, 4, lay->cmdline & 0xffffffffu);
	wr(zp, BZ_ZP_EXT_CMD_LINE_PTR, 4, lay->cmdline >> 32);
	wr(zp, BZ_RAMDISK_IMAGE, 4, lay->initrd & 0xffffffffu);
	wr(zp, BZ_ZP_EXT_RAMDISK_IMAGE, 4, lay->initrd >> 32);
	wr(zp, BZ_RAMDISK_SIZE, 4, lay->initrd_size & 0xffffffffu);
	wr(zp, BZ_ZP_EXT_RAMDISK_SIZE, 4, lay->initrd_size >> 32);
	zp[BZ_ZP_E820_ENTRIES] = (u8)n;
	for (unsigned i = 0; i < n; i++) {
		const u64 off = BZ_ZP_E820_TABLE + 20ull * i; /* struct boot_e820_entry, packed */
		wr(zp, off, 8, map[i].base);
		wr(zp, off + 8, 8, map[i].length);
		wr(zp, off + 16, 4, map[i].type);
	}
	return BZ_OK;
}

u64 bzimage_page_tables(u8 *buf, const struct bzimage_layout *lay)
{
	memset(buf, 0, BZ_TABLE_PAGES * PAGE);
	u64 *pml4 = (u64 *)buf, *pdpt = (u64 *)(buf + PAGE);
	const u64 pdpt_gpa = lay->tables + PAGE;
	pml4[0] = pdpt_gpa | PTE_P | PTE_RW;
	const unsigned pds = (unsigned)(lay->identity_top / GiB);
	for (unsigned i = 0; i < pds; i++) {
		u64 *pd = (u64 *)(buf + (2 + i) * PAGE);
		pdpt[i] = (lay->tables + (2 + i) * PAGE) | PTE_P | PTE_RW;
		for (unsigned j = 0; j < PT_ENTRIES; j++)
			pd[j] = ((u64)i * GiB + (u64)j * LARGE) | PTE_P | PTE_RW | PTE_PS;
	}
	return lay->tables;
}

void bzimage_gdt(u64 *gdt)
{
	memset(gdt, 0, BZ_GDT_ENTRIES * sizeof(*gdt));
	gdt[BZ_BOOT_CS / 8] = DESC_CODE64_FLAT;
	gdt[BZ_BOOT_DS / 8] = DESC_DATA_FLAT;
}
