/* hv/mem/balloon: the balloon list's validation (each error named, nothing changed), ballooning
 * out and taking back, and hot-add, over the test arena as host memory. Expected values follow
 * lib/hvcall.h and hv/mem/balloon.h: an entry is the gPA of a 4 KiB page, or of a 2 MiB page with
 * HC_BALLOON_2M; hot-add lands at the first 2 MiB boundary at or above the top of RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mem/balloon.h"
#include "hv/mem/phys.h"
#include "tests/unit/arena.h"

#define ARENA_SIZE (64 * MiB)
#define GUEST_RAM  (16 * MiB)
#define PAGES(b)   ((b) / PAGE_SIZE_4K)

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct gmap g;
	struct balloon b;
	u64 ram_hpa;
};

static const struct balloon_range no_seg = {0, 0};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_create(ARENA_SIZE);
	memmap_init(&f->map);
	assert_int_equal(memmap_add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	assert_int_equal(frame_alloc_run(&f->fa, PAGES(GUEST_RAM), PAGE_SIZE_2M, &f->ram_hpa),
	                 FRAME_OK);
	gmap_init(&f->g);
	assert_int_equal(gmap_add(&f->g, 0, GUEST_RAM, f->ram_hpa, GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
	/* Every guest page holds its own gPA, so data that moves or is lost shows. */
	for (u64 gpa = 0; gpa < GUEST_RAM; gpa += PAGE_SIZE_4K)
		phys_write64(f->ram_hpa + gpa, gpa | 1);
	balloon_init(&f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	arena_destroy();
	free(*state);
	return 0;
}

/* A call that fails must leave map, allocator and balloon as they were. */
struct snapshot {
	struct gmap g;
	struct balloon b;
	u64 free;
};

static void snap(const struct fixture *f, struct snapshot *s)
{
	s->g = f->g;
	s->b = f->b;
	s->free = frame_count_free(&f->fa);
}

static void assert_unchanged(const struct fixture *f, const struct snapshot *s)
{
	assert_memory_equal(&s->g, &f->g, sizeof(s->g));
	assert_memory_equal(&s->b, &f->b, sizeof(s->b));
	assert_int_equal(s->free, frame_count_free(&f->fa));
}

static void expect_out_error(struct fixture *f, const u64 *ent, unsigned n,
                             struct balloon_range seg, enum balloon_err want, unsigned want_bad,
                             s64 want_hc)
{
	struct snapshot s;
	u64 pages = 99;
	unsigned bad = 999;
	snap(f, &s);
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, n, seg, &pages, &bad), want);
	assert_int_equal(bad, want_bad);
	assert_int_equal(pages, 99);
	assert_int_equal(balloon_hc_status(want), want_hc);
	assert_unchanged(f, &s);
}

