/* The guest's local APIC (SDM Vol. 3A, chapter "Advanced Programmable
 * Interrupt Controller (APIC)"), as pure logic over a struct: no hardware is
 * touched, time is the guest's TSC passed in by the caller, so host unit
 * tests drive it with a fake clock.
 *
 * One vCPU: IPIs reach only this APIC (self, all-including-self, or its own
 * physical or logical destination); INIT, SIPI and SMI are accepted and
 * dropped with the delivery status clear, as if the other CPUs did not exist.
 * The timer counts at a stated bus clock (apic_config.bus_hz) derived from
 * the TSC; the TSC-deadline mode is offered when config.tsc_deadline is set.
 * xAPIC registers are reached by offset in the 4 KiB page (apic_mmio_*),
 * x2APIC registers and IA32_APIC_BASE / IA32_TSC_DEADLINE by MSR
 * (apic_msr); a false return means #GP for the guest. With cfg.base_fixed
 * the APIC page cannot move: a base other than the current one is #GP. */
#ifndef HV_PLATFORM_APIC_H
#define HV_PLATFORM_APIC_H

#include "lib/types.h"

/* Register offsets in the xAPIC page (SDM Vol. 3A, Table "Local APIC
 * Register Address Map"); the x2APIC MSR is 0x800 + offset / 16. */
#define APIC_REG_ID        0x020
#define APIC_REG_VERSION   0x030
#define APIC_REG_TPR       0x080
#define APIC_REG_APR       0x090
#define APIC_REG_PPR       0x0a0
#define APIC_REG_EOI       0x0b0
#define APIC_REG_RRD       0x0c0
#define APIC_REG_LDR       0x0d0
#define APIC_REG_DFR       0x0e0
#define APIC_REG_SVR       0x0f0
#define APIC_REG_ISR0      0x100 /* 8 registers, 16 bytes apart */
#define APIC_REG_TMR0      0x180
#define APIC_REG_IRR0      0x200
#define APIC_REG_ESR       0x280
#define APIC_REG_ICR_LO    0x300
#define APIC_REG_ICR_HI    0x310
#define APIC_REG_LVT_TMR   0x320
#define APIC_REG_LVT_THM   0x330
#define APIC_REG_LVT_PMC   0x340
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERR   0x370
#define APIC_REG_TMICT     0x380 /* timer initial count */
#define APIC_REG_TMCCT     0x390 /* timer current count */
#define APIC_REG_TDCR      0x3e0 /* timer divide configuration */
#define APIC_REG_SELF_IPI  0x3f0 /* x2APIC only */
#define APIC_REG_STRIDE    0x10
#define APIC_PAGE_SIZE     0x1000

#define APIC_MSR_X2_FIRST     0x800u
#define APIC_MSR_X2_LAST      0x8ffu
#define APIC_MSR_X2_ICR       0x830u /* the whole ICR as one 64-bit MSR */
#define APIC_MSR_TSC_DEADLINE 0x6e0u /* IA32_TSC_DEADLINE */
#define APIC_DEFAULT_BASE     0xfee00000ull

/* Version register: an integrated APIC (0x14), six LVT entries (timer,
 * thermal, performance, LINT0, LINT1, error: max LVT entry 5), no EOI
 * broadcast suppression. */
#define APIC_VERSION_INTEGRATED   0x14u
#define APIC_VERSION_MAXLVT_SHIFT 16
#define APIC_LVT_ENTRIES          6
#define APIC_VERSION_VALUE                                                                         \
	(APIC_VERSION_INTEGRATED | ((APIC_LVT_ENTRIES - 1u) << APIC_VERSION_MAXLVT_SHIFT))

/* LVT and ICR fields (SDM Vol. 3A, "Local Vector Table", "Interrupt Command Register"). */
#define APIC_VECTOR_MASK         0xffu
#define APIC_DM_SHIFT            8
#define APIC_DM_MASK             (7u << APIC_DM_SHIFT)
#define APIC_DM_FIXED            0u
#define APIC_DM_LOWEST           1u
#define APIC_DM_SMI              2u
#define APIC_DM_NMI              4u
#define APIC_DM_INIT             5u
#define APIC_DM_STARTUP          6u
#define APIC_DM_EXTINT           7u
#define APIC_ICR_DEST_LOGICAL    (1u << 11)
#define APIC_DELIVERY_STATUS     (1u << 12)
#define APIC_LVT_POLARITY        (1u << 13)
#define APIC_LVT_REMOTE_IRR      (1u << 14)
#define APIC_LVT_LEVEL           (1u << 15)
#define APIC_ICR_LEVEL_ASSERT    (1u << 14)
#define APIC_LVT_MASKED          (1u << 16)
#define APIC_TIMER_MODE_SHIFT    17
#define APIC_TIMER_MODE_MASK     (3u << APIC_TIMER_MODE_SHIFT)
#define APIC_TIMER_ONESHOT       0u
#define APIC_TIMER_PERIODIC      1u
#define APIC_TIMER_TSC_DEADLINE  2u
#define APIC_ICR_SHORTHAND_SHIFT 18
#define APIC_ICR_SHORTHAND_MASK  (3u << APIC_ICR_SHORTHAND_SHIFT)
#define APIC_SH_NONE             0u
#define APIC_SH_SELF             1u
#define APIC_SH_ALL_INCL_SELF    2u
#define APIC_SH_ALL_EXCL_SELF    3u
#define APIC_SVR_ENABLE          (1u << 8)
#define APIC_SVR_FOCUS_DISABLE   (1u << 9)
#define APIC_SVR_RESET           0xffu
/* ESR bits (SDM Vol. 3A, "Error Handling"). */
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REGISTER    (1u << 7)
/* Vectors 0-15 are reserved: a fixed interrupt with one is an error. */
#define APIC_VECTOR_FIRST_LEGAL 16u

