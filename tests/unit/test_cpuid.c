/* hv/platform/cpuid and hv/platform/tsc: the CPUID policy over made-up host
 * answers, and the TSC MSRs' offset arithmetic. Bit positions are written
 * out from the SDM Vol. 2A CPUID tables and the APM Vol. 3 Appendix E, not
 * taken from the code's names; the TSC rules from SDM Vol. 3B 18.17.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hv/platform/platform.h"

#define B(n)        (1u << (n))
#define CR4_OSXSAVE (1ull << 18)
#define ALL         0xffffffffu

static const struct cpuid_regs all_ones = {ALL, ALL, ALL, ALL};

static struct cpuid_regs filt(u64 cr4, u32 offers, u32 leaf, u32 sub, struct cpuid_regs host)
{
	const struct cpuid_vcpu v = {.cr4 = cr4, .offers = offers};
	return platform_cpuid_filter(&v, leaf, sub, host);
}

static void test_osxsave_follows_cr4(void **st)
{
	(void)st;
	/* Host with XSAVE (bit 26) and OSXSAVE (bit 27) set. */
	const struct cpuid_regs host = {0x000906ea, 0x04100800, B(26) | B(27), 0};
	assert_false(filt(0, 0, 1, 0, host).ecx & B(27));
	assert_true(filt(CR4_OSXSAVE, 0, 1, 0, host).ecx & B(27));
	/* Host without OSXSAVE but guest CR4 has it: still set. */
	const struct cpuid_regs host2 = {0, 0, B(26), 0};
	assert_true(filt(CR4_OSXSAVE, 0, 1, 0, host2).ecx & B(27));
	/* No XSAVE: never OSXSAVE, whatever CR4 says. */
	const struct cpuid_regs host3 = {0, 0, 0, 0};
	assert_false(filt(CR4_OSXSAVE, 0, 1, 0, host3).ecx & B(27));
}

static void test_leaf1(void **st)
{
	(void)st;
	const struct cpuid_regs c = filt(0, 0, 1, 0, all_ones);
	/* ECX: VMX 5, SMX 6, MONITOR 3, DTES64 2, DS-CPL 4, EST 7, TM2 8, PDCM 15,
	 * x2APIC 21, TSC-deadline 24 hidden; hypervisor 31 set. */
	const u32 ecx_hidden = B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(15) | B(21) |
	                       B(24) | B(27) /* OSXSAVE: CR4 is 0 */;
	assert_int_equal(c.ecx, ALL & ~ecx_hidden);
	/* EDX: MCE 7, APIC 9, MTRR 12, MCA 14, DS 21, ACPI 22, HTT 28, TM 29, PBE 31 hidden. */
	const u32 edx_hidden = B(7) | B(9) | B(12) | B(14) | B(21) | B(22) | B(28) | B(29) | B(31);
	assert_int_equal(c.edx, ALL & ~edx_hidden);
	/* EBX: APIC ID 0 (31:24), one logical processor (23:16), the rest kept. */
	assert_int_equal(c.ebx, 0x0001ffff);
	/* Offered APIC and x2APIC: shown. */
	const struct cpuid_regs o = filt(0, CPUID_OFFER_APIC | CPUID_OFFER_X2APIC, 1, 0, all_ones);
	assert_true(o.edx & B(9));
	assert_true(o.ecx & B(21));
	assert_false(o.ecx & B(24));
	/* Hypervisor bit set even when the host clears it. */
	assert_true(filt(0, 0, 1, 0, (struct cpuid_regs){0, 0, 0, 0}).ecx & B(31));
}

