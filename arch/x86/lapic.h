/* The host's local APIC in xAPIC mode (SDM Vol. 3A, 11 "Advanced
 * Programmable Interrupt Controller"): its registers are 4 KiB of MMIO at
 * the base IA32_APIC_BASE gives, mapped uncached in the direct map. The
 * driver enables the APIC with a spurious vector, masks LINT0 (the 8259
 * stays masked, arch/x86/pic.c) and the timer, sends EOIs, and runs the
 * timer one-shot (11.5.4), its rate measured against the TSC at boot. The
 * conversion between TSC cycles and timer counts is pure arithmetic, below,
 * so that host unit tests check it. */
#ifndef ARCH_X86_LAPIC_H
#define ARCH_X86_LAPIC_H

#include "lib/types.h"

/* The timer's rate against the TSC: `count` timer decrements (after the
 * divider) elapsed in `tsc` TSC cycles. */
struct lapic_rate {
	u64 count;
	u64 tsc;
};

#define LAPIC_COUNT_MAX 0xffffffffu /* the initial-count register is 32 bits */

/* The initial count that lasts at least `cycles` TSC cycles at rate r,
 * rounded up, at least 1 (0 stops the timer, SDM 11.5.4) and at most
 * LAPIC_COUNT_MAX (a longer wait takes several expiries). */
static inline u32 lapic_count_for_tsc(const struct lapic_rate *r, u64 cycles)
{
	if (!r->tsc)
		return LAPIC_COUNT_MAX;
	unsigned __int128 n = (unsigned __int128)cycles * r->count + r->tsc - 1;
	n /= r->tsc;
	if (n == 0)
		return 1;
	return n > LAPIC_COUNT_MAX ? LAPIC_COUNT_MAX : (u32)n;
}

/* The rate from two readings of the current-count register (it counts
 * down) and of the TSC around the same interval; false when the timer did
 * not move, wrapped or the TSC did not advance. */
static inline bool lapic_rate_measure(u32 count0, u32 count1, u64 tsc0, u64 tsc1,
                                      struct lapic_rate *r)
{
	if (count1 >= count0 || tsc1 <= tsc0)
		return false;
	r->count = count0 - count1;
	r->tsc = tsc1 - tsc0;
	return true;
}

/* Timer hertz at rate r for a TSC of tsc_hz. */
static inline u64 lapic_rate_hz(const struct lapic_rate *r, u64 tsc_hz)
{
	return r->tsc ? (u64)((unsigned __int128)tsc_hz * r->count / r->tsc) : 0;
}

#ifndef SEGVISOR_HOST_TEST
/* Finds, maps and enables the APIC, measures the timer; false (the reason
 * printed) when the APIC is off or in x2APIC mode. */
bool lapic_init(void);
void lapic_eoi(void);
/* One interrupt at vector after `count` timer decrements. */
void lapic_timer_oneshot(u8 vector, u32 count);
void lapic_timer_stop(void);
/* An interrupt on vector to this CPU (the "self" shorthand, SDM 11.6.1). */
void lapic_send_self(u8 vector);
/* An NMI to this CPU: its own APIC ID, physical destination (the self
 * shorthand allows fixed delivery only, 11.6.1). */
void lapic_send_nmi_self(void);
const struct lapic_rate *lapic_rate(void);
u64 lapic_tsc_hz(void); /* the TSC rate measured at lapic_init (PIT), 0 unknown */
#endif

#endif
