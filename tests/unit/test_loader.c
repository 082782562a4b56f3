/* hv/vm/mbplace and the address fields of hv/vm/mbhdr: where a Multiboot v1 guest's image, boot
 * information, stack and modules go. Expectations follow the Multiboot specification 0.6.96:
 * the information structure is 116 bytes (3.3, with the framebuffer fields), a module entry 16
 * bytes, a memory-map entry 24 (its size field plus 20); modules are page-aligned when header
 * flag 0 asks (3.1.2: segvisor always aligns them); every address handed over is 32 bits; the
 * address fields (3.1.3) load from the header's offset less (header_addr - load_addr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/vm/mbhdr.h"
#include "hv/vm/mbplace.h"
#include "lib/multiboot.h"

#define RAM (128 * MiB)

static struct mbplace_request request(u64 ram, u64 seg_base, u64 seg_len)
{
	struct mbplace_request r = {.ram = ram, .nsegments = 1, .cmdline_len = 10};
	r.seg[0] = (struct mbplace_range){seg_base, seg_len};
	return r;
}

static void add_module(struct mbplace_request *r, u64 size, u64 string_len)
{
	r->module_size[r->nmodules] = size;
	r->string_len[r->nmodules] = string_len;
	r->nmodules++;
}

static bool apart(u64 a, u64 alen, u64 b, u64 blen)
{
	return a + alen <= b || b + blen <= a;
}

/* Every placed piece clear of the image and of each other, checked here independently of
 * mbplace_check, and inside [lo, hi) of the windows the guest's memory map offers. */
static void assert_clear(const struct mbplace_request *r, const struct mbplace_layout *l)
{
	struct mbplace_range p[2 + MBPLACE_MAX_MODULES];
	unsigned n = 0;
	p[n++] = l->block;
	p[n++] = l->stack;
	for (unsigned i = 0; i < l->nmodules; i++)
		p[n++] = (struct mbplace_range){l->module[i].base,
		                                l->module[i].len ? l->module[i].len : 1};
	for (unsigned i = 0; i < n; i++) {
		bool low = p[i].base >= 0x1000 && p[i].base + p[i].len <= 0x9f000;
		bool high = p[i].base >= 0x100000 && p[i].base + p[i].len <= r->ram &&
		            p[i].base + p[i].len < 4ULL * GiB;
		assert_true(low || high);
		for (unsigned s = 0; s < r->nsegments; s++)
			assert_true(apart(p[i].base, p[i].len, r->seg[s].base, r->seg[s].len));
		for (unsigned j = 0; j < i; j++)
			assert_true(apart(p[i].base, p[i].len, p[j].base, p[j].len));
	}
	assert_int_equal(mbplace_check(r, l), MBPLACE_OK);
}

static void test_block_layout(void **state)
{
	(void)state;
	struct mbplace_request r = request(RAM, 0x200000, 0x20000);
	r.cmdline_len = 20;
	add_module(&r, 100, 5);
	add_module(&r, 200, 40);
	/* 116 -> 128, 3 x 24 = 72 -> 80 (room for the PCI hole's two runs), "segvisor" 9 -> 16,
	 * 2 x 16 = 32, 21 -> 32, 6 -> 16, 41 -> 48 */
	assert_int_equal(mbplace_block_size(&r), 128 + 80 + 16 + 32 + 32 + 16 + 48);
	struct mbplace_layout l;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	/* The image is at 2 MiB: conventional memory is free, the block goes first in it. */
	assert_int_equal(l.block.base, 0x1000);
	assert_int_equal(l.info, 0x1000);
	assert_int_equal(l.mmap, 0x1000 + 128);
	assert_int_equal(l.loader_name, 0x1000 + 208);
	assert_int_equal(l.mods, 0x1000 + 224);
	assert_int_equal(l.cmdline, 0x1000 + 256);
	assert_int_equal(l.string[0], 0x1000 + 288);
	assert_int_equal(l.string[1], 0x1000 + 304);
	assert_int_equal(l.block.len, 352);
	/* The stack right after it, its top 16-byte aligned. */
	assert_int_equal(l.stack.base, 0x1000 + 352);
	assert_int_equal(l.stack.len, MBPLACE_STACK_SIZE);
	assert_int_equal((l.stack.base + l.stack.len) % 16, 0);
	assert_clear(&r, &l);
}

