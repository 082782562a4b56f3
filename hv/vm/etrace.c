/* trace=ept: the hypervisor's own trap tracing, which needs nothing from the
 * guest (DESIGN.md, "Traces"). While a measurement runs, the vCPU runs on a
 * trap table: the guest memory map built with 4 KiB leaves only, every leaf
 * hidden (hv/mem/nested.h, nested_hide_all_4k) except the trap window's W
 * pages (hv/model/trapwin.h) and the pinned ones. Every other access exits;
 * the exit gives the gPA, the access type and, on VT-x, the guest-linear
 * address (SDM Vol. 3C 28.2.1, table 28-7: bit 7 says the linear address is
 * valid, bit 8 that the access was to the translated address and not to a
 * paging-structure entry). SVM reports no linear address for a nested page
 * fault (APM Vol. 2 15.25.6), so the instruction at RIP is decoded (hv/vm/insn.h)
 * and its memory operand is taken only when the guest's own tables map it to
 * the gPA that faulted. The address goes to a walk model of its own, set up
 * as the instrumented one is, and the page enters the window in place of the
 * least recently trapped one.
 *
 * What is not a data access is kept apart: a fault of the guest's page walk
 * pins its page-table page and an exit that cut the delivery of an event
 * (IDT, stack) pins what it reached (pinned pages stay present); an
 * instruction fetch brings its page into a code window of its own
 * (CODE_WAYS pages, LRU by traps). None of them is fed to the model. The mode's own
 * nested table is untouched: the model walks it, the trap table only decides
 * what exits. */
#include "arch/x86/tsc.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

#define PAGE_MASK_4K (PAGE_SIZE_4K - 1)
/* A decoded operand may reach into the next page (up to 32 bytes: AVX). */
#define OPERAND_REACH 31
/* The code window: a kernel's hot code is more than a few pages. */
#define CODE_WAYS TRAPWIN_MAX_WAYS

static u64 gfn_of(u64 gpa)
{
	return gpa >> 12;
}

/* The smallest associativity among the preset's arrays: with the window no
 * larger, a page in it is among the last W pages fed to the model. */
static unsigned tlb_min_ways(const struct tlb_config *t)
{
	unsigned min = TRAPWIN_MAX_WAYS;
	for (unsigned l = 0; l < TLB_LEVELS; l++)
		for (unsigned a = 0; a < TLB_MAX_ARRAYS; a++)
			if (t->level[l][a].entries && t->level[l][a].ways < min)
				min = t->level[l][a].ways;
	return min;
}

static void fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct vm *vm, const char *fmt, ...)
{
	struct etrace *t = &vm->etrace;
	char why[sizeof(t->failure)];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (t->failures++ == 0)
		fmt_snprintf(t->failure, sizeof(t->failure), "%s", why);
	con_printf("trace=ept: %s measurement in %s abandoned: %s\n",
	           t->workload ? t->workload : "a", hv_mode_name(vm->mode), why);
}

/* Back on the mode's own table; the trap table goes back to the allocator. */
static void leave_trap_table(struct vm *vm)
{
	struct etrace *t = &vm->etrace;
	const struct nested_alloc a = vm_nested_alloc(vm);
	if (t->table.root) {
		vcpu_arch_set_nested_root(&vm->vcpu, vm->ept.root);
		nested_free(t->table.root, &a);
	}
	t->table = (struct nested_table){0};
	t->active = false;
}

