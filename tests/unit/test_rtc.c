/* hv/platform/rtc: the MC146818 through ports 0x70/0x71 as the platform dispatches them. The
 * dates are checked against a second source: Unix times of dates computed apart (date -u -d
 * DATE +%s): 2026-01-01 00:00:00 is 1767225600, 2024-02-29 23:59:59 is 1709251199, 2000-03-01
 * is 951868800 and 1970-01-01 a Thursday. The clock here is a TSC of 1000 Hz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hv/platform/platform.h"

#define TSC_HZ 1000ull
#define START  1767225600ull /* 2026-01-01 00:00:00 UTC, a Thursday */

static u64 now_tsc;
static u64 fake_clock(void)
{
	return now_tsc;
}

static void mk(struct platform *p)
{
	const struct platform_config cfg = {.ram_bytes = 16 * MiB};
	platform_init(p, &cfg);
	now_tsc = 5000; /* the clock starts at the first access, not at 0 */
	platform_set_clock(p, fake_clock, TSC_HZ);
}

static u8 cmos(struct platform *p, u8 index)
{
	u32 v = index;
	assert_true(platform_io(p, RTC_PORT_INDEX, 1, false, &v));
	v = 0xdeadbeef;
	assert_true(platform_io(p, RTC_PORT_DATA, 1, true, &v));
	assert_true(v <= 0xff);
	return (u8)v;
}

static void cmos_set(struct platform *p, u8 index, u8 value)
{
	u32 v = index;
	assert_true(platform_io(p, RTC_PORT_INDEX, 1, false, &v));
	v = value;
	assert_true(platform_io(p, RTC_PORT_DATA, 1, false, &v));
}

/* The start date in BCD, 24-hour: what Linux's mach_get_cmos_time reads at boot. */
static void test_start_date_bcd(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	assert_int_equal(cmos(&p, RTC_SECONDS), 0x00);
	assert_int_equal(cmos(&p, RTC_MINUTES), 0x00);
	assert_int_equal(cmos(&p, RTC_HOURS), 0x00);
	assert_int_equal(cmos(&p, RTC_DAY), 0x01);
	assert_int_equal(cmos(&p, RTC_MONTH), 0x01);
	assert_int_equal(cmos(&p, RTC_YEAR), 0x26);
	assert_int_equal(cmos(&p, RTC_CENTURY), 0x20);
	assert_int_equal(cmos(&p, RTC_DAY_OF_WEEK), 5); /* Thursday, Sunday being 1 */
}

/* UIP never set, so a reader's wait for the end of an update ends at once; D says the time is
 * valid; C holds no interrupt flag. */
static void test_status_registers(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	assert_int_equal(cmos(&p, RTC_REG_A), RTC_A_RESET);
	assert_int_equal(cmos(&p, RTC_REG_A) & RTC_A_UIP, 0);
	assert_int_equal(cmos(&p, RTC_REG_B), RTC_B_24H);
	assert_int_equal(cmos(&p, RTC_REG_C), 0);
	assert_int_equal(cmos(&p, RTC_REG_D), RTC_D_VRT);
	/* A write of A keeps UIP clear; C and D ignore writes. */
	cmos_set(&p, RTC_REG_A, 0xa6);
	assert_int_equal(cmos(&p, RTC_REG_A), 0x26);
	cmos_set(&p, RTC_REG_C, 0xff);
	cmos_set(&p, RTC_REG_D, 0x00);
	assert_int_equal(cmos(&p, RTC_REG_C), 0);
	assert_int_equal(cmos(&p, RTC_REG_D), RTC_D_VRT);
}

/* The clock runs on the TSC: 3661 s later it reads 01:01:01. */
static void test_clock_runs(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	assert_int_equal(cmos(&p, RTC_SECONDS), 0x00);
	now_tsc += 3661 * TSC_HZ + TSC_HZ / 2;
	assert_int_equal(cmos(&p, RTC_SECONDS), 0x01);
	assert_int_equal(cmos(&p, RTC_MINUTES), 0x01);
	assert_int_equal(cmos(&p, RTC_HOURS), 0x01);
	assert_int_equal(rtc_seconds(&p.rtc, now_tsc), START + 3661);
}

