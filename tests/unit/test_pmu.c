/* arch/x86/pmu: the PMU driver over a fake MSR space. The expected event
 * encodings are written from the manuals (Intel's Skylake perfmon list, the
 * SDM's PERFEVTSEL layout, AMD's PPR PMCx045/046/085 and the APM's
 * PerfEvtSel layout), not from the driver's table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/msr.h"
#include "arch/x86/pmu.h"
#include "arch/x86/vmx_defs.h"
#include "hv/config.h"
#include "lib/console.h"

#define VEC_GP       13
#define FAKE_MSRS    64
#define FAKE_ADVANCE 1000 /* events a counter gains per run() */

/* ---- The fake MSR space ---- */

struct fake_msr {
	u32 index;
	u64 value;
};

struct fake {
	bool intel;
	struct fake_msr m[FAKE_MSRS];
	unsigned n;
	bool fault_all;   /* every MSR raises #GP (Bochs with ignore_bad_msrs=0) */
	u32 fault_only;   /* this MSR alone raises #GP (0: none) */
	bool drop_writes; /* writes are dropped, reads give 0 (QEMU TCG) */
	u64 advance;      /* what run() adds to each enabled counter */
	unsigned gp;      /* counters */
	u32 sel0, ctr0;   /* first select and counter MSR */
	unsigned stride;  /* between successive selects */
	unsigned writes;  /* successful WRMSRs */
};

static struct fake_msr *find(struct fake *f, u32 msr)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i].index == msr)
			return &f->m[i];
	return NULL;
}

static void add(struct fake *f, u32 msr)
{
	assert_true(f->n < FAKE_MSRS);
	f->m[f->n++] = (struct fake_msr){.index = msr};
}

static int fake_rdmsr(void *ctx, u32 msr, u64 *v)
{
	struct fake *f = ctx;
	struct fake_msr *m = find(f, msr);
	if (f->fault_all || msr == f->fault_only || !m)
		return VEC_GP + 1;
	*v = f->drop_writes ? 0 : m->value;
	return 0;
}

static int fake_wrmsr(void *ctx, u32 msr, u64 v)
{
	struct fake *f = ctx;
	struct fake_msr *m = find(f, msr);
	if (f->fault_all || msr == f->fault_only || !m)
		return VEC_GP + 1;
	f->writes++;
	if (f->drop_writes)
		return 0;
	if (f->intel && msr == IA32_PERF_GLOBAL_OVF_CTRL) {
		find(f, IA32_PERF_GLOBAL_STATUS)->value &= ~v; /* a 1 clears (SDM 20.2.2) */
		return 0;
	}
	m->value = v;
	return 0;
}

/* Enabled counters count: Intel needs EN and the IA32_PERF_GLOBAL_CTRL bit
 * (SDM 20.2.2), AMD needs EN. */
static void fake_run(void *ctx)
{
	struct fake *f = ctx;
	for (unsigned i = 0; i < f->gp; i++) {
		u64 sel = find(f, f->sel0 + f->stride * i)->value;
		bool on = sel & PERFEVTSEL_EN;
		if (f->intel)
			on = on && (find(f, IA32_PERF_GLOBAL_CTRL)->value & BIT(i));
		if (on)
			find(f, f->ctr0 + f->stride * i)->value += f->advance;
	}
}

static const char *fake_fault_name(unsigned vector)
{
	return vector == VEC_GP ? "#GP" : "another fault";
}

static struct fake fk;
static const struct pmu_ops fake_ops = {
    .rdmsr = fake_rdmsr,
    .wrmsr = fake_wrmsr,
    .run = fake_run,
    .fault_name = fake_fault_name,
    .ctx = &fk,
};

/* CPUID.0AH:EAX: version, counters, width, and the EBX bit vector length in
 * 31:24 (SDM Vol. 2A, CPUID leaf 0AH): 7 architectural events, as Bochs'
 * skylake_x (EAX 0x07300404) and Skylake itself report. */
