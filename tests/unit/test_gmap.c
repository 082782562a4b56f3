/* hv/mem/gmap: region validation, lookup with escapes, and the hypercall pointer check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "hv/mem/gmap.h"

#define PG GMAP_PAGE_SIZE

/* Two regions contiguous in gPA (the second read-only), a hole, then a third region:
 *   [0, 1 MiB) -> 0x40000000, RW      [1 MiB, 2 MiB) -> 0x50000000, R
 *   hole [2 MiB, 4 MiB)               [4 MiB, 5 MiB) -> 0x60000000, RWX */
static void fill(struct gmap *g)
{
	gmap_init(g);
	assert_int_equal(gmap_add(g, 4 * MiB, 1 * MiB, 0x60000000, GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
	assert_int_equal(gmap_add(g, 0, 1 * MiB, 0x40000000, GMAP_RAM, GMAP_PERM_RW), GMAP_OK);
	assert_int_equal(gmap_add(g, 1 * MiB, 1 * MiB, 0x50000000, GMAP_RAM, GMAP_PERM_R), GMAP_OK);
}

static void test_add_sorted(void **state)
{
	(void)state;
	struct gmap g;
	const struct gmap_region *r;
	const u64 want_gpa[] = {0, 1 * MiB, 4 * MiB};
	unsigned i = 0;

	fill(&g);
	assert_int_equal(gmap_count(&g), 3);
	gmap_for_each_region (&g, r) {
		assert_int_equal(r->gpa, want_gpa[i]);
		assert_int_equal(r->size, 1 * MiB);
		i++;
	}
	assert_int_equal(i, 3);
	assert_int_equal(gmap_get(&g, 2)->hpa, 0x60000000);
	assert_int_equal(gmap_get(&g, 2)->perms, GMAP_PERM_RWX);
	assert_null(gmap_get(&g, 3));
	assert_int_equal(gmap_ram_bytes(&g), 3 * MiB);
	assert_int_equal(gmap_ram_top(&g), 5 * MiB);
}

static void test_empty_map(void **state)
{
	(void)state;
	struct gmap g;

	gmap_init(&g);
	assert_int_equal(gmap_ram_bytes(&g), 0);
	assert_int_equal(gmap_ram_top(&g), 0);
	assert_null(gmap_lookup(&g, 0, NULL));
	assert_int_equal(gmap_check_range(&g, 0, 1, PG, false), GMAP_ERR_OUTSIDE);
	assert_int_equal(gmap_escape_page(&g, 0, 0x1000), GMAP_ERR_NOT_RAM);
}

/* Each rejected add names its reason and leaves the map as it was. */
static void expect_add(struct gmap *g, u64 gpa, u64 size, u64 hpa, enum gmap_type type,
                       unsigned perms, enum gmap_err want)
{
	const unsigned before = gmap_count(g);
	struct gmap copy = *g;

	assert_int_equal(gmap_add(g, gpa, size, hpa, type, perms), want);
	assert_int_equal(gmap_count(g), before);
	assert_memory_equal(g, &copy, sizeof(copy));
}

static void test_add_errors(void **state)
{
	(void)state;
	struct gmap g;
	const unsigned rw = GMAP_PERM_RW;

	fill(&g);
	expect_add(&g, 8 * MiB + 1, PG, 0, GMAP_RAM, rw, GMAP_ERR_ALIGN);
	expect_add(&g, 8 * MiB, PG + 8, 0, GMAP_RAM, rw, GMAP_ERR_ALIGN);
	expect_add(&g, 8 * MiB, PG, 0x800, GMAP_RAM, rw, GMAP_ERR_ALIGN);
	expect_add(&g, 8 * MiB, 0, 0, GMAP_RAM, rw, GMAP_ERR_ZERO_SIZE);
	expect_add(&g, 0xfffffffffffff000ULL, 2 * PG, 0, GMAP_RAM, rw, GMAP_ERR_GPA_WRAPS);
	expect_add(&g, 8 * MiB, 2 * PG, 0xfffffffffffff000ULL, GMAP_RAM, rw, GMAP_ERR_HPA_WRAPS);
	/* Ending exactly at the limit is fine; one page more is not. */
	expect_add(&g, GMAP_GPA_LIMIT - PG, 2 * PG, 0, GMAP_RAM, rw, GMAP_ERR_GPA_LIMIT);
	expect_add(&g, GMAP_GPA_LIMIT, PG, 0, GMAP_RAM, rw, GMAP_ERR_GPA_LIMIT);
	expect_add(&g, 8 * MiB, 2 * PG, GMAP_HPA_LIMIT - PG, GMAP_RAM, rw, GMAP_ERR_HPA_LIMIT);
	expect_add(&g, 8 * MiB, PG, 0, (enum gmap_type)0, rw, GMAP_ERR_BAD_TYPE);
	expect_add(&g, 8 * MiB, PG, 0, (enum gmap_type)2, rw, GMAP_ERR_BAD_TYPE);
	expect_add(&g, 8 * MiB, PG, 0, GMAP_RAM, 0, GMAP_ERR_BAD_PERMS);
	expect_add(&g, 8 * MiB, PG, 0, GMAP_RAM, GMAP_PERM_W, GMAP_ERR_BAD_PERMS);
	expect_add(&g, 8 * MiB, PG, 0, GMAP_RAM, GMAP_PERM_X, GMAP_ERR_BAD_PERMS);
	expect_add(&g, 8 * MiB, PG, 0, GMAP_RAM, GMAP_PERM_RWX | 8, GMAP_ERR_BAD_PERMS);

	/* Overlap in every shape against [4 MiB, 5 MiB); touching is not overlap. */
	expect_add(&g, 4 * MiB, 1 * MiB, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP);      /* identical */
	expect_add(&g, 4 * MiB + PG, PG, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP);      /* inside */
	expect_add(&g, 3 * MiB, 4 * MiB, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP);      /* covering */
	expect_add(&g, 4 * MiB - PG, 2 * PG, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP);  /* start */
	expect_add(&g, 5 * MiB - PG, 2 * PG, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP);  /* end */
	expect_add(&g, 2 * MiB - PG, 3 * MiB, 0, GMAP_RAM, rw, GMAP_ERR_OVERLAP); /* two */
	assert_int_equal(gmap_add(&g, 2 * MiB, 2 * MiB, 0x70000000, GMAP_RAM, rw), GMAP_OK);
	assert_int_equal(gmap_count(&g), 4);
	assert_int_equal(gmap_get(&g, 2)->gpa, 2 * MiB);

	/* The region at the very top of the 48-bit gPA space is accepted. */
	assert_int_equal(gmap_add(&g, GMAP_GPA_LIMIT - PG, PG, GMAP_HPA_LIMIT - PG, GMAP_RAM, rw),
	                 GMAP_OK);
	assert_int_equal(gmap_ram_top(&g), GMAP_GPA_LIMIT);
}

static void test_add_full(void **state)
{
	(void)state;
	struct gmap g;

	gmap_init(&g);
	for (unsigned i = 0; i < GMAP_MAX_REGIONS; i++)
		assert_int_equal(gmap_add(&g, 2 * i * PG, PG, i * PG, GMAP_RAM, GMAP_PERM_RW),
		                 GMAP_OK);
	expect_add(&g, 2 * GMAP_MAX_REGIONS * PG, PG, 0, GMAP_RAM, GMAP_PERM_RW,
	           GMAP_ERR_REGIONS_FULL);
	/* An overlap is still reported as such when full. */
	expect_add(&g, 0, PG, 0, GMAP_RAM, GMAP_PERM_RW, GMAP_ERR_OVERLAP);
	assert_int_equal(gmap_ram_bytes(&g), GMAP_MAX_REGIONS * PG);
}

static void test_lookup(void **state)
{
	(void)state;
	struct gmap g;
	u64 hpa = 0;

	fill(&g);
	assert_ptr_equal(gmap_lookup(&g, 0, &hpa), gmap_get(&g, 0));
	assert_int_equal(hpa, 0x40000000);
	assert_ptr_equal(gmap_lookup(&g, 1 * MiB - 1, &hpa), gmap_get(&g, 0));
	assert_int_equal(hpa, 0x40000000 + 1 * MiB - 1);
	assert_ptr_equal(gmap_lookup(&g, 1 * MiB, &hpa), gmap_get(&g, 1));
	assert_int_equal(hpa, 0x50000000);
	assert_ptr_equal(gmap_lookup(&g, 4 * MiB + 0x1234, &hpa), gmap_get(&g, 2));
	assert_int_equal(hpa, 0x60001234);
	assert_ptr_equal(gmap_lookup(&g, 4 * MiB, NULL), gmap_get(&g, 2));

	hpa = 0xabc;
	assert_null(gmap_lookup(&g, 2 * MiB, &hpa));
	assert_null(gmap_lookup(&g, 4 * MiB - 1, &hpa));
	assert_null(gmap_lookup(&g, 5 * MiB, &hpa));
	assert_null(gmap_lookup(&g, ~0ULL, &hpa));
	assert_int_equal(hpa, 0xabc); /* untouched on a miss */
}

static void test_unescape(void **state)
{
	(void)state;
	struct gmap g;
	u64 hpa;

	fill(&g);
	assert_int_equal(gmap_escape_page(&g, 0x5000, 0x90001000), GMAP_OK);
	assert_int_equal(gmap_escape_page(&g, 1 * MiB, 0x90002000), GMAP_OK);
	assert_true(gmap_unescape_page(&g, 0x5000 + 0x123)); /* any address in the page */
	assert_int_equal(gmap_escape_count(&g), 1);
	assert_false(gmap_is_escaped(&g, 0x5000, NULL));
	assert_non_null(gmap_lookup(&g, 0x5000, &hpa));
	assert_int_not_equal(hpa, 0x90001000); /* back on its region's frame */
	assert_true(gmap_is_escaped(&g, 1 * MiB, &hpa));
	assert_int_equal(hpa, 0x90002000);
	assert_false(gmap_unescape_page(&g, 0x5000)); /* not escaped any more */
	assert_false(gmap_unescape_page(&g, 2 * MiB));
	/* The page can escape again, to the same frame. */
	assert_int_equal(gmap_escape_page(&g, 0x5000, 0x90001000), GMAP_OK);
}

static void test_escape(void **state)
{
	(void)state;
	struct gmap g;
	u64 hpa, alt;

	fill(&g);
	assert_int_equal(gmap_escape_page(&g, 4 * MiB + 3 * PG, 0x90000000), GMAP_OK);
	assert_int_equal(gmap_escape_page(&g, 0x5000, 0x90001000), GMAP_OK);
	assert_int_equal(gmap_escape_page(&g, 1 * MiB, 0x90002000), GMAP_OK);
	assert_int_equal(gmap_escape_count(&g), 3);
	/* Kept in gPA order whatever the order of the calls. */
	assert_int_equal(gmap_escape_gpa(gmap_escape_get(&g, 0)), 0x5000);
	assert_int_equal(gmap_escape_get(&g, 1)->gfn, (1 * MiB) >> GMAP_PAGE_SHIFT);
	assert_int_equal(gmap_escape_get(&g, 2)->alt_hpa, 0x90000000);
	assert_null(gmap_escape_get(&g, 3));
	assert_int_equal(gmap_escape_first_from(&g, 0), 0);
	assert_int_equal(gmap_escape_first_from(&g, 0x5000), 0);
	assert_int_equal(gmap_escape_first_from(&g, 0x5001), 1);
	assert_int_equal(gmap_escape_first_from(&g, 4 * MiB + 4 * PG), 3);

	/* The escaped page goes to its alternate frame, byte offset kept; neighbours do not. */
	assert_ptr_equal(gmap_lookup(&g, 4 * MiB + 3 * PG + 0x10, &hpa), gmap_get(&g, 2));
	assert_int_equal(hpa, 0x90000010);
	assert_non_null(gmap_lookup(&g, 4 * MiB + 2 * PG + 0xfff, &hpa));
	assert_int_equal(hpa, 0x60002fff);
	assert_non_null(gmap_lookup(&g, 4 * MiB + 4 * PG, &hpa));
	assert_int_equal(hpa, 0x60004000);
	assert_true(gmap_is_escaped(&g, 0x5fff, &alt));
	assert_int_equal(alt, 0x90001000);
	assert_false(gmap_is_escaped(&g, 0x6000, &alt));

	struct gmap copy = g;
	assert_int_equal(gmap_escape_page(&g, 0x5800, 0x91000000), GMAP_ERR_ALIGN);
	assert_int_equal(gmap_escape_page(&g, 0x7000, 0x91000800), GMAP_ERR_ALIGN);
	assert_int_equal(gmap_escape_page(&g, 0x7000, GMAP_HPA_LIMIT), GMAP_ERR_HPA_LIMIT);
	assert_int_equal(gmap_escape_page(&g, 3 * MiB, 0x91000000), GMAP_ERR_NOT_RAM);
	assert_int_equal(gmap_escape_page(&g, 5 * MiB, 0x91000000), GMAP_ERR_NOT_RAM);
	assert_int_equal(gmap_escape_page(&g, 0x5000, 0x91000000), GMAP_ERR_ALREADY_ESCAPED);
	/* Alternate frames that already back guest memory or another escape. */
	assert_int_equal(gmap_escape_page(&g, 0x7000, 0x40000000), GMAP_ERR_ALT_IN_USE);
	assert_int_equal(gmap_escape_page(&g, 0x7000, 0x600ff000), GMAP_ERR_ALT_IN_USE);
	assert_int_equal(gmap_escape_page(&g, 0x7000, 0x90001000), GMAP_ERR_ALT_IN_USE);
	assert_memory_equal(&g, &copy, sizeof(copy));
	assert_int_equal(gmap_escape_page(&g, 0x7000, 0x60100000), GMAP_OK); /* just past */
}

static void test_escape_full(void **state)
{
	(void)state;
	struct gmap g;

	fill(&g);
	for (unsigned i = 0; i < GMAP_MAX_ESCAPES; i++)
		assert_int_equal(gmap_escape_page(&g, i * PG, 0x80000000 + i * PG), GMAP_OK);
	assert_int_equal(gmap_escape_page(&g, GMAP_MAX_ESCAPES * PG, 0x81000000),
	                 GMAP_ERR_ESCAPES_FULL);
	assert_int_equal(gmap_escape_count(&g), GMAP_MAX_ESCAPES);
	const struct gmap_escape *e;
	u64 prev = 0;
	unsigned n = 0;
	gmap_for_each_escape (&g, e) {
		assert_true(n == 0 || e->gfn > prev);
		prev = e->gfn;
		n++;
	}
	assert_int_equal(n, GMAP_MAX_ESCAPES);
}

#define LIMIT (64 * KiB)

static void test_check_range(void **state)
{
	(void)state;
	struct gmap g;

	fill(&g);
	/* Inside one region, first and last bytes included. */
	assert_int_equal(gmap_check_range(&g, 0, 1, LIMIT, true), GMAP_OK);
	assert_int_equal(gmap_check_range(&g, 0x1000, LIMIT, LIMIT, true), GMAP_OK);
	assert_int_equal(gmap_check_range(&g, 1 * MiB - 1, 1, LIMIT, true), GMAP_OK);
	assert_int_equal(gmap_check_range(&g, 5 * MiB - 16, 16, LIMIT, true), GMAP_OK);
	/* Across the contiguous boundary at 1 MiB: reading is fine, writing hits the R region. */
	assert_int_equal(gmap_check_range(&g, 1 * MiB - 8, 16, LIMIT, false), GMAP_OK);
	assert_int_equal(gmap_check_range(&g, 1 * MiB - 8, 16, LIMIT, true), GMAP_ERR_READ_ONLY);
	assert_int_equal(gmap_check_range(&g, 1 * MiB, 8, LIMIT, true), GMAP_ERR_READ_ONLY);
	assert_int_equal(gmap_check_range(&g, 0, 2 * MiB, 2 * MiB, false), GMAP_OK);
	/* Outside: in the hole, above the top, at the very top of the address space. */
	assert_int_equal(gmap_check_range(&g, 2 * MiB, 8, LIMIT, false), GMAP_ERR_OUTSIDE);
	assert_int_equal(gmap_check_range(&g, 4 * MiB - 1, 1, LIMIT, false), GMAP_ERR_OUTSIDE);
	assert_int_equal(gmap_check_range(&g, 5 * MiB, 1, LIMIT, false), GMAP_ERR_OUTSIDE);
	assert_int_equal(gmap_check_range(&g, ~0ULL - 1, 1, LIMIT, false), GMAP_ERR_OUTSIDE);
	/* Straddling the end of RAM into a hole, and past the last region. */
	assert_int_equal(gmap_check_range(&g, 2 * MiB - 8, 9, LIMIT, false),
	                 GMAP_ERR_STRADDLES_END);
	assert_int_equal(gmap_check_range(&g, 0, 2 * MiB + 1, 4 * MiB, false),
	                 GMAP_ERR_STRADDLES_END);
	assert_int_equal(gmap_check_range(&g, 5 * MiB - 8, 9, LIMIT, false),
	                 GMAP_ERR_STRADDLES_END);
	/* Overflow: the end wraps past 2^64. */
	assert_int_equal(gmap_check_range(&g, 0xfffffffffffff000ULL, 0x2000, LIMIT, false),
	                 GMAP_ERR_OVERFLOW);
	assert_int_equal(gmap_check_range(&g, 0xfffffffffffff000ULL, 0x1000, LIMIT, false),
	                 GMAP_ERR_OVERFLOW); /* ends exactly at 2^64: not representable */
	assert_int_equal(gmap_check_range(&g, 16, ~0ULL - 8, ~0ULL, false), GMAP_ERR_OVERFLOW);
	assert_int_equal(gmap_check_range(&g, ~0ULL, 1, LIMIT, false), GMAP_ERR_OVERFLOW);
	/* Too long, checked before anything about the address. */
	assert_int_equal(gmap_check_range(&g, 0, LIMIT + 1, LIMIT, false), GMAP_ERR_TOO_LONG);
	assert_int_equal(gmap_check_range(&g, 0xfffffffffffff000ULL, 0x2000, 0x1000, false),
	                 GMAP_ERR_TOO_LONG);
	assert_int_equal(gmap_check_range(&g, 0, 1, 0, false), GMAP_ERR_TOO_LONG);
	/* Zero length is refused everywhere, even at a valid address (policy, gmap.h). */
	assert_int_equal(gmap_check_range(&g, 0, 0, LIMIT, false), GMAP_ERR_EMPTY);
	assert_int_equal(gmap_check_range(&g, 3 * MiB, 0, LIMIT, false), GMAP_ERR_EMPTY);

	/* An escaped page changes where a byte lives, not whether the range is valid. */
	assert_int_equal(gmap_escape_page(&g, 0x2000, 0x90000000), GMAP_OK);
	assert_int_equal(gmap_check_range(&g, 0x1ff0, 0x20, LIMIT, true), GMAP_OK);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(gmap_strerror(GMAP_OK), "ok");
	assert_string_equal(gmap_strerror(GMAP_ERR_STRADDLES_END),
	                    "runs past the end of guest RAM");
	assert_string_equal(gmap_strerror((enum gmap_err)999), "unknown gmap error");
	for (int e = GMAP_OK; e <= GMAP_ERR_READ_ONLY; e++)
		assert_string_not_equal(gmap_strerror((enum gmap_err)e), "unknown gmap error");
}

/* The PCI hole (hv/mem/gmap.h): a guest of more than 3 GiB has RAM [0, 3 GiB) and [4 GiB, 4 GiB +
 * the rest) on one host run in that order; 3 GiB or less, or io_hole off, is one run from 0. */
static void test_layout(void **state)
{
	(void)state;
	struct gmap_layout l;
	const u64 ram = 3 * GiB + 64 * MiB;
	gmap_layout_ram(ram, true, &l);
	assert_int_equal(l.runs, 2);
	assert_int_equal(l.run[0].gpa, 0);
	assert_int_equal(l.run[0].size, 3 * GiB);
	assert_int_equal(l.run[1].gpa, 4 * GiB);
	assert_int_equal(l.run[1].size, 64 * MiB);
	assert_int_equal(l.hole_lo, 0xc0000000);
	assert_int_equal(l.hole_hi, 0x100000000);
	/* Exactly 3 GiB needs no hole; io_hole off never has one. */
	gmap_layout_ram(3 * GiB, true, &l);
	assert_int_equal(l.runs, 1);
	assert_int_equal(l.run[0].size, 3 * GiB);
	assert_int_equal(l.hole_lo, l.hole_hi);
	gmap_layout_ram(ram, false, &l);
	assert_int_equal(l.runs, 1);
	assert_int_equal(l.run[0].gpa, 0);
	assert_int_equal(l.run[0].size, ram);
	assert_int_equal(l.hole_hi, 0);
}

static void test_layout_map(void **state)
{
	(void)state;
	struct gmap g;
	struct gmap_layout l;
	const u64 hpa = 0x100000000, ram = 3 * GiB + 64 * MiB;
	u64 at = 0;
	gmap_layout_ram(ram, true, &l);
	gmap_init(&g);
	assert_int_equal(gmap_add_layout(&g, &l, hpa), GMAP_OK);
	assert_int_equal(gmap_count(&g), 2);
	assert_int_equal(gmap_ram_bytes(&g), ram);
	assert_int_equal(gmap_ram_top(&g), 4 * GiB + 64 * MiB);
	/* Below the hole, at hPA + gPA; inside it, nothing; above it, right after the low run. */
	assert_non_null(gmap_lookup(&g, 3 * GiB - PG, &at));
	assert_int_equal(at, hpa + 3 * GiB - PG);
	assert_null(gmap_lookup(&g, 3 * GiB, NULL));
	assert_null(gmap_lookup(&g, 4 * GiB - 1, NULL));
	assert_non_null(gmap_lookup(&g, 4 * GiB, &at));
	assert_int_equal(at, hpa + 3 * GiB);
	assert_non_null(gmap_lookup(&g, 4 * GiB + 64 * MiB - PG, &at));
	assert_int_equal(at, hpa + 3 * GiB + 64 * MiB - PG);
	/* A buffer into the hole is refused like one past the end of RAM. */
	assert_int_equal(gmap_check_range(&g, 3 * GiB - PG, 2 * PG, 2 * PG, false),
	                 GMAP_ERR_STRADDLES_END);
	assert_int_equal(gmap_check_range(&g, 3 * GiB + PG, 8, 8, false), GMAP_ERR_OUTSIDE);
	/* One host run, but not one run of gPA: a VMM segment from 0 cannot cover it; from 4 GiB
	 * it can, over the RAM above the hole. */
	assert_false(gmap_ram_contiguous(&g, NULL));
	assert_true(gmap_ram_contiguous_from(&g, 4 * GiB, &at));
	assert_int_equal(at, hpa + 3 * GiB);
	assert_false(gmap_ram_contiguous_from(&g, 0, NULL));
	assert_false(gmap_ram_contiguous_from(&g, 4 * GiB + PG, NULL)); /* not a region's start */
	/* After moving (what self-ballooning does): [0, 2 MiB) stays, and the rest of the old low
	 * run's size is added at the top on the host frames after the run above the hole. */
	assert_int_equal(gmap_remove_range(&g, 2 * MiB, 3 * GiB - 2 * MiB), GMAP_OK);
	assert_int_equal(gmap_add_merge(&g, 4 * GiB + 64 * MiB, 3 * GiB - 2 * MiB,
	                                hpa + 3 * GiB + 64 * MiB, GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
	assert_int_equal(gmap_count(&g), 2);
	assert_int_equal(gmap_get(&g, 1)->gpa, 4 * GiB);
	assert_int_equal(gmap_get(&g, 1)->size, 6 * GiB - 2 * MiB + 64 * MiB - 3 * GiB);
	assert_true(gmap_ram_contiguous_from(&g, 4 * GiB, &at));
	assert_int_equal(at, hpa + 3 * GiB);
	assert_int_equal(gmap_ram_bytes(&g), ram);
}

/* gmap_add_layout is all or nothing: a run that overlaps leaves the map as it was. */
static void test_layout_overlap(void **state)
{
	(void)state;
	struct gmap g, before;
	struct gmap_layout l;
	gmap_layout_ram(3 * GiB + 64 * MiB, true, &l);
	gmap_init(&g);
	assert_int_equal(gmap_add(&g, 4 * GiB + 32 * MiB, PG, 0x5000, GMAP_RAM, GMAP_PERM_RW),
	                 GMAP_OK);
	before = g;
	assert_int_equal(gmap_add_layout(&g, &l, 0x100000000), GMAP_ERR_OVERLAP);
	assert_memory_equal(&g, &before, sizeof(g));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_sorted),     cmocka_unit_test(test_empty_map),
	    cmocka_unit_test(test_add_errors),     cmocka_unit_test(test_add_full),
	    cmocka_unit_test(test_lookup),         cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_unescape),       cmocka_unit_test(test_escape_full),
	    cmocka_unit_test(test_check_range),    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_layout),         cmocka_unit_test(test_layout_map),
	    cmocka_unit_test(test_layout_overlap),
	};
	return cmocka_run_group_tests_name("gmap", tests, NULL, NULL);
}