void etrace_begin(struct vm *vm, const char *workload)
{
	struct etrace *t = &vm->etrace;
	const struct nested_alloc a = vm_nested_alloc(vm);
	if (t->active) {
		leave_trap_table(vm);
		fail(vm, "a new measurement began before it ended");
	}
	t->workload = workload;
	const struct tlb_config *tlb = vm->params.tlb;
	const unsigned ways = vm->params.trace_ways ? vm->params.trace_ways : tlb_min_ways(tlb);
	enum trapwin_err werr = trapwin_init(&t->win, ways);
	if (werr == TRAPWIN_OK)
		werr = trapwin_init(&t->code, CODE_WAYS);
	if (werr != TRAPWIN_OK) {
		fail(vm, "%s (trace_ways=%u)", trapwin_strerror(werr), ways);
		return;
	}
	if (vmfeat_busy(vm)) {
		/* Their copy-on-write and swapped-out leaves live in the mode's
		 * table; a trap table without them would let the guest write a
		 * shared frame. */
		fail(vm, "pages are shared or swapped out: the trap table cannot carry their "
		         "protections");
		return;
	}
	/* NPT leaves always carry an accessed flag; EPT ones when the EPTP
	 * enables A/D (ept_ad=on). */
	t->abits = vm->params.trace_recency == VM_TRACE_RECENCY_ACCESSED;
	if (t->abits && vm->vcpu.ops->nested_format == NESTED_FORMAT_EPT && !vm->vcpu.nested_ad) {
		fail(vm, "trace_recency=accessed on EPT needs its accessed flags: ept_ad=on, on a "
		         "CPU that has them");
		return;
	}
	struct walk_config c;
	measure_walk_config(vm, &c);
	enum walk_err merr = model_init(&t->model, &c, tlb);
	if (merr != WALK_ERR_NONE) {
		fail(vm, "the walk model refused its configuration: %s", walk_err_str(merr));
		return;
	}
	const struct nested_config cfg = {
	    .format = (enum nested_format)vm->vcpu.ops->nested_format,
	    .max_leaf = PAGE_SIZE_4K,
	};
	enum nested_err nerr = nested_build(&vm->gmap, &cfg, &a, &t->table);
	if (nerr == NESTED_OK)
		nerr = nested_hide_all_4k(cfg.format, t->table.root, &t->hidden);
	if (nerr != NESTED_OK) {
		if (t->table.root)
			nested_free(t->table.root, &a);
		t->table = (struct nested_table){0};
		fail(vm, "building the trap table: %s", nested_strerror(nerr));
		return;
	}
	t->window_uses = t->progress_pins = t->same_rip = t->just_admitted = 0;
	t->last_state = 0; /* no state hashes to 0 in practice; the first trap starts the count */
	memset(t->gfn_of, 0, sizeof(t->gfn_of));
	t->traps = t->data_traps = t->fetch_traps = t->walk_pins = t->event_pins = 0;
	t->unresolved = t->unpaged = t->evictions = t->cr3_loads = 0;
	t->hpa_checks = t->hpa_mismatches = 0;
	t->active = true;
	vcpu_arch_set_nested_root(&vm->vcpu, t->table.root);
	t->exits0 = vm->exits_total;
	t->t0 = tsc_read();
}

void etrace_abandon(struct vm *vm, const char *why)
{
	if (!vm->etrace.active)
		return;
	leave_trap_table(vm);
	fail(vm, "%s", why);
}

/* Makes gpa's page present in the trap table (or hidden again). */
static bool set_present(struct vm *vm, u64 gfn, bool present)
{
	struct etrace *t = &vm->etrace;
	const struct nested_alloc a = vm_nested_alloc(vm);
	enum nested_err err = nested_set_present_4k((enum nested_format)vm->vcpu.ops->nested_format,
	                                            t->table.root, gfn << 12, present, &a, NULL);
	if (err != NESTED_OK) {
		leave_trap_table(vm);
		fail(vm, "gPA 0x%llx in the trap table: %s", gfn << 12, nested_strerror(err));
		return false;
	}
	return true;
}

static bool pin(struct vm *vm, u64 gfn)
{
	struct etrace *t = &vm->etrace;
	bool left_window;
	enum trapwin_err err = trapwin_pin(&t->win, gfn, &left_window);
	if (err != TRAPWIN_OK) {
		leave_trap_table(vm);
		fail(vm, "%s (%u pinned: page-table and event pages)", trapwin_strerror(err),
		     TRAPWIN_MAX_PINNED);
		return false;
	}
	return left_window || set_present(vm, gfn, true);
}

/* The linear address a window page was fed at, kept to feed its later uses. */
static void remember(struct etrace *t, u64 gfn, u64 gla)
{
	unsigned free = TRAPWIN_MAX_WAYS;
	for (unsigned i = 0; i < t->win.ways; i++) {
		if (t->gfn_of[i] == gfn + 1) {
			t->gla_of[i] = gla;
			return;
		}
		if (free == TRAPWIN_MAX_WAYS &&
		    (t->gfn_of[i] == 0 || !trapwin_contains(&t->win, t->gfn_of[i] - 1)))
			free = i;
	}
	if (free < t->win.ways) {
		t->gfn_of[free] = gfn + 1;
		t->gla_of[free] = gla;
	}
}

