/* hv/mem/memmap: normalizing firmware memory maps and carving out reservations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hv/mem/memmap.h"

static struct memmap *new_map(void)
{
	struct memmap *m = malloc(sizeof(*m));
	assert_non_null(m);
	memmap_init(m);
	return m;
}

static void add(struct memmap *m, u64 base, u64 len, enum memmap_type type)
{
	assert_int_equal(memmap_add(m, base, len, type), MEMMAP_OK);
}

static void expect_range(const struct memmap *m, unsigned i, u64 base, u64 end,
                         enum memmap_type type)
{
	const struct memmap_range *r = memmap_get(m, i);
	assert_non_null(r);
	assert_int_equal(r->base, base);
	assert_int_equal(r->base + r->len, end);
	assert_string_equal(memmap_type_name(r->type), memmap_type_name(type));
}

/* A typical PC map as GRUB passes it, with RAM above 4 GiB. */
static void add_pc_map(struct memmap *m)
{
	add(m, 0x100000, 0x7ee0000, MEMMAP_USABLE);
	add(m, 0x0, 0x9fc00, MEMMAP_USABLE);
	add(m, 0x9fc00, 0x400, MEMMAP_RESERVED);
	add(m, 0xf0000, 0x10000, MEMMAP_RESERVED);
	add(m, 0x7fe0000, 0x20000, MEMMAP_ACPI_RECLAIMABLE);
	add(m, 0xfffc0000, 0x40000, MEMMAP_RESERVED);
	add(m, 4 * GiB, 2 * GiB, MEMMAP_USABLE);
}

static void test_pc_map(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add_pc_map(m);
	assert_false(m->normalized);
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_true(m->normalized);
	assert_int_equal(memmap_count(m), 7);
	expect_range(m, 0, 0x0, 0x9f000, MEMMAP_USABLE); /* trimmed inward from 0x9fc00 */
	expect_range(m, 1, 0x9fc00, 0xa0000, MEMMAP_RESERVED);
	expect_range(m, 2, 0xf0000, 0x100000, MEMMAP_RESERVED);
	expect_range(m, 3, 0x100000, 0x7fe0000, MEMMAP_USABLE);
	expect_range(m, 4, 0x7fe0000, 0x8000000, MEMMAP_ACPI_RECLAIMABLE);
	expect_range(m, 5, 0xfffc0000, 0x100000000, MEMMAP_RESERVED);
	expect_range(m, 6, 4 * GiB, 6 * GiB, MEMMAP_USABLE);
	assert_int_equal(memmap_usable_bytes(m), 0x9f000 + 0x7ee0000 + 2 * GiB);
	assert_int_equal(memmap_usable_limit(m), 6 * GiB);
	assert_int_equal(m->clipped, 0);
	assert_int_equal(m->empty_dropped, 0);

	/* Normalizing again is a no-op. */
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 7);

	unsigned n = 0;
	const struct memmap_range *it;
	memmap_for_each (m, it)
		n++;
	assert_int_equal(n, 7);
	assert_null(memmap_get(m, 7));
	free(m);
}

