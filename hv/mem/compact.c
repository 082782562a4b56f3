#include "hv/mem/compact.h"

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define CHUNK_BYTES  PAGE_SIZE_2M
#define CHUNK_FRAMES FRAME_CHUNK_FRAMES

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* Guest RAM must be one gPA range from 0 made of RAM regions only. */
static enum compact_err check_map(const struct gmap *g, u64 *bytes)
{
	u64 next = 0;

	if (gmap_escape_count(g))
		return COMPACT_ERR_ESCAPES;
	if (gmap_count(g) == 0)
		return COMPACT_ERR_NOT_LINEAR;
	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		if (r->type != GMAP_RAM || r->gpa != next)
			return COMPACT_ERR_NOT_LINEAR;
		next = gmap_region_end(r);
	}
	if (!is_aligned(next, CHUNK_BYTES))
		return COMPACT_ERR_SIZE;
	*bytes = next;
	return COMPACT_OK;
}

/* Guest frames (through regions) inside [pa, pa + len). */
static u64 guest_frames_in(const struct gmap *g, u64 pa, u64 len)
{
	u64 n = 0;

	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		u64 lo = r->hpa > pa ? r->hpa : pa;
		u64 hi = min_u64(r->hpa + r->size, pa + len);
		if (lo < hi)
			n += (hi - lo) / FRAME_SIZE;
	}
	return n;
}

/* Guest frames already at target + gPA. */
static u64 inplace_frames(const struct gmap *g, u64 target)
{
	u64 n = 0;

	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		if (r->hpa - r->gpa == target)
			n += r->size / FRAME_SIZE;
	}
	return n;
}

/* What one 2 MiB chunk of host memory holds. */
struct chunk_info {
	u64 used, movable, unmovable, tenant;
	bool all_free;
};

static struct chunk_info chunk_of(const struct frame_alloc *fa, const struct gmap *g,
                                  const struct frame_tenants *t, u64 pa)
{
	struct chunk_info c = {0};
	c.used = frame_count_used_in(fa, pa, CHUNK_FRAMES);
	c.all_free = c.used == 0;
	const struct frame_tenant *ten = frame_tenant_at((struct frame_tenants *)t, pa);
	if (ten && ten->movable)
		c.tenant = CHUNK_FRAMES;
	c.movable = guest_frames_in(g, pa, CHUNK_BYTES) + c.tenant;
	c.unmovable = c.used > c.movable ? c.used - c.movable : 0;
	return c;
}

static bool add_move(struct compact_plan *p, enum compact_move_kind kind, u64 gpa, u64 hpa,
                     u64 frames)
{
	if (kind == COMPACT_FILL && p->nmoves) {
		struct compact_move *last = &p->moves[p->nmoves - 1];
		if (last->kind == COMPACT_FILL && last->gpa + last->frames * FRAME_SIZE == gpa) {
			last->frames += frames;
			return true;
		}
	}
	if (p->nmoves == COMPACT_MAX_MOVES)
		return false;
	p->moves[p->nmoves++] = (struct compact_move){kind, gpa, hpa, frames};
	return true;
}

/* The moves for target T: tenants out, guest frames out of place out, then every guest frame
 * not in place in. */
static enum compact_err list_moves(const struct gmap *g, const struct frame_tenants *t,
                                   struct compact_plan *p)
{
	const u64 T = p->target_hpa, len = p->frames * FRAME_SIZE;

	for (unsigned i = 0; i < t->count; i++)
		if (t->c[i].movable && t->c[i].hpa >= T && t->c[i].hpa < T + len)
			if (!add_move(p, COMPACT_EVICT_TENANT, 0, t->c[i].hpa, CHUNK_FRAMES))
				return COMPACT_ERR_TOO_MANY_MOVES;
	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		u64 lo = r->hpa > T ? r->hpa : T, hi = min_u64(r->hpa + r->size, T + len);
		if (r->hpa - r->gpa == T || lo >= hi)
			continue;
		if (!add_move(p, COMPACT_EVICT_GUEST, r->gpa + (lo - r->hpa), lo,
		              (hi - lo) / FRAME_SIZE))
			return COMPACT_ERR_TOO_MANY_MOVES;
	}
	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		if (r->hpa - r->gpa != T &&
		    !add_move(p, COMPACT_FILL, r->gpa, 0, r->size / FRAME_SIZE))
			return COMPACT_ERR_TOO_MANY_MOVES;
	}
	return COMPACT_OK;
}