#define LEAF_A_EBX_LEN 7
static u32 leaf_a(u32 version, u32 counters, u32 width)
{
	return version | counters << 8 | width << 16 | (u32)LEAF_A_EBX_LEN << 24;
}

/* An Intel PMU with `gp` working counters. */
static struct pmu_cpu intel_fake(unsigned gp, u32 version, u32 width)
{
	memset(&fk, 0, sizeof(fk));
	fk.intel = true;
	fk.gp = gp;
	fk.sel0 = IA32_PERFEVTSEL0;
	fk.ctr0 = IA32_PMC0;
	fk.stride = 1;
	fk.advance = FAKE_ADVANCE;
	for (unsigned i = 0; i < gp; i++) {
		add(&fk, IA32_PERFEVTSEL0 + i);
		add(&fk, IA32_PMC0 + i);
	}
	add(&fk, IA32_PERF_GLOBAL_CTRL);
	add(&fk, IA32_PERF_GLOBAL_STATUS);
	add(&fk, IA32_PERF_GLOBAL_OVF_CTRL);
	/* Skylake-SP, as Bochs' corei7_skylake_x reports it: 06_55H. */
	return (struct pmu_cpu){.vendor = PMU_VENDOR_INTEL,
	                        .family = 6,
	                        .model = 0x55,
	                        .leaf_a_eax = leaf_a(version, gp, width)};
}

/* An AMD Zen 2 (family 17h) PMU, with or without PerfCtrExtCore. */
static struct pmu_cpu amd_fake(bool ext)
{
	memset(&fk, 0, sizeof(fk));
	fk.gp = ext ? 6 : 4;
	fk.sel0 = ext ? 0xc0010200 : 0xc0010000; /* APM Vol. 2, 13.2; PPR MSRC001_0200 */
	fk.ctr0 = ext ? 0xc0010201 : 0xc0010004;
	fk.stride = ext ? 2 : 1;
	fk.advance = FAKE_ADVANCE;
	for (unsigned i = 0; i < fk.gp; i++) {
		add(&fk, fk.sel0 + fk.stride * i);
		add(&fk, fk.ctr0 + fk.stride * i);
	}
	return (struct pmu_cpu){.vendor = PMU_VENDOR_AMD,
	                        .family = 0x17,
	                        .model = 0x31,
	                        .ext_ecx = ext ? 1u << 23 : 0}; /* Fn8000_0001_ECX[23] */
}

static struct pmu_spec spec_of(const char *text)
{
	struct pmu_spec s;
	char why[PMU_WHY_SIZE];
	assert_true(pmu_spec_parse(text, &s, why, sizeof(why)));
	return s;
}

static u64 msr(u32 index)
{
	struct fake_msr *m = find(&fk, index);
	assert_non_null(m);
	return m->value;
}

/* ---- Event encodings ---- */

struct want_event {
	const char *name;
	u16 event;
	u8 umask;
};

/* Intel's Skylake perfmon list (SDM Vol. 3B ch. 20): DTLB_LOAD_MISSES is
 * 08H with WALK_COMPLETED 0EH, WALK_PENDING 10H, STLB_HIT 20H;
 * DTLB_STORE_MISSES.WALK_COMPLETED 49H/0EH; ITLB_MISSES.WALK_COMPLETED
 * 85H/0EH; EPT.WALK_PENDING 4FH/10H. */
static const struct want_event skylake_want[] = {
    {"dtlb_load_misses.walk_completed", 0x08, 0x0e},
    {"dtlb_load_misses.walk_pending", 0x08, 0x10},
    {"dtlb_load_misses.stlb_hit", 0x08, 0x20},
    {"dtlb_store_misses.walk_completed", 0x49, 0x0e},
    {"itlb_misses.walk_completed", 0x85, 0x0e},
    {"ept.walk_pending", 0x4f, 0x10},
};
/* AMD PPR, Family 17h: PMCx045 unit mask bits 0-3 L2 TLB hits, 4-7 L2 TLB
 * misses; PMCx046[1:0] data-side walks; PMCx085 FFH. */
