/* What the hypervisor does on each kind of exit: a constant table indexed
 * by enum exit_kind (bounds-checked), in the manner of DESIGN.md's "vCPU
 * loop with a constant exit-dispatch table". */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/tsc.h"
#include "lib/x86/cr.h"
#include "lib/x86/exc.h"
#include "lib/x86/paging.h"
#include "hv/platform/platform.h"
#include "hv/vm/gwalk.h"
#include "hv/vm/loader.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/emu_exit.h"

#define IO_ALL_ONES 0xffffffffu
#define GPR_RSP     4

typedef void (*exit_handler_fn)(struct vm *vm, const struct vm_exit *e);

static struct guest_regs *regs(struct vm *vm)
{
	return &vm->vcpu.regs;
}

static void handle_cpuid(struct vm *vm, const struct vm_exit *e)
{
	struct guest_regs *r = regs(vm);
	/* OSXSAVE follows the guest's CR4, not the host's (hv/platform/cpuid.h). */
	struct cpuid_regs c = platform_cpuid_for(&vm->platform, vcpu_arch_read_cr(&vm->vcpu, 4),
	                                         (u32)r->rax, (u32)r->rcx);
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	vcpu_arch_skip_insn(&vm->vcpu, e);
}

/* Real-mode names of the vectors a BIOS-less guest most likely calls (Ralf Brown's
 * interrupt list); the rest are shown by number. */
static const char *bios_vector_name(u32 v)
{
	switch (v) {
	case 0x10:
		return "INT 10h, video services";
	case 0x13:
		return "INT 13h, disk services";
	case 0x15:
		return "INT 15h, system services (E820 memory map, A20, APM)";
	case 0x16:
		return "INT 16h, keyboard services";
	case 0x1a:
		return "INT 1Ah, time and PCI BIOS services";
	}
	return v < EXC_VECTORS ? "an exception vector" : "a BIOS or user vector";
}

static void handle_hlt(struct vm *vm, const struct vm_exit *e)
{
	/* A HLT in the IVT placeholders (hv/vm/loader.h): a real-mode INT n or exception. */
	const u64 at = vm_insn_linear(vm);
	if (!(vcpu_arch_read_cr(&vm->vcpu, 0) & CR0_PE) && at >= LOADER_BIOS_STUBS_GPA &&
	    at < LOADER_BIOS_STUBS_GPA + LOADER_IVT_VECTORS * LOADER_BIOS_STUB_SIZE &&
	    (at - LOADER_BIOS_STUBS_GPA) % LOADER_BIOS_STUB_SIZE == 0) {
		const u32 v = (u32)((at - LOADER_BIOS_STUBS_GPA) / LOADER_BIOS_STUB_SIZE);
		vm_stop(vm,
		        "real-mode vector 0x%x (%s) with AX=0x%04llx reached its placeholder: "
		        "segvisor's guests have no BIOS",
		        v, bios_vector_name(v), regs(vm)->rax & 0xffff);
		return;
	}
	vm_hlt(vm, e);
}

static void handle_skip(struct vm *vm, const struct vm_exit *e)
{
	vcpu_arch_skip_insn(&vm->vcpu, e); /* INVD, WBINVD: no caches to keep coherent */
}

static void handle_virt_insn(struct vm *vm, const struct vm_exit *e)
{
	(void)e;
	vcpu_arch_inject_exception(&vm->vcpu, VEC_UD, false, 0);
}

