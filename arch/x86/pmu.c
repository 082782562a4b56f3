#include "arch/x86/pmu.h"

#include "arch/x86/msr.h"
#include "arch/x86/vmx_defs.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/cpuid.h"

/* ---- The event tables ----
 *
 * Columns: name, event select, unit mask, default, description, data_walk
 * (counted into tlb_misses=: the table's data-side walk events).
 *
 * Skylake-class cores (Skylake, Skylake-SP, Kaby Lake, Coffee Lake, Comet
 * Lake). Sources: Intel SDM Vol. 3B, Chapter 20 "Performance Monitoring
 * Events" (the 6th-generation-and-later core table) and Intel's perfmon
 * event list for SKL (the same list as Linux perf's
 * pmu-events/arch/x86/skylake/virtual-memory.json): every event code and
 * umask below is as listed there.
 *   DTLB_LOAD_MISSES.WALK_COMPLETED   08H/0EH  completed walks, loads, any page size
 *   DTLB_LOAD_MISSES.WALK_PENDING     08H/10H  walks outstanding per cycle, loads
 *   DTLB_LOAD_MISSES.STLB_HIT         08H/20H  loads that missed the DTLB, hit the STLB
 *   DTLB_STORE_MISSES.WALK_COMPLETED  49H/0EH  completed walks, stores
 *   ITLB_MISSES.WALK_COMPLETED        85H/0EH  completed walks, code fetches
 *   EPT.WALK_PENDING                  4FH/10H  EPT walks outstanding per cycle
 * Skylake has 4 general-purpose counters per logical processor with
 * Hyper-Threading on (8 with it off), so the four defaults fit either way. */
static const struct pmu_event skylake_events[] = {
    {"dtlb_load_misses.walk_completed", 0x08, 0x0e, true,
     "load walks completed (SDM Vol. 3B ch. 20; perfmon SKL)", true},
    {"dtlb_store_misses.walk_completed", 0x49, 0x0e, true,
     "store walks completed (SDM Vol. 3B ch. 20; perfmon SKL)", true},
    {"itlb_misses.walk_completed", 0x85, 0x0e, true,
     "code-fetch walks completed (SDM Vol. 3B ch. 20; perfmon SKL)", false},
    {"ept.walk_pending", 0x4f, 0x10, true,
     "EPT walks outstanding, per cycle (SDM Vol. 3B ch. 20; perfmon SKL)", false},
    {"dtlb_load_misses.walk_pending", 0x08, 0x10, false,
     "load walks outstanding, per cycle (SDM Vol. 3B ch. 20; perfmon SKL)", false},
    {"dtlb_load_misses.stlb_hit", 0x08, 0x20, false,
     "loads that missed the DTLB and hit the STLB (SDM Vol. 3B ch. 20; perfmon SKL)", false},
};

/* AMD Zen (Family 17h and 19h). Sources: AMD Processor Programming
 * Reference (PPR) for Family 17h Models 31h (Zen 2), "Core Performance
 * Monitor Counters", and the PPR for Family 19h (Zen 3, Zen 4); the
 * encodings are those of Linux perf's pmu-events/arch/x86/amdzen2/ lists,
 * and of amdzen3/ and amdzen4/ for family 19h (zen_family_umasks).
 *   PMCx045 LsL1DTlbMiss: L1 DTLB misses by outcome in the L2 TLB, unit mask
 *     bits 0-3 an L2 TLB hit (4K, coalesced, 2M, 1G), bits 4-7 an L2 TLB
 *     miss, i.e. a page walk requested (4K, coalesced, 2M, 1G).
 *   PMCx046 LsTablewalker: page table walks, unit mask bits 0-1 the data
 *     side (Family 17h and 19h Zen 3; absent on Zen 4, so not a default).
 *   PMCx085 BpL1TlbMissL2TlbMiss: instruction fetches that missed both ITLB
 *     levels: unit mask FFH on family 17h as the Zen 2 list gives; on
 *     family 19h bits 0-3 are the page sizes (4K, 2M, 1G, coalesced) and
 *     the rest reserved, so all sizes are 0FH (amdzen3/amdzen4 lists). */
