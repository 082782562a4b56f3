/* Named accessors for MSRs and a few instructions, with those the test
 * guest shares (CPUID, control registers, port I/O) from lib/x86/. Inline
 * assembly for these lives here, there and in the .S files. */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include "arch/x86/msr.h"
#include "lib/bits.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/io.h"

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

/* rdmsr/wrmsr that survive a #GP: return 0, or the exception vector + 1
 * (arch/x86/safe.S, recovered through the exception table). */
int rdmsr_safe(u32 msr, u64 *value);
int wrmsr_safe(u32 msr, u64 value);
int xsetbv_safe(u32 xcr, u64 value);

#define CPUID_LEAF_XSAVE 0xd
#define XCR0_X87         BIT(0)
#define XCR0_SSE         BIT(1)
#define XCR0_AVX         BIT(2)

/* Executes ud2 under the exception table; returns the vector caught + 1. */
int probe_ud2(void);
/* Reads a non-canonical address; returns the vector caught + 1. */
int probe_noncanonical(void);

static inline u64 read_rflags(void)
{
	u64 v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* CPUID.80000001H:EDX.NX[bit 20]: EFER.NXE may be set. */
static inline bool x86_has_nx(void)
{
	return cpuid(CPUID_LEAF_EXT_FEATURES, 0).edx & CPUID_80000001_EDX_NX;
}

static inline void cpu_pause(void)
{
	__asm__ volatile("pause");
}

#endif
