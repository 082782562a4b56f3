/* The time-stamp counter: read it, and measure its rate against the 8254
 * PIT's channel 2 (the one reference clock every PC-compatible platform and
 * both emulators have). */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include "arch/x86/cpu.h"
#include "lib/types.h"

static inline u64 tsc_read(void)
{
	return rdtsc();
}

/* TSC ticks per second over ms milliseconds of the PIT (at most 54 ms: the
 * count is 16 bits), or 0 when the PIT does not answer. */
u64 tsc_hz_from_pit(unsigned ms);

#endif
