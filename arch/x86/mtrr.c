#include "arch/x86/mtrr.h"

#include <stdarg.h>

#include "arch/x86/msr.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/paging.h"

/* The fixed ranges in address order (Vol. 3A, Table 12-9): each group of
 * MSRs covers [start, start + msrs * 8 * granule). */
static const struct {
	u32 msr; /* the group's first MSR; the others follow in index order */
	unsigned msrs;
	u64 start, granule;
} fixed_groups[] = {
    {IA32_MTRR_FIX64K_00000, 1, 0x00000, 64 * KiB},
    {IA32_MTRR_FIX16K_80000, 2, 0x80000, 16 * KiB},
    {IA32_MTRR_FIX4K_C0000, 8, 0xc0000, 4 * KiB},
};
_Static_assert(IA32_MTRR_FIX16K_A0000 == IA32_MTRR_FIX16K_80000 + 1 &&
                   IA32_MTRR_FIX4K_F8000 == IA32_MTRR_FIX4K_C0000 + 7,
               "the fixed-range MSRs of a group are consecutive");

#define MTRR_TYPE_BITS 8 /* one type per byte in the fixed-range MSRs */

static const char *const type_names[] = {
    [MTRR_TYPE_UC] = "UC", [MTRR_TYPE_WC] = "WC", [MTRR_TYPE_WT] = "WT",
    [MTRR_TYPE_WP] = "WP", [MTRR_TYPE_WB] = "WB",
};

const char *mtrr_type_name(u8 type)
{
	if (type == MTRR_TYPE_MIXED)
		return "mixed";
	return NAME_IN(type_names, type, "reserved");
}

static bool type_valid(u64 t)
{
	return t < ARRAY_SIZE(type_names) && type_names[t];
}

/* A reserved encoding is taken as UC, the type that can do no harm. */
static u8 normalize(struct mtrr_state *s, u64 t)
{
	if (type_valid(t))
		return (u8)t;
	s->reserved++;
	return MTRR_TYPE_UC;
}

static bool rd(const struct mtrr_ops *ops, u32 msr, u64 *v, u32 *bad)
{
	if (ops->rdmsr(ops->ctx, msr, v))
		return true;
	*bad = msr;
	return false;
}

static enum mtrr_err read_all(const struct mtrr_ops *ops, struct mtrr_state *s, u32 *bad)
{
	u64 cap, def;
	if (!rd(ops, IA32_MTRRCAP, &cap, bad) || !rd(ops, IA32_MTRR_DEF_TYPE, &def, bad))
		return MTRR_ERR_MSR_FAULT;
	s->enabled = def & MTRR_DEF_TYPE_E;
	s->def_type = normalize(s, def & MTRR_DEF_TYPE_TYPE_MASK);
	s->fixed_enabled = (cap & MTRRCAP_FIX) && (def & MTRR_DEF_TYPE_FE);
	s->vcnt = (unsigned)(cap & MTRRCAP_VCNT_MASK);
	if (cap & MTRRCAP_FIX) {
		unsigned k = 0;
		for (unsigned g = 0; g < ARRAY_SIZE(fixed_groups); g++)
			for (unsigned m = 0; m < fixed_groups[g].msrs; m++) {
				u64 v;
				if (!rd(ops, fixed_groups[g].msr + m, &v, bad))
					return MTRR_ERR_MSR_FAULT;
				for (unsigned b = 0; b < MTRR_FIXED_PER_MSR; b++)
					s->fixed[k++] =
					    normalize(s, (v >> (MTRR_TYPE_BITS * b)) &
					                     BITS(MTRR_TYPE_BITS - 1, 0));
			}
	}
	const unsigned pairs = s->vcnt < MTRR_VAR_MAX ? s->vcnt : MTRR_VAR_MAX;
	s->unread = s->vcnt - pairs;
	for (unsigned n = 0; n < pairs; n++) {
		u64 base, mask;
		if (!rd(ops, IA32_MTRR_PHYSBASE0 + 2 * n, &base, bad) ||
		    !rd(ops, IA32_MTRR_PHYSMASK0 + 2 * n, &mask, bad))
			return MTRR_ERR_MSR_FAULT;
		if (!(mask & MTRR_PHYSMASK_VALID))
			continue;
		s->var[s->nvar++] = (struct mtrr_var){
		    .base = base & MTRR_PHYS_ADDR_MASK,
		    .mask = mask & MTRR_PHYS_ADDR_MASK,
		    .type = normalize(s, base & MTRR_PHYSBASE_TYPE_MASK),
		};
	}
	return MTRR_OK;
}

