/* The Linux boot protocol's checks and placement (hv/vm/bzimage.c), over any image.
 *
 * Input: u16 guest RAM top in MiB, u16 command-line length, u32 initrd size, u8 E820 entry
 * count, then the image (the rest, copied to a buffer of exactly its size).
 * Invariants: an image bzimage_parse accepts has its setup and kernel inside the file, a power of
 * two alignment of at least 4 KiB and an init_size that holds the kernel; a plan bzimage_plan
 * accepts puts the low block below 1 MiB and below the kernel, the kernel at or above 1 MiB
 * (at pref_address when not relocatable, aligned when it is) with its init_size inside RAM and
 * the identity map, the initrd page-aligned between the kernel's end, RAM's end and
 * initrd_addr_max; the zero page stays in its 4 KiB (AddressSanitizer watches) and carries the
 * layout; the entry tables map every probed address to itself. A refusal has a name. */
#include "tests/fuzz/fuzz.h"

#include "hv/vm/bzimage.h"
#include "lib/bits.h"
#include "lib/x86/paging.h"

#define PAGE 4096ull

static u64 rd(const u8 *p, u64 off, unsigned width)
{
	u64 v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (u64)p[off + i] << (8 * i);
	return v;
}

static void check_tables(const u8 *buf, const struct bzimage_layout *lay, u64 va)
{
	u64 e = ((const u64 *)buf)[(va >> 39) & 511];
	FUZZ_CHECK(e & PTE_P, "PML4 entry for 0x%llx", va);
	const u64 *pdpt = (const u64 *)(buf + ((e & PTE_ADDR_MASK) - lay->tables));
	e = pdpt[(va >> 30) & 511];
	FUZZ_CHECK(e & PTE_P, "PDPT entry for 0x%llx", va);
	const u64 *pd = (const u64 *)(buf + ((e & PTE_ADDR_MASK) - lay->tables));
	e = pd[(va >> 21) & 511];
	FUZZ_CHECK((e & (PTE_P | PTE_RW | PTE_PS)) == (PTE_P | PTE_RW | PTE_PS), "PDE for 0x%llx",
	           va);
	FUZZ_CHECK(((e & PTE_ADDR_MASK) | (va & (2 * MiB - 1))) == va, "0x%llx not identity", va);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = {data, size};
	const u64 ram_top = fuzz_bytes(&in, 2) * MiB;
	const u64 cmdline_len = fuzz_bytes(&in, 2);
	const u64 initrd_size = fuzz_bytes(&in, 4);
	const unsigned n = (unsigned)fuzz_bytes(&in, 1);
	u8 *img = malloc(in.left ? in.left : 1);
	memcpy(img, in.p, in.left);
	const u64 len = in.left;

	struct bzimage bz;
	enum bzimage_err err = bzimage_parse(img, len, &bz);
	FUZZ_CHECK(err < BZ_ERR_COUNT, "error %d", err);
	FUZZ_CHECK(strcmp(bzimage_err_name(err), "unknown error"), "unnamed error %d", err);
	if (err != BZ_OK)
		goto out;
	FUZZ_CHECK(bzimage_detect(img, len), "accepted without the magic");
	FUZZ_CHECK(bz.header_end <= len && bz.header_end <= bz.setup_bytes, "header end 0x%llx",
	           bz.header_end);
	FUZZ_CHECK(bz.setup_bytes + bz.kernel_bytes == len && bz.kernel_bytes > 0,
	           "setup %llu + kernel %llu != %llu", bz.setup_bytes, bz.kernel_bytes, len);
	FUZZ_CHECK(is_pow2(bz.alignment) && bz.alignment >= PAGE, "alignment 0x%x", bz.alignment);
	FUZZ_CHECK(bz.init_size >= bz.kernel_bytes, "init_size");
	FUZZ_CHECK(bz.xloadflags & BZ_XLF_KERNEL_64, "no 64-bit entry");

	struct bzimage_layout lay;
	err = bzimage_plan(&bz, ram_top, cmdline_len, initrd_size, &lay);
	FUZZ_CHECK(err < BZ_ERR_COUNT, "plan error %d", err);
	if (err != BZ_OK)
		goto out;
	const u64 top = ram_top < lay.identity_top ? ram_top : lay.identity_top;
	FUZZ_CHECK(lay.cmdline + cmdline_len + 1 <= MiB && cmdline_len <= bz.cmdline_size,
	           "command line at 0x%llx + %llu", lay.cmdline, cmdline_len);
	FUZZ_CHECK(lay.kernel >= MiB && lay.cmdline + cmdline_len + 1 <= lay.kernel,
	           "kernel at 0x%llx below the low block's end", lay.kernel);
	FUZZ_CHECK(bz.relocatable ? is_aligned(lay.kernel, bz.alignment)
	                          : lay.kernel == bz.pref_address,
	           "kernel at 0x%llx", lay.kernel);
	FUZZ_CHECK(lay.kernel + bz.init_size <= top, "kernel [0x%llx, +0x%llx) past 0x%llx",
	           lay.kernel, bz.init_size, top);
	FUZZ_CHECK(lay.entry == lay.kernel + BZ_64BIT_ENTRY, "entry");
	if (initrd_size) {
		FUZZ_CHECK(lay.initrd_size == initrd_size && is_aligned(lay.initrd, PAGE),
		           "initrd 0x%llx", lay.initrd);
		FUZZ_CHECK(lay.initrd >= lay.kernel + bz.init_size, "initrd over the kernel");
		FUZZ_CHECK(lay.initrd + initrd_size <= top &&
		               lay.initrd + initrd_size <= (u64)bz.initrd_addr_max + 1,
		           "initrd [0x%llx, +0x%llx) too high", lay.initrd, initrd_size);
	} else {
		FUZZ_CHECK(!lay.initrd && !lay.initrd_size, "an initrd from nothing");
	}

	struct bzimage_e820 map[BZ_ZP_E820_MAX + 8];
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		map[i] = (struct bzimage_e820){(u64)i * MiB, MiB, BZ_E820_RAM};
	u8 *zp = malloc(BZ_ZP_SIZE);
	err = bzimage_zero_page(zp, img, &bz, &lay, map, n);
	FUZZ_CHECK((err == BZ_OK) == (n <= BZ_ZP_E820_MAX), "%u E820 entries: %d", n, err);
	if (err == BZ_OK) {
		FUZZ_CHECK(rd(zp, BZ_HEADER, 4) == BZ_HEADER_MAGIC, "header not copied");
		FUZZ_CHECK(rd(zp, BZ_CMD_LINE_PTR, 4) == lay.cmdline, "cmd_line_ptr");
		FUZZ_CHECK(rd(zp, BZ_RAMDISK_IMAGE, 4) == (lay.initrd & 0xffffffffu), "ramdisk");
		FUZZ_CHECK(zp[BZ_ZP_E820_ENTRIES] == n, "e820 count");
	}
	free(zp);

	u8 *tables = malloc(BZ_TABLE_PAGES * PAGE);
	FUZZ_CHECK(bzimage_page_tables(tables, &lay) == lay.tables, "CR3");
	check_tables(tables, &lay, lay.kernel);
	check_tables(tables, &lay, lay.entry);
	check_tables(tables, &lay, lay.zero_page);
	check_tables(tables, &lay, top - 1);
	free(tables);
out:
	free(img);
	return 0;
}