static void test_overlaps_non_usable_wins(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add(m, 21 * MiB, 2 * MiB, MEMMAP_RESERVED);
	add(m, 8 * MiB + 0x800, 0x800, MEMMAP_BAD);
	add(m, 0, 16 * MiB, MEMMAP_USABLE);
	add(m, 4 * MiB, 1 * MiB, MEMMAP_RESERVED);
	add(m, 2 * MiB, 8 * MiB, MEMMAP_USABLE); /* duplicate usable: merged away */
	add(m, 20 * MiB, 2 * MiB, MEMMAP_ACPI_NVS);
	add(m, 24 * MiB, 1 * MiB, MEMMAP_USABLE);
	add(m, 24 * MiB, 1 * MiB, MEMMAP_BAD); /* same extent: bad wins entirely */
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 8);
	expect_range(m, 0, 0, 4 * MiB, MEMMAP_USABLE);
	expect_range(m, 1, 4 * MiB, 5 * MiB, MEMMAP_RESERVED);
	expect_range(m, 2, 5 * MiB, 8 * MiB, MEMMAP_USABLE); /* 8 MiB + 0x800 trimmed down */
	expect_range(m, 3, 8 * MiB + 0x800, 8 * MiB + 0x1000, MEMMAP_BAD);
	expect_range(m, 4, 8 * MiB + 0x1000, 16 * MiB, MEMMAP_USABLE);
	expect_range(m, 5, 20 * MiB, 21 * MiB, MEMMAP_ACPI_NVS);
	expect_range(m, 6, 21 * MiB, 23 * MiB, MEMMAP_RESERVED);
	expect_range(m, 7, 24 * MiB, 25 * MiB, MEMMAP_BAD);
	assert_int_equal(memmap_usable_bytes(m), 4 * MiB + 3 * MiB + 8 * MiB - 0x1000);
	assert_int_equal(memmap_usable_limit(m), 16 * MiB);
	assert_true(memmap_is_usable(m, 5 * MiB, 3 * MiB));
	assert_false(memmap_is_usable(m, 5 * MiB, 3 * MiB + 1));
	assert_false(memmap_is_usable(m, 4 * MiB, 0x1000));
	assert_false(memmap_is_usable(m, 0, 0));
	free(m);
}

static void test_unaligned_and_empty(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add(m, 0x1234, 0x5000 - 0x1234, MEMMAP_USABLE);  /* -> [0x2000, 0x5000) */
	add(m, 0x10000, 0, MEMMAP_USABLE);               /* empty */
	add(m, 0x30000, 0, MEMMAP_RESERVED);             /* empty */
	add(m, 0x20100, 0xe00, MEMMAP_USABLE);           /* no whole frame: dropped */
	add(m, 0x100000, 0x800, MEMMAP_USABLE);          /* two halves of one frame, */
	add(m, 0x100800, 0x800, MEMMAP_USABLE);          /* merged before trimming */
	add(m, 0x200010, 0x20, MEMMAP_ACPI_RECLAIMABLE); /* non-usable: kept exact */
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 3);
	expect_range(m, 0, 0x2000, 0x5000, MEMMAP_USABLE);
	expect_range(m, 1, 0x100000, 0x101000, MEMMAP_USABLE);
	expect_range(m, 2, 0x200010, 0x200030, MEMMAP_ACPI_RECLAIMABLE);
	assert_int_equal(m->empty_dropped, 2);
	assert_int_equal(m->clipped, 0);
	assert_int_equal(memmap_usable_bytes(m), 0x4000);
	free(m);
}

static void test_wrapping_and_high(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add(m, 0xfffffffffffff000ULL, 0x2000, MEMMAP_USABLE);      /* wraps, above the limit */
	add(m, MEMMAP_PHYS_LIMIT - 0x2000, 0x4000, MEMMAP_USABLE); /* crosses the limit */
	add(m, 64 * GiB, ~0ULL, MEMMAP_RESERVED);                  /* wraps from below the limit */
	add(m, 16 * GiB, 0x1000, MEMMAP_USABLE);                   /* above 4 GiB: kept */
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(m->clipped, 3);
	assert_int_equal(memmap_count(m), 2);
	expect_range(m, 0, 16 * GiB, 16 * GiB + 0x1000, MEMMAP_USABLE);
	/* The reserved range swallows the usable one near the limit. */
	expect_range(m, 1, 64 * GiB, MEMMAP_PHYS_LIMIT, MEMMAP_RESERVED);
	assert_int_equal(memmap_usable_limit(m), 16 * GiB + 0x1000);

	struct memmap *m2 = new_map();
	add(m2, MEMMAP_PHYS_LIMIT - 0x2000, ~0ULL, MEMMAP_USABLE);
	assert_int_equal(memmap_normalize(m2), MEMMAP_OK);
	assert_int_equal(m2->clipped, 1);
	assert_int_equal(memmap_count(m2), 1);
	expect_range(m2, 0, MEMMAP_PHYS_LIMIT - 0x2000, MEMMAP_PHYS_LIMIT, MEMMAP_USABLE);
	assert_int_equal(memmap_usable_limit(m2), MEMMAP_PHYS_LIMIT);
	free(m2);
	free(m);
}