static const struct want_event zen_want[] = {
    {"ls_l1_d_tlb_miss.all_l2_miss", 0x45, 0xf0},
    {"ls_l1_d_tlb_miss.all_l2_hit", 0x45, 0x0f},
    {"ls_tablewalker.dside", 0x46, 0x03},
    {"bp_l1_tlb_miss_l2_tlb_miss", 0x85, 0xff},
};

static void check_table(const char *uarch, const struct want_event *want, unsigned n)
{
	const struct pmu_uarch *u = pmu_uarch_named(uarch);
	assert_non_null(u);
	assert_int_equal(u->count, n);
	for (unsigned i = 0; i < n; i++) {
		const struct pmu_event *e = pmu_event_named(u, want[i].name);
		assert_non_null(e);
		assert_int_equal(e->event, want[i].event);
		assert_int_equal(e->umask, want[i].umask);
	}
}

static void test_encodings(void **state)
{
	(void)state;
	check_table("skylake", skylake_want, sizeof(skylake_want) / sizeof(skylake_want[0]));
	check_table("zen", zen_want, sizeof(zen_want) / sizeof(zen_want[0]));
	assert_null(pmu_uarch_named("haswell"));
}

/* The PERFEVTSEL value: event in 7:0, umask in 15:8, USR bit 16, OS bit 17
 * (SDM Figure 20-1); EN (bit 22) only when counting starts. */
static void test_intel_select_values(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	struct pmu_spec s = spec_of("auto");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_string_equal(p.uarch->name, "skylake");
	assert_int_equal(p.count, 4);
	/* The defaults, in table order. */
	assert_string_equal(p.c[0].ev->name, "dtlb_load_misses.walk_completed");
	assert_int_equal(p.c[0].sel, 0x30e08);
	assert_int_equal(p.c[1].sel, 0x30e49);
	assert_int_equal(p.c[2].sel, 0x30e85);
	assert_int_equal(p.c[3].sel, 0x3104f);
	assert_int_equal(p.c[3].sel_msr, 0x189);
	assert_int_equal(p.c[3].ctr_msr, 0xc4);
	assert_string_equal(p.why, "");
	/* The probe leaves everything stopped. */
	assert_int_equal(msr(IA32_PERF_GLOBAL_CTRL), 0);
	assert_int_equal(msr(IA32_PERFEVTSEL0), 0);
}

static void test_amd_select_values(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = amd_fake(true);
	struct pmu_spec s = spec_of("auto");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_string_equal(p.uarch->name, "zen");
	assert_true(p.amd_ext);
	assert_int_equal(p.count, 3);
	/* 045H/F0H, USR, OS, GuestOnly (bit 40), HostOnly (bit 41) clear. */
	assert_int_equal(p.c[0].sel, 0x1000003f045ULL);
	assert_int_equal(p.c[0].sel_msr, 0xc0010200);
	assert_int_equal(p.c[0].ctr_msr, 0xc0010201);
	assert_int_equal(p.c[1].sel_msr, 0xc0010202);
	assert_int_equal(p.c[2].sel, 0x1000003ff85ULL);

	cpu = amd_fake(false);
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_false(p.amd_ext);
	assert_int_equal(p.c[1].sel_msr, 0xc0010001);
	assert_int_equal(p.c[1].ctr_msr, 0xc0010005);

	/* Family 19h (Zen 3, Zen 4): PMCx085's unit mask has the page sizes in
	 * bits 0-3 and reserves the rest, so all sizes are 0FH (PPR for family
	 * 19h; Linux perf amdzen3/amdzen4 bp_l1_tlb_miss_l2_tlb_miss.all);
	 * PMCx045 keeps F0H and 0FH. */
	cpu = amd_fake(true);
	cpu.family = 0x19;
	cpu.model = 0x21; /* Zen 3 (Vermeer) */
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_string_equal(p.uarch->name, "zen");
	assert_int_equal(p.c[0].sel, 0x1000003f045ULL);
	assert_int_equal(p.c[1].sel, 0x10000030f45ULL);
	assert_int_equal(p.c[2].sel, 0x10000030f85ULL);
	assert_int_equal(p.c[2].umask, 0x0f);
	/* The same by name, and with the table forced. */
	s = spec_of("bp_l1_tlb_miss_l2_tlb_miss");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_int_equal(p.c[0].sel, 0x10000030f85ULL);
	cpu.model = 0x61; /* Zen 4 (Raphael) */
	s = spec_of("zen");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_int_equal(p.c[2].sel, 0x10000030f85ULL);
	/* Family 17h keeps the Zen 2 list's FFH. */
	cpu.family = 0x17;
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_int_equal(p.c[2].sel, 0x1000003ff85ULL);
}

