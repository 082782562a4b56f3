/* hv/platform/apic: the local APIC model against the SDM Vol. 3A APIC
 * chapter. The clock is a fake TSC at 1 GHz with a stated 100 MHz bus, so
 * one timer count at divide-by-1 is 10 TSC cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/msr.h"
#include "hv/platform/apic.h"

#define TSC_HZ 1000000000ull
#define BUS_HZ 100000000ull
#define T0     1000000ull

static void mk(struct apic *a, bool x2, bool dl)
{
	const struct apic_config c = {
	    .id = 0, .x2apic = x2, .tsc_deadline = dl, .tsc_hz = TSC_HZ, .bus_hz = BUS_HZ};
	apic_init(a, &c);
}

static void enable_sw(struct apic *a)
{
	apic_mmio_write(a, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff, T0);
}

static void test_reset_state(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, true, true);
	u64 v;
	assert_true(apic_msr(&a, IA32_APIC_BASE, false, &v, T0));
	assert_int_equal(v, 0xfee00000ull | APIC_BASE_GLOBAL_ENABLE | APIC_BASE_BSP);
	assert_int_equal(apic_mmio_base(&a), 0xfee00000ull);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ID, T0), 0);
	/* version 0x14, max LVT entry 5 in bits 23:16 */
	assert_int_equal(apic_mmio_read(&a, APIC_REG_VERSION, T0), 0x00050014);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_SVR, T0), 0xff);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_DFR, T0), 0xffffffff);
	for (u32 off = APIC_REG_LVT_TMR; off <= APIC_REG_LVT_ERR; off += 0x10)
		assert_int_equal(apic_mmio_read(&a, off, T0), APIC_LVT_MASKED);
}

static void test_apic_base_transitions(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, true, true);
	const u64 en = APIC_BASE_GLOBAL_ENABLE | APIC_BASE_BSP | 0xfee00000ull;
	u64 v = en | 1; /* reserved bit 0 */
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	v = en | (1ull << 9);
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	v = en | (1ull << 40); /* above MAXPHYADDR 36 */
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	v = APIC_BASE_X2APIC_ENABLE | APIC_BASE_BSP | 0xfee00000ull; /* EXTD without EN */
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	/* xAPIC state kept by a write of the same mode; TPR survives */
	apic_mmio_write(&a, APIC_REG_TPR, 0x20, T0);
	v = en;
	assert_true(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TPR, T0), 0x20);
	/* xAPIC -> x2APIC */
	v = en | APIC_BASE_X2APIC_ENABLE;
	assert_true(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	assert_int_equal(apic_mode(&a), APIC_MODE_X2APIC);
	assert_int_equal(apic_mmio_base(&a), ~0ull);
	/* x2APIC -> xAPIC is #GP */
	v = en;
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	/* x2APIC -> disabled resets the registers */
	v = APIC_BASE_BSP | 0xfee00000ull;
	assert_true(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	assert_int_equal(apic_mode(&a), APIC_MODE_DISABLED);
	/* disabled -> x2APIC is #GP; disabled -> xAPIC is fine, at reset state */
	v = en | APIC_BASE_X2APIC_ENABLE;
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	v = en;
	assert_true(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TPR, T0), 0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_SVR, T0), 0xff);
	/* without x2APIC in CPUID, EXTD is reserved */
	mk(&a, false, false);
	v = en | APIC_BASE_X2APIC_ENABLE;
	assert_false(apic_msr(&a, IA32_APIC_BASE, true, &v, T0));
}

