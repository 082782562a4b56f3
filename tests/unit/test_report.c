/* lib/report: the exact PASS/FAIL/SKIP/SUMMARY lines and counts, captured
 * through a console sink (DESIGN.md, "Console and results"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/console.h"
#include "lib/report.h"

/* con_write_fn takes no context, so the capture is file-scope. */
static char captured[2048];
static size_t captured_len;

static void capture(const char *s, size_t n)
{
	assert_true(captured_len + n < sizeof(captured));
	memcpy(captured + captured_len, s, n);
	captured_len += n;
	captured[captured_len] = '\0';
}

static int setup(void **state)
{
	(void)state;
	captured_len = 0;
	captured[0] = '\0';
	con_init(capture);
	return 0;
}

static void test_pass(void **state)
{
	(void)state;
	struct report r = {0};
	report_pass(&r, "ept.build");
	assert_string_equal(captured, "PASS: ept.build\n");
	assert_int_equal(r.tests, 1);
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.skipped, 0);
}

static void test_fail(void **state)
{
	(void)state;
	struct report r = {0};
	report_fail(&r, "walk.refs", "got %d, want %d", 23, 24);
	assert_string_equal(captured, "FAIL: walk.refs: got 23, want 24\n");
	assert_int_equal(r.tests, 1);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.skipped, 0);
}

static void test_skip(void **state)
{
	(void)state;
	struct report r = {0};
	report_skip(&r, "pmu.walks", "no PMU under %s", "bochs");
	assert_string_equal(captured, "SKIP: pmu.walks: no PMU under bochs\n");
	assert_int_equal(r.tests, 1);
	assert_int_equal(r.failures, 0);
	assert_int_equal(r.skipped, 1);
}

static void test_check(void **state)
{
	(void)state;
	struct report r = {0};
	assert_true(report_check(&r, true, "seg.hit", "unused %d", 1));
	assert_false(report_check(&r, false, "seg.miss", "addr 0x%llx", 0x1000ULL));
	assert_string_equal(captured, "PASS: seg.hit\n"
	                              "FAIL: seg.miss: addr 0x1000\n");
	assert_int_equal(r.tests, 2);
	assert_int_equal(r.failures, 1);
	assert_int_equal(r.skipped, 0);
}

static void test_summary(void **state)
{
	(void)state;
	struct report r = {0};
	report_pass(&r, "a");
	report_fail(&r, "b", "why");
	report_skip(&r, "c", "why");
	report_pass(&r, "d");
	captured_len = 0;
	report_summary(&r);
	assert_string_equal(captured, "SUMMARY: 4 tests, 1 failures, 1 skipped\n");

	struct report empty = {0};
	captured_len = 0;
	report_summary(&empty);
	assert_string_equal(captured, "SUMMARY: 0 tests, 0 failures, 0 skipped\n");
}

/* A reason longer than the console's line buffer is cut, but the line still
 * ends with its newline so that the next line parses. */
static void test_long_reason(void **state)
{
	(void)state;
	struct report r = {0};
	char why[CON_FORMAT_MAX + 200];
	memset(why, 'w', sizeof(why) - 1);
	why[sizeof(why) - 1] = '\0';
	report_fail(&r, "long", "%s", why);
	assert_int_equal(r.failures, 1);
	assert_memory_equal(captured, "FAIL: long: www", 15);
	assert_int_equal(captured[captured_len - 1], '\n');
	/* The console formats at most CON_FORMAT_MAX characters per call. */
	assert_int_equal(captured_len, strlen("FAIL: long: ") + CON_FORMAT_MAX + 1);
	assert_ptr_equal(strchr(captured, '\n'), captured + captured_len - 1);
}

/* No sink: reporting still counts and writes nowhere. */
static void test_no_sink(void **state)
{
	(void)state;
	struct report r = {0};
	con_init(NULL);
	report_fail(&r, "x", "y");
	report_summary(&r);
	assert_int_equal(r.tests, 1);
	assert_int_equal(r.failures, 1);
	assert_int_equal(captured_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_pass, setup),
	    cmocka_unit_test_setup(test_fail, setup),
	    cmocka_unit_test_setup(test_skip, setup),
	    cmocka_unit_test_setup(test_check, setup),
	    cmocka_unit_test_setup(test_summary, setup),
	    cmocka_unit_test_setup(test_long_reason, setup),
	    cmocka_unit_test_setup(test_no_sink, setup),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