static void test_leaf7_and_ext(void **st)
{
	(void)st;
	struct cpuid_regs c = filt(0, 0, 7, 0, (struct cpuid_regs){0, 0, 0, 0});
	assert_int_equal(c.ebx, B(1)); /* IA32_TSC_ADJUST is emulated */
	c = filt(0, 0, 7, 0, all_ones);
	/* EBX: SGX 2, INVPCID 10, RDT-M 12, RDT-A 15, PT 25 hidden. */
	assert_int_equal(c.ebx, ALL & ~(B(2) | B(10) | B(12) | B(15) | B(25)));
	/* ECX: WAITPKG 5, LA57 16, RDPID 22, SGX-LC 30. */
	assert_int_equal(c.ecx, ALL & ~(B(5) | B(16) | B(22) | B(30)));
	/* EDX: PCONFIG 18, IBRS/IBPB 26, STIBP 27, L1D_FLUSH 28, ARCH_CAP 29,
	 * CORE_CAP 30, SSBD 31. */
	assert_int_equal(c.edx, ALL & ~(B(18) | B(26) | B(27) | B(28) | B(29) | B(30) | B(31)));
	/* Subleaf 1 is not filtered. */
	assert_int_equal(filt(0, 0, 7, 1, all_ones).ebx, ALL);
	/* Offered INVPCID and RDTSCP: shown. */
	c = filt(0, CPUID_OFFER_INVPCID | CPUID_OFFER_RDTSCP, 7, 0, all_ones);
	assert_true(c.ebx & B(10));
	assert_true(c.ecx & B(22));
	/* 0x80000001: ECX CmpLegacy 1, SVM 2, TOPOEXT 22, PerfCtr 23, 24, 28;
	 * EDX MTRR 12, RDTSCP 27. */
	c = filt(0, 0, 0x80000001, 0, all_ones);
	assert_int_equal(c.ecx, ALL & ~(B(1) | B(2) | B(22) | B(23) | B(24) | B(28)));
	assert_int_equal(c.edx, ALL & ~(B(12) | B(27)));
	assert_true(filt(0, CPUID_OFFER_RDTSCP, 0x80000001, 0, all_ones).edx & B(27));
	/* 0xD subleaf 1: XSAVES (EAX bit 3) and the XSS bits hidden. */
	c = filt(0, 0, 0xd, 1, all_ones);
	assert_int_equal(c.eax, ALL & ~B(3));
	assert_int_equal(c.ecx, 0);
	assert_int_equal(c.edx, 0);
	assert_int_equal(filt(0, 0, 0xd, 0, all_ones).eax, ALL);
	/* 0x80000008: one core (ECX 15:0 zero), speculation-control MSR bits. */
	c = filt(0, 0, 0x80000008, 0, (struct cpuid_regs){0x3030, ALL, 0x700f, 0});
	assert_int_equal(c.eax, 0x3030);
	assert_int_equal(c.ecx, 0);
	assert_int_equal(c.ebx, ALL & ~(B(12) | B(14) | B(15) | B(24) | B(25)));
}

static void test_zeroed_leaves(void **st)
{
	(void)st;
	static const u32 leaves[] = {0x5,  0x6,        0xa,        0xf,        0x10,      0x12,
	                             0x14, 0x8000000a, 0x8000001e, 0x8000001f, 0x80000022};
	for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		const struct cpuid_regs c = filt(0, 0, leaves[i], 0, all_ones);
		assert_int_equal(c.eax | c.ebx | c.ecx | c.edx, 0);
	}
	/* 0x15 and 0x16 are the host's: the TSC is offset, never scaled. */
	const struct cpuid_regs tsc = {2, 176, 24000000, 0};
	const struct cpuid_regs c = filt(0, 0, 0x15, 0, tsc);
	assert_int_equal(c.eax, 2);
	assert_int_equal(c.ebx, 176);
	assert_int_equal(c.ecx, 24000000);
}

static void test_topology(void **st)
{
	(void)st;
	const struct cpuid_regs host = {1, 2, 0x100, 7}; /* x2APIC ID 7 on a 2-thread core */
	for (u32 leaf = 0xb; leaf <= 0x1f; leaf += 0x1f - 0xb) {
		struct cpuid_regs c = filt(0, 0, leaf, 0, host);
		assert_int_equal(c.eax, 0);     /* shift 0 */
		assert_int_equal(c.ebx, 1);     /* one processor */
		assert_int_equal(c.ecx, 0x100); /* level 0, type SMT */
		assert_int_equal(c.edx, 0);     /* x2APIC ID 0 */
		c = filt(0, 0, leaf, 1, host);
		assert_int_equal(c.ebx, 1);
		assert_int_equal(c.ecx, 0x201); /* level 1, type core */
		c = filt(0, 0, leaf, 2, host);
		assert_int_equal(c.ebx, 0);
		assert_int_equal(c.ecx, 2); /* invalid level */
	}
	/* Leaf 4: EAX 31:26 and 25:14 zero for a real cache, untouched else. */
	assert_int_equal(filt(0, 0, 4, 0, (struct cpuid_regs){0x1c004121, 1, 2, 3}).eax, 0x121);
	assert_int_equal(filt(0, 0, 4, 3, (struct cpuid_regs){0xfc000000, 0, 0, 0}).eax,
	                 0xfc000000);
}