/* ---- Guest-only programming ---- */

static void test_vmx_guest_only(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	struct pmu_spec s = spec_of("skylake");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	/* Both controls allowed (bits 63:32 of the capability MSRs). */
	u64 entry = (u64)(ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL | ENTRY_LOAD_IA32_EFER) << 32;
	u64 exit = (u64)EXIT_LOAD_IA32_PERF_GLOBAL_CTRL << 32;
	struct pmu_vmx_ctrl c;
	assert_true(pmu_vmx_guest_only(&p, entry, exit, true, &c));
	assert_int_equal(c.entry_ctls, 1u << 13);
	assert_int_equal(c.exit_ctls, 1u << 12);
	assert_int_equal(c.guest_global_ctrl, 0xf); /* PMC0-3 */
	assert_int_equal(c.host_global_ctrl, 0);    /* the host never counts */

	pmu_start(&p);
	/* Selects enabled, but the host's IA32_PERF_GLOBAL_CTRL stays 0: only
	 * the VM-entry load turns them on. */
	assert_int_equal(msr(IA32_PERFEVTSEL0), 0x30e08 | PERFEVTSEL_EN);
	assert_int_equal(msr(IA32_PERF_GLOBAL_CTRL), 0);
	fake_run(&fk); /* host mode: nothing counts */
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, 0);
	/* Guest mode: VM entry loads the guest value. */
	find(&fk, IA32_PERF_GLOBAL_CTRL)->value = c.guest_global_ctrl;
	fake_run(&fk);
	find(&fk, IA32_PERF_GLOBAL_CTRL)->value = c.host_global_ctrl;
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, FAKE_ADVANCE);
	assert_int_equal(p.c[3].total, FAKE_ADVANCE);

	/* The capability absent: refused with the MSR named, PMU off. */
	assert_false(pmu_vmx_guest_only(&p, 0, exit, true, &c));
	assert_false(p.active);
	assert_non_null(strstr(p.why, "VM-entry control 'load IA32_PERF_GLOBAL_CTRL' is not "
	                              "allowed by IA32_VMX_TRUE_ENTRY_CTLS (0x490)"));
	assert_int_equal(c.entry_ctls, 0);
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_false(pmu_vmx_guest_only(&p, entry, 0, false, &c));
	assert_non_null(strstr(p.why, "IA32_VMX_EXIT_CTLS (0x483)"));

	/* No VMX programming for an AMD PMU (it counts guest-only by bit 40). */
	cpu = amd_fake(true);
	s = spec_of("zen");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_false(pmu_vmx_guest_only(&p, entry, exit, true, &c));
	assert_true(p.active);
}

static void test_svm_guest_only(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = amd_fake(true);
	struct pmu_spec s = spec_of("zen");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	for (unsigned i = 0; i < p.count; i++) {
		u64 sel = msr(0xc0010200 + 2 * i);
		assert_true(sel & (1ULL << 40));  /* GuestOnly */
		assert_false(sel & (1ULL << 41)); /* HostOnly */
		assert_true(sel & PERFEVTSEL_EN);
	}
}

