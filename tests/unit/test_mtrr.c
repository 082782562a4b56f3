/* arch/x86/mtrr: reading the MTRRs through a fake MSR space, the memory
 * type of a range by the rules of SDM Vol. 3A 12.11.4.1 (fixed ranges below
 * 1 MiB, variable overlaps, the default type, E clear), the PCD/PWT bits
 * through PAT (Table 12-7), the direct map's split decision (12.11.9) and its
 * tables as arch/x86/dmap_build.c builds them (the split-table pool running
 * out, the UC fallback, uc_bytes).
 * Expectations come from the SDM's rules and hand-made layouts; the first
 * layout is the one SeaBIOS leaves under QEMU (fixed WB/UC/WP, one UC
 * variable range over [2 GiB, 4 GiB)), as the boot log shows it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/dmap.h"
#include "arch/x86/msr.h"
#include "arch/x86/mtrr.h"
#include "lib/x86/paging.h"

#define GiB_      (1024ULL * MiB)
#define PHYS36    (BITS(35, 12))        /* PHYSMASK address bits of a 36-bit MAXPHYADDR */
#define LINUX_PAT 0x0007010600070106ULL /* WB, WC, UC-, UC: PAT entry 1 reprogrammed as WC */

/* ---- a fake MSR space ---- */
#define FAKE_MSRS 64
struct fake {
	u32 msr[FAKE_MSRS];
	u64 val[FAKE_MSRS];
	unsigned n;
	u32 fault; /* this MSR faults; 0: none */
	unsigned reads;
};

static void fset(struct fake *f, u32 msr, u64 v)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->msr[i] == msr) {
			f->val[i] = v;
			return;
		}
	assert_true(f->n < FAKE_MSRS);
	f->msr[f->n] = msr;
	f->val[f->n++] = v;
}

static bool frd(void *ctx, u32 msr, u64 *v)
{
	struct fake *f = ctx;
	f->reads++;
	if (msr == f->fault)
		return false;
	for (unsigned i = 0; i < f->n; i++)
		if (f->msr[i] == msr) {
			*v = f->val[i];
			return true;
		}
	return false; /* an MSR the fake CPU does not have faults, as with ignore_bad_msrs=0 */
}

/* Eight bytes of one type, as in a fixed-range MSR. */
static u64 fixed8(u8 t)
{
	return 0x0101010101010101ULL * t;
}

static void var_pair(struct fake *f, unsigned n, u64 base, u64 size, u8 type)
{
	fset(f, IA32_MTRR_PHYSBASE0 + 2 * n, base | type);
	fset(f, IA32_MTRR_PHYSMASK0 + 2 * n, (~(size - 1) & PHYS36) | MTRR_PHYSMASK_VALID);
}

/* MTRRCAP: 8 variable pairs, fixed ranges, WC; DEF_TYPE E and FE set. */
static void seabios_like(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	fset(f, IA32_MTRRCAP, 8 | MTRRCAP_FIX | MTRRCAP_WC);
	fset(f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | MTRR_TYPE_WB);
	fset(f, IA32_MTRR_FIX64K_00000, fixed8(MTRR_TYPE_WB));
	fset(f, IA32_MTRR_FIX16K_80000, fixed8(MTRR_TYPE_WB));
	fset(f, IA32_MTRR_FIX16K_A0000, fixed8(MTRR_TYPE_UC));
	for (u32 m = IA32_MTRR_FIX4K_C0000; m <= IA32_MTRR_FIX4K_F8000; m++)
		fset(f, m, fixed8(MTRR_TYPE_WP));
	for (unsigned n = 0; n < 8; n++) {
		fset(f, IA32_MTRR_PHYSBASE0 + 2 * n, 0);
		fset(f, IA32_MTRR_PHYSMASK0 + 2 * n, 0); /* not valid */
	}
	var_pair(f, 0, 2 * GiB_, 2 * GiB_, MTRR_TYPE_UC);
}