enum apic_lvt {
	APIC_LVT_TIMER,
	APIC_LVT_THERMAL,
	APIC_LVT_PERF,
	APIC_LVT_LINT0,
	APIC_LVT_LINT1,
	APIC_LVT_ERROR,
};

enum apic_mode { APIC_MODE_DISABLED, APIC_MODE_XAPIC, APIC_MODE_X2APIC };

struct apic_config {
	u32 id;            /* the APIC ID (0 for the one vCPU) */
	bool x2apic;       /* CPUID offers x2APIC: IA32_APIC_BASE.EXTD may be set */
	bool tsc_deadline; /* CPUID offers the TSC-deadline timer mode */
	u64 tsc_hz;        /* the guest's TSC rate; 0: unknown, one bus tick per TSC cycle */
	u64 bus_hz;        /* the timer's input clock before the divider */
	/* The xAPIC page stays at APIC_DEFAULT_BASE: a write of IA32_APIC_BASE
	 * with another base address is refused (#GP) instead of moving it. */
	bool base_fixed;
};

struct apic {
	struct apic_config cfg;
	u64 base_msr; /* IA32_APIC_BASE */
	u32 tpr, ldr, dfr, svr;
	u32 esr, esr_pending; /* ESR as last latched; errors since */
	u32 icr_lo, icr_hi;
	u32 lvt[APIC_LVT_ENTRIES];
	u32 isr[8], tmr[8], irr[8];
	u32 tmict, tdcr;
	u64 timer_start;    /* TSC at which the current count was tmict */
	bool timer_running; /* one-shot or periodic counting */
	u64 tsc_deadline;   /* IA32_TSC_DEADLINE; 0 disarmed */
	bool nmi_pending;
	u64 timer_fires, ipis_delivered, ipis_dropped;
};

/* Power-up state (SDM Vol. 3A, "Power-up reset and INIT"): xAPIC mode,
 * enabled at APIC_DEFAULT_BASE, the BSP. */
void apic_init(struct apic *a, const struct apic_config *cfg);
enum apic_mode apic_mode(const struct apic *a);
/* The guest-physical page of the xAPIC registers, or ~0 when the APIC is
 * not in xAPIC mode (the page is then no APIC's). */
u64 apic_mmio_base(const struct apic *a);

/* xAPIC register access at `offset` in the page (32-bit aligned; other
 * offsets and widths are the caller's to refuse). */
u32 apic_mmio_read(struct apic *a, u32 offset, u64 tsc);
void apic_mmio_write(struct apic *a, u32 offset, u32 val, u64 tsc);

/* True when `msr` is one this model answers (IA32_APIC_BASE,
 * IA32_TSC_DEADLINE, 0x800-0x8ff). */
bool apic_owns_msr(u32 msr);
/* RDMSR/WRMSR of an owned MSR; false: #GP (SDM Vol. 3A, "x2APIC Register
 * Availability" and IA32_APIC_BASE's transitions). */
bool apic_msr(struct apic *a, u32 msr, bool write, u64 *val, u64 tsc);

/* Advances the timer to `tsc`: an expiry sets its vector in IRR. */
void apic_tick(struct apic *a, u64 tsc);
/* The highest pending vector that PPR lets through, or -1. */
int apic_pending_vector(const struct apic *a);
/* The CPU takes `vector` (it was apic_pending_vector): IRR -> ISR. */
void apic_accept(struct apic *a, u8 vector);
/* Processor priority (SDM Vol. 3A, "Processor Priority Register"). */
u32 apic_ppr(const struct apic *a);
/* The next TSC value at which the timer fires, or 0 when it is not armed. */
u64 apic_next_deadline(const struct apic *a);
/* An NMI was sent to this APIC (ICR delivery mode NMI); clears the flag. */
bool apic_take_nmi(struct apic *a);
/* Sets `vector` pending in IRR as a fixed edge interrupt (tests, IPIs). */
void apic_set_irr(struct apic *a, u8 vector);

#endif
