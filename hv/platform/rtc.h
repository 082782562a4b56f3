/* The MC146818 real-time clock and its CMOS RAM at I/O ports 0x70 (index) and 0x71 (data), as
 * the Motorola MC146818A data sheet and the PC's use of it describe them:
 *   0x00 seconds, 0x02 minutes, 0x04 hours, 0x06 day of week (1 Sunday), 0x07 day of month,
 *   0x08 month, 0x09 year within the century; 0x32 the century (the PC's convention);
 *   0x01, 0x03, 0x05 the alarm (stored, never fires);
 *   0x0A register A: UIP (bit 7) always 0, so a reader never waits for an update; the rest
 *        stored (reset 0x26: 32.768 kHz time base, 1024 Hz periodic rate);
 *   0x0B register B: SET (bit 7), the interrupt enables (stored: no interrupt is raised), DM
 *        (bit 2, 1 binary, 0 BCD) and 24/12 (bit 1, 1 24-hour) choose how the time registers
 *        read and are written; reset 0x02 (BCD, 24-hour);
 *   0x0C register C: 0 (no interrupt flag is ever set); 0x0D register D: VRT (bit 7) set;
 *   every other byte up to 0x7F plain CMOS RAM, 0 at reset.
 * The index port's bit 7 is the PC's NMI mask: stored, no effect. The clock counts whole seconds
 * from a start date (rtc_config) at the first access, on the host TSC the caller passes; a
 * write of a time register sets that field of the clock (the others keep running), or, while
 * SET holds the updates, that field of the date SET's clearing sets (so a date written one
 * field at a time may pass through invalid ones, as Linux's mc146818_set_time writes it). Dates are
 * the Gregorian calendar from 1970 to 2099 (the year register and a century of 19 or 20). */
#ifndef HV_PLATFORM_RTC_H
#define HV_PLATFORM_RTC_H

#include "lib/types.h"

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71
#define RTC_INDEX_MASK 0x7fu
#define RTC_NMI_MASK   0x80u
#define RTC_BYTES      128u

#define RTC_SECONDS     0x00
#define RTC_MINUTES     0x02
#define RTC_HOURS       0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY         0x07
#define RTC_MONTH       0x08
#define RTC_YEAR        0x09
#define RTC_REG_A       0x0a
#define RTC_REG_B       0x0b
#define RTC_REG_C       0x0c
#define RTC_REG_D       0x0d
#define RTC_CENTURY     0x32

#define RTC_A_UIP       0x80u
#define RTC_A_RESET     0x26u
#define RTC_B_SET       0x80u
#define RTC_B_DM_BINARY 0x04u
#define RTC_B_24H       0x02u
#define RTC_B_RESET     RTC_B_24H
#define RTC_D_VRT       0x80u
#define RTC_HOUR_PM     0x80u /* 12-hour mode: bit 7 of the hours */

struct rtc_config {
	u64 start_s; /* the date at the first access, in seconds since 1970-01-01 00:00 UTC */
	u64 tsc_hz;  /* the clock's rate; 0: time stands still */
};

struct rtc {
	struct rtc_config cfg;
	u8 index, nmi_mask;
	u8 ram[RTC_BYTES]; /* every byte but the time registers, A's UIP, C and D */
	bool started;
	u64 start_tsc;
	s64 offset_s; /* what the guest's writes of the time registers moved the clock by */
	/* While register B's SET is 1 the clock's update is held: time-register writes go
	 * here, unchecked, field by field, and reads give them back; clearing SET sets the
	 * clock to the whole date at once (dropped if it is no date). */
	bool holding;
	u32 held[7]; /* year, month, day, hour, min, sec, weekday */
};

void rtc_init(struct rtc *r, const struct rtc_config *cfg);
u8 rtc_read(struct rtc *r, u16 port, u64 now_tsc);
void rtc_write(struct rtc *r, u16 port, u8 v, u64 now_tsc);
/* The clock's time at now_tsc, in seconds since 1970-01-01 00:00 UTC. */
u64 rtc_seconds(struct rtc *r, u64 now_tsc);

#endif
