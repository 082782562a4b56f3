/* hv/vm/bzimage: the Linux boot protocol's header checks, placement, zero page and entry tables.
 * Images are synthetic, built field by field from boot.rst's header table; expected placements
 * follow the protocol's rules (kernel at pref_address or the first aligned address above 1 MiB,
 * initrd as high as initrd_addr_max and RAM allow). One image is shaped like memtest86+ 6.10's
 * header (protocol 2.12, not relocatable, loaded at 1 MiB). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vm/bzimage.h"
#include "lib/x86/desc.h"
#include "lib/x86/paging.h"

#define IMG_MAX (256 * 1024)

static u8 img[IMG_MAX];
static u64 img_len;

static void put(u64 off, unsigned width, u64 v)
{
	for (unsigned i = 0; i < width; i++)
		img[off + i] = (u8)(v >> (8 * i));
}

/* A Linux-like image: 30 setup sectors, relocatable, 2 MiB aligned, 16 MiB preferred. */
static void linux_like(u64 kernel_bytes)
{
	memset(img, 0, sizeof(img));
	put(BZ_SETUP_SECTS, 1, 30);
	put(BZ_BOOT_FLAG, 2, BZ_BOOT_FLAG_VALUE);
	put(BZ_JUMP, 1, 0xeb);
	put(BZ_HEADER_END_BYTE, 1,
	    0x6a); /* header ends at 0x26c: protocol 2.15's kernel_info_offset */
	put(BZ_HEADER, 4, BZ_HEADER_MAGIC);
	put(BZ_VERSION, 2, 0x020f);
	put(BZ_LOADFLAGS, 1, BZ_LOADED_HIGH | BZ_CAN_USE_HEAP);
	put(BZ_INITRD_ADDR_MAX, 4, 0x7fffffff);
	put(BZ_KERNEL_ALIGNMENT, 4, 2 * MiB);
	put(BZ_RELOCATABLE, 1, 1);
	put(BZ_XLOADFLAGS, 2, BZ_XLF_KERNEL_64 | BZ_XLF_ABOVE_4G);
	put(BZ_CMDLINE_SIZE, 4, 2047);
	put(BZ_PREF_ADDRESS, 8, 16 * MiB);
	put(BZ_INIT_SIZE, 4, 8 * MiB);
	img_len = 31 * BZ_SECTOR + kernel_bytes;
	put(BZ_SYSSIZE, 4, (kernel_bytes + 15) / 16);
}

/* memtest86+ 6.10's header values: 2 setup sectors, 2.12, at 1 MiB, 4 KiB aligned. */
static void memtest_like(void)
{
	linux_like(142776);
	put(BZ_SETUP_SECTS, 1, 2);
	put(BZ_HEADER_END_BYTE, 1, 0x66);
	put(BZ_VERSION, 2, 0x020c);
	put(BZ_LOADFLAGS, 1, BZ_LOADED_HIGH);
	put(BZ_KERNEL_ALIGNMENT, 4, 0x1000);
	put(BZ_RELOCATABLE, 1, 0);
	put(BZ_XLOADFLAGS, 2, 0x9);
	put(BZ_CMDLINE_SIZE, 4, 255);
	put(BZ_PREF_ADDRESS, 8, MiB);
	put(BZ_INIT_SIZE, 4, 0x6acf8);
	img_len = 3 * BZ_SECTOR + 142776;
}

static enum bzimage_err parse(struct bzimage *bz)
{
	/* From a heap copy of exactly img_len bytes, so AddressSanitizer sees an over-read. */
	u8 *copy = malloc(img_len ? img_len : 1);
	assert_non_null(copy);
	memcpy(copy, img, img_len);
	enum bzimage_err e = bzimage_parse(copy, img_len, bz);
	free(copy);
	return e;
}