static void test_modules_page_aligned(void **state)
{
	(void)state;
	struct mbplace_request r = request(RAM, 0x200000, 0x20000);
	add_module(&r, 20, 4);
	add_module(&r, 8344, 4);
	add_module(&r, 0, 4); /* an empty module still gets a start of its own */
	add_module(&r, 4096, 4);
	struct mbplace_layout l;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.nmodules, 4);
	/* First fit from 1 MiB, below the image at 2 MiB, each on a page boundary. */
	assert_int_equal(l.module[0].base, 0x100000);
	assert_int_equal(l.module[0].len, 20);
	assert_int_equal(l.module[1].base, 0x101000);
	assert_int_equal(l.module[1].len, 8344);
	assert_int_equal(l.module[2].base, 0x104000); /* 8344 bytes take 3 pages */
	assert_int_equal(l.module[2].len, 0);
	assert_int_equal(l.module[3].base, 0x105000);
	for (unsigned i = 0; i < l.nmodules; i++)
		assert_int_equal(l.module[i].base % PAGE_SIZE_4K, 0);
	assert_clear(&r, &l);
}

static void test_module_skips_image(void **state)
{
	(void)state;
	/* 1.5 MiB does not fit between 1 MiB and the image at 2 MiB: it goes after the image. */
	struct mbplace_request r = request(RAM, 0x200000, 0x20800);
	add_module(&r, 0x180000, 0);
	add_module(&r, 0x1000, 0); /* this one fits below the image */
	struct mbplace_layout l;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.module[0].base, 0x221000); /* the image's end, page-aligned up */
	assert_int_equal(l.module[1].base, 0x100000);
	assert_clear(&r, &l);
}

static void test_image_below_1m(void **state)
{
	(void)state;
	/* A kernel at 32 KiB (an a.out-kludge load_addr of 0x8000): the block and the stack
	 * still fit below it. */
	struct mbplace_request r = request(RAM, 0x8000, 0x10000);
	add_module(&r, 0x3000, 8);
	struct mbplace_layout l;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.block.base, 0x1000);
	assert_true(l.stack.base + l.stack.len <= 0x8000);
	assert_int_equal(l.module[0].base, 0x100000);
	assert_clear(&r, &l);

	/* A kernel at 4 KiB: the block and stack go after it, still in conventional memory, from
	 * the next page (its end symbol may be page-aligned past its last segment). */
	r = request(RAM, 0x1000, 0x5f00);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.block.base, 0x7000);
	assert_int_equal(l.stack.base, 0x7000 + l.block.len);
	assert_clear(&r, &l);

	/* Two segments with a gap between them: nothing goes in the gap, which lies inside the
	 * kernel's own span (from its first address to its end symbol). */
	r = request(RAM, 0x1000, 0x1000);
	r.nsegments = 2;
	r.seg[1] = (struct mbplace_range){0x8000, 0x1000};
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.block.base, 0x9000);
	assert_int_equal(l.stack.base, 0x9000 + l.block.len);
	assert_clear(&r, &l);
	struct mbplace_layout gap = l;
	gap.block.base = 0x2000;
	assert_int_equal(mbplace_check(&r, &gap), MBPLACE_ERR_OVERLAP);

	/* A kernel filling conventional memory: block and stack move to upper memory. */
	r = request(RAM, 0x1000, 0x9e000);
	r.nsegments = 2;
	r.seg[1] = (struct mbplace_range){0x100000, 0x8000};
	add_module(&r, 0x1000, 0);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.block.base, 0x108000);
	assert_int_equal(l.stack.base, 0x108000 + l.block.len);
	assert_int_equal(l.module[0].base,
	                 (l.stack.base + l.stack.len + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1));
	assert_clear(&r, &l);
}

static void test_reserved_refused(void **state)
{
	(void)state;
	struct mbplace_layout l;
	struct mbplace_request r = request(RAM, 0x800, 0x1000); /* over page 0 */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_RESERVED);
	assert_int_equal(l.bad, 0);
	assert_int_equal(l.bad_reserved, 0);
	assert_non_null(strstr(mbplace_reserved_name(0), "page 0"));

	r = request(RAM, 0x100000, 0x1000);
	r.nsegments = 2;
	r.seg[1] = (struct mbplace_range){0xb8000, 0x100}; /* over the VGA text buffer */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_RESERVED);
	assert_int_equal(l.bad, 1);
	assert_int_equal(l.bad_reserved, 1);
	assert_non_null(strstr(mbplace_reserved_name(1), "VGA text buffer"));
	assert_null(mbplace_reserved_name(2));

	/* Touching the reserved ranges' edges is allowed. */
	r = request(RAM, 0x9e000, 0x1000);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	r = request(RAM, 0x9f000, 0x1);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_RESERVED);
	r = request(RAM, 0xff000, 0x2000); /* runs from the BIOS area into upper memory */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_RESERVED);

	r = request(RAM, RAM - 0x1000, 0x2000);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_SEGMENT_OUTSIDE_RAM);
	r = request(RAM, ~0ULL - 0x10, 0x100); /* wraps */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_SEGMENT_OUTSIDE_RAM);
}

