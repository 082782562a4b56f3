/* The MC146818 of rtc.h. Calendar arithmetic: days since 1970-01-01 to a civil date and back,
 * by the proleptic Gregorian rules (a year divisible by 4 is a leap year, except centuries not
 * divisible by 400). */
#include "hv/platform/rtc.h"

#include "lib/mem.h"

#define SECONDS_PER_DAY 86400u
#define EPOCH_YEAR      1970u
#define EPOCH_WEEKDAY   5u /* 1970-01-01 was a Thursday: day of week 5, Sunday being 1 */
#define LAST_YEAR       2099u
#define HOURS_12        12u

struct date {
	u32 year, month, day, hour, min, sec, weekday;
};
_Static_assert(sizeof(struct date) == sizeof(((struct rtc *)0)->held), "held is a struct date");

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static u32 month_days(u32 y, u32 m)
{
	static const u8 days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return days[m - 1] + (m == 2 && leap(y));
}

static struct date date_of(u64 s)
{
	struct date d = {
	    .sec = (u32)(s % 60), .min = (u32)(s / 60 % 60), .hour = (u32)(s / 3600 % 24)};
	u64 days = s / SECONDS_PER_DAY;
	d.weekday = (u32)((days + EPOCH_WEEKDAY - 1) % 7) + 1;
	d.year = EPOCH_YEAR;
	while (d.year < LAST_YEAR && days >= 365u + leap(d.year))
		days -= 365u + leap(d.year++);
	d.month = 1;
	while (d.month < 12 && days >= month_days(d.year, d.month))
		days -= month_days(d.year, d.month++);
	d.day = (u32)days + 1;
	return d;
}

static u64 seconds_of(const struct date *d)
{
	u64 days = 0;
	for (u32 y = EPOCH_YEAR; y < d->year; y++)
		days += 365u + leap(y);
	for (u32 m = 1; m < d->month; m++)
		days += month_days(d->year, m);
	days += d->day - 1;
	return days * SECONDS_PER_DAY + d->hour * 3600u + d->min * 60u + d->sec;
}

static u8 to_bcd(u32 v)
{
	return (u8)(v / 10 << 4 | v % 10);
}

static u32 from_bcd(u8 v)
{
	return (v >> 4) * 10u + (v & 0xfu);
}

void rtc_init(struct rtc *r, const struct rtc_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->ram[RTC_REG_A] = RTC_A_RESET;
	r->ram[RTC_REG_B] = RTC_B_RESET;
}

u64 rtc_seconds(struct rtc *r, u64 now_tsc)
{
	if (!r->started) {
		r->started = true;
		r->start_tsc = now_tsc;
	}
	const u64 run = r->cfg.tsc_hz ? (now_tsc - r->start_tsc) / r->cfg.tsc_hz : 0;
	return (u64)((s64)(r->cfg.start_s + run) + r->offset_s);
}

static bool is_time_reg(u8 i)
{
	return i == RTC_SECONDS || i == RTC_MINUTES || i == RTC_HOURS || i == RTC_DAY_OF_WEEK ||
	       i == RTC_DAY || i == RTC_MONTH || i == RTC_YEAR || i == RTC_CENTURY;
}

/* A time register as register B says it reads: BCD or binary, 12- or 24-hour. */
static u8 time_reg(const struct rtc *r, const struct date *d, u8 i)
{
	const bool binary = r->ram[RTC_REG_B] & RTC_B_DM_BINARY;
	u32 v = 0;
	u8 pm = 0;
	switch (i) {
	case RTC_SECONDS:
		v = d->sec;
		break;
	case RTC_MINUTES:
		v = d->min;
		break;
	case RTC_HOURS:
		v = d->hour;
		if (!(r->ram[RTC_REG_B] & RTC_B_24H)) {
			pm = v >= HOURS_12 ? RTC_HOUR_PM : 0;
			v = v % HOURS_12 ? v % HOURS_12 : HOURS_12;
		}
		break;
	case RTC_DAY_OF_WEEK:
		v = d->weekday;
		break;
	case RTC_DAY:
		v = d->day;
		break;
	case RTC_MONTH:
		v = d->month;
		break;
	case RTC_YEAR:
		v = d->year % 100;
		break;
	case RTC_CENTURY:
		v = d->year / 100;
		break;
	}
	return (u8)((binary ? v : to_bcd(v)) | pm);
}

