/* lib/multiboot: mb_ram_top, the top of RAM a Multiboot kernel finds from the
 * information its loader handed over. The function reads the memory map at
 * the 32-bit address the information structure gives, so the map is built in
 * memory mapped below 4 GiB (MAP_32BIT). Expected tops are written from the
 * Multiboot specification (0.6.96, 3.3): `size` does not count itself, only
 * type 1 is available RAM, mem_upper is KiB above 1 MiB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/multiboot.h"

#define MAP_BYTES  4096
#define ENTRY_SIZE ((u32)(sizeof(struct mb_mmap_entry) - sizeof(u32)))
#define IMAGE_LAST (2 * MiB + 0x1234) /* a kernel whose last byte is here */

static u8 *low;
static u32 used;

static int setup(void **state)
{
	(void)state;
	low = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
	           -1, 0);
	assert_true(low != MAP_FAILED);
	assert_true((uintptr_t)low + MAP_BYTES <= 0x100000000ull);
	used = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(low, MAP_BYTES);
	return 0;
}

/* Appends one entry whose size field says `size` (the bytes after it). */
static void put(u32 size, u64 base, u64 length, u32 type)
{
	struct mb_mmap_entry e = {size, base, length, type};
	assert_true(used + sizeof(u32) + size <= MAP_BYTES);
	memset(low + used, 0, sizeof(u32) + size);
	memcpy(low + used, &e, sizeof(u32) + size < sizeof(e) ? sizeof(u32) + size : sizeof(e));
	used += sizeof(u32) + size;
}

static struct mb_info info_with_map(u32 length)
{
	struct mb_info mbi;
	memset(&mbi, 0, sizeof(mbi));
	mbi.flags = MB_INFO_MEM_MAP;
	mbi.mmap_addr = (u32)(uintptr_t)low;
	mbi.mmap_length = length;
	return mbi;
}

static void test_no_information(void **state)
{
	(void)state;
	struct mb_info mbi;
	memset(&mbi, 0, sizeof(mbi));
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
}

static void test_mem_upper_only(void **state)
{
	(void)state;
	struct mb_info mbi;
	memset(&mbi, 0, sizeof(mbi));
	mbi.flags = MB_INFO_MEMORY;
	mbi.mem_upper = 130048; /* KiB above 1 MiB: 128 MiB of RAM less 1 MiB */
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 128 * MiB);
}

static void test_map_wins_over_mem_upper(void **state)
{
	(void)state;
	put(ENTRY_SIZE, 0, 0x9fc00, MB_MMAP_AVAILABLE);
	put(ENTRY_SIZE, MiB, 511 * MiB, MB_MMAP_AVAILABLE);
	struct mb_info mbi = info_with_map(used);
	mbi.flags |= MB_INFO_MEMORY;
	mbi.mem_upper = 1024; /* disagrees with the map: the map is the truth */
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 512 * MiB);
}

static void test_range_holding_the_image(void **state)
{
	(void)state;
	put(ENTRY_SIZE, 0, 0x9fc00, MB_MMAP_AVAILABLE);
	put(ENTRY_SIZE, 0xf0000, 0x10000, 2);
	put(ENTRY_SIZE, MiB, 63 * MiB, MB_MMAP_AVAILABLE);
	put(ENTRY_SIZE, 4ull * GiB, 4ull * GiB, MB_MMAP_AVAILABLE); /* above, not the image's */
	struct mb_info mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 64 * MiB);
}

static void test_image_in_reserved_range(void **state)
{
	(void)state;
	put(ENTRY_SIZE, MiB, 63 * MiB, 2); /* reserved */
	struct mb_info mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
}

static void test_range_ending_at_the_image(void **state)
{
	(void)state;
	/* [1 MiB, IMAGE_LAST) does not hold the byte at IMAGE_LAST. */
	put(ENTRY_SIZE, MiB, IMAGE_LAST - MiB, MB_MMAP_AVAILABLE);
	struct mb_info mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
	/* One byte more and it does. */
	used = 0;
	put(ENTRY_SIZE, MiB, IMAGE_LAST - MiB + 1, MB_MMAP_AVAILABLE);
	mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), IMAGE_LAST + 1);
}

static void test_larger_entries_are_stepped_by_size(void **state)
{
	(void)state;
	/* A loader may use larger entries (spec: `size` gives the step). */
	put(ENTRY_SIZE + 12, 0, 0x9fc00, MB_MMAP_AVAILABLE);
	put(ENTRY_SIZE + 12, MiB, 255 * MiB, MB_MMAP_AVAILABLE);
	struct mb_info mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 256 * MiB);
}

static void test_malformed_entry_ends_the_walk(void **state)
{
	(void)state;
	put(8, 0, 0, 0); /* a size too small for an entry */
	put(ENTRY_SIZE, MiB, 63 * MiB, MB_MMAP_AVAILABLE);
	struct mb_info mbi = info_with_map(used);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
}

static void test_entry_cut_by_the_map_length(void **state)
{
	(void)state;
	put(ENTRY_SIZE, MiB, 63 * MiB, MB_MMAP_AVAILABLE);
	/* The map's length stops one byte short of the entry's end. */
	struct mb_info mbi = info_with_map(used - 1);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
	mbi = info_with_map(0);
	assert_int_equal(mb_ram_top(&mbi, IMAGE_LAST), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_information, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mem_upper_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_map_wins_over_mem_upper, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_holding_the_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_image_in_reserved_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_range_ending_at_the_image, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_larger_entries_are_stepped_by_size, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_entry_ends_the_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_cut_by_the_map_length, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
