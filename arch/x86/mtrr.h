/* The MTRRs as the host reads them, and the memory type they give a physical
 * range (Intel SDM Vol. 3A, 12.11 "Memory Type Range Registers (MTRRs)";
 * AMD APM Vol. 2, 7.7 has the same registers). mtrr_read() takes the
 * registers through an ops table, so host unit tests run it over a fake MSR
 * space; everything else here is pure. The direct map (arch/x86/dmap.c)
 * asks mtrr_leaf_for() whether a page of a given size may be one leaf and
 * with which PCD/PWT bits, and splits it where the range straddles types
 * (12.11.9 "Large Page Size Considerations"). */
#ifndef ARCH_X86_MTRR_H
#define ARCH_X86_MTRR_H

#include "lib/bits.h"
#include "lib/types.h"

/* Memory type encodings (Vol. 3A, Table 12-8); 2, 3 and 7..255 are reserved. */
#define MTRR_TYPE_UC 0
#define MTRR_TYPE_WC 1
#define MTRR_TYPE_WT 4
#define MTRR_TYPE_WP 5
#define MTRR_TYPE_WB 6
/* A result only: the range holds more than one type. */
#define MTRR_TYPE_MIXED 0xff

/* Fixed-range MTRRs (Vol. 4, Table 2-2; Vol. 3A, 12.11.2.2): 11 MSRs of 8
 * one-byte types each, the lowest address in the lowest byte. */
#define IA32_MTRR_FIX64K_00000 0x250 /* 0x00000-0x7ffff, 8 x 64 KiB */
#define IA32_MTRR_FIX16K_80000 0x258 /* 0x80000-0x9ffff, 8 x 16 KiB */
#define IA32_MTRR_FIX16K_A0000 0x259 /* 0xa0000-0xbffff, 8 x 16 KiB */
#define IA32_MTRR_FIX4K_C0000  0x268 /* 0xc0000-0xc7fff, 8 x 4 KiB; ... */
#define IA32_MTRR_FIX4K_F8000  0x26f /* ... 0xf8000-0xfffff */
#define MTRR_FIXED_MSRS        11
#define MTRR_FIXED_PER_MSR     8
#define MTRR_FIXED_RANGES      (MTRR_FIXED_MSRS * MTRR_FIXED_PER_MSR)
#define MTRR_FIXED_LIMIT       (1 * MiB) /* the fixed ranges cover [0, 1 MiB) */

/* IA32_MTRR_PHYSBASEn / PHYSMASKn (Vol. 3A, 12.11.2.3). */
#define MTRR_PHYSBASE_TYPE_MASK BITS(7, 0)
#define MTRR_PHYS_ADDR_MASK     BITS(51, 12)
#define MTRR_PHYSMASK_VALID     BIT(11)
/* Variable pairs read. MTRRCAP.VCNT is 8 bits, but the architectural pairs
 * are IA32_MTRR_PHYSBASE0/PHYSMASK0 (200H, 201H) to IA32_MTRR_PHYSBASE9/
 * PHYSMASK9 (212H, 213H) (SDM Vol. 4, Table 2-2); past them 200H + 2n is no
 * variable-range MTRR (n = 40 reaches IA32_MTRR_FIX64K_00000, 250H). Pairs
 * VCNT counts beyond these ten are not read, and said so (mtrr_format). */
#define MTRR_VAR_MAX 10

struct mtrr_var {
	u64 base; /* PHYSBASE's address bits */
	u64 mask; /* PHYSMASK's address bits */
	u8 type;
};

struct mtrr_state {
	bool present;       /* CPUID.1:EDX.MTRR: without it, no MTRR types apply */
	bool enabled;       /* IA32_MTRR_DEF_TYPE.E; clear: all memory is UC */
	bool fixed_enabled; /* MTRRCAP.FIX and DEF_TYPE.FE: the fixed ranges apply */
	u8 def_type;
	unsigned vcnt;     /* MTRRCAP.VCNT, as the CPU says */
	unsigned nvar;     /* valid variable ranges kept in var[] */
	unsigned unread;   /* pairs VCNT counts beyond MTRR_VAR_MAX, not read */
	unsigned reserved; /* reserved type encodings read (each taken as UC) */
	u8 fixed[MTRR_FIXED_RANGES];
	struct mtrr_var var[MTRR_VAR_MAX];
};