static struct mtrr_state read_ok(struct fake *f)
{
	const struct mtrr_ops ops = {.rdmsr = frd, .ctx = f};
	struct mtrr_state s;
	u32 bad = 0;
	assert_int_equal(mtrr_read(&ops, true, &s, &bad), MTRR_OK);
	return s;
}

static void test_read(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	struct mtrr_state s = read_ok(&f);
	assert_true(s.present && s.enabled && s.fixed_enabled);
	assert_int_equal(s.def_type, MTRR_TYPE_WB);
	assert_int_equal(s.vcnt, 8);
	assert_int_equal(s.nvar, 1);
	assert_int_equal(s.var[0].base, 2 * GiB_);
	assert_int_equal(s.var[0].type, MTRR_TYPE_UC);
	/* 2 + 11 fixed + 16 variable MSRs. */
	assert_int_equal(f.reads, 2 + MTRR_FIXED_MSRS + 16);
	assert_int_equal(s.fixed[0], MTRR_TYPE_WB);
	assert_int_equal(s.fixed[8 + 8], MTRR_TYPE_UC); /* 0xa0000 */
	assert_int_equal(s.fixed[MTRR_FIXED_RANGES - 1], MTRR_TYPE_WP);
	assert_int_equal(s.reserved, 0);
}

static void test_read_fault_and_absent(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	f.fault = IA32_MTRR_FIX4K_C0000 + 3;
	const struct mtrr_ops ops = {.rdmsr = frd, .ctx = &f};
	struct mtrr_state s;
	u32 bad = 0;
	assert_int_equal(mtrr_read(&ops, true, &s, &bad), MTRR_ERR_MSR_FAULT);
	assert_int_equal(bad, IA32_MTRR_FIX4K_C0000 + 3);
	assert_false(s.present);
	/* Without MTRRs nothing is read and every page is WB. */
	f.reads = 0;
	assert_int_equal(mtrr_read(&ops, false, &s, &bad), MTRR_OK);
	assert_int_equal(f.reads, 0);
	assert_int_equal(mtrr_block_type(&s, 0, GiB_), MTRR_TYPE_WB);
	assert_int_equal(mtrr_range_type(&s, 0xa0000, 4096), MTRR_TYPE_WB);
}

static void test_fixed_ranges(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	/* A finer pattern in one 4 KiB MSR: 0xc8000-0xcffff, byte 2 is UC. */
	fset(&f, IA32_MTRR_FIX4K_C0000 + 1, fixed8(MTRR_TYPE_WP) & ~0xff0000ULL);
	struct mtrr_state s = read_ok(&f);
	assert_int_equal(mtrr_range_type(&s, 0, 0xa0000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_range_type(&s, 0x9f000, 0x1000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_range_type(&s, 0x9f000, 0x2000), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_range_type(&s, 0xa0000, 0x20000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 0xb8000, 0x8000), MTRR_TYPE_UC); /* VGA text */
	assert_int_equal(mtrr_range_type(&s, 0xc0000, 0x8000), MTRR_TYPE_WP);
	assert_int_equal(mtrr_range_type(&s, 0xc9000, 0x1000), MTRR_TYPE_WP);
	assert_int_equal(mtrr_range_type(&s, 0xca000, 0x1000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 0xcb000, 0x1000), MTRR_TYPE_WP);
	assert_int_equal(mtrr_range_type(&s, 0xf0000, 0x10000), MTRR_TYPE_WP);
	/* Above 1 MiB the variable ranges and the default rule again. */
	assert_int_equal(mtrr_range_type(&s, 1 * MiB, 1 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 0, 1 * MiB), MTRR_TYPE_MIXED);
	/* FE clear: the first MiB follows the variable ranges and default (WB). */
	fset(&f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_TYPE_WB);
	s = read_ok(&f);
	assert_false(s.fixed_enabled);
	assert_int_equal(mtrr_range_type(&s, 0xa0000, 0x20000), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 0, GiB_), MTRR_TYPE_WB);
	/* No fixed ranges in MTRRCAP: FE alone does not turn them on. */
	fset(&f, IA32_MTRRCAP, 8);
	fset(&f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | MTRR_TYPE_WB);
	s = read_ok(&f);
	assert_false(s.fixed_enabled);
	assert_int_equal(mtrr_range_type(&s, 0xa0000, 0x1000), MTRR_TYPE_WB);
}

static void test_disabled(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	fset(&f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_FE | MTRR_TYPE_WB); /* E clear */
	struct mtrr_state s = read_ok(&f);
	assert_false(s.enabled);
	assert_int_equal(mtrr_range_type(&s, 0, 0x1000), MTRR_TYPE_UC); /* fixed ranges too */
	assert_int_equal(mtrr_block_type(&s, 0, GiB_), MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, GiB_, GiB_), MTRR_TYPE_UC);
	/* One type everywhere: no page needs splitting. */
	assert_false(mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 0, GiB_).split);
	char buf[160];
	mtrr_format(buf, sizeof(buf), &s);
	assert_non_null(strstr(buf, "disabled (E=0): all memory UC"));
}