/* Binary mode and 12-hour mode change how the same time reads. */
static void test_binary_and_12_hour(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	cmos(&p, RTC_SECONDS);
	now_tsc += (13 * 3600 + 45 * 60 + 30) * TSC_HZ; /* 13:45:30 */
	assert_int_equal(cmos(&p, RTC_HOURS), 0x13);
	cmos_set(&p, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	assert_int_equal(cmos(&p, RTC_HOURS), 13);
	assert_int_equal(cmos(&p, RTC_MINUTES), 45);
	assert_int_equal(cmos(&p, RTC_YEAR), 26);
	cmos_set(&p, RTC_REG_B, RTC_B_DM_BINARY); /* 12-hour, binary */
	assert_int_equal(cmos(&p, RTC_HOURS), RTC_HOUR_PM | 1);
	cmos_set(&p, RTC_REG_B, 0); /* 12-hour, BCD */
	assert_int_equal(cmos(&p, RTC_HOURS), RTC_HOUR_PM | 0x01);
	now_tsc -= 13 * 3600 * TSC_HZ; /* 00:45:30 is 12 AM */
	assert_int_equal(cmos(&p, RTC_HOURS), 0x12);
}

/* Setting the clock: the guest writes a date field by field; leap days and the century are
 * right, and an invalid field is dropped. */
static void test_set_clock(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	cmos_set(&p, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(&p, RTC_YEAR, 0x24);
	cmos_set(&p, RTC_MONTH, 0x02);
	cmos_set(&p, RTC_DAY, 0x29);
	cmos_set(&p, RTC_HOURS, 0x23);
	cmos_set(&p, RTC_MINUTES, 0x59);
	cmos_set(&p, RTC_SECONDS, 0x59);
	cmos_set(&p, RTC_REG_B, RTC_B_24H);
	assert_int_equal(rtc_seconds(&p.rtc, now_tsc), 1709251199ull);
	now_tsc += TSC_HZ; /* one second later: March 1st */
	assert_int_equal(cmos(&p, RTC_MONTH), 0x03);
	assert_int_equal(cmos(&p, RTC_DAY), 0x01);
	assert_int_equal(cmos(&p, RTC_HOURS), 0x00);
	cmos_set(&p, RTC_DAY, 0x31); /* March 31st exists */
	assert_int_equal(cmos(&p, RTC_DAY), 0x31);
	cmos_set(&p, RTC_MONTH, 0x04); /* April 31st does not: dropped */
	assert_int_equal(cmos(&p, RTC_MONTH), 0x03);
	cmos_set(&p, RTC_MINUTES, 0x60); /* minute 60: dropped */
	assert_int_equal(cmos(&p, RTC_MINUTES), 0x00);
	/* 2000 was a leap year (divisible by 400): 2000-02-29 then one day on. */
	cmos_set(&p, RTC_DAY, 0x01);
	cmos_set(&p, RTC_CENTURY, 0x20);
	cmos_set(&p, RTC_YEAR, 0x00);
	cmos_set(&p, RTC_MONTH, 0x02);
	cmos_set(&p, RTC_DAY, 0x29);
	assert_int_equal(cmos(&p, RTC_DAY), 0x29);
	assert_int_equal(cmos(&p, RTC_DAY_OF_WEEK), 3); /* 2000-02-29 was a Tuesday */
	const u64 at = rtc_seconds(&p.rtc, now_tsc) % 86400;
	assert_int_equal(rtc_seconds(&p.rtc, now_tsc) - at + 86400, 951868800ull);
}

/* While SET holds the updates a date written one field at a time may pass through one that
 * does not exist: 2026-01-31 to 2026-02-15 month first is "February 31st" for a moment; the
 * registers read back what was written, and clearing SET sets the whole date. Held fields
 * that make no date are dropped at the release. */
static void test_set_holds_fields(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	cmos_set(&p, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(&p, RTC_YEAR, 0x26);
	cmos_set(&p, RTC_MONTH, 0x01);
	cmos_set(&p, RTC_DAY, 0x31);
	cmos_set(&p, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos(&p, RTC_DAY), 0x31);
	cmos_set(&p, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(&p, RTC_MONTH, 0x02);
	assert_int_equal(cmos(&p, RTC_MONTH), 0x02); /* held as written */
	assert_int_equal(cmos(&p, RTC_DAY), 0x31);
	cmos_set(&p, RTC_DAY, 0x15);
	cmos_set(&p, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos(&p, RTC_MONTH), 0x02);
	assert_int_equal(cmos(&p, RTC_DAY), 0x15);
	/* February 30th held and released: dropped, the clock keeps February 15th. */
	cmos_set(&p, RTC_REG_B, RTC_B_SET | RTC_B_24H);
	cmos_set(&p, RTC_DAY, 0x30);
	cmos_set(&p, RTC_REG_B, RTC_B_24H);
	assert_int_equal(cmos(&p, RTC_DAY), 0x15);
	assert_int_equal(cmos(&p, RTC_MONTH), 0x02);
}

/* CMOS RAM bytes keep what is written; the index port's NMI bit does not change the index;
 * the index port reads all ones. */
static void test_cmos_ram(void **state)
{
	(void)state;
	struct platform p;
	mk(&p);
	assert_int_equal(cmos(&p, 0x10), 0);
	cmos_set(&p, 0x10, 0x5a);
	cmos_set(&p, 0x7f, 0xa5);
	assert_int_equal(cmos(&p, 0x10 | RTC_NMI_MASK), 0x5a);
	assert_int_equal(p.rtc.nmi_mask, RTC_NMI_MASK);
	assert_int_equal(cmos(&p, 0x7f), 0xa5);
	assert_int_equal(p.rtc.nmi_mask, 0);
	u32 v = 0;
	assert_true(platform_io(&p, RTC_PORT_INDEX, 1, true, &v));
	assert_int_equal(v, 0xff);
}

/* Without a clock rate time stands still. */
static void test_no_rate(void **state)
{
	(void)state;
	struct rtc r;
	const struct rtc_config cfg = {.start_s = START, .tsc_hz = 0};
	rtc_init(&r, &cfg);
	assert_int_equal(rtc_seconds(&r, 1), START);
	assert_int_equal(rtc_seconds(&r, 1ull << 40), START);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start_date_bcd), cmocka_unit_test(test_status_registers),
	    cmocka_unit_test(test_clock_runs),     cmocka_unit_test(test_binary_and_12_hour),
	    cmocka_unit_test(test_set_clock),      cmocka_unit_test(test_set_holds_fields),
	    cmocka_unit_test(test_cmos_ram),       cmocka_unit_test(test_no_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