static void test_refusals(void **state)
{
	(void)state;
	struct mbplace_layout l;
	struct mbplace_request r = request(RAM, 0x200000, 0x10000);
	for (unsigned i = 0; i < MBPLACE_MAX_MODULES; i++)
		add_module(&r, 0x1000, 1);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	r.nmodules = MBPLACE_MAX_MODULES + 1;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_TOO_MANY_MODULES);

	r = request(16 * MiB, 0x100000, 0x10000);
	add_module(&r, 0x1000, 0);
	add_module(&r, 16 * MiB, 0); /* the whole RAM, more than the windows hold */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_MODULE_TOO_LARGE);
	assert_int_equal(l.bad, 1);
	assert_int_equal(l.usable, (0x9f000 - 0x1000) + 15 * MiB); /* both windows */

	/* The image fills upper memory but 1 MiB: a 2 MiB module has no room. */
	r = request(16 * MiB, 0x100000, 14 * MiB);
	add_module(&r, 2 * MiB, 0);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_NO_ROOM_MODULE);
	assert_int_equal(l.bad, 0);

	/* RAM above 4 GiB is no room: the structure's addresses are 32 bits, and mod_end (one
	 * past the last byte) must be one too, so the last page below 4 GiB is not used. */
	r = request(6 * GiB, 0x100000, 4 * GiB - 2 * MiB);
	add_module(&r, 1 * MiB, 0);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_NO_ROOM_MODULE);
	r.module_size[0] = 1 * MiB - PAGE_SIZE_4K;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	assert_int_equal(l.module[0].base, 4 * GiB - 1 * MiB);
	assert_int_equal(l.module[0].base + l.module[0].len, 4 * GiB - PAGE_SIZE_4K);

	/* No room for the block or the stack anywhere. */
	r = request(2 * MiB, 0x1000, 0x9e000);
	r.nsegments = 2;
	r.seg[1] = (struct mbplace_range){0x100000, 1 * MiB};
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_NO_ROOM_INFO);
	r.seg[1].len = 1 * MiB - 0x1000; /* a page left: the block fits, the stack does not */
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_NO_ROOM_STACK);

	r = request(RAM, 0x200000, 0x1000);
	r.cmdline_len = MBPLACE_CMDLINE_MAX - 1;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	r.cmdline_len = MBPLACE_CMDLINE_MAX;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_CMDLINE_TOO_LONG);
	r.cmdline_len = 0;
	add_module(&r, 1, MBPLACE_STRING_MAX);
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_ERR_STRING_TOO_LONG);
	assert_int_equal(l.bad, 0);
}

static void test_check_catches(void **state)
{
	(void)state;
	struct mbplace_request r = request(RAM, 0x200000, 0x10000);
	add_module(&r, 0x2000, 0);
	add_module(&r, 0x2000, 0);
	struct mbplace_layout l;
	assert_int_equal(mbplace_plan(&r, &l), MBPLACE_OK);
	struct mbplace_layout bad = l;
	bad.module[1].base = bad.module[0].base + 0x1000; /* into module 1 */
	assert_int_equal(mbplace_check(&r, &bad), MBPLACE_ERR_OVERLAP);
	bad = l;
	bad.module[0].base = 0x200000; /* over the image */
	assert_int_equal(mbplace_check(&r, &bad), MBPLACE_ERR_OVERLAP);
	bad = l;
	bad.stack.base = bad.block.base + 8; /* over the boot information */
	assert_int_equal(mbplace_check(&r, &bad), MBPLACE_ERR_OVERLAP);
	bad = l;
	bad.module[0].base = 0xa0000; /* the VGA and BIOS area */
	assert_int_equal(mbplace_check(&r, &bad), MBPLACE_ERR_OUTSIDE);
	bad = l;
	bad.module[0].base = RAM - 0x1000; /* runs past the RAM */
	assert_int_equal(mbplace_check(&r, &bad), MBPLACE_ERR_OUTSIDE);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < MBPLACE_ERR_COUNT; i++) {
		assert_string_not_equal(mbplace_strerror(i), "unknown placement error");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mbplace_strerror(i), mbplace_strerror(j));
	}
	assert_string_equal(mbplace_strerror(MBPLACE_ERR_COUNT), "unknown placement error");
	assert_string_equal(mbplace_strerror(MBPLACE_ERR_MODULE_TOO_LARGE),
	                    "module larger than guest RAM");
}