static void test_reserve(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add_pc_map(m);
	assert_int_equal(memmap_reserve(m, 0, MiB), MEMMAP_ERR_NOT_NORMALIZED);
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);

	/* The first 1 MiB: only the usable part changes; holes stay holes. */
	assert_int_equal(memmap_reserve(m, 0, MiB), MEMMAP_OK);
	/* The hypervisor image, unaligned: widened to whole frames. */
	assert_int_equal(memmap_reserve(m, 0x100800, 0x200000 - 0x810), MEMMAP_OK);
	/* A module in the middle of a usable range splits it. */
	assert_int_equal(memmap_reserve(m, 0x400000, 0x1000), MEMMAP_OK);
	/* Across a non-usable range and the I/O gap into RAM above 4 GiB. */
	assert_int_equal(memmap_reserve(m, 0x7f00000, 4 * GiB + 0x1000 - 0x7f00000), MEMMAP_OK);
	/* Empty: no change. */
	assert_int_equal(memmap_reserve(m, 0x500000, 0), MEMMAP_OK);

	assert_int_equal(memmap_count(m), 12);
	expect_range(m, 0, 0x0, 0x9f000, MEMMAP_HV_RESERVED);
	expect_range(m, 1, 0x9fc00, 0xa0000, MEMMAP_RESERVED);
	expect_range(m, 2, 0xf0000, 0x100000, MEMMAP_RESERVED);
	expect_range(m, 3, 0x100000, 0x300000, MEMMAP_HV_RESERVED);
	expect_range(m, 4, 0x300000, 0x400000, MEMMAP_USABLE);
	expect_range(m, 5, 0x400000, 0x401000, MEMMAP_HV_RESERVED);
	expect_range(m, 6, 0x401000, 0x7f00000, MEMMAP_USABLE);
	expect_range(m, 7, 0x7f00000, 0x7fe0000, MEMMAP_HV_RESERVED);
	expect_range(m, 8, 0x7fe0000, 0x8000000, MEMMAP_ACPI_RECLAIMABLE);
	expect_range(m, 9, 0xfffc0000, 0x100000000, MEMMAP_RESERVED);
	expect_range(m, 10, 4 * GiB, 4 * GiB + 0x1000, MEMMAP_HV_RESERVED);
	expect_range(m, 11, 4 * GiB + 0x1000, 6 * GiB, MEMMAP_USABLE);
	assert_int_equal(memmap_usable_bytes(m),
	                 0x100000 + (0x7f00000 - 0x401000) + 2 * GiB - 0x1000);
	assert_false(memmap_is_usable(m, 0x100000, 0x1000));
	assert_true(memmap_is_usable(m, 0x300000, 0x1000));

	/* Reserving an already carved range again changes nothing. */
	assert_int_equal(memmap_reserve(m, 0x100000, 0x1000), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 12);
	free(m);
}

static void test_reserve_errors(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	add(m, 0, 64 * MiB, MEMMAP_USABLE);
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_reserve(m, 0xfffffffffffff000ULL, 0x2000), MEMMAP_ERR_WRAPS);
	/* Reaching past the physical limit is clamped, not an error. */
	assert_int_equal(memmap_reserve(m, 32 * MiB, ~0ULL - 32 * MiB), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 2);
	expect_range(m, 0, 0, 32 * MiB, MEMMAP_USABLE);
	expect_range(m, 1, 32 * MiB, 64 * MiB, MEMMAP_HV_RESERVED);
	free(m);
}