/* ---- Probe refusals ---- */

static void refused(struct pmu_cpu cpu, const char *spec, const char *why)
{
	struct pmu p;
	struct pmu_spec s = spec_of(spec);
	assert_false(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_false(p.active);
	assert_string_equal(p.why, why);
}

static void test_probe_refusals(void **state)
{
	(void)state;
	/* Bochs: CPUID claims v4, every PMU MSR raises #GP. */
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	fk.fault_all = true;
	refused(cpu, "auto", "IA32_PERFEVTSEL0 (0x186) raised #GP");
	cpu = intel_fake(4, 4, 48);
	fk.fault_only = IA32_PERF_GLOBAL_CTRL;
	refused(cpu, "auto", "IA32_PERF_GLOBAL_CTRL (0x38f) raised #GP");
	cpu = intel_fake(4, 4, 48);
	fk.fault_only = IA32_PMC0 + 2;
	refused(cpu, "auto", "IA32_PMC2 (0xc3) raised #GP");
	/* MSRs answer, but the known event never counts. */
	cpu = intel_fake(4, 4, 48);
	fk.advance = 0;
	refused(cpu, "auto",
	        "counter did not advance: IA32_PMC0 (0xc1) counted 0 instructions retired over a "
	        "known loop");
	/* Perfmon v1 has no IA32_PERF_GLOBAL_CTRL, hence nothing for VM entry to load. */
	cpu = intel_fake(4, 1, 48);
	refused(cpu, "auto", "perfmon version 1 < 2 (no IA32_PERF_GLOBAL_CTRL)");
	assert_int_equal(fk.writes, 0); /* refused before any MSR was touched */
	/* QEMU TCG: CPUID.0AH = 0. */
	cpu = intel_fake(4, 0, 0);
	cpu.leaf_a_eax = 0;
	refused(cpu, "auto", "CPUID leaf 0xA reports no architectural perfmon (version 0)");
	/* QEMU TCG, AMD: writes dropped, reads 0. */
	cpu = amd_fake(false);
	fk.drop_writes = true;
	refused(cpu, "zen",
	        "PerfEvtSel0 (0xc0010000) read back 0x0 after 0x1000003f045 was written");
	/* Tables and vendors. */
	cpu = intel_fake(4, 4, 48);
	refused(cpu, "zen", "the zen events are AMD's, this CPU is Intel");
	cpu.model = 0x3c; /* Haswell: no table */
	refused(
	    cpu, "auto",
	    "no event table for Intel family 0x6 model 0x3c (pmu=skylake or pmu=zen forces one)");
	cpu = intel_fake(2, 4, 48);
	refused(cpu, "dtlb_load_misses.walk_completed,ept.walk_pending,dtlb_load_misses.stlb_hit",
	        "3 events asked, the CPU has 2 counters");
	cpu = intel_fake(4, 4, 16);
	refused(cpu, "auto", "counter width 16 bits outside 32..64");

	struct pmu p;
	struct pmu_spec s = spec_of("off");
	cpu = intel_fake(4, 4, 48);
	assert_false(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_true(p.off);
	assert_int_equal(fk.writes, 0);
}

/* Which architectural event the probe counts: EBX bit n means "event n not
 * available" only for n below EAX[31:24] (SDM Vol. 2A, CPUID leaf 0AH);
 * past the length the event is not enumerated, whatever EBX holds. */
static const char *probe_event(u32 ebx_len, u32 ebx)
{
	struct pmu p;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	cpu.leaf_a_eax = (cpu.leaf_a_eax & 0x00ffffffu) | ebx_len << 24;
	cpu.leaf_a_ebx = ebx;
	fk.advance = 0; /* the refusal names the event tried */
	struct pmu_spec s = spec_of("auto");
	assert_false(pmu_init(&p, &fake_ops, &cpu, &s));
	static char why[PMU_WHY_SIZE];
	memcpy(why, p.why, sizeof(why));
	return why;
}

static void test_arch_event_length(void **state)
{
	(void)state;
	const char *insn = "counter did not advance: IA32_PMC0 (0xc1) counted 0 instructions "
	                   "retired over a known loop";
	const char *cycles = "counter did not advance: IA32_PMC0 (0xc1) counted 0 core cycles "
	                     "over a known loop";
	assert_string_equal(probe_event(7, 0), insn);
	assert_string_equal(probe_event(7, BIT(1)), cycles); /* instructions retired absent */
	assert_string_equal(probe_event(2, 0), insn);
	/* Length 1: only core cycles enumerated; EBX bit 1 clear means nothing. */
	assert_string_equal(probe_event(1, 0), cycles);
	/* Length 1 and a bit 1 set past it: still core cycles, not a refusal. */
	assert_string_equal(probe_event(1, BIT(1)), cycles);
	/* Neither event enumerated: refused before any MSR is touched. */
	assert_string_equal(probe_event(0, 0),
	                    "CPUID leaf 0xA enumerates neither instructions retired nor core "
	                    "cycles (EBX length 0, EBX 0x0): nothing to probe with");
	assert_int_equal(fk.writes, 0);
	assert_string_equal(probe_event(7, BIT(0) | BIT(1)),
	                    "CPUID leaf 0xA enumerates neither instructions retired nor core "
	                    "cycles (EBX length 7, EBX 0x3): nothing to probe with");
	/* With the event there, the probe passes and counts it: C0H. */
	struct pmu p;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	struct pmu_spec s = spec_of("auto");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
}

static void test_fewer_counters(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = intel_fake(2, 2, 40);
	struct pmu_spec s = spec_of("skylake");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_int_equal(p.count, 2);
	assert_string_equal(p.why, "left out for lack of counters: itlb_misses.walk_completed, "
	                           "ept.walk_pending");
	s = spec_of("ept.walk_pending");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	assert_int_equal(p.count, 1);
	assert_int_equal(p.c[0].sel, 0x3104f);
}

/* ---- Overflow ---- */

static void test_intel_overflow(void **state)
{
	(void)state;
	struct pmu p;
	const u64 wrap = 1ULL << 48;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	struct pmu_spec s = spec_of("skylake");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	find(&fk, IA32_PMC0)->value = wrap - 5;
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, wrap - 5);
	/* Wrapped past zero to 7: the overflow flag is set and must be cleared. */
	find(&fk, IA32_PMC0)->value = 7;
	find(&fk, IA32_PERF_GLOBAL_STATUS)->value = BIT(0);
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, wrap + 7);
	assert_int_equal(p.c[0].overflows, 1);
	assert_int_equal(msr(IA32_PERF_GLOBAL_STATUS), 0);
	/* A whole round and 3 more between samples: 7 -> 10 with the flag. */
	find(&fk, IA32_PMC0)->value = 10;
	find(&fk, IA32_PERF_GLOBAL_STATUS)->value = BIT(0) | BIT(2);
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, 2 * wrap + 10);
	assert_int_equal(p.c[2].overflows, 1);
	assert_int_equal(p.c[2].total, wrap); /* PMC2 went round once, back to 0 */
	assert_int_equal(msr(IA32_PERF_GLOBAL_STATUS), 0);
	/* Totals restart at pmu_start. */
	pmu_start(&p);
	assert_int_equal(p.c[0].total, 0);
	assert_int_equal(msr(IA32_PMC0), 0);
}

