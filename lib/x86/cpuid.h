/* CPUID (SDM Vol. 2A, CPUID): the instruction and the leaves and feature
 * bits that the hypervisor and the test guest read. The names serve
 * assembly sources too (boot.S checks for long mode). */
#ifndef LIB_X86_CPUID_H
#define LIB_X86_CPUID_H

#include "lib/bits.h"

/* ---- CPUID (Vol. 2A, CPUID, Tables 3-8 to 3-10, and Vol. 3B "Architectural Performance
 * Monitoring") ---- */
#define CPUID_LEAF_FEATURES    0x1
#define CPUID_1_ECX_VMX        BIT(5)
#define CPUID_1_ECX_SMX        BIT(6)
#define CPUID_1_ECX_PDCM       BIT(15) /* IA32_PERF_CAPABILITIES exists */
#define CPUID_1_ECX_PCID       BIT(17)
#define CPUID_1_ECX_X2APIC     BIT(21)
#define CPUID_1_ECX_XSAVE      BIT(26)
#define CPUID_1_ECX_OSXSAVE    BIT(27)
#define CPUID_1_ECX_HYPERVISOR BIT(31)
#define CPUID_1_EDX_FPU        BIT(0)
#define CPUID_1_EDX_PSE        BIT(3)
#define CPUID_1_EDX_TSC        BIT(4)
#define CPUID_1_EDX_MSR        BIT(5)
#define CPUID_1_EDX_PAE        BIT(6)
#define CPUID_1_EDX_APIC       BIT(9)
#define CPUID_1_EDX_MTRR       BIT(12)
#define CPUID_1_EDX_PGE        BIT(13)
#define CPUID_1_EDX_PAT        BIT(16)
#define CPUID_1_EDX_FXSR       BIT(24)
#define CPUID_1_EDX_SSE        BIT(25)
#define CPUID_1_EDX_SSE2       BIT(26)

/* Leaf 0AH: architectural performance monitoring (Vol. 3B, "Architectural Performance Monitoring").
 */
#define CPUID_LEAF_PERFMON         0xa
#define CPUID_A_EAX_VERSION_MASK   BITS(7, 0)
#define CPUID_A_EAX_NUM_GP_SHIFT   8
#define CPUID_A_EAX_NUM_GP_MASK    BITS(15, 8)
#define CPUID_A_EAX_GP_WIDTH_SHIFT 16
#define CPUID_A_EAX_GP_WIDTH_MASK  BITS(23, 16)
#define CPUID_A_EAX_EBX_LEN_SHIFT  24
#define CPUID_A_EAX_EBX_LEN_MASK   BITS(31, 24)
/* EBX: a set bit means the event is NOT available. */
#define CPUID_A_EBX_NO_CORE_CYCLES       BIT(0)
#define CPUID_A_EBX_NO_INSTR_RETIRED     BIT(1)
#define CPUID_A_EBX_NO_REF_CYCLES        BIT(2)
#define CPUID_A_EBX_NO_LLC_REF           BIT(3)
#define CPUID_A_EBX_NO_LLC_MISS          BIT(4)
#define CPUID_A_EBX_NO_BRANCH_RETIRED    BIT(5)
#define CPUID_A_EBX_NO_BRANCH_MISPREDICT BIT(6)
#define CPUID_A_EDX_NUM_FIXED_MASK       BITS(4, 0)
#define CPUID_A_EDX_FIXED_WIDTH_SHIFT    5
#define CPUID_A_EDX_FIXED_WIDTH_MASK     BITS(12, 5)

#define CPUID_LEAF_HYPERVISOR 0x40000000 /* segvisor's signature leaf */

#define CPUID_LEAF_EXT_MAX         0x80000000 /* EAX: the highest extended leaf */
#define CPUID_LEAF_EXT_FEATURES    0x80000001
#define CPUID_80000001_ECX_LAHF    BIT(0)
#define CPUID_80000001_ECX_SVM     BIT(2)
#define CPUID_80000001_EDX_SYSCALL BIT(11)
#define CPUID_80000001_EDX_NX      BIT(20)
#define CPUID_80000001_EDX_PAGE1GB BIT(26)
#define CPUID_80000001_EDX_RDTSCP  BIT(27)
#define CPUID_80000001_EDX_LM      BIT(29)

#define CPUID_LEAF_ADDR_SIZES              0x80000008
#define CPUID_80000008_EAX_MAXPHYADDR_MASK BITS(7, 0)
#define CPUID_80000008_EAX_LINEAR_SHIFT    8
#define CPUID_80000008_EAX_LINEAR_MASK     BITS(15, 8)

#ifndef __ASSEMBLY__
#include "lib/types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}
#endif

#endif