/* gfn's address is no longer known: it left the window, or came back in
 * without one (an unresolved or unpaged trap). */
static void forget(struct etrace *t, u64 gfn)
{
	for (unsigned i = 0; i < t->win.ways; i++)
		if (t->gfn_of[i] == gfn + 1)
			t->gfn_of[i] = 0;
}

static bool remembered(const struct etrace *t, u64 gfn, u64 *gla)
{
	for (unsigned i = 0; i < t->win.ways; i++)
		if (t->gfn_of[i] == gfn + 1) {
			*gla = t->gla_of[i];
			return true;
		}
	return false;
}

/* Present in the trap table: in either window or pinned. */
static bool kept(const struct etrace *t, u64 gfn)
{
	return trapwin_contains(&t->win, gfn) || trapwin_contains(&t->code, gfn) ||
	       trapwin_is_pinned(&t->win, gfn);
}

/* gfn enters window w (the data window or the code window). */
static bool admit(struct vm *vm, struct trapwin *w, u64 gfn)
{
	struct etrace *t = &vm->etrace;
	u64 evicted = 0;
	switch (trapwin_admit(w, gfn, &evicted)) {
	case TRAPWIN_PRESENT:
		return true;
	case TRAPWIN_EVICTED:
		if (kept(t, evicted)) /* still in the other window, or pinned */
			break;
		if (!set_present(vm, evicted, false))
			return false;
		forget(t, evicted);
		t->evictions++;
		/* Translations of the evicted page may be cached: the reload
		 * invalidates them (INVEPT single-context, the ASID flush). */
		vcpu_arch_set_nested_root(&vm->vcpu, t->table.root);
		break;
	case TRAPWIN_FILLED:
		break;
	}
	return set_present(vm, gfn, true);
}

/* The page of la maps to the gPA that faulted, through the guest's tables. */
static bool maps_to(struct vm *vm, u64 la, u64 gpa)
{
	u64 got;
	return vm_linear_to_gpa(vm, la, &got) && gfn_of(got) == gfn_of(gpa);
}

/* SVM: the linear address of the access at RIP that faulted on gpa. The
 * candidates are the explicit memory operand, a string instruction's
 * operands and the stack (PUSH, POP, CALL, RET and the like), each also at
 * its last bytes (an access that reaches into the next page); the first
 * whose page the guest maps to gpa's is taken. */
static bool decode_gla(struct vm *vm, u64 gpa, bool write, u64 *gla)
{
	struct vcpu *v = &vm->vcpu;
	u8 bytes[INSN_MAX_LENGTH];
	struct insn in;
	const u64 rip = vcpu_arch_rip(v);
	const unsigned n = vm_fetch_insn(vm, vm_insn_linear(vm), bytes);
	if (insn_decode(bytes, n, vm_insn_mode(vm), &in) != INSN_OK)
		return false;
	struct insn_regs r = {.rip = rip};
	for (unsigned i = 0; i < INSN_GPR_COUNT; i++) {
		const u64 *g = vcpu_arch_gpr(v, i);
		r.gpr[i] = g ? *g : 0;
	}
	r.gpr[INSN_RSP] = vcpu_arch_rsp(v);
	for (unsigned s = 0; s < INSN_SEG_COUNT; s++)
		r.seg_base[s] = vcpu_arch_seg_base(v, s);
	u64 cand[6];
	unsigned k = 0;
	u64 la, src, dst;
	unsigned used;
	if (insn_mem_operand(&in, &r, &la) == INSN_OK)
		cand[k++] = la;
	if (insn_string_operands(&in, &r, &src, &dst, &used) == INSN_OK) {
		if ((used & INSN_STRING_DST) && write)
			cand[k++] = dst;
		if ((used & INSN_STRING_SRC) && !write)
			cand[k++] = src;
	}
	cand[k++] = r.gpr[INSN_RSP];
	cand[k++] = r.gpr[INSN_RSP] - sizeof(u64);
	for (unsigned i = 0; i < k; i++) {
		if (maps_to(vm, cand[i], gpa)) {
			*gla = (cand[i] & ~PAGE_MASK_4K) | (gpa & PAGE_MASK_4K);
			return true;
		}
		if (maps_to(vm, cand[i] + OPERAND_REACH, gpa)) {
			*gla = ((cand[i] + OPERAND_REACH) & ~PAGE_MASK_4K) | (gpa & PAGE_MASK_4K);
			return true;
		}
	}
	return false;
}