static void test_variable_overlaps(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	fset(&f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_TYPE_UC);   /* default UC */
	var_pair(&f, 0, 0, 4 * GiB_, MTRR_TYPE_WB);                     /* RAM */
	var_pair(&f, 1, 3 * GiB_, 1 * GiB_, MTRR_TYPE_UC);              /* UC over WB: UC */
	var_pair(&f, 2, 1 * GiB_, 256 * MiB, MTRR_TYPE_WT);             /* WT over WB: WT */
	var_pair(&f, 3, 2 * GiB_, 256 * MiB, MTRR_TYPE_WC);             /* WC over WB: undefined */
	var_pair(&f, 4, 1 * GiB_ + 256 * MiB, 256 * MiB, MTRR_TYPE_WB); /* WB twice: WB */
	var_pair(&f, 5, 1 * GiB_ + 256 * MiB, 256 * MiB, MTRR_TYPE_WB);
	struct mtrr_state s = read_ok(&f);
	assert_int_equal(s.nvar, 6);
	assert_int_equal(mtrr_range_type(&s, 0, 4096), MTRR_TYPE_WB); /* fixed off */
	assert_int_equal(mtrr_block_type(&s, 3 * GiB_, GiB_), MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, 1 * GiB_, 256 * MiB), MTRR_TYPE_WT);
	assert_int_equal(mtrr_block_type(&s, 1 * GiB_ + 256 * MiB, 256 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 2 * GiB_, 2 * MiB), MTRR_TYPE_UC); /* WC+WB */
	assert_int_equal(mtrr_undefined_overlaps(&s), 1);
	/* Outside every range: the default type. */
	assert_int_equal(mtrr_block_type(&s, 4 * GiB_, GiB_), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 5 * GiB_, 4096), MTRR_TYPE_UC);
	/* Identical types overlapping are no undefined overlap. */
	var_pair(&f, 3, 2 * GiB_, 256 * MiB, MTRR_TYPE_WB);
	s = read_ok(&f);
	assert_int_equal(mtrr_undefined_overlaps(&s), 0);
	assert_int_equal(mtrr_block_type(&s, 2 * GiB_, 2 * MiB), MTRR_TYPE_WB);
}

