/* The guest's fragmentation and balloon driver: see balloon.h. */
#include "guest/balloon.h"

#include "guest/hypercall.h"
#include "guest/paging.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

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