static void out_validation(void **state)
{
	struct fixture *f = *state;
	static u64 ent[BALLOON_MAX_ENTRIES + 1];

	ent[0] = 0x1000;
	ent[1] = GUEST_RAM; /* the first byte past RAM */
	expect_out_error(f, ent, 2, no_seg, BALLOON_ERR_OUT_OF_MAP, 1, HC_EFAULT);
	ent[1] = GUEST_RAM - PAGE_SIZE_2M + PAGE_SIZE_4K;    /* inside ent[2] */
	ent[2] = (GUEST_RAM - PAGE_SIZE_2M) | HC_BALLOON_2M; /* holds ent[1] */
	ent[3] = 0x1000;                                     /* ent[0] again */
	expect_out_error(f, ent, 4, no_seg, BALLOON_ERR_DUPLICATE, 2, HC_EEXIST);
	ent[2] = 0x3000;
	expect_out_error(f, ent, 4, no_seg, BALLOON_ERR_DUPLICATE, 3, HC_EEXIST);
	/* A 4 KiB page inside a 2 MiB one named by the list is a duplicate too. */
	ent[0] = 0 | HC_BALLOON_2M;
	ent[1] = 0x5000;
	expect_out_error(f, ent, 2, no_seg, BALLOON_ERR_DUPLICATE, 1, HC_EEXIST);
	ent[0] = 0x1000;
	ent[1] = 0x2800;
	expect_out_error(f, ent, 2, no_seg, BALLOON_ERR_UNALIGNED, 1, HC_EALIGN);
	ent[1] = 0x1000 | HC_BALLOON_2M;
	expect_out_error(f, ent, 2, no_seg, BALLOON_ERR_UNALIGNED, 1, HC_EALIGN);
	for (unsigned i = 0; i <= BALLOON_MAX_ENTRIES; i++)
		ent[i] = i * PAGE_SIZE_4K;
	expect_out_error(f, ent, BALLOON_MAX_ENTRIES + 1, no_seg, BALLOON_ERR_TOO_MANY, 0,
	                 HC_E2BIG);
	expect_out_error(f, ent, 0, no_seg, BALLOON_ERR_EMPTY, 0, HC_EINVAL);
	const struct balloon_range seg = {4 * MiB, 6 * MiB};
	ent[0] = 0x1000;
	ent[1] = 6 * MiB - PAGE_SIZE_4K;
	expect_out_error(f, ent, 2, seg, BALLOON_ERR_IN_SEGMENT, 1, HC_ESEGMENT);
	ent[1] = 2 * MiB | HC_BALLOON_2M; /* [2, 4) MiB: touches the segment's edge only */
	ent[2] = 4 * MiB | HC_BALLOON_2M;
	expect_out_error(f, ent, 3, seg, BALLOON_ERR_IN_SEGMENT, 2, HC_ESEGMENT);
	/* A page with an alternate frame (escaped) is not the guest's to give. */
	u64 alt;
	assert_int_equal(frame_alloc(&f->fa, &alt), FRAME_OK);
	assert_int_equal(gmap_escape_page(&f->g, 0x7000, alt), GMAP_OK);
	ent[1] = 0x7000;
	expect_out_error(f, ent, 2, no_seg, BALLOON_ERR_ESCAPED, 1, HC_EINVAL);
}

static void out_then_hotadd(void **state)
{
	struct fixture *f = *state;
	const u64 free0 = frame_count_free(&f->fa);
	/* One 4 KiB page, and one 2 MiB page in the middle: three regions remain. */
	const u64 ent[] = {0x3000, (4 * MiB) | HC_BALLOON_2M};
	u64 pages = 0;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, NULL),
	                 BALLOON_OK);
	assert_int_equal(pages, 1 + 512);
	assert_int_equal(frame_count_free(&f->fa), free0 + 513);
	assert_int_equal(gmap_ram_bytes(&f->g), GUEST_RAM - 513 * PAGE_SIZE_4K);
	assert_int_equal(gmap_count(&f->g), 3);
	assert_null(gmap_lookup(&f->g, 0x3000, NULL));
	assert_null(gmap_lookup(&f->g, 5 * MiB, NULL));
	assert_int_equal(f->b.pending, 513);
	/* The pages around the holes kept their data and their frames. */
	u64 hpa;
	const u64 kept[] = {0x2000, 0x4000, 4 * MiB - PAGE_SIZE_4K, 6 * MiB, GUEST_RAM - 4096};
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		assert_non_null(gmap_lookup(&f->g, kept[i], &hpa));
		assert_int_equal(hpa, f->ram_hpa + kept[i]);
		assert_int_equal(phys_read64(hpa), kept[i] | 1);
	}
	/* The same page twice in two calls: the second finds it gone. */
	struct snapshot s;
	snap(f, &s);
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 1, no_seg, &pages, NULL),
	                 BALLOON_ERR_OUT_OF_MAP);
	assert_unchanged(f, &s);

	struct hv_mem_range r;
	u64 rhpa;
	assert_int_equal(balloon_hotadd(&f->b, &f->g, &f->fa, 0, &r, &rhpa), BALLOON_OK);
	assert_int_equal(r.gpa, GUEST_RAM); /* the top of RAM, already 2 MiB-aligned */
	assert_int_equal(r.bytes, 513 * PAGE_SIZE_4K);
	assert_int_equal(f->b.pending, 0);
	assert_int_equal(f->b.hotadded, 513);
	assert_int_equal(gmap_ram_bytes(&f->g), GUEST_RAM);
	assert_int_equal(frame_count_free(&f->fa), free0);
	assert_true(rhpa % PAGE_SIZE_2M == 0);
	/* One region, contiguous in hPA, zeroed. */
	for (u64 off = 0; off < r.bytes; off += PAGE_SIZE_4K) {
		assert_non_null(gmap_lookup(&f->g, r.gpa + off, &hpa));
		assert_int_equal(hpa, rhpa + off);
		assert_int_equal(phys_read64(hpa), 0);
	}
	assert_int_equal(gmap_check_range(&f->g, r.gpa, r.bytes, r.bytes, true), GMAP_OK);
	/* Nothing pending: nothing to hot-add. */
	snap(f, &s);
	assert_int_equal(balloon_hotadd(&f->b, &f->g, &f->fa, 0, &r, &rhpa),
	                 BALLOON_ERR_NO_PENDING);
	assert_unchanged(f, &s);
}