static const struct pmu_event zen_events[] = {
    {"ls_l1_d_tlb_miss.all_l2_miss", 0x045, 0xf0, true,
     "L1 DTLB misses that also missed the L2 TLB: walks (PPR PMCx045[7:4])", true},
    {"ls_l1_d_tlb_miss.all_l2_hit", 0x045, 0x0f, true,
     "L1 DTLB misses that hit the L2 TLB (PPR PMCx045[3:0])", false},
    {"bp_l1_tlb_miss_l2_tlb_miss", 0x085, 0xff, true,
     "code fetches that missed both ITLB levels (PPR PMCx085)", false},
    {"ls_tablewalker.dside", 0x046, 0x03, false,
     "data-side page table walks, Zen 1-3 (PPR PMCx046[1:0])", false},
};

#define AMD_FAMILY_ZEN3_ZEN4 0x19
static const struct pmu_family_umask zen_family_umasks[] = {
    {AMD_FAMILY_ZEN3_ZEN4, 0x085, 0x0f},
};

const struct pmu_uarch pmu_uarchs[] = {
    {"skylake", PMU_VENDOR_INTEL, skylake_events, ARRAY_SIZE(skylake_events), NULL, 0},
    {"zen", PMU_VENDOR_AMD, zen_events, ARRAY_SIZE(zen_events), zen_family_umasks,
     ARRAY_SIZE(zen_family_umasks)},
};
const unsigned pmu_uarch_count = ARRAY_SIZE(pmu_uarchs);

/* pmu=auto: which table a CPU gets (family and display model, CPUID.1). */
#define MODEL_ANY 0xffffffffu
static const struct {
	enum pmu_vendor vendor;
	u32 family, model;
	const char *uarch;
} auto_table[] = {
    /* SDM Vol. 4, Table 2-1 "CPUID Signature Values": 06_4EH, 06_5EH
     * Skylake; 06_55H Skylake-SP; 06_8EH, 06_9EH Kaby/Coffee Lake; 06_A5H,
     * 06_A6H Comet Lake. */
    {PMU_VENDOR_INTEL, 0x6, 0x4e, "skylake"}, {PMU_VENDOR_INTEL, 0x6, 0x5e, "skylake"},
    {PMU_VENDOR_INTEL, 0x6, 0x55, "skylake"}, {PMU_VENDOR_INTEL, 0x6, 0x8e, "skylake"},
    {PMU_VENDOR_INTEL, 0x6, 0x9e, "skylake"}, {PMU_VENDOR_INTEL, 0x6, 0xa5, "skylake"},
    {PMU_VENDOR_INTEL, 0x6, 0xa6, "skylake"}, {PMU_VENDOR_AMD, 0x17, MODEL_ANY, "zen"},
    {PMU_VENDOR_AMD, 0x19, MODEL_ANY, "zen"},
};

/* The event the probe counts: architectural "Instruction Retired" (SDM Vol.
 * 3B, 20.2.1.2, Table 20-1: C0H/00H), or "UnHalted Core Cycles" (3CH/00H)
 * where CPUID.0AH:EBX says the former is not there; AMD PMCx0C0 "Retired
 * Instructions" (PPR). */
#define INTEL_EV_INST_RETIRED 0xc0
#define INTEL_EV_CORE_CYCLES  0x3c
#define AMD_EV_RETIRED_INSN   0x0c0

/* Intel perfmon (SDM Vol. 3B, 20.2.2 "Architectural Performance Monitoring
 * Version 2"): bit n of IA32_PERF_GLOBAL_CTRL enables PMCn, bit n of
 * IA32_PERF_GLOBAL_STATUS is its overflow, a 1 in IA32_PERF_GLOBAL_OVF_CTRL
 * clears it. */
#define GLOBAL_PMC(n)            BIT(n)
#define INTEL_MIN_VERSION        2
#define INTEL_MIN_WIDTH          32
#define INTEL_MAX_WIDTH          64
#define AMD_COUNTER_WIDTH        48 /* APM Vol. 2, 13.2.1: PerfCtrn are 48 bits */
#define AMD_LEGACY_COUNTERS      4
#define AMD_EXT_COUNTERS         6
#define AMD_EXTFEAT_PERFCTR_CORE BIT(23) /* CPUID Fn8000_0001_ECX[23] PerfCtrExtCore */

