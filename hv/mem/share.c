/* Page sharing with copy on write (share.h). */
#include "hv/mem/share.h"

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define PAGE_WORDS (PAGE_SIZE_4K / sizeof(u64))
#define CAND_MASK  (SHARE_CAND_SLOTS - 1)
/* Candidates kept at most, so that a probe always meets an empty slot. */
#define CAND_LIMIT (SHARE_CAND_SLOTS * 3 / 4)

_Static_assert((SHARE_CAND_SLOTS & CAND_MASK) == 0, "SHARE_CAND_SLOTS is a power of 2");

void share_init(struct share *s)
{
	memset(s, 0, sizeof(*s));
}

/* Index of the first entry with gfn >= the one given. */
static unsigned lower_bound(const struct share *s, u64 gfn)
{
	unsigned lo = 0, hi = s->count;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (s->p[mid].gfn < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct share_page *find(struct share *s, u64 gfn)
{
	unsigned i = lower_bound(s, gfn);
	return i < s->count && s->p[i].gfn == gfn ? &s->p[i] : NULL;
}

bool share_frame_of(const struct share *s, u64 gfn, u64 *frame)
{
	unsigned i = lower_bound(s, gfn);
	if (i == s->count || s->p[i].gfn != gfn)
		return false;
	if (frame)
		*frame = s->p[i].frame;
	return true;
}

static void insert(struct share *s, u64 gfn, u64 frame)
{
	unsigned i = lower_bound(s, gfn);
	memmove(&s->p[i + 1], &s->p[i], (s->count - i) * sizeof(s->p[0]));
	s->p[i] = (struct share_page){gfn, frame};
	s->count++;
}

static void remove_gfn(struct share *s, u64 gfn)
{
	unsigned i = lower_bound(s, gfn);
	if (i == s->count || s->p[i].gfn != gfn)
		return;
	memmove(&s->p[i], &s->p[i + 1], (s->count - i - 1) * sizeof(s->p[0]));
	s->count--;
}

static unsigned readers_of(const struct share *s, u64 frame)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->count; i++)
		n += s->p[i].frame == frame;
	return n;
}

u64 share_frames_in_use(const struct share *s)
{
	u64 n = 0;
	for (unsigned i = 0; i < s->count; i++) {
		bool seen = false;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = s->p[j].frame == s->p[i].frame;
		n += !seen;
	}
	return n;
}

enum share_err vmmpage_map(const struct vmmpage_env *env, u64 gpa, u64 hpa, bool writable)
{
	const struct gmap_region *r = gmap_lookup(env->g, gpa, NULL);
	if (!r)
		return SHARE_ERR_RANGE;
	const unsigned perms = writable ? r->perms : r->perms & ~GMAP_PERM_W;
	u64 added = 0;
	enum nested_err err =
	    nested_set_leaf_4k(env->fmt, env->root, gpa, hpa, perms, env->na, &added);
	if (env->table_pages)
		*env->table_pages += added;
	return err == NESTED_OK ? SHARE_OK : SHARE_ERR_NESTED;
}

enum share_err vmmpage_own_frame(const struct vmmpage_env *env, u64 gpa, u64 *hpa, bool *escaped)
{
	u64 mine, fresh;
	if (!gmap_lookup(env->g, gpa, &mine))
		return SHARE_ERR_RANGE;
	mine = align_down(mine, PAGE_SIZE_4K);
	*escaped = false;
	if (frame_claim(env->fa, mine, 1) == FRAME_OK) {
		*hpa = mine;
		return SHARE_OK;
	}
	if (frame_alloc(env->fa, &fresh) != FRAME_OK)
		return SHARE_ERR_NO_MEMORY;
	if (gmap_escape_page(env->g, align_down(gpa, PAGE_SIZE_4K), fresh) != GMAP_OK) {
		frame_free(env->fa, fresh);
		return SHARE_ERR_ESCAPES;
	}
	*escaped = true;
	*hpa = fresh;
	return SHARE_OK;
}

enum share_err share_scan_begin(struct share *s, const struct gmap *g, u64 gpa, u64 bytes)
{
	if (s->scanning)
		return SHARE_ERR_BUSY;
	if (bytes == 0 || !is_aligned(gpa | bytes, PAGE_SIZE_4K) ||
	    gmap_check_range(g, gpa, bytes, bytes, false) != GMAP_OK)
		return SHARE_ERR_RANGE;
	memset(s->cand, 0, sizeof(s->cand));
	s->ncand = 0;
	s->scan_next = gpa;
	s->scan_end = gpa + bytes;
	s->scanning = true;
	return SHARE_OK;
}