enum mtrr_err mtrr_read(const struct mtrr_ops *ops, bool present, struct mtrr_state *s,
                        u32 *bad_msr)
{
	memset(s, 0, sizeof(*s));
	if (!present)
		return MTRR_OK;
	s->present = true;
	enum mtrr_err e = read_all(ops, s, bad_msr);
	if (e != MTRR_OK)
		memset(s, 0, sizeof(*s));
	return e;
}

static unsigned fixed_index(u64 addr, u64 *granule)
{
	unsigned first = 0;
	for (unsigned g = ARRAY_SIZE(fixed_groups); g-- > 0;) {
		if (addr >= fixed_groups[g].start) {
			for (unsigned h = 0; h < g; h++)
				first += fixed_groups[h].msrs * MTRR_FIXED_PER_MSR;
			*granule = fixed_groups[g].granule;
			return first + (unsigned)((addr - fixed_groups[g].start) / *granule);
		}
	}
	return 0; /* not reached: the first group starts at 0 */
}

/* 12.11.4.1 for two matching variable ranges. */
static u8 overlap_type(u8 a, u8 b)
{
	if (a == b)
		return a;
	if (a == MTRR_TYPE_UC || b == MTRR_TYPE_UC)
		return MTRR_TYPE_UC;
	if ((a == MTRR_TYPE_WT && b == MTRR_TYPE_WB) || (a == MTRR_TYPE_WB && b == MTRR_TYPE_WT))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC; /* undefined in the SDM: the safe choice */
}

static u8 fixed_block_type(const struct mtrr_state *s, u64 addr, u64 size)
{
	u8 t = MTRR_TYPE_MIXED;
	for (u64 a = addr; a < addr + size;) {
		u64 granule;
		u8 ft = s->fixed[fixed_index(a, &granule)];
		if (a != addr && ft != t)
			return MTRR_TYPE_MIXED;
		t = ft;
		a = align_down(a, granule) + granule;
	}
	return t;
}

static u8 var_block_type(const struct mtrr_state *s, u64 addr, u64 size)
{
	const u64 inside = size - 1; /* the address bits that vary within the block */
	bool matched = false, partial = false;
	u8 t = s->def_type;
	for (unsigned i = 0; i < s->nvar; i++) {
		const struct mtrr_var *v = &s->var[i];
		if ((addr ^ v->base) & v->mask & ~inside)
			continue; /* no address of the block matches */
		if (v->mask & inside) {
			partial = true; /* some addresses match, some do not */
			continue;
		}
		t = matched ? overlap_type(t, v->type) : v->type;
		matched = true;
	}
	/* A UC range over the whole block wins every overlap, partial or not. */
	if (partial && !(matched && t == MTRR_TYPE_UC))
		return MTRR_TYPE_MIXED;
	return t;
}

u8 mtrr_block_type(const struct mtrr_state *s, u64 addr, u64 size)
{
	if (!s->present)
		return MTRR_TYPE_WB;
	if (!s->enabled)
		return MTRR_TYPE_UC;
	if (s->fixed_enabled && addr < MTRR_FIXED_LIMIT) {
		if (addr + size <= MTRR_FIXED_LIMIT)
			return fixed_block_type(s, addr, size);
		/* A block from 0 past 1 MiB: its halves, the lower one recursively. */
		const u64 half = size / 2;
		u8 lo = mtrr_block_type(s, addr, half), hi = mtrr_block_type(s, addr + half, half);
		return lo == hi ? lo : MTRR_TYPE_MIXED;
	}
	return var_block_type(s, addr, size);
}

u8 mtrr_range_type(const struct mtrr_state *s, u64 start, u64 len)
{
	u64 a = align_down(start, PAGE_SIZE_4K);
	const u64 end = len ? align_up(start + len, PAGE_SIZE_4K) : a + PAGE_SIZE_4K;
	u8 t = MTRR_TYPE_MIXED;
	bool first = true;
	while (a < end) {
		u64 size = PAGE_SIZE_4K;
		while (size * 2 <= end - a && !(a & (size * 2 - 1)))
			size *= 2;
		u8 bt = mtrr_block_type(s, a, size);
		if (bt == MTRR_TYPE_MIXED || (!first && bt != t))
			return MTRR_TYPE_MIXED;
		t = bt;
		first = false;
		a += size;
	}
	return t;
}

