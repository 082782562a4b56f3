#include "hv/mem/frame.h"

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define WORD_BITS     64
#define WORD_ALL_USED (~0ULL)

/* Bits [off, off + count) of a word, 0 < count <= WORD_BITS - off. */
static u64 word_mask(u64 off, u64 count)
{
	u64 low = count == WORD_BITS ? WORD_ALL_USED : BIT(count) - 1;
	return low << off;
}

/* Applies set (or clear) to bits [start, end), a word at a time. */
static void bits_assign(u64 *bm, u64 start, u64 end, bool set)
{
	while (start < end) {
		u64 off = start % WORD_BITS;
		u64 count = WORD_BITS - off;
		if (end - start < count)
			count = end - start;
		u64 mask = word_mask(off, count);
		if (set)
			bm[start / WORD_BITS] |= mask;
		else
			bm[start / WORD_BITS] &= ~mask;
		start += count;
	}
}

/* First bit in [start, end) equal to want (1 = used); words with nothing to find are skipped. */
static bool bits_find(const u64 *bm, u64 start, u64 end, bool want, u64 *pos)
{
	while (start < end) {
		u64 off = start % WORD_BITS;
		u64 count = WORD_BITS - off;
		if (end - start < count)
			count = end - start;
		u64 word = want ? bm[start / WORD_BITS] : ~bm[start / WORD_BITS];
		word &= word_mask(off, count);
		if (word) {
			*pos = start - off + (u64)__builtin_ctzll(word);
			return true;
		}
		start += count;
	}
	return false;
}

static u64 pfn_of(u64 pa)
{
	return pa >> FRAME_SHIFT;
}
static u64 pa_of(u64 pfn)
{
	return pfn << FRAME_SHIFT;
}

enum frame_err frame_init(struct frame_alloc *fa, const struct memmap *m)
{
	const struct memmap_range *r;

	memset(fa, 0, sizeof(*fa));
	if (!m->normalized)
		return FRAME_ERR_NOT_NORMALIZED;
	memmap_for_each (m, r) {
		if (r->type != MEMMAP_USABLE)
			continue;
		/* Normalized usable ranges are frame-aligned, sorted and never adjacent. */
		struct frame_span *s = &fa->owned[fa->nowned++];
		s->first_pfn = pfn_of(r->base);
		s->end_pfn = pfn_of(memmap_range_end(r));
		fa->total += s->end_pfn - s->first_pfn;
	}
	if (fa->nowned == 0)
		return FRAME_ERR_NO_MEMORY;

	fa->base_pfn = align_down(fa->owned[0].first_pfn, WORD_BITS);
	fa->nbits = fa->owned[fa->nowned - 1].end_pfn - fa->base_pfn;
	fa->nwords = (fa->nbits + WORD_BITS - 1) / WORD_BITS;
	fa->bitmap_frames = (fa->nwords * sizeof(u64) + FRAME_SIZE - 1) / FRAME_SIZE;

	/* Physical address 0 is a valid place: "found" is its own flag. */
	bool found = false;
	for (unsigned i = 0; i < fa->nowned && !found; i++) {
		if (fa->owned[i].end_pfn - fa->owned[i].first_pfn >= fa->bitmap_frames) {
			fa->bitmap_pa = pa_of(fa->owned[i].first_pfn);
			found = true;
		}
	}
	if (!found)
		return FRAME_ERR_NO_MEMORY;

	/* Start all used (holes and the tail past nbits stay so), then free the owned spans. */
	fa->bitmap = phys_to_virt(fa->bitmap_pa);
	memset(fa->bitmap, 0xff, fa->nwords * sizeof(u64));
	for (unsigned i = 0; i < fa->nowned; i++)
		bits_assign(fa->bitmap, fa->owned[i].first_pfn - fa->base_pfn,
		            fa->owned[i].end_pfn - fa->base_pfn, false);
	u64 bm_bit = pfn_of(fa->bitmap_pa) - fa->base_pfn;
	bits_assign(fa->bitmap, bm_bit, bm_bit + fa->bitmap_frames, true);
	fa->free = fa->total - fa->bitmap_frames;
	fa->hint_word = 0;
	return FRAME_OK;
}

enum frame_err frame_alloc(struct frame_alloc *fa, u64 *pa)
{
	u64 bit;

	if (!bits_find(fa->bitmap, fa->hint_word * WORD_BITS, fa->nbits, false, &bit))
		return FRAME_ERR_NO_MEMORY;
	bits_assign(fa->bitmap, bit, bit + 1, true);
	fa->free--;
	fa->hint_word = bit / WORD_BITS;
	*pa = pa_of(fa->base_pfn + bit);
	return FRAME_OK;
}

static bool align_valid(u64 align_bytes)
{
	return is_pow2(align_bytes) && align_bytes >= FRAME_SIZE;
}