static void test_straddling(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	var_pair(&f, 1, 0xfec00000, 4096, MTRR_TYPE_WT); /* one 4 KiB page inside the UC range */
	var_pair(&f, 2, 0x3fe00000 + 0x100000, 1 * MiB, MTRR_TYPE_UC); /* half a 2 MiB page */
	struct mtrr_state s = read_ok(&f);
	/* [1 GiB - 2 MiB, 1 GiB): WB, then UC from 1 GiB - 1 MiB. */
	assert_int_equal(mtrr_block_type(&s, 0, GiB_), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_block_type(&s, 0x3fe00000, 2 * MiB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_block_type(&s, 0x3fc00000, 2 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_range_type(&s, 0x3fe00000, 1 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_range_type(&s, 0x3ff00000, 1 * MiB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 0x3fff0000, 0x20000), MTRR_TYPE_MIXED);
	/* 2 GiB..4 GiB is UC but for the WT page, where UC wins the overlap. */
	assert_int_equal(mtrr_block_type(&s, 3 * GiB_, GiB_), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 0xfec00000, 4096), MTRR_TYPE_UC);
	/* A WT page inside a WB GiB: that GiB straddles, its 4 KiB page is WT. */
	var_pair(&f, 4, 5 * GiB_ + 0x1000, 4096, MTRR_TYPE_WT);
	s = read_ok(&f);
	assert_int_equal(mtrr_block_type(&s, 5 * GiB_, GiB_), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_block_type(&s, 5 * GiB_, 2 * MiB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_block_type(&s, 5 * GiB_ + 0x1000, 4096), MTRR_TYPE_WT);
	assert_int_equal(mtrr_block_type(&s, 5 * GiB_ + 0x2000, 4096), MTRR_TYPE_WB);
	/* Unaligned ranges, decomposed into aligned blocks. */
	assert_int_equal(mtrr_range_type(&s, 0x7ffff000, 0x2000), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_range_type(&s, 0x80001234, 0x10), MTRR_TYPE_UC);
	assert_int_equal(mtrr_range_type(&s, 0x100000, 0x3fd00000), MTRR_TYPE_WB);
	/* A mask that is not contiguous (legal, discouraged): bits 35:23 and 21,
	 * bit 22 clear, so of every 8 MiB from 1 GiB the 2 MiB pages 0 and 2
	 * match. At 2 MiB each page is exact; a 4 MiB block holds a matching
	 * and a non-matching page, so it straddles. */
	fset(&f, IA32_MTRR_PHYSBASE0 + 6, 0x40000000 | MTRR_TYPE_UC);
	fset(&f, IA32_MTRR_PHYSMASK0 + 6,
	     (PHYS36 & ~BIT(22) & ~(u64)(2 * MiB - 1)) | MTRR_PHYSMASK_VALID);
	s = read_ok(&f);
	assert_int_equal(mtrr_block_type(&s, 0x40000000, 2 * MiB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, 0x40200000, 2 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 0x40400000, 2 * MiB), MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, 0x40600000, 2 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 0x40800000, 2 * MiB), MTRR_TYPE_WB);
	assert_int_equal(mtrr_block_type(&s, 0x40000000, 4 * MiB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_block_type(&s, 0x40000000, 8 * MiB), MTRR_TYPE_MIXED);
	assert_int_equal(mtrr_range_type(&s, 0x40400000 + 0x1000, 0x1000), MTRR_TYPE_UC);
	char buf[512];
	mtrr_format(buf, sizeof(buf), &s);
	assert_non_null(strstr(buf, ", UC base 0x40000000 mask 0xfffa00000"));
}

static void test_reserved_types(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	fset(&f, IA32_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | 2); /* reserved default type */
	fset(&f, IA32_MTRR_PHYSBASE0, 2 * GiB_ | 7);       /* reserved variable type */
	struct mtrr_state s = read_ok(&f);
	assert_int_equal(s.reserved, 2);
	assert_int_equal(s.def_type, MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, 0, GiB_), MTRR_TYPE_UC);
	assert_int_equal(mtrr_block_type(&s, 2 * GiB_, GiB_), MTRR_TYPE_UC);
}

static void test_pte_bits(void **state)
{
	(void)state;
	/* Power-on PAT: 0 WB, 1 WT, 2 UC-, 3 UC. */
	const u64 p = PAT_POWER_ON_VALUE;
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_UC), PTE_PCD | PTE_PWT);
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_MIXED), PTE_PCD | PTE_PWT);
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_WT), PTE_PWT);
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_WB), 0);
	/* PAT WB leaves an MTRR WC or WP in force (Table 12-7). */
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_WC), 0);
	assert_int_equal(mtrr_pte_bits(p, MTRR_TYPE_WP), 0);
	/* PAT as Linux leaves it: no WT among 0-3, so WT pages take PAT WB,
	 * under which the MTRR's WT applies. */
	assert_int_equal(mtrr_pte_bits(LINUX_PAT, MTRR_TYPE_WT), 0);
	assert_int_equal(mtrr_pte_bits(LINUX_PAT, MTRR_TYPE_UC), PTE_PCD | PTE_PWT);
	/* No UC among 0-3 (WB, WB, UC-, WB): UC- (UC under an MTRR UC). */
	assert_int_equal(mtrr_pte_bits(0x0606060606070606ULL, MTRR_TYPE_UC), PTE_PCD);
	/* Nothing usable among 0-3 (all WC): entry 0. */
	assert_int_equal(mtrr_pte_bits(0x0101010101010101ULL, MTRR_TYPE_UC), 0);
}

