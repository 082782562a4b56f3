/* Page sharing and VMM swapping, driven and checked from the guest (guest/share.h). The region
 * is SHARE_PAGES identity-mapped 4 KiB pages at the first free 2 MiB; in every mode asked for
 * (modes=all: base and vmm-direct; guest-direct and dual-direct one at a time, with a guest
 * segment declared over the region) the guest fills it, lets the hypervisor merge or evict pages,
 * touches them (copy-on-write faults, fault-ins) and checks every word and the hypervisor's hash
 * (HC_VMM_HASH, lib/hash.h hash_words) after each step, then after HC_VMM_END has undone it all.
 *
 * Share contents: page i of class i % 4 holds zeros (0), pattern A (1), pattern B (2) or words of
 * its own (3), so a scan merges 3 * (SHARE_PAGES / 4 - 1) pages and frees as many frames; the
 * first SHARE_WRITES pages are then written once each, SHARE_WRITES * 3 / 4 of them shared. */
#include "guest/share.h"

#include "guest/hypercall.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/hash.h"
#include "lib/mem.h"
#include "lib/modes.h"

#define SHARE_PAGES  256
#define SHARE_WRITES 16
#define PAGE_WORDS   (PAGE_SIZE_4K / sizeof(u64))
#define REGION_BYTES ((u64)SHARE_PAGES * PAGE_SIZE_4K)
/* Swap: pages evicted, in three batches. */
#define SWAP_READ_BACK  64 /* then read: fault-ins on reads */
#define SWAP_WRITE_BACK 32 /* then written: fault-ins on writes */
#define SWAP_LEFT_OUT   16 /* still out at HC_VMM_END: brought back by the hypervisor */
#define WRITE_MARK      0x5757575757575757ULL

struct region {
	volatile u64 *w; /* identity-mapped: gVA = gPA */
	u64 gpa;
	u32 kind;
	u64 seed;
	u8 written[SHARE_PAGES]; /* pages whose word (page % PAGE_WORDS) has WRITE_MARK xored in */
};

static u64 word_of(const struct region *r, u64 page, u64 j)
{
	u64 v;
	if (r->kind == VMMFEAT_SWAP) {
		v = r->seed ^ (page << 32) ^ (j * 0x9e3779b97f4a7c15ULL);
	} else {
		switch (page % 4) {
		case 0:
			v = 0;
			break;
		case 1:
			v = 0xa5a5a5a500000000ULL | j;
			break;
		case 2:
			v = 0x5a5a5a5a00000000ULL | (j * 3);
			break;
		default:
			v = r->seed ^ (page << 32) ^ j;
			break;
		}
	}
	if (r->written[page] && j == page % PAGE_WORDS)
		v ^= WRITE_MARK;
	return v;
}

static void fill(struct region *r)
{
	memset(r->written, 0, sizeof(r->written));
	for (u64 p = 0; p < SHARE_PAGES; p++)
		for (u64 j = 0; j < PAGE_WORDS; j++)
			r->w[p * PAGE_WORDS + j] = word_of(r, p, j);
}

static void write_page(struct region *r, u64 p)
{
	r->written[p] = 1;
	r->w[p * PAGE_WORDS + p % PAGE_WORDS] ^= WRITE_MARK;
}

/* Every word as expected, then the guest's hash equal to the hypervisor's. */
static bool check(struct report *rep, struct region *r, const char *mode, const char *step)
{
	char name[96];
	u64 bad = 0, first = ~0ULL;
	for (u64 i = 0; i < SHARE_PAGES * PAGE_WORDS; i++) {
		if (r->w[i] != word_of(r, i / PAGE_WORDS, i % PAGE_WORDS)) {
			if (!bad++)
				first = i;
		}
	}
	fmt_snprintf(name, sizeof(name), "vmmfeat-%s-%s-data", mode, step);
	bool ok = report_check(rep, bad == 0, name, "%llu words wrong, first at gPA 0x%llx", bad,
	                       r->gpa + first * 8);
	const u64 mine = hash_words(HASH_WORDS_INIT, (const u64 *)r->w, SHARE_PAGES * PAGE_WORDS);
	u64 theirs = 0;
	s64 st = hvcall(HC_VMM_HASH, r->gpa, REGION_BYTES, 0, &theirs);
	fmt_snprintf(name, sizeof(name), "vmmfeat-%s-%s-hash", mode, step);
	return report_check(rep, st == HC_OK && mine == theirs, name,
	                    "status %lld, guest 0x%llx, hypervisor 0x%llx", (long long)st, mine,
	                    theirs) &&
	       ok;
}

