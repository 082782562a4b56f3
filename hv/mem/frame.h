/* Physical frame allocator: one bit per 4 KiB frame (1 = in use or not owned) over the usable
 * ranges of a normalized memmap. The bitmap lives in the lowest usable range large enough for it,
 * reached through phys_to_virt(), and its own frames are permanently in use. Frames are not
 * zeroed. Contiguous, aligned runs (2 MiB, 1 GiB) are found by skipping whole bitmap words.
 * A failed frame_init() leaves the allocator unusable; every other call that fails changes
 * nothing. */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include "hv/mem/memmap.h"
#include "lib/types.h"

#define FRAME_SIZE  PAGE_SIZE_4K
#define FRAME_SHIFT 12

enum frame_err {
	FRAME_OK = 0,
	FRAME_ERR_NOT_NORMALIZED, /* frame_init() given a raw memmap */
	FRAME_ERR_NO_MEMORY,      /* no usable memory, no room for the bitmap, or no free run */
	FRAME_ERR_ALIGN,     /* address not frame-aligned or alignment not a power of 2 >= 4 KiB */
	FRAME_ERR_BAD_COUNT, /* zero frames, or a run that wraps the address space */
	FRAME_ERR_NOT_OWNED, /* frame outside the usable ranges the allocator manages */
	FRAME_ERR_BITMAP,    /* frame holds the allocator's own bitmap */
	FRAME_ERR_DOUBLE_FREE,   /* frame already free */
	FRAME_ERR_IN_USE,        /* frame_claim() of a frame already allocated */
	FRAME_ERR_INCONSISTENT,  /* frame_check() found a broken invariant */
	FRAME_ERR_TOO_SCATTERED, /* frame_alloc_scattered() would need more runs than allowed */
};

struct frame_span {
	u64 first_pfn;
	u64 end_pfn; /* exclusive */
};

struct frame_alloc {
	u64 base_pfn; /* frame of bit 0; a multiple of 64 so word boundaries are pfn-aligned */
	u64 nbits;    /* frames covered, owned or not */
	u64 nwords;
	u64 *bitmap; /* phys_to_virt(bitmap_pa) */
	u64 bitmap_pa;
	u64 bitmap_frames;
	u64 total; /* owned frames, including the bitmap's */
	u64 free;
	u64 hint_word;                              /* no free bit below this word */
	struct frame_span owned[MEMMAP_MAX_RANGES]; /* sorted usable ranges, for ownership checks */
	unsigned nowned;
};

enum frame_err frame_init(struct frame_alloc *fa, const struct memmap *m);
enum frame_err frame_alloc(struct frame_alloc *fa, u64 *pa);
/* nframes contiguous frames starting at a multiple of align_bytes (a power of 2, >= 4 KiB). */
enum frame_err frame_alloc_run(struct frame_alloc *fa, u64 nframes, u64 align_bytes, u64 *pa);
enum frame_err frame_free(struct frame_alloc *fa, u64 pa);
enum frame_err frame_free_run(struct frame_alloc *fa, u64 pa, u64 nframes);
/* Takes specific free frames out of circulation (e.g. known-bad pages). */
enum frame_err frame_claim(struct frame_alloc *fa, u64 pa, u64 nframes);
/* frame_claim() that also names, when conflict is not NULL, the frame that made it fail: the
 * first one in use (FRAME_ERR_IN_USE), holding the bitmap (FRAME_ERR_BITMAP) or past the usable
 * memory (FRAME_ERR_NOT_OWNED); pa itself for a bad address or count. Set on success to pa. */
enum frame_err frame_claim_at(struct frame_alloc *fa, u64 pa, u64 nframes, u64 *conflict);

static inline u64 frame_count_total(const struct frame_alloc *fa)
{
	return fa->total;
}
static inline u64 frame_count_free(const struct frame_alloc *fa)
{
	return fa->free;
}
/* Length in frames of the longest free run starting at a multiple of align_bytes; 0 if none or
 * the alignment is invalid. frame_alloc_run(n, align) succeeds exactly when n <= this. */
u64 frame_largest_free_run(const struct frame_alloc *fa, u64 align_bytes);
/* The same, and where that run starts (the lowest such run; *start_pa untouched when 0). */
u64 frame_largest_free_run_at(const struct frame_alloc *fa, u64 align_bytes, u64 *start_pa);
/* Boot self-test: the free count matches the bitmap, no free frame lies outside m's usable
 * ranges, the bitmap's frames and the bits past the last frame are in use. On failure returns
 * FRAME_ERR_INCONSISTENT and points *why at a description. */
enum frame_err frame_check(const struct frame_alloc *fa, const struct memmap *m, const char **why);

const char *frame_strerror(enum frame_err err);

/* Scattered allocation: nframes frames as at most max_runs runs, largest first, each a
 * multiple of 2 MiB at a 2 MiB-aligned hPA while at least 2 MiB remains and such a run is
 * free, else 4 KiB frames. Runs come back in allocation order (the order in which the caller
 * lays them out in gPA, so every 2 MiB multiple keeps gPA and hPA 2 MiB-aligned together);
 * adjacent ones are merged. On failure nothing stays allocated. */
enum frame_err frame_alloc_scattered(struct frame_alloc *fa, u64 nframes, struct frame_span *runs,
                                     unsigned max_runs, unsigned *nruns);

/* Other tenants of the host (host_fragment=): 2 MiB chunks of host memory held by someone else,
 * each movable (compaction may migrate it, hv/mem/compact.h) or not. Sorted by hPA. */
#define FRAME_CHUNK_FRAMES (PAGE_SIZE_2M / FRAME_SIZE)
#define FRAME_TENANT_MAX   1024 /* chunks held at most (2 GiB) */

struct frame_tenant {
	u64 hpa; /* 2 MiB-aligned */
	bool movable;
};

struct frame_tenants {
	struct frame_tenant c[FRAME_TENANT_MAX];
	unsigned count;
	bool capped; /* more chunks qualified than FRAME_TENANT_MAX */
};

/* Holds free 2 MiB-aligned chunks for other tenants: with seed 0 every chunk whose index
 * (hPA / 2 MiB) is N - 1 modulo every, else each chunk with probability 1 / every from a
 * xorshift generator seeded with seed. every >= 2. Returns the count held. */
unsigned frame_fragment(struct frame_alloc *fa, struct frame_tenants *t, u64 every, u64 seed,
                        bool movable);
/* The tenant chunk holding hpa, or NULL. */
struct frame_tenant *frame_tenant_at(struct frame_tenants *t, u64 hpa);
/* Records that the chunk at old_hpa now lives at new_hpa (keeps the list sorted). */
void frame_tenant_moved(struct frame_tenants *t, struct frame_tenant *c, u64 new_hpa);
/* Used frames in [pa, pa + nframes frames) (pa frame-aligned); frames outside the bitmap count
 * as used. */
u64 frame_count_used_in(const struct frame_alloc *fa, u64 pa, u64 nframes);
/* Whether the frame at pa is free. */
bool frame_is_free(const struct frame_alloc *fa, u64 pa);

#endif
