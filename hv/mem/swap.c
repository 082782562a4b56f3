/* VMM swapping to a backing store in host memory (swap.h). */
#include "hv/mem/swap.h"

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define PAGE_WORDS (PAGE_SIZE_4K / sizeof(u64))

void swap_init(struct swap *w)
{
	memset(w, 0, sizeof(*w));
}

static u64 slot_hpa(const struct swap *w, unsigned i)
{
	return w->store_hpa + (u64)i * PAGE_SIZE_4K;
}

static int find(const struct swap *w, u64 gfn)
{
	for (unsigned i = 0; i < SWAP_STORE_PAGES; i++)
		if (w->slot[i].gfn == gfn + 1)
			return (int)i;
	return -1;
}

bool swap_slot_of(const struct swap *w, u64 gfn, u64 *hpa)
{
	int i = w->used ? find(w, gfn) : -1;
	if (i < 0)
		return false;
	if (hpa)
		*hpa = slot_hpa(w, (unsigned)i);
	return true;
}

static enum swap_err not_present(const struct vmmpage_env *env, u64 gpa)
{
	u64 added = 0;
	enum nested_err err =
	    nested_set_present_4k(env->fmt, env->root, gpa, false, env->na, &added);
	if (env->table_pages)
		*env->table_pages += added;
	return err == NESTED_OK ? SWAP_OK : SWAP_ERR_NESTED;
}

static enum swap_err evict(struct swap *w, const struct vmmpage_env *env, u64 gpa)
{
	u64 hpa;
	int free_slot = find(w, ~0ULL); /* gfn + 1 == 0: a free slot */
	if (free_slot < 0)
		return SWAP_ERR_FULL;
	gmap_lookup(env->g, gpa, &hpa);
	enum swap_err err = not_present(env, gpa);
	if (err != SWAP_OK)
		return err;
	const unsigned i = (unsigned)free_slot;
	memcpy(phys_to_virt(slot_hpa(w, i)), phys_to_virt(hpa), PAGE_SIZE_4K);
	w->slot[i].gfn = (gpa >> GMAP_PAGE_SHIFT) + 1;
	w->slot[i].hash = hash_words(HASH_WORDS_INIT, phys_to_virt(hpa), PAGE_WORDS);
	w->used++;
	frame_free(env->fa, hpa);
	w->pages_out++;
	w->bytes_out += PAGE_SIZE_4K;
	return SWAP_OK;
}

enum swap_err swap_out(struct swap *w, const struct share *s, const struct vmmpage_env *env,
                       u64 gpa, u64 pages, u64 *evicted)
{
	*evicted = 0;
	if (pages == 0 || pages > SWAP_MAX_BATCH || !is_aligned(gpa, PAGE_SIZE_4K) ||
	    gmap_check_range(env->g, gpa, pages * PAGE_SIZE_4K, SWAP_MAX_BATCH * PAGE_SIZE_4K,
	                     false) != GMAP_OK)
		return SWAP_ERR_RANGE;
	if (!w->store_hpa &&
	    frame_alloc_run(env->fa, SWAP_STORE_PAGES, PAGE_SIZE_4K, &w->store_hpa) != FRAME_OK) {
		w->store_hpa = 0;
		return SWAP_ERR_NO_MEMORY;
	}
	for (u64 n = 0; n < pages; n++) {
		const u64 page = gpa + n * PAGE_SIZE_4K, gfn = page >> GMAP_PAGE_SHIFT;
		if (share_frame_of(s, gfn, NULL) || gmap_is_escaped(env->g, page, NULL) ||
		    swap_is_out(w, gfn)) {
			w->skipped++;
			continue;
		}
		enum swap_err err = evict(w, env, page);
		if (err != SWAP_OK)
			return err;
		++*evicted;
	}
	return SWAP_OK;
}

enum swap_err swap_in(struct swap *w, const struct vmmpage_env *env, u64 gpa)
{
	gpa = align_down(gpa, PAGE_SIZE_4K);
	const int i = w->used ? find(w, gpa >> GMAP_PAGE_SHIFT) : -1;
	if (i < 0)
		return SWAP_ERR_NOT_OUT;
	struct swap_slot *sl = &w->slot[i];
	const void *data = phys_to_virt(slot_hpa(w, (unsigned)i));
	if (hash_words(HASH_WORDS_INIT, data, PAGE_WORDS) != sl->hash) {
		w->corrupt++;
		return SWAP_ERR_CORRUPT;
	}
	u64 hpa;
	bool escaped;
	enum share_err serr = vmmpage_own_frame(env, gpa, &hpa, &escaped);
	if (serr != SHARE_OK)
		return serr == SHARE_ERR_ESCAPES ? SWAP_ERR_ESCAPES : SWAP_ERR_NO_MEMORY;
	memcpy(phys_to_virt(hpa), data, PAGE_SIZE_4K);
	/* Checked again where the guest will read it. */
	if (hash_words(HASH_WORDS_INIT, phys_to_virt(hpa), PAGE_WORDS) != sl->hash) {
		w->corrupt++;
		if (escaped)
			gmap_unescape_page(env->g, gpa);
		frame_free(env->fa, hpa);
		return SWAP_ERR_CORRUPT;
	}
	if (vmmpage_map(env, gpa, hpa, true) != SHARE_OK) {
		if (escaped)
			gmap_unescape_page(env->g, gpa);
		frame_free(env->fa, hpa);
		return SWAP_ERR_NESTED;
	}
	sl->gfn = 0;
	w->used--;
	w->pages_in++;
	w->bytes_in += PAGE_SIZE_4K;
	if (escaped)
		w->escapes++;
	else
		w->reclaimed++;
	return SWAP_OK;
}

enum swap_err swap_in_all(struct swap *w, const struct vmmpage_env *env)
{
	for (unsigned i = 0; i < SWAP_STORE_PAGES && w->used; i++) {
		if (!w->slot[i].gfn)
			continue;
		enum swap_err err = swap_in(w, env, (w->slot[i].gfn - 1) << GMAP_PAGE_SHIFT);
		if (err != SWAP_OK)
			return err;
	}
	return SWAP_OK;
}

enum swap_err swap_apply(const struct swap *w, const struct vmmpage_env *env)
{
	for (unsigned i = 0; i < SWAP_STORE_PAGES && w->used; i++) {
		if (!w->slot[i].gfn)
			continue;
		enum swap_err err = not_present(env, (w->slot[i].gfn - 1) << GMAP_PAGE_SHIFT);
		if (err != SWAP_OK)
			return err;
	}
	return SWAP_OK;
}

static const char *const swap_err_names[] = {
    [SWAP_OK] = "ok",
    [SWAP_ERR_RANGE] = "range unaligned, not guest RAM throughout, empty or too long",
    [SWAP_ERR_FULL] = "backing store full",
    [SWAP_ERR_NO_MEMORY] = "no host frames for the store or the page",
    [SWAP_ERR_NOT_OUT] = "page not swapped out",
    [SWAP_ERR_CORRUPT] = "data read back does not match its hash at eviction",
    [SWAP_ERR_ESCAPES] = "page's frame taken and the escape list is full",
    [SWAP_ERR_NESTED] = "nested table could not be changed",
};

const char *swap_strerror(enum swap_err err)
{
	return NAME_IN(swap_err_names, err, "unknown swap error");
}
