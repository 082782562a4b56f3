/* VMM swapping (DESIGN.md "Memory management", the tradeoffs table): the hypervisor evicts guest
 * pages to a backing store of its own and marks them not present in the nested table; the
 * guest's next access faults (EPT violation / nested page fault) and swap_in() brings the page
 * back on a frame (its own frame in the memory map, or a fresh one as an escape), restores the
 * data and checks it against the hash taken at eviction.
 *
 * The store is host memory, not a disk: SWAP_STORE_PAGES frames taken from the frame allocator
 * at the first eviction and kept. It stands for the device a VMM would page to, so that the
 * mechanism (eviction, not-present entries, fault-in, data checked) is real while no host memory
 * is saved by it. The memory map keeps naming the frame a page returns to, as for sharing
 * (share.h); the hypervisor reads a swapped-out page through swap_slot_of(). */
#ifndef HV_SWAP_H
#define HV_SWAP_H

#include "hv/mem/share.h"

#define SWAP_STORE_PAGES 256 /* 1 MiB of backing store */
#define SWAP_MAX_BATCH   512 /* pages one swap_out() call may evict */

enum swap_err {
	SWAP_OK = 0,
	SWAP_ERR_RANGE,     /* not 4 KiB-aligned RAM throughout, or zero or too many pages */
	SWAP_ERR_FULL,      /* the store has no free slot */
	SWAP_ERR_NO_MEMORY, /* no frames for the store or for a page coming back */
	SWAP_ERR_NOT_OUT,   /* swap_in() of a page that is not swapped out */
	SWAP_ERR_CORRUPT,   /* the data read back does not hash as it did at eviction */
	SWAP_ERR_ESCAPES,   /* the page's frame is gone and the map has no escape slot left */
	SWAP_ERR_NESTED,    /* the nested table could not be changed */
};

struct swap_slot {
	u64 gfn; /* gfn + 1; 0: free */
	u64 hash;
};

struct swap {
	u64 store_hpa; /* SWAP_STORE_PAGES contiguous frames; 0 until the first eviction */
	struct swap_slot slot[SWAP_STORE_PAGES];
	unsigned used;
	/* Counters since creation (pages are 4 KiB). */
	u64 pages_out, pages_in;
	u64 bytes_out, bytes_in; /* copied to and from the store */
	u64 skipped;             /* pages swap_out() left in place: shared, escaped or out */
	u64 reclaimed, escapes;  /* pages back on their own frame / on a fresh one (escape) */
	u64 corrupt;             /* fault-ins whose data did not check */
};

void swap_init(struct swap *w);
/* Evicts the pages of [gpa, gpa + pages * 4 KiB) that are neither shared (per s), escaped in the
 * map nor already out; *evicted counts them. Stops at the first failure. */
enum swap_err swap_out(struct swap *w, const struct share *s, const struct vmmpage_env *env,
                       u64 gpa, u64 pages, u64 *evicted);
/* Brings the page at gpa back, writable, its data checked. */
enum swap_err swap_in(struct swap *w, const struct vmmpage_env *env, u64 gpa);
enum swap_err swap_in_all(struct swap *w, const struct vmmpage_env *env);
/* Re-marks the pages not present after the nested table was rebuilt from the map. */
enum swap_err swap_apply(const struct swap *w, const struct vmmpage_env *env);
/* The store frame holding a swapped-out page, or false. */
bool swap_slot_of(const struct swap *w, u64 gfn, u64 *hpa);
static inline bool swap_is_out(const struct swap *w, u64 gfn)
{
	return swap_slot_of(w, gfn, NULL);
}
static inline unsigned swap_count(const struct swap *w)
{
	return w->used;
}
static inline u64 swap_store_frames(const struct swap *w)
{
	return w->store_hpa ? SWAP_STORE_PAGES : 0;
}
const char *swap_strerror(enum swap_err err);

#endif