static void hotadd_above_min(void **state)
{
	struct fixture *f = *state;
	const u64 ent[] = {0x1000};
	u64 pages;
	struct hv_mem_range r;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 1, no_seg, &pages, NULL),
	                 BALLOON_OK);
	/* An I/O hole ending at 4 GiB: the range goes above it. */
	assert_int_equal(balloon_hotadd(&f->b, &f->g, &f->fa, 4 * GiB, &r, NULL), BALLOON_OK);
	assert_int_equal(r.gpa, 4 * GiB);
	assert_int_equal(r.bytes, PAGE_SIZE_4K);
}

static void take_back(void **state)
{
	struct fixture *f = *state;
	const u64 out[] = {0x10000, 0x11000, 0x12000, 8 * MiB | HC_BALLOON_2M};
	u64 pages;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, out, 4, no_seg, &pages, NULL),
	                 BALLOON_OK);
	assert_int_equal(pages, 3 + 512);
	const unsigned regions = gmap_count(&f->g);
	struct snapshot s;
	u64 ent[2];
	unsigned bad;

	ent[0] = 0x10000;
	ent[1] = 0x13000; /* RAM still */
	snap(f, &s);
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, &bad),
	                 BALLOON_ERR_IN_MAP);
	assert_int_equal(bad, 1);
	assert_unchanged(f, &s);
	ent[1] = GUEST_RAM; /* above the top of RAM */
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, &bad),
	                 BALLOON_ERR_OUT_OF_MAP);
	assert_unchanged(f, &s);
	const struct balloon_range hole = {8 * MiB, 10 * MiB};
	ent[1] = 8 * MiB | HC_BALLOON_2M;
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 2, hole, &pages, &bad),
	                 BALLOON_ERR_RESERVED);
	assert_int_equal(bad, 1);
	assert_unchanged(f, &s);
	ent[1] = 0x10000;
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, &bad),
	                 BALLOON_ERR_DUPLICATE);
	assert_unchanged(f, &s);

	/* Back: zeroed frames at the old gPAs. */
	ent[0] = 0x11000;
	ent[1] = 0x12000;
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, NULL),
	                 BALLOON_OK);
	assert_int_equal(pages, 2);
	assert_int_equal(f->b.pending, 513);
	assert_int_equal(f->b.taken_back, 2);
	u64 hpa;
	assert_non_null(gmap_lookup(&f->g, 0x11000, &hpa));
	assert_int_equal(phys_read64(hpa), 0);
	assert_non_null(gmap_lookup(&f->g, 0x12000, &hpa));
	assert_int_equal(phys_read64(hpa), 0);
	assert_true(gmap_count(&f->g) <= regions + 2);
	/* More than is pending: refused. */
	f->b.pending = 0;
	ent[0] = 0x10000;
	snap(f, &s);
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, ent, 1, no_seg, &pages, NULL),
	                 BALLOON_ERR_NO_PENDING);
	assert_unchanged(f, &s);
}