static void handle_hypercall(struct vm *vm, const struct vm_exit *e)
{
	struct guest_regs *r = regs(vm);
	/* Outside 64-bit mode the upper halves are invisible to the guest and
	 * hold whatever 64-bit code left there (SDM Vol. 1, 3.4.1.1): only the
	 * low 32 bits of the number and the arguments are its own. */
	const u64 width = vcpu_arch_in_64bit_mode(&vm->vcpu) ? ~0ull : 0xffffffffull;
	const u64 nr = r->rax & width, a0 = r->rdi & width, a1 = r->rsi & width,
	          a2 = r->rdx & width;
	u64 out = a2;
	s64 status;
	if (vcpu_arch_cpl(&vm->vcpu) != 0) {
		/* VMCALL exits at any privilege level (SDM Vol. 3C, 26.1.2): only
		 * the guest kernel may drive the hypervisor. */
		vm->hypercalls++;
		vm->hypercall_errors++;
		status = HC_EPERM;
	} else {
		status = hypercall_dispatch(vm, nr, a0, a1, a2, &out);
	}
	if (status == VM_HC_RESUME) { /* bounded work per exit: the same VMCALL resumes */
		r->rdx = out & width;
		return;
	}
	r->rax = (u64)status & width;
	r->rdx = out & width;
	if (vm->state == VM_RUNNING)
		vcpu_arch_skip_insn(&vm->vcpu, e);
}

static void port_count(struct vm *vm, u16 port, bool in)
{
	for (unsigned i = 0; i < VM_PORT_SLOTS; i++) {
		struct port_count *p = &vm->ports[i];
		if (p->port == port || (p->reads == 0 && p->writes == 0)) {
			p->port = port;
			if (in)
				p->reads++;
			else
				p->writes++;
			return;
		}
	}
	vm->ports_overflow++;
}

static void guest_exit_port(struct vm *vm, u32 value)
{
	vm->state = VM_EXITED;
	vm->exit_status = value == EXIT_VALUE_SUCCESS ? 0 : (int)value;
	fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason),
	             "guest wrote 0x%x to the exit port 0x%x (%s)", value, ISA_DEBUG_EXIT_PORT,
	             value == EXIT_VALUE_SUCCESS ? "success" : "failure");
}

/* The PC's two ways for software to reset the machine, which kernels use to reboot (Xen after
 * a panic, Linux's reboot=k and reboot=p): command 0xFE to the keyboard controller (8042 "pulse
 * output port bit 0", the CPU's reset line) and the reset control register at 0xCF9 with
 * RST_CPU (bit 2; Intel PCH datasheets, "Reset Control Register"). There is no reset to give:
 * the guest ends, by name. */
#define KBC_COMMAND_PORT    0x64
#define KBC_CMD_PULSE_RESET 0xfe
#define RST_CNT_PORT        0xcf9
#define RST_CNT_RST_CPU     BIT(2)

static bool reset_request(u16 port, u8 size, u32 value)
{
	return (port == KBC_COMMAND_PORT && size == 1 && (u8)value == KBC_CMD_PULSE_RESET) ||
	       (port == RST_CNT_PORT && size == 1 && (value & RST_CNT_RST_CPU));
}

static void handle_io(struct vm *vm, const struct vm_exit *e)
{
	struct guest_regs *r = regs(vm);
	u16 port = e->io.port;
	u32 mask = e->io.size == 4 ? 0xffffffffu : (1u << (8 * e->io.size)) - 1;
	if (e->io.string) {
		vm_stop(vm, "string I/O (INS/OUTS) on port 0x%x is not emulated", port);
		return;
	}
	u32 value = (u32)r->rax & mask;
	u32 result = IO_ALL_ONES;
	u32 dev = value;
	if (platform_io(&vm->platform, port, e->io.size, e->io.in, &dev)) {
		result = dev; /* COM1, fw_cfg (hv/platform/platform.h) */
	} else if (!e->io.in && port == ISA_DEBUG_EXIT_PORT) {
		guest_exit_port(vm, value);
	} else if (!e->io.in && reset_request(port, e->io.size, value)) {
		/* The machine stops as after a final HLT: a failure unless
		 * guest_halt=end says the guest's own end looks like this (a
		 * kernel often resets after a panic). */
		vm->state = VM_HALTED;
		fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason),
		             "guest reset the machine: 0x%x written to port 0x%x", value, port);
	} else if (!e->io.in && port == BOCHS_SHUTDOWN_PORT) {
		static const char word[] = "Shutdown";
		vm->shutdown_match = (char)value == word[vm->shutdown_match]
		                         ? vm->shutdown_match + 1
		                         : ((char)value == word[0]);
		if (vm->shutdown_match == sizeof(word) - 1) {
			vm->state = VM_EXITED;
			vm->exit_status = 0;
			fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason),
			             "guest wrote \"Shutdown\" to port 0x%x", BOCHS_SHUTDOWN_PORT);
		}
	} else {
		port_count(vm, port, e->io.in);
	}
	/* IN writes AL or AX in place; a 32-bit IN zero-extends into RAX (SDM
	 * Vol. 1, 3.4.1.1). */
	if (e->io.in)
		r->rax = e->io.size == 4 ? result : (r->rax & ~(u64)mask) | (result & mask);
	if (vm->state == VM_RUNNING)
		vcpu_arch_skip_insn(&vm->vcpu, e);
}

