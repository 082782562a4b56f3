/* The guest's local APIC as the platform gives it (hv/platform/platform.h,
 * hv/platform/intr.h), against the SDM Vol. 3A, chapter 11: IA32_APIC_BASE
 * (11.4.4 "Local APIC Status and Location": BSP bit 8, EN bit 11, base in
 * bits MAXPHYADDR-1:12, the rest reserved; 11.12.5 transitions; EXTD only
 * where CPUID offers x2APIC), a base that stays at 0xFEE00000 (segvisor
 * refuses a move with #GP), x2APIC MSRs and IA32_TSC_DEADLINE #GP while
 * CPUID hides them; the injection decision (11.8.4 priority over PPR, IF and
 * the STI/MOV-SS shadow, NMI first) and HLT's wake-up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/msr.h"
#include "hv/platform/intr.h"
#include "hv/platform/platform.h"

#define BASE    0xfee00000ull
#define EN      (1ull << 11)
#define BSP     (1ull << 8)
#define EXTD    (1ull << 10)
#define MSR_ABS 0x1bu

static void mk(struct platform *p, u32 offers)
{
	const struct platform_config cfg = {.cpuid_offers = offers};
	platform_init(p, &cfg);
}

static enum platform_msr_result rd(struct platform *p, u32 msr, u64 *v)
{
	return platform_msr(p, msr, false, v, 0);
}

static enum platform_msr_result wr(struct platform *p, u32 msr, u64 v)
{
	return platform_msr(p, msr, true, &v, 0);
}

static void test_apic_base_msr(void **st)
{
	(void)st;
	struct platform p;
	mk(&p, CPUID_OFFER_APIC);
	u64 v = 0;
	/* Power-up (11.4.4): enabled, the BSP, at 0xFEE00000. */
	assert_int_equal(rd(&p, MSR_ABS, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, BASE | EN | BSP);
	/* Disable, then re-enable (11.4.3): the page is no APIC's while off. */
	assert_int_equal(wr(&p, MSR_ABS, BASE | BSP), PLATFORM_MSR_OK);
	assert_int_equal(apic_mmio_base(&p.apic), ~0ull);
	assert_int_equal(rd(&p, MSR_ABS, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, BASE | BSP);
	assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP), PLATFORM_MSR_OK);
	assert_int_equal(apic_mmio_base(&p.apic), BASE);
	/* Coming back from disabled, SVR is 0xFF: software-disabled (11.4.7.1). */
	assert_int_equal(apic_mmio_read(&p.apic, APIC_REG_SVR, 0), 0xff);
	/* Reserved bits: 7:0, 9, and above MAXPHYADDR (36 here): #GP. */
	const u64 reserved[] = {1ull << 0, 1ull << 7, 1ull << 9, 1ull << 36, 1ull << 63};
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP | reserved[i]), PLATFORM_MSR_GP);
	/* EXTD while CPUID hides x2APIC is reserved too. */
	assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP | EXTD), PLATFORM_MSR_GP);
	/* A move of the page is refused: #GP, and the base stays. */
	assert_int_equal(wr(&p, MSR_ABS, 0xfec00000ull | EN | BSP), PLATFORM_MSR_GP);
	assert_int_equal(rd(&p, MSR_ABS, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, BASE | EN | BSP);
}

static void test_hidden_msrs_gp(void **st)
{
	(void)st;
	struct platform p;
	mk(&p, CPUID_OFFER_APIC);
	u64 v = 0;
	/* x2APIC registers outside x2APIC mode are #GP (11.12.1.2), and so is
	 * IA32_TSC_DEADLINE where CPUID does not offer the mode. */
	assert_int_equal(rd(&p, 0x802, &v), PLATFORM_MSR_GP); /* x2APIC ID */
	assert_int_equal(rd(&p, 0x80b, &v), PLATFORM_MSR_GP); /* EOI */
	assert_int_equal(rd(&p, 0x8ff, &v), PLATFORM_MSR_GP);
	assert_int_equal(wr(&p, 0x830, 0x40), PLATFORM_MSR_GP);
	assert_int_equal(rd(&p, 0x6e0, &v), PLATFORM_MSR_GP);
	/* Their neighbours are not the APIC's. */
	assert_int_equal(rd(&p, 0x7ff, &v), PLATFORM_MSR_NOT_MINE);
	assert_int_equal(rd(&p, 0x900, &v), PLATFORM_MSR_NOT_MINE);
}

static void test_cpuid_apic_bit(void **st)
{
	(void)st;
	struct platform p;
	mk(&p, CPUID_OFFER_APIC);
	const struct cpuid_regs c = platform_cpuid_for(&p, 0, 1, 0);
	/* CPUID.1: EDX bit 9 APIC offered (it is emulated); ECX bit 21 x2APIC
	 * and bit 24 TSC-deadline are not, since they are not offered. The
	 * host's own bits decide the rest, so only the offered bit is checked
	 * when the host has it. */
	assert_false(c.ecx & (1u << 21));
	assert_false(c.ecx & (1u << 24));
	assert_true(c.edx & (1u << 9));
	/* Offered, the bits are set whatever the host has: the platform
	 * emulates them. */
	mk(&p, CPUID_OFFER_APIC | CPUID_OFFER_X2APIC | CPUID_OFFER_TSC_DEADLINE);
	const struct cpuid_regs o = platform_cpuid_for(&p, 0, 1, 0);
	assert_true(o.ecx & (1u << 21));
	assert_true(o.ecx & (1u << 24));
}

