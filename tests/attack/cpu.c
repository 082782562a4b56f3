/* Attacks on the virtual CPU: the virtualization instructions (#UD),
 * reserved control-register, EFER and XCR0 bits and the VMX and SVM MSRs
 * (#GP), sweeps of MSRs, CPUID leaves and I/O ports (the guest survives,
 * every answer is a fault or sane), dirty upper register halves at
 * hypercalls, a triple fault and a spin with interrupts off (named stops). */
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/exc.h"
#include "lib/x86/io.h"
#include "tests/attack/attack.h"

#define FAULT_UD (VEC_UD + 1)
#define FAULT_GP (VEC_GP + 1)

/* ---- virtualization instructions ---- */

typedef unsigned (*probe_fn)(void *operand);
unsigned atk_probe_ud2(void *), atk_probe_vmxon(void *), atk_probe_vmxoff(void *),
    atk_probe_vmptrld(void *), atk_probe_vmptrst(void *), atk_probe_vmclear(void *),
    atk_probe_vmread(void *), atk_probe_vmwrite(void *), atk_probe_vmlaunch(void *),
    atk_probe_vmresume(void *), atk_probe_invept(void *), atk_probe_invvpid(void *),
    atk_probe_vmfunc(void *), atk_probe_vmrun(void *), atk_probe_vmload(void *),
    atk_probe_vmsave(void *), atk_probe_stgi(void *), atk_probe_clgi(void *),
    atk_probe_skinit(void *), atk_probe_invlpga(void *), atk_probe_vmcall(void *),
    atk_probe_vmmcall(void *);

static u8 operand_page[4096] __attribute__((aligned(4096)));

void attack_virt_insns(struct attack_env *env)
{
	static const struct {
		const char *name;
		probe_fn fn;
	} insns[] = {
	    {"ud2", atk_probe_ud2},           {"vmxon", atk_probe_vmxon},
	    {"vmxoff", atk_probe_vmxoff},     {"vmptrld", atk_probe_vmptrld},
	    {"vmptrst", atk_probe_vmptrst},   {"vmclear", atk_probe_vmclear},
	    {"vmread", atk_probe_vmread},     {"vmwrite", atk_probe_vmwrite},
	    {"vmlaunch", atk_probe_vmlaunch}, {"vmresume", atk_probe_vmresume},
	    {"invept", atk_probe_invept},     {"invvpid", atk_probe_invvpid},
	    {"vmfunc", atk_probe_vmfunc},     {"vmrun", atk_probe_vmrun},
	    {"vmload", atk_probe_vmload},     {"vmsave", atk_probe_vmsave},
	    {"stgi", atk_probe_stgi},         {"clgi", atk_probe_clgi},
	    {"skinit", atk_probe_skinit},     {"invlpga", atk_probe_invlpga},
	};
	char name[48];
	for (unsigned i = 0; i < ARRAY_SIZE(insns); i++) {
		memset(operand_page, 0, sizeof(operand_page));
		const unsigned r = insns[i].fn(operand_page);
		fmt_snprintf(name, sizeof(name), "ud-%s", insns[i].name);
		report_check(&env->rep, r == FAULT_UD, name, "%s, expected #UD", atk_fault_name(r));
	}
	/* The other vendor's hypercall instruction is undefined here. */
	const unsigned r =
	    env->vmmcall ? atk_probe_vmcall(operand_page) : atk_probe_vmmcall(operand_page);
	report_check(&env->rep, r == FAULT_UD,
	             env->vmmcall ? "ud-vmcall-on-amd" : "ud-vmmcall-on-intel", "%s, expected #UD",
	             atk_fault_name(r));
}

/* ---- reserved bits: #GP ---- */

static void expect_gp(struct report *rep, const char *name, unsigned r)
{
	report_check(rep, r == FAULT_GP, name, "%s, expected #GP", atk_fault_name(r));
}

static void expect_ok(struct report *rep, const char *name, unsigned r)
{
	report_check(rep, r == 0, name, "%s, expected none", atk_fault_name(r));
}