/* ---- CR writes the backend could not decode (SVM without decode assists) ---- */

#define OPC_TWO_BYTE  0x0f
#define OPC_CLTS      0x06 /* 0F 06 */
#define OPC_GROUP7    0x01 /* 0F 01 /6: LMSW */
#define OPC_MOV_TO_CR   0x22 /* 0F 22 /r */
#define OPC_MOV_FROM_CR 0x20 /* 0F 20 /r */
#define GROUP7_LMSW   6
#define PREFIX_LOCK   0xf0 /* with MOV CR0, AMD's alternative encoding of CR8 */
#define REX_B         BIT(0)
#define REX_R         BIT(2)
#define MODRM_MOD_REG 3
#define LMSW_BITS     (CR0_PE | CR0_MP | CR0_EM | CR0_TS)

static bool read_guest(void *ctx, u64 gpa, void *buf, unsigned len)
{
	return vm_copy_from_guest(ctx, buf, gpa, len);
}

/* The gPA of a guest-linear address through the guest's own tables, in the
 * paging mode its CR0, CR4 and EFER select (hv/vm/gwalk.h). */
bool vm_linear_to_gpa(struct vm *vm, u64 la, u64 *gpa)
{
	struct gwalk_regs g = {
	    .cr0 = vcpu_arch_read_cr(&vm->vcpu, 0),
	    .cr3 = vcpu_arch_cr3(&vm->vcpu),
	    .cr4 = vcpu_arch_read_cr(&vm->vcpu, 4),
	};
	if ((g.cr0 & CR0_PG) && !vcpu_arch_msr(&vm->vcpu, IA32_EFER, false, &g.efer))
		return false;
	return gwalk(&g, la, read_guest, vm, gpa);
}

/* ---- PAE paging's PDPTE registers (SDM Vol. 3A, 4.4.1) ---- */

#define PAE_PDPTES       4
#define PAE_PDPT_MASK    BITS(31, 5)               /* CR3 in PAE paging (Table 4-7) */
#define PDPTE_RESERVED   (BITS(2, 1) | BITS(8, 5)) /* Table 4-8 */
#define CPUID_ADDR_SIZES 0x80000008u
#define PHYS_BITS_MASK   0xffu /* CPUID 0x80000008 EAX[7:0]: MAXPHYADDR */
#define CR0_PDPTE_RELOAD (CR0_CD | CR0_NW | CR0_PG)
#define CR4_PDPTE_RELOAD (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LME);
}

/* The four PDPTEs at CR3[31:5]; false when one is present with a reserved bit set, or the
 * table is not guest RAM: the write that loads them takes #GP. */
