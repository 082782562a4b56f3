#include "arch/x86/crash.h"

#include "arch/x86/cpu.h"
#include "arch/x86/dmap.h"

/* Canonical (bits 63:47 equal) and far above the direct map. */
#define CRASH_UNMAPPED_VA 0x0000700000000000ULL
_Static_assert(CRASH_UNMAPPED_VA >= DMAP_MAX_BYTES, "the crash address is outside the direct map");
/* Bits 63:47 differ: any access raises #GP (#SS for the stack), SDM Vol. 3A, 3.3.7.1. */
#define CRASH_NONCANONICAL_VA 0x8000000000000000ULL

void crash_now(enum crash_kind kind)
{
	switch (kind) {
	case CRASH_PF:
		(void)*(volatile u64 *)CRASH_UNMAPPED_VA;
		break;
	case CRASH_UD:
		__asm__ volatile("ud2");
		break;
	case CRASH_GP:
		(void)*(volatile u64 *)CRASH_NONCANONICAL_VA;
		break;
	case CRASH_DF:
		/* The #UD cannot push its frame, nor can the #SS (#GP under
		 * some emulators) that follows: two contributory faults make a
		 * #DF (SDM Vol. 3A, Table 6-5), which the IDT sends to its own
		 * stack (IST1). */
		__asm__ volatile("mov %0, %%rsp\n\tud2" ::"r"(CRASH_NONCANONICAL_VA) : "memory");
		break;
	default:
		break;
	}
	cpu_halt_forever();
	__builtin_unreachable();
}