static void test_amd_wrap(void **state)
{
	(void)state;
	struct pmu p;
	const u64 wrap = 1ULL << 48; /* PerfCtrn are 48 bits (APM 13.2.1) */
	struct pmu_cpu cpu = amd_fake(true);
	struct pmu_spec s = spec_of("zen");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	find(&fk, 0xc0010201)->value = wrap - 3;
	pmu_sample(&p);
	find(&fk, 0xc0010201)->value = 4;
	pmu_sample(&p);
	assert_int_equal(p.c[0].total, wrap + 4);
	assert_int_equal(p.c[0].overflows, 1);
}

static void test_format_counts(void **state)
{
	(void)state;
	struct pmu p;
	struct pmu_cpu cpu = amd_fake(true);
	struct pmu_spec s = spec_of("ls_l1_d_tlb_miss.all_l2_miss,ls_tablewalker.dside");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	fake_run(&fk);
	pmu_sample(&p);
	char buf[128];
	pmu_format_counts(&p, buf, sizeof(buf));
	assert_string_equal(buf, "ls_l1_d_tlb_miss.all_l2_miss=1000 ls_tablewalker.dside=1000");
}

/* tlb_misses= on a source=pmu line: the load and store walks completed on
 * Skylake, PMCx045's L2 TLB misses on Zen; none when one of them is not
 * counted, rather than a partial sum. */