/* The frame whose contents a page shows now. */
static u64 contents_frame(const struct share *s, const struct gmap *g, u64 gfn)
{
	u64 hpa = 0;
	if (!share_frame_of(s, gfn, &hpa))
		gmap_lookup(g, gfn << GMAP_PAGE_SHIFT, &hpa);
	return hpa;
}

/* Page (gfn, hpa) has the contents of candidate c: both read c's frame, read-only. */
static enum share_err merge(struct share *s, const struct vmmpage_env *env, u64 gfn, u64 hpa,
                            u64 cgfn)
{
	u64 cframe = 0;
	const bool cshared = share_frame_of(s, cgfn, &cframe);
	if (s->count + (cshared ? 1 : 2) > SHARE_MAX_PAGES) {
		s->full++;
		return SHARE_OK;
	}
	if (!cshared) {
		gmap_lookup(env->g, cgfn << GMAP_PAGE_SHIFT, &cframe);
		enum share_err err = vmmpage_map(env, cgfn << GMAP_PAGE_SHIFT, cframe, false);
		if (err != SHARE_OK)
			return err;
		insert(s, cgfn, cframe);
	}
	enum share_err err = vmmpage_map(env, gfn << GMAP_PAGE_SHIFT, cframe, false);
	if (err != SHARE_OK)
		return err;
	insert(s, gfn, cframe);
	frame_free(env->fa, hpa);
	s->frames_freed++;
	s->pages_merged++;
	return SHARE_OK;
}

/* Whether a candidate can still take part: in the map, not escaped, not skipped. */
static bool usable(const struct vmmpage_env *env, bool (*skip)(const void *, u64), const void *ctx,
                   u64 gfn)
{
	const u64 gpa = gfn << GMAP_PAGE_SHIFT;
	return gmap_lookup(env->g, gpa, NULL) && !gmap_is_escaped(env->g, gpa, NULL) &&
	       !(skip && skip(ctx, gfn));
}

static enum share_err scan_page(struct share *s, const struct vmmpage_env *env,
                                bool (*skip)(const void *, u64), const void *ctx, u64 gpa)
{
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	u64 hpa;
	s->pages_scanned++;
	if (!usable(env, skip, ctx, gfn))
		return SHARE_OK;
	/* A page shared already (by an earlier scan) is a candidate only: its group stays. */
	const bool shared = share_frame_of(s, gfn, &hpa);
	if (!shared)
		gmap_lookup(env->g, gpa, &hpa);
	const void *page = phys_to_virt(hpa);
	const u64 h = hash_words(HASH_WORDS_INIT, page, PAGE_WORDS);
	unsigned slot = (unsigned)(hash_mix64(h) & CAND_MASK);
	for (; s->cand[slot].gfn; slot = (slot + 1) & CAND_MASK) {
		const struct share_cand *c = &s->cand[slot];
		if (c->hash != h)
			continue;
		const u64 cgfn = c->gfn - 1;
		if (!usable(env, skip, ctx, cgfn))
			continue;
		if (memcmp(phys_to_virt(contents_frame(s, env->g, cgfn)), page, PAGE_SIZE_4K)) {
			s->hash_collisions++;
			continue;
		}
		return shared ? SHARE_OK : merge(s, env, gfn, hpa, cgfn);
	}
	if (s->ncand >= CAND_LIMIT) {
		s->full++;
		return SHARE_OK;
	}
	s->cand[slot] = (struct share_cand){h, gfn + 1};
	s->ncand++;
	return SHARE_OK;
}

enum share_err share_scan_step(struct share *s, const struct vmmpage_env *env,
                               bool (*skip)(const void *ctx, u64 gfn), const void *ctx, bool *done)
{
	if (!s->scanning)
		return SHARE_ERR_IDLE;
	for (unsigned n = 0; n < SHARE_STEP_PAGES && s->scan_next < s->scan_end; n++) {
		enum share_err err = scan_page(s, env, skip, ctx, s->scan_next);
		s->scan_next += PAGE_SIZE_4K;
		if (err != SHARE_OK) {
			s->scanning = false;
			return err;
		}
	}
	*done = s->scan_next >= s->scan_end;
	if (*done)
		s->scanning = false;
	return SHARE_OK;
}

/* The owner of frame G (the page whose map frame is G) writes: the other readers move to a copy
 * of G, and the owner keeps G, writable. */