/* A control-register write that must #GP; a write that went through is undone. */
static void cr_gp(struct report *rep, const char *name, unsigned (*wr)(u64), u64 bad, u64 good)
{
	const unsigned r = wr(bad);
	if (r == 0)
		wr(good);
	expect_gp(rep, name, r);
}

static void xcr0_checks(struct report *rep)
{
	const struct cpuid_regs f = cpuid(CPUID_LEAF_FEATURES, 0);
	if (!(f.ecx & CPUID_1_ECX_XSAVE)) {
		report_skip(rep, "xsetbv", "no XSAVE (CPUID.1:ECX.XSAVE = 0)");
		return;
	}
	/* CPUID.1:ECX.OSXSAVE is the guest's CR4.OSXSAVE, not the host's. */
	report_check(rep, !(f.ecx & CPUID_1_ECX_OSXSAVE) || (read_cr4() & CR4_OSXSAVE),
	             "cpuid-osxsave-before", "CPUID.1:ECX 0x%x with CR4 0x%llx", f.ecx, read_cr4());
	expect_ok(rep, "cr4-osxsave", atk_write_cr4(read_cr4() | CR4_OSXSAVE));
	const u32 ecx = cpuid(CPUID_LEAF_FEATURES, 0).ecx;
	report_check(rep, ecx & CPUID_1_ECX_OSXSAVE, "cpuid-osxsave-after",
	             "CPUID.1:ECX 0x%x with CR4 0x%llx", ecx, read_cr4());
	/* SDM Vol. 1, 13.3: x87 must be set, AVX needs SSE, only ECX = 0. */
	expect_ok(rep, "xsetbv-x87-sse", atk_xsetbv(0, 3));
	expect_gp(rep, "xsetbv-zero", atk_xsetbv(0, 0));
	expect_gp(rep, "xsetbv-sse-without-x87", atk_xsetbv(0, 2));
	expect_gp(rep, "xsetbv-bit63", atk_xsetbv(0, 3 | BIT(63)));
	expect_gp(rep, "xsetbv-xcr1", atk_xsetbv(1, 3));
}

/* MSR indices (SDM Vol. 4; AMD APM Vol. 2, 15.30). */
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_VMX_FIRST       0x480 /* IA32_VMX_BASIC */
#define MSR_VMX_LAST        0x491 /* IA32_VMX_VMFUNC */
#define MSR_VM_CR           0xc0010114
#define MSR_VM_HSAVE_PA     0xc0010117
#define MSR_SVM_KEY         0xc0010118
#define MSR_TSC_AUX         0xc0000103 /* SDM Vol. 4, Table 2-2 */
#define EFER_RESERVED_BIT   BIT(40)

static void msr_checks(struct report *rep)
{
	u64 v, efer;
	unsigned bad = 0;
	u32 first = 0;
	for (u32 m = MSR_VMX_FIRST; m <= MSR_VMX_LAST; m++) {
		const unsigned r = atk_rdmsr(m, &v);
		if (r != FAULT_GP && !bad++)
			first = m;
	}
	report_check(rep, bad == 0, "rdmsr-vmx-capabilities",
	             "%u of the VMX capability MSRs 0x480-0x491 did not #GP (first 0x%x)", bad,
	             first);
	expect_gp(rep, "wrmsr-vmx-basic", atk_wrmsr(MSR_VMX_FIRST, 0));
	expect_gp(rep, "wrmsr-feature-control-vmx", atk_wrmsr(MSR_FEATURE_CONTROL, 0x5));
	expect_gp(rep, "rdmsr-vm-cr", atk_rdmsr(MSR_VM_CR, &v));
	expect_gp(rep, "wrmsr-vm-cr", atk_wrmsr(MSR_VM_CR, 0));
	expect_gp(rep, "rdmsr-vm-hsave-pa", atk_rdmsr(MSR_VM_HSAVE_PA, &v));
	expect_gp(rep, "wrmsr-vm-hsave-pa", atk_wrmsr(MSR_VM_HSAVE_PA, 0x100000));
	expect_gp(rep, "wrmsr-svm-key", atk_wrmsr(MSR_SVM_KEY, 0));
	/* No RDTSCP is offered, so no TSC_AUX: never the host's (SDM Vol. 4, Table 2-2). */
	expect_gp(rep, "rdmsr-tsc-aux", atk_rdmsr(MSR_TSC_AUX, &v));
	expect_gp(rep, "wrmsr-tsc-aux", atk_wrmsr(MSR_TSC_AUX, 1));
	if (atk_rdmsr(IA32_EFER, &efer)) {
		report_fail(rep, "rdmsr-efer", "EFER is not readable");
		return;
	}
	report_check(rep,
	             (efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA) && !(efer & EFER_SVME),
	             "rdmsr-efer", "EFER 0x%llx: expected LME and LMA, no SVME", efer);
	expect_gp(rep, "wrmsr-efer-reserved", atk_wrmsr(IA32_EFER, efer | EFER_RESERVED_BIT));
	expect_gp(rep, "wrmsr-efer-svme", atk_wrmsr(IA32_EFER, efer | EFER_SVME));
	expect_gp(rep, "wrmsr-efer-clear-lme-with-paging", atk_wrmsr(IA32_EFER, efer & ~EFER_LME));
	expect_ok(rep, "wrmsr-efer-same", atk_wrmsr(IA32_EFER, efer));
}

