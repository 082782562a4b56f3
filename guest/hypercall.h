/* Hypercalls from the guest (lib/hvcall.h for the ABI). Only valid under
 * segvisor: guest_has_hv() tells, from the CPUID signature. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H

#include "lib/hvcall.h"

/* Status in the return value, the call's value (if any) in *out. */
/* VMCALL on Intel, VMMCALL on AMD (set by guest_hv_init from the CPUID
 * vendor): each raises #UD on the other vendor's CPUs. */
extern bool guest_hv_vmmcall;

static inline s64 hvcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 *out)
{
	u64 rax = nr, rdx = a2;
	if (guest_hv_vmmcall)
		__asm__ volatile("vmmcall" : "+a"(rax), "+d"(rdx) : "D"(a0), "S"(a1) : "memory");
	else
		__asm__ volatile("vmcall" : "+a"(rax), "+d"(rdx) : "D"(a0), "S"(a1) : "memory");
	if (out)
		*out = rdx;
	return (s64)rax;
}

bool guest_has_hv(void);
void guest_hv_init(void);

#endif
