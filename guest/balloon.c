/* The guest's fragmentation and balloon driver: see balloon.h. */
#include "guest/balloon.h"

#include "guest/hypercall.h"
#include "guest/paging.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/multiboot.h"
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"

#define PAGE           PAGE_SIZE_4K
#define PAGES_PER_2M   (PAGE_SIZE_2M / PAGE_SIZE_4K)
#define PIN_PATTERN    0x9195e5a9d0c4b1ffULL
#define HOTADD_PATTERN 0x40aadd0000000000ULL
#define BAD_LOW_BITS   0x800 /* a bit below the page size: an unaligned gPA */

struct frag {
	u64 start, end;
	u64 pinned[BALLOON_MAX_PINNED]; /* gPAs in ascending order */
	unsigned npinned;
};

static u64 list[HC_BALLOON_MAX + 1]; /* one over the bound, for the too-many case */
static struct hv_mem_range range;
static struct hv_mem_stats stats_before, stats_after;

static u64 xorshift64(u64 *s)
{
	u64 x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static u64 pin_word(u64 gpa, unsigned i)
{
	return PIN_PATTERN ^ gpa ^ i;
}

/* Pins n pages, one at a random page of each of n equal slices of [start, end), and fills each
 * with a pattern of its own. */
static void pin_pages(struct frag *f, unsigned n, u64 seed)
{
	const u64 pages = (f->end - f->start) / PAGE, slice = pages / n;
	f->npinned = 0;
	for (unsigned k = 0; k < n; k++) {
		u64 gpa = f->start + (k * slice + xorshift64(&seed) % slice) * PAGE;
		volatile u64 *p = (volatile u64 *)(uintptr_t)gpa;
		for (unsigned i = 0; i < PAGE / sizeof(u64); i++)
			p[i] = pin_word(gpa, i);
		f->pinned[f->npinned++] = gpa;
	}
}

static u64 pinned_damaged(const struct frag *f)
{
	u64 bad = 0;
	for (unsigned k = 0; k < f->npinned; k++) {
		const volatile u64 *p = (const volatile u64 *)(uintptr_t)f->pinned[k];
		for (unsigned i = 0; i < PAGE / sizeof(u64); i++)
			bad += p[i] != pin_word(f->pinned[k], i);
	}
	return bad;
}

static bool is_pinned(const struct frag *f, u64 gpa, u64 bytes)
{
	for (unsigned k = 0; k < f->npinned; k++)
		if (f->pinned[k] >= gpa && f->pinned[k] < gpa + bytes)
			return true;
	return false;
}

/* The longest run of free pages between the pinned ones. */
static u64 largest_free_run(const struct frag *f)
{
	u64 best = 0, at = f->start;
	for (unsigned k = 0; k <= f->npinned; k++) {
		u64 stop = k < f->npinned ? f->pinned[k] : f->end;
		if (stop - at > best)
			best = stop - at;
		at = stop + PAGE;
	}
	return best;
}

static s64 read_stats(struct hv_mem_stats *s)
{
	return hvcall(HC_MEM_STATS, (u64)(uintptr_t)s, sizeof(*s), 0, NULL);
}

/* A list the hypervisor must refuse with `want`, changing nothing. */
static void expect_refused(struct report *rep, const struct frag *f, const char *name, u64 nr,
                           unsigned n, s64 want)
{
	char full[48];
	fmt_snprintf(full, sizeof(full), "balloon-refuse-%s", name);
	read_stats(&stats_before);
	s64 st = hvcall(nr, (u64)(uintptr_t)list, n, 0, NULL);
	read_stats(&stats_after);
	bool same = memcmp(&stats_before, &stats_after, sizeof(stats_before)) == 0;
	u64 bad = pinned_damaged(f);
	report_check(rep, st == want && same && bad == 0, full,
	             "status %lld (want %lld), memory statistics %s, %llu pinned words damaged",
	             (long long)st, (long long)want, same ? "unchanged" : "CHANGED", bad);
}

/* Every free page of the area into lists: 2 MiB entries where a whole aligned 2 MiB is free,
 * 4 KiB entries elsewhere; each full list goes out at once. */
static bool balloon_all(struct report *rep, const struct frag *f, u64 *returned, u64 *calls)
{
	unsigned n = 0;
	u64 gpa = f->start;
	*returned = 0;
	*calls = 0;
	while (gpa < f->end || n) {
		bool flush = n == HC_BALLOON_MAX || gpa >= f->end;
		if (!flush) {
			if (is_aligned(gpa, PAGE_SIZE_2M) && gpa + PAGE_SIZE_2M <= f->end &&
			    !is_pinned(f, gpa, PAGE_SIZE_2M)) {
				list[n++] = gpa | HC_BALLOON_2M;
				gpa += PAGE_SIZE_2M;
			} else {
				if (!is_pinned(f, gpa, PAGE))
					list[n++] = gpa;
				gpa += PAGE;
			}
			continue;
		}
		u64 pages = 0;
		s64 st = hvcall(HC_BALLOON_OUT, (u64)(uintptr_t)list, n, 0, &pages);
		(*calls)++;
		if (st) {
			report_fail(rep, "balloon-out",
			            "HC_BALLOON_OUT of %u entries returned %lld", n, (long long)st);
			return false;
		}
		*returned += pages;
		n = 0;
	}
	return true;
}

static u64 free_pages(const struct frag *f)
{
	return (f->end - f->start) / PAGE - f->npinned;
}

bool balloon_run(struct report *rep, const struct guest_opts *o, u64 start, u64 ram_top,
                 u64 *gpa_out, u64 *bytes_out)
{
	static struct frag f;
	f.start = align_up(start, PAGE_SIZE_2M);
	f.end = align_down(ram_top, PAGE);
	if (!guest_has_hv()) {
		report_skip(rep, "balloon", "no hypervisor: nothing to balloon to");
		return false;
	}
	if (f.start + o->region > f.end || !o->fragment) {
		report_fail(
		    rep, "balloon-area",
		    "free RAM [0x%llx, 0x%llx) with fragment=%llu cannot be fragmented below a "
		    "region of %llu MiB",
		    f.start, f.end, o->fragment, o->region / MiB);
		return false;
	}
	pin_pages(&f, (unsigned)o->fragment, o->seed | 1);
	const u64 run = largest_free_run(&f);
	con_printf("balloon: %u pinned pages over free RAM [0x%llx, 0x%llx): largest free run %llu "
	           "KiB, region needs %llu KiB\n",
	           f.npinned, f.start, f.end, run / KiB, o->region / KiB);
	if (!report_check(rep, run < o->region, "balloon-fragmented",
	                  "largest free run %llu KiB is not below the region's %llu KiB", run / KiB,
	                  o->region / KiB))
		return false;

	/* Each bad list: its own error, and nothing changed. */
	u64 free_page = f.start;
	while (is_pinned(&f, free_page, PAGE))
		free_page += PAGE;
	list[0] = align_up(ram_top, PAGE_SIZE_1G) + PAGE_SIZE_1G; /* no RAM there */
	expect_refused(rep, &f, "out-of-map", HC_BALLOON_OUT, 1, HC_EFAULT);
	list[0] = f.pinned[0];
	list[1] = free_page;
	list[2] = f.pinned[0];
	expect_refused(rep, &f, "duplicate", HC_BALLOON_OUT, 3, HC_EEXIST);
	list[0] = free_page | BAD_LOW_BITS;
	expect_refused(rep, &f, "unaligned", HC_BALLOON_OUT, 1, HC_EALIGN);
	list[0] = (f.start + PAGE) | HC_BALLOON_2M;
	expect_refused(rep, &f, "unaligned-2m", HC_BALLOON_OUT, 1, HC_EALIGN);
	for (unsigned i = 0; i <= HC_BALLOON_MAX; i++)
		list[i] = free_page;
	expect_refused(rep, &f, "too-many", HC_BALLOON_OUT, HC_BALLOON_MAX + 1, HC_E2BIG);
	/* A guest segment over the first free page: that page cannot be ballooned. */
	s64 st = hvcall(HC_SET_GSEG, REGION_VA, REGION_VA + PAGE, free_page - REGION_VA, NULL);
	list[0] = free_page;
	if (report_check(rep, st == 0, "balloon-gseg-declare", "HC_SET_GSEG returned %lld",
	                 (long long)st))
		expect_refused(rep, &f, "in-guest-segment", HC_BALLOON_OUT, 1, HC_ESEGMENT);
	hvcall(HC_SET_GSEG, 0, 0, 0, NULL);

	/* Everything free goes out. */
	u64 returned, calls;
	if (!balloon_all(rep, &f, &returned, &calls))
		return false;
	report_check(rep, returned == free_pages(&f) && pinned_damaged(&f) == 0, "balloon-out",
	             "%llu pages returned of %llu free, %llu pinned words damaged", returned,
	             free_pages(&f), pinned_damaged(&f));
	con_printf("balloon: %llu pages returned in %llu calls of at most %u entries\n", returned,
	           calls, HC_BALLOON_MAX);

	/* A few taken back (zeroed, usable), then given back again. */
	list[0] = free_page;
	list[1] = free_page + PAGE;
	u64 back = 0;
	st = hvcall(HC_BALLOON_IN, (u64)(uintptr_t)list, 2, 0, &back);
	u64 wrong = 0;
	if (st == 0) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)free_page;
		for (unsigned i = 0; i < 2 * PAGE / sizeof(u64); i++)
			wrong += p[i] != 0;
		for (unsigned i = 0; i < 2 * PAGE / sizeof(u64); i++)
			p[i] = i ^ PIN_PATTERN;
		for (unsigned i = 0; i < 2 * PAGE / sizeof(u64); i++)
			wrong += p[i] != (i ^ PIN_PATTERN);
	}
	report_check(rep, st == 0 && back == 2 && wrong == 0, "balloon-take-back",
	             "HC_BALLOON_IN returned %lld, %llu pages, %llu words not zero or not kept",
	             (long long)st, back, wrong);
	list[0] = free_page;
	expect_refused(rep, &f, "take-back-twice", HC_BALLOON_IN, 1, HC_EEXIST);
	list[0] = free_page;
	list[1] = free_page + PAGE;
	st = hvcall(HC_BALLOON_OUT, (u64)(uintptr_t)list, 2, 0, &back);
	report_check(rep, st == 0 && back == 2, "balloon-out-again",
	             "HC_BALLOON_OUT returned %lld, %llu pages", (long long)st, back);

	/* The same amount back as one contiguous range. */
	u64 at = 0;
	st = hvcall(HC_HOTADD, (u64)(uintptr_t)&range, 0, 0, &at);
	if (!report_check(
	        rep,
	        st == 0 && range.bytes == returned * PAGE && at == range.gpa &&
	            is_aligned(range.gpa, PAGE_SIZE_2M),
	        "balloon-hotadd",
	        "HC_HOTADD returned %lld, gPA 0x%llx, %llu bytes (want %llu, 2 MiB-aligned)",
	        (long long)st, range.gpa, range.bytes, returned * PAGE))
		return false;
	/* The new RAM is zeroed and holds what is written (one word per page, the last page
	 * whole). Below 4 GiB the boot identity map already covers it. */
	wrong = 0;
	for (u64 off = 0; off < range.bytes; off += PAGE) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)(range.gpa + off);
		wrong += *p != 0;
		*p = HOTADD_PATTERN | off;
	}
	for (u64 off = 0; off < range.bytes; off += PAGE)
		wrong += *(volatile u64 *)(uintptr_t)(range.gpa + off) != (HOTADD_PATTERN | off);
	read_stats(&stats_after);
	report_check(rep, wrong == 0 && pinned_damaged(&f) == 0, "balloon-hotadd-data",
	             "%llu words wrong in the hot-added range, %llu pinned words damaged", wrong,
	             pinned_damaged(&f));
	con_printf("balloon: hot-added gPA [0x%llx, 0x%llx), %llu MiB; guest RAM now %llu MiB in "
	           "%llu regions\n",
	           range.gpa, range.gpa + range.bytes, range.bytes / MiB,
	           stats_after.ram_bytes / MiB, stats_after.regions);
	*gpa_out = range.gpa;
	*bytes_out = range.bytes;
	return true;
}

