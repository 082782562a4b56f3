/* The local APIC model of apic.h. Sections cited are of the Intel SDM
 * Vol. 3A, chapter "Advanced Programmable Interrupt Controller (APIC)". */
#include "hv/platform/apic.h"

#include "arch/x86/msr.h"
#include "lib/mem.h"

#define APIC_ID_SHIFT_XAPIC   24 /* xAPIC ID and LDR live in bits 31:24 */
#define APIC_BROADCAST_XAPIC  0xffu
#define APIC_BROADCAST_X2APIC 0xffffffffu
#define APIC_DFR_FLAT         0xfu /* DFR[31:28]: 1111 flat, 0000 cluster */
#define APIC_DFR_MODEL_SHIFT  28
#define APIC_DFR_RESET        0xffffffffu
#define APIC_DFR_WRITABLE     (0xfu << APIC_DFR_MODEL_SHIFT)
#define APIC_LDR_WRITABLE     (0xffu << APIC_ID_SHIFT_XAPIC)
#define APIC_X2_CLUSTER_SHIFT 16 /* x2APIC logical ID: cluster 31:16, bit in 15:0 */
#define APIC_X2_CLUSTER_BITS  4
#define APIC_TPR_MASK         0xffu
#define APIC_PRIO_CLASS(v)    ((v) >> 4)
#define APIC_TDCR_MASK        0xbu /* bits 0, 1 and 3 */
#define APIC_SVR_WRITABLE     (APIC_VECTOR_MASK | APIC_SVR_ENABLE | APIC_SVR_FOCUS_DISABLE)
#define APIC_ICR_LO_WRITABLE                                                                       \
	(APIC_VECTOR_MASK | APIC_DM_MASK | APIC_ICR_DEST_LOGICAL | APIC_ICR_LEVEL_ASSERT |         \
	 APIC_LVT_LEVEL | APIC_ICR_SHORTHAND_MASK)
#define APIC_ICR_HI_WRITABLE   (0xffu << APIC_ID_SHIFT_XAPIC)
#define APIC_PHYS_BITS_DEFAULT 36
#define APIC_BASE_RESERVED_LOW 0xffull /* bits 7:0; bit 9 too */
#define APIC_BASE_BIT9         (1ull << 9)
#define U32_BITS               32

/* Writable bits of each LVT entry (Figure "Local Vector Table"). */
static const u32 lvt_writable[APIC_LVT_ENTRIES] = {
    [APIC_LVT_TIMER] = APIC_VECTOR_MASK | APIC_LVT_MASKED | APIC_TIMER_MODE_MASK,
    [APIC_LVT_THERMAL] = APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_MASKED,
    [APIC_LVT_PERF] = APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_MASKED,
    [APIC_LVT_LINT0] =
        APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_POLARITY | APIC_LVT_LEVEL | APIC_LVT_MASKED,
    [APIC_LVT_LINT1] =
        APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_POLARITY | APIC_LVT_LEVEL | APIC_LVT_MASKED,
    [APIC_LVT_ERROR] = APIC_VECTOR_MASK | APIC_LVT_MASKED,
};

/* Read-only bits of each LVT entry (the same figure): delivery status in every entry, remote
 * IRR in LINT0 and LINT1. A write that sets them is taken
 * (the bits keep their value), also in x2APIC mode, where only reserved bits are #GP:
 * Linux and Xen set them in LVT0 on the way to ExtINT mode (disconnect_bsp_APIC). */
static const u32 lvt_readonly[APIC_LVT_ENTRIES] = {
    [APIC_LVT_TIMER] = APIC_DELIVERY_STATUS,
    [APIC_LVT_THERMAL] = APIC_DELIVERY_STATUS,
    [APIC_LVT_PERF] = APIC_DELIVERY_STATUS,
    [APIC_LVT_LINT0] = APIC_DELIVERY_STATUS | APIC_LVT_REMOTE_IRR,
    [APIC_LVT_LINT1] = APIC_DELIVERY_STATUS | APIC_LVT_REMOTE_IRR,
    [APIC_LVT_ERROR] = APIC_DELIVERY_STATUS,
};