enum compact_err compact_plan(const struct frame_alloc *fa, const struct gmap *g,
                              const struct frame_tenants *t, struct compact_plan *p)
{
	u64 bytes = 0, hpa;

	memset(p, 0, sizeof(*p));
	enum compact_err err = check_map(g, &bytes);
	if (err)
		return err;
	p->frames = bytes / FRAME_SIZE;
	if (gmap_ram_contiguous(g, &hpa)) {
		p->target_hpa = hpa;
		return COMPACT_OK;
	}
	const u64 W = bytes / CHUNK_BYTES;

	/* Whole free chunks of the host, for the evicted tenants. */
	u64 free_chunks = 0;
	for (u64 pa = align_up(fa->base_pfn << FRAME_SHIFT, CHUNK_BYTES);
	     pa + CHUNK_BYTES <= (fa->base_pfn + fa->nbits) << FRAME_SHIFT; pa += CHUNK_BYTES)
		free_chunks += frame_count_used_in(fa, pa, CHUNK_FRAMES) == 0;

	bool found = false, any = false;
	u64 best_cost = 0;
	for (unsigned s = 0; s < fa->nowned; s++) {
		const u64 first = align_up(fa->owned[s].first_pfn << FRAME_SHIFT, CHUNK_BYTES);
		const u64 end = fa->owned[s].end_pfn << FRAME_SHIFT;
		if (first >= end || end - first < bytes)
			continue;
		/* Sliding sums over the W chunks of the window [T, T + bytes). */
		u64 used = 0, movable = 0, unmovable = 0, tenant = 0, guest = 0, whole_free = 0;
		for (u64 T = first, add = first; T + bytes <= end; T += CHUNK_BYTES) {
			for (; add < T + bytes; add += CHUNK_BYTES) {
				struct chunk_info c = chunk_of(fa, g, t, add);
				used += c.used, movable += c.movable, unmovable += c.unmovable;
				tenant += c.tenant, guest += c.movable - c.tenant;
				whole_free += c.all_free;
			}
			if (T > first) { /* the chunk that left the window */
				struct chunk_info c = chunk_of(fa, g, t, T - CHUNK_BYTES);
				used -= c.used, movable -= c.movable, unmovable -= c.unmovable;
				tenant -= c.tenant, guest -= c.movable - c.tenant;
				whole_free -= c.all_free;
			}
			p->candidates++;
			if (!any || unmovable < p->unmovable_frames)
				p->unmovable_frames = unmovable;
			any = true;
			if (unmovable) {
				p->blocked_unmovable++;
				continue;
			}
			const u64 inplace = inplace_frames(g, T);
			const u64 evict_guest = guest - inplace;
			const u64 free_outside = frame_count_free(fa) - (W * CHUNK_FRAMES - used);
			if (free_outside < tenant + evict_guest ||
			    free_chunks - whole_free < tenant / CHUNK_FRAMES) {
				p->blocked_memory++;
				continue;
			}
			const u64 cost = tenant + evict_guest + (p->frames - inplace);
			if (!found || cost < best_cost) {
				found = true;
				best_cost = cost;
				p->target_hpa = T;
				p->tenant_frames = tenant;
				p->guest_evict_frames = evict_guest;
				p->fill_frames = p->frames - inplace;
				p->frames_to_move = cost;
			}
		}
	}
	if (!found) {
		if (!any)
			return COMPACT_ERR_NO_CANDIDATE;
		return p->blocked_memory ? COMPACT_ERR_NO_MEMORY : COMPACT_ERR_UNMOVABLE;
	}
	p->unmovable_frames = 0;
	return list_moves(g, t, p);
}

void compact_start(struct compact_job *j, const struct compact_plan *p)
{
	memset(j, 0, sizeof(*j));
	j->plan = *p;
	j->phase = COMPACT_RESERVE;
	j->hash_before = j->hash_after = HASH_WORDS_INIT;
}

static bool in_target(const struct compact_job *j, u64 hpa)
{
	return hpa >= j->plan.target_hpa && hpa - j->plan.target_hpa < j->plan.frames * FRAME_SIZE;
}