static bool read_pdptes(struct vm *vm, u64 cr3, u64 pdpte[PAE_PDPTES])
{
	if (!vm_copy_from_guest(vm, pdpte, cr3 & PAE_PDPT_MASK, PAE_PDPTES * sizeof(u64)))
		return false;
	const struct cpuid_regs a = platform_cpuid_for(&vm->platform, 0, CPUID_ADDR_SIZES, 0);
	/* 36 bits where the leaf is absent (SDM Vol. 3A, 4.1.4, MAXPHYADDR). */
	const unsigned width = (a.eax & PHYS_BITS_MASK) ? (a.eax & PHYS_BITS_MASK) : 36;
	const u64 beyond = width < 64 ? ~0ull << width : 0;
	for (unsigned i = 0; i < PAE_PDPTES; i++)
		if ((pdpte[i] & PTE_P) && (pdpte[i] & (PDPTE_RESERVED | beyond)))
			return false;
	return true;
}

/* A MOV to CR0, CR3 or CR4 that exited. On a backend with PDPTE registers (VT-x), when PAE
 * paging is in use after it and the write is one that loads them - to CR3, or to CR0 or CR4
 * changing CD, NW, PG, PAE, PGE, PSE or SMEP (4.4.1) - the PDPTEs are read and checked first
 * and handed to the backend after: the CPU does not load them for a write the hypervisor
 * emulates. False: #GP. */
static bool write_cr(struct vm *vm, unsigned cr, u64 val)
{
	struct vcpu *v = &vm->vcpu;
	const u64 cr0 = vcpu_arch_read_cr(v, 0), cr4 = vcpu_arch_read_cr(v, 4);
	u64 efer = 0;
	(void)vcpu_arch_msr(v, IA32_EFER, false, &efer);
	const u64 ncr0 = cr == 0 ? val : cr0, ncr4 = cr == 4 ? val : cr4;
	const bool load = vcpu_arch_has_pdptes(v) && pae_paging(ncr0, ncr4, efer) &&
	                  (cr == 3 || (cr == 0 && ((cr0 ^ val) & CR0_PDPTE_RELOAD)) ||
	                   (cr == 4 && ((cr4 ^ val) & CR4_PDPTE_RELOAD)));
	u64 pdpte[PAE_PDPTES];
	if (load && !read_pdptes(vm, cr == 3 ? val : vcpu_arch_cr3(v), pdpte))
		return false;
	if (!vcpu_arch_write_cr(v, cr, val))
		return false;
	if (load)
		vcpu_arch_set_pdptes(v, pdpte);
	return true;
}

u64 vm_insn_linear(struct vm *vm)
{
	const u64 rip = vcpu_arch_rip(&vm->vcpu);
	if (vcpu_arch_in_64bit_mode(&vm->vcpu))
		return rip; /* CS's base is 0 in 64-bit mode (SDM Vol. 1, 3.3.7.1) */
	u64 base;
	bool db;
	vcpu_arch_code_segment(&vm->vcpu, &base, &db);
	return (u32)(base + rip); /* linear addresses are 32 bits outside IA-32e mode */
}

static bool is_legacy_prefix(u8 b)
{
	return b == 0x66 || b == 0x67 || b == PREFIX_LOCK || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
}

/* Reads the instruction at CS:RIP and fills e's CR access, register and length: MOV to CRn, CLTS,
 * or LMSW from a register. False for anything else. */