enum frame_err frame_alloc_run(struct frame_alloc *fa, u64 nframes, u64 align_bytes, u64 *pa)
{
	if (!align_valid(align_bytes))
		return FRAME_ERR_ALIGN;
	if (nframes == 0)
		return FRAME_ERR_BAD_COUNT;
	if (nframes > fa->free)
		return FRAME_ERR_NO_MEMORY;

	const u64 align_frames = align_bytes >> FRAME_SHIFT;
	u64 pfn = align_up(fa->base_pfn + fa->hint_word * WORD_BITS, align_frames);

	for (;;) {
		u64 bit = pfn - fa->base_pfn;
		u64 used, next_free;

		if (bit >= fa->nbits || fa->nbits - bit < nframes)
			return FRAME_ERR_NO_MEMORY;
		if (!bits_find(fa->bitmap, bit, bit + nframes, true, &used))
			break;
		/* No candidate can start at or before a used bit, nor inside the used stretch
		 * after it; full words of that stretch are skipped whole. */
		if (!bits_find(fa->bitmap, used + 1, fa->nbits, false, &next_free))
			return FRAME_ERR_NO_MEMORY;
		pfn = align_up(fa->base_pfn + next_free, align_frames);
	}
	u64 bit = pfn - fa->base_pfn;
	bits_assign(fa->bitmap, bit, bit + nframes, true);
	fa->free -= nframes;
	*pa = pa_of(pfn);
	return FRAME_OK;
}