/* CR0 and CR4 (SDM Vol. 3A, 2.5 and MOV to CR; APM Vol. 2, 3.1): last,
 * since a write that wrongly went through may leave the vCPU in a state
 * the hypervisor cannot enter. */
static void cr_checks(struct report *rep)
{
	const u64 cr0 = read_cr0(), cr4 = read_cr4(), cr3 = read_cr3();
	cr_gp(rep, "cr0-nw-without-cd", atk_write_cr0, (cr0 & ~CR0_CD) | CR0_NW, cr0);
	cr_gp(rep, "cr0-bit32", atk_write_cr0, cr0 | BIT(32), cr0);
	cr_gp(rep, "cr0-pg-without-pe", atk_write_cr0, cr0 & ~CR0_PE, cr0);
	cr_gp(rep, "cr0-clear-pg-in-64-bit-mode", atk_write_cr0, cr0 & ~CR0_PG, cr0);
	cr_gp(rep, "cr4-reserved-bit15", atk_write_cr4, cr4 | BIT(15), cr4);
	cr_gp(rep, "cr4-bit40", atk_write_cr4, cr4 | BIT(40), cr4);
	cr_gp(rep, "cr4-vmxe", atk_write_cr4, cr4 | CR4_VMXE, cr4);
	cr_gp(rep, "cr4-clear-pae-in-long-mode", atk_write_cr4, cr4 & ~CR4_PAE, cr4);
	cr_gp(rep, "cr4-toggle-la57-in-long-mode", atk_write_cr4, cr4 ^ CR4_LA57, cr4);
	cr_gp(rep, "cr3-bit62", atk_write_cr3, cr3 | BIT(62), cr3);
	/* CR8 is the guest's own TPR[7:4] (SDM Vol. 3A, 11.8.6.1): it keeps
	 * what is written, and never reaches the host's local APIC. */
	expect_ok(rep, "cr8-write", atk_write_cr8(5));
	const u64 cr8 = atk_read_cr8();
	report_check(rep, cr8 == 5, "cr8-read-back", "CR8 0x%llx after writing 5", cr8);
	expect_ok(rep, "cr8-zero", atk_write_cr8(0));
	expect_ok(rep, "cr0-same", atk_write_cr0(cr0));
	expect_ok(rep, "cr4-same", atk_write_cr4(cr4));
	report_check(rep, read_cr0() == cr0 && read_cr4() == cr4, "cr-unchanged",
	             "CR0 0x%llx (was 0x%llx), CR4 0x%llx (was 0x%llx)", read_cr0(), cr0,
	             read_cr4(), cr4);
}

void attack_reserved_bits(struct attack_env *env)
{
	xcr0_checks(&env->rep);
	msr_checks(&env->rep);
	cr_checks(&env->rep);
}

/* ---- sweeps ---- */

