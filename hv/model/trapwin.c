/* The trap window's LRU (contract in trapwin.h). W is small (the TLB's
 * associativity), so a linear scan is the whole data structure. */
#include "hv/model/trapwin.h"

static const char *const err_names[] = {
    [TRAPWIN_OK] = "ok",
    [TRAPWIN_ERR_WAYS] = "trace window must hold 1 to 64 pages",
    [TRAPWIN_ERR_PIN_FULL] = "more page-table pages than the pinned set holds",
};

const char *trapwin_strerror(enum trapwin_err e)
{
	return NAME_IN(err_names, e, "unknown trap window error");
}

enum trapwin_err trapwin_init(struct trapwin *w, unsigned ways)
{
	if (ways == 0 || ways > TRAPWIN_MAX_WAYS)
		return TRAPWIN_ERR_WAYS;
	*w = (struct trapwin){.ways = ways};
	return TRAPWIN_OK;
}

static int slot_of(const struct trapwin *w, u64 gfn)
{
	for (unsigned i = 0; i < w->used; i++)
		if (w->gfn[i] == gfn)
			return (int)i;
	return -1;
}

bool trapwin_contains(const struct trapwin *w, u64 gfn)
{
	return slot_of(w, gfn) >= 0;
}

bool trapwin_touch(struct trapwin *w, u64 gfn)
{
	const int s = slot_of(w, gfn);
	if (s < 0)
		return false;
	w->last[s] = ++w->clock;
	return true;
}

bool trapwin_is_pinned(const struct trapwin *w, u64 gfn)
{
	for (unsigned i = 0; i < w->pinned; i++)
		if (w->pin[i] == gfn)
			return true;
	return false;
}

enum trapwin_admit trapwin_admit(struct trapwin *w, u64 gfn, u64 *evicted)
{
	if (trapwin_is_pinned(w, gfn) || trapwin_contains(w, gfn))
		return TRAPWIN_PRESENT;
	if (w->used < w->ways) {
		w->gfn[w->used] = gfn;
		w->last[w->used++] = ++w->clock;
		return TRAPWIN_FILLED;
	}
	unsigned lru = 0;
	for (unsigned i = 1; i < w->used; i++)
		if (w->last[i] < w->last[lru])
			lru = i;
	*evicted = w->gfn[lru];
	w->gfn[lru] = gfn;
	w->last[lru] = ++w->clock;
	return TRAPWIN_EVICTED;
}

enum trapwin_err trapwin_pin(struct trapwin *w, u64 gfn, bool *left_window)
{
	*left_window = false;
	if (trapwin_is_pinned(w, gfn))
		return TRAPWIN_OK;
	if (w->pinned == TRAPWIN_MAX_PINNED)
		return TRAPWIN_ERR_PIN_FULL;
	int s = slot_of(w, gfn);
	if (s >= 0) {
		/* The last slot moves into the hole; order lives in last[]. */
		w->used--;
		w->gfn[s] = w->gfn[w->used];
		w->last[s] = w->last[w->used];
		*left_window = true;
	}
	w->pin[w->pinned++] = gfn;
	return TRAPWIN_OK;
}
