/* hv/model/tlb: set-associative LRU TLB model, its presets and its geometry checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hv/model/tlb.h"

#define B4K TLB_SIZE_BIT(TLB_PAGE_4K)
#define B2M TLB_SIZE_BIT(TLB_PAGE_2M)
#define B1G TLB_SIZE_BIT(TLB_PAGE_1G)

/* struct tlb is large for a stack frame under ASan: one per test, on the heap. */
static int setup(void **state)
{
	*state = calloc(1, sizeof(struct tlb));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static u64 va_4k(u64 vpn)
{
	return vpn * PAGE_SIZE_4K;
}

static enum tlb_level level_of(struct tlb *t, u64 va)
{
	return tlb_lookup(t, va).level;
}

static void test_presets(void **state)
{
	struct tlb *t = *state;
	const struct tlb_config *sky = tlb_preset_find("skylake");
	const struct tlb_config *snb = tlb_preset_find("sandybridge");

	assert_non_null(sky);
	assert_non_null(snb);
	assert_null(tlb_preset_find("haswell"));

	assert_int_equal(tlb_init(t, sky), TLB_OK);
	/* L1: 64 x 4-way 4K (16 sets), 32 x 4-way 2M (8 sets), 4 fully assoc 1G. */
	assert_int_equal(t->array[0][0].sets, 16);
	assert_int_equal(t->array[0][0].ways, 4);
	assert_int_equal(t->array[0][1].sets, 8);
	assert_int_equal(t->array[0][2].sets, 1);
	assert_int_equal(t->array[0][2].ways, 4);
	/* STLB: 1536 x 12-way shared 4K/2M (128 sets), 16 x 4-way 1G. */
	assert_int_equal(t->array[1][0].sets, 128);
	assert_int_equal(t->array[1][0].ways, 12);
	assert_int_equal(t->array[1][0].sizes, B4K | B2M);
	assert_int_equal(t->array[1][1].sets, 4);
	assert_int_equal(t->array[1][1].sizes, B1G);

	assert_int_equal(tlb_init(t, snb), TLB_OK);
	assert_int_equal(t->array[0][2].sets, 1);
	assert_int_equal(t->array[1][0].sets, 128); /* 512 x 4-way */
	assert_int_equal(t->array[1][0].ways, 4);
	assert_int_equal(t->array[1][0].sizes, B4K);
	assert_int_equal(t->array[1][1].ways, 0);
}

static void test_hit_after_insert(void **state)
{
	struct tlb *t = *state;
	assert_int_equal(tlb_init(t, tlb_preset_find("skylake")), TLB_OK);

	assert_int_equal(level_of(t, 0x70001234), TLB_MISS);
	tlb_insert(t, 0x70001234, 0x5000, TLB_PAGE_4K);
	struct tlb_result r = tlb_lookup(t, 0x70001ff8);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.pa, 0x5ff8);
	assert_int_equal(r.size, TLB_PAGE_4K);
	assert_int_equal(level_of(t, 0x70002000), TLB_MISS);
	assert_int_equal(level_of(t, 0x70000fff), TLB_MISS);

	/* Unaligned pa_base bits are dropped; the 2M page covers its whole span. */
	tlb_insert(t, 0x40000000 + 0x123456, 0x80000000 + 0x1ff000, TLB_PAGE_2M);
	r = tlb_lookup(t, 0x40000000 + 0x1fffff);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.size, TLB_PAGE_2M);
	assert_int_equal(r.pa, 0x80000000 + 0x1fffff);
	assert_int_equal(level_of(t, 0x40200000), TLB_MISS);

	tlb_insert(t, 5 * GiB, 7 * GiB, TLB_PAGE_1G);
	r = tlb_lookup(t, 5 * GiB + 0x3fffabcd);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.size, TLB_PAGE_1G);
	assert_int_equal(r.pa, 7 * GiB + 0x3fffabcd);
}

/* L1 only: 8 entries 2-way (4 sets); vpns 0, 4, 8, ... share set 0. */
static const struct tlb_config small_2way = {
    .name = "small",
    .level = {{{.entries = 8, .ways = 2, .sizes = B4K}}},
};

