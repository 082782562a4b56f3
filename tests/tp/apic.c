/* The local APIC as a kernel of its own sets it up (SDM Vol. 3A, chapter
 * 11): IA32_APIC_BASE (11.4.4), then the xAPIC page through ordinary
 * compiler-made loads and stores - ID against CPUID's initial APIC ID,
 * version, the spurious-vector register's enable, TPR - a one-shot timer
 * interrupt (11.5.4) that wakes HLT, and a self-IPI (11.6.1); then x2APIC
 * (11.12) when CPUID offers it: EXTD, ID and version by MSR, a self-IPI
 * through the ICR (MSR 0x830, one 64-bit write) and one through the SELF IPI
 * register (MSR 0x83f), each taken once through the IDT. Before long mode
 * early.S used the xAPIC page in each 32-bit paging mode; its figures are
 * checked here. */
#include "lib/x86/cpuid.h"
#include "tests/tp/tp.h"

#define MSR_APIC_BASE     0x1bu
#define ABASE_BSP         (1ull << 8)
#define ABASE_EXTD        (1ull << 10)
#define ABASE_EN          (1ull << 11)
#define ABASE_ADDR_MASK   0xfffff000ull
#define APIC_DEFAULT      0xfee00000ull
#define REG_ID            0x020
#define REG_VERSION       0x030
#define REG_TPR           0x080
#define REG_SVR           0x0f0
#define REG_ICR_LO        0x300
#define REG_ICR_HI        0x310
#define REG_LVT_TIMER     0x320
#define REG_TMICT         0x380
#define REG_TMCCT         0x390
#define REG_TDCR          0x3e0
#define SVR_ENABLE        (1u << 8)
#define ICR_BUSY          (1u << 12)
#define ICR_SELF          (1u << 18) /* destination shorthand 01: self */
#define ID_SHIFT          24
#define VER_MASK          0xffu
#define VER_MAXLVT(v)     (((v) >> 16) & 0xffu)
#define TDCR_DIV1         0xbu
#define TIMER_COUNT       100000u /* bus clocks: short, so that HLT sleeps briefly */
#define HLT_TRIES         1000
#define WAIT_CYCLES       400000000ull /* TSC cycles an interrupt may take to arrive */
#define TPR_TEST          0x20u
#define MSR_X2_ID         0x802u
#define MSR_X2_VERSION    0x803u
#define MSR_X2_TPR        0x808u
#define MSR_X2_SVR        0x80fu
#define MSR_X2_ICR        0x830u
#define MSR_X2_SELF_IPI   0x83fu
#define C1_EBX_APIC_ID(b) ((b) >> 24)
#define LEAF_TOPOLOGY     0xb

static volatile u32 *apic;

static u32 rd(u32 off)
{
	return apic[off / 4];
}

static void wr(u32 off, u32 v)
{
	apic[off / 4] = v;
}

/* Interrupts on until `vector` has been taken `n` times or the wait ran out. */
static u32 wait_irq(unsigned vector, u32 n)
{
	const u64 t0 = tp_rdtsc();
	__asm__ volatile("sti" ::: "memory");
	while (tp_irq_count[vector] < n && tp_rdtsc() - t0 < WAIT_CYCLES)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	return tp_irq_count[vector];
}

static void xapic(struct report *r, u64 base)
{
	apic = (volatile u32 *)(uintptr_t)(base & ABASE_ADDR_MASK);
	const u32 id = rd(REG_ID) >> ID_SHIFT;
	const u32 cpuid_id = C1_EBX_APIC_ID(cpuid(CPUID_LEAF_FEATURES, 0).ebx);
	report_check(r, id == cpuid_id, "tp-xapic-id", "APIC ID %u, CPUID.1:EBX initial APIC ID %u",
	             id, cpuid_id);
	const u32 ver = rd(REG_VERSION);
	report_check(
	    r, (ver & VER_MASK) >= 0x10 && (ver & VER_MASK) <= 0x15 && VER_MAXLVT(ver) >= 3,
	    "tp-xapic-version", "version register 0x%x: integrated APIC 0x10-0x15, >= 4 LVTs", ver);
	wr(REG_SVR, SVR_ENABLE | TP_VEC_SPURIOUS);
	const u32 svr = rd(REG_SVR);
	report_check(r, (svr & (SVR_ENABLE | 0xff)) == (SVR_ENABLE | TP_VEC_SPURIOUS),
	             "tp-xapic-svr", "SVR 0x%x after writing 0x%x", svr,
	             SVR_ENABLE | TP_VEC_SPURIOUS);
	wr(REG_TPR, TPR_TEST);
	const u32 tpr = rd(REG_TPR);
	wr(REG_TPR, 0);
	report_check(r, tpr == TPR_TEST && rd(REG_TPR) == 0, "tp-xapic-tpr",
	             "TPR 0x%x after writing 0x%x, then 0x%x after 0", tpr, TPR_TEST, rd(REG_TPR));

	/* One-shot timer: armed with interrupts off, then HLT until it fires. */
	wr(REG_TDCR, TDCR_DIV1);
	wr(REG_LVT_TIMER, TP_VEC_TIMER);
	wr(REG_TMICT, TIMER_COUNT);
	unsigned halts = 0;
	while (tp_irq_count[TP_VEC_TIMER] == 0 && halts < HLT_TRIES) {
		__asm__ volatile("sti; hlt; cli" ::: "memory");
		halts++;
	}
	const u32 fired = wait_irq(TP_VEC_TIMER, 2); /* a one-shot timer fires once */
	report_check(r, fired == 1 && rd(REG_TMCCT) == 0, "tp-xapic-timer",
	             "vector 0x%x taken %u times after %u HLTs, current count %u", TP_VEC_TIMER,
	             fired, halts, rd(REG_TMCCT));

	/* Self-IPI by the destination shorthand, sent with interrupts off. */
	wr(REG_ICR_HI, 0);
	wr(REG_ICR_LO, ICR_SELF | TP_VEC_IPI);
	const u32 icr = rd(REG_ICR_LO);
	const u32 ipis = wait_irq(TP_VEC_IPI, 1);
	report_check(r, ipis == 1 && !(icr & ICR_BUSY), "tp-xapic-self-ipi",
	             "vector 0x%x taken %u times, ICR 0x%x", TP_VEC_IPI, ipis, icr);
}