/* The clock set to d at now (seconds); out-of-range dates are dropped (the data sheet leaves
 * them undefined). */
static void set_date(struct rtc *r, const struct date *d, u64 now)
{
	if (d->sec > 59 || d->min > 59 || d->hour > 23 || d->month < 1 || d->month > 12 ||
	    d->year < EPOCH_YEAR || d->year > LAST_YEAR || d->day < 1 ||
	    d->day > month_days(d->year, d->month))
		return;
	r->offset_s += (s64)seconds_of(d) - (s64)now;
}

/* A write of a time register: that field of the clock (or of the held date) becomes v. */
static void set_time_reg(struct rtc *r, u8 i, u8 raw, u64 now_tsc)
{
	const u64 now = rtc_seconds(r, now_tsc);
	struct date d = date_of(now);
	const bool binary = r->ram[RTC_REG_B] & RTC_B_DM_BINARY;
	u8 pm = 0;
	if (i == RTC_HOURS && !(r->ram[RTC_REG_B] & RTC_B_24H)) {
		pm = raw & RTC_HOUR_PM;
		raw &= (u8)~RTC_HOUR_PM;
	}
	u32 v = binary ? raw : from_bcd(raw);
	if (r->holding)
		memcpy(&d, r->held, sizeof(d));
	switch (i) {
	case RTC_SECONDS:
		d.sec = v;
		break;
	case RTC_MINUTES:
		d.min = v;
		break;
	case RTC_HOURS:
		if (!(r->ram[RTC_REG_B] & RTC_B_24H)) {
			if (v < 1 || v > HOURS_12)
				return;
			v = v % HOURS_12 + (pm ? HOURS_12 : 0);
		}
		d.hour = v;
		break;
	case RTC_DAY_OF_WEEK:
		if (r->holding) /* kept while held; the date decides it when SET clears */
			r->held[6] = v;
		return;
	case RTC_DAY:
		d.day = v;
		break;
	case RTC_MONTH:
		d.month = v;
		break;
	case RTC_YEAR:
		d.year = d.year / 100 * 100 + v;
		break;
	case RTC_CENTURY:
		d.year = v * 100 + d.year % 100;
		break;
	}
	if (r->holding) {
		memcpy(r->held, &d, sizeof(d));
		return;
	}
	set_date(r, &d, now);
}

u8 rtc_read(struct rtc *r, u16 port, u64 now_tsc)
{
	if (port == RTC_PORT_INDEX)
		return 0xff; /* write-only on the PC */
	const u8 i = r->index;
	if (is_time_reg(i)) {
		struct date d = date_of(rtc_seconds(r, now_tsc));
		if (r->holding)
			memcpy(&d, r->held, sizeof(d));
		return time_reg(r, &d, i);
	}
	switch (i) {
	case RTC_REG_A:
		return r->ram[i] & (u8)~RTC_A_UIP;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->ram[i];
	}
}

void rtc_write(struct rtc *r, u16 port, u8 v, u64 now_tsc)
{
	if (port == RTC_PORT_INDEX) {
		r->index = v & RTC_INDEX_MASK;
		r->nmi_mask = v & RTC_NMI_MASK;
		return;
	}
	const u8 i = r->index;
	if (i == RTC_REG_B && (v & RTC_B_SET) != (r->ram[RTC_REG_B] & RTC_B_SET)) {
		const u64 now = rtc_seconds(r, now_tsc);
		if (v & RTC_B_SET) { /* hold: the date as it is now */
			const struct date d = date_of(now);
			memcpy(r->held, &d, sizeof(d));
			r->holding = true;
		} else if (r->holding) { /* release: the whole date at once */
			struct date d;
			memcpy(&d, r->held, sizeof(d));
			r->holding = false;
			set_date(r, &d, now);
		}
	}
	if (is_time_reg(i))
		set_time_reg(r, i, v, now_tsc);
	else if (i != RTC_REG_C && i != RTC_REG_D)
		r->ram[i] = i == RTC_REG_A ? v & (u8)~RTC_A_UIP : v;
}