static void test_linux_like_header(void **state)
{
	(void)state;
	struct bzimage bz;
	linux_like(40000);
	assert_true(bzimage_detect(img, img_len));
	assert_int_equal(parse(&bz), BZ_OK);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.setup_bytes, 31 * 512);
	assert_int_equal(bz.kernel_bytes, 40000);
	assert_true(bz.relocatable);
	assert_int_equal(bz.alignment, 2 * MiB);
	assert_int_equal(bz.pref_address, 16 * MiB);
	assert_int_equal(bz.init_size, 8 * MiB);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_int_equal(bz.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bz.header_end, 0x26c);
}

static void test_setup_sects_zero_means_four(void **state)
{
	(void)state;
	struct bzimage bz;
	linux_like(4096);
	put(BZ_SETUP_SECTS, 1, 0);
	img_len = 5 * 512 + 4096;
	assert_int_equal(parse(&bz), BZ_OK);
	assert_int_equal(bz.setup_bytes, 5 * 512);
	assert_int_equal(bz.kernel_bytes, 4096);
}

static void test_memtest_like_placement(void **state)
{
	(void)state;
	struct bzimage bz;
	struct bzimage_layout lay;
	memtest_like();
	assert_int_equal(parse(&bz), BZ_OK);
	assert_false(bz.relocatable);
	assert_int_equal(bzimage_plan(&bz, 64 * MiB, 20, 0, &lay), BZ_OK);
	assert_int_equal(lay.kernel, MiB);
	assert_int_equal(lay.entry, MiB + 0x200);
	assert_int_equal(lay.initrd, 0);
	assert_int_equal(lay.initrd_size, 0);
	/* The low block: tables, GDT, zero page and command line, page after page, below 1 MiB. */
	assert_int_equal(lay.tables, 0x10000);
	assert_int_equal(lay.gdt, 0x16000);
	assert_int_equal(lay.zero_page, 0x17000);
	assert_int_equal(lay.cmdline, 0x18000);
}

static void test_relocatable_placement(void **state)
{
	(void)state;
	struct bzimage bz;
	struct bzimage_layout lay;
	linux_like(40000);
	assert_int_equal(parse(&bz), BZ_OK);
	/* Room at the preferred 16 MiB: the kernel goes there; the initrd as high as RAM allows. */
	assert_int_equal(bzimage_plan(&bz, 512 * MiB, 100, MiB + 123, &lay), BZ_OK);
	assert_int_equal(lay.kernel, 16 * MiB);
	assert_int_equal(lay.initrd, (512 * MiB - (MiB + 123)) & ~0xfffull);
	assert_int_equal(lay.initrd_size, MiB + 123);
	/* 20 MiB of RAM: 16 MiB + 8 MiB does not fit, the first 2 MiB-aligned place does. */
	assert_int_equal(bzimage_plan(&bz, 20 * MiB, 100, 0, &lay), BZ_OK);
	assert_int_equal(lay.kernel, 2 * MiB);
	/* initrd_addr_max below the top of RAM caps the initrd. */
	put(BZ_INITRD_ADDR_MAX, 4, 64 * MiB - 1);
	assert_int_equal(parse(&bz), BZ_OK);
	assert_int_equal(bzimage_plan(&bz, 512 * MiB, 100, 3 * 4096, &lay), BZ_OK);
	assert_int_equal(lay.initrd, 64 * MiB - 3 * 4096);
}