/* Memory types written from the SDM's rules (Vol. 3A, 12.11.4.1) for a fake
 * MTRR state: spans [start, end) with their type, in order. */
struct span {
	u64 start, end;
	u8 type;
};

/* The SeaBIOS-like state: the fixed ranges below 1 MiB (E and FE set: they
 * take precedence there), WB 0-0x9ffff, UC 0xa0000-0xbffff, WP
 * 0xc0000-0xfffff; above, the one valid variable range makes [2 GiB, 4 GiB)
 * UC and the rest gets the default type, WB. */
static const struct span seabios_types[] = {
    {0, 0xa0000, MTRR_TYPE_WB},
    {0xa0000, 0xc0000, MTRR_TYPE_UC},
    {0xc0000, 1 * MiB, MTRR_TYPE_WP},
    {1 * MiB, 2 * GiB_, MTRR_TYPE_WB},
    {2 * GiB_, 4 * GiB_, MTRR_TYPE_UC},
    {4 * GiB_, 5 * GiB_, MTRR_TYPE_WB},
    {5 * GiB_, 5 * GiB_ + 512 * MiB, MTRR_TYPE_UC}, /* with the second variable range */
    {5 * GiB_ + 512 * MiB, 6 * GiB_, MTRR_TYPE_WB},
};

/* The one type of [a, a + size) by the spans; fails if the block holds two:
 * a leaf must never straddle types. */
static u8 want_type(const struct span *w, unsigned n, u64 a, u64 size)
{
	int t = -1;
	for (unsigned i = 0; i < n; i++) {
		if (w[i].end <= a || w[i].start >= a + size)
			continue;
		if (t >= 0 && t != w[i].type)
			fail_msg("a leaf at 0x%llx of 0x%llx bytes straddles types",
			         (unsigned long long)a, (unsigned long long)size);
		t = w[i].type;
	}
	assert_true(t >= 0);
	return (u8)t;
}

/* The direct map's page plan, counted the way arch/x86/dmap_build.c walks
 * it (1 GiB, else 2 MiB, else 4 KiB). */
struct plan {
	unsigned l1g, l2m, l4k, uc4k;
};

static void plan_block(const struct mtrr_state *s, const struct span *w, unsigned nw, u64 a,
                       u64 size, struct plan *p)
{
	struct mtrr_leaf l = mtrr_leaf_for(s, PAT_POWER_ON_VALUE, a, size);
	if (l.split) {
		assert_true(size > PAGE_SIZE_4K);
		u64 sub = size == GiB_ ? 2 * MiB : PAGE_SIZE_4K;
		for (u64 x = a; x < a + size; x += sub)
			plan_block(s, w, nw, x, sub, p);
		return;
	}
	assert_int_equal(l.type, want_type(w, nw, a, size));
	if (size == GiB_)
		p->l1g++;
	else if (size == 2 * MiB)
		p->l2m++;
	else
		p->l4k++;
	if (size == PAGE_SIZE_4K && l.pte_bits == (PTE_PCD | PTE_PWT))
		p->uc4k++;
}

#define SEABIOS_SPANS (sizeof(seabios_types) / sizeof(seabios_types[0]))