/* The information structure as spec 3.3 lays it out, byte by byte. */
static void test_info_layout(void **state)
{
	(void)state;
	struct mb_info info;
	memset(&info, 0, sizeof(info));
	info.vbe_mode = 0x1234;
	info.vbe_interface_len = 0x5678;
	info.framebuffer_addr = 0xb8000;
	info.framebuffer_type = MB_FRAMEBUFFER_TYPE_EGA_TEXT;
	const u8 *b = (const u8 *)&info;
	assert_int_equal(sizeof(info), 116);
	assert_int_equal(b[80] | b[81] << 8, 0x1234);
	assert_int_equal(b[86] | b[87] << 8, 0x5678);
	assert_int_equal(b[88] | b[89] << 8 | b[90] << 16, 0xb8000);
	assert_int_equal(b[109], 2);
}

/* Address fields (a.out kludge, spec 3.1.3). */
#define KL_SIZE   0x3000
#define KL_OFFSET 0x200

static u8 *kludge_image(const u32 addrs[5])
{
	u8 *img = calloc(1, KL_SIZE);
	assert_non_null(img);
	const u32 flags = MB_HDR_PAGE_ALIGN | MBHDR_FLAG_AOUT_KLUDGE;
	u32 words[8] = {MB_HEADER_MAGIC, flags, -(u32)(MB_HEADER_MAGIC + flags)};
	memcpy(words + 3, addrs, 5 * sizeof(u32));
	memcpy(img + KL_OFFSET, words, sizeof(words));
	return img;
}

static enum mbhdr_err kludge_load(const u32 addrs[5], struct mbhdr_load *ld)
{
	struct mbhdr_info mh;
	u8 *img = kludge_image(addrs);
	enum mbhdr_err err = mbhdr_find(img, KL_SIZE, MBHDR_FLAGS_REQUIRED, &mh);
	if (err == MBHDR_OK)
		err = mbhdr_load(&mh, KL_SIZE, ld);
	free(img);
	return err;
}

static void test_kludge(void **state)
{
	(void)state;
	struct mbhdr_load ld;
	/* Loaded at 0x10000 below 1 MiB: the header, 0x200 into the file, is at 0x10100, so loading
	 * starts 0x100 into the file; 0x1000 bytes from it, bss to 0x14000. */
	u32 a[5] = {0x10100, 0x10000, 0x11000, 0x14000, 0x10120};
	assert_int_equal(kludge_load(a, &ld), MBHDR_OK);
	assert_int_equal(ld.file_offset, 0x100);
	assert_int_equal(ld.file_size, 0x1000);
	assert_int_equal(ld.mem_size, 0x4000);
	assert_int_equal(ld.load_addr, 0x10000);
	assert_int_equal(ld.entry, 0x10120);

	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
	u32 b[5] = {0x10100, 0x10000, 0, 0, 0x10120};
	assert_int_equal(kludge_load(b, &ld), MBHDR_OK);
	assert_int_equal(ld.file_size, KL_SIZE - 0x100);
	assert_int_equal(ld.mem_size, KL_SIZE - 0x100);

	u32 past[5] = {0x10100, 0x10000, 0x10000 + KL_SIZE, 0, 0x10120}; /* 0x100 too far */
	assert_int_equal(kludge_load(past, &ld), MBHDR_ERR_LOAD_PAST_FILE);
	u32 entry[5] = {0x10100, 0x10000, 0x11000, 0x14000, 0x11000}; /* in the bss */
	assert_int_equal(kludge_load(entry, &ld), MBHDR_ERR_ENTRY_OUTSIDE);
	u32 below[5] = {0x10100, 0x10000, 0x11000, 0x14000, 0xfff0};
	assert_int_equal(kludge_load(below, &ld), MBHDR_ERR_ENTRY_OUTSIDE);
	u32 wraps[5] = {0xfffff100, 0xfffff000, 0, 0, 0xfffff100}; /* the file runs past 4 GiB */
	assert_int_equal(kludge_load(wraps, &ld), MBHDR_ERR_LOAD_WRAPS);
	u32 far[5] = {0x10400, 0x10000, 0, 0, 0x10400}; /* would start before the file */
	assert_int_equal(kludge_load(far, &ld), MBHDR_ERR_BAD_ADDRESSES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_block_layout),       cmocka_unit_test(test_modules_page_aligned),
	    cmocka_unit_test(test_module_skips_image), cmocka_unit_test(test_image_below_1m),
	    cmocka_unit_test(test_reserved_refused),   cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_check_catches),      cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_info_layout),        cmocka_unit_test(test_kludge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