static void test_refused_headers(void **state)
{
	(void)state;
	struct bzimage bz;
	linux_like(4096);
	img_len = 0x200;
	assert_int_equal(parse(&bz), BZ_ETRUNCATED);

	linux_like(4096);
	put(BZ_BOOT_FLAG, 2, 0x55aa);
	assert_int_equal(parse(&bz), BZ_EBOOTFLAG);

	linux_like(4096);
	put(BZ_HEADER, 4, 0x53726449);
	assert_false(bzimage_detect(img, img_len));
	assert_int_equal(parse(&bz), BZ_EMAGIC);

	linux_like(4096);
	put(BZ_VERSION, 2, 0x020b);
	assert_int_equal(parse(&bz), BZ_EVERSION);

	linux_like(4096);
	put(BZ_HEADER_END_BYTE, 1, 0x40); /* ends at 0x242, before init_size */
	assert_int_equal(parse(&bz), BZ_ETRUNCATED);

	linux_like(4096);
	put(BZ_LOADFLAGS, 1, 0);
	assert_int_equal(parse(&bz), BZ_ENOTHIGH);

	linux_like(4096);
	put(BZ_XLOADFLAGS, 2, BZ_XLF_ABOVE_4G);
	assert_int_equal(parse(&bz), BZ_ENOT64);

	linux_like(4096);
	put(BZ_SETUP_SECTS, 1, 200); /* 201 sectors: past a file of 31 sectors + 4 KiB */
	assert_int_equal(parse(&bz), BZ_ESETUPSIZE);

	linux_like(0);
	assert_int_equal(parse(&bz), BZ_ENOKERNEL);

	linux_like(4096);
	put(BZ_SYSSIZE, 4, 4096 / 16 + 1);
	assert_int_equal(parse(&bz), BZ_ESYSSIZE);

	linux_like(4096);
	put(BZ_KERNEL_ALIGNMENT, 4, 3 * MiB);
	assert_int_equal(parse(&bz), BZ_EALIGN);
	put(BZ_KERNEL_ALIGNMENT, 4, 0x800);
	assert_int_equal(parse(&bz), BZ_EALIGN);

	memtest_like();
	put(BZ_PREF_ADDRESS, 8, MiB + 0x10);
	assert_int_equal(parse(&bz), BZ_EPREF);
	put(BZ_PREF_ADDRESS, 8, 0x80000);
	assert_int_equal(parse(&bz), BZ_EPREF);

	linux_like(40000);
	put(BZ_INIT_SIZE, 4, 39999);
	assert_int_equal(parse(&bz), BZ_EINITSIZE);
}

static void test_refused_plans(void **state)
{
	(void)state;
	struct bzimage bz;
	struct bzimage_layout lay;

	memtest_like();
	assert_int_equal(parse(&bz), BZ_OK);
	/* init_size from 1 MiB reaches past 1.25 MiB of RAM. */
	assert_int_equal(bzimage_plan(&bz, MiB + MiB / 4, 0, 0, &lay), BZ_ETOOLARGE);
	assert_int_equal(bzimage_plan(&bz, 64 * MiB, 256, 0, &lay), BZ_ECMDLINE);
	assert_int_equal(bzimage_plan(&bz, 64 * MiB, 255, 0, &lay), BZ_OK);

	linux_like(40000);
	assert_int_equal(parse(&bz), BZ_OK);
	/* Relocatable but larger than RAM above 2 MiB. */
	assert_int_equal(bzimage_plan(&bz, 9 * MiB, 0, 0, &lay), BZ_ETOOLARGE);
	/* An initrd that would overlap the kernel's init_size (16 MiB + 8 MiB = 24 MiB). */
	assert_int_equal(bzimage_plan(&bz, 32 * MiB, 0, 8 * MiB + 1, &lay), BZ_EINITRD);
	assert_int_equal(bzimage_plan(&bz, 32 * MiB, 0, 8 * MiB, &lay), BZ_OK);
	assert_int_equal(lay.initrd, 24 * MiB);
	/* One larger than everything below initrd_addr_max. */
	assert_int_equal(bzimage_plan(&bz, 8ull * GiB, 0, 3ull * GiB, &lay), BZ_EINITRD);
}

