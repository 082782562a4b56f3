/* Compaction (DESIGN.md, "Memory management"): makes scattered guest RAM one contiguous host
 * run, as a VMM segment needs. The planner is a pure function of the frame allocator's map, the
 * other tenants' chunks and the guest memory map: it picks a 2 MiB-aligned target run of
 * exactly guest-RAM size inside usable memory, holding no unmovable frame, that needs the fewest
 * frames moved, and lists the moves. The executor then works in bounded steps: it reserves the
 * target's free frames (so no allocation lands there), hashes all guest RAM in gPA order, evicts
 * what stands in the target (other tenants' movable chunks, guest frames out of place) to free
 * frames outside it, copies every guest frame not yet in place to target + gPA, updating the
 * guest memory map with each copy, and hashes guest RAM again. Between steps the guest memory map
 * is always the truth and every frame it names holds the guest's data, so the caller rebuilds
 * the nested table after every step that moved frames and the guest may run in between.
 * A frame in use that is neither guest RAM of this map nor a movable tenant chunk (hypervisor
 * tables, the allocator's bitmap, unmovable tenants) is unmovable. */
#ifndef HV_COMPACT_H
#define HV_COMPACT_H

#include "hv/mem/frame.h"
#include "hv/mem/gmap.h"
#include "lib/types.h"

/* Moves a plan may list: every tenant chunk of a 1 GiB target, and two per region. */
#define COMPACT_MAX_MOVES (PAGE_SIZE_1G / PAGE_SIZE_2M + 2 * GMAP_MAX_REGIONS)
/* Frames copied or hashed per executor step (4 MiB): the bound on one step's work. */
#define COMPACT_STEP_FRAMES 1024

enum compact_err {
	COMPACT_OK = 0,
	COMPACT_ERR_NOT_LINEAR,     /* guest RAM has a gPA hole, does not start at 0, or no RAM */
	COMPACT_ERR_SIZE,           /* guest RAM not a multiple of 2 MiB */
	COMPACT_ERR_ESCAPES,        /* the map has escaped pages (their bad frames cannot move) */
	COMPACT_ERR_NO_CANDIDATE,   /* no usable host run as large as guest RAM */
	COMPACT_ERR_UNMOVABLE,      /* unmovable frames in every candidate run */
	COMPACT_ERR_NO_MEMORY,      /* too little free memory outside every movable candidate */
	COMPACT_ERR_TOO_MANY_MOVES, /* the best candidate needs more than COMPACT_MAX_MOVES */
	COMPACT_ERR_ALLOC,          /* executor: no free frame for an eviction */
	COMPACT_ERR_REGIONS,        /* executor: the guest memory map ran out of regions */
	COMPACT_ERR_STATE,          /* executor: a frame was not where the plan left it */
};

enum compact_move_kind {
	COMPACT_EVICT_TENANT, /* a tenant chunk at hpa leaves the target for a free 2 MiB run */
	COMPACT_EVICT_GUEST,  /* guest frames [gpa, +frames) at hpa leave the target */
	COMPACT_FILL,         /* guest frames [gpa, +frames) go to target + gpa */
};

struct compact_move {
	enum compact_move_kind kind;
	u64 gpa;
	u64 hpa;
	u64 frames;
};

struct compact_plan {
	u64 target_hpa;
	u64 frames;             /* guest RAM in frames: the target's length */
	u64 tenant_frames;      /* tenant frames to evict */
	u64 guest_evict_frames; /* guest frames in the target but out of place */
	u64 fill_frames;        /* guest frames not at target + gPA */
	u64 frames_to_move;     /* copies: the three above */
	u64 candidates;         /* 2 MiB-aligned runs of usable memory considered */
	u64 blocked_unmovable;  /* of them, holding an unmovable frame */
	u64 blocked_memory;     /* of them, movable but without room outside for evictions */
	u64 unmovable_frames;   /* unmovable frames in the least-blocked candidate (0: one free) */
	struct compact_move moves[COMPACT_MAX_MOVES];
	unsigned nmoves;
};

/* Plans; on COMPACT_OK the plan's moves, done in order, leave guest RAM on
 * [target_hpa, target_hpa + frames). A map already on one run gives no moves. */
enum compact_err compact_plan(const struct frame_alloc *fa, const struct gmap *g,
                              const struct frame_tenants *t, struct compact_plan *p);

enum compact_phase {
	COMPACT_RESERVE,
	COMPACT_HASH_BEFORE,
	COMPACT_MOVE,
	COMPACT_HASH_AFTER,
	COMPACT_DONE,
};

struct compact_job {
	struct compact_plan plan;
	enum compact_phase phase;
	enum compact_err err; /* COMPACT_OK, or why the job stopped (then phase is DONE) */
	unsigned move;        /* the move under way */
	u64 move_done;        /* frames of it done */
	u64 hash_gpa;         /* the next gPA to hash */
	u64 hash_before, hash_after;
	u64 frames_moved; /* frames copied */
	u64 tenant_moved; /* of them, tenant frames */
	u64 steps;
};

/* Takes a plan (compact_plan() == COMPACT_OK) for execution. */
void compact_start(struct compact_job *j, const struct compact_plan *p);
/* One step of at most budget frames copied or hashed. Returns true when the job is over:
 * j->err then says whether guest RAM is on the target. *moved is set when the guest memory map
 * changed (the nested table must be rebuilt). A job that stops on an error has given the target
 * back: every frame the guest memory map or a tenant does not hold is free again. */
bool compact_step(struct compact_job *j, struct frame_alloc *fa, struct gmap *g,
                  struct frame_tenants *t, u64 budget, bool *moved);
/* Gives the target back after a job is abandoned between steps (see compact_step). */
void compact_abort(struct compact_job *j, struct frame_alloc *fa, const struct gmap *g,
                   const struct frame_tenants *t);

/* All guest RAM in gPA order, through the map (escapes honoured). */
u64 compact_hash_ram(const struct gmap *g);

const char *compact_strerror(enum compact_err err);

#endif