/* The hypervisor's hash alone, before the guest touches anything (evicted pages stay out). */
static void check_hash_only(struct report *rep, struct region *r, u64 want, const char *mode,
                            const char *step)
{
	char name[96];
	u64 theirs = 0;
	s64 st = hvcall(HC_VMM_HASH, r->gpa, REGION_BYTES, 0, &theirs);
	fmt_snprintf(name, sizeof(name), "vmmfeat-%s-%s-hash", mode, step);
	report_check(rep, st == HC_OK && theirs == want, name,
	             "status %lld, hypervisor 0x%llx, expected 0x%llx", (long long)st, theirs,
	             want);
}

static void expect_status(struct report *rep, s64 st, u64 got, u64 want, const char *mode,
                          const char *what)
{
	char name[96];
	fmt_snprintf(name, sizeof(name), "vmmfeat-%s-%s", mode, what);
	report_check(rep, st == HC_OK && got == want, name,
	             "status %lld, %llu pages, expected %llu", (long long)st, got, want);
}

/* The hypervisor's counts (HC_MEM_STATS) against what this run must have caused. */
static void expect_stats(struct report *rep, const char *mode, const char *step, u64 shared,
                         u64 cow, u64 out, u64 faults)
{
	static struct hv_mem_stats s;
	char name[96];
	s64 st = hvcall(HC_MEM_STATS, (u64)(uintptr_t)&s, sizeof(s), 0, NULL);
	fmt_snprintf(name, sizeof(name), "vmmfeat-%s-%s-stats", mode, step);
	report_check(rep,
	             st == HC_OK && s.shared == shared && s.cow_breaks == cow &&
	                 s.swapped_out == out && s.swap_faults == faults,
	             name,
	             "status %lld: shared %llu (expected %llu), copy-on-write faults %llu (%llu), "
	             "swapped out %llu (%llu), faulted in %llu (%llu)",
	             (long long)st, s.shared, shared, s.cow_breaks, cow, s.swapped_out, out,
	             s.swap_faults, faults);
}

static void run_share(struct report *rep, struct region *r, const char *mode)
{
	u64 merged = 0;
	fill(r);
	check(rep, r, mode, "filled");
	s64 st = hvcall(HC_SHARE_SCAN, r->gpa, REGION_BYTES, 0, &merged);
	expect_status(rep, st, merged, 3 * (SHARE_PAGES / 4 - 1), mode, "share-scan");
	check(rep, r, mode, "shared");
	/* Three classes of SHARE_PAGES / 4 identical pages share. */
	expect_stats(rep, mode, "shared", 3 * (SHARE_PAGES / 4), 0, 0, 0);
	for (u64 p = 0; p < SHARE_WRITES; p++)
		write_page(r, p);
	check(rep, r, mode, "cow");
	/* One fault for each shared page written; the unique ones take none. */
	expect_stats(rep, mode, "cow", 3 * (SHARE_PAGES / 4) - SHARE_WRITES * 3 / 4,
	             SHARE_WRITES * 3 / 4, 0, 0);
	st = hvcall(HC_VMM_END, HC_VMM_SHARE, r->gpa, REGION_BYTES, NULL);
	expect_status(rep, st, 0, 0, mode, "share-end");
	check(rep, r, mode, "unshared");
}