static void test_zero_page(void **state)
{
	(void)state;
	struct bzimage bz;
	struct bzimage_layout lay;
	static u8 zp[BZ_ZP_SIZE];
	const struct bzimage_e820 map[] = {
	    {0, 0x9fc00, BZ_E820_RAM},
	    {0xf0000, 0x10000, BZ_E820_RESERVED},
	    {MiB, 511 * MiB, BZ_E820_RAM},
	};
	linux_like(40000);
	assert_int_equal(parse(&bz), BZ_OK);
	assert_int_equal(bzimage_plan(&bz, 512 * MiB, 12, 8192, &lay), BZ_OK);
	memset(zp, 0xcc, sizeof(zp));
	assert_int_equal(bzimage_zero_page(zp, img, &bz, &lay, map, 3), BZ_OK);
	/* The setup header copied, the loader's fields set. */
	assert_memory_equal(zp + BZ_HEADER, "HdrS", 4);
	assert_int_equal(zp[BZ_SETUP_SECTS], 30);
	assert_int_equal(zp[BZ_TYPE_OF_LOADER], 0xff);
	assert_int_equal(zp[BZ_LOADFLAGS], BZ_LOADED_HIGH);
	assert_int_equal(*(u32 *)(zp + BZ_CMD_LINE_PTR), 0x18000);
	assert_int_equal(*(u32 *)(zp + BZ_ZP_EXT_CMD_LINE_PTR), 0);
	assert_int_equal(*(u32 *)(zp + BZ_RAMDISK_IMAGE), 512 * MiB - 8192);
	assert_int_equal(*(u32 *)(zp + BZ_RAMDISK_SIZE), 8192);
	/* Before the header and past it, zero. */
	assert_int_equal(zp[0], 0);
	assert_int_equal(zp[0x26c], 0);
	/* E820: count, then 20-byte packed entries at 0x2D0. */
	assert_int_equal(zp[BZ_ZP_E820_ENTRIES], 3);
	assert_int_equal(*(u64 *)(zp + 0x2d0 + 40), MiB);
	assert_int_equal(*(u64 *)(zp + 0x2d0 + 48), 511 * MiB);
	assert_int_equal(*(u32 *)(zp + 0x2d0 + 56), BZ_E820_RAM);
	assert_int_equal(*(u32 *)(zp + 0x2d0 + 36), BZ_E820_RESERVED);
	assert_int_equal(bzimage_zero_page(zp, img, &bz, &lay, map, BZ_ZP_E820_MAX + 1), BZ_EMAP);
}

/* The E820 table from guest RAM ranges: the legacy area [0x9f000, 1 MiB) is cut out of RAM and
 * listed once as reserved, adjacent ranges merge, the order is by address. */
static void test_e820_from_ram(void **state)
{
	(void)state;
	struct bzimage_e820 out[8];
	unsigned n = 0;
	/* One range from 0: the usual guest of 16 MiB. */
	const struct bzimage_e820 one[] = {{0, 16 * MiB, BZ_E820_RAM}};
	assert_int_equal(bzimage_e820(one, 1, out, 8, &n), BZ_OK);
	assert_int_equal(n, 3);
	assert_true(out[0].base == 0 && out[0].length == 0x9f000 && out[0].type == BZ_E820_RAM);
	assert_true(out[1].base == 0x9f000 && out[1].length == 0x61000 &&
	            out[1].type == BZ_E820_RESERVED);
	assert_true(out[2].base == MiB && out[2].length == 15 * MiB && out[2].type == BZ_E820_RAM);
	/* Scattered regions contiguous in gPA merge; a gap stays a gap. */
	const struct bzimage_e820 split[] = {
	    {0, 2 * MiB, BZ_E820_RAM},
	    {2 * MiB, 2 * MiB, BZ_E820_RAM},
	    {8 * MiB, MiB, BZ_E820_RAM},
	};
	assert_int_equal(bzimage_e820(split, 3, out, 8, &n), BZ_OK);
	assert_int_equal(n, 4);
	assert_true(out[2].base == MiB && out[2].length == 3 * MiB);
	assert_true(out[3].base == 8 * MiB && out[3].length == MiB);
	/* A range that starts inside the legacy area: only its part from 1 MiB is RAM. */
	const struct bzimage_e820 inside[] = {{0, 0x80000, BZ_E820_RAM},
	                                      {0xc0000, 2 * MiB, BZ_E820_RAM}};
	assert_int_equal(bzimage_e820(inside, 2, out, 8, &n), BZ_OK);
	assert_int_equal(n, 3);
	assert_true(out[0].length == 0x80000);
	assert_true(out[1].base == 0x9f000 && out[1].type == BZ_E820_RESERVED);
	assert_true(out[2].base == MiB && out[2].length == 0xc0000 + 2 * MiB - MiB);
	/* Too many entries for the table. */
	assert_int_equal(bzimage_e820(split, 3, out, 3, &n), BZ_EMAP);
}