static void test_dmap_split(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	struct mtrr_state s = read_ok(&f);
	struct plan p = {0};
	for (u64 g = 0; g < 4; g++)
		plan_block(&s, seabios_types, SEABIOS_SPANS, g * GiB_, GiB_, &p);
	/* GiB 0 splits (the first MiB), then its first 2 MiB into 4 KiB pages;
	 * GiBs 1-3 are uniform (WB, UC, UC). 0xa0000-0xbffff is 32 UC pages. */
	assert_int_equal(p.l1g, 3);
	assert_int_equal(p.l2m, 511);
	assert_int_equal(p.l4k, 512);
	assert_int_equal(p.uc4k, 32);
	/* The decision at each size. */
	assert_true(mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 0, GiB_).split);
	assert_true(mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 0, 2 * MiB).split);
	struct mtrr_leaf l = mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 0xa0000, PAGE_SIZE_4K);
	assert_false(l.split);
	assert_int_equal(l.pte_bits, PTE_PCD | PTE_PWT);
	l = mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 2 * GiB_, GiB_);
	assert_false(l.split);
	assert_int_equal(l.type, MTRR_TYPE_UC);
	assert_int_equal(l.pte_bits, PTE_PCD | PTE_PWT);
	l = mtrr_leaf_for(&s, PAT_POWER_ON_VALUE, 2 * MiB, 2 * MiB);
	assert_false(l.split);
	assert_int_equal(l.pte_bits, 0);
	/* A UC range ending mid-GiB: that GiB splits into 2 MiB pages only. */
	var_pair(&f, 1, 5 * GiB_, 512 * MiB, MTRR_TYPE_UC);
	s = read_ok(&f);
	memset(&p, 0, sizeof(p));
	plan_block(&s, seabios_types, SEABIOS_SPANS, 5 * GiB_, GiB_, &p);
	assert_int_equal(p.l1g, 0);
	assert_int_equal(p.l2m, 512);
	assert_int_equal(p.l4k, 0);
}

/* ---- dmap_build over a fake MTRR state ---- */

#define T_PDS 8
#define T_PTS 16
/* Page-aligned, as the entries keep only address bits 12 and up. */
#define PAGE_ALIGNED __attribute__((aligned(4096)))
static u64 t_pml4[PT_ENTRIES] PAGE_ALIGNED, t_pdpt[PT_ENTRIES] PAGE_ALIGNED;
static u64 t_pd[T_PDS][PT_ENTRIES] PAGE_ALIGNED, t_pt[T_PTS][PT_ENTRIES] PAGE_ALIGNED;

static struct dmap_info build(const struct mtrr_state *s, unsigned npt, u64 gigs, bool huge)
{
	const struct dmap_tables t = {
	    .pml4 = t_pml4, .pdpt = t_pdpt, .pd = t_pd, .npd = T_PDS, .pt = t_pt, .npt = npt};
	struct dmap_info info;
	memset(&info, 0, sizeof(info));
	dmap_build(&t, s, PAT_POWER_ON_VALUE, gigs, huge, &info);
	return info;
}

