/* hv/model/trapwin (the trap window's LRU, DESIGN.md "Traces") and
 * nested_set_present_4k over an arena: a window of W pages admits W pages
 * into free slots, then each new page evicts the least recently trapped
 * one; pinned pages never leave. The nested table keeps exactly the pages
 * made present, splitting a 2 MiB leaf into 512 4 KiB leaves of the same
 * run, in both formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/ept.h"
#include "hv/mem/gmap.h"
#include "hv/mem/nested.h"
#include "hv/mem/phys.h"
#include "lib/x86/paging.h"
#include "hv/model/trapwin.h"
#include "tests/unit/arena.h"

static void test_lru(void **state)
{
	(void)state;
	struct trapwin w;
	u64 ev = 0;
	assert_int_equal(trapwin_init(&w, 0), TRAPWIN_ERR_WAYS);
	assert_int_equal(trapwin_init(&w, TRAPWIN_MAX_WAYS + 1), TRAPWIN_ERR_WAYS);
	assert_int_equal(trapwin_init(&w, 4), TRAPWIN_OK);
	for (u64 g = 10; g < 14; g++)
		assert_int_equal(trapwin_admit(&w, g, &ev), TRAPWIN_FILLED);
	assert_int_equal(trapwin_admit(&w, 12, &ev), TRAPWIN_PRESENT);
	/* Traps 10, 11, 12, 13: 10 is the least recent. */
	assert_int_equal(trapwin_admit(&w, 20, &ev), TRAPWIN_EVICTED);
	assert_int_equal(ev, 10);
	assert_int_equal(trapwin_admit(&w, 21, &ev), TRAPWIN_EVICTED);
	assert_int_equal(ev, 11);
	assert_false(trapwin_contains(&w, 10));
	assert_true(trapwin_contains(&w, 20));
	/* Pinning 12 frees its slot; the next page fills it. */
	bool left;
	assert_int_equal(trapwin_pin(&w, 12, &left), TRAPWIN_OK);
	assert_true(left);
	assert_int_equal(trapwin_admit(&w, 12, &ev), TRAPWIN_PRESENT);
	assert_int_equal(trapwin_admit(&w, 30, &ev), TRAPWIN_FILLED);
	/* Now 13, 20, 21, 30: 13 goes next. */
	assert_int_equal(trapwin_admit(&w, 31, &ev), TRAPWIN_EVICTED);
	assert_int_equal(ev, 13);
	/* A cyclic sweep of W + 1 pages misses every time (LRU's worst case). */
	assert_int_equal(trapwin_init(&w, 3), TRAPWIN_OK);
	unsigned misses = 0;
	for (int i = 0; i < 40; i++)
		misses += trapwin_admit(&w, (u64)(i % 4), &ev) != TRAPWIN_PRESENT;
	assert_int_equal(misses, 40);
	/* A sweep of W pages misses only the first W times. */
	assert_int_equal(trapwin_init(&w, 3), TRAPWIN_OK);
	misses = 0;
	for (int i = 0; i < 40; i++)
		misses += trapwin_admit(&w, (u64)(i % 3), &ev) != TRAPWIN_PRESENT;
	assert_int_equal(misses, 3);
	/* A touch makes a page the most recent: 1 2 3 filled, 1 touched, 4 evicts 2. */
	assert_int_equal(trapwin_init(&w, 3), TRAPWIN_OK);
	for (u64 g = 1; g <= 3; g++)
		assert_int_equal(trapwin_admit(&w, g, &ev), TRAPWIN_FILLED);
	assert_true(trapwin_touch(&w, 1));
	assert_false(trapwin_touch(&w, 9));
	assert_int_equal(trapwin_admit(&w, 4, &ev), TRAPWIN_EVICTED);
	assert_int_equal(ev, 2);
	assert_string_equal(trapwin_strerror(TRAPWIN_ERR_WAYS),
	                    "trace window must hold 1 to 64 pages");
}

static u64 alloc_frame(void *ctx)
{
	(void)ctx;
	return arena_alloc_frame();
}
static void free_frame(void *ctx, u64 pa)
{
	(void)ctx;
	(void)pa;
}

#define RUN_GPA (4 * MiB)
#define RUN_HPA (0x80000000ULL)

