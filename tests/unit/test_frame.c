/* hv/mem/frame: the bitmap frame allocator over a normalized memory map, backed by the test arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hv/mem/frame.h"
#include "tests/unit/arena.h"

#define ARENA_SIZE    (64 * MiB)
#define ARENA_END     (ARENA_BASE + ARENA_SIZE)
#define FRAMES(bytes) ((bytes) / FRAME_SIZE)

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_create(ARENA_SIZE);
	memmap_init(&f->map);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	arena_destroy();
	free(*state);
	return 0;
}

static void add(struct memmap *m, u64 base, u64 len, enum memmap_type type)
{
	assert_int_equal(memmap_add(m, base, len, type), MEMMAP_OK);
}

/* The whole arena as one usable range. */
static struct frame_alloc *init_arena_only(struct fixture *f)
{
	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	return &f->fa;
}

static void expect_check_ok(const struct fixture *f)
{
	const char *why = NULL;
	assert_int_equal(frame_check(&f->fa, &f->map, &why), FRAME_OK);
	assert_string_equal(why, "ok");
}

static void test_init_layout(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = init_arena_only(f);

	/* 16384 frames need 2 KiB of bitmap: one frame, at the bottom of the arena. */
	assert_int_equal(fa->bitmap_pa, ARENA_BASE);
	assert_int_equal(fa->bitmap_frames, 1);
	assert_int_equal(fa->base_pfn, FRAMES(ARENA_BASE));
	assert_int_equal(fa->nbits, FRAMES(ARENA_SIZE));
	assert_int_equal(frame_count_total(fa), FRAMES(ARENA_SIZE));
	assert_int_equal(frame_count_free(fa), FRAMES(ARENA_SIZE) - 1);
	expect_check_ok(f);
}

static void test_single_frames(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = init_arena_only(f);
	u64 a, b, c;

	assert_int_equal(frame_alloc(fa, &a), FRAME_OK);
	assert_int_equal(frame_alloc(fa, &b), FRAME_OK);
	assert_int_equal(a, ARENA_BASE + 0x1000);
	assert_int_equal(b, ARENA_BASE + 0x2000);
	assert_int_equal(frame_count_free(fa), FRAMES(ARENA_SIZE) - 3);

	assert_int_equal(frame_free(fa, a), FRAME_OK);
	assert_int_equal(frame_free(fa, a), FRAME_ERR_DOUBLE_FREE);
	assert_int_equal(frame_count_free(fa), FRAMES(ARENA_SIZE) - 2);
	/* The lowest free frame is reused. */
	assert_int_equal(frame_alloc(fa, &c), FRAME_OK);
	assert_int_equal(c, a);

	assert_int_equal(frame_free(fa, ARENA_BASE), FRAME_ERR_BITMAP);
	assert_int_equal(frame_free(fa, ARENA_END), FRAME_ERR_NOT_OWNED);
	assert_int_equal(frame_free(fa, 0x1000), FRAME_ERR_NOT_OWNED);
	assert_int_equal(frame_free(fa, 0xfffffffffffff000ULL), FRAME_ERR_NOT_OWNED);
	assert_int_equal(frame_free(fa, b + 1), FRAME_ERR_ALIGN);
	assert_int_equal(frame_count_free(fa), FRAMES(ARENA_SIZE) - 3);
	expect_check_ok(f);
}