void attack_msr_sweep(struct attack_env *env)
{
	static const struct {
		u32 first, count;
	} ranges[] = {
	    {0x0, 0x2000},        {0x40000000, 0x100}, {0xc0000000, 0x2000},
	    {0xc0010000, 0x2000}, {0x4b564d00, 0x100}, /* KVM's paravirtual MSRs: not offered */
	};
	char name[48];
	for (unsigned i = 0; i < ARRAY_SIZE(ranges); i++) {
		unsigned readable = 0, gp = 0, other = 0, other_vec = 0;
		u32 other_msr = 0;
		for (u32 m = ranges[i].first; m - ranges[i].first < ranges[i].count; m++) {
			u64 v;
			const unsigned r = atk_rdmsr(m, &v);
			if (r == 0) {
				readable++;
			} else if (r == FAULT_GP) {
				gp++;
			} else if (!other++) {
				other_vec = r;
				other_msr = m;
			}
		}
		fmt_snprintf(name, sizeof(name), "msr-sweep-%x", ranges[i].first);
		con_printf("attack: MSRs 0x%x-0x%x: %u readable, %u #GP\n", ranges[i].first,
		           ranges[i].first + ranges[i].count - 1, readable, gp);
		report_check(&env->rep, other == 0, name,
		             "%u reads faulted with neither #GP nor "
		             "success (first: %s at 0x%x)",
		             other, atk_fault_name(other_vec), other_msr);
	}
	u64 t0 = 0, t1 = 0, efer = 0;
	const unsigned r0 = atk_rdmsr(0x10, &t0), r1 = atk_rdmsr(0x10, &t1);
	report_check(&env->rep, !r0 && !r1 && t1 > t0, "msr-sweep-tsc-counts",
	             "IA32_TSC: %s then %s, 0x%llx then 0x%llx", atk_fault_name(r0),
	             atk_fault_name(r1), t0, t1);
	const unsigned re = atk_rdmsr(IA32_EFER, &efer);
	report_check(&env->rep, !re && (efer & EFER_LMA) && !(efer & EFER_SVME),
	             "msr-sweep-efer-sane", "EFER: %s, 0x%llx", atk_fault_name(re), efer);
	u64 v;
	unsigned not_gp = 0;
	for (u32 m = MSR_VMX_FIRST; m <= MSR_VMX_LAST; m++)
		not_gp += atk_rdmsr(m, &v) != FAULT_GP;
	not_gp += atk_rdmsr(MSR_VM_CR, &v) != FAULT_GP;
	not_gp += atk_rdmsr(MSR_VM_HSAVE_PA, &v) != FAULT_GP;
	report_check(&env->rep, not_gp == 0, "msr-sweep-virt-msrs-hidden",
	             "%u VMX or SVM MSRs were readable", not_gp);
}

void attack_cpuid_sweep(struct attack_env *env)
{
	struct report *rep = &env->rep;
	unsigned leaves = 0;
	const u32 basic_max = cpuid(0, 0).eax, ext_max = cpuid(CPUID_LEAF_EXT_MAX, 0).eax;
	for (u32 l = 0; l <= 0x40; l++)
		for (u32 sub = 0; sub < 8; sub++, leaves++)
			(void)cpuid(l, sub);
	for (u32 l = CPUID_LEAF_EXT_MAX; l <= CPUID_LEAF_EXT_MAX + 0x40; l++, leaves++)
		(void)cpuid(l, 0);
	unsigned nonzero = 0;
	for (u32 l = HV_CPUID_LEAF_MAX + 1; l <= 0x400000ff; l++, leaves++) {
		const struct cpuid_regs c = cpuid(l, 0);
		nonzero += (c.eax | c.ebx | c.ecx | c.edx) != 0;
	}
	u64 s = env->seed;
	for (unsigned i = 0; i < 256; i++, leaves++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		(void)cpuid((u32)(s >> 32), (u32)s);
	}
	con_printf("attack: %u CPUID leaves read; basic max 0x%x, extended max 0x%x\n", leaves,
	           basic_max, ext_max);
	report_pass(rep, "cpuid-sweep-survived");
	const struct cpuid_regs f = cpuid(CPUID_LEAF_FEATURES, 0);
	report_check(rep, !(f.ecx & CPUID_1_ECX_VMX), "cpuid-no-vmx", "CPUID.1:ECX 0x%x", f.ecx);
	report_check(rep, f.ecx & CPUID_1_ECX_HYPERVISOR, "cpuid-hypervisor-bit",
	             "CPUID.1:ECX 0x%x", f.ecx);
	const struct cpuid_regs e = cpuid(CPUID_LEAF_EXT_FEATURES, 0);
	report_check(rep, !(e.ecx & CPUID_80000001_ECX_SVM), "cpuid-no-svm",
	             "CPUID.80000001H:ECX 0x%x", e.ecx);
	const struct cpuid_regs h = cpuid(HV_CPUID_LEAF_SIGNATURE, 0);
	report_check(rep, h.eax == HV_CPUID_LEAF_MAX, "cpuid-hv-max-leaf", "EAX 0x%x", h.eax);
	report_check(rep, nonzero == 0, "cpuid-hv-leaves-beyond-max-zero",
	             "%u leaves above 0x%x answered non-zero", nonzero, HV_CPUID_LEAF_MAX);
}