/* A cut inside a region needs a slot; with none left the list is refused whole. */
static void regions_full(void **state)
{
	struct fixture *f = *state;
	u64 ent[GMAP_MAX_REGIONS], pages;
	/* Every other page up to 2 * GMAP_MAX_REGIONS - 2: GMAP_MAX_REGIONS regions. */
	for (unsigned i = 0; i < GMAP_MAX_REGIONS - 1; i++)
		ent[i] = (2 * i + 1) * PAGE_SIZE_4K;
	assert_int_equal(
	    balloon_out(&f->b, &f->g, &f->fa, ent, GMAP_MAX_REGIONS - 1, no_seg, &pages, NULL),
	    BALLOON_OK);
	assert_int_equal(gmap_count(&f->g), GMAP_MAX_REGIONS);
	struct snapshot s;
	snap(f, &s);
	ent[0] = (2 * GMAP_MAX_REGIONS + 10) * PAGE_SIZE_4K; /* inside the last region: a split */
	unsigned bad;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 1, no_seg, &pages, &bad),
	                 BALLOON_ERR_REGIONS_FULL);
	assert_unchanged(f, &s);
	/* Dropping a whole one-page region needs no slot. */
	ent[0] = 0;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 1, no_seg, &pages, NULL),
	                 BALLOON_OK);
	assert_int_equal(gmap_count(&f->g), GMAP_MAX_REGIONS - 1);
}

/* The PCI hole moved above 4 GiB (DESIGN.md "Memory management"), at the arena's scale: the guest
 * keeps [0, 2 MiB), has 8 MiB just below the hole at 3 GiB and 4 MiB above it at 4 GiB, all on
 * one host run in that order (hv/mem/gmap.h, struct gmap_layout). Returning the 8 MiB below the
 * hole and hot-adding above 4 GiB must give the same 8 MiB at the top of RAM, 4 GiB + 4 MiB, on
 * the host frames right after those of the RAM above 4 GiB: one region [4 GiB, 4 GiB + 12 MiB),
 * one host run, what a single VMM segment needs. */
#define KEEP  (2 * MiB)
#define BELOW (8 * MiB)
#define ABOVE (4 * MiB)

