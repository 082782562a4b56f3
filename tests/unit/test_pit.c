/* hv/platform/pit: the 8254's channel 2 and port 0x61 as the TSC calibrations of memtest86+ and
 * Linux drive them. Expectations from the 82C54 data sheet: mode 0 drives OUT low from the
 * control word and high at terminal count, N input ticks after the count is loaded with the
 * gate high; the input runs at 1193182 Hz. The clock here is a TSC of 1193182000 Hz, so one
 * counter tick is exactly 1000 TSC cycles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "hv/platform/pit.h"

#define TSC_HZ     (PIT_HZ * 1000)
#define TICK       1000ull /* TSC cycles per counter tick */
#define CW_CH2     0x80
#define CW_WORD    0x30
#define CW_MODE0   0x00
#define CW_MODE2   0x04
#define GATE       0x01
#define OUT2       0x20
#define TICKS_50MS 59659 /* 50 ms at 1193182 Hz, as memtest86+ programs it */

static void load(struct pit *t, u8 cw, u16 count, u64 now)
{
	pit_write(t, PIT_PORT_CONTROL, cw, now);
	pit_write(t, PIT_PORT_CH2, (u8)count, now);
	pit_write(t, PIT_PORT_CH2, (u8)(count >> 8), now);
}

static u16 read_count(struct pit *t, u64 now)
{
	pit_write(t, PIT_PORT_CONTROL, CW_CH2, now); /* latch */
	u16 lo = pit_read(t, PIT_PORT_CH2, now);
	u16 hi = pit_read(t, PIT_PORT_CH2, now + 5 * TICK); /* the latch holds */
	return (u16)(lo | hi << 8);
}

/* memtest86+'s calibration: gate up, mode 0 with 50 ms, poll OUT2. */
static void test_mode0_out2_after_count(void **state)
{
	(void)state;
	struct pit t;
	pit_init(&t, TSC_HZ);
	const u64 t0 = 1000000;
	pit_write(&t, PIT_PORT_B, (pit_read(&t, PIT_PORT_B, t0) & ~0x02) | GATE, t0);
	load(&t, CW_CH2 | CW_WORD | CW_MODE0, TICKS_50MS, t0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, t0) & OUT2, 0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, t0 + (TICKS_50MS - 1) * TICK) & OUT2, 0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, t0 + TICKS_50MS * TICK) & OUT2, OUT2);
	assert_int_equal(pit_read(&t, PIT_PORT_B, t0 + 2 * TICKS_50MS * TICK) & OUT2, OUT2);
}

static void test_count_reads_down(void **state)
{
	(void)state;
	struct pit t;
	pit_init(&t, TSC_HZ);
	pit_write(&t, PIT_PORT_B, GATE, 0);
	load(&t, CW_CH2 | CW_WORD | CW_MODE0, 0xffff, 0);
	assert_int_equal(read_count(&t, 0), 0xffff);
	assert_int_equal(read_count(&t, 100 * TICK), 0xffff - 100);
	/* Unlatched: LSB then MSB of the running count. */
	assert_int_equal(pit_read(&t, PIT_PORT_CH2, 0x1234 * TICK), (0xffff - 0x1234) & 0xff);
	assert_int_equal(pit_read(&t, PIT_PORT_CH2, 0x1234 * TICK), (0xffff - 0x1234) >> 8);
}

static void test_gate_low_holds_mode0(void **state)
{
	(void)state;
	struct pit t;
	pit_init(&t, TSC_HZ);
	load(&t, CW_CH2 | CW_WORD | CW_MODE0, 100, 0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, 1000 * TICK) & OUT2, 0);
	pit_write(&t, PIT_PORT_B, GATE, 1000 * TICK); /* counting starts here */
	assert_int_equal(pit_read(&t, PIT_PORT_B, 1099 * TICK) & OUT2, 0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, 1100 * TICK) & OUT2, OUT2);
}

static void test_mode2_period(void **state)
{
	(void)state;
	struct pit t;
	pit_init(&t, TSC_HZ);
	pit_write(&t, PIT_PORT_B, GATE, 0);
	load(&t, CW_CH2 | CW_WORD | CW_MODE2, 10, 0);
	assert_int_equal(read_count(&t, 3 * TICK), 7);
	assert_int_equal(read_count(&t, 13 * TICK), 7); /* reloaded after 10 ticks */
	assert_int_equal(pit_read(&t, PIT_PORT_B, 9 * TICK) & OUT2, 0);
	assert_int_equal(pit_read(&t, PIT_PORT_B, 10 * TICK) & OUT2, OUT2);
}

static void test_other_channels_and_no_clock(void **state)
{
	(void)state;
	struct pit t;
	pit_init(&t, 0);
	pit_write(&t, PIT_PORT_B, GATE, 0);
	load(&t, CW_CH2 | CW_WORD | CW_MODE0, 5, 0);
	/* A channel 0 control word leaves channel 2 as it was. */
	pit_write(&t, PIT_PORT_CONTROL, CW_WORD | CW_MODE2, 0);
	/* Without a clock time stands still: OUT2 stays low, the count stays loaded. */
	assert_int_equal(pit_read(&t, PIT_PORT_B, 1000 * TICK) & OUT2, 0);
	assert_int_equal(read_count(&t, 1000 * TICK), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode0_out2_after_count),
	    cmocka_unit_test(test_count_reads_down),
	    cmocka_unit_test(test_gate_low_holds_mode0),
	    cmocka_unit_test(test_mode2_period),
	    cmocka_unit_test(test_other_channels_and_no_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
