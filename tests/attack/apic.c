/* attack=apic: the guest's local APIC as a kernel segvisor did not write
 * would use it (SDM Vol. 3A, chapter 11): IA32_APIC_BASE (enabled BSP at
 * 0xFEE00000; reserved bits and a move #GP; disable and re-enable), the
 * xAPIC page through plain MOVs, the spurious vector, self-IPIs (shorthand
 * and own ID) that arrive once each with ISR set in the handler and clear
 * after EOI, INIT/SIPI to another APIC ID dropped with delivery status
 * idle, TPR holding a vector back, a self-NMI, the timer one-shot and
 * periodic, and HLT that sleeps until the timer's interrupt.
 *
 * attack=x2apic: the same APIC through x2APIC (11.12): CPUID offers x2APIC
 * and the TSC-deadline timer; the MSRs #GP in xAPIC mode; EXTD enables
 * them; ID and version by MSR; SELF IPI and ICR (one 64-bit write) IPIs
 * arrive once; a non-zero EOI #GPs; the TSC-deadline and the one-shot
 * timer each fire once; x2APIC -> xAPIC #GPs, disable then xAPIC works
 * (11.12.5). */
#include "lib/console.h"
#include "lib/x86/desc.h"
#include "lib/x86/exc.h"
#include "tests/attack/attack.h"

#define MSR_APIC_BASE  0x1bu
#define ABASE_BSP      (1ull << 8)
#define ABASE_EN       (1ull << 11)
#define APIC_PAGE      0xfee00000ull
#define FAULT_GP       (VEC_GP + 1)
#define REG_ID         0x020
#define REG_VERSION    0x030
#define REG_TPR        0x080
#define REG_EOI        0x0b0
#define REG_SVR        0x0f0
#define REG_ISR0       0x100
#define REG_IRR0       0x200
#define REG_ICR_LO     0x300
#define REG_ICR_HI     0x310
#define REG_LVT_TIMER  0x320
#define REG_TMICT      0x380
#define REG_TMCCT      0x390
#define REG_TDCR       0x3e0
#define SVR_ENABLE     (1u << 8)
#define ICR_DM_NMI     (4u << 8)
#define ICR_DM_INIT    (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_BUSY       (1u << 12) /* delivery status: send pending */
#define ICR_ASSERT     (1u << 14)
#define ICR_SELF       (1u << 18)
#define ICR_DEST_SHIFT 24
#define LVT_MASKED     (1u << 16)
#define LVT_PERIODIC   (1u << 17)
#define TDCR_DIV1      0xbu
#define VEC_IPI        0x50
#define VEC_IPI_DEST   0x51
#define VEC_ONESHOT    0x60
#define VEC_PERIODIC   0x70
#define VEC_SPURIOUS   0xff
#define IDT_ENTRIES    256
#define SPIN_CYCLES    400000000ull /* TSC cycles a wait may take before it fails */
#define ONESHOT_COUNT  200000u      /* timer counts (TSC cycles at divide-by-1 here) */
#define PERIODIC_COUNT 3000000u
#define PERIODS        3
#define HLT_COUNT      20000000u

extern const u8 atk_irq_nmi[], atk_irq_ipi[], atk_irq_ipi_dest[], atk_irq_oneshot[],
    atk_irq_periodic[], atk_irq_spurious[];

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static volatile u32 hits[IDT_ENTRIES];
static volatile u32 isr_in_handler[IDT_ENTRIES]; /* ISR bit seen by the handler */

/* Plain 32-bit MOVs, so the instruction that traps is known. */
static u32 apic_rd(u32 off)
{
	u32 v;
	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(APIC_PAGE + off) : "memory");
	return v;
}

static void apic_wr(u32 off, u32 v)
{
	__asm__ volatile("movl %0, (%1)" ::"r"(v), "r"(APIC_PAGE + off) : "memory");
}

static u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

/* x2APIC mode: registers are MSRs 0x800 + offset / 16 (11.12.1.2). */
static bool x2_mode;
#define X2_MSR(off) (0x800u + (off) / 0x10)

static u32 reg_rd(u32 off)
{
	u64 v = 0;
	if (!x2_mode)
		return apic_rd(off);
	atk_rdmsr(X2_MSR(off), &v);
	return (u32)v;
}

static bool vec_bit(u32 base, unsigned v)
{
	return reg_rd(base + (v / 32) * 0x10) & (1u << (v % 32));
}