static enum share_err cow_owner(struct share *s, const struct vmmpage_env *env, u64 gfn, u64 g)
{
	if (readers_of(s, g) > 1) {
		u64 copy;
		if (frame_alloc(env->fa, &copy) != FRAME_OK)
			return SHARE_ERR_NO_MEMORY;
		memcpy(phys_to_virt(copy), phys_to_virt(g), PAGE_SIZE_4K);
		s->frames_copied++;
		for (unsigned i = 0; i < s->count; i++) {
			if (s->p[i].frame != g || s->p[i].gfn == gfn)
				continue;
			s->p[i].frame = copy;
			enum share_err err =
			    vmmpage_map(env, s->p[i].gfn << GMAP_PAGE_SHIFT, copy, false);
			if (err != SHARE_OK)
				return err;
		}
	}
	enum share_err err = vmmpage_map(env, gfn << GMAP_PAGE_SHIFT, g, true);
	if (err != SHARE_OK)
		return err;
	remove_gfn(s, gfn);
	s->reclaimed++;
	return SHARE_OK;
}

enum share_err share_cow(struct share *s, const struct vmmpage_env *env, u64 gpa)
{
	gpa = align_down(gpa, PAGE_SIZE_4K);
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	struct share_page *p = find(s, gfn);
	u64 mine;
	if (!p)
		return SHARE_ERR_NOT_SHARED;
	if (!gmap_lookup(env->g, gpa, &mine))
		return SHARE_ERR_RANGE;
	const u64 g = p->frame;
	enum share_err err;
	if (mine == g) {
		err = cow_owner(s, env, gfn, g);
		if (err == SHARE_OK)
			s->cow_faults++;
		return err;
	}
	u64 own;
	bool escaped;
	err = vmmpage_own_frame(env, gpa, &own, &escaped);
	if (err != SHARE_OK)
		return err;
	memcpy(phys_to_virt(own), phys_to_virt(g), PAGE_SIZE_4K);
	err = vmmpage_map(env, gpa, own, true);
	if (err != SHARE_OK) {
		if (escaped)
			gmap_unescape_page(env->g, gpa);
		frame_free(env->fa, own);
		return err;
	}
	remove_gfn(s, gfn);
	s->cow_faults++;
	if (escaped)
		s->cow_escapes++;
	else
		s->reclaimed++;
	const unsigned left = readers_of(s, g);
	if (left == 0) {
		frame_free(env->fa, g);
		return SHARE_OK;
	}
	if (left == 1) {
		/* The one reader left that owns G needs no sharing any more. */
		for (unsigned i = 0; i < s->count; i++) {
			u64 its;
			const u64 other = s->p[i].gfn << GMAP_PAGE_SHIFT;
			if (s->p[i].frame != g || !gmap_lookup(env->g, other, &its) || its != g)
				continue;
			err = vmmpage_map(env, other, g, true);
			if (err == SHARE_OK)
				remove_gfn(s, s->p[i].gfn);
			return err;
		}
	}
	return SHARE_OK;
}

enum share_err share_unshare_all(struct share *s, const struct vmmpage_env *env)
{
	s->scanning = false;
	while (s->count) {
		enum share_err err = share_cow(s, env, s->p[s->count - 1].gfn << GMAP_PAGE_SHIFT);
		if (err != SHARE_OK)
			return err;
	}
	return SHARE_OK;
}

enum share_err share_apply(const struct share *s, const struct vmmpage_env *env)
{
	for (unsigned i = 0; i < s->count; i++) {
		enum share_err err =
		    vmmpage_map(env, s->p[i].gfn << GMAP_PAGE_SHIFT, s->p[i].frame, false);
		if (err != SHARE_OK)
			return err;
	}
	return SHARE_OK;
}

static const char *const share_err_names[] = {
    [SHARE_OK] = "ok",
    [SHARE_ERR_RANGE] = "range empty, unaligned or not guest RAM throughout",
    [SHARE_ERR_BUSY] = "a scan is under way",
    [SHARE_ERR_IDLE] = "no scan under way",
    [SHARE_ERR_NOT_SHARED] = "page not shared",
    [SHARE_ERR_NO_MEMORY] = "no host frame for the copy",
    [SHARE_ERR_ESCAPES] = "page's frame taken and the escape list is full",
    [SHARE_ERR_NESTED] = "nested table could not be changed",
};

const char *share_strerror(enum share_err err)
{
	return NAME_IN(share_err_names, err, "unknown share error");
}