/* Claims every free frame of the target, so no allocation lands there. */
static void reserve(struct compact_job *j, struct frame_alloc *fa)
{
	const u64 T = j->plan.target_hpa;
	u64 run = 0, start = 0;

	for (u64 i = 0; i <= j->plan.frames; i++) {
		const u64 pa = T + i * FRAME_SIZE;
		if (i < j->plan.frames && frame_is_free(fa, pa)) {
			if (run++ == 0)
				start = pa;
			continue;
		}
		if (run)
			frame_claim(fa, start, run);
		run = 0;
	}
}

void compact_abort(struct compact_job *j, struct frame_alloc *fa, const struct gmap *g,
                   const struct frame_tenants *t)
{
	u64 gpa;

	if (j->phase == COMPACT_RESERVE)
		return;
	for (u64 i = 0; i < j->plan.frames; i++) {
		const u64 pa = j->plan.target_hpa + i * FRAME_SIZE;
		if (frame_is_free(fa, pa) || gmap_gpa_of_hpa(g, pa, &gpa) ||
		    frame_tenant_at((struct frame_tenants *)t, pa))
			continue;
		frame_free(fa, pa);
	}
	j->phase = COMPACT_DONE;
}

/* Hashes up to budget pages from j->hash_gpa; true when all RAM is hashed. */
static bool hash_some(struct compact_job *j, const struct gmap *g, u64 *h, u64 *budget)
{
	const u64 top = j->plan.frames * FRAME_SIZE;
	u64 hpa;

	while (*budget && j->hash_gpa < top) {
		if (!gmap_lookup(g, j->hash_gpa, &hpa))
			return true; /* cannot happen: check_map saw RAM up to top */
		*h = hash_words(*h, phys_to_virt(hpa), FRAME_SIZE / sizeof(u64));
		j->hash_gpa += FRAME_SIZE;
		(*budget)--;
	}
	return j->hash_gpa >= top;
}

static void copy_frames(u64 dst, u64 src, u64 n)
{
	memcpy(phys_to_virt(dst), phys_to_virt(src), n * FRAME_SIZE);
}

/* Part of one move, at most *budget frames of it. */
static enum compact_err move_some(struct compact_job *j, struct frame_alloc *fa, struct gmap *g,
                                  struct frame_tenants *t, u64 *budget)
{
	const struct compact_move *m = &j->plan.moves[j->move];
	const u64 T = j->plan.target_hpa;
	u64 n = min_u64(m->frames - j->move_done, *budget);
	const u64 gpa = m->gpa + j->move_done * FRAME_SIZE;
	u64 src = 0, dst = 0;

	switch (m->kind) {
	case COMPACT_EVICT_TENANT: {
		struct frame_tenant *c = frame_tenant_at(t, m->hpa);
		if (!c || c->hpa != m->hpa || !c->movable)
			return COMPACT_ERR_STATE;
		if (frame_alloc_run(fa, CHUNK_FRAMES, CHUNK_BYTES, &dst) != FRAME_OK)
			return COMPACT_ERR_ALLOC;
		copy_frames(dst, m->hpa, CHUNK_FRAMES);
		frame_tenant_moved(t, c, dst); /* the old chunk stays claimed: it is the target's */
		n = CHUNK_FRAMES;
		j->tenant_moved += n;
		break;
	}
	case COMPACT_EVICT_GUEST: {
		const struct gmap_region *r = gmap_lookup(g, gpa, &src);
		if (!r || src != m->hpa + j->move_done * FRAME_SIZE)
			return COMPACT_ERR_STATE;
		n = min_u64(n, (gmap_region_end(r) - gpa) / FRAME_SIZE);
		if (frame_alloc_run(fa, n, FRAME_SIZE, &dst) != FRAME_OK) {
			n = min_u64(n, frame_largest_free_run_at(fa, FRAME_SIZE, &dst));
			if (n == 0 || frame_claim(fa, dst, n) != FRAME_OK)
				return COMPACT_ERR_ALLOC;
		}
		copy_frames(dst, src, n);
		if (gmap_remap(g, gpa, n * FRAME_SIZE, dst) != GMAP_OK) {
			frame_free_run(fa, dst, n);
			return COMPACT_ERR_REGIONS;
		}
		break;
	}
	case COMPACT_FILL: {
		const struct gmap_region *r = gmap_lookup(g, gpa, &src);
		if (!r)
			return COMPACT_ERR_STATE;
		n = min_u64(n, (gmap_region_end(r) - gpa) / FRAME_SIZE);
		if (src == T + gpa) /* already in place */
			break;
		if (in_target(j, src))
			return COMPACT_ERR_STATE;
		copy_frames(T + gpa, src, n);
		if (gmap_remap(g, gpa, n * FRAME_SIZE, T + gpa) != GMAP_OK)
			return COMPACT_ERR_REGIONS;
		frame_free_run(fa, src, n);
		break;
	}
	}
	if (m->kind != COMPACT_FILL || src != T + gpa)
		j->frames_moved += n;
	j->move_done += n;
	*budget = *budget > n ? *budget - n : 0;
	if (j->move_done >= m->frames) {
		j->move++;
		j->move_done = 0;
	}
	return COMPACT_OK;
}