static void test_hv_leaves(void **st)
{
	(void)st;
	const struct cpuid_regs c = filt(0, 0, 0x40000000, 0, all_ones);
	assert_int_equal(c.eax, 0x40000001);
	assert_memory_equal(&c.ebx, "SegV", 4);
	assert_memory_equal(&c.edx, "SegV", 4);
	assert_int_equal(filt(0, 0, 0x4fffffff, 0, all_ones).eax, 0);
}

/* ---- TSC ---- */

#define HOST0 1000000ull

static void test_tsc_offset_arithmetic(void **st)
{
	(void)st;
	struct platform p;
	const struct platform_config cfg = {0};
	platform_init(&p, &cfg);
	u64 v = 0;
	/* At first the guest's TSC is the host's. */
	assert_int_equal(platform_msr(&p, 0x10, false, &v, HOST0), PLATFORM_MSR_OK);
	assert_int_equal(v, HOST0);
	/* WRMSR TSC = 5000 at host 1000000: offset 5000 - 1000000 (mod 2^64),
	 * TSC_ADJUST moves by the same amount (18.17.3). */
	v = 5000;
	assert_int_equal(platform_msr(&p, 0x10, true, &v, HOST0), PLATFORM_MSR_OK);
	assert_int_equal(p.tsc.offset, 5000 - HOST0);
	assert_int_equal(platform_msr(&p, 0x10, false, &v, HOST0 + 300), PLATFORM_MSR_OK);
	assert_int_equal(v, 5300);
	assert_int_equal(platform_msr(&p, 0x3b, false, &v, HOST0), PLATFORM_MSR_OK);
	assert_int_equal(v, 5000 - HOST0);
	/* WRMSR TSC_ADJUST = 0 undoes it: the TSC is the host's again. */
	v = 0;
	assert_int_equal(platform_msr(&p, 0x3b, true, &v, HOST0 + 400), PLATFORM_MSR_OK);
	assert_int_equal(p.tsc.offset, 0);
	/* TSC_ADJUST += 100: the TSC moves 100 ahead. */
	v = 100;
	assert_int_equal(platform_msr(&p, 0x3b, true, &v, HOST0), PLATFORM_MSR_OK);
	assert_int_equal(platform_msr(&p, 0x10, false, &v, HOST0 + 1), PLATFORM_MSR_OK);
	assert_int_equal(v, HOST0 + 101);
	/* A second TSC write adds its own delta to TSC_ADJUST: 100 + (7 - (host+100)). */
	v = 7;
	assert_int_equal(platform_msr(&p, 0x10, true, &v, HOST0), PLATFORM_MSR_OK);
	assert_int_equal(platform_msr(&p, 0x3b, false, &v, 0), PLATFORM_MSR_OK);
	assert_int_equal(v, 7 - HOST0);
	/* TSC_AUX does not exist without RDTSCP/RDPID; other MSRs are not the platform's. */
	v = 1;
	assert_int_equal(platform_msr(&p, 0xc0000103, true, &v, 0), PLATFORM_MSR_GP);
	assert_int_equal(platform_msr(&p, 0xc0000080, false, &v, 0), PLATFORM_MSR_NOT_MINE);
}

static void test_tsc_aux(void **st)
{
	(void)st;
	struct platform p;
	const struct platform_config cfg = {.cpuid_offers = CPUID_OFFER_RDTSCP};
	platform_init(&p, &cfg);
	u64 v = 0x12345678;
	assert_int_equal(platform_msr(&p, 0xc0000103, true, &v, 0), PLATFORM_MSR_OK);
	v = 0;
	assert_int_equal(platform_msr(&p, 0xc0000103, false, &v, 0), PLATFORM_MSR_OK);
	assert_int_equal(v, 0x12345678);
	v = 1ull << 32; /* bits 63:32 reserved */
	assert_int_equal(platform_msr(&p, 0xc0000103, true, &v, 0), PLATFORM_MSR_GP);
	assert_int_equal(p.tsc.aux, 0x12345678);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_osxsave_follows_cr4),
	    cmocka_unit_test(test_leaf1),
	    cmocka_unit_test(test_leaf7_and_ext),
	    cmocka_unit_test(test_zeroed_leaves),
	    cmocka_unit_test(test_topology),
	    cmocka_unit_test(test_hv_leaves),
	    cmocka_unit_test(test_tsc_offset_arithmetic),
	    cmocka_unit_test(test_tsc_aux),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