static bool decode_cr_insn(struct vm *vm, struct vm_exit *e)
{
	u8 b[INSN_MAX_LENGTH];
	const unsigned n = vm_fetch_insn(vm, vm_insn_linear(vm), b);
	unsigned i = 0;
	u8 rex = 0;
	bool lock = false;
	while (i < n && is_legacy_prefix(b[i]))
		lock |= b[i++] == PREFIX_LOCK;
	if (i < n && (b[i] & 0xf0) == 0x40 && vcpu_arch_in_64bit_mode(&vm->vcpu))
		rex = b[i++];
	if (i + 2 > n || b[i] != OPC_TWO_BYTE)
		return false;
	const u8 op = b[i + 1];
	i += 2;
	if (op == OPC_CLTS) {
		e->cr.access = CR_OP_CLTS;
		e->cr.cr = 0;
	} else if (op == OPC_MOV_TO_CR || op == OPC_MOV_FROM_CR || op == OPC_GROUP7) {
		if (i >= n)
			return false;
		const u8 modrm = b[i++];
		const u8 reg = (modrm >> 3) & 7, rm = (modrm & 7) | (rex & REX_B ? 8 : 0);
		if (op == OPC_MOV_TO_CR || op == OPC_MOV_FROM_CR) {
			e->cr.access = op == OPC_MOV_TO_CR ? CR_OP_WRITE : CR_OP_READ;
			e->cr.cr = reg | (rex & REX_R || lock ? 8 : 0);
		} else {
			if (reg != GROUP7_LMSW || modrm >> 6 != MODRM_MOD_REG)
				return false;
			e->cr.access = CR_OP_LMSW;
			e->cr.cr = 0;
		}
		e->cr.gpr = rm; /* MOV CR uses the register form whatever mod says */
	} else {
		return false;
	}
	e->insn_len = i;
	return true;
}

static void handle_cr(struct vm *vm, const struct vm_exit *exit)
{
	struct vm_exit e = *exit;
	if (e.cr.needs_decode) {
		const u8 cr = e.cr.cr;
		const bool read = exit->cr.access == CR_OP_READ;
		if (!decode_cr_insn(vm, &e) || e.cr.cr != cr || (e.cr.access == CR_OP_READ) != read) {
			vm_stop(vm,
			        "%s of CR%u at RIP 0x%llx: not an instruction segvisor emulates "
			        "(MOV to or from CR, CLTS, LMSW from a register)",
			        read ? "read" : "write", cr,
			        vcpu_arch_rip(&vm->vcpu));
			return;
		}
	}
	const bool lmsw = e.cr.access == CR_OP_LMSW && e.cr.needs_decode;
	if ((e.cr.access == CR_OP_CLTS || lmsw) && e.cr.gpr != GPR_RSP) {
		const u64 cr0 = vcpu_arch_read_cr(&vm->vcpu, 0);
		u64 val = cr0 & ~CR0_TS;
		if (lmsw) /* LMSW sets PE but never clears it (SDM Vol. 2A, LMSW) */
			val = (cr0 & ~(LMSW_BITS & ~CR0_PE)) |
			      (*vcpu_arch_gpr(&vm->vcpu, e.cr.gpr) & LMSW_BITS);
		if (!vcpu_arch_write_cr(&vm->vcpu, 0, val)) {
			vcpu_arch_inject_exception(&vm->vcpu, VEC_GP, true, 0);
			return;
		}
		vcpu_arch_skip_insn(&vm->vcpu, &e);
		return;
	}
	if (e.cr.cr == 8 && (e.cr.access == CR_OP_WRITE || e.cr.access == CR_OP_READ) &&
	    e.cr.gpr != GPR_RSP) {
		/* CR8 exists in 64-bit mode only, where the register is 64 bits. */
		u64 *reg = vcpu_arch_gpr(&vm->vcpu, e.cr.gpr);
		if (!vm_apic_cr8(vm, e.cr.access == CR_OP_WRITE, reg)) {
			vcpu_arch_inject_exception(&vm->vcpu, VEC_GP, true, 0);
			return;
		}
		vcpu_arch_skip_insn(&vm->vcpu, &e);
		return;
	}
	if (e.cr.access == CR_OP_WRITE && e.cr.gpr != GPR_RSP) {
		u64 val = *vcpu_arch_gpr(&vm->vcpu, e.cr.gpr);
		if (!vcpu_arch_in_64bit_mode(&vm->vcpu))
			val = (u32)val; /* a 32-bit operand outside 64-bit mode */
		if (!write_cr(vm, e.cr.cr, val)) {
			vcpu_arch_inject_exception(&vm->vcpu, VEC_GP, true, 0);
			return;
		}
		vcpu_arch_skip_insn(&vm->vcpu, &e);
		return;
	}
	if (e.cr.access == CR_OP_READ && e.cr.gpr != GPR_RSP) {
		*vcpu_arch_gpr(&vm->vcpu, e.cr.gpr) = vcpu_arch_read_cr(&vm->vcpu, e.cr.cr);
		vcpu_arch_skip_insn(&vm->vcpu, &e);
		return;
	}
	vm_stop(vm, "control-register access type %u to CR%u via register %u is not emulated",
	        e.cr.access, e.cr.cr, e.cr.gpr);
}