/* Walks the entry tables as the CPU would, from their bytes, for a gPA under 4 GiB. */
static u64 walk(const u8 *buf, u64 tables, u64 va, bool *present)
{
	const u64 *pml4 = (const u64 *)buf;
	u64 e = pml4[(va >> 39) & 511];
	*present = e & PTE_P;
	if (!*present)
		return 0;
	const u64 *pdpt = (const u64 *)(buf + ((e & PTE_ADDR_MASK) - tables));
	e = pdpt[(va >> 30) & 511];
	*present = e & PTE_P;
	if (!*present)
		return 0;
	const u64 *pd = (const u64 *)(buf + ((e & PTE_ADDR_MASK) - tables));
	e = pd[(va >> 21) & 511];
	*present = (e & PTE_P) && (e & PTE_PS) && (e & PTE_RW);
	return (e & PTE_ADDR_MASK & ~(2 * MiB - 1)) | (va & (2 * MiB - 1));
}

static void test_entry_tables_and_gdt(void **state)
{
	(void)state;
	struct bzimage bz;
	struct bzimage_layout lay;
	static u8 buf[BZ_TABLE_PAGES * 4096];
	memtest_like();
	assert_int_equal(parse(&bz), BZ_OK);
	assert_int_equal(bzimage_plan(&bz, 64 * MiB, 0, 0, &lay), BZ_OK);
	assert_int_equal(bzimage_page_tables(buf, &lay), lay.tables);
	const u64 probes[] = {0, lay.zero_page + 0x1e8, MiB + 0x200, 0xc0201234, 4ull * GiB - 1};
	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		bool present;
		assert_int_equal(walk(buf, lay.tables, probes[i], &present), probes[i]);
		assert_true(present);
	}
	bool present;
	walk(buf, lay.tables, 4ull * GiB, &present);
	assert_false(present); /* nothing past the identity map */

	u64 gdt[BZ_GDT_ENTRIES];
	bzimage_gdt(gdt);
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[BZ_BOOT_CS / 8], DESC_CODE64_FLAT);
	assert_true(gdt[BZ_BOOT_CS / 8] & DESC_L);
	assert_int_equal(gdt[BZ_BOOT_DS / 8], DESC_DATA_FLAT);
}

static void test_error_names(void **state)
{
	(void)state;
	for (int e = 0; e < BZ_ERR_COUNT; e++)
		assert_string_not_equal(bzimage_err_name((enum bzimage_err)e), "unknown error");
	assert_string_equal(bzimage_err_name(BZ_ERR_COUNT), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_linux_like_header),
	    cmocka_unit_test(test_setup_sects_zero_means_four),
	    cmocka_unit_test(test_memtest_like_placement),
	    cmocka_unit_test(test_relocatable_placement),
	    cmocka_unit_test(test_refused_headers),
	    cmocka_unit_test(test_refused_plans),
	    cmocka_unit_test(test_zero_page),
	    cmocka_unit_test(test_e820_from_ram),
	    cmocka_unit_test(test_entry_tables_and_gdt),
	    cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