static void test_nested_window(void **state)
{
	(void)state;
	static const enum nested_format fmts[] = {NESTED_FORMAT_EPT, NESTED_FORMAT_NPT};
	for (unsigned k = 0; k < ARRAY_SIZE(fmts); k++) {
		arena_create(4 * MiB);
		struct gmap g;
		gmap_init(&g);
		assert_int_equal(gmap_add(&g, RUN_GPA, 2 * MiB, RUN_HPA, GMAP_RAM, GMAP_PERM_RW),
		                 GMAP_OK);
		struct nested_alloc a = {alloc_frame, free_frame, NULL};
		struct nested_config cfg = {fmts[k], PAGE_SIZE_2M};
		struct nested_table nt;
		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
		assert_int_equal(nt.leaves[NESTED_LEAF_2M], 1);
		/* Everything out but a window of 4, as trace=ept starts. */
		u64 tables = 0;
		for (u64 p = 0; p < 512; p++)
			assert_int_equal(nested_set_present_4k(fmts[k], nt.root,
			                                       RUN_GPA + p * PAGE_SIZE_4K, false,
			                                       &a, &tables),
			                 NESTED_OK);
		assert_int_equal(tables, 1); /* one split: 2 MiB -> a PT */
		struct trapwin w;
		assert_int_equal(trapwin_init(&w, 4), TRAPWIN_OK);
		static const u64 trapped[] = {3, 7, 3, 9, 100, 7, 200, 3};
		for (unsigned i = 0; i < ARRAY_SIZE(trapped); i++) {
			u64 ev;
			enum trapwin_admit r = trapwin_admit(&w, trapped[i], &ev);
			if (r == TRAPWIN_EVICTED)
				assert_int_equal(nested_set_present_4k(fmts[k], nt.root,
				                                       RUN_GPA + ev * PAGE_SIZE_4K,
				                                       false, &a, &tables),
				                 NESTED_OK);
			if (r != TRAPWIN_PRESENT)
				assert_int_equal(
				    nested_set_present_4k(fmts[k], nt.root,
				                          RUN_GPA + trapped[i] * PAGE_SIZE_4K, true,
				                          &a, &tables),
				    NESTED_OK);
		}
		/* Traps 3 7 9 100 fill; 200 evicts 3; 3 evicts 7. Present: 9 100 200 3. */
		for (u64 p = 0; p < 512; p++) {
			u64 hpa = 0, leaf = 0;
			enum nested_err e = nested_translate(
			    fmts[k], nt.root, RUN_GPA + p * PAGE_SIZE_4K + 8, &hpa, &leaf, NULL);
			bool want = p == 9 || p == 100 || p == 200 || p == 3;
			assert_int_equal(e, want ? NESTED_OK : NESTED_ERR_NOT_PRESENT);
			if (want) {
				assert_int_equal(hpa, RUN_HPA + p * PAGE_SIZE_4K + 8);
				assert_int_equal(leaf, PAGE_SIZE_4K);
			}
		}
		assert_int_equal(tables, 1);
		/* Outside any leaf. */
		assert_int_equal(nested_set_present_4k(fmts[k], nt.root, 64 * MiB, true, &a, NULL),
		                 NESTED_ERR_NOT_PRESENT);
		arena_destroy();
	}
}

/* The trap table: a 4 KiB-only build of two runs (one of them escaped in a page) hidden
 * whole by nested_hide_all_4k, every page then brought back exactly by
 * nested_set_present_4k; a table with a larger leaf is refused. */