/* The PCI hole. */

#define IOHOLE_LO       (3 * GiB) /* lib/hvcall.h has no layout: these are what a PC shows */
#define IOHOLE_HI       (4 * GiB)
#define IOHOLE_TOUCH    IOHOLE_LO /* the hole's first byte: RAM when there is no hole */
#define HIGH_PATTERN    0x4b1e000000000000ULL
#define MMAP_MAX_RANGES 8
#define SAMPLE_STRIDE   PAGE_SIZE_2M /* words written into the hot-added range, one per 2 MiB */

struct ram_range {
	u64 lo, hi;
};

/* The available entries of the Multiboot map (spec 3.3), in its order. */
static unsigned mmap_ranges(const struct mb_info *mbi, struct ram_range *r)
{
	unsigned n = 0;
	if (!(mbi->flags & MB_INFO_MEM_MAP))
		return 0;
	for (u64 off = 0; off < mbi->mmap_length && n < MMAP_MAX_RANGES;) {
		const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		if (off + sizeof(*e) > mbi->mmap_length || e->size < sizeof(*e) - sizeof(e->size))
			break;
		if (e->type == MB_MMAP_AVAILABLE)
			r[n++] = (struct ram_range){e->base_addr, e->base_addr + e->length};
		off += e->size + sizeof(e->size);
	}
	return n;
}