static void test_data_walks(void **state)
{
	(void)state;
	struct pmu p;
	u64 w = 7;
	struct pmu_cpu cpu = intel_fake(4, 4, 48);
	struct pmu_spec s = spec_of("skylake");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	find(&fk, IA32_PMC0)->value = 30;       /* dtlb_load_misses.walk_completed */
	find(&fk, IA32_PMC0 + 1)->value = 12;   /* dtlb_store_misses.walk_completed */
	find(&fk, IA32_PMC0 + 2)->value = 1000; /* itlb: code, not data */
	pmu_sample(&p);
	assert_true(pmu_data_walks(&p, &w));
	assert_int_equal(w, 42);
	s = spec_of("dtlb_load_misses.walk_completed,ept.walk_pending");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	w = 7;
	assert_false(pmu_data_walks(&p, &w));
	assert_int_equal(w, 7);
	cpu = amd_fake(true);
	s = spec_of("zen");
	assert_true(pmu_init(&p, &fake_ops, &cpu, &s));
	pmu_start(&p);
	find(&fk, 0xc0010201)->value = 55; /* ls_l1_d_tlb_miss.all_l2_miss */
	pmu_sample(&p);
	assert_true(pmu_data_walks(&p, &w));
	assert_int_equal(w, 55);
}

/* ---- pmu= ---- */

static void bad_spec(const char *text, const char *why)
{
	struct pmu_spec s = {.kind = PMU_SPEC_UARCH};
	char got[PMU_WHY_SIZE];
	assert_false(pmu_spec_parse(text, &s, got, sizeof(got)));
	assert_string_equal(got, why);
	assert_int_equal(s.kind, PMU_SPEC_UARCH); /* untouched */
}