static int pat_find(u64 pat, u64 pat_type)
{
	for (unsigned i = 0; i < PAT_ENTRIES / 2; i++)
		if (((pat >> (i * PAT_ENTRY_BITS)) & BITS(PAT_ENTRY_BITS - 1, 0)) == pat_type)
			return (int)i;
	return -1;
}

u64 mtrr_pte_bits(u64 pat, u8 type)
{
	u64 want = PAT_MT_WB;
	if (type == MTRR_TYPE_WT)
		want = PAT_MT_WT;
	else if (type == MTRR_TYPE_UC || !type_valid(type))
		want = PAT_MT_UC; /* MIXED too */
	const u64 order[] = {want, want == PAT_MT_UC ? PAT_MT_UC_MINUS : PAT_MT_WB, PAT_MT_UC_MINUS,
	                     PAT_MT_UC, PAT_MT_WB};
	for (unsigned k = 0; k < ARRAY_SIZE(order); k++) {
		int i = pat_find(pat, order[k]);
		if (i >= 0)
			return (i & 1 ? PTE_PWT : 0) | (i & 2 ? PTE_PCD : 0);
	}
	return 0;
}

struct mtrr_leaf mtrr_leaf_for(const struct mtrr_state *s, u64 pat, u64 addr, u64 size)
{
	const u8 t = mtrr_block_type(s, addr, size);
	return (struct mtrr_leaf){
	    .split = t == MTRR_TYPE_MIXED && size > PAGE_SIZE_4K,
	    .type = t,
	    .pte_bits = mtrr_pte_bits(pat, t),
	};
}

unsigned mtrr_undefined_overlaps(const struct mtrr_state *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nvar; i++)
		for (unsigned j = i + 1; j < s->nvar; j++) {
			const struct mtrr_var *a = &s->var[i], *b = &s->var[j];
			if ((a->base ^ b->base) & a->mask & b->mask)
				continue; /* disjoint */
			if (a->type != b->type && a->type != MTRR_TYPE_UC &&
			    b->type != MTRR_TYPE_UC &&
			    overlap_type(a->type, b->type) != MTRR_TYPE_WT)
				n++;
		}
	return n;
}

struct out {
	char *buf;
	size_t size;
	int len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	size_t at = (size_t)o->len < o->size ? (size_t)o->len : o->size;
	va_list ap;
	va_start(ap, fmt);
	o->len += fmt_vsnprintf(o->buf + at, o->size - at, fmt, ap);
	va_end(ap);
}

int mtrr_format(char *buf, size_t size, const struct mtrr_state *s)
{
	struct out o = {buf, size, 0};
	if (size)
		buf[0] = 0;
	if (!s->present) {
		put(&o, "none (CPUID.1:EDX.MTRR clear): every page WB");
		return o.len;
	}
	put(&o, "default %s, %u variable (%u valid), fixed %s", mtrr_type_name(s->def_type),
	    s->vcnt, s->nvar, s->fixed_enabled ? "on" : "off");
	if (!s->enabled)
		put(&o, ", disabled (E=0): all memory UC");
	if (s->fixed_enabled) {
		put(&o, ", fixed:");
		u64 run = 0;
		for (u64 a = 0; a < MTRR_FIXED_LIMIT;) {
			u64 granule;
			u8 t = s->fixed[fixed_index(a, &granule)];
			u64 next = a + granule;
			u64 g2;
			if (next == MTRR_FIXED_LIMIT || s->fixed[fixed_index(next, &g2)] != t) {
				put(&o, " %s 0x%llx-0x%llx", mtrr_type_name(t), run, next - 1);
				run = next;
			}
			a = next;
		}
	}
	for (unsigned i = 0; i < s->nvar; i++) {
		const struct mtrr_var *v = &s->var[i];
		const u64 low = v->mask & (~v->mask + 1); /* the range's size if contiguous */
		const u64 ones = v->mask / low;
		if (low && !(ones & (ones + 1)))
			put(&o, ", %s 0x%llx-0x%llx", mtrr_type_name(v->type), v->base,
			    v->base + low - 1);
		else
			put(&o, ", %s base 0x%llx mask 0x%llx", mtrr_type_name(v->type), v->base,
			    v->mask);
	}
	if (s->unread)
		put(&o, ", %u pairs beyond the %u architectural ones not read", s->unread,
		    MTRR_VAR_MAX);
	if (s->reserved)
		put(&o, ", %u reserved types taken as UC", s->reserved);
	unsigned u = mtrr_undefined_overlaps(s);
	if (u)
		put(&o, ", %u overlaps undefined in the SDM taken as UC", u);
	return o.len;
}
