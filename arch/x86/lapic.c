#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/dmap.h"
#include "arch/x86/irq.h"
#include "arch/x86/msr.h"
#include "arch/x86/tsc.h"
#include "lib/bits.h"
#include "lib/console.h"

/* xAPIC register offsets (SDM Vol. 3A, Table 11-1). */
#define LAPIC_ID          0x020
#define LAPIC_VERSION     0x030
#define LAPIC_TPR         0x080
#define LAPIC_EOI         0x0b0
#define LAPIC_SVR         0x0f0
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_ERROR   0x370
#define LAPIC_ICR_LOW     0x300
#define LAPIC_ICR_HIGH    0x310
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_CUR   0x390
#define LAPIC_TIMER_DIVID 0x3e0
#define LAPIC_MMIO_BYTES  0x1000

#define LAPIC_SVR_ENABLE   BIT(8)  /* APIC software enable (11.9) */
#define LAPIC_LVT_MASKED   BIT(16) /* 11.5.1 */
#define LAPIC_LVT_ONESHOT  0       /* timer mode bits 18:17 = 00 */
#define LAPIC_DIVIDE_BY_16 0x3     /* divide configuration 0011b (Figure 11-10) */
#define LAPIC_ERROR_VECTOR 0xfe    /* masked: only named so the LVT holds a legal vector */
#define LAPIC_VERSION_MASK 0xff
#define LAPIC_ID_SHIFT     24 /* xAPIC ID in bits 31:24 (11.4.6) */
/* ICR fields (Figure 11-12). */
#define LAPIC_ICR_DELIVERY_NMI   (4u << 8)
#define LAPIC_ICR_LEVEL_ASSERT   BIT(14)
#define LAPIC_ICR_SHORTHAND_SELF (1u << 18)
#define LAPIC_ICR_DEST_SHIFT     24

/* The calibration interval: long enough for a 16-bit PIT count to be a
 * fair reference (tsc_hz_from_pit), short at boot. */
#define LAPIC_CALIBRATE_MS 20

static volatile u32 *lapic_mmio;
static struct lapic_rate rate;
static u64 tsc_hz;

static u32 reg_read(u32 off)
{
	return lapic_mmio[off / sizeof(u32)];
}

static void reg_write(u32 off, u32 v)
{
	lapic_mmio[off / sizeof(u32)] = v;
}

bool lapic_init(void)
{
	const u64 base = rdmsr(IA32_APIC_BASE);
	if (!(base & APIC_BASE_GLOBAL_ENABLE)) {
		con_printf("lapic: IA32_APIC_BASE 0x%llx: the local APIC is globally disabled\n",
		           base);
		return false;
	}
	if (base & APIC_BASE_X2APIC_ENABLE) {
		con_printf("lapic: IA32_APIC_BASE 0x%llx: x2APIC mode is on; this driver uses the "
		           "xAPIC MMIO registers only\n",
		           base);
		return false;
	}
	const u64 pa = base & APIC_BASE_ADDR_MASK;
	/* 11.4.1: the APIC page must be UC; the direct map gives it the type
	 * of its MTRRs, which firmware makes UC for the APIC range. */
	if (!dmap_is_uncached(pa, LAPIC_MMIO_BYTES)) {
		con_printf(
		    "lapic: registers at 0x%llx are not mapped UC (outside the direct map, or "
		    "the MTRRs give them another type); the local APIC is not used\n",
		    pa);
		return false;
	}
	lapic_mmio = (volatile u32 *)(uintptr_t)pa;
	/* 11.9: software enable with the spurious vector; LINT0 (where an 8259
	 * would deliver ExtINT) and the error LVT masked, the timer masked until
	 * it is armed, TPR 0 so that every vector is delivered. */
	reg_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | IRQ_VEC_TIMER);
	reg_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
	reg_write(LAPIC_LVT_ERROR, LAPIC_LVT_MASKED | LAPIC_ERROR_VECTOR);
	reg_write(LAPIC_TPR, 0);
	reg_write(LAPIC_SVR, LAPIC_SVR_ENABLE | IRQ_VEC_SPURIOUS);
	reg_write(LAPIC_TIMER_DIVID, LAPIC_DIVIDE_BY_16);

	/* 11.5.4: the timer counts down from the initial count at the bus or
	 * core crystal clock over the divider; its rate is measured here over
	 * the PIT interval that also gives the TSC's. */
	reg_write(LAPIC_TIMER_INIT, LAPIC_COUNT_MAX);
	const u32 c0 = reg_read(LAPIC_TIMER_CUR);
	const u64 t0 = tsc_read();
	tsc_hz = tsc_hz_from_pit(LAPIC_CALIBRATE_MS);
	const u32 c1 = reg_read(LAPIC_TIMER_CUR);
	const u64 t1 = tsc_read();
	reg_write(LAPIC_TIMER_INIT, 0);
	if (!lapic_rate_measure(c0, c1, t0, t1, &rate)) {
		con_printf("lapic: the timer did not count (current count 0x%x then 0x%x)\n", c0,
		           c1);
		rate = (struct lapic_rate){0, 0};
		return false;
	}
	con_printf("lapic: xAPIC at 0x%llx (id %u, version 0x%x), spurious vector 0x%x; timer "
	           "(divide by 16) %llu counts in %llu TSC cycles: %llu Hz at a TSC of %llu Hz "
	           "(PIT)\n",
	           pa, reg_read(LAPIC_ID) >> LAPIC_ID_SHIFT,
	           reg_read(LAPIC_VERSION) & LAPIC_VERSION_MASK, IRQ_VEC_SPURIOUS, rate.count,
	           rate.tsc, lapic_rate_hz(&rate, tsc_hz), tsc_hz);
	return true;
}

void lapic_eoi(void)
{
	reg_write(LAPIC_EOI, 0);
}

void lapic_timer_oneshot(u8 vector, u32 count)
{
	reg_write(LAPIC_LVT_TIMER, LAPIC_LVT_ONESHOT | vector);
	reg_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_stop(void)
{
	reg_write(LAPIC_TIMER_INIT, 0);
	reg_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | IRQ_VEC_TIMER);
}

void lapic_send_self(u8 vector)
{
	reg_write(LAPIC_ICR_LOW, LAPIC_ICR_SHORTHAND_SELF | LAPIC_ICR_LEVEL_ASSERT | vector);
}

void lapic_send_nmi_self(void)
{
	const u32 id = reg_read(LAPIC_ID) >> LAPIC_ID_SHIFT;
	reg_write(LAPIC_ICR_HIGH, id << LAPIC_ICR_DEST_SHIFT);
	reg_write(LAPIC_ICR_LOW, LAPIC_ICR_DELIVERY_NMI | LAPIC_ICR_LEVEL_ASSERT);
}

const struct lapic_rate *lapic_rate(void)
{
	return &rate;
}

u64 lapic_tsc_hz(void)
{
	return tsc_hz;
}
