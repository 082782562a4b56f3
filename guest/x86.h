/* The CPU operations the test guest needs beyond lib/x86.h. The guest
 * shares only lib/ and the hypercall ABI with the hypervisor. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include "lib/x86.h"

static inline u64 read_cr3(void)
{
	u64 v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(u64 v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}
static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

#endif