static inline u8 in8(u16 p)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u16 in16(u16 p)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline u32 in32(u16 p)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}
static inline void out8(u16 p, u8 v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p));
}

#define COM1_FIRST    0x3f8
#define COM1_LAST     0x3ff
#define COM1_LSR      0x3fd
#define FWCFG_FIRST   0x510 /* fw_cfg selector and data */
#define FWCFG_LAST    0x511
#define PIT_FIRST     0x42 /* 8254 channel 2 and control word */
#define PIT_LAST      0x43
#define PORT_B        0x61 /* the 8254's gate 2 and OUT2 */
#define RTC_FIRST     0x70 /* the MC146818's index and data */
#define RTC_LAST      0x71
#define EXIT_FIRST    0xf4 /* isa-debug-exit, 4 ports */
#define EXIT_LAST     0xf7
#define SHUTDOWN_PORT 0x8900
#define PORTS         65536u

/* Ports the hypervisor claims for an access of `size` bytes at p: COM1,
 * fw_cfg, the 8254's channel 2 with port 0x61 and the RTC. */
static bool claimed(u32 p, unsigned size)
{
	return (p + size - 1 >= COM1_FIRST && p <= COM1_LAST) ||
	       (p + size - 1 >= FWCFG_FIRST && p <= FWCFG_LAST) ||
	       (p + size - 1 >= PIT_FIRST && p <= PIT_LAST) ||
	       (p + size - 1 >= PORT_B && p <= PORT_B) ||
	       (p + size - 1 >= RTC_FIRST && p <= RTC_LAST);
}

void attack_port_sweep(struct attack_env *env)
{
	struct report *rep = &env->rep;
	static const unsigned sizes[] = {1, 2, 4};
	static const u32 ones[] = {0, 0xff, 0xffff, 0, 0xffffffffu};
	char name[32];
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		const unsigned size = sizes[i];
		unsigned bad = 0;
		u32 first = 0, first_v = 0;
		for (u32 p = 0; p < PORTS; p++) {
			if (claimed(p, size))
				continue;
			const u32 v = size == 1   ? in8((u16)p)
			              : size == 2 ? in16((u16)p)
			                          : in32((u16)p);
			if (v != ones[size] && !bad++) {
				first = p;
				first_v = v;
			}
		}
		fmt_snprintf(name, sizeof(name), "port-sweep-in%u", 8 * size);
		report_check(rep, bad == 0, name,
		             "%u unclaimed ports did not read all-ones (first: 0x%x read 0x%x)",
		             bad, first, first_v);
	}
	for (u32 p = 0; p < PORTS; p++) {
		if (claimed(p, 1) || (p >= EXIT_FIRST && p <= EXIT_LAST) || p == SHUTDOWN_PORT)
			continue;
		out8((u16)p, 0);
	}
	report_pass(rep, "port-sweep-out8-survived");
	const u8 lsr = in8(COM1_LSR);
	report_check(rep, (lsr & 0x60) == 0x60, "port-sweep-com1-still-idle", "LSR 0x%x", lsr);
	report_check(rep, in8(0x80) == 0xff, "port-sweep-unclaimed-after-writes",
	             "port 0x80 read 0x%x after a write of 0", in8(0x80));
}

