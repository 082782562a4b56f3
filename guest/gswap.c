/* Guest swapping: see gswap.h. */
#include "guest/gswap.h"

#include "guest/exc.h"
#include "guest/paging.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/hvcall.h"
#include "lib/mem.h"
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"

#define PAGE          PAGE_SIZE_4K
#define WORDS         (PAGE / sizeof(u64))
#define SWAP_PATTERN  0x5a5a0000c0ffee00ULL
#define FRAME_POISON  0xdeadbeefdeadbeefULL
#define WRITE_PATTERN 0x77717e0000000000ULL
/* Page-fault error code (SDM Vol. 3A, 4.7): P clear for a not-present page, W/R set on a write. */
#define PFEC_P  BIT(0)
#define PFEC_WR BIT(1)

static const char refused_why[] = "inside the guest segment: not paged by the guest's page tables";

struct slot {
	u64 va, gpa; /* the page, and the frame behind it when it went out */
	bool out;
};

struct gswap {
	struct slot slot[GSWAP_MAX_PAGES];
	unsigned n;
	u64 pages_out, pages_in, faults, refused;
	u64 bad_fault; /* faults the handler had no page for */
};

static u8 store[GSWAP_MAX_PAGES][PAGE] __attribute__((aligned(PAGE_SIZE_4K)));
static struct gswap gs;

static u64 pattern(u32 mode, u64 va, unsigned i)
{
	return SWAP_PATTERN ^ ((u64)mode << 56) ^ va ^ i;
}

/* The 4 KiB PTE that maps va in the current tables (CR3), or NULL when va is not mapped by one
 * (absent, or inside a 2 MiB or 1 GiB page). */
