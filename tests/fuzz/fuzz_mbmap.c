/* The Multiboot information's flags and memory map as a boot loader hands them over
 * (hv/mem/mbmap.c), then the reservations hv/main.c makes, over any bytes.
 *
 * Input: u32 info flags, u64 base and u64 length of one more reservation, then the memory-map
 * buffer (the rest, copied to a buffer of exactly its size).
 * Invariants: a parse that succeeds leaves a normalized map of sorted, non-overlapping,
 * non-empty ranges of known types below MEMMAP_PHYS_LIMIT, usable ones in whole frames; a
 * reservation keeps them so, never adds usable memory and leaves none of its range usable. */
#include "tests/fuzz/fuzz.h"

#include "hv/mem/mbmap.h"
#include "lib/bits.h"

static struct memmap map;

static void check_map(const struct memmap *m, const char *when)
{
	FUZZ_CHECK(m->normalized, "%s", when);
	FUZZ_CHECK(m->count <= MEMMAP_MAX_RANGES, "%s: %u ranges", when, m->count);
	for (unsigned i = 0; i < m->count; i++) {
		const struct memmap_range *r = &m->r[i];
		FUZZ_CHECK(r->type >= MEMMAP_USABLE && r->type <= MEMMAP_BAD,
		           "%s: range %u type %d", when, i, r->type);
		FUZZ_CHECK(r->len > 0, "%s: range %u empty", when, i);
		FUZZ_CHECK(r->base < MEMMAP_PHYS_LIMIT && r->len <= MEMMAP_PHYS_LIMIT - r->base,
		           "%s: range %u [0x%llx, +0x%llx) past the limit", when, i, r->base,
		           r->len);
		if (r->type == MEMMAP_USABLE)
			FUZZ_CHECK(((r->base | r->len) & (PAGE_SIZE_4K - 1)) == 0,
			           "%s: usable range %u [0x%llx, +0x%llx) not in whole frames",
			           when, i, r->base, r->len);
		if (i > 0)
			FUZZ_CHECK(memmap_range_end(&m->r[i - 1]) <= r->base,
			           "%s: ranges %u and %u overlap or are out of order", when, i - 1,
			           i);
	}
}

static void reserve(u64 base, u64 len, const char *what)
{
	u64 before = memmap_usable_bytes(&map);
	enum memmap_err err = memmap_reserve(&map, base, len);
	check_map(&map, what);
	FUZZ_CHECK(memmap_usable_bytes(&map) <= before, "%s: usable memory grew", what);
	if (err != MEMMAP_OK) {
		FUZZ_CHECK(memmap_usable_bytes(&map) == before, "%s failed but changed the map",
		           what);
		return;
	}
	/* No usable byte is left in the reserved range (probed at its ends and a frame in). */
	if (len && base < MEMMAP_PHYS_LIMIT) {
		u64 last =
		    base + len - 1 < MEMMAP_PHYS_LIMIT ? base + len - 1 : MEMMAP_PHYS_LIMIT - 1;
		FUZZ_CHECK(!memmap_is_usable(&map, base, 1), "%s: its first byte is usable", what);
		FUZZ_CHECK(!memmap_is_usable(&map, last, 1), "%s: its last byte is usable", what);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = {data, size};
	u32 flags = fuzz_u32(&in);
	u64 rbase = fuzz_u64(&in), rlen = fuzz_u64(&in);
	u8 *mmap = fuzz_dup(in.p, in.left);
	struct mbmap_result res;

	enum mbmap_err err = mbmap_parse(&map, flags, mmap, in.left, &res);
	FUZZ_CHECK(err == res.err, "returned %d, result says %d", err, res.err);
	FUZZ_CHECK(err < MBMAP_ERR_COUNT, "error %d", err);
	if (err == MBMAP_OK) {
		FUZZ_CHECK(flags & MB_INFO_MEM_MAP, "a map read without the flag");
		check_map(&map, "parsed");
		/* hv/main.c's reservations, with the map buffer placed at 1 MiB. */
		reserve(0, 1 * MiB, "low memory");
		reserve(1 * MiB, in.left, "memory map");
		if (!add_overflows(rbase, rlen))
			reserve(rbase, rlen, "fuzzed range");
		else
			FUZZ_CHECK(memmap_reserve(&map, rbase, rlen) == MEMMAP_ERR_WRAPS,
			           "a wrapping reservation accepted");
	} else if (err == MBMAP_ERR_MALFORMED) {
		FUZZ_CHECK(res.offset < in.left, "fault at offset %llu of %zu", res.offset,
		           in.left);
	}
	free(mmap);
	return 0;
}