static void test_xapic_registers(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, true, true);
	apic_mmio_write(&a, APIC_REG_TPR, 0x1ff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TPR, T0), 0xff);
	apic_mmio_write(&a, APIC_REG_LDR, 0xffffffff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LDR, T0), 0xff000000);
	apic_mmio_write(&a, APIC_REG_DFR, 0x0, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_DFR, T0), 0x0fffffff);
	/* software disabled: LVT writes keep the mask */
	apic_mmio_write(&a, APIC_REG_LVT_LINT0, 0x700, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_LINT0, T0), 0x10700);
	enable_sw(&a);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_SVR, T0), 0x1ff);
	/* LINT0: vector, delivery mode, polarity, trigger, mask; DS and remote IRR read-only */
	apic_mmio_write(&a, APIC_REG_LVT_LINT0, 0xffffffff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_LINT0, T0), 0x1a7ff);
	apic_mmio_write(&a, APIC_REG_LVT_ERR, 0xffffffff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_ERR, T0), 0x100ff);
	apic_mmio_write(&a, APIC_REG_LVT_THM, 0x12345, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_THM, T0), 0x10345);
	apic_mmio_write(&a, APIC_REG_LVT_PMC, 0x00455, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_PMC, T0), 0x00455);
	/* read-only registers ignore writes */
	apic_mmio_write(&a, APIC_REG_VERSION, 0, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_VERSION, T0), 0x00050014);
	/* ICR high: destination in 31:24 */
	apic_mmio_write(&a, APIC_REG_ICR_HI, 0xffffffff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ICR_HI, T0), 0xff000000);
	/* software disable masks every LVT */
	apic_mmio_write(&a, APIC_REG_LVT_LINT1, 0x400, T0);
	apic_mmio_write(&a, APIC_REG_SVR, 0xff, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_LINT1, T0), 0x10400);
}

static void test_esr(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, false);
	enable_sw(&a);
	/* a reserved register and a fixed IPI with vector < 16 */
	(void)apic_mmio_read(&a, 0x040, T0);
	apic_mmio_write(&a, APIC_REG_ICR_LO, (APIC_SH_SELF << 18) | 5, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ESR, T0), 0); /* not latched yet */
	apic_mmio_write(&a, APIC_REG_ESR, 0, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ESR, T0),
	                 APIC_ESR_ILLEGAL_REGISTER | APIC_ESR_SEND_ILLEGAL_VECTOR);
	apic_mmio_write(&a, APIC_REG_ESR, 0, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ESR, T0), 0);
	assert_int_equal(apic_pending_vector(&a), -1);
	/* an unmasked error LVT raises its vector */
	apic_mmio_write(&a, APIC_REG_LVT_ERR, 0xfe, T0);
	(void)apic_mmio_read(&a, 0x050, T0);
	assert_int_equal(apic_pending_vector(&a), 0xfe);
}

static void test_priority_and_eoi(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, false);
	enable_sw(&a);
	apic_set_irr(&a, 0x31);
	apic_set_irr(&a, 0x52);
	apic_set_irr(&a, 0x55);
	assert_int_equal(apic_pending_vector(&a), 0x55);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_IRR0 + 0x20, T0), (1u << 0x12) | (1u << 0x15));
	/* TPR class 5 blocks class 5 and below */
	apic_mmio_write(&a, APIC_REG_TPR, 0x50, T0);
	assert_int_equal(apic_pending_vector(&a), -1);
	assert_int_equal(apic_ppr(&a), 0x50);
	apic_mmio_write(&a, APIC_REG_TPR, 0x4f, T0);
	assert_int_equal(apic_pending_vector(&a), 0x55);
	apic_mmio_write(&a, APIC_REG_TPR, 0, T0);
	apic_accept(&a, 0x55);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ISR0 + 0x20, T0), 1u << 0x15);
	/* in service 0x55: PPR 0x50, so 0x52 waits */
	assert_int_equal(apic_mmio_read(&a, APIC_REG_PPR, T0), 0x50);
	assert_int_equal(apic_pending_vector(&a), -1);
	apic_set_irr(&a, 0x61);
	assert_int_equal(apic_pending_vector(&a), 0x61); /* nests above */
	apic_accept(&a, 0x61);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0); /* ends 0x61, the highest */
	assert_int_equal(apic_mmio_read(&a, APIC_REG_PPR, T0), 0x50);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_PPR, T0), 0);
	assert_int_equal(apic_pending_vector(&a), 0x52);
	/* TPR above ISR class: PPR is TPR */
	apic_accept(&a, 0x52);
	apic_mmio_write(&a, APIC_REG_TPR, 0x6a, T0);
	assert_int_equal(apic_ppr(&a), 0x6a);
}

