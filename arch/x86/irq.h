/* The host's interrupts: vectors 32-255 (arch/x86/irq.S) and the NMI, as the
 * hypervisor takes them. The host runs with RFLAGS.IF = 0; interrupts reach
 * it only while a guest runs, through a VM exit (VT-x: acknowledged on exit,
 * the vector in the exit information; SVM: the INTR intercept, then taken
 * through the IDT after STGI). irq_dispatch() gives each vector its handler
 * and counts it; an unassigned vector is reported by name and counted. The
 * host LAPIC timer (arch/x86/lapic.c) serves two clients: a periodic host
 * tick (the host_tick= option) and a one-shot deadline a backend asks for
 * (the SVM watchdog). */
#ifndef ARCH_X86_IRQ_H
#define ARCH_X86_IRQ_H

#define IRQ_FIRST_VECTOR 32 /* the first vector that is not an exception (SDM Table 6-1) */
#define IRQ_VECTORS      224
#define IRQ_VEC_TIMER    0xec /* the host LAPIC timer */
/* Vector of the APIC's spurious interrupts; bits 3:0 set, as older APICs
 * require (SDM Vol. 3A, 11.9). */
#define IRQ_VEC_SPURIOUS 0xff
/* irq_test=unassigned sends this one: the host gives it no handler. */
#define IRQ_VEC_TEST_UNASSIGNED 0x40

#ifndef __ASSEMBLY__
#include "lib/types.h"
#include "lib/x86/exc.h"

/* What the host counts of its own interrupts (since boot). */
struct irq_counts {
	u64 timer;      /* LAPIC timer interrupts */
	u64 ticks;      /* of them, host_tick periods that passed */
	u64 spurious;   /* APIC spurious-vector interrupts (no EOI, SDM 11.9) */
	u64 unexpected; /* vectors the host assigned to nothing */
	u64 nmis;       /* NMIs, in host or guest mode */
};

extern const u64 irq_stubs[IRQ_VECTORS];

/* Called by arch/x86/irq.S with the frame of the interrupted code. */
void irq_entry(struct exc_frame *f);
/* Handles one host interrupt of vector v (32-255) and EOIs it: from the IDT
 * or from a VM exit that acknowledged it. */
void irq_dispatch(u8 v);
/* An NMI the host took (in host mode through the IDT, or a VM exit). */
void irq_nmi(u64 rip, bool guest_mode);
/* "local APIC timer", "APIC spurious", "unassigned": the host's name of v. */
const char *irq_vector_name(u8 v);
const struct irq_counts *irq_counts(void);
/* Ends the NMI blocking that a VM exit caused by an NMI leaves (irq.S). */
void irq_iret_to_self(void);

/* Initializes the local APIC once (arch/x86/lapic.c); false when the host
 * cannot use it (the reason printed). */
bool irq_host_init(void);
/* irq_host_init, then a host tick every tick_ms milliseconds while guests
 * run (0: none); false when the LAPIC is not usable. */
bool irq_host_setup(u32 tick_ms);
u64 irq_host_tick_period(void); /* TSC cycles; 0: no host tick */
/* Before each guest entry: arms the LAPIC timer for the earlier of the next
 * host tick and deadline (a TSC value; 0: none); with neither, the timer
 * stays masked. */
void irq_timer_arm(u64 deadline);
/* Test only (irq_test=): before the first guest entry the host sends
 * itself an interrupt on a vector it assigned to nothing, or an NMI, so
 * that it arrives in guest mode. */
enum irq_test { IRQ_TEST_NONE, IRQ_TEST_UNASSIGNED, IRQ_TEST_NMI, IRQ_TEST_COUNT };
#define IRQ_TEST_NAMES "none", "unassigned", "nmi"
void irq_test_set(enum irq_test t);
/* Called by a backend just before entry, with NMIs held (SVM: GIF = 0)
 * when nmi_held; sends the test event once. An NMI needs nmi_held: sent
 * from the host without it, it would be taken at once in the host. */
void irq_test_before_entry(bool nmi_held);
/* Brackets a backend's world switch: an NMI the host takes inside it (SVM:
 * held by GIF = 0 across the NMI intercept's #VMEXIT, taken at STGI) came
 * in guest mode. */
void irq_guest_switch(bool inside);
/* Stops the LAPIC timer (the guest is done). */
void irq_timer_stop(void);
#endif

#endif