static void test_x2apic_offered(void **st)
{
	(void)st;
	struct platform p;
	mk(&p, CPUID_OFFER_APIC | CPUID_OFFER_X2APIC | CPUID_OFFER_TSC_DEADLINE);
	u64 v = 0;
	/* Still #GP in xAPIC mode; TSC_DEADLINE reads 0 outside its mode. */
	assert_int_equal(rd(&p, 0x802, &v), PLATFORM_MSR_GP);
	assert_int_equal(rd(&p, 0x6e0, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, 0);
	/* EXTD: the x2APIC MSRs answer, the xAPIC page is gone (11.12.1). */
	assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP | EXTD), PLATFORM_MSR_OK);
	assert_int_equal(apic_mmio_base(&p.apic), ~0ull);
	assert_int_equal(rd(&p, 0x802, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(rd(&p, 0x803, &v), PLATFORM_MSR_OK);
	assert_int_equal(v, APIC_VERSION_VALUE);
	/* SELF IPI (0x83f) with the APIC software-enabled sets IRR. */
	assert_int_equal(wr(&p, 0x80f, 0x1ff), PLATFORM_MSR_OK);
	assert_int_equal(wr(&p, 0x83f, 0x50), PLATFORM_MSR_OK);
	assert_int_equal(apic_pending_vector(&p.apic), 0x50);
	/* A non-zero EOI is #GP; x2APIC -> xAPIC is #GP (11.12.5). */
	assert_int_equal(wr(&p, 0x80b, 1), PLATFORM_MSR_GP);
	assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP), PLATFORM_MSR_GP);
	assert_int_equal(wr(&p, MSR_ABS, BASE | BSP), PLATFORM_MSR_OK);
	assert_int_equal(wr(&p, MSR_ABS, BASE | EN | BSP), PLATFORM_MSR_OK);
}

/* An APIC software-enabled (SVR bit 8, 11.4.7.2) with spurious vector 0xff. */
static void mk_enabled(struct apic *a)
{
	const struct apic_config cfg = {.base_fixed = true};
	apic_init(a, &cfg);
	apic_mmio_write(a, APIC_REG_SVR, 0x1ff, 0);
}

static const struct intr_guest OPEN = {.intr_window = true, .nmi_window = true};
static const struct intr_guest SHUT = {.intr_window = false, .nmi_window = false};

static void test_choose_window_and_priority(void **st)
{
	(void)st;
	struct apic a;
	mk_enabled(&a);
	/* Nothing pending: nothing to do, no window wanted. */
	struct intr_choice c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_NOTHING);
	assert_false(c.want_window);
	/* A vector pending while IF = 0 or a shadow holds it: wait for the
	 * window, and it stays in IRR. */
	apic_set_irr(&a, 0x41);
	c = intr_choose(&a, &SHUT);
	assert_int_equal(c.action, INTR_WAIT_WINDOW);
	assert_true(c.want_window);
	assert_true(a.irr[0x41 / 32] & (1u << (0x41 % 32)));
	/* The window opens: injected, IRR -> ISR (11.8.4). */
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_int_equal(c.vector, 0x41);
	assert_false(c.want_window);
	assert_false(a.irr[0x41 / 32] & (1u << (0x41 % 32)));
	assert_true(a.isr[0x41 / 32] & (1u << (0x41 % 32)));
	/* In service, 0x41 raises PPR to 0x40: 0x45 (same class) waits, 0x51
	 * (higher class) preempts (11.8.3.1). */
	apic_set_irr(&a, 0x45);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_NOTHING);
	apic_set_irr(&a, 0x51);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_int_equal(c.vector, 0x51);
	/* EOI clears the highest in-service vector (11.8.5): 0x51, then 0x41;
	 * then 0x45 goes through. */
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	assert_false(a.isr[0x51 / 32] & (1u << (0x51 % 32)));
	assert_int_equal(intr_choose(&a, &OPEN).action, INTR_NOTHING);
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	assert_int_equal(a.isr[2], 0);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_int_equal(c.vector, 0x45);
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	/* TPR 0x50 holds back classes 5 and below, lets class 6 through. */
	apic_mmio_write(&a, APIC_REG_TPR, 0x50, 0);
	apic_set_irr(&a, 0x5f);
	assert_int_equal(intr_choose(&a, &OPEN).action, INTR_NOTHING);
	apic_set_irr(&a, 0x60);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_int_equal(c.vector, 0x60);
	/* Two pending above PPR: the highest first; the other is then below
	 * the PPR the first one raised, so no window is wanted: it waits for
	 * the EOI (an exit of its own). */
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	apic_mmio_write(&a, APIC_REG_TPR, 0, 0);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.vector, 0x5f);
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	apic_set_irr(&a, 0x70);
	apic_set_irr(&a, 0x80);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.vector, 0x80);
	assert_false(c.want_window);
	apic_mmio_write(&a, APIC_REG_EOI, 0, 0);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_int_equal(c.vector, 0x70);
}