static void test_ipis(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, false);
	enable_sw(&a);
	/* self shorthand, fixed */
	apic_mmio_write(&a, APIC_REG_ICR_LO, (APIC_SH_SELF << 18) | 0x40, T0);
	assert_int_equal(apic_pending_vector(&a), 0x40);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ICR_LO, T0) & APIC_DELIVERY_STATUS, 0);
	apic_accept(&a, 0x40);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0);
	/* physical destination = own ID 0 */
	apic_mmio_write(&a, APIC_REG_ICR_HI, 0, T0);
	apic_mmio_write(&a, APIC_REG_ICR_LO, 0x41, T0);
	assert_int_equal(apic_pending_vector(&a), 0x41);
	apic_accept(&a, 0x41);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0);
	/* to APIC 1: nobody there */
	apic_mmio_write(&a, APIC_REG_ICR_HI, 1u << 24, T0);
	apic_mmio_write(&a, APIC_REG_ICR_LO, 0x42, T0);
	assert_int_equal(apic_pending_vector(&a), -1);
	/* INIT and SIPI to all-but-self: swallowed, delivery status clear */
	apic_mmio_write(&a, APIC_REG_ICR_LO, (APIC_SH_ALL_EXCL_SELF << 18) | (5u << 8) | 0x4000,
	                T0);
	apic_mmio_write(&a, APIC_REG_ICR_LO, (APIC_SH_ALL_EXCL_SELF << 18) | (6u << 8) | 0x10, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_ICR_LO, T0) & APIC_DELIVERY_STATUS, 0);
	assert_int_equal(apic_pending_vector(&a), -1);
	assert_int_equal(a.ipis_dropped, 3);
	/* logical flat: LDR bit 0 set, destination 0x01 */
	apic_mmio_write(&a, APIC_REG_LDR, 1u << 24, T0);
	apic_mmio_write(&a, APIC_REG_ICR_HI, 1u << 24, T0);
	apic_mmio_write(&a, APIC_REG_ICR_LO, APIC_ICR_DEST_LOGICAL | 0x43, T0);
	assert_int_equal(apic_pending_vector(&a), 0x43);
	/* NMI to self */
	assert_false(apic_take_nmi(&a));
	apic_mmio_write(&a, APIC_REG_ICR_LO, (APIC_SH_SELF << 18) | (4u << 8), T0);
	assert_true(apic_take_nmi(&a));
	assert_false(apic_take_nmi(&a));
}

static void to_x2(struct apic *a)
{
	u64 v = APIC_BASE_GLOBAL_ENABLE | APIC_BASE_BSP | APIC_BASE_X2APIC_ENABLE | 0xfee00000ull;
	assert_true(apic_msr(a, IA32_APIC_BASE, true, &v, T0));
}