static void test_capacity(void **state)
{
	(void)state;
	struct memmap *m = new_map();
	/* One usable GiB pierced by 127 reserved frames normalizes to 255 ranges: too many. */
	add(m, 0, GiB, MEMMAP_USABLE);
	for (unsigned i = 1; i < MEMMAP_MAX_RANGES; i++)
		add(m, i * 0x2000, 0x1000, MEMMAP_RESERVED);
	assert_int_equal(memmap_add(m, 0, 0x1000, MEMMAP_USABLE), MEMMAP_ERR_FULL);
	assert_int_equal(memmap_normalize(m), MEMMAP_ERR_FULL);
	/* Unchanged: still the raw entries. */
	assert_int_equal(memmap_count(m), MEMMAP_MAX_RANGES);
	assert_false(m->normalized);
	expect_range(m, 0, 0, GiB, MEMMAP_USABLE);
	free(m);

	/* Exactly full after normalizing; a reservation that splits a range does not fit. */
	m = new_map();
	for (unsigned i = 0; i < MEMMAP_MAX_RANGES / 2; i++) {
		add(m, i * 0x10000, 0x3000, MEMMAP_USABLE);
		add(m, i * 0x10000 + 0x8000, 0x1000, MEMMAP_RESERVED);
	}
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_count(m), MEMMAP_MAX_RANGES);
	assert_int_equal(memmap_reserve(m, 0x1000, 0x1000), MEMMAP_ERR_FULL);
	assert_int_equal(memmap_count(m), MEMMAP_MAX_RANGES);
	assert_true(m->normalized);
	expect_range(m, 0, 0, 0x3000, MEMMAP_USABLE);
	/* Carving a whole range does not add one. */
	assert_int_equal(memmap_reserve(m, 0x10000, 0x3000), MEMMAP_OK);
	assert_int_equal(memmap_count(m), MEMMAP_MAX_RANGES);
	expect_range(m, 2, 0x10000, 0x13000, MEMMAP_HV_RESERVED);
	free(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(memmap_type_from_multiboot(MEMMAP_MB_AVAILABLE), MEMMAP_USABLE);
	assert_int_equal(memmap_type_from_multiboot(MEMMAP_MB_RESERVED), MEMMAP_RESERVED);
	assert_int_equal(memmap_type_from_multiboot(MEMMAP_MB_ACPI_RECLAIMABLE),
	                 MEMMAP_ACPI_RECLAIMABLE);
	assert_int_equal(memmap_type_from_multiboot(MEMMAP_MB_NVS), MEMMAP_ACPI_NVS);
	assert_int_equal(memmap_type_from_multiboot(MEMMAP_MB_BADRAM), MEMMAP_BAD);
	assert_int_equal(memmap_type_from_multiboot(0), MEMMAP_RESERVED);
	assert_int_equal(memmap_type_from_multiboot(17), MEMMAP_RESERVED);
	assert_string_equal(memmap_type_name(MEMMAP_USABLE), "usable");
	assert_string_equal(memmap_type_name(MEMMAP_HV_RESERVED), "hypervisor");
	assert_string_equal(memmap_type_name((enum memmap_type)99), "unknown-type");
	assert_string_equal(memmap_strerror(MEMMAP_ERR_FULL),
	                    "memory map full (MEMMAP_MAX_RANGES)");
	assert_string_equal(memmap_strerror((enum memmap_err)99), "unknown memmap error");

	struct memmap *m = new_map();
	assert_int_equal(memmap_add(m, 0, 0x1000, (enum memmap_type)0), MEMMAP_ERR_BAD_TYPE);
	assert_int_equal(memmap_add(m, 0, 0x1000, (enum memmap_type)(MEMMAP_BAD + 1)),
	                 MEMMAP_ERR_BAD_TYPE);
	assert_int_equal(memmap_count(m), 0);
	assert_int_equal(memmap_usable_limit(m), 0);
	assert_int_equal(memmap_normalize(m), MEMMAP_OK);
	assert_int_equal(memmap_count(m), 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pc_map),
	    cmocka_unit_test(test_overlaps_non_usable_wins),
	    cmocka_unit_test(test_unaligned_and_empty),
	    cmocka_unit_test(test_wrapping_and_high),
	    cmocka_unit_test(test_reserve),
	    cmocka_unit_test(test_reserve_errors),
	    cmocka_unit_test(test_capacity),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