static void msr_count(struct vm *vm, u32 msr, bool write)
{
	for (unsigned i = 0; i < VM_MSR_SLOTS; i++) {
		struct msr_count *m = &vm->msrs[i];
		if (m->msr == msr || (m->reads == 0 && m->writes == 0)) {
			m->msr = msr;
			if (write)
				m->writes++;
			else
				m->reads++;
			return;
		}
	}
	vm->msrs_overflow++;
}

static void handle_msr(struct vm *vm, const struct vm_exit *e)
{
	struct guest_regs *r = regs(vm);
	u32 msr = (u32)r->rcx;
	bool write = e->kind == VMEXIT_MSR_WRITE;
	u64 val = (r->rdx << 32) | (u32)r->rax;
	const struct vtsc tsc_before = vm->platform.tsc;
	enum platform_msr_result pr = platform_msr(&vm->platform, msr, write, &val, tsc_read());
	if (pr == PLATFORM_MSR_OK && vm->platform.tsc.offset != tsc_before.offset &&
	    !vcpu_arch_set_tsc_offset(&vm->vcpu, vm->platform.tsc.offset)) {
		vm->platform.tsc = tsc_before; /* no hardware offset: the write cannot hold */
		pr = PLATFORM_MSR_GP;
	}
	if (pr == PLATFORM_MSR_GP ||
	    (pr == PLATFORM_MSR_NOT_MINE && !vcpu_arch_msr(&vm->vcpu, msr, write, &val))) {
		/* Not one the guest may touch: #GP, as for an MSR that does not
		 * exist (SDM Vol. 4, 2.1). */
		vm->msr_refused++;
		msr_count(vm, msr, write);
		vcpu_arch_inject_exception(&vm->vcpu, VEC_GP, true, 0);
		return;
	}
	if (!write) {
		r->rax = (u32)val;
		r->rdx = val >> 32;
	}
	vcpu_arch_skip_insn(&vm->vcpu, e);
}

static void handle_xsetbv(struct vm *vm, const struct vm_exit *e)
{
	struct guest_regs *r = regs(vm);
	if (!vcpu_arch_xsetbv(&vm->vcpu, (u32)r->rcx, (r->rdx << 32) | (u32)r->rax)) {
		vcpu_arch_inject_exception(&vm->vcpu, VEC_GP, true, 0);
		return;
	}
	vcpu_arch_skip_insn(&vm->vcpu, e);
}

static const char *access_name(const struct vm_exit *e)
{
	return e->npf.fetch ? "fetch" : e->npf.write ? "write" : "read";
}