static void test_x2apic_msrs(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, true, true);
	u64 v = 0;
	assert_false(apic_msr(&a, 0x802, false, &v, T0)); /* #GP in xAPIC mode */
	to_x2(&a);
	assert_true(apic_msr(&a, 0x802, false, &v, T0));
	assert_int_equal(v, 0); /* the 32-bit ID */
	assert_true(apic_msr(&a, 0x803, false, &v, T0));
	assert_int_equal(v, 0x00050014);
	assert_true(apic_msr(&a, 0x80d, false, &v, T0)); /* LDR: cluster 0, bit 0 */
	assert_int_equal(v, 1);
	v = 0;
	assert_false(apic_msr(&a, 0x802, true, &v, T0));  /* ID read-only */
	assert_false(apic_msr(&a, 0x80d, true, &v, T0));  /* LDR read-only */
	assert_false(apic_msr(&a, 0x80e, false, &v, T0)); /* no DFR */
	assert_false(apic_msr(&a, 0x831, false, &v, T0)); /* no ICR high */
	assert_false(apic_msr(&a, 0x809, false, &v, T0)); /* APR gone */
	assert_false(apic_msr(&a, 0x804, false, &v, T0)); /* reserved */
	assert_false(apic_msr(&a, 0x8ff, false, &v, T0));
	assert_false(apic_msr(&a, 0x80b, false, &v, T0)); /* EOI write-only */
	v = 1;
	assert_false(apic_msr(&a, 0x80b, true, &v, T0)); /* non-zero EOI */
	assert_false(apic_msr(&a, 0x828, true, &v, T0)); /* non-zero ESR */
	v = 0x100;
	assert_false(apic_msr(&a, 0x808, true, &v, T0)); /* TPR reserved bits */
	v = 1ull << 32;
	assert_false(apic_msr(&a, 0x808, true, &v, T0));
	v = 0x1ff;
	assert_true(apic_msr(&a, 0x80f, true, &v, T0)); /* SVR enable */
	/* SELF_IPI */
	v = 0x33;
	assert_true(apic_msr(&a, 0x83f, true, &v, T0));
	assert_int_equal(apic_pending_vector(&a), 0x33);
	assert_false(apic_msr(&a, 0x83f, false, &v, T0)); /* write-only */
	v = 0x100;
	assert_false(apic_msr(&a, 0x83f, true, &v, T0));
	apic_accept(&a, 0x33);
	v = 0;
	assert_true(apic_msr(&a, 0x80b, true, &v, T0));
	/* ICR as one 64-bit MSR: destination 0 in 63:32, fixed vector 0x44 */
	v = 0x44;
	assert_true(apic_msr(&a, 0x830, true, &v, T0));
	assert_int_equal(apic_pending_vector(&a), 0x44);
	v = (5ull << 32) | 0x45; /* to APIC 5: dropped */
	assert_true(apic_msr(&a, 0x830, true, &v, T0));
	assert_true(apic_msr(&a, 0x830, false, &v, T0));
	assert_int_equal(v, (5ull << 32) | 0x45);
	apic_accept(&a, 0x44);
	assert_int_equal(apic_pending_vector(&a), -1);
	/* ISR readable as MSR 0x810 + n */
	assert_true(apic_msr(&a, 0x812, false, &v, T0));
	assert_int_equal(v, 1u << 4);
	v = 0;
	assert_false(apic_msr(&a, 0x812, true, &v, T0)); /* read-only */
}

static void test_timer_oneshot(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, true);
	enable_sw(&a);
	apic_mmio_write(&a, APIC_REG_TDCR, 0xb, T0); /* divide by 1 */
	apic_mmio_write(&a, APIC_REG_LVT_TMR, 0x60, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 1000, T0);
	/* 1000 counts * 10 cycles */
	assert_int_equal(apic_next_deadline(&a), T0 + 10000);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMCCT, T0 + 2500), 750);
	assert_int_equal(apic_pending_vector(&a), -1);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMCCT, T0 + 9999), 1);
	apic_tick(&a, T0 + 10000);
	assert_int_equal(apic_pending_vector(&a), 0x60);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMCCT, T0 + 20000), 0);
	assert_int_equal(apic_next_deadline(&a), 0);
	assert_int_equal(a.timer_fires, 1);
	/* divide by 16 (0011): 160 cycles a count */
	apic_mmio_write(&a, APIC_REG_TDCR, 0x3, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 10, T0);
	assert_int_equal(apic_next_deadline(&a), T0 + 1600);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMCCT, T0 + 800), 5);
	/* divide by 2 (0000) */
	apic_mmio_write(&a, APIC_REG_TDCR, 0x0, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 10, T0);
	assert_int_equal(apic_next_deadline(&a), T0 + 200);
	/* divide by 128 (1010) */
	apic_mmio_write(&a, APIC_REG_TDCR, 0xa, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 1, T0);
	assert_int_equal(apic_next_deadline(&a), T0 + 1280);
	/* initial count 0 stops it */
	apic_mmio_write(&a, APIC_REG_TMICT, 0, T0);
	assert_int_equal(apic_next_deadline(&a), 0);
	/* masked: no deadline to arm, no interrupt when it runs out */
	apic_mmio_write(&a, APIC_REG_LVT_TMR, APIC_LVT_MASKED | 0x61, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 10, T0);
	assert_int_equal(apic_next_deadline(&a), 0);
	apic_tick(&a, T0 + 1000000);
	assert_int_equal(a.irr[0x61 / 32] & (1u << (0x61 % 32)), 0);
}