static u64 *table_of(u64 e)
{
	assert_true(e & PTE_P);
	assert_false(e & PTE_PS);
	return (u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
}

/* PCD/PWT under the power-on PAT (0 WB, 1 WT, 2 UC-, 3 UC; Table 12-7): UC
 * is entry 3, WB, WP and WC entry 0. */
#define UC_BITS (PTE_PCD | PTE_PWT)

static void test_dmap_build(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	struct mtrr_state s = read_ok(&f);

	/* SeaBIOS's layout, 4 GiB with 1 GiB pages: GiB 0 in 2 MiB pages, its
	 * first 2 MiB in 4 KiB pages; GiB 1 WB, GiBs 2-3 UC. */
	struct dmap_info d = build(&s, T_PTS, 4, true);
	assert_int_equal(d.top, 4 * GiB_);
	assert_int_equal(d.page_size, PAGE_SIZE_1G);
	assert_int_equal(d.leaves_1g, 3);
	assert_int_equal(d.leaves_2m, 511);
	assert_int_equal(d.leaves_4k, 512);
	assert_int_equal(d.split_1g, 1);
	assert_int_equal(d.split_2m, 1);
	assert_int_equal(d.uc_fallback, 0);
	assert_int_equal(d.tables, 4); /* PML4, PDPT, one PD, one PT */
	assert_int_equal(d.uc_bytes, 32 * PAGE_SIZE_4K + 2 * GiB_);
	assert_ptr_equal(table_of(t_pml4[0]), t_pdpt);
	u64 *pd = table_of(t_pdpt[0]), *pt = table_of(pd[0]);
	for (u64 j = 0; j < PT_ENTRIES; j++) {
		u64 a = j * PAGE_SIZE_4K;
		u8 want = want_type(seabios_types, SEABIOS_SPANS, a, PAGE_SIZE_4K);
		assert_int_equal(pt[j] & PTE_ADDR_MASK, a);
		assert_int_equal(pt[j] & (PTE_PCD | PTE_PWT | PTE_PS),
		                 want == MTRR_TYPE_UC ? UC_BITS : 0);
	}
	assert_int_equal(pd[1], 2 * MiB | PTE_P | PTE_RW | PTE_PS);
	assert_int_equal(t_pdpt[1], GiB_ | PTE_P | PTE_RW | PTE_PS);
	assert_int_equal(t_pdpt[2], 2 * GiB_ | PTE_P | PTE_RW | PTE_PS | UC_BITS);
	assert_int_equal(t_pdpt[4], 0);

	/* Without 1 GiB pages: 2 MiB leaves everywhere but the first. */
	d = build(&s, T_PTS, 4, false);
	assert_int_equal(d.page_size, PAGE_SIZE_2M);
	assert_int_equal(d.leaves_1g, 0);
	assert_int_equal(d.leaves_2m, 4 * 512 - 1);
	assert_int_equal(d.split_1g, 0);
	assert_int_equal(d.tables, 2 + 4 + 1);
	assert_int_equal(d.uc_bytes, 32 * PAGE_SIZE_4K + 2 * GiB_);

	/* Seven more UC ranges of 4 KiB, one in each of the 2 MiB pages
	 * 1 GiB + k * 2 MiB (k = 0..6): with the first 2 MiB, 8 pages straddle
	 * types. A pool of 3 tables splits the first 3 met (GiB 0's, then k = 0
	 * and 1); k = 2..6 stay whole and UC (12.11.9). */
	for (unsigned k = 0; k < 7; k++)
		var_pair(&f, 1 + k, GiB_ + k * 2 * MiB + PAGE_SIZE_4K, PAGE_SIZE_4K, MTRR_TYPE_UC);
	s = read_ok(&f);
	d = build(&s, 3, 4, true);
	assert_int_equal(d.split_1g, 2);
	assert_int_equal(d.split_2m, 3);
	assert_int_equal(d.uc_fallback, 5);
	assert_int_equal(d.leaves_1g, 2);
	assert_int_equal(d.leaves_2m, 511 + 512 - 2);
	assert_int_equal(d.leaves_4k, 3 * 512);
	assert_int_equal(d.tables, 2 + 2 + 3);
	/* UC: GiB 0's 32 pages, one 4 KiB page in each split, the five
	 * fallbacks whole, GiBs 2-3. */
	assert_int_equal(d.uc_bytes, 32 * PAGE_SIZE_4K + 2 * PAGE_SIZE_4K + 5 * 2 * MiB + 2 * GiB_);
	pd = table_of(t_pdpt[1]);
	pt = table_of(pd[1]); /* k = 1: split */
	assert_int_equal(pt[0] & (PTE_PCD | PTE_PWT), 0);
	assert_int_equal(pt[1] & (PTE_PCD | PTE_PWT), UC_BITS);
	assert_int_equal(pt[2] & (PTE_PCD | PTE_PWT), 0);
	for (u64 k = 2; k < 7; k++) /* fallbacks: one UC 2 MiB leaf */
		assert_int_equal(pd[k], (GiB_ + k * 2 * MiB) | PTE_P | PTE_RW | PTE_PS | UC_BITS);
	assert_int_equal(pd[7], (GiB_ + 7 * 2 * MiB) | PTE_P | PTE_RW | PTE_PS);
	/* With the whole pool, no fallback. */
	d = build(&s, T_PTS, 4, true);
	assert_int_equal(d.split_2m, 8);
	assert_int_equal(d.uc_fallback, 0);
	assert_int_equal(d.uc_bytes, 32 * PAGE_SIZE_4K + 7 * PAGE_SIZE_4K + 2 * GiB_);
}

/* MTRRCAP.VCNT may say up to 255, but only the ten architectural pairs
 * (200H-213H, SDM Vol. 4 Table 2-2) are read: 200H + 2n would reach the
 * fixed-range MSRs at n = 40 (250H, whose value here would read as a valid
 * WB range over all memory). */
static void test_vcnt_capped(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	fset(&f, IA32_MTRRCAP, 255 | MTRRCAP_FIX | MTRRCAP_WC);
	for (unsigned n = 8; n < 10; n++) {
		fset(&f, IA32_MTRR_PHYSBASE0 + 2 * n, 0);
		fset(&f, IA32_MTRR_PHYSMASK0 + 2 * n, 0);
	}
	var_pair(&f, 9, 4 * GiB_, GiB_, MTRR_TYPE_UC); /* the last pair is read */
	f.reads = 0;
	struct mtrr_state s = read_ok(&f);
	assert_int_equal(s.vcnt, 255);
	assert_int_equal(s.unread, 245);
	assert_int_equal(f.reads, 2 + MTRR_FIXED_MSRS + 2 * 10);
	assert_int_equal(s.nvar, 2);
	assert_int_equal(s.var[1].base, 4 * GiB_);
	assert_int_equal(mtrr_range_type(&s, 4 * GiB_, GiB_), MTRR_TYPE_UC);
	char buf[256];
	mtrr_format(buf, sizeof(buf), &s);
	assert_non_null(strstr(buf, "default WB, 255 variable (2 valid), fixed on"));
	assert_non_null(strstr(buf, ", 245 pairs beyond the 10 architectural ones not read"));
	/* At ten or fewer nothing is left out. */
	fset(&f, IA32_MTRRCAP, 10 | MTRRCAP_FIX);
	s = read_ok(&f);
	assert_int_equal(s.unread, 0);
	assert_int_equal(s.nvar, 2);
}

static void test_format(void **state)
{
	(void)state;
	struct fake f;
	seabios_like(&f);
	struct mtrr_state s = read_ok(&f);
	char buf[256];
	mtrr_format(buf, sizeof(buf), &s);
	assert_string_equal(buf,
	                    "default WB, 8 variable (1 valid), fixed on, fixed: WB 0x0-0x9ffff "
	                    "UC 0xa0000-0xbffff WP 0xc0000-0xfffff, UC 0x80000000-0xffffffff");
	struct mtrr_state none = {0};
	mtrr_format(buf, sizeof(buf), &none);
	assert_string_equal(buf, "none (CPUID.1:EDX.MTRR clear): every page WB");
	/* Truncation reports the full length. */
	char small[8];
	assert_true(mtrr_format(small, sizeof(small), &s) > (int)sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_read_fault_and_absent),
	    cmocka_unit_test(test_fixed_ranges),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_variable_overlaps),
	    cmocka_unit_test(test_straddling),
	    cmocka_unit_test(test_reserved_types),
	    cmocka_unit_test(test_pte_bits),
	    cmocka_unit_test(test_dmap_split),
	    cmocka_unit_test(test_dmap_build),
	    cmocka_unit_test(test_vcnt_capped),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests_name("mtrr", tests, NULL, NULL);
}
