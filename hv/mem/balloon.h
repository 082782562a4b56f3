/* Self-ballooning with hot-add (DESIGN.md "Memory management"): the guest hands back pages of
 * its RAM by list (lib/hvcall.h, HC_BALLOON_OUT); each entry is validated, the pages are taken out
 * of the guest memory map and their host frames freed; the same amount is later hot-added as one
 * new contiguous gPA range on a host run of its own (HC_HOTADD), where the guest builds its
 * segment, or taken back at the gPAs it left (HC_BALLOON_IN). Works on the memory map and the
 * frame allocator only: the caller regenerates the nested table after a change. Every call that
 * fails changes nothing and names the first bad entry. */
#ifndef HV_MEM_BALLOON_H
#define HV_MEM_BALLOON_H

#include "hv/mem/frame.h"
#include "hv/mem/gmap.h"
#include "lib/hvcall.h"
#include "lib/types.h"

#define BALLOON_MAX_ENTRIES HC_BALLOON_MAX

enum balloon_err {
	BALLOON_OK = 0,
	BALLOON_ERR_EMPTY,        /* a list of no entries */
	BALLOON_ERR_TOO_MANY,     /* more than BALLOON_MAX_ENTRIES entries */
	BALLOON_ERR_UNALIGNED,    /* an entry with stray low bits, or a 2 MiB page off 2 MiB */
	BALLOON_ERR_OUT_OF_MAP,   /* a page not in guest RAM (out: all of it must be RAM) */
	BALLOON_ERR_DUPLICATE,    /* a page named twice, by two entries */
	BALLOON_ERR_IN_SEGMENT,   /* a page inside the declared guest segment */
	BALLOON_ERR_ESCAPED,      /* a page with an alternate frame (escaped, shared, swapped) */
	BALLOON_ERR_REGIONS_FULL, /* the memory map has no region slot for the cut */
	BALLOON_ERR_IN_MAP,       /* in: the page is RAM already */
	BALLOON_ERR_RESERVED,   /* in: the page lies in a range that is never RAM (the I/O hole) */
	BALLOON_ERR_NO_PENDING, /* more pages than were returned and not yet hot-added */
	BALLOON_ERR_NO_MEMORY,  /* no host frames for it */
	BALLOON_ERR_GPA_LIMIT,  /* hot-add would pass the 48-bit guest-physical space */
};

/* A gPA range [lo, hi); lo == hi is none. */
struct balloon_range {
	u64 lo, hi;
};

struct balloon {
	u64 returned;   /* pages ballooned out, in all */
	u64 pending;    /* returned and neither hot-added nor taken back */
	u64 hotadded;   /* pages hot-added, in all */
	u64 taken_back; /* pages taken back, in all */
	unsigned hotadds;
	struct hv_mem_range last; /* the last hot-added range */
	u64 last_hpa;
};

void balloon_init(struct balloon *b);

/* Checks a list for HC_BALLOON_OUT: entries in order of the checks: count, alignment, each page
 * RAM and not escaped, duplicates, the guest segment (seg, gPA). *bad (may be NULL) gets the index
 * of the entry at fault. */
enum balloon_err balloon_check_out(const struct gmap *g, const u64 *ent, unsigned n,
                                   struct balloon_range seg, unsigned *bad);
/* Checks, then unmaps and frees every page; *pages = 4 KiB pages freed. */
enum balloon_err balloon_out(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                             const u64 *ent, unsigned n, struct balloon_range seg, u64 *pages,
                             unsigned *bad);
/* Takes pages back at gPAs that are not RAM, below the top of RAM and outside reserved, out of
 * the pending pages: fresh zeroed frames, one host run per entry. */
enum balloon_err balloon_in(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                            const u64 *ent, unsigned n, struct balloon_range reserved, u64 *pages,
                            unsigned *bad);
/* Hot-adds the pending pages as one range at the first 2 MiB-aligned gPA at or above both the
 * top of RAM and min_gpa, on one zeroed host run: the host frames right after those of the region
 * at the top when the range starts where that region ends and they are free (the two then make
 * one region, contiguous in gPA and hPA), else a run 2 MiB-aligned where one is free. */
enum balloon_err balloon_hotadd(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                                u64 min_gpa, struct hv_mem_range *out, u64 *hpa);

/* The same in steps of bounded work (README "Bounded work per exit"): begin claims the host run
 * and changes neither the map nor the balloon; each zero step zeroes at most max_bytes more of it
 * (true when all of it is zero); commit puts it into the map and the balloon's counts (on
 * BALLOON_ERR_REGIONS_FULL the frames go back); abort gives the frames back with nothing
 * changed. A job is active from begin to commit or abort. */
struct balloon_hotadd_job {
	u64 gpa, bytes, hpa;
	u64 zeroed; /* bytes from hpa on */
	u64 steps;  /* zero steps done */
	bool active;
};
enum balloon_err balloon_hotadd_begin(const struct balloon *b, const struct gmap *g,
                                      struct frame_alloc *fa, u64 min_gpa,
                                      struct balloon_hotadd_job *j);
bool balloon_hotadd_zero(struct balloon_hotadd_job *j, u64 max_bytes);
enum balloon_err balloon_hotadd_commit(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                                       struct balloon_hotadd_job *j, struct hv_mem_range *out);
void balloon_hotadd_abort(struct frame_alloc *fa, struct balloon_hotadd_job *j);

/* The entry's gPA and size. */
static inline u64 balloon_entry_gpa(u64 e)
{
	return e & ~HC_BALLOON_FLAGS;
}
static inline u64 balloon_entry_bytes(u64 e)
{
	return (e & HC_BALLOON_2M) ? PAGE_SIZE_2M : PAGE_SIZE_4K;
}

const char *balloon_strerror(enum balloon_err err);
/* The HC_E* status the guest gets for it. */
s64 balloon_hc_status(enum balloon_err err);

#endif