static void test_timer_periodic(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, true);
	enable_sw(&a);
	apic_mmio_write(&a, APIC_REG_TDCR, 0xb, T0);
	apic_mmio_write(&a, APIC_REG_LVT_TMR, (APIC_TIMER_PERIODIC << 17) | 0x70, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 100, T0); /* 1000 cycles a period */
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMCCT, T0 + 230), 77);
	apic_tick(&a, T0 + 1000);
	assert_int_equal(apic_pending_vector(&a), 0x70);
	assert_int_equal(apic_next_deadline(&a), T0 + 2000);
	apic_accept(&a, 0x70);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0 + 1100);
	apic_tick(&a, T0 + 3500); /* two periods at once: one interrupt */
	assert_int_equal(a.timer_fires, 2);
	assert_int_equal(apic_next_deadline(&a), T0 + 4000);
	/* mode change disarms */
	apic_mmio_write(&a, APIC_REG_LVT_TMR, 0x70, T0 + 3600);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMICT, T0 + 3600), 0);
	assert_int_equal(apic_next_deadline(&a), 0);
}

static void test_timer_tsc_deadline(void **s)
{
	(void)s;
	struct apic a;
	mk(&a, false, true);
	enable_sw(&a);
	u64 v = T0 + 500;
	/* outside deadline mode: writes ignored, reads 0 */
	assert_true(apic_msr(&a, APIC_MSR_TSC_DEADLINE, true, &v, T0));
	assert_true(apic_msr(&a, APIC_MSR_TSC_DEADLINE, false, &v, T0));
	assert_int_equal(v, 0);
	apic_mmio_write(&a, APIC_REG_LVT_TMR, (APIC_TIMER_TSC_DEADLINE << 17) | 0x80, T0);
	apic_mmio_write(&a, APIC_REG_TMICT, 100, T0); /* ignored in this mode */
	assert_int_equal(apic_mmio_read(&a, APIC_REG_TMICT, T0), 0);
	v = T0 + 500;
	assert_true(apic_msr(&a, APIC_MSR_TSC_DEADLINE, true, &v, T0));
	assert_int_equal(apic_next_deadline(&a), T0 + 500);
	apic_tick(&a, T0 + 499);
	assert_int_equal(apic_pending_vector(&a), -1);
	apic_tick(&a, T0 + 500);
	assert_int_equal(apic_pending_vector(&a), 0x80);
	assert_true(apic_msr(&a, APIC_MSR_TSC_DEADLINE, false, &v, T0 + 600));
	assert_int_equal(v, 0); /* cleared when it fires */
	/* a deadline in the past fires at once */
	apic_accept(&a, 0x80);
	apic_mmio_write(&a, APIC_REG_EOI, 0, T0 + 700);
	v = 1;
	assert_true(apic_msr(&a, APIC_MSR_TSC_DEADLINE, true, &v, T0 + 800));
	assert_int_equal(apic_pending_vector(&a), 0x80);
	/* without the feature: the MSR is #GP and the mode is reserved */
	mk(&a, false, false);
	assert_false(apic_msr(&a, APIC_MSR_TSC_DEADLINE, false, &v, T0));
	enable_sw(&a);
	apic_mmio_write(&a, APIC_REG_LVT_TMR, (APIC_TIMER_TSC_DEADLINE << 17) | 0x80, T0);
	assert_int_equal(apic_mmio_read(&a, APIC_REG_LVT_TMR, T0), APIC_LVT_MASKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_state),      cmocka_unit_test(test_apic_base_transitions),
	    cmocka_unit_test(test_xapic_registers),  cmocka_unit_test(test_esr),
	    cmocka_unit_test(test_priority_and_eoi), cmocka_unit_test(test_ipis),
	    cmocka_unit_test(test_x2apic_msrs),      cmocka_unit_test(test_timer_oneshot),
	    cmocka_unit_test(test_timer_periodic),   cmocka_unit_test(test_timer_tsc_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