/* Reads one MSR into *val; false if it faults. */
struct mtrr_ops {
	bool (*rdmsr)(void *ctx, u32 msr, u64 *val);
	void *ctx;
};

enum mtrr_err { MTRR_OK, MTRR_ERR_MSR_FAULT };

/* Reads the MTRRs into *s (present says whether CPUID.1:EDX.MTRR is set;
 * if not, nothing is read). On a faulting MSR returns MTRR_ERR_MSR_FAULT
 * with *bad_msr set and *s describing no MTRRs. */
enum mtrr_err mtrr_read(const struct mtrr_ops *ops, bool present, struct mtrr_state *s,
                        u32 *bad_msr);

/* The type of the naturally aligned block [addr, addr + size), size a power
 * of two of at least 4 KiB, or MTRR_TYPE_MIXED (Vol. 3A, 12.11.4.1 "MTRR
 * Precedences"): E clear gives UC; below 1 MiB with fixed ranges on, the
 * fixed range; else the variable ranges that match (identical types: that
 * type; any UC: UC; WT with WB: WT; any other overlap, undefined in the
 * SDM: UC here), and the default type where none matches. A variable range
 * that covers only part of the block makes it MIXED even if the parts
 * happen to agree, unless a UC range covers all of it (exact at 4 KiB,
 * where no range can cover part of a block). Without
 * MTRRs (present false) every block is WB. */
u8 mtrr_block_type(const struct mtrr_state *s, u64 addr, u64 size);
/* The type of any range [start, start + len) (rounded out to 4 KiB), or
 * MTRR_TYPE_MIXED; len 0 gives the type of the page at start. */
u8 mtrr_range_type(const struct mtrr_state *s, u64 start, u64 len);

/* The PCD/PWT bits of a page-table entry that select, through IA32_PAT
 * value pat (entries 0-3 only, so the same bits serve 4 KiB and large
 * pages), a PAT type under which the page gets MTRR type `type` (Vol. 3A,
 * Table 12-7): PAT UC for UC and MIXED (12.11.9: the most conservative
 * type for a page that straddles types), PAT WT for WT, PAT WB for WB, WC
 * and WP (PAT WB leaves the MTRR type in force). If pat has no entry of
 * that type in 0-3, the next of WB (not for UC), UC-, UC, WB that it has;
 * none of them: 0 (entry 0). */
u64 mtrr_pte_bits(u64 pat, u8 type);

/* The direct map's decision for the naturally aligned block [addr, addr +
 * size): one leaf with pte_bits, or split into smaller pages because the
 * MTRRs give it more than one type (never at 4 KiB). */
struct mtrr_leaf {
	bool split;
	u8 type;      /* the block's type, MTRR_TYPE_MIXED when split */
	u64 pte_bits; /* PCD/PWT for a leaf (split: those of MIXED, for a fallback) */
};
struct mtrr_leaf mtrr_leaf_for(const struct mtrr_state *s, u64 pat, u64 addr, u64 size);

/* Overlapping pairs of variable ranges whose types the SDM leaves undefined
 * (taken as UC by mtrr_block_type). */
unsigned mtrr_undefined_overlaps(const struct mtrr_state *s);

/* "UC", "WC", "WT", "WP", "WB", "mixed", or "reserved". */
const char *mtrr_type_name(u8 type);
/* One line for the boot log: "default WB, 8 variable, fixed on, UC
 * 0xc0000000-0xffffffff, ...". Returns what fmt_snprintf returns. */
int mtrr_format(char *buf, size_t size, const struct mtrr_state *s);

#endif
