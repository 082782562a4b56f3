/* Control registers and EFER (SDM Vol. 3A, 2.5 "Control Registers" and
 * 2.2.1 "Extended Feature Enable Register"): their bits and accessors, for
 * both kernels. The bit names serve assembly sources too (the long-mode
 * switch of lib/x86/long_mode.h). */
#ifndef LIB_X86_CR_H
#define LIB_X86_CR_H

#include "lib/bits.h"

/* ---- CR0 (Vol. 3A, 2.5 "Control Registers") ---- */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

/* ---- CR4 (Vol. 3A, 2.5) ---- */
#define CR4_VME        BIT(0)
#define CR4_PVI        BIT(1)
#define CR4_TSD        BIT(2)
#define CR4_DE         BIT(3)
#define CR4_PSE        BIT(4)
#define CR4_PAE        BIT(5)
#define CR4_MCE        BIT(6)
#define CR4_PGE        BIT(7)
#define CR4_PCE        BIT(8)
#define CR4_OSFXSR     BIT(9)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_UMIP       BIT(11)
#define CR4_LA57       BIT(12)
#define CR4_VMXE       BIT(13)
#define CR4_SMXE       BIT(14)
#define CR4_FSGSBASE   BIT(16)
#define CR4_PCIDE      BIT(17)
#define CR4_OSXSAVE    BIT(18)
#define CR4_KL         BIT(19)
#define CR4_SMEP       BIT(20)
#define CR4_SMAP       BIT(21)
#define CR4_PKE        BIT(22)
#define CR4_CET        BIT(23)
#define CR4_PKS        BIT(24)

/* CR3 in 4-level paging without PCIDs (Vol. 3A, 4.5, Table 4-12). */
#define CR3_PWT       BIT(3)
#define CR3_PCD       BIT(4)
#define CR3_PCID_MASK BITS(11, 0) /* with CR4.PCIDE = 1 */

/* The EFER MSR index (Vol. 4, Table 2-2); the other indices are in arch/x86/msr.h. */
#define IA32_EFER 0xc0000080
/* ---- IA32_EFER (Vol. 3A, 2.2.1 "Extended Feature Enable Register") ---- */
#define EFER_SCE  BIT(0)
#define EFER_LME  BIT(8)
#define EFER_LMA  BIT(10)
#define EFER_NXE  BIT(11)
#define EFER_SVME BIT(12) /* AMD: SVM enable */
/* Bits that may be set on Intel; all others are reserved (must be 0). */
#define EFER_INTEL_DEFINED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

#ifndef __ASSEMBLY__
#include "lib/types.h"

#define DEFINE_CR(n)                                                                               \
	static inline u64 read_cr##n(void)                                                         \
	{                                                                                          \
		u64 v;                                                                             \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
		return v;                                                                          \
	}                                                                                          \
	static inline void write_cr##n(u64 v)                                                      \
	{                                                                                          \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");                           \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}
#endif

#endif