/* ---- upper register halves at hypercalls ---- */

#define DIRTY 0xdeadbeef00000000ull

static const char compat_msg[] = "attack: written from compatibility mode\n";
static u64 trace_buf[8];

static void halves_check(struct attack_env *env, const char *name, u64 how, u64 rax, u64 rdi,
                         u64 rsi, u64 rdx, s64 want)
{
	struct hc_frame f = {
	    .rax = rax, .rdi = rdi, .rsi = rsi, .rdx = rdx, .canary = 0x0123456789abcdefull};
	atk_hvcall_frame(&f, how | (env->vmmcall ? HC_HOW_VMMCALL : HC_HOW_VMCALL));
	/* Compatibility mode sees EAX only. */
	const s64 got = how & HC_HOW_COMPAT ? (s64)(s32)f.after[0] : (s64)f.after[0];
	const u32 clobbered = hc_frame_clobbered(&f);
	report_check(&env->rep, got == want && !clobbered, name,
	             "status %lld, expected %lld; registers changed: mask 0x%x", (long long)got,
	             (long long)want, clobbered);
}

void attack_dirty_halves(struct attack_env *env)
{
	const u64 msg = (u64)(uintptr_t)compat_msg, len = sizeof(compat_msg) - 1;
	const u64 tb = (u64)(uintptr_t)trace_buf;
	halves_check(env, "halves-64-baseline", 0, HC_CONSOLE_WRITE, msg, len, 0, HC_OK);
	/* 64-bit mode: every bit counts. */
	halves_check(env, "halves-64-rax", 0, DIRTY | HC_VERSION, 0, 0, 0, HC_ENOSYS);
	halves_check(env, "halves-64-rdi", 0, HC_CONSOLE_WRITE, DIRTY | msg, len, 0, HC_EFAULT);
	halves_check(env, "halves-64-rsi", 0, HC_CONSOLE_WRITE, msg, DIRTY | len, 0, HC_E2BIG);
	halves_check(env, "halves-trace-setup", 0, HC_TRACE_SETUP, tb, sizeof(trace_buf), 0, HC_OK);
	halves_check(env, "halves-64-rdx", 0, HC_TRACE_REPLAY, 0, 0,
	             DIRTY | TRACE_BEGIN | TRACE_END, HC_EINVAL);
	/* Compatibility mode: the upper halves are not the guest's to see, so
	 * they cannot count (SDM Vol. 1, 3.4.1.1). */
	halves_check(env, "halves-32-rax", HC_HOW_COMPAT, DIRTY | HC_VERSION, 0, 0, 0, HC_OK);
	halves_check(env, "halves-32-rdi-rsi", HC_HOW_COMPAT, DIRTY | HC_CONSOLE_WRITE, DIRTY | msg,
	             DIRTY | len, 0, HC_OK);
	halves_check(env, "halves-32-rdx", HC_HOW_COMPAT, DIRTY | HC_TRACE_REPLAY, DIRTY, DIRTY,
	             DIRTY | TRACE_BEGIN | TRACE_END, HC_OK);
}

/* ---- named stops ---- */

void attack_triple_fault(struct attack_env *env)
{
	const struct desc_ptr_empty {
		u16 limit;
		u64 base;
	} __attribute__((packed)) no_idt = {0, 0};
	con_printf("attack: triple fault: an exception with an empty IDT\n");
	__asm__ volatile("lidt %0; ud2" ::"m"(no_idt));
	report_fail(&env->rep, "triple-fault", "the guest went on after a triple fault");
}

/* A reset request through the keyboard controller (0xFE to port 0x64), as
 * kernels reboot: the machine stops there. */
void attack_reset(struct attack_env *env)
{
	con_printf("attack: reset: 0xfe to the keyboard controller\n");
	outb(0x64, 0xfe);
	report_fail(&env->rep, "reset", "the guest went on after its reset request");
}

void attack_spin(struct attack_env *env)
{
	(void)env;
	con_printf("attack: spinning with interrupts off, no exit ever\n");
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("" ::: "memory");
}