static void test_hide_all(void **state)
{
	(void)state;
	static const enum nested_format fmts[] = {NESTED_FORMAT_EPT, NESTED_FORMAT_NPT};
	for (unsigned k = 0; k < ARRAY_SIZE(fmts); k++) {
		arena_create(4 * MiB);
		struct gmap g;
		gmap_init(&g);
		assert_int_equal(gmap_add(&g, RUN_GPA, 2 * MiB, RUN_HPA, GMAP_RAM, GMAP_PERM_RW),
		                 GMAP_OK);
		assert_int_equal(
		    gmap_add(&g, 1 * GiB, 64 * KiB, RUN_HPA + 4 * MiB, GMAP_RAM, GMAP_PERM_RWX),
		    GMAP_OK);
		struct nested_alloc a = {alloc_frame, free_frame, NULL};
		struct nested_config cfg = {fmts[k], PAGE_SIZE_4K};
		struct nested_table nt;
		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
		u64 hidden = 0;
		assert_int_equal(nested_hide_all_4k(fmts[k], nt.root, &hidden), NESTED_OK);
		assert_int_equal(hidden, 512 + 16);
		for (u64 p = 0; p < 512; p++)
			assert_int_equal(nested_translate(fmts[k], nt.root,
			                                  RUN_GPA + p * PAGE_SIZE_4K, NULL, NULL,
			                                  NULL),
			                 NESTED_ERR_NOT_PRESENT);
		/* Hiding again finds nothing present. */
		assert_int_equal(nested_hide_all_4k(fmts[k], nt.root, &hidden), NESTED_OK);
		assert_int_equal(hidden, 0);
		/* Each page comes back with its own frame and rights. */
		for (u64 p = 0; p < 16; p++) {
			const u64 gpa = 1 * GiB + p * PAGE_SIZE_4K;
			u64 hpa = 0, leaf = 0, perms = 0;
			assert_int_equal(
			    nested_set_present_4k(fmts[k], nt.root, gpa, true, &a, NULL),
			    NESTED_OK);
			assert_int_equal(
			    nested_translate(fmts[k], nt.root, gpa + 16, &hpa, &leaf, &perms),
			    NESTED_OK);
			assert_int_equal(hpa, RUN_HPA + 4 * MiB + p * PAGE_SIZE_4K + 16);
			assert_int_equal(leaf, PAGE_SIZE_4K);
			assert_true(perms & EPT_W);
		}
		assert_int_equal(nested_translate(fmts[k], nt.root, RUN_GPA, NULL, NULL, NULL),
		                 NESTED_ERR_NOT_PRESENT);
		/* The accessed flag: clear in a fresh leaf; set as the CPU would, read
		 * once and cleared; absent for a hidden page. */
		const u64 flag = fmts[k] == NESTED_FORMAT_EPT ? EPT_A : PTE_A;
		bool acc = true;
		assert_int_equal(nested_test_clear_accessed_4k(fmts[k], nt.root, 1 * GiB, &acc),
		                 NESTED_OK);
		assert_false(acc);
		/* The leaf's own address: the levels walked by hand as the CPU would. */
		u64 table = nt.root;
		for (int l = 4; l > 1; l--)
			table = *(u64 *)phys_to_virt(table +
			                             ((1 * GiB >> (12 + 9 * (l - 1))) & 511) * 8) &
			        EPT_ADDR_MASK;
		const u64 pa = table + ((1 * GiB >> 12) & 511) * 8;
		*(u64 *)phys_to_virt(pa) |= flag;
		assert_int_equal(nested_test_clear_accessed_4k(fmts[k], nt.root, 1 * GiB, &acc),
		                 NESTED_OK);
		assert_true(acc);
		assert_false(*(u64 *)phys_to_virt(pa) & flag);
		assert_int_equal(nested_test_clear_accessed_4k(fmts[k], nt.root, 1 * GiB, &acc),
		                 NESTED_OK);
		assert_false(acc);
		assert_int_equal(nested_test_clear_accessed_4k(fmts[k], nt.root, RUN_GPA, &acc),
		                 NESTED_ERR_NOT_PRESENT);
		/* A 2 MiB leaf is not a trap table's. */
		struct nested_config big = {fmts[k], PAGE_SIZE_2M};
		struct nested_table nt2;
		assert_int_equal(nested_build(&g, &big, &a, &nt2), NESTED_OK);
		assert_int_equal(nested_hide_all_4k(fmts[k], nt2.root, &hidden),
		                 NESTED_ERR_BAD_LEAF_SIZE);
		assert_int_equal(nested_hide_all_4k((enum nested_format)7, nt2.root, &hidden),
		                 NESTED_ERR_BAD_FORMAT);
		arena_destroy();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lru),
	    cmocka_unit_test(test_nested_window),
	    cmocka_unit_test(test_hide_all),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