/* The boot page tables (lib/x86/long_mode.h) map the first 4 GiB; RAM above is added to their
 * PDPT as 1 GiB pages (SDM Vol. 3A, 4.5: PS in a PDPTE), which the CPU must have. */
static bool map_above_4g(u64 top)
{
	if (!paging_has_1g_pages())
		return false;
	u64 *pml4 = (u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	u64 *pdpt = (u64 *)(uintptr_t)(pml4[0] & PTE_ADDR_MASK);
	const u64 gib = align_up(top, PAGE_SIZE_1G) / PAGE_SIZE_1G;
	if (gib > PT_ENTRIES)
		return false;
	for (u64 g = IOHOLE_HI / PAGE_SIZE_1G; g < gib; g++)
		pdpt[g] = (g * PAGE_SIZE_1G) | PTE_P | PTE_RW | PTE_PS;
	write_cr3(read_cr3());
	return true;
}

static u64 high_word(u64 gpa)
{
	return HIGH_PATTERN ^ gpa;
}

/* Pages of [lo, hi) whose first word is not the pattern. */
static u64 high_damaged(u64 lo, u64 hi)
{
	u64 bad = 0;
	for (u64 gpa = lo; gpa < hi; gpa += PAGE)
		bad += *(volatile u64 *)(uintptr_t)gpa != high_word(gpa);
	return bad;
}

/* Returns [lo, hi) in lists of 2 MiB entries; *pages = pages freed. */
static bool return_range(struct report *rep, u64 lo, u64 hi, u64 *pages, u64 *calls)
{
	*pages = 0;
	*calls = 0;
	for (u64 gpa = lo; gpa < hi;) {
		unsigned n = 0;
		for (; gpa < hi && n < HC_BALLOON_MAX; gpa += PAGE_SIZE_2M)
			list[n++] = gpa | HC_BALLOON_2M;
		u64 got = 0;
		s64 st = hvcall(HC_BALLOON_OUT, (u64)(uintptr_t)list, n, 0, &got);
		(*calls)++;
		if (st) {
			report_fail(rep, "iohole-balloon-out",
			            "HC_BALLOON_OUT of %u entries from gPA 0x%llx returned %lld", n,
			            list[0] & ~HC_BALLOON_FLAGS, (long long)st);
			return false;
		}
		*pages += got;
	}
	return true;
}

bool iohole_run(struct report *rep, const struct mb_info *mbi, u64 keep_end, u64 *free_start,
                u64 *ram_top)
{
	if (!guest_has_hv()) {
		report_skip(rep, "iohole", "no hypervisor: nothing to balloon to");
		return false;
	}
	struct ram_range r[MMAP_MAX_RANGES];
	const unsigned n = mmap_ranges(mbi, r);
	u64 map_bytes = 0, in_hole = 0;
	struct ram_range low = {0, 0}, high = {0, 0};
	for (unsigned i = 0; i < n; i++) {
		con_printf("iohole: Multiboot map: RAM [0x%llx, 0x%llx)\n", r[i].lo, r[i].hi);
		if (r[i].lo >= 1 * MiB)
			map_bytes += r[i].hi - r[i].lo;
		if (r[i].lo < IOHOLE_HI && r[i].hi > IOHOLE_LO)
			in_hole++;
		if (r[i].lo <= keep_end && r[i].hi > keep_end)
			low = r[i];
		if (r[i].lo == IOHOLE_HI)
			high = r[i];
	}
	read_stats(&stats_before);
	const u64 ram_before = stats_before.ram_bytes;
	/* The memory map holds the first MiB as RAM; the Multiboot map shows only conventional
	 * memory there (below 640 KiB), so it is counted from 1 MiB up. */
	const bool agree = map_bytes + 1 * MiB == stats_before.ram_bytes;
	if (!report_check(rep, in_hole == 0 && low.hi == IOHOLE_LO && high.hi > high.lo && agree,
	                  "iohole-map",
	                  "want RAM up to 0x%llx, none in [0x%llx, 0x%llx), RAM from 0x%llx: the "
	                  "map has %u entries, %llu in the hole, low RAM ends at 0x%llx, RAM at "
	                  "4 GiB [0x%llx, 0x%llx); %llu MiB from 1 MiB up + 1 MiB vs %llu MiB in "
	                  "the hypervisor's map",
	                  IOHOLE_LO, IOHOLE_LO, IOHOLE_HI, IOHOLE_HI, n, in_hole, low.hi, high.lo,
	                  high.hi, map_bytes / MiB, stats_before.ram_bytes / MiB))
		return false;
	if (!report_check(rep, map_above_4g(high.hi), "iohole-map-above-4g",
	                  "RAM up to 0x%llx needs 1 GiB pages (CPUID.80000001H:EDX.Page1GB)",
	                  high.hi))
		return false;
	for (u64 gpa = high.lo; gpa < high.hi; gpa += PAGE)
		*(volatile u64 *)(uintptr_t)gpa = high_word(gpa);

	/* Inside the hole nothing goes out or comes back. */
	list[0] = IOHOLE_TOUCH;
	static const struct frag none;
	expect_refused(rep, &none, "hole-out", HC_BALLOON_OUT, 1, HC_EFAULT);
	expect_refused(rep, &none, "hole-take-back", HC_BALLOON_IN, 1, HC_EFAULT);

	/* What stays and what moves: see balloon.h. */
	const u64 move_lo = align_up(keep_end, PAGE_SIZE_2M), move_hi = IOHOLE_LO;
	u64 returned, calls;
	if (!return_range(rep, move_lo, move_hi, &returned, &calls))
		return false;
	report_check(rep, returned == (move_hi - move_lo) / PAGE, "iohole-balloon-out",
	             "%llu pages returned from [0x%llx, 0x%llx) in %llu calls, want %llu", returned,
	             move_lo, move_hi, calls, (move_hi - move_lo) / PAGE);
	u64 at = 0;
	s64 st = hvcall(HC_HOTADD, (u64)(uintptr_t)&range, 0, 0, &at);
	const u64 want_gpa = align_up(high.hi, PAGE_SIZE_2M);
	if (!report_check(rep, st == 0 && range.gpa == want_gpa && range.bytes == returned * PAGE,
	                  "iohole-hotadd",
	                  "HC_HOTADD returned %lld, gPA 0x%llx (want 0x%llx, the top of RAM), %llu "
	                  "bytes (want %llu)",
	                  (long long)st, range.gpa, want_gpa, range.bytes, returned * PAGE))
		return false;
	const u64 top = range.gpa + range.bytes;
	if (!report_check(rep, map_above_4g(top), "iohole-map-hotadd",
	                  "could not map the hot-added RAM up to 0x%llx", top))
		return false;
	/* Zero where the guest has not written (every page), and holding what is. */
	u64 wrong = 0;
	for (u64 gpa = range.gpa; gpa < top; gpa += PAGE)
		wrong += *(volatile u64 *)(uintptr_t)gpa != 0;
	for (u64 gpa = range.gpa; gpa < top; gpa += SAMPLE_STRIDE)
		*(volatile u64 *)(uintptr_t)gpa = high_word(gpa);
	for (u64 gpa = range.gpa; gpa < top; gpa += SAMPLE_STRIDE)
		wrong += *(volatile u64 *)(uintptr_t)gpa != high_word(gpa);
	const u64 damaged = high_damaged(high.lo, high.hi);
	read_stats(&stats_after);
	report_check(rep, wrong == 0 && damaged == 0, "iohole-data",
	             "%llu words of the hot-added range wrong, %llu pages of the RAM above 4 GiB "
	             "damaged",
	             wrong, damaged);
	/* One region below (what stays) and one above: the hypervisor merges regions only when
	 * they continue each other in gPA and hPA. */
	report_check(
	    rep, stats_after.ram_bytes == ram_before && stats_after.regions == 2, "iohole-one-run",
	    "guest RAM %llu MiB (before %llu MiB) in %llu regions (want 2: [0, 0x%llx) and "
	    "[0x%llx, 0x%llx))",
	    stats_after.ram_bytes / MiB, ram_before / MiB, stats_after.regions, move_lo, IOHOLE_HI,
	    top);
	con_printf("iohole: %llu pages moved from [0x%llx, 0x%llx) to [0x%llx, 0x%llx); RAM now "
	           "[0x0, 0x%llx) and [0x%llx, 0x%llx)\n",
	           returned, move_lo, move_hi, range.gpa, top, move_lo, IOHOLE_HI, top);
	*free_start = IOHOLE_HI;
	*ram_top = top;
	return true;
}

void iohole_touch(struct report *rep, const struct mb_info *mbi)
{
	static const char name[] = "iohole-touch";
	struct ram_range r[MMAP_MAX_RANGES];
	const unsigned n = mmap_ranges(mbi, r);
	for (unsigned i = 0; i < n; i++) {
		if (r[i].lo <= IOHOLE_TOUCH && r[i].hi > IOHOLE_TOUCH) {
			volatile u64 *p = (volatile u64 *)(uintptr_t)IOHOLE_TOUCH;
			*p = HIGH_PATTERN;
			if (report_check(rep, *p == HIGH_PATTERN, "iohole-touch-ram",
			                 "gPA 0x%llx is RAM in the Multiboot map but does not keep "
			                 "what is written",
			                 IOHOLE_TOUCH))
				report_skip(rep, name,
				            "gPA 0x%llx is RAM in the Multiboot map: no PCI hole "
				            "(io_hole=off, or 3 GiB of RAM or less)",
				            IOHOLE_TOUCH);
			return;
		}
	}
	if (!guest_has_hv()) {
		report_skip(rep, name, "no hypervisor to stop the guest");
		return;
	}
	con_printf("guest: reading gPA 0x%llx inside the PCI hole; the hypervisor must stop the "
	           "guest here\n",
	           IOHOLE_TOUCH);
	const u64 v = *(volatile const u64 *)(uintptr_t)IOHOLE_TOUCH;
	report_fail(rep, name, "the read of gPA 0x%llx returned 0x%llx: the guest was not stopped",
	            IOHOLE_TOUCH, v);
}
