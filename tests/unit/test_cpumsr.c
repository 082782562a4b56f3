/* hv/platform/cpumsr: IA32_MISC_ENABLE through the platform's MSR table, against the SDM Vol. 4
 * Table 2-2 bits a guest reads: fast strings (0) set, performance monitoring available (7)
 * clear, BTS (11) and PEBS (12) unavailable set, MONITOR FSM (18), limit CPUID maxval (22) and
 * XD Bit Disable (34) clear; the value read may be written back, nothing else. IA32_BIOS_SIGN_ID
 * (SDM Vol. 3A, 10.11.7.1): the revision read after a write of 0 is 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/msr.h"
#include "hv/platform/platform.h"

#define B(n) (1ull << (n))

static void mk(struct platform *p)
{
	const struct platform_config cfg = {.ram_bytes = 16 * MiB};
	platform_init(p, &cfg);
}

static void test_misc_enable_reads(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	u64 v = ~0ull;
	assert_int_equal(platform_msr(&p, 0x1a0, false, &v, 0), PLATFORM_MSR_OK);
	assert_int_equal(v, B(0) | B(11) | B(12));
	assert_false(v & (B(7) | B(16) | B(18) | B(22) | B(23) | B(34)));
}

static void test_misc_enable_writes(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	u64 v = B(0) | B(11) | B(12);
	assert_int_equal(platform_msr(&p, IA32_MISC_ENABLE, true, &v, 0), PLATFORM_MSR_OK);
	/* Setting XD Bit Disable, clearing fast strings, or claiming a PMU: #GP. */
	const u64 bad[] = {B(0) | B(11) | B(12) | B(34), B(11) | B(12),
	                   B(0) | B(7) | B(11) | B(12)};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = bad[i];
		assert_int_equal(platform_msr(&p, IA32_MISC_ENABLE, true, &v, 0), PLATFORM_MSR_GP);
	}
	/* The neighbours stay someone else's. */
	v = 0;
	assert_int_equal(platform_msr(&p, 0x19f, false, &v, 0), PLATFORM_MSR_NOT_MINE);
	assert_int_equal(platform_msr(&p, 0x1a1, false, &v, 0), PLATFORM_MSR_NOT_MINE);
}

/* IA32_BIOS_SIGN_ID: revision 0 after a write of 0; a write of anything else is #GP. */
static void test_bios_sign_id(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	u64 v = 0;
	assert_int_equal(platform_msr(&p, 0x8b, true, &v, 0), PLATFORM_MSR_OK);
	v = ~0ull;
	assert_int_equal(platform_msr(&p, 0x8b, false, &v, 0), PLATFORM_MSR_OK);
	assert_int_equal(v, 0);
	v = 0x1000;
	assert_int_equal(platform_msr(&p, 0x8b, true, &v, 0), PLATFORM_MSR_GP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_misc_enable_reads),
	    cmocka_unit_test(test_misc_enable_writes),
	    cmocka_unit_test(test_bios_sign_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