static const struct frame_span *owner_of(const struct frame_alloc *fa, u64 pfn)
{
	unsigned lo = 0, hi = fa->nowned;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct frame_span *s = &fa->owned[mid];
		if (pfn < s->first_pfn)
			hi = mid;
		else if (pfn >= s->end_pfn)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* Checks that [pa, pa + nframes frames) is owned, outside the bitmap, and entirely in the state
 * `used`; returns its first bit index through *bit. On failure *at is the first frame at fault
 * (not owned, holding the bitmap, or in the wrong state), or pa itself for a bad argument. */
static enum frame_err check_frames(const struct frame_alloc *fa, u64 pa, u64 nframes, bool used,
                                   u64 *bit, u64 *at)
{
	*at = pa;
	if (!is_aligned(pa, FRAME_SIZE))
		return FRAME_ERR_ALIGN;
	u64 pfn = pfn_of(pa);
	if (nframes == 0 || add_overflows(pfn, nframes) || pfn + nframes > pfn_of(~0ULL) + 1)
		return FRAME_ERR_BAD_COUNT;
	const struct frame_span *s = owner_of(fa, pfn);
	if (!s)
		return FRAME_ERR_NOT_OWNED;
	if (pfn + nframes > s->end_pfn) {
		*at = pa_of(s->end_pfn);
		return FRAME_ERR_NOT_OWNED;
	}
	u64 bm_pfn = pfn_of(fa->bitmap_pa);
	if (pfn < bm_pfn + fa->bitmap_frames && bm_pfn < pfn + nframes) {
		*at = pa_of(pfn > bm_pfn ? pfn : bm_pfn);
		return FRAME_ERR_BITMAP;
	}

	u64 start = pfn - fa->base_pfn, wrong;
	if (bits_find(fa->bitmap, start, start + nframes, !used, &wrong)) {
		*at = pa_of(fa->base_pfn + wrong);
		return used ? FRAME_ERR_DOUBLE_FREE : FRAME_ERR_IN_USE;
	}
	*bit = start;
	return FRAME_OK;
}

enum frame_err frame_free_run(struct frame_alloc *fa, u64 pa, u64 nframes)
{
	u64 bit, at;
	enum frame_err err = check_frames(fa, pa, nframes, true, &bit, &at);
	if (err)
		return err;
	bits_assign(fa->bitmap, bit, bit + nframes, false);
	fa->free += nframes;
	if (bit / WORD_BITS < fa->hint_word)
		fa->hint_word = bit / WORD_BITS;
	return FRAME_OK;
}

enum frame_err frame_free(struct frame_alloc *fa, u64 pa)
{
	return frame_free_run(fa, pa, 1);
}

enum frame_err frame_claim_at(struct frame_alloc *fa, u64 pa, u64 nframes, u64 *conflict)
{
	u64 bit, at;
	enum frame_err err = check_frames(fa, pa, nframes, false, &bit, &at);
	if (conflict)
		*conflict = at;
	if (err)
		return err;
	bits_assign(fa->bitmap, bit, bit + nframes, true);
	fa->free -= nframes;
	return FRAME_OK;
}

enum frame_err frame_claim(struct frame_alloc *fa, u64 pa, u64 nframes)
{
	return frame_claim_at(fa, pa, nframes, NULL);
}

u64 frame_largest_free_run_at(const struct frame_alloc *fa, u64 align_bytes, u64 *start_pa)
{
	u64 best = 0, best_pa = 0, pos = 0, start, end;

	if (!align_valid(align_bytes))
		return 0;
	const u64 align_frames = align_bytes >> FRAME_SHIFT;
	while (pos < fa->nbits && bits_find(fa->bitmap, pos, fa->nbits, false, &start)) {
		if (!bits_find(fa->bitmap, start, fa->nbits, true, &end))
			end = fa->nbits;
		u64 first = align_up(fa->base_pfn + start, align_frames) - fa->base_pfn;
		if (first < end && end - first > best) {
			best = end - first;
			best_pa = pa_of(fa->base_pfn + first);
		}
		pos = end;
	}
	if (start_pa && best)
		*start_pa = best_pa;
	return best;
}

u64 frame_largest_free_run(const struct frame_alloc *fa, u64 align_bytes)
{
	return frame_largest_free_run_at(fa, align_bytes, NULL);
}

enum frame_err frame_check(const struct frame_alloc *fa, const struct memmap *m, const char **why)
{
	u64 zeros = 0, pos = 0, start, end;

	*why = "ok";
	if (fa->nbits % WORD_BITS) {
		u64 tail = fa->bitmap[fa->nwords - 1] | word_mask(0, fa->nbits % WORD_BITS);
		if (tail != WORD_ALL_USED) {
			*why = "bitmap bits past the last frame are not marked used";
			return FRAME_ERR_INCONSISTENT;
		}
	}
	for (u64 w = 0; w < fa->nwords; w++)
		zeros += (u64)__builtin_popcountll(~fa->bitmap[w]);
	if (zeros != fa->free) {
		*why = "free count differs from the bitmap's free bits";
		return FRAME_ERR_INCONSISTENT;
	}
	if (fa->free > fa->total) {
		*why = "free count exceeds total";
		return FRAME_ERR_INCONSISTENT;
	}
	u64 bm_bit = pfn_of(fa->bitmap_pa) - fa->base_pfn;
	if (bits_find(fa->bitmap, bm_bit, bm_bit + fa->bitmap_frames, false, &start)) {
		*why = "a frame holding the bitmap is marked free";
		return FRAME_ERR_INCONSISTENT;
	}
	while (pos < fa->nbits && bits_find(fa->bitmap, pos, fa->nbits, false, &start)) {
		if (!bits_find(fa->bitmap, start, fa->nbits, true, &end))
			end = fa->nbits;
		if (!memmap_is_usable(m, pa_of(fa->base_pfn + start), pa_of(end - start))) {
			*why = "a free frame lies outside the usable memory ranges";
			return FRAME_ERR_INCONSISTENT;
		}
		pos = end;
	}
	return FRAME_OK;
}

const char *frame_strerror(enum frame_err err)
{
	static const char *const names[] = {
	    [FRAME_OK] = "ok",
	    [FRAME_ERR_NOT_NORMALIZED] = "memory map not normalized",
	    [FRAME_ERR_NO_MEMORY] = "out of physical memory",
	    [FRAME_ERR_ALIGN] = "bad alignment",
	    [FRAME_ERR_BAD_COUNT] = "bad frame count",
	    [FRAME_ERR_NOT_OWNED] = "frame not owned by the allocator",
	    [FRAME_ERR_BITMAP] = "frame holds the allocator bitmap",
	    [FRAME_ERR_DOUBLE_FREE] = "double free",
	    [FRAME_ERR_IN_USE] = "frame already in use",
	    [FRAME_ERR_INCONSISTENT] = "allocator state inconsistent",
	    [FRAME_ERR_TOO_SCATTERED] = "free memory too scattered for the allowed number of runs",
	};
	return NAME_IN(names, err, "unknown frame error");
}

/* Appends [pa, pa + n frames) to runs, merged with the last run when adjacent. */
static bool run_append(struct frame_span *runs, unsigned max_runs, unsigned *nruns, u64 pa, u64 n)
{
	if (*nruns && runs[*nruns - 1].end_pfn == pfn_of(pa)) {
		runs[*nruns - 1].end_pfn += n;
		return true;
	}
	if (*nruns == max_runs)
		return false;
	runs[*nruns].first_pfn = pfn_of(pa);
	runs[*nruns].end_pfn = pfn_of(pa) + n;
	(*nruns)++;
	return true;
}

enum frame_err frame_alloc_scattered(struct frame_alloc *fa, u64 nframes, struct frame_span *runs,
                                     unsigned max_runs, unsigned *nruns)
{
	u64 left = nframes;

	*nruns = 0;
	if (nframes == 0 || max_runs == 0)
		return FRAME_ERR_BAD_COUNT;
	if (nframes > fa->free)
		return FRAME_ERR_NO_MEMORY;
	while (left) {
		u64 pa = 0, n = 0;
		if (left >= FRAME_CHUNK_FRAMES) {
			n = frame_largest_free_run_at(fa, PAGE_SIZE_2M, &pa);
			n = align_down(n < left ? n : left, FRAME_CHUNK_FRAMES);
		}
		if (n == 0) {
			n = frame_largest_free_run_at(fa, FRAME_SIZE, &pa);
			n = n < left ? n : left;
		}
		/* Both finds see the same bitmap: the run is free, so the claim succeeds. */
		if (n == 0 || frame_claim(fa, pa, n) != FRAME_OK ||
		    !run_append(runs, max_runs, nruns, pa, n)) {
			bool full = n != 0;
			if (full)
				frame_free_run(fa, pa, n);
			for (unsigned i = 0; i < *nruns; i++)
				frame_free_run(fa, pa_of(runs[i].first_pfn),
				               runs[i].end_pfn - runs[i].first_pfn);
			*nruns = 0;
			return full ? FRAME_ERR_TOO_SCATTERED : FRAME_ERR_NO_MEMORY;
		}
		left -= n;
	}
	return FRAME_OK;
}

/* xorshift64 (Marsaglia 2003): a reproducible stream from the seed. */
static u64 xorshift64(u64 *state)
{
	u64 x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

unsigned frame_fragment(struct frame_alloc *fa, struct frame_tenants *t, u64 every, u64 seed,
                        bool movable)
{
	u64 state = hash_mix64(seed) | 1;

	memset(t, 0, sizeof(*t));
	if (every < 2)
		return 0;
	const u64 first = align_up(fa->base_pfn, FRAME_CHUNK_FRAMES);
	for (u64 pfn = first; pfn + FRAME_CHUNK_FRAMES <= fa->base_pfn + fa->nbits;
	     pfn += FRAME_CHUNK_FRAMES) {
		const bool pick = seed ? xorshift64(&state) % every == 0
		                       : (pfn / FRAME_CHUNK_FRAMES) % every == every - 1;
		if (!pick || frame_count_used_in(fa, pa_of(pfn), FRAME_CHUNK_FRAMES))
			continue;
		if (t->count == FRAME_TENANT_MAX) {
			t->capped = true;
			break;
		}
		if (frame_claim(fa, pa_of(pfn), FRAME_CHUNK_FRAMES) != FRAME_OK)
			continue;
		t->c[t->count++] = (struct frame_tenant){.hpa = pa_of(pfn), .movable = movable};
	}
	return t->count;
}

struct frame_tenant *frame_tenant_at(struct frame_tenants *t, u64 hpa)
{
	unsigned lo = 0, hi = t->count;
	const u64 chunk = align_down(hpa, PAGE_SIZE_2M);

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (t->c[mid].hpa == chunk)
			return &t->c[mid];
		if (t->c[mid].hpa < chunk)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void frame_tenant_moved(struct frame_tenants *t, struct frame_tenant *c, u64 new_hpa)
{
	unsigned i = (unsigned)(c - t->c);

	c->hpa = new_hpa;
	/* One element out of place: bubble it to where it belongs. */
	while (i > 0 && t->c[i - 1].hpa > t->c[i].hpa) {
		struct frame_tenant tmp = t->c[i - 1];
		t->c[i - 1] = t->c[i];
		t->c[i] = tmp;
		i--;
	}
	while (i + 1 < t->count && t->c[i + 1].hpa < t->c[i].hpa) {
		struct frame_tenant tmp = t->c[i + 1];
		t->c[i + 1] = t->c[i];
		t->c[i] = tmp;
		i++;
	}
}

u64 frame_count_used_in(const struct frame_alloc *fa, u64 pa, u64 nframes)
{
	u64 pfn = pfn_of(pa), used = 0;

	for (u64 i = 0; i < nframes; i++, pfn++) {
		if (pfn < fa->base_pfn || pfn - fa->base_pfn >= fa->nbits) {
			used++;
			continue;
		}
		const u64 bit = pfn - fa->base_pfn;
		if (bit % WORD_BITS == 0 && nframes - i >= WORD_BITS) {
			used += (u64)__builtin_popcountll(fa->bitmap[bit / WORD_BITS]);
			i += WORD_BITS - 1;
			pfn += WORD_BITS - 1;
			continue;
		}
		used += (fa->bitmap[bit / WORD_BITS] >> (bit % WORD_BITS)) & 1;
	}
	return used;
}

bool frame_is_free(const struct frame_alloc *fa, u64 pa)
{
	return frame_count_used_in(fa, align_down(pa, FRAME_SIZE), 1) == 0;
}
