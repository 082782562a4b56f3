#include "arch/x86/tsc.h"

#include "lib/bits.h"
#include "lib/x86/io.h"

/* The 8254 PIT's channel 2, gated and read back through system control
 * port B (0x61), as a reference clock for the TSC: mode 0 counts down once
 * from the value loaded and raises OUT2 at zero (Intel 82C54 datasheet;
 * the PC/AT wiring of port B: bit 0 gate 2, bit 1 speaker, bit 5 OUT2). */
#define PIT_HZ              1193182ULL
#define PIT_CH2_DATA        0x42
#define PIT_MODE_PORT       0x43
#define PIT_CH2_LOHI_MODE0  0xb0 /* channel 2, low then high byte, mode 0, binary */
#define PORT_B              0x61
#define PORT_B_GATE2        BIT(0)
#define PORT_B_SPEAKER      BIT(1)
#define PORT_B_OUT2         BIT(5)
/* Give up when OUT2 has not risen after this many TSC cycles (seconds on any
 * CPU of this century) or this many reads of port B, whichever comes first. */
#define TSC_CALIBRATE_MAX_CYCLES (1ULL << 34)
#define TSC_CALIBRATE_POLLS      10000000ULL

#define PIT_MAX_COUNT 0xffffu /* 16 bits: about 54.9 ms */

u64 tsc_hz_from_pit(unsigned ms)
{
	u64 count = PIT_HZ * ms / 1000;
	if (count > PIT_MAX_COUNT)
		count = PIT_MAX_COUNT;
	if (count == 0)
		return 0;
	u8 b = inb(PORT_B);
	outb(PORT_B, (u8)((b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_MODE_PORT, PIT_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, (u8)count);
	outb(PIT_CH2_DATA, (u8)(count >> 8));
	u64 t0 = rdtsc(), t1 = t0, polls = 0;
	bool risen = false;
	while (polls++ < TSC_CALIBRATE_POLLS && t1 - t0 < TSC_CALIBRATE_MAX_CYCLES) {
		if (inb(PORT_B) & PORT_B_OUT2) {
			risen = true;
			break;
		}
		t1 = rdtsc();
	}
	t1 = rdtsc();
	outb(PORT_B, b);
	if (!risen || t1 <= t0)
		return 0;
	/* In mode 0, OUT rises N + 1 input clocks after the count N is loaded. */
	return (t1 - t0) * PIT_HZ / (count + 1);
}