static void x2apic(struct report *r, u64 base)
{
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_X2APIC)) {
		report_skip(r, "tp-x2apic", "CPUID.1:ECX.x2APIC is 0");
		return;
	}
	unsigned f = tp_wrmsr(MSR_APIC_BASE, base | ABASE_EN | ABASE_EXTD);
	u64 now = 0;
	f = f ? f : tp_rdmsr(MSR_APIC_BASE, &now);
	if (!report_check(r, !f && (now & (ABASE_EN | ABASE_EXTD)) == (ABASE_EN | ABASE_EXTD),
	                  "tp-x2apic-enable", "IA32_APIC_BASE 0x%llx, %s", now, tp_fault_name(f)))
		return;
	tp_x2apic = true;
	u64 id = ~0ull, ver = 0, svr = 0;
	f = tp_rdmsr(MSR_X2_ID, &id);
	f = f ? f : tp_rdmsr(MSR_X2_VERSION, &ver);
	const u32 topo_id = cpuid(LEAF_TOPOLOGY, 0).edx;
	const u32 max_leaf = cpuid(0, 0).eax;
	report_check(r,
	             !f && (max_leaf < LEAF_TOPOLOGY || id == topo_id) && (ver & VER_MASK) >= 0x10,
	             "tp-x2apic-id", "x2APIC ID %llu (CPUID.0xB:EDX %u), version 0x%llx, %s", id,
	             max_leaf < LEAF_TOPOLOGY ? 0 : topo_id, ver, tp_fault_name(f));
	f = tp_wrmsr(MSR_X2_TPR, 0);
	f = f ? f : tp_wrmsr(MSR_X2_SVR, SVR_ENABLE | TP_VEC_SPURIOUS);
	f = f ? f : tp_rdmsr(MSR_X2_SVR, &svr);
	report_check(r, !f && (svr & SVR_ENABLE), "tp-x2apic-svr", "SVR 0x%llx, %s", svr,
	             tp_fault_name(f));

	f = tp_wrmsr(MSR_X2_ICR, ICR_SELF | TP_VEC_X2_ICR);
	const u32 n_icr = wait_irq(TP_VEC_X2_ICR, 1);
	report_check(r, !f && n_icr == 1, "tp-x2apic-icr-self-ipi",
	             "vector 0x%x taken %u times, WRMSR 0x%x: %s", TP_VEC_X2_ICR, n_icr, MSR_X2_ICR,
	             tp_fault_name(f));
	f = tp_wrmsr(MSR_X2_SELF_IPI, TP_VEC_X2_SELF);
	const u32 n_self = wait_irq(TP_VEC_X2_SELF, 1);
	report_check(r, !f && n_self == 1, "tp-x2apic-self-ipi",
	             "vector 0x%x taken %u times, WRMSR 0x%x: %s", TP_VEC_X2_SELF, n_self,
	             MSR_X2_SELF_IPI, tp_fault_name(f));
}

/* What early.S read in 32-bit mode, against the version read now in long mode. */
static void early(struct report *r)
{
	static const char *const names[TP_EARLY_ROWS] = {
	    [TP_EARLY_NOPAGING] = "tp-early-apic-no-paging",
	    [TP_EARLY_PAGING32] = "tp-early-apic-paging32",
	    [TP_EARLY_PAE] = "tp-early-apic-pae",
	    [TP_EARLY_CODE16] = "tp-early-apic-code16",
	};
	static const u32 tpr[TP_EARLY_ROWS] = {0x20, 0x30, 0x40, 0x50};
	const u32 ver = rd(REG_VERSION);
	for (unsigned i = 0; i < TP_EARLY_ROWS; i++) {
		const volatile struct tp_early_row *e = &tp_early_rows[i];
		report_check(r, e->done == 1 && e->tpr == tpr[i] && e->version == ver, names[i],
		             "done %u, TPR 0x%x (wrote 0x%x), version 0x%x (0x%x in long mode)",
		             e->done, e->tpr, tpr[i], e->version, ver);
	}
}

void tp_check_apic(struct report *r)
{
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).edx & CPUID_1_EDX_APIC)) {
		report_skip(r, "tp-apic", "CPUID.1:EDX.APIC is 0");
		return;
	}
	u64 base = 0;
	const unsigned f = tp_rdmsr(MSR_APIC_BASE, &base);
	if (!report_check(r,
	                  !f && (base & ABASE_ADDR_MASK) == APIC_DEFAULT &&
	                      (base & (ABASE_EN | ABASE_BSP)) == (ABASE_EN | ABASE_BSP) &&
	                      !(base & ABASE_EXTD),
	                  "tp-apic-base",
	                  "IA32_APIC_BASE 0x%llx (%s): expected 0x%llx, BSP, enabled", base,
	                  tp_fault_name(f), APIC_DEFAULT))
		return;
	xapic(r, base);
	early(r);
	x2apic(r, base);
}