static void run_swap(struct report *rep, struct region *r, const char *mode)
{
	u64 n = 0;
	fill(r);
	check(rep, r, mode, "filled");
	const u64 h = hash_words(HASH_WORDS_INIT, (const u64 *)r->w, SHARE_PAGES * PAGE_WORDS);
	s64 st = hvcall(HC_SWAP_OUT, r->gpa, SWAP_READ_BACK, 0, &n);
	expect_status(rep, st, n, SWAP_READ_BACK, mode, "swap-out-1");
	check_hash_only(rep, r, h, mode, "out");
	expect_stats(rep, mode, "out", 0, 0, SWAP_READ_BACK, 0);
	check(rep, r, mode, "read-back"); /* reads fault the pages in */
	expect_stats(rep, mode, "read-back", 0, 0, 0, SWAP_READ_BACK);
	const u64 second = r->gpa + SWAP_READ_BACK * PAGE_SIZE_4K;
	st = hvcall(HC_SWAP_OUT, second, SWAP_WRITE_BACK, 0, &n);
	expect_status(rep, st, n, SWAP_WRITE_BACK, mode, "swap-out-2");
	for (u64 p = SWAP_READ_BACK; p < SWAP_READ_BACK + SWAP_WRITE_BACK; p++)
		write_page(r, p); /* writes fault them in */
	check(rep, r, mode, "write-back");
	expect_stats(rep, mode, "write-back", 0, 0, 0, SWAP_READ_BACK + SWAP_WRITE_BACK);
	const u64 third = second + SWAP_WRITE_BACK * PAGE_SIZE_4K;
	st = hvcall(HC_SWAP_OUT, third, SWAP_LEFT_OUT, 0, &n);
	expect_status(rep, st, n, SWAP_LEFT_OUT, mode, "swap-out-3");
	st = hvcall(HC_VMM_END, HC_VMM_SWAP, r->gpa, REGION_BYTES, NULL);
	expect_status(rep, st, 0, 0, mode, "swap-end");
	check(rep, r, mode, "swapped-in");
}

/* In a mode with a guest segment (guest-direct, dual-direct) the guest declares one over the
 * region as its identity map already translates it (gVA = gPA, offset 0), as the workloads do
 * over theirs; the walk model of HC_VMM_END needs it. */
static bool declare_gseg(struct report *rep, const struct region *r, u32 mode, const char *name)
{
	if (!mode_has_guest_seg(mode))
		return true;
	char what[64];
	s64 st = hvcall(HC_SET_GSEG, r->gpa, r->gpa + REGION_BYTES, 0, NULL);
	fmt_snprintf(what, sizeof(what), "vmmfeat-%s-gseg", name);
	return report_check(rep, st == HC_OK, what, "HC_SET_GSEG: status %lld", (long long)st);
}

void vmmfeat_run(struct report *rep, const struct guest_opts *o, u64 free_start, u64 ram_top)
{
	static struct region r;
	static const u32 all[] = {MODE_BASE, MODE_VMM_DIRECT};
	if (!guest_has_hv()) {
		report_skip(rep, "vmmfeat", "no hypervisor");
		return;
	}
	if (free_start + REGION_BYTES > ram_top) {
		report_fail(rep, "vmmfeat", "no room for %u pages above 0x%llx", SHARE_PAGES,
		            free_start);
		return;
	}
	r.w = (volatile u64 *)(uintptr_t)free_start;
	r.gpa = free_start;
	r.kind = o->vmmfeat;
	r.seed = o->seed;
	const unsigned n = o->modes == MODES_ALL ? ARRAY_SIZE(all) : 1;
	for (unsigned i = 0; i < n; i++) {
		const u32 mode = o->modes == MODES_ALL ? all[i] : o->modes;
		const char *name = hv_mode_name(mode);
		s64 st = hvcall(HC_SET_MODE, mode, 0, 0, NULL);
		char what[64];
		fmt_snprintf(what, sizeof(what), "vmmfeat-%s-mode", name);
		if (!report_check(rep, st == HC_OK, what, "HC_SET_MODE: status %lld",
		                  (long long)st))
			continue;
		if (!declare_gseg(rep, &r, mode, name))
			continue;
		con_printf("vmmfeat: %s in %s over %u pages at gPA 0x%llx\n",
		           r.kind == VMMFEAT_SHARE ? "page sharing" : "VMM swapping", name,
		           SHARE_PAGES, r.gpa);
		if (r.kind == VMMFEAT_SHARE)
			run_share(rep, &r, name);
		else
			run_swap(rep, &r, name);
		if (mode_has_guest_seg(mode))
			hvcall(HC_SET_GSEG, 0, 0, 0, NULL);
	}
}
