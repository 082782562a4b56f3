/* x86-64 4-level paging entry format (Intel SDM Vol. 3A, 4.5 "4-Level
 * Paging", Tables 4-14 to 4-20). Used by the hypervisor's direct map, by
 * the walk model to read a guest's tables, by the test guest's own tables
 * and (the entry bits) by the boot tables of lib/x86/long_mode.h. */
#ifndef LIB_X86_PAGING_H
#define LIB_X86_PAGING_H

#include "lib/bits.h"

#define PTE_P         BIT(0) /* present */
#define PTE_RW        BIT(1) /* writable */
#define PTE_US        BIT(2) /* user */
#define PTE_PWT       BIT(3)
#define PTE_PCD       BIT(4)
#define PTE_A         BIT(5) /* accessed */
#define PTE_D         BIT(6) /* dirty (leaf only) */
#define PTE_PS        BIT(7) /* page size: 1 GiB in a PDPTE, 2 MiB in a PDE */
#define PTE_G         BIT(8)
#define PTE_NX        BIT(63)
#define PTE_ADDR_MASK BITS(51, 12)

#ifndef __ASSEMBLY__
/* Levels are numbered as the SDM's tables: 4 = PML4, 1 = PT. */
#define PT_LEVELS  4
#define PT_ENTRIES 512
static inline unsigned pt_index(u64 va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}
/* Bytes mapped by one entry at a level: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
static inline u64 pt_level_size(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

/* Canonical 48-bit virtual address: bits 63..47 all equal. */
static inline bool va_is_canonical(u64 va)
{
	u64 top = va >> 47;
	return top == 0 || top == 0x1ffff;
}
#endif

#endif