const struct pmu_uarch *pmu_uarch_named(const char *name)
{
	for (unsigned i = 0; i < pmu_uarch_count; i++)
		if (strcmp(pmu_uarchs[i].name, name) == 0)
			return &pmu_uarchs[i];
	return NULL;
}

u8 pmu_event_umask(const struct pmu_uarch *u, const struct pmu_event *ev, u32 family)
{
	for (unsigned i = 0; i < u->family_umask_count; i++)
		if (u->family_umasks[i].family == family && u->family_umasks[i].event == ev->event)
			return u->family_umasks[i].umask;
	return ev->umask;
}

const struct pmu_event *pmu_event_named(const struct pmu_uarch *u, const char *name)
{
	for (unsigned i = 0; i < u->count; i++)
		if (strcmp(u->events[i].name, name) == 0)
			return &u->events[i];
	return NULL;
}

static const char *vendor_name(enum pmu_vendor v)
{
	return v == PMU_VENDOR_INTEL ? "Intel" : v == PMU_VENDOR_AMD ? "AMD" : "unknown";
}

/* ---- pmu= ---- */

#define EVENT_NAME_MAX 48

bool pmu_spec_parse(const char *text, struct pmu_spec *spec, char *why, size_t why_size)
{
	struct pmu_spec s = {.kind = PMU_SPEC_AUTO};
	if (!text || !*text || strcmp(text, "auto") == 0) {
		*spec = s;
		return true;
	}
	if (strcmp(text, "off") == 0) {
		s.kind = PMU_SPEC_OFF;
		*spec = s;
		return true;
	}
	const struct pmu_uarch *u = pmu_uarch_named(text);
	if (u) {
		s.kind = PMU_SPEC_UARCH;
		s.uarch = u;
		*spec = s;
		return true;
	}
	s.kind = PMU_SPEC_EVENTS;
	for (const char *p = text;; p++) {
		const char *end = p;
		while (*end && *end != ',')
			end++;
		size_t len = (size_t)(end - p);
		char name[EVENT_NAME_MAX];
		if (len == 0) {
			fmt_snprintf(why, why_size, "an empty event name in '%s'", text);
			return false;
		}
		if (len >= sizeof(name)) {
			fmt_snprintf(why, why_size,
			             "event name '%.*s...' longer than %u characters", 16, p,
			             (unsigned)sizeof(name) - 1);
			return false;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		const struct pmu_event *ev = NULL;
		const struct pmu_uarch *owner = NULL;
		for (unsigned i = 0; i < pmu_uarch_count && !ev; i++) {
			ev = pmu_event_named(&pmu_uarchs[i], name);
			owner = ev ? &pmu_uarchs[i] : NULL;
		}
		if (!ev && pmu_uarch_named(name)) {
			fmt_snprintf(why, why_size,
			             "'%s' is a table name, which cannot be part of an event list "
			             "(pmu=%s alone selects the table)",
			             name, name);
			return false;
		}
		if (!ev) {
			fmt_snprintf(
			    why, why_size,
			    "'%s' is not off, auto, a table (skylake, zen) or an event of one",
			    name);
			return false;
		}
		if (s.uarch && s.uarch != owner) {
			fmt_snprintf(why, why_size, "'%s' is a %s event, the list began with %s",
			             name, owner->name, s.uarch->name);
			return false;
		}
		s.uarch = owner;
		for (unsigned i = 0; i < s.count; i++)
			if (s.events[i] == ev) {
				fmt_snprintf(why, why_size, "event '%s' named twice", name);
				return false;
			}
		if (s.count == PMU_MAX_EVENTS) {
			fmt_snprintf(why, why_size, "more than %u events", PMU_MAX_EVENTS);
			return false;
		}
		s.events[s.count++] = ev;
		if (!*end)
			break;
		p = end;
	}
	*spec = s;
	return true;
}

/* ---- MSR access with named failures ---- */

static const char *msr_name(u32 msr, char *buf, size_t n)
{
	if (msr >= IA32_PERFEVTSEL0 && msr < IA32_PERFEVTSEL0 + PMU_MAX_EVENTS)
		fmt_snprintf(buf, n, "IA32_PERFEVTSEL%u (0x%x)", msr - IA32_PERFEVTSEL0, msr);
	else if (msr >= IA32_PMC0 && msr < IA32_PMC0 + PMU_MAX_EVENTS)
		fmt_snprintf(buf, n, "IA32_PMC%u (0x%x)", msr - IA32_PMC0, msr);
	else if (msr == IA32_PERF_GLOBAL_CTRL)
		fmt_snprintf(buf, n, "IA32_PERF_GLOBAL_CTRL (0x%x)", msr);
	else if (msr == IA32_PERF_GLOBAL_STATUS)
		fmt_snprintf(buf, n, "IA32_PERF_GLOBAL_STATUS (0x%x)", msr);
	else if (msr == IA32_PERF_GLOBAL_OVF_CTRL)
		fmt_snprintf(buf, n, "IA32_PERF_GLOBAL_OVF_CTRL (0x%x)", msr);
	else if (msr >= AMD_PERF_CTL0 && msr < AMD_PERF_CTL0 + 2 * AMD_EXT_COUNTERS)
		fmt_snprintf(buf, n, "%s%u (0x%x)",
		             (msr - AMD_PERF_CTL0) % 2 ? "PerfCtr" : "PerfEvtSel",
		             (msr - AMD_PERF_CTL0) / 2, msr);
	else if (msr >= AMD_PERF_LEGACY_CTL0 && msr < AMD_PERF_LEGACY_CTR0 + AMD_LEGACY_COUNTERS)
		fmt_snprintf(buf, n, "%s%u (0x%x)",
		             msr < AMD_PERF_LEGACY_CTR0 ? "PerfEvtSel" : "PerfCtr",
		             (msr - AMD_PERF_LEGACY_CTL0) % AMD_LEGACY_COUNTERS, msr);
	else
		fmt_snprintf(buf, n, "MSR 0x%x", msr);
	return buf;
}

static bool refuse_fault(struct pmu *p, u32 msr, int fault)
{
	char m[48];
	const char *f = p->ops->fault_name ? p->ops->fault_name((unsigned)fault - 1) : "a fault";
	fmt_snprintf(p->why, sizeof(p->why), "%s raised %s", msr_name(msr, m, sizeof(m)), f);
	return false;
}

static bool rd(struct pmu *p, u32 msr, u64 *v)
{
	int f = p->ops->rdmsr(p->ops->ctx, msr, v);
	return f ? refuse_fault(p, msr, f) : true;
}

static bool wr(struct pmu *p, u32 msr, u64 v)
{
	int f = p->ops->wrmsr(p->ops->ctx, msr, v);
	return f ? refuse_fault(p, msr, f) : true;
}

static u64 width_mask(u32 width)
{
	return width >= 64 ? ~0ULL : BIT(width) - 1;
}

static u64 encode(enum pmu_vendor v, u16 event, u8 umask)
{
	u64 sel = (event & PERFEVTSEL_EVENT_MASK) | ((u64)umask << PERFEVTSEL_UMASK_SHIFT) |
	          PERFEVTSEL_USR | PERFEVTSEL_OS;
	if (v == PMU_VENDOR_AMD)
		sel |= ((u64)(event >> 8) << AMD_PERFEVTSEL_EVENT_HI_SHIFT) &
		       AMD_PERFEVTSEL_EVENT_HI_MASK;
	return sel;
}

/* ---- Probe ---- */

/* Whether CPUID.0AH enumerates the architectural event of EBX bit `bit`: its
 * index must be below the EBX bit vector length, EAX[31:24], and its EBX bit
 * clear (SDM Vol. 2A, CPUID leaf 0AH; Vol. 3B, 20.2.1.2). A bit at or past
 * the length says nothing: the event is not enumerated. */
static bool intel_arch_event(const struct pmu_cpu *cpu, u32 bit)
{
	const u32 len = (cpu->leaf_a_eax & CPUID_A_EAX_EBX_LEN_MASK) >> CPUID_A_EAX_EBX_LEN_SHIFT;
	const u32 index = (u32)__builtin_ctz(bit);
	return index < len && !(cpu->leaf_a_ebx & bit);
}

static bool read_cpu(struct pmu *p, const struct pmu_cpu *cpu)
{
	if (cpu->vendor == PMU_VENDOR_INTEL) {
		p->version = cpu->leaf_a_eax & CPUID_A_EAX_VERSION_MASK;
		p->gp_counters =
		    (cpu->leaf_a_eax & CPUID_A_EAX_NUM_GP_MASK) >> CPUID_A_EAX_NUM_GP_SHIFT;
		p->width =
		    (cpu->leaf_a_eax & CPUID_A_EAX_GP_WIDTH_MASK) >> CPUID_A_EAX_GP_WIDTH_SHIFT;
		if (p->version == 0) {
			fmt_snprintf(p->why, sizeof(p->why),
			             "CPUID leaf 0xA reports no architectural perfmon (version 0)");
			return false;
		}
		if (p->version < INTEL_MIN_VERSION) {
			fmt_snprintf(p->why, sizeof(p->why),
			             "perfmon version %u < %u (no IA32_PERF_GLOBAL_CTRL)",
			             p->version, INTEL_MIN_VERSION);
			return false;
		}
		if (p->gp_counters == 0) {
			fmt_snprintf(
			    p->why, sizeof(p->why),
			    "CPUID leaf 0xA reports perfmon v%u with no general-purpose counters",
			    p->version);
			return false;
		}
		if (!intel_arch_event(cpu, CPUID_A_EBX_NO_INSTR_RETIRED) &&
		    !intel_arch_event(cpu, CPUID_A_EBX_NO_CORE_CYCLES)) {
			fmt_snprintf(
			    p->why, sizeof(p->why),
			    "CPUID leaf 0xA enumerates neither instructions retired nor core "
			    "cycles (EBX length %u, EBX 0x%x): nothing to probe with",
			    (unsigned)((cpu->leaf_a_eax & CPUID_A_EAX_EBX_LEN_MASK) >>
			               CPUID_A_EAX_EBX_LEN_SHIFT),
			    cpu->leaf_a_ebx);
			return false;
		}
		if (p->width < INTEL_MIN_WIDTH || p->width > INTEL_MAX_WIDTH) {
			fmt_snprintf(p->why, sizeof(p->why), "counter width %u bits outside %u..%u",
			             p->width, INTEL_MIN_WIDTH, INTEL_MAX_WIDTH);
			return false;
		}
		return true;
	}
	if (cpu->vendor == PMU_VENDOR_AMD) {
		p->amd_ext = cpu->ext_ecx & AMD_EXTFEAT_PERFCTR_CORE;
		p->gp_counters = p->amd_ext ? AMD_EXT_COUNTERS : AMD_LEGACY_COUNTERS;
		p->width = AMD_COUNTER_WIDTH;
		return true;
	}
	fmt_snprintf(p->why, sizeof(p->why), "the CPU is neither GenuineIntel nor AuthenticAMD");
	return false;
}

static const struct pmu_uarch *auto_uarch(const struct pmu_cpu *cpu)
{
	for (unsigned i = 0; i < ARRAY_SIZE(auto_table); i++)
		if (auto_table[i].vendor == cpu->vendor && auto_table[i].family == cpu->family &&
		    (auto_table[i].model == MODEL_ANY || auto_table[i].model == cpu->model))
			return pmu_uarch_named(auto_table[i].uarch);
	return NULL;
}

static bool choose_events(struct pmu *p, const struct pmu_spec *spec)
{
	const struct pmu_uarch *u = p->uarch;
	if (spec->kind == PMU_SPEC_EVENTS) {
		if (spec->count > p->gp_counters) {
			fmt_snprintf(p->why, sizeof(p->why),
			             "%u events asked, the CPU has %u counters", spec->count,
			             p->gp_counters);
			return false;
		}
		for (unsigned i = 0; i < spec->count; i++)
			p->c[p->count++].ev = spec->events[i];
		return true;
	}
	size_t n = 0;
	for (unsigned i = 0; i < u->count; i++) {
		if (!u->events[i].dflt)
			continue;
		if (p->count < p->gp_counters && p->count < PMU_MAX_EVENTS)
			p->c[p->count++].ev = &u->events[i];
		else if (n < sizeof(p->why))
			n += fmt_snprintf(
			    p->why + n, sizeof(p->why) - n, "%s%s",
			    n ? ", " : "left out for lack of counters: ", u->events[i].name);
	}
	return true;
}

static void assign_msrs(struct pmu *p)
{
	for (unsigned i = 0; i < p->count; i++) {
		struct pmu_counter *c = &p->c[i];
		if (p->vendor == PMU_VENDOR_INTEL) {
			c->sel_msr = IA32_PERFEVTSEL(i);
			c->ctr_msr = IA32_PMC(i);
		} else if (p->amd_ext) {
			c->sel_msr = AMD_PERF_CTL0 + 2 * i;
			c->ctr_msr = AMD_PERF_CTR0 + 2 * i;
		} else {
			c->sel_msr = AMD_PERF_LEGACY_CTL0 + i;
			c->ctr_msr = AMD_PERF_LEGACY_CTR0 + i;
		}
		c->umask = pmu_event_umask(p->uarch, c->ev, p->family);
		c->sel = encode(p->vendor, c->ev->event, c->umask);
		if (p->vendor == PMU_VENDOR_AMD)
			c->sel |= AMD_PERFEVTSEL_GUEST_ONLY; /* HostOnly stays clear */
	}
}

/* Every select written (not enabled) and read back, every counter written
 * and read; then counter 0 counts a known event over ops->run(). */
static bool probe(struct pmu *p, const struct pmu_cpu *cpu)
{
	const bool intel = p->vendor == PMU_VENDOR_INTEL;
	u64 v;
	char m[48];
	for (unsigned i = 0; i < p->count; i++) {
		struct pmu_counter *c = &p->c[i];
		if (!wr(p, c->sel_msr, c->sel) || !rd(p, c->sel_msr, &v))
			return false;
		if (v != c->sel) {
			fmt_snprintf(p->why, sizeof(p->why),
			             "%s read back 0x%llx after 0x%llx was written",
			             msr_name(c->sel_msr, m, sizeof(m)), v, c->sel);
			return false;
		}
		if (!wr(p, c->sel_msr, 0) || !wr(p, c->ctr_msr, 0) || !rd(p, c->ctr_msr, &v))
			return false;
	}
	if (intel && (!wr(p, IA32_PERF_GLOBAL_CTRL, 0) || !rd(p, IA32_PERF_GLOBAL_STATUS, &v) ||
	              !wr(p, IA32_PERF_GLOBAL_OVF_CTRL, width_mask(p->gp_counters))))
		return false;

	u16 event = AMD_EV_RETIRED_INSN;
	const char *what = "instructions retired";
	if (intel) {
		bool insn = intel_arch_event(cpu, CPUID_A_EBX_NO_INSTR_RETIRED);
		event = insn ? INTEL_EV_INST_RETIRED : INTEL_EV_CORE_CYCLES;
		what = insn ? "instructions retired" : "core cycles";
	}
	const struct pmu_counter *c0 = &p->c[0];
	u64 known = encode(p->vendor, event, 0) | PERFEVTSEL_EN;
	if (!wr(p, c0->ctr_msr, 0) || !wr(p, c0->sel_msr, known))
		return false;
	if (intel && !wr(p, IA32_PERF_GLOBAL_CTRL, GLOBAL_PMC(0)))
		return false;
	p->ops->run(p->ops->ctx);
	if (intel && !wr(p, IA32_PERF_GLOBAL_CTRL, 0))
		return false;
	if (!rd(p, c0->ctr_msr, &v) || !wr(p, c0->sel_msr, 0) || !wr(p, c0->ctr_msr, 0))
		return false;
	if ((v & width_mask(p->width)) == 0) {
		fmt_snprintf(p->why, sizeof(p->why),
		             "counter did not advance: %s counted 0 %s over a known loop",
		             msr_name(c0->ctr_msr, m, sizeof(m)), what);
		return false;
	}
	return true;
}

bool pmu_init(struct pmu *p, const struct pmu_ops *ops, const struct pmu_cpu *cpu,
              const struct pmu_spec *spec)
{
	memset(p, 0, sizeof(*p));
	p->ops = ops;
	p->vendor = cpu->vendor;
	p->family = cpu->family;
	if (spec->kind == PMU_SPEC_OFF) {
		p->off = true;
		fmt_snprintf(p->why, sizeof(p->why), "off (pmu=off)");
		return false;
	}
	p->uarch = spec->kind == PMU_SPEC_AUTO ? auto_uarch(cpu) : spec->uarch;
	if (!p->uarch) {
		fmt_snprintf(p->why, sizeof(p->why),
		             "no event table for %s family 0x%x model 0x%x (pmu=skylake or pmu=zen "
		             "forces one)",
		             vendor_name(cpu->vendor), cpu->family, cpu->model);
		return false;
	}
	if (p->uarch->vendor != cpu->vendor) {
		fmt_snprintf(p->why, sizeof(p->why), "the %s events are %s's, this CPU is %s",
		             p->uarch->name, vendor_name(p->uarch->vendor),
		             vendor_name(cpu->vendor));
		return false;
	}
	if (!read_cpu(p, cpu) || !choose_events(p, spec))
		return false;
	assign_msrs(p);
	char left_out[PMU_WHY_SIZE];
	memcpy(left_out, p->why, sizeof(left_out));
	if (!probe(p, cpu)) {
		p->count = 0;
		return false;
	}
	memcpy(p->why, left_out, sizeof(p->why));
	p->active = true;
	return true;
}

/* ---- Guest-only counting on VT-x ---- */

bool pmu_vmx_guest_only(struct pmu *p, u64 entry_ctl_msr, u64 exit_ctl_msr, bool true_ctls,
                        struct pmu_vmx_ctrl *out)
{
	/* SDM Vol. 3C, Table 25-13 (VM-exit controls) and Table 25-15
	 * (VM-entry controls); a control may be 1 when its bit is set in bits
	 * 63:32 of the capability MSR (Appendix A.4, A.5). */
	const u32 exit_bit = EXIT_LOAD_IA32_PERF_GLOBAL_CTRL;
	const u32 entry_bit = ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;
	memset(out, 0, sizeof(*out));
	if (!p->active || p->vendor != PMU_VENDOR_INTEL)
		return false;
	const char *which = NULL;
	if (!((u32)(entry_ctl_msr >> 32) & entry_bit))
		which = true_ctls
		            ? "VM-entry control 'load IA32_PERF_GLOBAL_CTRL' is not allowed by "
		              "IA32_VMX_TRUE_ENTRY_CTLS (0x490)"
		            : "VM-entry control 'load IA32_PERF_GLOBAL_CTRL' is not allowed by "
		              "IA32_VMX_ENTRY_CTLS (0x484)";
	else if (!((u32)(exit_ctl_msr >> 32) & exit_bit))
		which = true_ctls
		            ? "VM-exit control 'load IA32_PERF_GLOBAL_CTRL' is not allowed by "
		              "IA32_VMX_TRUE_EXIT_CTLS (0x48f)"
		            : "VM-exit control 'load IA32_PERF_GLOBAL_CTRL' is not allowed by "
		              "IA32_VMX_EXIT_CTLS (0x483)";
	if (which) {
		fmt_snprintf(p->why, sizeof(p->why), "%s: no guest-only counting", which);
		p->active = false;
		return false;
	}
	out->entry_ctls = entry_bit;
	out->exit_ctls = exit_bit;
	for (unsigned i = 0; i < p->count; i++)
		out->guest_global_ctrl |= GLOBAL_PMC(i);
	out->host_global_ctrl = 0; /* the host never counts */
	return true;
}

/* ---- Counting ---- */

void pmu_start(struct pmu *p)
{
	if (!p->active)
		return;
	const bool intel = p->vendor == PMU_VENDOR_INTEL;
	if (intel)
		wr(p, IA32_PERF_GLOBAL_CTRL, 0);
	for (unsigned i = 0; i < p->count; i++) {
		struct pmu_counter *c = &p->c[i];
		c->total = c->start = c->overflows = 0;
		if (!wr(p, c->sel_msr, 0) || !wr(p, c->ctr_msr, 0) ||
		    !wr(p, c->sel_msr, c->sel | PERFEVTSEL_EN)) {
			p->active = false;
			return;
		}
	}
	if (intel)
		wr(p, IA32_PERF_GLOBAL_OVF_CTRL, width_mask(p->gp_counters));
}

/* delta = raw - start modulo 2^width; a set overflow flag with raw >= start
 * means the counter went all the way round once more. Exact as long as a
 * counter wraps at most once between samples (2^48 events on AMD; at least
 * 2^32 on Intel). */
void pmu_sample(struct pmu *p)
{
	if (!p->active)
		return;
	const bool intel = p->vendor == PMU_VENDOR_INTEL;
	const u64 mask = width_mask(p->width);
	u64 status = 0, clear = 0;
	if (intel && !rd(p, IA32_PERF_GLOBAL_STATUS, &status)) {
		p->active = false;
		return;
	}
	for (unsigned i = 0; i < p->count; i++) {
		struct pmu_counter *c = &p->c[i];
		u64 raw;
		if (!rd(p, c->ctr_msr, &raw)) {
			p->active = false;
			return;
		}
		raw &= mask;
		u64 delta = (raw - c->start) & mask;
		bool wrapped = intel ? (status & GLOBAL_PMC(i)) != 0 : raw < c->start;
		if (wrapped) {
			c->overflows++;
			clear |= GLOBAL_PMC(i);
			if (intel && raw >= c->start && mask != ~0ULL)
				delta += mask + 1;
		}
		c->total += delta;
		c->start = raw;
	}
	if (intel && clear)
		wr(p, IA32_PERF_GLOBAL_OVF_CTRL, clear);
}

void pmu_stop(struct pmu *p)
{
	if (!p->active)
		return;
	for (unsigned i = 0; i < p->count; i++)
		if (!wr(p, p->c[i].sel_msr, p->c[i].sel)) {
			p->active = false;
			return;
		}
}

bool pmu_data_walks(const struct pmu *p, u64 *walks)
{
	u64 sum = 0;
	if (!p->uarch)
		return false;
	for (unsigned e = 0; e < p->uarch->count; e++) {
		const struct pmu_event *ev = &p->uarch->events[e];
		if (!ev->data_walk)
			continue;
		unsigned i = 0;
		while (i < p->count && p->c[i].ev != ev)
			i++;
		if (i == p->count)
			return false;
		sum += p->c[i].total;
	}
	*walks = sum;
	return true;
}

int pmu_format_counts(const struct pmu *p, char *buf, size_t size)
{
	int n = 0;
	if (size)
		buf[0] = '\0';
	for (unsigned i = 0; i < p->count; i++)
		n += fmt_snprintf(buf + ((size_t)n < size ? (size_t)n : size),
		                  (size_t)n < size ? size - (size_t)n : 0, "%s%s=%llu",
		                  i ? " " : "", p->c[i].ev->name, p->c[i].total);
	return n;
}

void pmu_print(const struct pmu *p)
{
	if (p->off) {
		con_printf("pmu: off (pmu=off): RESULT lines come from the model only\n");
		return;
	}
	if (!p->active) {
		con_printf("pmu: refused: %s; RESULT lines come from the model only\n", p->why);
		return;
	}
	if (p->vendor == PMU_VENDOR_INTEL)
		con_printf(
		    "pmu: %s events on Intel perfmon v%u, %u of %u %u-bit counters, guest mode "
		    "only\n",
		    p->uarch->name, p->version, p->count, p->gp_counters, p->width);
	else
		con_printf("pmu: %s events on AMD %s core counters, %u of %u, guest mode only\n",
		           p->uarch->name, p->amd_ext ? "PerfCtrExtCore" : "legacy", p->count,
		           p->gp_counters);
	for (unsigned i = 0; i < p->count; i++)
		con_printf("pmu: counter %u: %s (event 0x%x umask 0x%02x): %s\n", i,
		           p->c[i].ev->name, p->c[i].ev->event, p->c[i].umask, p->c[i].ev->what);
	if (p->why[0])
		con_printf("pmu: %s\n", p->why);
}

static struct pmu the_pmu;

struct pmu *pmu_current(void)
{
	return &the_pmu;
}