/* The access's guest-linear address: the exit's where it gives one (VT-x),
 * else the decoded instruction's (SVM). */
static bool trap_gla(struct vm *vm, const struct vm_exit *e, u64 *gla)
{
	if (e->gla_valid) {
		*gla = e->gla;
		return true;
	}
	return decode_gla(vm, e->gpa, e->npf.write, gla);
}

/* span=run and span=console follow the guest's address space: a new CR3 is
 * a TLB flush (no global pages or PCIDs are modelled), the counts go on; the
 * addresses the window's pages came in at belong to the old one. */
static bool follow_cr3(struct vm *vm)
{
	struct etrace *t = &vm->etrace;
	const u64 cr3 = vcpu_arch_cr3(&vm->vcpu);
	if (cr3 == t->model.config.guest_cr3)
		return true;
	struct walk_config c = t->model.config;
	const struct walk_counters kept = t->model.count;
	c.guest_cr3 = cr3;
	if (model_init(&t->model, &c, vm->params.tlb) != WALK_ERR_NONE)
		return false;
	t->model.count = kept;
	t->cr3_loads++;
	memset(t->gfn_of, 0, sizeof(t->gfn_of));
	return true;
}

/* Before a trap is served: the window pages the CPU used since the last one
 * (their accessed flags) become the most recent, least recent first, and
 * each is fed to the model once at the address it came in at, so that both
 * the window's order and the model's LRU see them. The flags are cleared
 * and the cached translations invalidated, or the next use would set none. */
static void refresh(struct vm *vm)
{
	struct etrace *t = &vm->etrace;
	const enum nested_format fmt = (enum nested_format)vm->vcpu.ops->nested_format;
	u64 used[TRAPWIN_MAX_WAYS], when[TRAPWIN_MAX_WAYS];
	unsigned n = 0;
	if (!t->abits)
		return;
	for (unsigned i = 0; i < t->win.used; i++) {
		bool a = false;
		if (nested_test_clear_accessed_4k(fmt, t->table.root, t->win.gfn[i] << 12, &a) ==
		        NESTED_OK &&
		    a) {
			used[n] = t->win.gfn[i];
			when[n++] = t->win.last[i];
		}
	}
	for (unsigned i = 1; i < n; i++) /* by recency, least recent first */
		for (unsigned j = i; j > 0 && when[j - 1] > when[j]; j--) {
			const u64 g = used[j], w = when[j];
			used[j] = used[j - 1], when[j] = when[j - 1];
			used[j - 1] = g, when[j - 1] = w;
		}
	for (unsigned i = 0; i < n; i++) {
		u64 gla, hpa;
		trapwin_touch(&t->win, used[i]);
		/* The page the last trap admitted: its flag is that access run
		 * again, already fed. */
		if (used[i] + 1 == t->just_admitted)
			continue;
		if (remembered(t, used[i], &gla)) {
			t->window_uses++;
			model_access(&t->model, gla, &hpa);
		}
	}
	t->just_admitted = 0;
	if (n)
		vcpu_arch_set_nested_root(&vm->vcpu, t->table.root);
}

static bool feed(struct vm *vm, const struct vm_exit *e, u64 gla)
{
	struct etrace *t = &vm->etrace;
	u64 hpa, want;
	if (vm->params.trace_span != VM_TRACE_SPAN_WORKLOADS && !follow_cr3(vm)) {
		t->unpaged++;
		return false;
	}
	t->data_traps++;
	const enum walk_status ws = model_access(&t->model, gla, &hpa);
	if (ws != WALK_OK) {
		if (t->model.count.faults == 1)
			con_printf("trace=ept: gVA 0x%llx: %s\n", gla, walk_status_str(ws));
		return true;
	}
	/* The exit names the gPA: the model's hPA must be its frame. */
	t->hpa_checks++;
	if (!gmap_lookup(&vm->gmap, e->gpa, &want) || want != hpa) {
		if (t->hpa_mismatches++ == 0)
			con_printf(
			    "trace=ept: the model translated gVA 0x%llx to hPA 0x%llx; the trap "
			    "was at gPA 0x%llx (hPA 0x%llx)\n",
			    gla, hpa, e->gpa, want);
	}
	return true;
}

