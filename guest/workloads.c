/* Workloads over the region at REGION_VA, in each translation mode: GUPS
 * (random read-modify-write over a table), a sequential stream, and a
 * pointer chase over a random single-cycle permutation. Each touches its
 * memory for real (so the mode's realization in page tables and EPT must be
 * right) and checks its own result; under segvisor each also records the
 * addresses it touches, which the hypervisor replays through its walk
 * model (HC_TRACE_REPLAY) and reports as RESULT lines. */
#include "guest/workloads.h"

#include "guest/gswap.h"
#include "guest/hypercall.h"
#include "guest/paging.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/hvcall.h"

#define LINE_BYTES        64
#define PCHASE_NODE_BYTES 64

struct trace {
	u64 *buf;
	u64 cap, n;
	u32 workload;
	bool hv;
	s64 status; /* the first failing replay's status */
};

struct wl_state {
	struct report *rep;
	const struct guest_opts *o;
	struct gpt_pool pool;
	struct trace tr;
	u64 region_gpa;
	bool hv;
	u64 checksum[WL_COUNT]; /* from the first mode, for the others to match */
	bool have_checksum[WL_COUNT];
};

static u64 xorshift64(u64 *s)
{
	u64 x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Replays the entries recorded so far; end closes the measurement. */
static void trace_flush(struct trace *t, bool end)
{
	if (!t->hv) {
		t->n = 0;
		return;
	}
	s64 st = hvcall(HC_TRACE_REPLAY, t->n, t->workload, end ? TRACE_END : 0, NULL);
	if (st && !t->status)
		t->status = st;
	t->n = 0;
}

static inline void trace_rec(struct trace *t, const void *va)
{
	t->buf[t->n++] = (u64)(uintptr_t)va;
	if (t->n == t->cap)
		trace_flush(t, false);
}

static void trace_start(struct trace *t, u32 workload)
{
	t->workload = workload;
	t->n = 0;
	t->status = 0;
}

/* The measurement window is the traced loop itself: trace_open, right
 * before it, begins the measurement with an empty replay (count 0 and
 * TRACE_BEGIN: the model is set up and the PMU counters start), and
 * trace_close, right after it, replays what is left with TRACE_END (the
 * counters are read and stop). A workload's set-up and its checks lie
 * outside the window. */
static void trace_open(struct trace *t)
{
	if (!t->hv)
		return;
	s64 st = hvcall(HC_TRACE_REPLAY, 0, t->workload, TRACE_BEGIN, NULL);
	if (st && !t->status)
		t->status = st;
}

static void trace_close(struct trace *t)
{
	trace_flush(t, true);
}

/* GUPS: updates to random table entries; the same updates applied again
 * restore table[i] = i (XOR is its own inverse), which checks every entry. */
static u64 run_gups(struct wl_state *w, u64 *errors)
{
	u64 n = w->o->gups_table / sizeof(u64), seed = w->o->seed | 1, sum = 0;
	volatile u64 *t = (volatile u64 *)(uintptr_t)REGION_VA;
	for (u64 i = 0; i < n; i++)
		t[i] = i;
	trace_open(&w->tr);
	for (u64 u = 0; u < w->o->gups_updates; u++) {
		u64 r = xorshift64(&seed), i = r % n;
		trace_rec(&w->tr, (const void *)&t[i]);
		t[i] ^= r;
	}
	trace_close(&w->tr);
	for (u64 i = 0; i < n; i++)
		sum += t[i] * (i | 1);
	seed = w->o->seed | 1;
	for (u64 u = 0; u < w->o->gups_updates; u++) {
		u64 r = xorshift64(&seed);
		t[r % n] ^= r;
	}
	for (u64 i = 0; i < n; i++)
		*errors += t[i] != i;
	return sum;
}

/* Stream: reads every word in order; one trace entry per 64-byte line. */
static u64 run_stream(struct wl_state *w, u64 *errors)
{
	u64 n = w->o->stream_bytes / sizeof(u64), sum = 0;
	volatile u64 *a = (volatile u64 *)(uintptr_t)REGION_VA;
	for (u64 i = 0; i < n; i++)
		a[i] = 3 * i + 1;
	trace_open(&w->tr);
	for (u64 i = 0; i < n; i++) {
		if (i % (LINE_BYTES / sizeof(u64)) == 0)
			trace_rec(&w->tr, (const void *)&a[i]);
		u64 v = a[i];
		sum += v;
		*errors += v != 3 * i + 1;
	}
	trace_close(&w->tr);
	return sum;
}

/* Pointer chase over a random permutation that is one cycle (Sattolo's
 * algorithm): following it visits every node before coming back. */
static u64 run_pchase(struct wl_state *w, u64 *errors)
{
	u64 n = w->o->pchase_bytes / PCHASE_NODE_BYTES, seed = w->o->seed | 1, sum = 0;
	volatile u64 *node = (volatile u64 *)(uintptr_t)REGION_VA;
	const u64 stride = PCHASE_NODE_BYTES / sizeof(u64);
	for (u64 i = 0; i < n; i++)
		node[i * stride + 1] = i; /* word 1: the permutation being built */
	for (u64 i = n - 1; i > 0; i--) {
		u64 j = xorshift64(&seed) % i;
		u64 tmp = node[i * stride + 1];
		node[i * stride + 1] = node[j * stride + 1];
		node[j * stride + 1] = tmp;
	}
	for (u64 k = 0; k < n; k++)
		node[node[k * stride + 1] * stride] = node[((k + 1) % n) * stride + 1];
	u64 p = node[1];
	trace_open(&w->tr);
	for (u64 s = 0; s < w->o->pchase_steps; s++) {
		trace_rec(&w->tr, (const void *)&node[p * stride]);
		p = node[p * stride];
		sum += p;
	}
	trace_close(&w->tr);
	/* One full cycle from any node returns to it after exactly n steps. */
	u64 start = p, len = 0;
	do {
		p = node[p * stride];
		len++;
	} while (p != start && len <= n);
	*errors += len != n;
	return sum;
}

typedef u64 (*workload_fn)(struct wl_state *w, u64 *errors);
static const workload_fn workloads[WL_COUNT] = {
    [WL_GUPS] = run_gups,
    [WL_STREAM] = run_stream,
    [WL_PCHASE] = run_pchase,
};

static u64 workload_bytes(const struct guest_opts *o, unsigned wl)
{
	return wl == WL_GUPS ? o->gups_table : wl == WL_STREAM ? o->stream_bytes : o->pchase_bytes;
}

static void run_one(struct wl_state *w, u32 mode, unsigned wl)
{
	char name[64];
	u64 errors = 0;
	trace_start(&w->tr, wl);
	u64 sum = workloads[wl](w, &errors); /* it opens and closes its trace */
	fmt_snprintf(name, sizeof(name), "%s-%s-data", hv_workload_name(wl), hv_mode_name(mode));
	report_check(w->rep, errors == 0, name, "%llu wrong values read back", errors);
	/* The same data through the identity map (gVA = gPA): a mapping that is
	 * wrong but consistent with itself would pass the check above. */
	u64 aliased = 0;
	for (u64 off = 0; off < workload_bytes(w->o, wl); off += PAGE_SIZE_4K)
		aliased += *(volatile u64 *)(uintptr_t)(REGION_VA + off) !=
		           *(volatile u64 *)(uintptr_t)(w->region_gpa + off);
	fmt_snprintf(name, sizeof(name), "%s-%s-alias", hv_workload_name(wl), hv_mode_name(mode));
	report_check(w->rep, aliased == 0, name,
	             "%llu pages differ between gVA 0x%llx and their gPA 0x%llx", aliased,
	             REGION_VA, w->region_gpa);
	fmt_snprintf(name, sizeof(name), "%s-%s-checksum", hv_workload_name(wl),
	             hv_mode_name(mode));
	/* The first mode's checksum is the reference the others must match;
	 * the data check above is what proves the first mode right. */
	if (!w->have_checksum[wl]) {
		w->checksum[wl] = sum;
		w->have_checksum[wl] = true;
	} else {
		report_check(w->rep, sum == w->checksum[wl], name,
		             "checksum 0x%llx differs from the first mode's 0x%llx", sum,
		             w->checksum[wl]);
	}
	if (w->hv) {
		fmt_snprintf(name, sizeof(name), "%s-%s-replay", hv_workload_name(wl),
		             hv_mode_name(mode));
		report_check(w->rep, w->tr.status == 0, name, "HC_TRACE_REPLAY returned %lld",
		             (long long)w->tr.status);
	}
	con_printf("workload %s in %s: checksum 0x%llx\n", hv_workload_name(wl), hv_mode_name(mode),
	           sum);
}

static u64 gpage_bytes(u32 gpage)
{
	return gpage == GPAGE_1G ? PAGE_SIZE_1G : gpage == GPAGE_2M ? PAGE_SIZE_2M : PAGE_SIZE_4K;
}

/* Where the region goes: above the tables and the trace buffer, 1 GiB-aligned when its size
 * is whole GiB and that fits (so that a guest segment, or gpage=1g, gets 1 GiB pages), else
 * 2 MiB-aligned. */
static u64 region_place(const struct guest_opts *o, u64 after, u64 ram_top)
{
	u64 at = align_up(after, PAGE_SIZE_1G);
	if (is_aligned(o->region, PAGE_SIZE_1G) && at + o->region <= ram_top)
		return at;
	return align_up(after, PAGE_SIZE_2M);
}

/* gpage=1g needs the CPU's 1 GiB pages and a region of whole, aligned GiB. */
static bool gpage_1g_ok(struct wl_state *w)
{
	static const char name[] = "gpage-1g";
	if (!paging_has_1g_pages()) {
		report_fail(w->rep, name,
		            "gpage=1g, but CPUID.80000001H:EDX.Page1GB[bit 26] is clear: this CPU "
		            "has no 1 GiB pages");
		return false;
	}
	if (!is_aligned(w->region_gpa | w->o->region, PAGE_SIZE_1G)) {
		report_fail(
		    w->rep, name,
		    "gpage=1g needs a region of whole GiB at a 1 GiB-aligned gPA; it is %llu "
		    "MiB at gPA 0x%llx",
		    w->o->region / MiB, w->region_gpa);
		return false;
	}
	report_pass(w->rep, name);
	return true;
}

/* Sets up one mode: the hypervisor's side (nested table), then the guest's
 * (region mapping and guest segment). */
static bool enter_mode(struct wl_state *w, u32 mode)
{
	char name[48];
	bool gseg = mode == MODE_GUEST_DIRECT || mode == MODE_DUAL_DIRECT;
	u64 size = w->o->region;
	fmt_snprintf(name, sizeof(name), "mode-%s", hv_mode_name(mode));
	if (w->hv) {
		s64 st = hvcall(HC_SET_MODE, mode, 0, 0, NULL);
		if (!report_check(w->rep, st == 0, name, "HC_SET_MODE returned %lld",
		                  (long long)st))
			return false;
	}
	u64 page = gseg ? paging_largest_page(w->region_gpa, size) : gpage_bytes(w->o->gpage);
	if (!paging_map_region(&w->pool, w->region_gpa, size, page)) {
		report_fail(w->rep, name, "could not map the region with %lluK pages", page / KiB);
		return false;
	}
	con_printf("mode %s: region gVA 0x%llx -> gPA 0x%llx, %llu MiB in %lluK pages, %llu table "
	           "pages\n",
	           hv_mode_name(mode), REGION_VA, w->region_gpa, size / MiB, page / KiB,
	           paging_region_tables(&w->pool));
	if (w->hv) {
		s64 st = gseg ? hvcall(HC_SET_GSEG, REGION_VA, REGION_VA + size,
		                       w->region_gpa - REGION_VA, NULL)
		              : hvcall(HC_SET_GSEG, 0, 0, 0, NULL);
		fmt_snprintf(name, sizeof(name), "gseg-%s", hv_mode_name(mode));
		if (!report_check(w->rep, st == 0, name, "HC_SET_GSEG returned %lld",
		                  (long long)st))
			return false;
	}
	if (!w->hv)
		report_pass(w->rep, name);
	return true;
}

/* Tables for the identity map and for the region in 4 KiB pages (one PT per 2 MiB, one PD per
 * 1 GiB, a PDPT), rounded to 2 MiB. */
static u64 pool_size(const struct guest_opts *o, u64 ram_top)
{
	return align_up((paging_identity_tables(ram_top) + o->region / PAGE_SIZE_2M +
	                 o->region / PAGE_SIZE_1G + 2) *
	                    PAGE_SIZE_4K,
	                PAGE_SIZE_2M);
}

u64 workloads_reserved_bytes(const struct guest_opts *o, u64 ram_top)
{
	return pool_size(o, ram_top) + o->trace * sizeof(u64);
}

static u64 region_at;

void workloads_place_region(u64 gpa)
{
	region_at = gpa;
}

void workloads_run(struct report *rep, const struct guest_opts *o, u64 ram_top, u64 free_start)
{
	static struct wl_state w;
	w.rep = rep;
	w.o = o;
	w.hv = guest_has_hv();
	u64 pool_bytes = pool_size(o, ram_top);
	u64 trace_gpa = free_start + pool_bytes;
	u64 trace_bytes = o->trace * sizeof(u64);
	w.region_gpa = region_at ? region_at : region_place(o, trace_gpa + trace_bytes, ram_top);
	if (w.region_gpa + o->region > ram_top) {
		report_fail(rep, "workload-region",
		            "region of %llu MiB at gPA 0x%llx does not fit below "
		            "RAM top 0x%llx",
		            o->region / MiB, w.region_gpa, ram_top);
		return;
	}
	for (unsigned wl = 0; wl < WL_COUNT; wl++) {
		if (workload_bytes(o, wl) > o->region) {
			report_fail(rep, "workload-size",
			            "%s needs %llu bytes, the region has %llu",
			            hv_workload_name(wl), workload_bytes(o, wl), o->region);
			return;
		}
	}
	if (o->gpage == GPAGE_1G && !gpage_1g_ok(&w))
		return;
	if (!paging_init(&w.pool, free_start, free_start + pool_bytes, ram_top)) {
		report_fail(rep, "guest-paging", "no room for the guest's page tables");
		return;
	}
	w.tr = (struct trace){.buf = (u64 *)(uintptr_t)trace_gpa, .cap = o->trace, .hv = w.hv};
	con_printf("workloads: trace buffer gPA 0x%llx (%llu entries), region gPA 0x%llx\n",
	           trace_gpa, o->trace, w.region_gpa);
	if (w.hv) {
		s64 st = hvcall(HC_TRACE_SETUP, trace_gpa, trace_bytes, 0, NULL);
		if (!report_check(rep, st == 0, "trace-setup", "HC_TRACE_SETUP returned %lld",
		                  (long long)st))
			return;
	} else {
		report_skip(rep, "workload-model",
		            "no hypervisor: the walk model runs in segvisor, "
		            "so no RESULT lines natively");
	}
	/* Pages of the region whose host frames are then declared bad: one at
	 * the start, one inside the first 2 MiB, one further in. */
	static const u64 escape_offsets[] = {0, 0x5000, 0x201000};
	if (o->escape_test && w.hv) {
		for (unsigned i = 0; i < ARRAY_SIZE(escape_offsets); i++) {
			s64 st =
			    hvcall(HC_ESCAPE_PAGE, w.region_gpa + escape_offsets[i], 0, 0, NULL);
			char name[32];
			fmt_snprintf(name, sizeof(name), "escape-page-0x%llx", escape_offsets[i]);
			report_check(rep, st == 0, name, "HC_ESCAPE_PAGE(0x%llx) returned %lld",
			             w.region_gpa + escape_offsets[i], (long long)st);
		}
	}
	for (u32 mode = 0; mode < MODE_COUNT; mode++) {
		if (o->modes != MODES_ALL && o->modes != mode)
			continue;
		if (!enter_mode(&w, mode))
			continue;
		if (o->gswap)
			gswap_run(rep, mode, w.region_gpa, o->region, o->gswap);
		for (unsigned wl = 0; wl < WL_COUNT; wl++)
			if (o->workloads == WORKLOADS_ALL || o->workloads == wl)
				run_one(&w, mode, wl);
	}
	if (w.hv && o->escape_test) {
		u64 touched = ~0ULL;
		s64 st = hvcall(HC_CHECK_BAD, 0, 0, 0, &touched);
		report_check(rep, st == 0 && touched == 0, "bad-frames-untouched",
		             "HC_CHECK_BAD returned %lld, %llu bad frames written", (long long)st,
		             touched);
	}
}
