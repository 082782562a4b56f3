/* The injection decision and HLT's wake-up of intr.h. */
#include "hv/platform/intr.h"

#include "lib/mem.h"

#define APIC_PRIO_CLASS(v) ((v) >> 4) /* SDM Vol. 3A, 11.8.3 */
#define NMI_VECTOR         2          /* SDM Vol. 3A, Table 6-1 */

static bool vector_above_ppr(const struct apic *a, u32 vector)
{
	return APIC_PRIO_CLASS(vector) > APIC_PRIO_CLASS(apic_ppr(a));
}

struct intr_choice intr_choose(struct apic *a, const struct intr_guest *g)
{
	struct intr_choice c = {.action = INTR_NOTHING};
	const int v = apic_pending_vector(a);
	if (a->nmi_pending && g->nmi_window) {
		apic_take_nmi(a);
		c.action = INTR_INJECT_NMI;
		c.vector = NMI_VECTOR;
		c.want_window = v >= 0;
		return c;
	}
	if (v >= 0 && g->intr_window) {
		apic_accept(a, (u8)v);
		c.action = INTR_INJECT_EXTINT;
		c.vector = (u8)v;
		c.want_window = apic_pending_vector(a) >= 0 || a->nmi_pending;
		return c;
	}
	if (v >= 0 || a->nmi_pending) {
		c.action = INTR_WAIT_WINDOW;
		c.want_window = true;
	}
	return c;
}

enum intr_hlt intr_hlt(const struct apic *a, bool if_set, u64 *wake_tsc)
{
	*wake_tsc = 0;
	if (a->nmi_pending)
		return INTR_HLT_WAKE; /* an NMI wakes HLT whatever IF says */
	bool irr = false;
	for (unsigned w = 0; w < ARRAY_SIZE(a->irr); w++)
		irr |= a->irr[w] != 0;
	const u64 next = apic_next_deadline(a);
	if (!irr && !next)
		return INTR_HLT_NO_SOURCE;
	if (!if_set)
		return INTR_HLT_IF_CLEAR;
	if (apic_pending_vector(a) >= 0)
		return INTR_HLT_WAKE;
	const u32 timer_vector = a->lvt[APIC_LVT_TIMER] & APIC_VECTOR_MASK;
	if (next && vector_above_ppr(a, timer_vector)) {
		*wake_tsc = next;
		return INTR_HLT_SLEEP;
	}
	return INTR_HLT_MASKED;
}

const char *intr_hlt_name(enum intr_hlt h)
{
	static const char *const names[] = {
	    [INTR_HLT_WAKE] = "an interrupt is deliverable",
	    [INTR_HLT_SLEEP] = "sleeps until the APIC timer",
	    [INTR_HLT_NO_SOURCE] = "no interrupt source",
	    [INTR_HLT_IF_CLEAR] = "interrupts disabled (RFLAGS.IF = 0) and no NMI pending",
	    [INTR_HLT_MASKED] = "every pending or armed vector held back by TPR/ISR priority",
	};
	return NAME_IN(names, h, "?");
}