static void eoi(void)
{
	if (x2_mode)
		atk_wrmsr(X2_MSR(REG_EOI), 0);
	else
		apic_wr(REG_EOI, 0);
}

/* NMIs blocked until the handler's IRET (SDM Vol. 3A 6.7.1): a handler that
 * sends itself another NMI must not see it arrive before it returns. */
static volatile bool in_nmi, nmi_resend;
static volatile u32 nmi_nested;

static void send_self_nmi(void);

void atk_apic_irq(u64 vector);
void atk_apic_irq(u64 vector)
{
	hits[vector]++;
	if (vector == VEC_NMI) {
		nmi_nested += in_nmi;
		in_nmi = true;
		if (nmi_resend) {
			nmi_resend = false;
			send_self_nmi();
			for (volatile unsigned i = 0; i < 20000; i++) /* a second one would land here */
				;
		}
		in_nmi = false;
		return;
	}
	if (vector == VEC_SPURIOUS)
		return; /* neither is EOIed (11.9; an NMI is not in ISR) */
	isr_in_handler[vector] = vec_bit(REG_ISR0, (unsigned)vector);
	eoi();
}

static void idt_setup(void)
{
	for (unsigned v = 0; v < EXC_VECTORS; v++)
		idt[v] = idt_interrupt_gate(exc_stubs[v], SEL_CODE64, 0);
	static const struct {
		u8 vec;
		const u8 *stub;
	} gates[] = {
	    {VEC_NMI, atk_irq_nmi},           {VEC_IPI, atk_irq_ipi},
	    {VEC_IPI_DEST, atk_irq_ipi_dest}, {VEC_ONESHOT, atk_irq_oneshot},
	    {VEC_PERIODIC, atk_irq_periodic}, {VEC_SPURIOUS, atk_irq_spurious},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(gates); i++)
		idt[gates[i].vec] =
		    idt_interrupt_gate((u64)(uintptr_t)gates[i].stub, SEL_CODE64, 0);
	const struct desc_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

/* Interrupts on until `vector` has arrived `n` times (or the wait ran out). */
static bool wait_hits(unsigned vector, u32 n)
{
	const u64 t0 = rdtsc();
	__asm__ volatile("sti" ::: "memory");
	while (hits[vector] < n && rdtsc() - t0 < SPIN_CYCLES)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	return hits[vector] >= n;
}

/* Interrupts on for `cycles` TSC cycles. */
static void open_window(u64 cycles)
{
	const u64 t0 = rdtsc();
	__asm__ volatile("sti" ::: "memory");
	while (rdtsc() - t0 < cycles)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
}

static void base_msr(struct report *rep)
{
	u64 v = 0;
	unsigned r = atk_rdmsr(MSR_APIC_BASE, &v);
	report_check(rep, !r && v == (APIC_PAGE | ABASE_EN | ABASE_BSP), "apic-base-msr",
	             "RDMSR 0x1b: %s, 0x%llx (expected EN, BSP, base 0xfee00000)",
	             atk_fault_name(r), v);
	const u64 good = APIC_PAGE | ABASE_EN | ABASE_BSP;
	const unsigned r9 = atk_wrmsr(MSR_APIC_BASE, good | (1ull << 9));
	const unsigned r0 = atk_wrmsr(MSR_APIC_BASE, good | 1);
	const unsigned rhi = atk_wrmsr(MSR_APIC_BASE, good | (1ull << 63));
	report_check(rep, r9 == FAULT_GP && r0 == FAULT_GP && rhi == FAULT_GP,
	             "apic-base-reserved-gp", "bit 9: %s, bit 0: %s, bit 63: %s",
	             atk_fault_name(r9), atk_fault_name(r0), atk_fault_name(rhi));
	const unsigned rm = atk_wrmsr(MSR_APIC_BASE, 0xfec00000ull | ABASE_EN | ABASE_BSP);
	r = atk_rdmsr(MSR_APIC_BASE, &v);
	report_check(rep, rm == FAULT_GP && v == good, "apic-base-move-gp",
	             "a move to 0xfec00000: %s; base MSR after 0x%llx", atk_fault_name(rm), v);
	/* Disable (11.4.3), re-enable: it comes back software-disabled, SVR 0xff. */
	apic_wr(REG_SVR, SVR_ENABLE | 0x3f);
	const unsigned rd_ = atk_wrmsr(MSR_APIC_BASE, APIC_PAGE | ABASE_BSP);
	u64 off = 0;
	atk_rdmsr(MSR_APIC_BASE, &off);
	const unsigned re = atk_wrmsr(MSR_APIC_BASE, good);
	atk_rdmsr(MSR_APIC_BASE, &v);
	const u32 svr = apic_rd(REG_SVR);
	report_check(rep, !rd_ && !re && off == (APIC_PAGE | ABASE_BSP) && v == good && svr == 0xff,
	             "apic-base-disable-enable",
	             "disable %s (0x%llx), enable %s (0x%llx), SVR after 0x%x (expected 0xff)",
	             atk_fault_name(rd_), off, atk_fault_name(re), v, svr);
}

static void ipis(struct report *rep)
{
	/* A self-IPI by shorthand with IF = 0: pending in IRR, then taken once
	 * when IF = 1, in service during its handler, gone after EOI. */
	apic_wr(REG_ICR_HI, 0);
	apic_wr(REG_ICR_LO, ICR_SELF | VEC_IPI);
	const u32 icr = apic_rd(REG_ICR_LO);
	const bool irr = vec_bit(REG_IRR0, VEC_IPI);
	report_check(rep, hits[VEC_IPI] == 0 && irr, "apic-ipi-pending-if0",
	             "with IF=0: %u arrivals, IRR bit %u", hits[VEC_IPI], irr);
	const bool came = wait_hits(VEC_IPI, 1);
	open_window(SPIN_CYCLES / 100);
	report_check(rep, came && hits[VEC_IPI] == 1, "apic-self-ipi",
	             "vector 0x%x arrived %u times (expected once)", VEC_IPI, hits[VEC_IPI]);
	report_check(rep, !(icr & ICR_BUSY), "apic-icr-idle", "ICR after the send 0x%x", icr);
	report_check(rep, isr_in_handler[VEC_IPI] && !vec_bit(REG_ISR0, VEC_IPI),
	             "apic-eoi-clears-isr", "ISR bit in the handler %u, after EOI %u",
	             isr_in_handler[VEC_IPI], vec_bit(REG_ISR0, VEC_IPI));
	/* A fixed IPI to its own APIC ID (physical destination). */
	const u32 id = apic_rd(REG_ID) >> ICR_DEST_SHIFT;
	apic_wr(REG_ICR_HI, id << ICR_DEST_SHIFT);
	apic_wr(REG_ICR_LO, VEC_IPI_DEST);
	const bool came2 = wait_hits(VEC_IPI_DEST, 1);
	open_window(SPIN_CYCLES / 100);
	report_check(rep, came2 && hits[VEC_IPI_DEST] == 1, "apic-ipi-own-id",
	             "vector 0x%x to APIC ID %u arrived %u times", VEC_IPI_DEST, id,
	             hits[VEC_IPI_DEST]);
	/* INIT and SIPI to APIC ID 1, which does not exist: dropped, idle. */
	apic_wr(REG_ICR_HI, (id + 1) << ICR_DEST_SHIFT);
	apic_wr(REG_ICR_LO, ICR_DM_INIT | ICR_ASSERT);
	const u32 after_init = apic_rd(REG_ICR_LO);
	apic_wr(REG_ICR_LO, ICR_DM_STARTUP | 0x08);
	const u32 after_sipi = apic_rd(REG_ICR_LO);
	u32 others = 0;
	open_window(SPIN_CYCLES / 100);
	for (unsigned v = 0; v < IDT_ENTRIES; v++)
		if (v != VEC_IPI && v != VEC_IPI_DEST)
			others += hits[v];
	report_check(rep, !(after_init & ICR_BUSY) && !(after_sipi & ICR_BUSY) && others == 0,
	             "apic-init-sipi-ignored",
	             "ICR after INIT 0x%x, after SIPI 0x%x; %u interrupts", after_init, after_sipi,
	             others);
	/* TPR 0x60 holds vector 0x50 back (11.8.3); TPR 0 lets it through. */
	apic_wr(REG_TPR, 0x60);
	apic_wr(REG_ICR_LO, ICR_SELF | VEC_IPI);
	open_window(SPIN_CYCLES / 100);
	const u32 held = hits[VEC_IPI];
	apic_wr(REG_TPR, 0);
	const bool through = wait_hits(VEC_IPI, 2);
	report_check(rep, held == 1 && through, "apic-tpr-holds",
	             "with TPR 0x60: %u arrivals (expected 1, the earlier one); after TPR 0: %u",
	             held, hits[VEC_IPI]);
	/* CR8 is TPR[7:4] (11.8.6.1), both ways, and holds a vector back as the
	 * TPR does: CR8 6 keeps 0x50 pending until CR8 0. */
	atk_write_cr8(3);
	const u32 tpr_of_cr8 = apic_rd(REG_TPR);
	apic_wr(REG_TPR, 0x90);
	const u64 cr8_of_tpr = atk_read_cr8();
	atk_write_cr8(6);
	apic_wr(REG_ICR_LO, ICR_SELF | VEC_IPI);
	open_window(SPIN_CYCLES / 100);
	const u32 cr8_held = hits[VEC_IPI];
	atk_write_cr8(0);
	const bool cr8_through = wait_hits(VEC_IPI, 3);
	report_check(rep,
	             tpr_of_cr8 == 0x30 && cr8_of_tpr == 9 && cr8_held == 2 && cr8_through,
	             "apic-cr8-is-tpr",
	             "CR8 3 gave TPR 0x%x (expected 0x30), TPR 0x90 gave CR8 %llu (expected 9); "
	             "with CR8 6: %u arrivals (expected 2), after CR8 0: %u",
	             tpr_of_cr8, cr8_of_tpr, cr8_held, hits[VEC_IPI]);
	/* A self-NMI: delivery mode NMI to its own ID (the shorthand allows
	 * fixed only, 11.6.1). */
	apic_wr(REG_ICR_HI, id << ICR_DEST_SHIFT);
	apic_wr(REG_ICR_LO, ICR_DM_NMI);
	open_window(SPIN_CYCLES / 100);
	report_check(rep, hits[VEC_NMI] == 1, "apic-self-nmi", "%u NMIs (expected 1)",
	             hits[VEC_NMI]);
	/* One sent from inside the handler waits for its IRET. */
	nmi_resend = true;
	send_self_nmi();
	open_window(SPIN_CYCLES / 50);
	report_check(rep, hits[VEC_NMI] == 3 && nmi_nested == 0, "apic-nmi-blocked-until-iret",
	             "%u NMIs (expected 3), %u arrived inside the handler", hits[VEC_NMI],
	             nmi_nested);
}

static void send_self_nmi(void)
{
	apic_wr(REG_ICR_HI, apic_rd(REG_ID) & 0xff000000u);
	apic_wr(REG_ICR_LO, ICR_DM_NMI);
}

static void timers(struct report *rep)
{
	apic_wr(REG_TDCR, TDCR_DIV1);
	/* One-shot: one interrupt, then the count stays 0. */
	apic_wr(REG_LVT_TIMER, VEC_ONESHOT);
	apic_wr(REG_TMICT, ONESHOT_COUNT);
	const bool came = wait_hits(VEC_ONESHOT, 1);
	open_window((u64)ONESHOT_COUNT * 4);
	const u32 cur = apic_rd(REG_TMCCT);
	report_check(rep, came && hits[VEC_ONESHOT] == 1 && cur == 0, "apic-timer-oneshot",
	             "vector 0x%x arrived %u times (expected once), current count after %u",
	             VEC_ONESHOT, hits[VEC_ONESHOT], cur);
	/* Periodic: PERIODS interrupts, each one arrival; none after masking. */
	const u64 t0 = rdtsc();
	apic_wr(REG_LVT_TIMER, VEC_PERIODIC | LVT_PERIODIC);
	apic_wr(REG_TMICT, PERIODIC_COUNT);
	const bool periodic = wait_hits(VEC_PERIODIC, PERIODS);
	const u64 took = rdtsc() - t0;
	const u32 n = hits[VEC_PERIODIC];
	apic_wr(REG_LVT_TIMER, VEC_PERIODIC | LVT_PERIODIC | LVT_MASKED);
	apic_wr(REG_TMICT, 0);
	/* An expiry between the last arrival and the mask stays pending in
	 * IRR and is taken now (11.5.1: the mask stops new ones only). */
	open_window((u64)PERIODIC_COUNT);
	const u32 stopped = hits[VEC_PERIODIC];
	open_window((u64)PERIODIC_COUNT * 4);
	/* At most one arrival per period that passed (periods missed while the
	 * guest could not take them count as one, 11.5.4), at least PERIODS. */
	const u64 periods_passed = took / PERIODIC_COUNT;
	report_check(rep,
	             periodic && n >= PERIODS && n <= periods_passed && stopped <= n + 1 &&
	                 hits[VEC_PERIODIC] == stopped,
	             "apic-timer-periodic",
	             "%u arrivals of vector 0x%x in %llu TSC cycles = %llu periods (expected at "
	             "least %u, at most one per period), %u after stopping",
	             n, VEC_PERIODIC, took, periods_passed, PERIODS, hits[VEC_PERIODIC] - stopped);
	/* HLT waits for the one-shot timer: woken by its interrupt, after at
	 * least its count of TSC cycles. */
	const u32 before = hits[VEC_ONESHOT];
	apic_wr(REG_LVT_TIMER, VEC_ONESHOT);
	const u64 h0 = rdtsc();
	apic_wr(REG_TMICT, HLT_COUNT);
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	const u64 slept = rdtsc() - h0;
	report_check(rep, hits[VEC_ONESHOT] == before + 1 && slept >= HLT_COUNT, "apic-hlt-wakes",
	             "HLT returned after %llu TSC cycles (timer %u counts), %u timer interrupts",
	             slept, HLT_COUNT, hits[VEC_ONESHOT] - before);
	report_check(rep, hits[VEC_SPURIOUS] == 0, "apic-no-spurious", "%u spurious interrupts",
	             hits[VEC_SPURIOUS]);
}

void attack_apic(struct attack_env *env)
{
	struct report *rep = &env->rep;
	base_msr(rep);
	const u32 id = apic_rd(REG_ID), ver = apic_rd(REG_VERSION);
	con_printf("attack: APIC ID 0x%x, version 0x%x\n", id, ver);
	report_check(rep, id == 0 && (ver & 0xff) >= 0x10, "apic-id-version",
	             "ID 0x%x (expected 0), version 0x%x (an integrated APIC: 0x1x)", id, ver);
	apic_wr(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
	const u32 svr = apic_rd(REG_SVR);
	report_check(rep, svr == (SVR_ENABLE | VEC_SPURIOUS), "apic-svr", "SVR 0x%x", svr);
	idt_setup();
	ipis(rep);
	timers(rep);
}

/* ---- x2APIC ---- */

#define ABASE_EXTD          (1ull << 10)
#define X2_SELF_IPI         0x83fu
#define X2_ICR              0x830u
#define MSR_TSC_DEADLINE    0x6e0u
#define LVT_TSC_DEADLINE    (2u << 17)
#define CPUID1_ECX_X2APIC   (1u << 21)
#define CPUID1_ECX_DEADLINE (1u << 24)
#define DEADLINE_CYCLES     20000000ull

static unsigned x2_wr(u32 off, u64 v)
{
	return atk_wrmsr(X2_MSR(off), v);
}

static void x2_timers(struct report *rep)
{
	/* TSC-deadline (11.5.4.1): fires once at the deadline; the MSR reads 0
	 * after. */
	x2_wr(REG_LVT_TIMER, VEC_ONESHOT | LVT_TSC_DEADLINE);
	const u64 t0 = rdtsc();
	const unsigned rw = atk_wrmsr(MSR_TSC_DEADLINE, t0 + DEADLINE_CYCLES);
	const bool came = wait_hits(VEC_ONESHOT, 1);
	const u64 took = rdtsc() - t0;
	open_window(SPIN_CYCLES / 100);
	u64 left = ~0ull;
	atk_rdmsr(MSR_TSC_DEADLINE, &left);
	report_check(
	    rep, !rw && came && hits[VEC_ONESHOT] == 1 && took >= DEADLINE_CYCLES && !left,
	    "x2apic-tsc-deadline",
	    "WRMSR 0x6e0: %s; vector 0x%x arrived %u times after %llu TSC cycles (deadline "
	    "%llu); the MSR after 0x%llx",
	    atk_fault_name(rw), VEC_ONESHOT, hits[VEC_ONESHOT], took, DEADLINE_CYCLES, left);
	/* One-shot through TMICT by MSR. */
	x2_wr(REG_LVT_TIMER, VEC_ONESHOT);
	x2_wr(REG_TDCR, TDCR_DIV1);
	x2_wr(REG_TMICT, ONESHOT_COUNT);
	const bool once = wait_hits(VEC_ONESHOT, 2);
	open_window((u64)ONESHOT_COUNT * 4);
	report_check(rep, once && hits[VEC_ONESHOT] == 2, "x2apic-timer-oneshot",
	             "vector 0x%x arrived %u times in all (expected 2: one each)", VEC_ONESHOT,
	             hits[VEC_ONESHOT]);
}

void attack_x2apic(struct attack_env *env)
{
	struct report *rep = &env->rep;
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	report_check(rep, (c & CPUID1_ECX_X2APIC) && (c & CPUID1_ECX_DEADLINE), "x2apic-cpuid",
	             "CPUID.1:ECX 0x%x (x2APIC bit 21, TSC-deadline bit 24)", c);
	u64 v = 0;
	const unsigned gp = atk_rdmsr(X2_MSR(REG_ID), &v);
	report_check(rep, gp == FAULT_GP, "x2apic-msr-gp-in-xapic", "RDMSR 0x802 in xAPIC mode: %s",
	             atk_fault_name(gp));
	const u64 x2 = APIC_PAGE | ABASE_EN | ABASE_BSP | ABASE_EXTD;
	const unsigned re = atk_wrmsr(MSR_APIC_BASE, x2);
	atk_rdmsr(MSR_APIC_BASE, &v);
	report_check(rep, !re && v == x2, "x2apic-enable", "WRMSR EXTD: %s, base MSR 0x%llx",
	             atk_fault_name(re), v);
	x2_mode = true;
	u64 id = ~0ull, ver = 0;
	const unsigned ri = atk_rdmsr(X2_MSR(REG_ID), &id);
	const unsigned rv = atk_rdmsr(X2_MSR(REG_VERSION), &ver);
	report_check(rep, !ri && !rv && id == 0 && (ver & 0xff) >= 0x10, "x2apic-id-version",
	             "ID %s 0x%llx, version %s 0x%llx", atk_fault_name(ri), id, atk_fault_name(rv),
	             ver);
	x2_wr(REG_SVR, SVR_ENABLE | VEC_SPURIOUS);
	idt_setup();
	/* SELF IPI register (11.12.11) and a 64-bit ICR write to its own ID. */
	const unsigned rs = atk_wrmsr(X2_SELF_IPI, VEC_IPI);
	const bool came = wait_hits(VEC_IPI, 1);
	open_window(SPIN_CYCLES / 100);
	report_check(
	    rep,
	    !rs && came && hits[VEC_IPI] == 1 && isr_in_handler[VEC_IPI] &&
	        !vec_bit(REG_ISR0, VEC_IPI),
	    "x2apic-self-ipi", "SELF IPI %s: %u arrivals, ISR in the handler %u, after EOI %u",
	    atk_fault_name(rs), hits[VEC_IPI], isr_in_handler[VEC_IPI], vec_bit(REG_ISR0, VEC_IPI));
	const unsigned rc = atk_wrmsr(X2_ICR, (id << 32) | VEC_IPI_DEST);
	const bool came2 = wait_hits(VEC_IPI_DEST, 1);
	open_window(SPIN_CYCLES / 100);
	report_check(rep, !rc && came2 && hits[VEC_IPI_DEST] == 1, "x2apic-icr-ipi",
	             "ICR %s: %u arrivals", atk_fault_name(rc), hits[VEC_IPI_DEST]);
	const unsigned reo = atk_wrmsr(X2_MSR(REG_EOI), 1);
	report_check(rep, reo == FAULT_GP, "x2apic-eoi-nonzero-gp", "EOI of 1: %s",
	             atk_fault_name(reo));
	x2_timers(rep);
	/* 11.12.5: x2APIC -> xAPIC is #GP; through disabled it is allowed. */
	const unsigned rx = atk_wrmsr(MSR_APIC_BASE, APIC_PAGE | ABASE_EN | ABASE_BSP);
	const unsigned rd_ = atk_wrmsr(MSR_APIC_BASE, APIC_PAGE | ABASE_BSP);
	x2_mode = false;
	const unsigned rx2 = atk_wrmsr(MSR_APIC_BASE, APIC_PAGE | ABASE_EN | ABASE_BSP);
	const u32 svr = apic_rd(REG_SVR);
	report_check(rep, rx == FAULT_GP && !rd_ && !rx2 && svr == 0xff, "x2apic-transitions",
	             "x2APIC->xAPIC %s, ->disabled %s, ->xAPIC %s, SVR 0x%x (expected #GP, then "
	             "success, SVR 0xff)",
	             atk_fault_name(rx), atk_fault_name(rd_), atk_fault_name(rx2), svr);
	report_check(rep, hits[VEC_SPURIOUS] == 0, "x2apic-no-spurious", "%u spurious interrupts",
	             hits[VEC_SPURIOUS]);
}
