/* The 8254's channel 2 and port 0x61 (pit.h). */
#include "hv/platform/pit.h"

#include "lib/mem.h"

/* Control word (82C54: "Control Word Format"). */
#define CW_CHANNEL_SHIFT 6
#define CW_CHANNEL_MASK  0x3
#define CW_READBACK      3
#define CW_ACCESS_SHIFT  4
#define CW_ACCESS_MASK   0x3
#define CW_ACCESS_LATCH  0
#define CW_ACCESS_LSB    1
#define CW_ACCESS_MSB    2
#define CW_ACCESS_WORD   3
#define CW_MODE_SHIFT    1
#define CW_MODE_MASK     0x7
#define CH2              2
/* Port B (port 0x61). */
#define PB_GATE2    0x01
#define PB_SPEAKER  0x02
#define PB_WRITABLE (PB_GATE2 | PB_SPEAKER)
#define PB_REFRESH  0x10
#define PB_OUT2     0x20
#define REFRESH_NS  15085 /* the refresh request toggles every 15.085 us on a PC/AT */
#define COUNT_FULL  65536u
#define NS_PER_S    1000000000ull

void pit_init(struct pit *t, u64 tsc_hz)
{
	memset(t, 0, sizeof(*t));
	t->tsc_hz = tsc_hz;
	t->access = CW_ACCESS_WORD;
}

/* Counter input ticks since counting began. */
static u64 ticks(const struct pit *t, u64 now)
{
	if (!t->counting || !t->tsc_hz || now < t->start)
		return 0;
	const u64 d = now - t->start;
	/* d * PIT_HZ / tsc_hz without overflow for d up to 2^64 / 2^21. */
	return d / t->tsc_hz * PIT_HZ + d % t->tsc_hz * PIT_HZ / t->tsc_hz;
}

static u32 reload(const struct pit *t)
{
	return t->reload ? t->reload : COUNT_FULL;
}

/* The count now: modes 2 and 3 reload at the end of each period; the others count down through
 * zero and wrap at 16 bits. Mode 3 counts by two, twice per period. */
static u16 count(const struct pit *t, u64 now)
{
	if (!t->counting)
		return (u16)t->reload;
	const u64 n = ticks(t, now), r = reload(t);
	if (t->mode == 2)
		return (u16)(r - n % r);
	if (t->mode == 3)
		return (u16)(r - (2 * n) % r);
	return (u16)(r - n);
}

static bool out2(const struct pit *t, u64 now)
{
	if (!t->counting)
		return t->mode != 0; /* mode 0 drives OUT low from its control word on */
	const u64 n = ticks(t, now), r = reload(t);
	switch (t->mode) {
	case 2:
		return n % r != r - 1; /* low for one tick at the end of each period */
	case 3:
		return n % r < (r + 1) / 2; /* high for the first half */
	default:
		return n >= r; /* modes 0, 1, 4, 5: OUT (or its strobe) after terminal count */
	}
}

static void maybe_start(struct pit *t, u64 now)
{
	if (t->loaded && (t->port_b & PB_GATE2) && !t->counting) {
		t->counting = true;
		t->start = now;
	}
}

u8 pit_read(struct pit *t, u16 port, u64 now)
{
	if (port == PIT_PORT_B) {
		u8 v = t->port_b;
		if (t->tsc_hz && (now / (t->tsc_hz * REFRESH_NS / NS_PER_S + 1)) & 1)
			v |= PB_REFRESH;
		if (out2(t, now))
			v |= PB_OUT2;
		return v;
	}
	if (port != PIT_PORT_CH2)
		return 0;
	const u16 c = t->latched ? t->latch : count(t, now);
	u8 v;
	if (t->access == CW_ACCESS_LSB)
		v = (u8)c;
	else if (t->access == CW_ACCESS_MSB)
		v = (u8)(c >> 8);
	else {
		v = t->read_msb ? (u8)(c >> 8) : (u8)c;
		t->read_msb = !t->read_msb;
	}
	if (t->latched && (t->access != CW_ACCESS_WORD || !t->read_msb))
		t->latched = false; /* the latch is read out */
	return v;
}

void pit_write(struct pit *t, u16 port, u8 v, u64 now)
{
	if (port == PIT_PORT_B) {
		const bool rising = !(t->port_b & PB_GATE2) && (v & PB_GATE2);
		t->port_b = v & PB_WRITABLE;
		/* A rising gate restarts the count in modes 1, 2, 3 and 5, and lets mode 0 count.
		 */
		if (rising && t->loaded) {
			t->counting = false;
			maybe_start(t, now);
		} else if (!(v & PB_GATE2) && t->mode != 0 && t->mode != 4) {
			t->counting = false;
		}
		return;
	}
	if (port == PIT_PORT_CONTROL) {
		const unsigned ch = (v >> CW_CHANNEL_SHIFT) & CW_CHANNEL_MASK;
		if (ch != CH2)
			return; /* channels 0, 1 and the read-back command: not modelled */
		const unsigned access = (v >> CW_ACCESS_SHIFT) & CW_ACCESS_MASK;
		if (access == CW_ACCESS_LATCH) {
			if (!t->latched) {
				t->latch = count(t, now);
				t->latched = true;
				t->read_msb = false;
			}
			return;
		}
		t->access = (u8)access;
		t->mode = (u8)((v >> CW_MODE_SHIFT) & CW_MODE_MASK);
		if (t->mode > 5)
			t->mode -= 4; /* 6 and 7 are modes 2 and 3 */
		t->write_msb = t->read_msb = false;
		t->loaded = t->counting = t->latched = false;
		return;
	}
	if (port != PIT_PORT_CH2)
		return;
	if (t->access == CW_ACCESS_LSB)
		t->reload = v;
	else if (t->access == CW_ACCESS_MSB)
		t->reload = (u32)v << 8;
	else if (!t->write_msb) {
		t->lsb = v;
		t->write_msb = true;
		return;
	} else {
		t->reload = t->lsb | (u32)v << 8;
		t->write_msb = false;
	}
	t->loaded = true;
	t->counting = false;
	maybe_start(t, now);
}
