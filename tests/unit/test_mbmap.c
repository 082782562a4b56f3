/* hv/mem/mbmap: the Multiboot memory map a boot loader hands over, read from an exact-size
 * heap buffer so that AddressSanitizer sees any read past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mem/mbmap.h"

#define ENTRY_SIZE sizeof(struct mb_mmap_entry)
#define MAX_BYTES  512

struct buf {
	u8 b[MAX_BYTES];
	u64 len;
};

static void put_entry(struct buf *b, u32 size, u64 base, u64 length, u32 type)
{
	struct mb_mmap_entry e = {size, base, length, type};
	assert_true(b->len + sizeof(u32) + size <= MAX_BYTES);
	memcpy(b->b + b->len, &e, sizeof(e) < sizeof(u32) + size ? sizeof(e) : sizeof(u32) + size);
	b->len += sizeof(u32) + size;
}

/* Parses b->b[0, len) from a heap copy of exactly len bytes. */
static enum mbmap_err parse(struct memmap *m, u32 flags, const struct buf *b, u64 len,
                            struct mbmap_result *res)
{
	u8 *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, b->b, len);
	enum mbmap_err err = mbmap_parse(m, flags, copy, len, res);
	free(copy);
	return err;
}

static struct memmap map;

static void pc_map(void **state)
{
	(void)state;
	struct buf b = {0};
	struct mbmap_result res;
	put_entry(&b, ENTRY_SIZE - 4, 0, 0x9fc00, MEMMAP_MB_AVAILABLE);
	put_entry(&b, ENTRY_SIZE - 4, 0x9fc00, 0x400, MEMMAP_MB_RESERVED);
	put_entry(&b, ENTRY_SIZE - 4, 0x100000, 0x7ee0000, MEMMAP_MB_AVAILABLE);
	put_entry(&b, ENTRY_SIZE - 4, 0x7fe0000, 0x20000, MEMMAP_MB_ACPI_RECLAIMABLE);
	assert_int_equal(parse(&map, MB_INFO_MEM_MAP, &b, b.len, &res), MBMAP_OK);
	assert_true(map.normalized);
	assert_int_equal(memmap_count(&map), 4);
	assert_int_equal(memmap_get(&map, 0)->len, 0x9f000); /* trimmed to whole frames */
	assert_int_equal(memmap_usable_bytes(&map), 0x9f000 + 0x7ee0000);
}

static void no_map_flag(void **state)
{
	(void)state;
	struct buf b = {0};
	struct mbmap_result res;
	put_entry(&b, ENTRY_SIZE - 4, 0, 0x9fc00, MEMMAP_MB_AVAILABLE);
	assert_int_equal(parse(&map, MB_INFO_MEMORY, &b, b.len, &res), MBMAP_ERR_NO_MAP);
	assert_int_equal(res.err, MBMAP_ERR_NO_MAP);
	assert_int_equal(memmap_count(&map), 0);
}

static void empty_map(void **state)
{
	(void)state;
	struct mbmap_result res;
	assert_int_equal(mbmap_parse(&map, MB_INFO_MEM_MAP, NULL, 0, &res), MBMAP_OK);
	assert_int_equal(memmap_count(&map), 0);
}

/* A larger size is allowed (the spec: the next entry is size bytes on); its extra bytes are
 * skipped. */
static void larger_entry_skipped_over(void **state)
{
	(void)state;
	struct buf b = {0};
	struct mbmap_result res;
	put_entry(&b, ENTRY_SIZE - 4 + 8, 0x100000, 0x100000, MEMMAP_MB_AVAILABLE);
	put_entry(&b, ENTRY_SIZE - 4, 0x300000, 0x100000, MEMMAP_MB_AVAILABLE);
	assert_int_equal(parse(&map, MB_INFO_MEM_MAP, &b, b.len, &res), MBMAP_OK);
	assert_int_equal(memmap_count(&map), 2);
}

static void size_too_small(void **state)
{
	(void)state;
	struct buf b = {0};
	struct mbmap_result res;
	put_entry(&b, ENTRY_SIZE - 4, 0x100000, 0x100000, MEMMAP_MB_AVAILABLE);
	put_entry(&b, ENTRY_SIZE - 5, 0x300000, 0x100000, MEMMAP_MB_AVAILABLE);
	b.len += 1; /* the full 24 bytes are there: only the size is wrong */
	assert_int_equal(parse(&map, MB_INFO_MEM_MAP, &b, b.len, &res), MBMAP_ERR_MALFORMED);
	assert_int_equal(res.offset, ENTRY_SIZE);
	assert_true(res.size_known);
	assert_int_equal(res.entry.size, ENTRY_SIZE - 5);
}

/* A map whose last entry is cut short: every length from 1 to 23 bytes of it, each from a
 * buffer that ends there. The old loop read the size field (and the fields) before checking. */
static void truncated_entry_read_within_buffer(void **state)
{
	(void)state;
	struct buf b = {0};
	struct mbmap_result res;
	put_entry(&b, ENTRY_SIZE - 4, 0x100000, 0x100000, MEMMAP_MB_AVAILABLE);
	put_entry(&b, ENTRY_SIZE - 4, 0x300000, 0x100000, MEMMAP_MB_AVAILABLE);
	for (u64 cut = 1; cut < ENTRY_SIZE; cut++) {
		assert_int_equal(parse(&map, MB_INFO_MEM_MAP, &b, ENTRY_SIZE + cut, &res),
		                 MBMAP_ERR_MALFORMED);
		assert_int_equal(res.offset, ENTRY_SIZE);
		assert_int_equal(res.size_known, cut >= sizeof(u32));
	}
}

static void too_many_entries(void **state)
{
	(void)state;
	struct mbmap_result res;
	u64 len = (MEMMAP_MAX_RANGES + 1) * ENTRY_SIZE;
	u8 *big = malloc(len);
	assert_non_null(big);
	for (unsigned i = 0; i <= MEMMAP_MAX_RANGES; i++) {
		struct mb_mmap_entry e = {ENTRY_SIZE - 4, (u64)i * 2 * MiB, MiB,
		                          MEMMAP_MB_AVAILABLE};
		memcpy(big + i * ENTRY_SIZE, &e, sizeof(e));
	}
	assert_int_equal(mbmap_parse(&map, MB_INFO_MEM_MAP, big, len, &res), MBMAP_ERR_ENTRY);
	assert_int_equal(res.memmap_err, MEMMAP_ERR_FULL);
	assert_int_equal(res.offset, MEMMAP_MAX_RANGES * ENTRY_SIZE);
	free(big);
}

static void names(void **state)
{
	(void)state;
	for (int e = MBMAP_OK; e < MBMAP_ERR_COUNT; e++)
		assert_string_not_equal(mbmap_strerror(e), "unknown Multiboot memory-map error");
	assert_string_equal(mbmap_strerror(MBMAP_ERR_COUNT), "unknown Multiboot memory-map error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pc_map),
	    cmocka_unit_test(no_map_flag),
	    cmocka_unit_test(empty_map),
	    cmocka_unit_test(larger_entry_skipped_over),
	    cmocka_unit_test(size_too_small),
	    cmocka_unit_test(truncated_entry_read_within_buffer),
	    cmocka_unit_test(too_many_entries),
	    cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