static void handle_npf(struct vm *vm, const struct vm_exit *e)
{
	u64 hpa;
	const bool apic_page =
	    (vm->platform.cpuid_offers & CPUID_OFFER_APIC) &&
	    (e->gpa & ~(u64)(APIC_PAGE_SIZE - 1)) == apic_mmio_base(&vm->platform.apic);
	if (apic_page && e->event_redelivered) {
		/* Not the instruction at RIP: the delivery of an event (its IDT,
		 * GDT or stack) reached the xAPIC page. */
		vm_stop(vm,
		        "%s: guest %s of GPA 0x%llx, the xAPIC page, while an event was "
		        "delivered: not an access segvisor emulates",
		        vm->vcpu.ops->nested_fault_name, access_name(e), e->gpa);
		return;
	}
	if (apic_page) {
		vm_apic_mmio(vm, e); /* the xAPIC page: a hole in the map, trapped */
		return;
	}
	if (etrace_fault(vm, e))
		return; /* trace=ept: the page joined the window, the access runs again */
	if (vmfeat_nested_fault(vm, e->gpa, e->npf.write))
		return; /* copy on write or swap-in: the access runs again */
	if (!gmap_lookup(&vm->gmap, e->gpa, &hpa)) {
		vm_stop(vm,
		        "%s: guest %s of GPA 0x%llx outside its memory map "
		        "(GLA %s0x%llx, qualification 0x%llx)",
		        vm->vcpu.ops->nested_fault_name, access_name(e), e->gpa,
		        e->gla_valid ? "" : "invalid, ", e->gla, e->qualification);
		return;
	}
	vm_stop(vm,
	        "%s inside the guest map: %s of GPA 0x%llx (hPA 0x%llx), entry %s, "
	        "qualification 0x%llx: a hypervisor bug",
	        vm->vcpu.ops->nested_fault_name, access_name(e), e->gpa, hpa,
	        e->npf.present ? "present" : "not present", e->qualification);
}

static void handle_npt_misconfig(struct vm *vm, const struct vm_exit *e)
{
	vm_stop(vm, "nested-table misconfiguration at GPA 0x%llx: a hypervisor bug", e->gpa);
}

static void handle_triple_fault(struct vm *vm, const struct vm_exit *e)
{
	(void)e;
	vm_stop(vm, "guest triple fault");
}

static void handle_entry_fail(struct vm *vm, const struct vm_exit *e)
{
	vm_stop(vm, "VM entry failed: reason %u (%s)", e->entry_fail_reason,
	        vcpu_arch_exit_name(&vm->vcpu, e->entry_fail_reason));
}

static void handle_watchdog(struct vm *vm, const struct vm_exit *e)
{
	vm_stop(vm,
	        "watchdog: the guest ran %llu TSC cycles without an exit other than a host "
	        "interrupt (%s; budget watchdog=%llu TSC cycles)",
	        e->qualification, vm->vcpu.ops->watchdog_timer, vm->vcpu.wd.budget);
}

/* A host interrupt taken in guest mode: the backend handled and EOIed it;
 * the guest resumes where it was (the exit is counted by vm_handle_exit). */
static void handle_host_interrupt(struct vm *vm, const struct vm_exit *e)
{
	vm->host_redelivered += e->event_redelivered;
}

/* An NMI in guest mode is the host's (a watchdog or a hardware error): the
 * backend reported it. segvisor gives its guests no NMI source, so none is
 * re-injected. */
static void handle_nmi(struct vm *vm, const struct vm_exit *e)
{
	vm->host_redelivered += e->event_redelivered;
}

/* A machine check in guest mode (SDM Vol. 3B, 17; APM Vol. 2, 9): the
 * hardware reported an error the guest's state may depend on; the guest is
 * stopped with the report. */
static void handle_machine_check(struct vm *vm, const struct vm_exit *e)
{
	(void)e;
	vm_stop(vm,
	        "machine check (#MC) in guest mode at guest rip 0x%llx: taken by the host, "
	        "the guest is stopped",
	        vcpu_arch_rip(&vm->vcpu));
}

/* The guest can take an interrupt now (or, on SVM, its IRET ended an
 * NMI's blocking): vm_intr_before_entry delivers it at the next entry. */
static void handle_intr_window(struct vm *vm, const struct vm_exit *e)
{
	(void)vm, (void)e;
}

/* The APIC timer's deadline passed while the guest ran: the next entry
 * ticks the APIC and delivers its interrupt. A host-interrupt exit
 * underneath may have interrupted a delivery, which the backend redoes. */
static void handle_timer(struct vm *vm, const struct vm_exit *e)
{
	vm->host_redelivered += e->event_redelivered;
}