/* RIP, RSP and the general registers, folded: equal across two exits when
 * the guest retired nothing between them. */
static u64 guest_state_hash(struct vm *vm)
{
	struct vcpu *v = &vm->vcpu;
	u64 h =
	    0xcbf29ce484222325ull ^ vcpu_arch_rip(v) ^ (vcpu_arch_rsp(v) * 0x9e3779b97f4a7c15ull);
	for (unsigned i = 0; i < INSN_GPR_COUNT; i++) {
		const u64 *g = vcpu_arch_gpr(v, i);
		h = (h ^ (g ? *g : 0)) * 0x100000001b3ull;
	}
	return h;
}

static bool long_mode_paging(struct vm *vm)
{
	u64 efer = 0;
	return vcpu_arch_msr(&vm->vcpu, IA32_EFER, false, &efer) && (efer & EFER_LMA);
}

bool etrace_fault(struct vm *vm, const struct vm_exit *e)
{
	struct etrace *t = &vm->etrace;
	u64 hpa;
	if (!t->active || e->npf.present || !gmap_lookup(&vm->gmap, e->gpa, &hpa))
		return false;
	const u64 gfn = gfn_of(e->gpa);
	if (kept(t, gfn))
		return false; /* present in the trap table: not a trap */
	t->traps++;
	refresh(vm);
	/* What no instrumented trace would hold: kept apart, not fed. */
	if (e->event_redelivered || e->npf.guest_walk) {
		++*(e->event_redelivered ? &t->event_pins : &t->walk_pins);
		pin(vm, gfn);
		return true;
	}
	if (e->npf.fetch) {
		t->fetch_traps++;
		admit(vm, &t->code, gfn);
		return true;
	}
	/* Forward progress: an instruction whose accesses need more pages than
	 * the window holds (operands across page boundaries, a string move with
	 * both operands split) would trap for ever. Such traps find the guest's
	 * registers exactly as the last one did (nothing retired in between);
	 * after W of them in a row the page is pinned instead. */
	const u64 state = guest_state_hash(vm);
	t->same_rip = state == t->last_state ? t->same_rip + 1 : 0;
	t->last_state = state;
	u64 gla;
	bool fed = false;
	if (!long_mode_paging(vm))
		t->unpaged++;
	else if (!trap_gla(vm, e, &gla))
		t->unresolved++;
	else
		fed = feed(vm, e, gla);
	if (t->same_rip >= t->win.ways) {
		t->progress_pins++;
		forget(t, gfn);
		pin(vm, gfn);
		return true;
	}
	if (admit(vm, &t->win, gfn)) {
		if (fed)
			remember(t, gfn, gla);
		else
			forget(t, gfn);
		t->just_admitted = gfn + 1;
	}
	return true;
}

/* x1000 of a / b as "I.FFF"; "n/a" when b is 0. */
static void fmt_ratio(char *buf, size_t n, u64 a, u64 b)
{
	if (!b) {
		fmt_snprintf(buf, n, "n/a");
		return;
	}
	const u64 x = a * 1000 / b;
	fmt_snprintf(buf, n, "%llu.%03llu", x / 1000, x % 1000);
}

