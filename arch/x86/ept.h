/* EPT paging-structure entry format and EPTP (Intel SDM Vol. 3C, 29.3.2
 * "EPT Translation Mechanism", Tables 29-1 to 29-6; 25.6.11 "Extended-Page-
 * Table Pointer"). Only the format: nothing here knows about segments. */
#ifndef ARCH_X86_EPT_H
#define ARCH_X86_EPT_H

#include "lib/bits.h"

#define EPT_R          BIT(0)
#define EPT_W          BIT(1)
#define EPT_X          BIT(2) /* supervisor-mode execute */
#define EPT_RWX        (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT   3 /* leaf memory type, bits 5:3 */
#define EPT_MT_MASK    BITS(5, 3)
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LEAF_PS    BIT(7) /* large page: 1 GiB in a PDPTE, 2 MiB in a PDE */
#define EPT_A          BIT(8) /* accessed, when EPTP enables A/D */
#define EPT_D          BIT(9) /* dirty (leaf only) */
#define EPT_ADDR_MASK  BITS(51, 12)

/* Memory types (SDM Vol. 3A, 11.11 / Table 11-2). */
#define EPT_MT_UC 0ULL
#define EPT_MT_WB 6ULL
#define EPT_MT(t) ((u64)(t) << EPT_MT_SHIFT)

/* EPTP fields (SDM 25.6.11). */
#define EPTP_MT_UC      0ULL
#define EPTP_MT_WB      6ULL
#define EPTP_MT_MASK    BITS(2, 0)
#define EPTP_WALK_SHIFT 3 /* bits 5:3 hold (page-walk length - 1) */
#define EPTP_WALK_MASK  BITS(5, 3)
#define EPTP_WALK_4     (3ULL << EPTP_WALK_SHIFT)
#define EPTP_AD_ENABLE  BIT(6)
#define EPTP_ADDR_MASK  BITS(51, 12)

/* The EPTP for the VMCS (SDM 25.6.11): write-back paging structures, a 4-level walk, accessed
 * and dirty flags when ad_enable (the CPU must report them in IA32_VMX_EPT_VPID_CAP). */
static inline u64 ept_eptp(u64 root, bool ad_enable)
{
	return (root & EPTP_ADDR_MASK) | EPTP_MT_WB | EPTP_WALK_4 |
	       (ad_enable ? EPTP_AD_ENABLE : 0);
}

static inline bool ept_present(u64 e)
{
	return (e & EPT_RWX) != 0;
}

#endif