static void test_lru_eviction_order(void **state)
{
	struct tlb *t = *state;
	assert_int_equal(tlb_init(t, &small_2way), TLB_OK);

	tlb_insert(t, va_4k(0), 0x100000, TLB_PAGE_4K);
	tlb_insert(t, va_4k(4), 0x200000, TLB_PAGE_4K);
	assert_int_equal(level_of(t, va_4k(0)), TLB_HIT_L1); /* 4 is now LRU */
	tlb_insert(t, va_4k(8), 0x300000, TLB_PAGE_4K);
	assert_int_equal(level_of(t, va_4k(4)), TLB_MISS);
	assert_int_equal(level_of(t, va_4k(0)), TLB_HIT_L1);
	assert_int_equal(level_of(t, va_4k(8)), TLB_HIT_L1); /* 0 is now LRU */
	tlb_insert(t, va_4k(12), 0x400000, TLB_PAGE_4K);
	assert_int_equal(level_of(t, va_4k(0)), TLB_MISS);
	assert_int_equal(level_of(t, va_4k(8)), TLB_HIT_L1);
	assert_int_equal(level_of(t, va_4k(12)), TLB_HIT_L1);
	/* Other sets were never disturbed. */
	tlb_insert(t, va_4k(1), 0x500000, TLB_PAGE_4K);
	assert_int_equal(level_of(t, va_4k(1)), TLB_HIT_L1);
	assert_int_equal(level_of(t, va_4k(12)), TLB_HIT_L1);
}

static void test_reinsert_does_not_duplicate(void **state)
{
	struct tlb *t = *state;
	assert_int_equal(tlb_init(t, &small_2way), TLB_OK);

	tlb_insert(t, va_4k(0), 0x100000, TLB_PAGE_4K);
	tlb_insert(t, va_4k(0), 0x900000, TLB_PAGE_4K); /* remap: refresh in place */
	tlb_insert(t, va_4k(4), 0x200000, TLB_PAGE_4K);
	assert_int_equal(tlb_lookup(t, va_4k(0)).pa, 0x900000);
	assert_int_equal(level_of(t, va_4k(4)), TLB_HIT_L1);
}

/* Walk a page list, inserting on a miss; returns the misses. */
static int run_pattern(struct tlb *t, const u64 *vpn, int n, int rounds)
{
	int misses = 0;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			if (level_of(t, va_4k(vpn[i])) == TLB_MISS) {
				misses++;
				tlb_insert(t, va_4k(vpn[i]), va_4k(vpn[i]), TLB_PAGE_4K);
			}
		}
	}
	return misses;
}

static void test_associativity_conflicts(void **state)
{
	struct tlb *t = *state;
	const u64 same_set[] = {0, 4, 8};
	const u64 spread[] = {0, 1, 2, 3, 5, 6};

	/* Three pages cycling through a 2-way set under LRU: every access misses,
	 * although the TLB has room for eight. */
	assert_int_equal(tlb_init(t, &small_2way), TLB_OK);
	assert_int_equal(run_pattern(t, same_set, 3, 10), 30);
	/* Six pages spread over the sets: only the cold misses. */
	tlb_flush(t);
	assert_int_equal(run_pattern(t, spread, 6, 10), 6);
}

static void test_l2_refills_l1(void **state)
{
	struct tlb *t = *state;
	/* L1 4 entries 2-way (2 sets); L2 16 entries 4-way (4 sets). */
	const struct tlb_config two_level = {
	    .name = "two-level",
	    .level = {{{.entries = 4, .ways = 2, .sizes = B4K}},
	              {{.entries = 16, .ways = 4, .sizes = B4K}}},
	};
	assert_int_equal(tlb_init(t, &two_level), TLB_OK);

	/* vpns 0, 2, 4 share L1 set 0; in L2 they are in sets 0, 2, 0. */
	tlb_insert(t, va_4k(0), 0xa000, TLB_PAGE_4K);
	tlb_insert(t, va_4k(2), 0xb000, TLB_PAGE_4K);
	tlb_insert(t, va_4k(4), 0xc000, TLB_PAGE_4K);
	struct tlb_result r = tlb_lookup(t, va_4k(0) + 8);
	assert_int_equal(r.level, TLB_HIT_L2);
	assert_int_equal(r.pa, 0xa008);
	/* The L2 hit refilled L1, evicting its LRU (vpn 2). */
	assert_int_equal(level_of(t, va_4k(0)), TLB_HIT_L1);
	assert_int_equal(level_of(t, va_4k(2)), TLB_HIT_L2);
	assert_int_equal(level_of(t, va_4k(5)), TLB_MISS);
}