static void test_runs_and_alignment(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = init_arena_only(f);
	u64 pa;

	assert_int_equal(frame_alloc_run(fa, 3, FRAME_SIZE, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 0x1000);
	assert_int_equal(frame_alloc_run(fa, 512, 2 * MiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 2 * MiB); /* ARENA_BASE holds the bitmap */
	assert_int_equal(frame_alloc_run(fa, 1, 2 * MiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 4 * MiB);
	assert_int_equal(frame_alloc_run(fa, 2, 8 * KiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 0x4000);
	assert_int_equal(frame_alloc_run(fa, 1, FRAME_SIZE, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 0x6000);
	assert_int_equal(frame_alloc_run(fa, 4, 16 * KiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 0x8000); /* 0x7000 is free but not 16 KiB-aligned */

	/* Free: [+0x7000, +0x8000), [+0xc000, +2 MiB), [+4 MiB + 4 KiB, end). */
	const u64 tail_frames = FRAMES(ARENA_SIZE - 4 * MiB - FRAME_SIZE);
	assert_int_equal(frame_largest_free_run(fa, FRAME_SIZE), tail_frames);
	assert_int_equal(frame_largest_free_run(fa, 2 * MiB), FRAMES(ARENA_SIZE - 6 * MiB));
	assert_int_equal(frame_largest_free_run(fa, 1 * GiB), 0);
	assert_int_equal(frame_largest_free_run(fa, 3 * FRAME_SIZE), 0);

	assert_int_equal(frame_alloc_run(fa, FRAMES(ARENA_SIZE - 6 * MiB) + 1, 2 * MiB, &pa),
	                 FRAME_ERR_NO_MEMORY);
	assert_int_equal(frame_alloc_run(fa, tail_frames + 1, FRAME_SIZE, &pa),
	                 FRAME_ERR_NO_MEMORY);
	assert_int_equal(frame_alloc_run(fa, FRAMES(ARENA_SIZE - 6 * MiB), 2 * MiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 6 * MiB);

	/* Bad arguments change nothing. */
	u64 before = frame_count_free(fa);
	assert_int_equal(frame_alloc_run(fa, 0, FRAME_SIZE, &pa), FRAME_ERR_BAD_COUNT);
	assert_int_equal(frame_alloc_run(fa, 1, 0, &pa), FRAME_ERR_ALIGN);
	assert_int_equal(frame_alloc_run(fa, 1, 2 * KiB, &pa), FRAME_ERR_ALIGN);
	assert_int_equal(frame_alloc_run(fa, 1, 3 * FRAME_SIZE, &pa), FRAME_ERR_ALIGN);
	assert_int_equal(frame_free_run(fa, ARENA_BASE + 0x8000, 0), FRAME_ERR_BAD_COUNT);
	assert_int_equal(frame_free_run(fa, 0xfffffffffffff000ULL, 2), FRAME_ERR_BAD_COUNT);
	assert_int_equal(frame_count_free(fa), before);

	/* A run with a free frame inside is a double free, and nothing is freed. */
	assert_int_equal(frame_free_run(fa, ARENA_BASE + 0x6000, 3), FRAME_ERR_DOUBLE_FREE);
	assert_int_equal(frame_count_free(fa), before);
	assert_int_equal(frame_free_run(fa, ARENA_BASE + 0x8000, 4), FRAME_OK);
	assert_int_equal(frame_count_free(fa), before + 4);
	/* A run that includes the bitmap frame. */
	assert_int_equal(frame_free_run(fa, ARENA_BASE, 2), FRAME_ERR_BITMAP);
	expect_check_ok(f);
}

static void test_exhaustion(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = init_arena_only(f);
	u64 pa, n = 0, last = 0;

	while (frame_alloc(fa, &pa) == FRAME_OK) {
		assert_true(pa > last);
		last = pa;
		n++;
	}
	assert_int_equal(n, FRAMES(ARENA_SIZE) - 1);
	assert_int_equal(last, ARENA_END - FRAME_SIZE);
	assert_int_equal(frame_count_free(fa), 0);
	assert_int_equal(frame_alloc(fa, &pa), FRAME_ERR_NO_MEMORY);
	assert_int_equal(frame_alloc_run(fa, 1, FRAME_SIZE, &pa), FRAME_ERR_NO_MEMORY);
	assert_int_equal(frame_largest_free_run(fa, FRAME_SIZE), 0);
	expect_check_ok(f);

	assert_int_equal(frame_free_run(fa, ARENA_BASE + 32 * MiB, 512), FRAME_OK);
	assert_int_equal(frame_alloc_run(fa, 512, 2 * MiB, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 32 * MiB);
	assert_int_equal(frame_count_free(fa), 0);
	expect_check_ok(f);
}

static void test_holes_and_claim(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = &f->fa;
	u64 pa;

	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE);
	add(&f->map, ARENA_BASE + 16 * MiB, 1 * MiB, MEMMAP_RESERVED);
	add(&f->map, ARENA_BASE + 40 * MiB + 0x10, 0x20, MEMMAP_BAD);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(fa, &f->map), FRAME_OK);
	const u64 owned = FRAMES(ARENA_SIZE - 1 * MiB) - 1;
	assert_int_equal(frame_count_total(fa), owned);
	assert_int_equal(frame_count_free(fa), owned - 1);

	assert_int_equal(frame_free(fa, ARENA_BASE + 16 * MiB), FRAME_ERR_NOT_OWNED);
	assert_int_equal(frame_free(fa, ARENA_BASE + 40 * MiB), FRAME_ERR_NOT_OWNED);
	assert_int_equal(frame_claim(fa, ARENA_BASE + 16 * MiB + 0x1000, 1), FRAME_ERR_NOT_OWNED);
	/* A run crossing from owned memory into the hole. */
	assert_int_equal(frame_claim(fa, ARENA_BASE + 16 * MiB - 0x1000, 2), FRAME_ERR_NOT_OWNED);

	/* Free spans: 16 MiB less the bitmap, 23 MiB up to the bad frame, 24 MiB less it. */
	assert_int_equal(frame_largest_free_run(fa, FRAME_SIZE), FRAMES(24 * MiB) - 1);
	assert_int_equal(frame_alloc_run(fa, FRAMES(24 * MiB), FRAME_SIZE, &pa),
	                 FRAME_ERR_NO_MEMORY);
	/* First fit: the span below the reserved MiB is too short. */
	assert_int_equal(frame_alloc_run(fa, FRAMES(17 * MiB), FRAME_SIZE, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 17 * MiB);

	/* Claiming known-bad frames keeps them out; claiming twice is caught. */
	assert_int_equal(frame_claim(fa, ARENA_BASE + 8 * MiB, 3), FRAME_OK);
	assert_int_equal(frame_claim(fa, ARENA_BASE + 8 * MiB + 0x2000, 1), FRAME_ERR_IN_USE);
	assert_int_equal(frame_claim(fa, ARENA_BASE, 1), FRAME_ERR_BITMAP);
	assert_int_equal(frame_claim(fa, ARENA_BASE + 0x800, 1), FRAME_ERR_ALIGN);
	assert_int_equal(frame_count_free(fa), owned - 1 - FRAMES(17 * MiB) - 3);
	expect_check_ok(f);
	assert_int_equal(frame_free_run(fa, ARENA_BASE + 8 * MiB, 3), FRAME_OK);
	assert_int_equal(frame_count_free(fa), owned - 1 - FRAMES(17 * MiB));
	expect_check_ok(f);
}

/* Usable RAM from 4 GiB to 8 GiB is never touched: only the bitmap, which lands in the arena
 * because that is the lowest usable range. */
static void test_gib_alignment(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = &f->fa;
	u64 pa;

	add(&f->map, 4 * GiB, 4 * GiB, MEMMAP_USABLE);
	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE);
	add(&f->map, 3 * GiB, 1 * GiB, MEMMAP_RESERVED);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(fa, &f->map), FRAME_OK);
	/* (8 GiB - 16 MiB) / 4 KiB bits = 261632 bytes: 64 frames. */
	assert_int_equal(fa->bitmap_pa, ARENA_BASE);
	assert_int_equal(fa->bitmap_frames, 64);
	assert_int_equal(frame_count_total(fa), FRAMES(ARENA_SIZE + 4 * GiB));
	assert_int_equal(frame_count_free(fa), FRAMES(ARENA_SIZE + 4 * GiB) - 64);
	assert_int_equal(frame_largest_free_run(fa, 1 * GiB), FRAMES(4 * GiB));

	assert_int_equal(frame_alloc_run(fa, FRAMES(1 * GiB), 1 * GiB, &pa), FRAME_OK);
	assert_int_equal(pa, 4 * GiB);
	assert_int_equal(frame_alloc_run(fa, FRAMES(1 * GiB), 1 * GiB, &pa), FRAME_OK);
	assert_int_equal(pa, 5 * GiB);
	assert_int_equal(frame_alloc_run(fa, 1, 1 * GiB, &pa), FRAME_OK);
	assert_int_equal(pa, 6 * GiB);
	assert_int_equal(frame_alloc_run(fa, FRAMES(1 * GiB), 1 * GiB, &pa), FRAME_OK);
	assert_int_equal(pa, 7 * GiB);
	assert_int_equal(frame_alloc_run(fa, 1, 1 * GiB, &pa), FRAME_ERR_NO_MEMORY);
	assert_int_equal(frame_largest_free_run(fa, 1 * GiB), 0);
	assert_int_equal(frame_largest_free_run(fa, 2 * MiB), FRAMES(1 * GiB - 2 * MiB));
	assert_int_equal(frame_alloc_run(fa, FRAMES(1 * GiB - 2 * MiB), 2 * MiB, &pa), FRAME_OK);
	assert_int_equal(pa, 6 * GiB + 2 * MiB);
	/* Single frames still come from the bottom. */
	assert_int_equal(frame_alloc(fa, &pa), FRAME_OK);
	assert_int_equal(pa, ARENA_BASE + 64 * FRAME_SIZE);
	expect_check_ok(f);

	assert_int_equal(frame_free_run(fa, 5 * GiB, FRAMES(1 * GiB)), FRAME_OK);
	assert_int_equal(frame_free_run(fa, 5 * GiB + 8 * MiB, 1), FRAME_ERR_DOUBLE_FREE);
	assert_int_equal(frame_alloc_run(fa, FRAMES(1 * GiB), 1 * GiB, &pa), FRAME_OK);
	assert_int_equal(pa, 5 * GiB);
	expect_check_ok(f);
}

static void test_init_errors(void **state)
{
	struct fixture *f = *state;

	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_ERR_NOT_NORMALIZED);

	memmap_init(&f->map);
	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_RESERVED);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_ERR_NO_MEMORY);

	/* Two lone frames 16 GiB apart: the 128-frame bitmap fits in neither. */
	memmap_init(&f->map);
	add(&f->map, ARENA_BASE, FRAME_SIZE, MEMMAP_USABLE);
	add(&f->map, 16 * GiB, FRAME_SIZE, MEMMAP_USABLE);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_ERR_NO_MEMORY);
}

static void test_check_catches_corruption(void **state)
{
	struct fixture *f = *state;
	const char *why;

	/* One frame short of a whole bitmap word, so that there are tail bits. */
	add(&f->map, ARENA_BASE, ARENA_SIZE - FRAME_SIZE, MEMMAP_USABLE);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	struct frame_alloc *fa = &f->fa;
	assert_int_equal(frame_init(fa, &f->map), FRAME_OK);
	assert_int_equal(fa->nbits % 64, 63);
	expect_check_ok(f);

	fa->free++;
	assert_int_equal(frame_check(fa, &f->map, &why), FRAME_ERR_INCONSISTENT);
	assert_string_equal(why, "free count differs from the bitmap's free bits");
	fa->free--;
	expect_check_ok(f);

	fa->bitmap[0] &= ~1ULL; /* the bitmap's own frame */
	fa->free++;
	assert_int_equal(frame_check(fa, &f->map, &why), FRAME_ERR_INCONSISTENT);
	assert_string_equal(why, "a frame holding the bitmap is marked free");
	fa->bitmap[0] |= 1ULL;
	fa->free--;

	fa->bitmap[fa->nwords - 1] &= ~(1ULL << 63);
	assert_int_equal(frame_check(fa, &f->map, &why), FRAME_ERR_INCONSISTENT);
	assert_string_equal(why, "bitmap bits past the last frame are not marked used");
	fa->bitmap[fa->nwords - 1] |= 1ULL << 63;
	expect_check_ok(f);

	/* Memory carved out after init while its frames are still free. */
	assert_int_equal(memmap_reserve(&f->map, ARENA_BASE + 4 * MiB, FRAME_SIZE), MEMMAP_OK);
	assert_int_equal(frame_check(fa, &f->map, &why), FRAME_ERR_INCONSISTENT);
	assert_string_equal(why, "a free frame lies outside the usable memory ranges");
	assert_int_equal(frame_claim(fa, ARENA_BASE + 4 * MiB, 1), FRAME_OK);
	expect_check_ok(f);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(frame_strerror(FRAME_OK), "ok");
	assert_string_equal(frame_strerror(FRAME_ERR_DOUBLE_FREE), "double free");
	assert_string_equal(frame_strerror(FRAME_ERR_NOT_OWNED),
	                    "frame not owned by the allocator");
	assert_string_equal(frame_strerror(FRAME_ERR_NO_MEMORY), "out of physical memory");
	assert_string_equal(frame_strerror(FRAME_ERR_ALIGN), "bad alignment");
	assert_string_equal(frame_strerror((enum frame_err)99), "unknown frame error");
}

/* A claim that fails names the frame at fault; the largest free run says where it starts. */
static void test_conflicts_are_named(void **state)
{
	struct fixture *f = *state;
	struct frame_alloc *fa = &f->fa;
	u64 at = 0, pa = 0;

	add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE);
	add(&f->map, ARENA_BASE + 16 * MiB, 1 * MiB, MEMMAP_RESERVED);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(fa, &f->map), FRAME_OK);
	assert_int_equal(frame_claim(fa, ARENA_BASE + 8 * MiB + 0x5000, 1), FRAME_OK);

	assert_int_equal(frame_claim_at(fa, ARENA_BASE + 8 * MiB, 16, &at), FRAME_ERR_IN_USE);
	assert_int_equal(at, ARENA_BASE + 8 * MiB + 0x5000);
	assert_int_equal(frame_claim_at(fa, ARENA_BASE + 15 * MiB, FRAMES(2 * MiB), &at),
	                 FRAME_ERR_NOT_OWNED);
	assert_int_equal(at, ARENA_BASE + 16 * MiB); /* where the reserved MiB begins */
	assert_int_equal(frame_claim_at(fa, ARENA_BASE + 16 * MiB + 0x1000, 1, &at),
	                 FRAME_ERR_NOT_OWNED);
	assert_int_equal(at, ARENA_BASE + 16 * MiB + 0x1000);
	assert_int_equal(frame_claim_at(fa, ARENA_BASE, 4, &at), FRAME_ERR_BITMAP);
	assert_int_equal(at, ARENA_BASE);
	/* Nothing changed by the failures. */
	assert_int_equal(frame_count_free(fa), frame_count_total(fa) - 1 - 1);
	assert_int_equal(frame_claim_at(fa, ARENA_BASE + 4 * MiB, 2, &at), FRAME_OK);
	assert_int_equal(at, ARENA_BASE + 4 * MiB);

	/* Free: [+4 KiB, +4 MiB), [+4 MiB + 8 KiB, +8 MiB + 20 KiB), [+8 MiB + 24 KiB, +16 MiB),
	 * [+17 MiB, end): the last is the largest at any alignment up to 1 MiB. */
	assert_int_equal(frame_largest_free_run_at(fa, FRAME_SIZE, &pa),
	                 FRAMES(ARENA_SIZE - 17 * MiB));
	assert_int_equal(pa, ARENA_BASE + 17 * MiB);
	assert_int_equal(frame_largest_free_run_at(fa, 2 * MiB, &pa),
	                 FRAMES(ARENA_SIZE - 18 * MiB));
	assert_int_equal(pa, ARENA_BASE + 18 * MiB);
	pa = 0x1234;
	assert_int_equal(frame_largest_free_run_at(fa, 1 * GiB, &pa), 0);
	assert_int_equal(pa, 0x1234);
	expect_check_ok(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_single_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_runs_and_alignment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holes_and_claim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gib_alignment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_catches_corruption, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conflicts_are_named, setup, teardown),
	    cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
