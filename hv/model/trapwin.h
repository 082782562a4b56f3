/* The trap window of trace=ept: the W guest-physical 4 KiB pages that stay
 * present in the nested table while every other access traps (DESIGN.md,
 * "Traces"). A page comes in on its trap and replaces the least recently
 * trapped one when the window is full; recency is the order of traps, since
 * an access to a present page is not seen. With W no larger than the
 * smallest associativity of the modelled TLB, a page in the window was among
 * the W pages last fed to the model, so the access skipped is a hit there.
 * Page-table pages the guest's walker reads are pinned apart: they never
 * leave and never count against W. Pure logic; the caller changes the
 * nested table (nested_set_present_4k) as trapwin_admit says. */
#ifndef HV_MODEL_TRAPWIN_H
#define HV_MODEL_TRAPWIN_H

#include "lib/types.h"

#define TRAPWIN_MAX_WAYS   64
#define TRAPWIN_MAX_PINNED 256

enum trapwin_err {
	TRAPWIN_OK,
	TRAPWIN_ERR_WAYS,     /* W = 0 or more than TRAPWIN_MAX_WAYS */
	TRAPWIN_ERR_PIN_FULL, /* more than TRAPWIN_MAX_PINNED pinned pages */
};

/* What trapwin_admit did with a trapped page. */
enum trapwin_admit {
	TRAPWIN_FILLED,  /* a free slot took it */
	TRAPWIN_EVICTED, /* it replaced *evicted, the least recent */
	TRAPWIN_PRESENT, /* already in the window or pinned: nothing changes */
};

struct trapwin {
	unsigned ways, used, pinned;
	u64 clock;
	u64 gfn[TRAPWIN_MAX_WAYS];
	u64 last[TRAPWIN_MAX_WAYS];
	u64 pin[TRAPWIN_MAX_PINNED];
};

enum trapwin_err trapwin_init(struct trapwin *w, unsigned ways);
enum trapwin_admit trapwin_admit(struct trapwin *w, u64 gfn, u64 *evicted);
bool trapwin_contains(const struct trapwin *w, u64 gfn);
/* gfn was used since the last trap (its accessed flag said so): it becomes the most
 * recent, as if trapped now. False when it is not in the window. */
bool trapwin_touch(struct trapwin *w, u64 gfn);
bool trapwin_is_pinned(const struct trapwin *w, u64 gfn);
/* Pins gfn (taking it out of the window if it was there: *left_window). */
enum trapwin_err trapwin_pin(struct trapwin *w, u64 gfn, bool *left_window);
const char *trapwin_strerror(enum trapwin_err e);

#endif