static void hole_map(struct fixture *f)
{
	/* The fixture's run is 16 MiB: the last 2 MiB go back, so that the frames after the RAM
	 * above the hole are free. */
	assert_int_equal(frame_free_run(&f->fa, f->ram_hpa + KEEP + BELOW + ABOVE, PAGES(2 * MiB)),
	                 FRAME_OK);
	gmap_init(&f->g);
	assert_int_equal(gmap_add(&f->g, 0, KEEP, f->ram_hpa, GMAP_RAM, GMAP_PERM_RWX), GMAP_OK);
	assert_int_equal(gmap_add(&f->g, GMAP_IO_HOLE_START - BELOW, BELOW, f->ram_hpa + KEEP,
	                          GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
	assert_int_equal(gmap_add(&f->g, GMAP_IO_HOLE_END, ABOVE, f->ram_hpa + KEEP + BELOW,
	                          GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
}

static void return_below_hole(struct fixture *f)
{
	u64 ent[BELOW / PAGE_SIZE_2M], pages = 0;
	for (unsigned i = 0; i < BELOW / PAGE_SIZE_2M; i++)
		ent[i] = (GMAP_IO_HOLE_START - BELOW + i * PAGE_SIZE_2M) | HC_BALLOON_2M;
	assert_int_equal(
	    balloon_out(&f->b, &f->g, &f->fa, ent, BELOW / PAGE_SIZE_2M, no_seg, &pages, NULL),
	    BALLOON_OK);
	assert_int_equal(pages, PAGES(BELOW));
	assert_null(gmap_lookup(&f->g, GMAP_IO_HOLE_START - BELOW, NULL));
}

static void hole_moved_above(void **state)
{
	struct fixture *f = *state;
	hole_map(f);
	const u64 above_hpa = f->ram_hpa + KEEP + BELOW;
	/* Before: RAM below the hole, so no run from gPA 0 covers all of it. */
	assert_false(gmap_ram_contiguous(&f->g, NULL));
	assert_int_equal(gmap_ram_top(&f->g), GMAP_IO_HOLE_END + ABOVE);
	/* Nothing comes back inside the hole, and nothing there goes out: it is not RAM. */
	const struct balloon_range hole = {GMAP_IO_HOLE_START, GMAP_IO_HOLE_END};
	const u64 in_hole[] = {GMAP_IO_HOLE_START};
	expect_out_error(f, in_hole, 1, no_seg, BALLOON_ERR_OUT_OF_MAP, 0, HC_EFAULT);
	return_below_hole(f);
	struct snapshot s;
	u64 pages = 99;
	snap(f, &s);
	assert_int_equal(balloon_in(&f->b, &f->g, &f->fa, in_hole, 1, hole, &pages, NULL),
	                 BALLOON_ERR_RESERVED);
	assert_int_equal(balloon_hc_status(BALLOON_ERR_RESERVED), HC_EFAULT);
	assert_unchanged(f, &s);

	struct hv_mem_range r;
	u64 rhpa = 0;
	assert_int_equal(balloon_hotadd(&f->b, &f->g, &f->fa, hole.hi, &r, &rhpa), BALLOON_OK);
	assert_int_equal(r.gpa, GMAP_IO_HOLE_END + ABOVE); /* the top, 2 MiB-aligned already */
	assert_int_equal(r.bytes, BELOW);
	assert_int_equal(rhpa, above_hpa + ABOVE); /* continues the RAM above the hole */
	/* Two regions: what stayed, and one run above the hole. */
	assert_int_equal(gmap_count(&f->g), 2);
	assert_int_equal(gmap_get(&f->g, 1)->gpa, GMAP_IO_HOLE_END);
	assert_int_equal(gmap_get(&f->g, 1)->size, ABOVE + BELOW);
	u64 hpa = 0;
	assert_true(gmap_ram_contiguous_from(&f->g, GMAP_IO_HOLE_END, &hpa));
	assert_int_equal(hpa, above_hpa);
	assert_int_equal(gmap_ram_bytes(&f->g), KEEP + BELOW + ABOVE);
	/* The RAM above the hole kept its data; the hot-added part is zero. */
	for (u64 off = 0; off < ABOVE; off += PAGE_SIZE_4K) {
		assert_non_null(gmap_lookup(&f->g, GMAP_IO_HOLE_END + off, &hpa));
		assert_int_equal(hpa, above_hpa + off);
		assert_int_equal(phys_read64(hpa), (KEEP + BELOW + off) | 1);
	}
	for (u64 off = 0; off < BELOW; off += PAGE_SIZE_4K) {
		assert_non_null(gmap_lookup(&f->g, r.gpa + off, &hpa));
		assert_int_equal(hpa, rhpa + off);
		assert_int_equal(phys_read64(hpa), 0);
	}
}

/* The same, with a frame in use right after the RAM above the hole: the hot-add goes on a run of
 * its own, the regions above the hole do not merge and no single run covers them. */
static void hole_moved_apart(void **state)
{
	struct fixture *f = *state;
	hole_map(f);
	const u64 after = f->ram_hpa + KEEP + BELOW + ABOVE;
	assert_int_equal(frame_claim(&f->fa, after, 1), FRAME_OK);
	return_below_hole(f);
	struct hv_mem_range r;
	u64 rhpa = 0;
	assert_int_equal(balloon_hotadd(&f->b, &f->g, &f->fa, GMAP_IO_HOLE_END, &r, &rhpa),
	                 BALLOON_OK);
	assert_int_equal(r.gpa, GMAP_IO_HOLE_END + ABOVE);
	assert_int_not_equal(rhpa, after);
	assert_int_equal(rhpa % PAGE_SIZE_2M, 0);
	assert_int_equal(gmap_count(&f->g), 3);
	assert_false(gmap_ram_contiguous_from(&f->g, GMAP_IO_HOLE_END, NULL));
	assert_true(gmap_ram_contiguous_from(&f->g, r.gpa, NULL));
}

/* Hot-add in steps (hv/mem/balloon.h): begin claims the frames and changes neither map nor
 * balloon; each step zeroes at most its bytes; commit is what balloon_hotadd does at once; abort
 * gives the frames back with nothing changed. */
static void hotadd_steps(void **state)
{
	struct fixture *f = *state;
	const u64 ent[] = {(2 * MiB) | HC_BALLOON_2M, (4 * MiB) | HC_BALLOON_2M};
	u64 pages;
	assert_int_equal(balloon_out(&f->b, &f->g, &f->fa, ent, 2, no_seg, &pages, NULL),
	                 BALLOON_OK);
	/* The frames to be hot-added hold stale data: the steps must zero every byte. */
	const u64 after = f->ram_hpa + GUEST_RAM;
	for (u64 off = 0; off < 4 * MiB; off += 8)
		phys_write64(after + off, 0x5747e);
	struct snapshot s;
	snap(f, &s);
	struct balloon_hotadd_job j;
	assert_int_equal(balloon_hotadd_begin(&f->b, &f->g, &f->fa, 0, &j), BALLOON_OK);
	assert_true(j.active);
	assert_int_equal(j.gpa, GUEST_RAM);
	assert_int_equal(j.bytes, 4 * MiB);
	assert_int_equal(j.hpa, after); /* continues the RAM at the top */
	assert_memory_equal(&s.g, &f->g, sizeof(s.g));
	assert_memory_equal(&s.b, &f->b, sizeof(s.b));
	assert_int_equal(frame_count_free(&f->fa), s.free - PAGES(4 * MiB));
	/* Abort: all as before. */
	balloon_hotadd_abort(&f->fa, &j);
	assert_false(j.active);
	assert_unchanged(f, &s);
	/* Again, in steps of 1 MiB: four, the last one completing. */
	assert_int_equal(balloon_hotadd_begin(&f->b, &f->g, &f->fa, 0, &j), BALLOON_OK);
	for (unsigned k = 1; k <= 4; k++) {
		assert_int_equal(balloon_hotadd_zero(&j, 1 * MiB), k == 4);
		assert_int_equal(j.zeroed, k * MiB);
		assert_int_equal(j.steps, k);
		assert_int_equal(phys_read64(after + k * MiB - 8), 0);
		if (k < 4)
			assert_int_equal(phys_read64(after + k * MiB), 0x5747e);
	}
	struct hv_mem_range r;
	assert_int_equal(balloon_hotadd_commit(&f->b, &f->g, &f->fa, &j, &r), BALLOON_OK);
	assert_false(j.active);
	assert_int_equal(r.gpa, GUEST_RAM);
	assert_int_equal(r.bytes, 4 * MiB);
	assert_int_equal(f->b.pending, 0);
	assert_int_equal(f->b.hotadded, PAGES(4 * MiB));
	assert_int_equal(gmap_ram_bytes(&f->g), GUEST_RAM);
	for (u64 off = 0; off < 4 * MiB; off += 8)
		assert_int_equal(phys_read64(after + off), 0);
	u64 hpa;
	assert_non_null(gmap_lookup(&f->g, GUEST_RAM + 4 * MiB - 1, &hpa));
	assert_int_equal(hpa, after + 4 * MiB - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(out_validation, setup, teardown),
	    cmocka_unit_test_setup_teardown(out_then_hotadd, setup, teardown),
	    cmocka_unit_test_setup_teardown(hotadd_above_min, setup, teardown),
	    cmocka_unit_test_setup_teardown(take_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(regions_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(hole_moved_above, setup, teardown),
	    cmocka_unit_test_setup_teardown(hole_moved_apart, setup, teardown),
	    cmocka_unit_test_setup_teardown(hotadd_steps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