static void test_choose_nmi_first(void **st)
{
	(void)st;
	struct apic a;
	mk_enabled(&a);
	apic_set_irr(&a, 0x41);
	/* A self-NMI by ICR (delivery mode 100b, destination self). */
	apic_mmio_write(&a, APIC_REG_ICR_LO, (4u << 8) | (1u << 18), 0);
	assert_true(a.nmi_pending);
	/* The NMI window shut (NMI blocking): the interrupt may still go. */
	const struct intr_guest intr_only = {.intr_window = true, .nmi_window = false};
	struct intr_choice c = intr_choose(&a, &intr_only);
	assert_int_equal(c.action, INTR_INJECT_EXTINT);
	assert_true(c.want_window);
	assert_true(a.nmi_pending);
	c = intr_choose(&a, &OPEN);
	assert_int_equal(c.action, INTR_INJECT_NMI);
	assert_int_equal(c.vector, 2);
	assert_false(a.nmi_pending);
	/* ICR delivery status reads idle (bit 12 clear) after the send. */
	assert_false(apic_mmio_read(&a, APIC_REG_ICR_LO, 0) & (1u << 12));
}

static void test_hlt_wake(void **st)
{
	(void)st;
	struct apic a;
	mk_enabled(&a);
	u64 wake = 1;
	/* Nothing armed or pending: no source, whatever IF says. */
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_NO_SOURCE);
	assert_int_equal(intr_hlt(&a, false, &wake), INTR_HLT_NO_SOURCE);
	/* A one-shot timer of 1000 counts, divide by 1 (TDCR 1011b), vector
	 * 0x42, started at TSC 5000: sleeps until 6000 (one count per TSC
	 * cycle: tsc_hz and bus_hz 0). */
	apic_mmio_write(&a, APIC_REG_TDCR, 0xb, 5000);
	apic_mmio_write(&a, APIC_REG_LVT_TMR, 0x42, 5000);
	apic_mmio_write(&a, APIC_REG_TMICT, 1000, 5000);
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_SLEEP);
	assert_int_equal(wake, 6000);
	/* IF = 0 with a source: only an NMI would wake it. */
	assert_int_equal(intr_hlt(&a, false, &wake), INTR_HLT_IF_CLEAR);
	/* TPR above the timer's class: it would expire unseen. */
	apic_mmio_write(&a, APIC_REG_TPR, 0x40, 5000);
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_MASKED);
	apic_mmio_write(&a, APIC_REG_TPR, 0, 5000);
	/* The expiry: the vector is pending, HLT wakes at once. */
	apic_tick(&a, 6000);
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_WAKE);
	assert_int_equal(intr_choose(&a, &OPEN).vector, 0x42);
	/* One-shot: spent, nothing armed after it. */
	apic_mmio_write(&a, APIC_REG_EOI, 0, 6000);
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_NO_SOURCE);
	/* A masked LVT timer is no source either. */
	apic_mmio_write(&a, APIC_REG_LVT_TMR, 0x42 | (1u << 16), 7000);
	apic_mmio_write(&a, APIC_REG_TMICT, 1000, 7000);
	assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_NO_SOURCE);
	/* A pending NMI wakes even with IF = 0. */
	apic_mmio_write(&a, APIC_REG_ICR_LO, (4u << 8) | (1u << 18), 7000);
	assert_int_equal(intr_hlt(&a, false, &wake), INTR_HLT_WAKE);
}

static void test_periodic_sleeps(void **st)
{
	(void)st;
	struct apic a;
	mk_enabled(&a);
	u64 wake = 0;
	/* Periodic, 500 counts, divide by 2 (TDCR 0): a period of 1000 TSC
	 * cycles from 0. */
	apic_mmio_write(&a, APIC_REG_TDCR, 0, 0);
	apic_mmio_write(&a, APIC_REG_LVT_TMR, 0x43 | (1u << 17), 0);
	apic_mmio_write(&a, APIC_REG_TMICT, 500, 0);
	for (u64 k = 1; k <= 3; k++) {
		assert_int_equal(intr_hlt(&a, true, &wake), INTR_HLT_SLEEP);
		assert_int_equal(wake, 1000 * k);
		apic_tick(&a, wake);
		const struct intr_choice c = intr_choose(&a, &OPEN);
		assert_int_equal(c.action, INTR_INJECT_EXTINT);
		assert_int_equal(c.vector, 0x43);
		apic_mmio_write(&a, APIC_REG_EOI, 0, wake);
	}
	assert_int_equal(a.timer_fires, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apic_base_msr),
	    cmocka_unit_test(test_hidden_msrs_gp),
	    cmocka_unit_test(test_cpuid_apic_bit),
	    cmocka_unit_test(test_x2apic_offered),
	    cmocka_unit_test(test_choose_window_and_priority),
	    cmocka_unit_test(test_choose_nmi_first),
	    cmocka_unit_test(test_hlt_wake),
	    cmocka_unit_test(test_periodic_sleeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
