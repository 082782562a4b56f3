/* Which interrupt the one vCPU takes next, as pure logic over the APIC
 * model (apic.h) and what the backend says of the guest's state; the caller
 * (hv/vm/apic_vm.c) injects what this chooses and asks for the exits it
 * needs. No hardware is touched, so host unit tests drive it.
 *
 * Before each entry (intr_choose):
 *   - an NMI the APIC received (ICR delivery mode NMI) goes first, when the
 *     guest can take one (no STI/MOV-SS shadow, not inside an NMI handler
 *     where the backend can tell, nothing else being injected);
 *   - otherwise the highest vector in IRR whose priority class is above
 *     PPR's (SDM Vol. 3A, 11.8.4; PPR from TPR and ISR, 11.8.3.1) is
 *     delivered as an external interrupt when the interrupt window is open
 *     (RFLAGS.IF = 1, no STI or MOV-SS blocking, no event pending injection:
 *     SDM Vol. 3A 6.8.3, Vol. 3C 26.3.1.5; APM Vol. 2 15.20-15.21), moving
 *     it from IRR to ISR (11.8.4); EOI later clears it from ISR (11.8.5);
 *   - a pending vector that the window holds back asks for an
 *     interrupt-window exit; one that PPR holds back waits for an EOI or a
 *     TPR write (exits of their own).
 *
 * At HLT (intr_hlt), after RIP moved past it: the vCPU wakes when something
 * can be delivered, sleeps until the APIC timer's next expiry when that
 * expiry will be deliverable, and otherwise nothing can ever wake it (no
 * source, IF = 0, or every source masked by the LVT or PPR): the caller
 * ends the guest with the reason. */
#ifndef HV_PLATFORM_INTR_H
#define HV_PLATFORM_INTR_H

#include "hv/platform/apic.h"

enum intr_action {
	INTR_NOTHING,       /* nothing to deliver */
	INTR_INJECT_NMI,    /* inject an NMI (vector 2) */
	INTR_INJECT_EXTINT, /* inject `vector` as an external interrupt */
	INTR_WAIT_WINDOW,   /* something is pending: exit when the window opens */
};

struct intr_choice {
	enum intr_action action;
	u8 vector;
	/* Something stays pending that an interrupt-window exit may let
	 * through (set with INTR_WAIT_WINDOW, and with an injection when more
	 * is waiting behind it). */
	bool want_window;
};

/* What the guest can take now (the backend's view). */
struct intr_guest {
	bool intr_window; /* an external interrupt injected now would be taken */
	bool nmi_window;  /* an NMI injected now would be taken */
};

/* Chooses and commits: an NMI is taken from the APIC, a vector moves from
 * IRR to ISR. Call once per entry. */
struct intr_choice intr_choose(struct apic *a, const struct intr_guest *g);

enum intr_hlt {
	INTR_HLT_WAKE,      /* an interrupt can be delivered now */
	INTR_HLT_SLEEP,     /* sleep until *wake_tsc (guest TSC): the timer's expiry */
	INTR_HLT_NO_SOURCE, /* nothing pending and no timer armed (whatever IF says) */
	INTR_HLT_IF_CLEAR,  /* RFLAGS.IF = 0 with a source: only an NMI could wake it */
	INTR_HLT_MASKED,    /* pending or timer vectors exist but PPR holds them back */
};

/* The vCPU executed HLT with RFLAGS.IF = `if_set`. */
enum intr_hlt intr_hlt(const struct apic *a, bool if_set, u64 *wake_tsc);

const char *intr_hlt_name(enum intr_hlt h);

#endif
