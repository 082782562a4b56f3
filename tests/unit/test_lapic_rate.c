/* arch/x86/lapic.h: the LAPIC timer's rate against the TSC (measured at
 * boot over the PIT interval) and the initial count for a wait in TSC
 * cycles. Expectations from SDM Vol. 3A, 11.5.4: the current count falls
 * from the initial count; a count of 0 stops the timer, so a wait is at
 * least 1; the register is 32 bits. A count must never end a wait early:
 * count * tsc / counts >= cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/lapic.h"

static void test_measure(void **state)
{
	(void)state;
	struct lapic_rate r;
	assert_true(lapic_rate_measure(0xffffffffu, 0xffffffffu - 62500, 1000, 1001000, &r));
	assert_int_equal(r.count, 62500);
	assert_int_equal(r.tsc, 1000000);
	/* A bus clock of 50 MHz over divide-by-16 at a 50 MHz TSC: 3.125 MHz. */
	assert_int_equal(lapic_rate_hz(&r, 50000000), 3125000);
	/* The timer did not move, or went up (it wrapped), or the TSC stood. */
	assert_false(lapic_rate_measure(5000, 5000, 0, 100, &r));
	assert_false(lapic_rate_measure(5000, 6000, 0, 100, &r));
	assert_false(lapic_rate_measure(6000, 5000, 100, 100, &r));
}

static void test_count_for_tsc(void **state)
{
	(void)state;
	const struct lapic_rate r = {.count = 1, .tsc = 16}; /* the TSC runs 16 times faster */
	assert_int_equal(lapic_count_for_tsc(&r, 160), 10);
	assert_int_equal(lapic_count_for_tsc(&r, 161), 11); /* rounded up */
	assert_int_equal(lapic_count_for_tsc(&r, 0), 1);
	assert_int_equal(lapic_count_for_tsc(&r, 16ull << 32), LAPIC_COUNT_MAX);
	const struct lapic_rate none = {0, 0};
	assert_int_equal(lapic_count_for_tsc(&none, 100), LAPIC_COUNT_MAX);
	/* No overflow in the product: a day at 5 GHz against a 1 GHz timer. */
	const struct lapic_rate fast = {.count = 1000000000ull, .tsc = 5000000000ull};
	assert_int_equal(lapic_count_for_tsc(&fast, 5000000000ull * 86400), LAPIC_COUNT_MAX);
	assert_int_equal(lapic_count_for_tsc(&fast, 5000000000ull), 1000000000u);
}

static void test_never_early(void **state)
{
	(void)state;
	static const struct lapic_rate rates[] = {
	    {62503, 1000062}, {1256074, 52173966}, {3, 7}, {1000, 999}};
	static const u64 waits[] = {1, 999, 50002, 2596033, 134217728, 1ull << 30};
	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		for (unsigned j = 0; j < sizeof(waits) / sizeof(waits[0]); j++) {
			const u32 c = lapic_count_for_tsc(&rates[i], waits[j]);
			if (c == LAPIC_COUNT_MAX)
				continue;
			const unsigned __int128 covered = (unsigned __int128)c * rates[i].tsc;
			assert_true(covered >= (unsigned __int128)waits[j] * rates[i].count);
			/* and one count less would not have covered it */
			if (c > 1)
				assert_true((unsigned __int128)(c - 1) * rates[i].tsc <
				            (unsigned __int128)waits[j] * rates[i].count);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_measure),
	    cmocka_unit_test(test_count_for_tsc),
	    cmocka_unit_test(test_never_early),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