static void handle_unexpected(struct vm *vm, const struct vm_exit *e)
{
	vm_stop(vm, "unexpected exit: %s (reason %u, %s)", exit_kind_name(e->kind), e->raw_reason,
	        vcpu_arch_exit_name(&vm->vcpu, e->raw_reason));
}

static const exit_handler_fn exit_handlers[VMEXIT_KIND_COUNT] = {
    [VMEXIT_CPUID] = handle_cpuid,
    [VMEXIT_HLT] = handle_hlt,
    [VMEXIT_INVD] = handle_skip,
    [VMEXIT_WBINVD] = handle_skip,
    [VMEXIT_HYPERCALL] = handle_hypercall,
    [VMEXIT_VIRT_INSN] = handle_virt_insn,
    [VMEXIT_CR_ACCESS] = handle_cr,
    [VMEXIT_IO] = handle_io,
    [VMEXIT_MSR_READ] = handle_msr,
    [VMEXIT_MSR_WRITE] = handle_msr,
    [VMEXIT_XSETBV] = handle_xsetbv,
    [VMEXIT_NPF] = handle_npf,
    [VMEXIT_NPT_MISCONFIG] = handle_npt_misconfig,
    [VMEXIT_TRIPLE_FAULT] = handle_triple_fault,
    [VMEXIT_ENTRY_FAIL] = handle_entry_fail,
    [VMEXIT_WATCHDOG] = handle_watchdog,
    [VMEXIT_EXTERNAL_INTERRUPT] = handle_host_interrupt,
    [VMEXIT_NMI] = handle_nmi,
    [VMEXIT_MACHINE_CHECK] = handle_machine_check,
    [VMEXIT_INTR_WINDOW] = handle_intr_window,
    [VMEXIT_TIMER] = handle_timer,
};

void vm_handle_exit(struct vm *vm, const struct vm_exit *e)
{
	vm->exits_total++;
	if (e->raw_reason < VCPU_MAX_RAW_EXIT)
		vm->exits_by_raw[e->raw_reason]++;
	exit_handler_fn h = NULL;
	if ((unsigned)e->kind < VMEXIT_KIND_COUNT) {
		vm->exits_by_kind[e->kind]++;
		h = exit_handlers[e->kind];
	}
	(h ? h : handle_unexpected)(vm, e);
}

const char *exit_kind_name(enum exit_kind k)
{
	static const char *const names[VMEXIT_KIND_COUNT] = {
	    [VMEXIT_UNKNOWN] = "unknown",
	    [VMEXIT_EXCEPTION] = "exception",
	    [VMEXIT_EXTERNAL_INTERRUPT] = "external-interrupt",
	    [VMEXIT_TRIPLE_FAULT] = "triple-fault",
	    [VMEXIT_CPUID] = "cpuid",
	    [VMEXIT_HLT] = "hlt",
	    [VMEXIT_INVD] = "invd",
	    [VMEXIT_WBINVD] = "wbinvd",
	    [VMEXIT_HYPERCALL] = "hypercall",
	    [VMEXIT_VIRT_INSN] = "virt-insn",
	    [VMEXIT_CR_ACCESS] = "cr-access",
	    [VMEXIT_IO] = "io",
	    [VMEXIT_MSR_READ] = "msr-read",
	    [VMEXIT_MSR_WRITE] = "msr-write",
	    [VMEXIT_ENTRY_FAIL] = "entry-fail",
	    [VMEXIT_NPF] = "nested-page-fault",
	    [VMEXIT_NPT_MISCONFIG] = "nested-misconfig",
	    [VMEXIT_XSETBV] = "xsetbv",
	    [VMEXIT_WATCHDOG] = "watchdog",
	    [VMEXIT_INTR_WINDOW] = "interrupt-window",
	    [VMEXIT_NMI] = "nmi",
	    [VMEXIT_TIMER] = "timer",
	    [VMEXIT_MACHINE_CHECK] = "machine-check",
	};
	return NAME_IN(names, k, "?");
}
