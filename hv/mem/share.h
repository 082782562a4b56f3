/* Page sharing (DESIGN.md "Memory management", the tradeoffs table): the hypervisor scans guest
 * RAM in bounded steps, finds identical 4 KiB pages (a hash of the contents, then a full compare),
 * maps every copy to one host frame read-only in the nested table (4 KiB leaves) and frees the
 * duplicates' frames. A guest write to a shared page faults (EPT violation / nested page fault)
 * and share_cow() gives the page a frame of its own again, writable: copy on write.
 *
 * The guest memory map stays the truth of where a page lives when it is not shared: a shared page
 * is recorded here with the frame it reads, and its map entry names the frame it returns to. When
 * that frame has been taken by someone else meanwhile, the page gets a fresh frame as an escape in
 * the map (gmap_escape_page). The hypervisor's own accesses to guest memory must first take a page
 * out of sharing (share_cow) for a write, or read it through share_frame_of().
 *
 * Every call that fails changes nothing, except that the nested table may keep a leaf split to
 * 4 KiB. The caller invalidates the nested TLBs after a call that changed a leaf. */
#ifndef HV_SHARE_H
#define HV_SHARE_H

#include "hv/mem/frame.h"
#include "hv/mem/gmap.h"
#include "hv/mem/nested.h"
#include "lib/types.h"

#define SHARE_MAX_PAGES  1024 /* guest pages sharing a frame at a time */
#define SHARE_CAND_SLOTS 2048 /* distinct contents remembered by one scan (a power of 2) */
#define SHARE_STEP_PAGES 64   /* pages hashed by one scan step (bounded work per exit) */

/* What sharing and swapping act on: the VM's memory map, frames and nested table. */
struct vmmpage_env {
	struct gmap *g;
	struct frame_alloc *fa;
	enum nested_format fmt;
	u64 root;                      /* the nested table (root hPA) */
	const struct nested_alloc *na; /* for table pages that splitting a leaf needs */
	u64 *table_pages;              /* incremented by the pages splitting took; may be NULL */
};

enum share_err {
	SHARE_OK = 0,
	SHARE_ERR_RANGE,      /* scan range empty, unaligned or not all RAM */
	SHARE_ERR_BUSY,       /* a scan is under way (share_scan_begin) */
	SHARE_ERR_IDLE,       /* no scan under way (share_scan_step) */
	SHARE_ERR_NOT_SHARED, /* share_cow() of a page that is not shared */
	SHARE_ERR_NO_MEMORY,  /* no frame for the copy */
	SHARE_ERR_ESCAPES,    /* the page's frame is gone and the map has no escape slot left */
	SHARE_ERR_NESTED,     /* the nested table could not be changed */
};

struct share_page {
	u64 gfn;   /* guest page number */
	u64 frame; /* hPA of the frame it reads */
};

struct share_cand {
	u64 hash;
	u64 gfn; /* 0 with hash 0: empty slot; gfn + 1 is stored */
};

struct share {
	struct share_page p[SHARE_MAX_PAGES]; /* sorted by gfn */
	unsigned count;
	struct share_cand cand[SHARE_CAND_SLOTS]; /* the current scan's open-addressed table */
	unsigned ncand;
	bool scanning;
	u64 scan_next, scan_end; /* gPAs */
	/* Counters, since creation (pages are 4 KiB). */
	u64 pages_scanned;
	u64 pages_merged;    /* pages mapped onto another page's frame */
	u64 frames_freed;    /* duplicate frames given back to the allocator */
	u64 cow_faults;      /* share_cow() calls served */
	u64 frames_copied;   /* frames allocated for a copy on write */
	u64 reclaimed;       /* pages that got their own frame back */
	u64 cow_escapes;     /* pages that got a fresh frame as an escape in the map */
	u64 hash_collisions; /* equal hash, different contents */
	u64 full;            /* duplicates left unshared: SHARE_MAX_PAGES or the table full */
};

void share_init(struct share *s);
/* Starts a scan of [gpa, gpa + bytes) (4 KiB-aligned, RAM throughout, no gPA hole). */
enum share_err share_scan_begin(struct share *s, const struct gmap *g, u64 gpa, u64 bytes);
/* Hashes at most SHARE_STEP_PAGES pages, merging the identical ones; *done true at the end. A
 * page is skipped when skip(ctx, gfn) says so (swapped out, say), or is escaped in the map. */
enum share_err share_scan_step(struct share *s, const struct vmmpage_env *env,
                               bool (*skip)(const void *ctx, u64 gfn), const void *ctx, bool *done);
/* Copy on write of the shared page at gpa: it gets a frame of its own (its map frame back, else
 * an escape), writable; the frame it leaves is freed when no page reads it any more. */
enum share_err share_cow(struct share *s, const struct vmmpage_env *env, u64 gpa);
/* Ends every sharing (share_cow of each page): 0 pages shared after. */
enum share_err share_unshare_all(struct share *s, const struct vmmpage_env *env);
/* Re-applies the read-only leaves after the nested table was rebuilt from the map. */
enum share_err share_apply(const struct share *s, const struct vmmpage_env *env);

/* The frame a shared page reads, or false when the page is not shared. */
bool share_frame_of(const struct share *s, u64 gfn, u64 *frame);
/* Frames that two or more guest pages read now. */
u64 share_frames_in_use(const struct share *s);
static inline unsigned share_count(const struct share *s)
{
	return s->count;
}
const char *share_strerror(enum share_err err);

/* The frame a page that leaves sharing or the swap store lives on: its frame in the map, claimed
 * back from the allocator, or, when someone else holds it, a fresh frame recorded as an escape in
 * the map. *escaped says which. */
enum share_err vmmpage_own_frame(const struct vmmpage_env *env, u64 gpa, u64 *hpa, bool *escaped);
/* Maps the 4 KiB page at gpa to hpa with the region's rights, or read-only. */
enum share_err vmmpage_map(const struct vmmpage_env *env, u64 gpa, u64 hpa, bool writable);

#endif