/* Five 2M pages in one 4-way L1 set (8 sets: vpn stride 8). */
static void fill_2m_set(struct tlb *t)
{
	for (u64 i = 0; i < 5; i++)
		tlb_insert(t, i * 8 * PAGE_SIZE_2M, i * PAGE_SIZE_2M, TLB_PAGE_2M);
}

static void test_stlb_page_sizes(void **state)
{
	struct tlb *t = *state;

	/* Skylake's STLB holds 2M pages: the one evicted from L1 hits in L2. */
	assert_int_equal(tlb_init(t, tlb_preset_find("skylake")), TLB_OK);
	fill_2m_set(t);
	struct tlb_result r = tlb_lookup(t, 0x1234);
	assert_int_equal(r.level, TLB_HIT_L2);
	assert_int_equal(r.size, TLB_PAGE_2M);
	assert_int_equal(r.pa, 0x1234);
	/* ... and a 4K page beside it in the same shared array. */
	tlb_insert(t, 0x7000, 0x9000, TLB_PAGE_4K);
	assert_int_equal(tlb_lookup(t, 0x7010).pa, 0x9010);

	/* Sandy Bridge's STLB is 4K only: the evicted 2M page is gone. */
	assert_int_equal(tlb_init(t, tlb_preset_find("sandybridge")), TLB_OK);
	fill_2m_set(t);
	assert_int_equal(level_of(t, 0x1234), TLB_MISS);
	assert_int_equal(level_of(t, 4 * 8 * PAGE_SIZE_2M), TLB_HIT_L1);
}

static void test_flush(void **state)
{
	struct tlb *t = *state;
	assert_int_equal(tlb_init(t, tlb_preset_find("skylake")), TLB_OK);

	tlb_insert(t, 0x1000, 0x2000, TLB_PAGE_4K);
	tlb_insert(t, 0x40000000, 0x80000000, TLB_PAGE_1G);
	assert_int_equal(level_of(t, 0x1000), TLB_HIT_L1);
	tlb_flush(t);
	assert_int_equal(level_of(t, 0x1000), TLB_MISS);
	assert_int_equal(level_of(t, 0x40000000), TLB_MISS);
}

static void test_config_errors(void **state)
{
	struct tlb *t = *state;
	struct tlb_config c = {.name = "bad"};

	c.level[0][0] = (struct tlb_array_config){.entries = 8, .ways = 0, .sizes = B4K};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_GEOMETRY);
	c.level[0][0] = (struct tlb_array_config){.entries = 12, .ways = 4, .sizes = B4K};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_GEOMETRY); /* 3 sets */
	c.level[0][0] = (struct tlb_array_config){.entries = 10, .ways = 4, .sizes = B4K};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_GEOMETRY);
	c.level[0][0] = (struct tlb_array_config){.entries = 8, .ways = 2, .sizes = 0};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_SIZES);
	c.level[0][0] = (struct tlb_array_config){.entries = 8, .ways = 2, .sizes = 0x8};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_SIZES);
	c.level[0][0] = (struct tlb_array_config){.entries = 8, .ways = 2, .sizes = B4K | B2M};
	c.level[0][1] = (struct tlb_array_config){.entries = 8, .ways = 2, .sizes = B2M};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_SIZES);
	c.level[0][1] = (struct tlb_array_config){.entries = 4096, .ways = 4, .sizes = B1G};
	assert_int_equal(tlb_init(t, &c), TLB_ERR_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_presets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hit_after_insert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lru_eviction_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reinsert_does_not_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_associativity_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_l2_refills_l1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stlb_page_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	};
	return cmocka_run_group_tests_name("tlb", tests, NULL, NULL);
}