static const u32 lvt_offset[APIC_LVT_ENTRIES] = {
    [APIC_LVT_TIMER] = APIC_REG_LVT_TMR,   [APIC_LVT_THERMAL] = APIC_REG_LVT_THM,
    [APIC_LVT_PERF] = APIC_REG_LVT_PMC,    [APIC_LVT_LINT0] = APIC_REG_LVT_LINT0,
    [APIC_LVT_LINT1] = APIC_REG_LVT_LINT1, [APIC_LVT_ERROR] = APIC_REG_LVT_ERR,
};

/* Registers' state after reset or a global disable (11.4.7.1): all zero
 * but DFR all ones, SVR 0xff, the LVT masked. */
static void reset_registers(struct apic *a)
{
	a->tpr = a->ldr = a->esr = a->esr_pending = a->icr_lo = a->icr_hi = 0;
	a->dfr = APIC_DFR_RESET;
	a->svr = APIC_SVR_RESET;
	for (unsigned i = 0; i < APIC_LVT_ENTRIES; i++)
		a->lvt[i] = APIC_LVT_MASKED;
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	memset(a->irr, 0, sizeof(a->irr));
	a->tmict = a->tdcr = 0;
	a->timer_running = false;
	a->tsc_deadline = 0;
	a->nmi_pending = false;
}

void apic_init(struct apic *a, const struct apic_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->base_msr = APIC_DEFAULT_BASE | APIC_BASE_GLOBAL_ENABLE | APIC_BASE_BSP;
	reset_registers(a);
}

enum apic_mode apic_mode(const struct apic *a)
{
	if (!(a->base_msr & APIC_BASE_GLOBAL_ENABLE))
		return APIC_MODE_DISABLED;
	return a->base_msr & APIC_BASE_X2APIC_ENABLE ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
}

u64 apic_mmio_base(const struct apic *a)
{
	return apic_mode(a) == APIC_MODE_XAPIC ? a->base_msr & APIC_BASE_ADDR_MASK : ~0ull;
}

static bool sw_enabled(const struct apic *a)
{
	return a->svr & APIC_SVR_ENABLE;
}

/* ---- the 256-bit vector registers ---- */

static void vec_set(u32 *r, unsigned v)
{
	r[v / U32_BITS] |= 1u << (v % U32_BITS);
}
static void vec_clear(u32 *r, unsigned v)
{
	r[v / U32_BITS] &= ~(1u << (v % U32_BITS));
}
/* The highest set vector, or -1. */
static int vec_highest(const u32 *r)
{
	for (int w = 7; w >= 0; w--)
		if (r[w])
			return w * (int)U32_BITS + (31 - __builtin_clz(r[w]));
	return -1;
}

static void raise_error(struct apic *a, u32 bit);