static bool stop(struct compact_job *j, struct frame_alloc *fa, const struct gmap *g,
                 const struct frame_tenants *t, enum compact_err err)
{
	j->err = err;
	compact_abort(j, fa, g, t);
	return true;
}

bool compact_step(struct compact_job *j, struct frame_alloc *fa, struct gmap *g,
                  struct frame_tenants *t, u64 budget, bool *moved)
{
	u64 hpa;

	*moved = false;
	if (budget == 0)
		budget = 1;
	j->steps++;
	while (budget) {
		switch (j->phase) {
		case COMPACT_RESERVE:
			reserve(j, fa);
			j->phase = COMPACT_HASH_BEFORE;
			break;
		case COMPACT_HASH_BEFORE:
			if (hash_some(j, g, &j->hash_before, &budget)) {
				j->phase = COMPACT_MOVE;
				j->hash_gpa = 0;
			}
			break;
		case COMPACT_MOVE:
			if (j->move == j->plan.nmoves) {
				if (!gmap_ram_contiguous(g, &hpa) || hpa != j->plan.target_hpa)
					return stop(j, fa, g, t, COMPACT_ERR_STATE);
				j->phase = COMPACT_HASH_AFTER;
				break;
			}
			enum compact_err err = move_some(j, fa, g, t, &budget);
			*moved = true;
			if (err)
				return stop(j, fa, g, t, err);
			break;
		case COMPACT_HASH_AFTER:
			if (hash_some(j, g, &j->hash_after, &budget)) {
				j->phase = COMPACT_DONE;
				return true;
			}
			break;
		case COMPACT_DONE:
			return true;
		}
	}
	return j->phase == COMPACT_DONE;
}

u64 compact_hash_ram(const struct gmap *g)
{
	u64 h = HASH_WORDS_INIT, hpa;

	for (unsigned i = 0; i < gmap_count(g); i++) {
		const struct gmap_region *r = gmap_get(g, i);
		for (u64 gpa = r->gpa; gpa < gmap_region_end(r); gpa += FRAME_SIZE) {
			gmap_lookup(g, gpa, &hpa);
			h = hash_words(h, phys_to_virt(hpa), FRAME_SIZE / sizeof(u64));
		}
	}
	return h;
}

const char *compact_strerror(enum compact_err err)
{
	static const char *const names[] = {
	    [COMPACT_OK] = "ok",
	    [COMPACT_ERR_NOT_LINEAR] = "guest RAM is not one gPA range from 0",
	    [COMPACT_ERR_SIZE] = "guest RAM is not a multiple of 2 MiB",
	    [COMPACT_ERR_ESCAPES] = "guest RAM has escaped pages, whose bad frames cannot move",
	    [COMPACT_ERR_NO_CANDIDATE] = "no usable host run is as large as guest RAM",
	    [COMPACT_ERR_UNMOVABLE] = "unmovable frames in every candidate run",
	    [COMPACT_ERR_NO_MEMORY] = "too little free memory to move the frames in the way",
	    [COMPACT_ERR_TOO_MANY_MOVES] = "the best candidate needs more moves than a plan holds",
	    [COMPACT_ERR_ALLOC] = "no free frame for an eviction",
	    [COMPACT_ERR_REGIONS] = "the guest memory map ran out of regions",
	    [COMPACT_ERR_STATE] = "a frame was not where the plan left it",
	};
	return NAME_IN(names, err, "unknown compaction error");
}
