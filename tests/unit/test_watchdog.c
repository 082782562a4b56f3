/* arch/x86/watchdog.h: the guest watchdog's budget in TSC cycles, the same
 * on both backends. Expectations from its contract: an exit that is not a
 * host interrupt restarts the budget; host-interrupt exits only use it up;
 * the budget is spent once the guest ran at least `budget` cycles since the
 * last restart. The VMX-preemption timer counts TSC >> rate (SDM 26.5.1),
 * so the ticks loaded for what is left are rounded up (the timer never ends
 * the guest early) and clamped to its 32 bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/watchdog.h"

static void test_off(void **state)
{
	(void)state;
	struct watchdog w;
	watchdog_init(&w, 0);
	for (int i = 0; i < 4; i++)
		assert_false(watchdog_account(&w, 1ull << 40, true));
}

static void test_host_interrupts_keep_the_budget(void **state)
{
	(void)state;
	struct watchdog w;
	watchdog_init(&w, 1000);
	assert_false(watchdog_account(&w, 400, true));
	assert_int_equal(w.left, 600);
	assert_false(watchdog_account(&w, 400, true));
	assert_int_equal(w.left, 200);
	assert_true(watchdog_account(&w, 250, true)); /* 1050 >= 1000 */
	assert_int_equal(w.left, 0);
	assert_int_equal(w.ran, 1050);
}

static void test_other_exits_restart(void **state)
{
	(void)state;
	struct watchdog w;
	watchdog_init(&w, 1000);
	assert_false(watchdog_account(&w, 900, true));
	assert_false(watchdog_account(&w, 50, false)); /* e.g. an I/O exit */
	assert_int_equal(w.left, 1000);
	assert_int_equal(w.ran, 0);
	assert_false(watchdog_account(&w, 999, true));
	assert_true(watchdog_account(&w, 1, true));
	assert_int_equal(w.ran, 1000);
	/* Exactly the budget in one stretch, without a host interrupt, is an
	 * ordinary exit: it restarts rather than spends. */
	watchdog_init(&w, 1000);
	assert_false(watchdog_account(&w, 5000, false));
	assert_int_equal(w.left, 1000);
}

static void test_preempt_ticks(void **state)
{
	(void)state;
	assert_int_equal(watchdog_preempt_ticks(1000, 0), 1000);
	assert_int_equal(watchdog_preempt_ticks(1024, 5), 32); /* 1024 / 32 */
	assert_int_equal(watchdog_preempt_ticks(1000, 5), 32); /* 31.25 rounded up */
	assert_int_equal(watchdog_preempt_ticks(1, 5), 1);
	assert_int_equal(watchdog_preempt_ticks(0, 5), 1); /* 0 would not count */
	assert_int_equal(watchdog_preempt_ticks(1ull << 40, 0), WATCHDOG_PREEMPT_MAX);
	assert_int_equal(watchdog_preempt_ticks(1ull << 37, 5), WATCHDOG_PREEMPT_MAX); /* 2^32 */
	assert_int_equal(watchdog_preempt_ticks((1ull << 36), 5), 1ull << 31);
	assert_false(watchdog_preempt_exact(1ull << 37, 5));
	assert_true(watchdog_preempt_exact(1ull << 36, 5));
	/* Never early: ticks << rate covers what is left, unless clamped (not
	 * exact: the backend then re-enters with the rest). */
	static const u64 lefts[] = {3, 31, 33, 1000003, 123456789, 1ull << 35};
	for (unsigned r = 0; r < 8; r++)
		for (unsigned i = 0; i < sizeof(lefts) / sizeof(lefts[0]); i++) {
			const u64 t = watchdog_preempt_ticks(lefts[i], r);
			if (!watchdog_preempt_exact(lefts[i], r)) {
				assert_int_equal(t, WATCHDOG_PREEMPT_MAX);
				continue;
			}
			assert_true((t << r) >= lefts[i]);
			assert_true(((t - 1) << r) < lefts[i]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_off),
	    cmocka_unit_test(test_host_interrupts_keep_the_budget),
	    cmocka_unit_test(test_other_exits_restart),
	    cmocka_unit_test(test_preempt_ticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