void etrace_end(struct vm *vm, const struct walk_counters *instr)
{
	struct etrace *t = &vm->etrace;
	if (!t->active)
		return;
	const u64 cycles = tsc_read() - t->t0;
	const u64 exits = vm->exits_total - t->exits0;
	leave_trap_table(vm);
	char wall_ms[24] = "n/a", rate[24] = "n/a", iw[24] = "n/a", diff[24] = "n/a";
	char delta[24] = "n/a";
	if (vm->tsc_hz >= 1000000) {
		/* Microseconds first: no product of cycles or exits with the rate,
		 * which would overflow within hours. */
		const u64 us = cycles / (vm->tsc_hz / 1000000);
		fmt_snprintf(wall_ms, sizeof(wall_ms), "%llu.%03llu", us / 1000, us % 1000);
		const u64 per_s = !us ? 0
		                  : exits < (1ull << 44)
		                      ? exits * 1000000 / us
		                      : exits / (us / 1000000 ? us / 1000000 : 1);
		fmt_snprintf(rate, sizeof(rate), "%llu", per_s);
	}
	if (instr && instr->accesses) {
		const u64 w = t->model.count.walks, iwalks = instr->walks;
		fmt_snprintf(iw, sizeof(iw), "%llu", iwalks);
		fmt_snprintf(delta, sizeof(delta), "%s%llu", w < iwalks ? "-" : "+",
		             w > iwalks ? w - iwalks : iwalks - w);
		/* |trapped - instrumented| / instrumented, in percent */
		fmt_ratio(diff, sizeof(diff), (w > iwalks ? w - iwalks : iwalks - w) * 100, iwalks);
	}
	char tail[512];
	fmt_snprintf(tail, sizeof(tail),
	             " trace=ept window=%u recency=%s window_uses=%llu traps=%llu data_traps=%llu "
	             "fetch_traps=%llu walk_pins=%llu event_pins=%llu progress_pins=%llu "
	             "unresolved=%llu unpaged=%llu evictions=%llu "
	             "cr3_loads=%llu pages_hidden=%llu exits=%llu wall_ms=%s exits_per_s=%s "
	             "instr_walks=%s walks_vs_instr=%s walks_vs_instr_pct=%s",
	             t->win.ways, t->abits ? "accessed-flags" : "traps", t->window_uses, t->traps,
	             t->data_traps, t->fetch_traps, t->walk_pins, t->event_pins, t->progress_pins,
	             t->unresolved, t->unpaged, t->evictions, t->cr3_loads, t->hidden, exits,
	             wall_ms, rate, iw, delta, diff);
	measure_print_model(vm, t->workload, &t->model.count, t->hpa_checks, t->hpa_mismatches,
	                    tail);
	t->measurements++;
}

/* ---- span=console: measurements between the guest's own console lines ---- */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* The offset of word in line[0..len), or -1. */
static int find(const char *line, unsigned len, const char *word)
{
	const unsigned n = (unsigned)strlen(word);
	for (unsigned i = 0; i + n <= len; i++)
		if (memcmp(line + i, word, n) == 0)
			return (int)i;
	return -1;
}

int etrace_marker(const char *line, unsigned len, char name[ETRACE_NAME_MAX])
{
	static const char *const marks[] = {ETRACE_MARK_BEGIN, ETRACE_MARK_END};
	for (unsigned m = 0; m < ARRAY_SIZE(marks); m++) {
		const int at = find(line, len, marks[m]);
		if (at < 0)
			continue;
		unsigned i = (unsigned)at + (unsigned)strlen(marks[m]), n = 0;
		for (; i < len && line[i] != ' ' && line[i] != '\t'; i++, n++) {
			if (n == ETRACE_NAME_MAX - 1 || !name_char(line[i]))
				return -1;
			name[n] = line[i];
		}
		if (n == 0)
			return -1;
		name[n] = '\0';
		return (int)m + 1;
	}
	return 0;
}

void etrace_console_line(struct vm *vm, const char *line, unsigned len)
{
	struct etrace *t = &vm->etrace;
	char name[ETRACE_NAME_MAX];
	if (vm->params.trace != VM_TRACE_EPT || vm->params.trace_span != VM_TRACE_SPAN_CONSOLE)
		return;
	const int mark = etrace_marker(line, len, name);
	if (mark < 0) {
		fail(vm, "a console marker without a valid name (letters, digits, '-', '_', '.'; "
		         "at most %u): \"%.*s\"",
		     ETRACE_NAME_MAX - 1, (int)(len > 64 ? 64 : len), line);
		return;
	}
	if (mark == 1) {
		if (t->active)
			etrace_abandon(vm, "TRACE_BEGIN: came before the open measurement's TRACE_END:");
		memcpy(t->name, name, sizeof(t->name));
		etrace_begin(vm, t->name);
	} else if (mark == 2) {
		if (!t->active)
			fail(vm, "TRACE_END:%s with no measurement open", name);
		else if (strcmp(name, t->name) != 0)
			etrace_abandon(vm, "its TRACE_END: names another measurement");
		else
			etrace_end(vm, NULL);
	}
}