static u64 *pte_of(u64 va)
{
	u64 *t = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	for (int level = 4; level > 1; level--) {
		const u64 e = t[pt_index(va, level)];
		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = (u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return &t[pt_index(va, 1)];
}

/* Whether va is mapped by a present leaf of any size. */
static bool mapped(u64 va)
{
	const u64 *t = (const u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	for (int level = 4; level >= 1; level--) {
		const u64 e = t[pt_index(va, level)];
		if (!(e & PTE_P))
			return false;
		if (level == 1 || (e & PTE_PS))
			return true;
		t = (const u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
	}
	return false;
}

static u64 page_wrong(u32 mode, u64 va)
{
	u64 bad = 0;
	for (unsigned i = 0; i < WORDS; i++)
		bad += ((volatile u64 *)(uintptr_t)va)[i] != pattern(mode, va, i);
	return bad;
}

/* The #PF handler: a not-present fault on a page that is out comes back from its slot. */
static bool gswap_fault(u64 cr2, u64 error)
{
	const u64 va = align_down(cr2, PAGE);
	for (unsigned k = 0; k < gs.n; k++) {
		struct slot *s = &gs.slot[k];
		if (s->va != va || !s->out)
			continue;
		u64 *pte = pte_of(va);
		if ((error & PFEC_P) || !pte) {
			gs.bad_fault++;
			return false;
		}
		memcpy((void *)(uintptr_t)s->gpa, store[k], PAGE);
		*pte = s->gpa | PTE_P | PTE_RW;
		invlpg(va);
		s->out = false;
		gs.faults++;
		gs.pages_in++;
		return true;
	}
	gs.bad_fault++;
	return false;
}

/* Pages slot k out; false (and the page untouched) when it cannot be. */
static bool page_out(struct report *rep, u32 mode, unsigned k, bool in_gseg)
{
	struct slot *s = &gs.slot[k];
	char name[48];
	fmt_snprintf(name, sizeof(name), "gswap-%s-out-%u", hv_mode_name(mode), k);
	if (in_gseg) {
		gs.refused++;
		return false;
	}
	u64 *pte = pte_of(s->va);
	if (!pte || !(*pte & PTE_P) || (*pte & PTE_ADDR_MASK) != s->gpa) {
		report_fail(rep, name,
		            "gVA 0x%llx has no present 4 KiB PTE onto gPA 0x%llx (PTE 0x%llx)",
		            s->va, s->gpa, pte ? *pte : 0);
		return false;
	}
	memcpy(store[k], (const void *)(uintptr_t)s->va, PAGE);
	*pte &= ~PTE_P;
	invlpg(s->va);
	volatile u64 *frame = (volatile u64 *)(uintptr_t)s->gpa;
	for (unsigned i = 0; i < WORDS; i++)
		frame[i] = FRAME_POISON;
	s->out = true;
	gs.pages_out++;
	/* The store holds the page; the frame holds none of it; the PTE is not present. */
	u64 bad = 0;
	for (unsigned i = 0; i < WORDS; i++)
		bad += ((const u64 *)store[k])[i] != pattern(mode, s->va, i) ||
		       frame[i] != FRAME_POISON;
	return report_check(rep, bad == 0 && !(*pte & PTE_P), name,
	                    "%llu words wrong in the store or the frame at gPA 0x%llx, PTE 0x%llx",
	                    bad, s->gpa, *pte);
}

void gswap_run(struct report *rep, u32 mode, u64 region_gpa, u64 bytes, u64 pages)
{
	const bool in_gseg = mode == MODE_GUEST_DIRECT || mode == MODE_DUAL_DIRECT;
	char name[48];
	memset(&gs, 0, sizeof(gs));
	if (pages > GSWAP_MAX_PAGES || pages * PAGE > bytes) {
		report_fail(rep, "gswap", "gswap=%llu pages: at most %u and within the region",
		            pages, GSWAP_MAX_PAGES);
		return;
	}
	if (!in_gseg && !pte_of(REGION_VA)) {
		fmt_snprintf(name, sizeof(name), "gswap-%s", hv_mode_name(mode));
		report_skip(rep, name,
		            "the region is mapped with pages larger than 4 KiB (gpage=): "
		            "guest swapping moves 4 KiB pages");
		return;
	}
	/* Pages spread over the region, each with its own pattern. */
	const u64 stride = align_down(bytes / pages, PAGE);
	gs.n = (unsigned)pages;
	for (unsigned k = 0; k < gs.n; k++) {
		gs.slot[k].va = REGION_VA + k * stride;
		gs.slot[k].gpa = region_gpa + k * stride; /* the region is one linear offset */
		for (unsigned i = 0; i < WORDS; i++)
			((volatile u64 *)(uintptr_t)gs.slot[k].va)[i] =
			    pattern(mode, gs.slot[k].va, i);
	}
	guest_exc_set_pf_handler(gswap_fault);
	u64 wrong = 0;
	for (unsigned k = 0; k < gs.n; k++)
		page_out(rep, mode, k, in_gseg);
	/* Back by reads: each faults once where the page went out; all of it is the pattern. */
	for (unsigned k = 0; k < gs.n; k++) {
		const u64 faults = gs.faults;
		wrong += page_wrong(mode, gs.slot[k].va);
		fmt_snprintf(name, sizeof(name), "gswap-%s-in-%u", hv_mode_name(mode), k);
		const u64 want = in_gseg ? 0 : 1;
		report_check(rep, gs.faults - faults == want && !gs.slot[k].out, name,
		             "%llu faults (want %llu) reading gVA 0x%llx, page %s",
		             gs.faults - faults, want, gs.slot[k].va,
		             gs.slot[k].out ? "still out" : "in");
	}
	/* Once more out, and back by a write: the write lands on the page brought back. */
	u64 wrote = 0;
	if (!in_gseg && gs.n && page_out(rep, mode, 0, false)) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)gs.slot[0].va;
		p[1] = WRITE_PATTERN;
		wrote = p[1] == WRITE_PATTERN && p[0] == pattern(mode, gs.slot[0].va, 0) &&
		        *(volatile u64 *)(uintptr_t)(gs.slot[0].gpa + sizeof(u64)) == WRITE_PATTERN;
		fmt_snprintf(name, sizeof(name), "gswap-%s-write", hv_mode_name(mode));
		report_check(rep, wrote, name,
		             "the write to gVA 0x%llx after its fault-in is not in its frame",
		             gs.slot[0].va);
	}
	if (in_gseg) {
		/* The refused pages were never touched: still mapped (by the segment's large
		 * pages), still the pattern (checked by the reads above). */
		for (unsigned k = 0; k < gs.n; k++)
			wrong += !mapped(gs.slot[k].va);
		con_printf("gswap: %s: %llu page-outs refused: %s\n", hv_mode_name(mode),
		           gs.refused, refused_why);
	}
	guest_exc_set_pf_handler(NULL);
	const u64 want_out = in_gseg ? 0 : pages + 1, want_refused = in_gseg ? pages : 0;
	fmt_snprintf(name, sizeof(name), "gswap-%s", hv_mode_name(mode));
	report_check(rep,
	             wrong == 0 && gs.bad_fault == 0 && gs.pages_out == want_out &&
	                 gs.pages_in == want_out && gs.faults == want_out &&
	                 gs.refused == want_refused,
	             name,
	             "%llu words wrong, %llu stray faults; %llu pages out, %llu in, %llu faults "
	             "(want %llu each), %llu refused (want %llu)",
	             wrong, gs.bad_fault, gs.pages_out, gs.pages_in, gs.faults, want_out,
	             gs.refused, want_refused);
	con_printf(
	    "RESULT kind=gswap source=guest mode=%s pages_out=%llu pages_in=%llu faults=%llu "
	    "refused=%llu refused_why=%s store_bytes=%llu\n",
	    hv_mode_name(mode), gs.pages_out, gs.pages_in, gs.faults, gs.refused,
	    in_gseg ? "guest-segment" : "none", gs.pages_out * PAGE);
}
