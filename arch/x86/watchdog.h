/* The guest watchdog's budget, the same on both backends: `budget` TSC
 * cycles of guest time since the last exit that was not a host interrupt
 * (the watchdog= option). A host interrupt taken in guest mode (a host tick,
 * or the watchdog's own timer expiring early) does not restart it: the guest
 * resumes with what is left. The VMX backend loads what is left into the
 * VMX-preemption timer (SDM 26.5.1: it counts down at the TSC rate divided
 * by 2^X, X from IA32_VMX_MISC[4:0]), the SVM backend into a host LAPIC
 * timer deadline. Pure arithmetic, checked by tests/unit/test_watchdog.c. */
#ifndef ARCH_X86_WATCHDOG_H
#define ARCH_X86_WATCHDOG_H

#include "lib/types.h"

#define WATCHDOG_PREEMPT_MAX 0xffffffffu /* the VMX-preemption timer value is 32 bits */

struct watchdog {
	u64 budget; /* TSC cycles; 0: off */
	u64 left;   /* of the budget, before the next entry */
	u64 ran;    /* guest TSC cycles since the last exit that was not a host interrupt */
};

static inline void watchdog_init(struct watchdog *w, u64 budget)
{
	w->budget = budget;
	w->left = budget;
	w->ran = 0;
}

/* After an exit: the guest ran `cycles` since the entry. An exit other than
 * a host interrupt restarts the budget. Returns true when the budget is
 * spent: the guest ran at least `budget` cycles since such an exit. */
static inline bool watchdog_account(struct watchdog *w, u64 cycles, bool host_interrupt)
{
	if (!w->budget)
		return false;
	w->ran += cycles;
	if (!host_interrupt) {
		w->left = w->budget;
		w->ran = 0;
		return false;
	}
	w->left = cycles >= w->left ? 0 : w->left - cycles;
	return w->left == 0;
}

/* What is left, in VMX-preemption-timer ticks of 2^rate TSC cycles,
 * rounded up and clamped to the 32-bit field (a longer budget expires the
 * timer early: the backend treats that as a host interrupt and re-enters). */
static inline u32 watchdog_preempt_ticks(u64 left, unsigned rate)
{
	if (rate >= 64)
		return 1;
	const u64 unit = 1ull << rate;
	const u64 t = left / unit + (left % unit != 0);
	if (t == 0)
		return 1;
	return t > WATCHDOG_PREEMPT_MAX ? WATCHDOG_PREEMPT_MAX : (u32)t;
}

/* The budget fits in the preemption timer: its expiry is the watchdog's,
 * not an early one. */
static inline bool watchdog_preempt_exact(u64 left, unsigned rate)
{
	return rate < 64 && (left >> rate) < WATCHDOG_PREEMPT_MAX;
}

#endif