void apic_set_irr(struct apic *a, u8 vector)
{
	/* A software-disabled APIC does not accept fixed interrupts (11.4.7.2). */
	if (!sw_enabled(a))
		return;
	if (vector < APIC_VECTOR_FIRST_LEGAL) {
		raise_error(a, APIC_ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(a->irr, vector);
	vec_clear(a->tmr, vector); /* edge triggered */
}

/* 11.5.3 "Error Handling": the bit is latched into ESR at the next ESR
 * write; an unmasked error LVT raises its interrupt now. */
static void raise_error(struct apic *a, u32 bit)
{
	const bool first = !(a->esr_pending & bit);
	a->esr_pending |= bit;
	const u32 lvt = a->lvt[APIC_LVT_ERROR];
	if (first && !(lvt & APIC_LVT_MASKED) &&
	    (lvt & APIC_VECTOR_MASK) >= APIC_VECTOR_FIRST_LEGAL)
		apic_set_irr(a, (u8)(lvt & APIC_VECTOR_MASK));
}

u32 apic_ppr(const struct apic *a)
{
	/* 11.8.3.1: PPR is TPR when its class is at least the highest in-service
	 * vector's class, else that class with sub-class 0. */
	const int isrv = vec_highest(a->isr);
	const u32 isr_v = isrv < 0 ? 0 : (u32)isrv;
	if (APIC_PRIO_CLASS(a->tpr) >= APIC_PRIO_CLASS(isr_v))
		return a->tpr & APIC_TPR_MASK;
	return isr_v & 0xf0u;
}

int apic_pending_vector(const struct apic *a)
{
	if (apic_mode(a) == APIC_MODE_DISABLED)
		return -1;
	const int v = vec_highest(a->irr);
	/* 11.8.4: delivered only when its class is above PPR's. */
	if (v < 0 || APIC_PRIO_CLASS((u32)v) <= APIC_PRIO_CLASS(apic_ppr(a)))
		return -1;
	return v;
}

void apic_accept(struct apic *a, u8 vector)
{
	vec_clear(a->irr, vector);
	vec_set(a->isr, vector);
}

static void eoi(struct apic *a)
{
	const int v = vec_highest(a->isr);
	if (v >= 0) {
		vec_clear(a->isr, (unsigned)v);
		vec_clear(a->tmr, (unsigned)v);
	}
}

bool apic_take_nmi(struct apic *a)
{
	const bool n = a->nmi_pending;
	a->nmi_pending = false;
	return n;
}

/* ---- the timer (11.5.4 "APIC Timer") ---- */

static unsigned timer_mode(const struct apic *a)
{
	return (a->lvt[APIC_LVT_TIMER] & APIC_TIMER_MODE_MASK) >> APIC_TIMER_MODE_SHIFT;
}

/* Divide configuration (Figure "Divide Configuration Register"): bits 3,1,0
 * of 000 divide by 2, ... 110 by 128, 111 by 1. */
static u64 timer_divisor(const struct apic *a)
{
	const u32 idx = (a->tdcr & 3u) | ((a->tdcr >> 1) & 4u);
	return 1ull << ((idx + 1) & 7u);
}

/* TSC cycles for `ticks` counts of the timer, rounded up. */
static u64 ticks_to_tsc(const struct apic *a, u64 ticks)
{
	const unsigned __int128 n = (unsigned __int128)ticks * timer_divisor(a);
	if (!a->cfg.tsc_hz || !a->cfg.bus_hz)
		return (u64)n;
	const unsigned __int128 t = n * a->cfg.tsc_hz;
	return (u64)((t + a->cfg.bus_hz - 1) / a->cfg.bus_hz);
}

/* Whole timer counts in `cycles` TSC cycles. */
static u64 tsc_to_ticks(const struct apic *a, u64 cycles)
{
	const u64 div = timer_divisor(a);
	if (!a->cfg.tsc_hz || !a->cfg.bus_hz)
		return cycles / div;
	return (u64)((unsigned __int128)cycles * a->cfg.bus_hz /
	             ((unsigned __int128)a->cfg.tsc_hz * div));
}

static void timer_fire(struct apic *a)
{
	const u32 lvt = a->lvt[APIC_LVT_TIMER];
	a->timer_fires++;
	if (!(lvt & APIC_LVT_MASKED))
		apic_set_irr(a, (u8)(lvt & APIC_VECTOR_MASK));
}

void apic_tick(struct apic *a, u64 tsc)
{
	if (timer_mode(a) == APIC_TIMER_TSC_DEADLINE) {
		if (a->tsc_deadline && tsc >= a->tsc_deadline) {
			a->tsc_deadline = 0;
			timer_fire(a);
		}
		return;
	}
	if (!a->timer_running || !a->tmict)
		return;
	const u64 period = ticks_to_tsc(a, a->tmict);
	if (tsc - a->timer_start < period || tsc < a->timer_start)
		return;
	timer_fire(a); /* periods missed while nobody looked count as one */
	if (timer_mode(a) == APIC_TIMER_PERIODIC)
		a->timer_start += (tsc - a->timer_start) / period * period;
	else
		a->timer_running = false;
}

static u32 timer_current(const struct apic *a, u64 tsc)
{
	if (timer_mode(a) == APIC_TIMER_TSC_DEADLINE || !a->timer_running || !a->tmict)
		return 0;
	const u64 elapsed = tsc_to_ticks(a, tsc - a->timer_start);
	if (timer_mode(a) == APIC_TIMER_PERIODIC)
		return a->tmict - (u32)(elapsed % a->tmict);
	return elapsed >= a->tmict ? 0 : a->tmict - (u32)elapsed;
}

u64 apic_next_deadline(const struct apic *a)
{
	if (a->lvt[APIC_LVT_TIMER] & APIC_LVT_MASKED || !sw_enabled(a) ||
	    apic_mode(a) == APIC_MODE_DISABLED)
		return 0;
	if (timer_mode(a) == APIC_TIMER_TSC_DEADLINE)
		return a->tsc_deadline;
	if (!a->timer_running || !a->tmict)
		return 0;
	return a->timer_start + ticks_to_tsc(a, a->tmict);
}

static bool write_lvt_timer(struct apic *a, u32 val)
{
	const unsigned mode = (val & APIC_TIMER_MODE_MASK) >> APIC_TIMER_MODE_SHIFT;
	if (mode > APIC_TIMER_TSC_DEADLINE ||
	    (mode == APIC_TIMER_TSC_DEADLINE && !a->cfg.tsc_deadline))
		return false; /* a reserved mode */
	if (mode != timer_mode(a)) {
		/* A mode change disarms the timer (11.5.4.1). */
		a->tmict = 0;
		a->timer_running = false;
		a->tsc_deadline = 0;
	}
	a->lvt[APIC_LVT_TIMER] = val & lvt_writable[APIC_LVT_TIMER];
	return true;
}

static void write_tdcr(struct apic *a, u32 val, u64 tsc)
{
	const u32 cur = timer_current(a, tsc);
	a->tdcr = val & APIC_TDCR_MASK;
	if (a->timer_running) /* the count goes on from where it was, at the new rate */
		a->timer_start = tsc - ticks_to_tsc(a, a->tmict - cur);
}

/* ---- IPIs (11.6 "Issuing Interprocessor Interrupts") ---- */

static bool dest_is_self(const struct apic *a, u32 dest, bool logical)
{
	const bool x2 = apic_mode(a) == APIC_MODE_X2APIC;
	if (dest == (x2 ? APIC_BROADCAST_X2APIC : APIC_BROADCAST_XAPIC))
		return true;
	if (!logical)
		return dest == a->cfg.id;
	if (x2) { /* 11.12.10.2: cluster in 31:16, one bit of 16 in 15:0 */
		const u32 ldr = a->ldr;
		return (dest >> APIC_X2_CLUSTER_SHIFT) == (ldr >> APIC_X2_CLUSTER_SHIFT) &&
		       (dest & ldr & 0xffffu);
	}
	const u32 lid = a->ldr >> APIC_ID_SHIFT_XAPIC;
	if (a->dfr >> APIC_DFR_MODEL_SHIFT == APIC_DFR_FLAT) /* 11.6.2.2 */
		return (dest & lid) != 0;
	return (dest >> 4) == (lid >> 4) && (dest & lid & 0xfu);
}

static void send_ipi(struct apic *a, u32 lo, u32 dest)
{
	const u32 vector = lo & APIC_VECTOR_MASK, dm = (lo & APIC_DM_MASK) >> APIC_DM_SHIFT;
	const u32 sh = (lo & APIC_ICR_SHORTHAND_MASK) >> APIC_ICR_SHORTHAND_SHIFT;
	bool self = sh == APIC_SH_SELF || sh == APIC_SH_ALL_INCL_SELF;
	if (sh == APIC_SH_NONE)
		self = dest_is_self(a, dest, lo & APIC_ICR_DEST_LOGICAL);
	if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) && vector < APIC_VECTOR_FIRST_LEGAL) {
		raise_error(a, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (!self) {
		a->ipis_dropped++; /* no other CPU exists */
		return;
	}
	if (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) {
		apic_set_irr(a, (u8)vector);
		a->ipis_delivered++;
	} else if (dm == APIC_DM_NMI) {
		a->nmi_pending = true;
		a->ipis_delivered++;
	} else {
		a->ipis_dropped++; /* INIT, SIPI, SMI, ExtINT: nothing to do them */
	}
}

/* ---- register access common to both modes ---- */

static bool offset_is(u32 off, u32 first, unsigned count)
{
	return off >= first && off < first + count * APIC_REG_STRIDE;
}

static int lvt_index(u32 off)
{
	for (unsigned i = 0; i < APIC_LVT_ENTRIES; i++)
		if (lvt_offset[i] == off)
			return (int)i;
	return -1;
}

static u32 x2apic_ldr(u32 id)
{
	return ((id >> APIC_X2_CLUSTER_BITS) << APIC_X2_CLUSTER_SHIFT) |
	       (1u << (id & ((1u << APIC_X2_CLUSTER_BITS) - 1)));
}

enum reg_status { REG_OK, REG_RESERVED, REG_WRITE_ONLY };

static enum reg_status reg_read(struct apic *a, u32 off, bool x2, u32 *val, u64 tsc)
{
	*val = 0;
	const int lvt = lvt_index(off);
	if (lvt >= 0) {
		*val = a->lvt[lvt];
		return REG_OK;
	}
	if (offset_is(off, APIC_REG_ISR0, 8)) {
		*val = a->isr[(off - APIC_REG_ISR0) / APIC_REG_STRIDE];
		return REG_OK;
	}
	if (offset_is(off, APIC_REG_TMR0, 8)) {
		*val = a->tmr[(off - APIC_REG_TMR0) / APIC_REG_STRIDE];
		return REG_OK;
	}
	if (offset_is(off, APIC_REG_IRR0, 8)) {
		*val = a->irr[(off - APIC_REG_IRR0) / APIC_REG_STRIDE];
		return REG_OK;
	}
	switch (off) {
	case APIC_REG_ID:
		*val = x2 ? a->cfg.id : a->cfg.id << APIC_ID_SHIFT_XAPIC;
		return REG_OK;
	case APIC_REG_VERSION:
		*val = APIC_VERSION_VALUE;
		return REG_OK;
	case APIC_REG_TPR:
		*val = a->tpr;
		return REG_OK;
	case APIC_REG_PPR:
		*val = apic_ppr(a);
		return REG_OK;
	case APIC_REG_LDR:
		*val = a->ldr;
		return REG_OK;
	case APIC_REG_SVR:
		*val = a->svr;
		return REG_OK;
	case APIC_REG_ESR:
		*val = a->esr;
		return REG_OK;
	case APIC_REG_ICR_LO:
		*val = a->icr_lo;
		return REG_OK;
	case APIC_REG_TMICT:
		*val = a->tmict;
		return REG_OK;
	case APIC_REG_TMCCT:
		*val = timer_current(a, tsc);
		return REG_OK;
	case APIC_REG_TDCR:
		*val = a->tdcr;
		return REG_OK;
	case APIC_REG_EOI:
		return x2 ? REG_WRITE_ONLY : REG_OK; /* xAPIC reads 0 */
	case APIC_REG_SELF_IPI:
		return x2 ? REG_WRITE_ONLY : REG_RESERVED;
	/* Registers of the xAPIC page only (11.12.1.2). */
	case APIC_REG_ICR_HI:
		*val = a->icr_hi;
		return x2 ? REG_RESERVED : REG_OK;
	case APIC_REG_DFR:
		*val = a->dfr;
		return x2 ? REG_RESERVED : REG_OK;
	case APIC_REG_APR: /* arbitration priority: no bus to arbitrate */
	case APIC_REG_RRD: /* remote read: not supported by integrated APICs */
		return x2 ? REG_RESERVED : REG_OK;
	}
	return REG_RESERVED;
}

/* A write of `val` (x2APIC: the whole 64-bit MSR value, ICR in one); false
 * when the write is refused (x2APIC: #GP). */
static bool reg_write(struct apic *a, u32 off, u64 val, bool x2, u64 tsc)
{
	const u32 v = (u32)val;
	if (x2 && off != APIC_REG_ICR_LO && (val >> 32))
		return false; /* reserved upper half */
	const int lvt = lvt_index(off);
	if (lvt >= 0) {
		u32 w = v;
		if (!sw_enabled(a)) /* 11.4.7.2: the mask stays set */
			w |= APIC_LVT_MASKED;
		if (x2 && (v & ~(lvt_writable[lvt] | lvt_readonly[lvt])))
			return false;
		if (lvt == APIC_LVT_TIMER)
			return write_lvt_timer(a, w) || !x2;
		a->lvt[lvt] = w & lvt_writable[lvt];
		return true;
	}
	switch (off) {
	case APIC_REG_TPR:
		if (x2 && (v & ~APIC_TPR_MASK))
			return false;
		a->tpr = v & APIC_TPR_MASK;
		return true;
	case APIC_REG_EOI:
		/* x2APIC: a non-zero EOI write is #GP (11.12.1.2). */
		if (x2 && v)
			return false;
		eoi(a);
		return true;
	case APIC_REG_SVR:
		if (x2 && (v & ~APIC_SVR_WRITABLE))
			return false;
		a->svr = v & APIC_SVR_WRITABLE;
		if (!sw_enabled(a))
			for (unsigned i = 0; i < APIC_LVT_ENTRIES; i++)
				a->lvt[i] |= APIC_LVT_MASKED;
		return true;
	case APIC_REG_ESR:
		if (x2 && v)
			return false;
		a->esr = a->esr_pending; /* the write latches the errors since the last */
		a->esr_pending = 0;
		return true;
	case APIC_REG_ICR_LO:
		if (x2 && (v & ~APIC_ICR_LO_WRITABLE))
			return false;
		a->icr_lo = v & APIC_ICR_LO_WRITABLE; /* delivery status: always idle */
		if (x2)
			a->icr_hi = (u32)(val >> 32);
		send_ipi(a, a->icr_lo, x2 ? a->icr_hi : a->icr_hi >> APIC_ID_SHIFT_XAPIC);
		return true;
	case APIC_REG_TMICT:
		if (timer_mode(a) == APIC_TIMER_TSC_DEADLINE)
			return true; /* ignored in TSC-deadline mode (11.5.4.1) */
		a->tmict = v;
		a->timer_start = tsc;
		a->timer_running = v != 0;
		return true;
	case APIC_REG_TDCR:
		if (x2 && (v & ~APIC_TDCR_MASK))
			return false;
		write_tdcr(a, v, tsc);
		return true;
	case APIC_REG_SELF_IPI:
		if (!x2 || (v & ~APIC_VECTOR_MASK))
			return false;
		send_ipi(a, (v & APIC_VECTOR_MASK) | (APIC_SH_SELF << APIC_ICR_SHORTHAND_SHIFT), 0);
		return true;
	case APIC_REG_ICR_HI:
		if (x2)
			return false;
		a->icr_hi = v & APIC_ICR_HI_WRITABLE;
		return true;
	case APIC_REG_LDR:
		if (x2)
			return false; /* read-only in x2APIC mode */
		a->ldr = v & APIC_LDR_WRITABLE;
		return true;
	case APIC_REG_DFR:
		if (x2)
			return false;
		a->dfr = (v & APIC_DFR_WRITABLE) | ~APIC_DFR_WRITABLE;
		return true;
	case APIC_REG_ID: /* read-only here (writable on some xAPICs only) */
	case APIC_REG_VERSION:
	case APIC_REG_PPR:
	case APIC_REG_TMCCT:
	case APIC_REG_APR:
	case APIC_REG_RRD:
		return !x2;
	}
	if (offset_is(off, APIC_REG_ISR0, 8) || offset_is(off, APIC_REG_TMR0, 8) ||
	    offset_is(off, APIC_REG_IRR0, 8))
		return !x2; /* read-only */
	return false;
}

/* ---- the xAPIC page ---- */

u32 apic_mmio_read(struct apic *a, u32 offset, u64 tsc)
{
	u32 val = 0;
	apic_tick(a, tsc);
	if (offset % APIC_REG_STRIDE || reg_read(a, offset, false, &val, tsc) == REG_RESERVED) {
		raise_error(a, APIC_ESR_ILLEGAL_REGISTER);
		return 0;
	}
	return val;
}

void apic_mmio_write(struct apic *a, u32 offset, u32 val, u64 tsc)
{
	apic_tick(a, tsc);
	if (offset % APIC_REG_STRIDE || !reg_write(a, offset, val, false, tsc))
		raise_error(a, APIC_ESR_ILLEGAL_REGISTER);
	apic_tick(a, tsc);
}

/* ---- MSRs ---- */

bool apic_owns_msr(u32 msr)
{
	return msr == IA32_APIC_BASE || msr == APIC_MSR_TSC_DEADLINE ||
	       (msr >= APIC_MSR_X2_FIRST && msr <= APIC_MSR_X2_LAST);
}

/* 11.12.5 "x2APIC State Transitions": disabled -> xAPIC -> x2APIC and back
 * through disabled; EXTD without EN, x2APIC -> xAPIC and disabled -> x2APIC
 * are #GP, as are reserved bits. */
static bool write_apic_base(struct apic *a, u64 val)
{
	const unsigned phys = APIC_PHYS_BITS_DEFAULT;
	u64 reserved = APIC_BASE_RESERVED_LOW | APIC_BASE_BIT9 | ~((1ull << phys) - 1);
	if (!a->cfg.x2apic)
		reserved |= APIC_BASE_X2APIC_ENABLE;
	if (val & reserved)
		return false;
	/* The SDM lets software move the page (11.4.5); a platform that traps
	 * it at one address refuses the move rather than lose accesses. */
	if (a->cfg.base_fixed && (val & APIC_BASE_ADDR_MASK) != (a->base_msr & APIC_BASE_ADDR_MASK))
		return false;
	const bool en = val & APIC_BASE_GLOBAL_ENABLE, extd = val & APIC_BASE_X2APIC_ENABLE;
	const enum apic_mode from = apic_mode(a);
	const enum apic_mode to = !en    ? APIC_MODE_DISABLED
	                          : extd ? APIC_MODE_X2APIC
	                                 : APIC_MODE_XAPIC;
	if ((!en && extd) || (from == APIC_MODE_X2APIC && to == APIC_MODE_XAPIC) ||
	    (from == APIC_MODE_DISABLED && to == APIC_MODE_X2APIC))
		return false;
	a->base_msr = val;
	if (to == APIC_MODE_DISABLED && from != APIC_MODE_DISABLED)
		reset_registers(a); /* 11.4.3: the APIC comes back as at power-up */
	if (to == APIC_MODE_X2APIC && from != APIC_MODE_X2APIC)
		a->ldr = x2apic_ldr(a->cfg.id); /* 11.12.10.2: derived from the ID */
	return true;
}

bool apic_msr(struct apic *a, u32 msr, bool write, u64 *val, u64 tsc)
{
	apic_tick(a, tsc);
	if (msr == IA32_APIC_BASE) {
		if (!write) {
			*val = a->base_msr;
			return true;
		}
		return write_apic_base(a, *val);
	}
	if (msr == APIC_MSR_TSC_DEADLINE) {
		if (!a->cfg.tsc_deadline)
			return false;
		/* Outside TSC-deadline mode writes are ignored and reads are 0
		 * (11.5.4.1). */
		if (timer_mode(a) != APIC_TIMER_TSC_DEADLINE) {
			if (!write)
				*val = 0;
			return true;
		}
		if (write) {
			a->tsc_deadline = *val;
			apic_tick(a, tsc);
		} else {
			*val = a->tsc_deadline;
		}
		return true;
	}
	if (msr < APIC_MSR_X2_FIRST || msr > APIC_MSR_X2_LAST || apic_mode(a) != APIC_MODE_X2APIC)
		return false; /* 11.12.1.2: x2APIC MSRs are #GP outside x2APIC mode */
	const u32 off = (msr - APIC_MSR_X2_FIRST) * APIC_REG_STRIDE;
	if (write) {
		const bool ok = reg_write(a, off, *val, true, tsc);
		apic_tick(a, tsc);
		return ok;
	}
	u32 lo;
	if (reg_read(a, off, true, &lo, tsc) != REG_OK)
		return false;
	*val = lo;
	if (off == APIC_REG_ICR_LO)
		*val |= (u64)a->icr_hi << 32;
	return true;
}