static void test_spec(void **state)
{
	(void)state;
	assert_int_equal(spec_of("off").kind, PMU_SPEC_OFF);
	assert_int_equal(spec_of("auto").kind, PMU_SPEC_AUTO);
	assert_int_equal(spec_of("").kind, PMU_SPEC_AUTO);
	struct pmu_spec s = spec_of("zen");
	assert_int_equal(s.kind, PMU_SPEC_UARCH);
	assert_string_equal(s.uarch->name, "zen");
	s = spec_of("dtlb_load_misses.walk_completed,ept.walk_pending");
	assert_int_equal(s.kind, PMU_SPEC_EVENTS);
	assert_int_equal(s.count, 2);
	assert_string_equal(s.uarch->name, "skylake");
	assert_string_equal(s.events[1]->name, "ept.walk_pending");

	bad_spec("walks", "'walks' is not off, auto, a table (skylake, zen) or an event of one");
	bad_spec("Skylake",
	         "'Skylake' is not off, auto, a table (skylake, zen) or an event of one");
	bad_spec("ept.walk_pending,,dtlb_load_misses.stlb_hit",
	         "an empty event name in 'ept.walk_pending,,dtlb_load_misses.stlb_hit'");
	bad_spec("ept.walk_pending,", "an empty event name in 'ept.walk_pending,'");
	bad_spec(",ept.walk_pending", "an empty event name in ',ept.walk_pending'");
	bad_spec("ept.walk_pending,ls_tablewalker.dside",
	         "'ls_tablewalker.dside' is a zen event, the list began with skylake");
	bad_spec("ept.walk_pending,ept.walk_pending", "event 'ept.walk_pending' named twice");
	bad_spec("ept.walk_pending,skylake",
	         "'skylake' is a table name, which cannot be part of an event list "
	         "(pmu=skylake alone selects the table)");
	bad_spec("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	         "event name 'abcdefghijklmnop...' longer than 47 characters");
}

/* The boot option as the hypervisor reads it: hv/config.c's table takes the
 * word, pmu_spec_parse() (called by the boot flow) judges it. */
static void test_boot_option(void **state)
{
	(void)state;
	struct hv_config cfg;
	struct opts_result res;
	hv_config_defaults(&cfg);
	assert_string_equal(cfg.pmu, "auto");
	assert_int_equal(opts_parse(&hv_config_table, "hv.elf mode=base", &cfg, &res), OPTS_OK);
	assert_string_equal(cfg.pmu, "auto");
	assert_int_equal(opts_parse(&hv_config_table,
	                            "pmu=ept.walk_pending,dtlb_load_misses.stlb_hit", &cfg, &res),
	                 OPTS_OK);
	struct pmu_spec s = spec_of(cfg.pmu);
	assert_int_equal(s.count, 2);
	assert_int_equal(opts_parse(&hv_config_table, "pmu=off", &cfg, &res), OPTS_OK);
	assert_int_equal(spec_of(cfg.pmu).kind, PMU_SPEC_OFF);

	assert_int_equal(opts_parse(&hv_config_table, "pmu=", &cfg, &res), OPTS_ERR_EMPTY);
	assert_non_null(strstr(res.msg, "pmu"));
	assert_int_equal(opts_parse(&hv_config_table, "pmu=off pmu=auto", &cfg, &res),
	                 OPTS_ERR_DUPLICATE);
	char line[PMU_SPEC_SIZE + 16] = "pmu=";
	memset(line + 4, 'x', PMU_SPEC_SIZE);
	line[4 + PMU_SPEC_SIZE] = '\0';
	assert_int_equal(opts_parse(&hv_config_table, line, &cfg, &res), OPTS_ERR_STRING_TOO_LONG);
	assert_non_null(strstr(res.msg, "pmu"));
	assert_string_equal(cfg.pmu, "off"); /* unchanged on error */
	/* Accepted by the table, refused by name at boot. */
	assert_int_equal(opts_parse(&hv_config_table, "pmu=zen,skylake", &cfg, &res), OPTS_OK);
	char why[PMU_WHY_SIZE];
	assert_false(pmu_spec_parse(cfg.pmu, &s, why, sizeof(why)));
	assert_string_equal(why, "'zen' is a table name, which cannot be part of an event list "
	                         "(pmu=zen alone selects the table)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encodings),
	    cmocka_unit_test(test_intel_select_values),
	    cmocka_unit_test(test_amd_select_values),
	    cmocka_unit_test(test_vmx_guest_only),
	    cmocka_unit_test(test_svm_guest_only),
	    cmocka_unit_test(test_probe_refusals),
	    cmocka_unit_test(test_arch_event_length),
	    cmocka_unit_test(test_fewer_counters),
	    cmocka_unit_test(test_intel_overflow),
	    cmocka_unit_test(test_amd_wrap),
	    cmocka_unit_test(test_format_counts),
	    cmocka_unit_test(test_data_walks),
	    cmocka_unit_test(test_spec),
	    cmocka_unit_test(test_boot_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
