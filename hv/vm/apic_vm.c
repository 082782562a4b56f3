/* The guest's local APIC at work in the vCPU loop (hv/vm/vm.h): interrupt
 * delivery before each entry (hv/platform/intr.h decides, the backend
 * injects), the timer armed through the backend, and HLT that sleeps until
 * the next interrupt; the xAPIC page's accesses, trapped by the nested
 * table (the page is a hole in the guest map) and decoded. The APIC's clock is the guest's TSC
 * (host TSC plus the platform's offset). */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "hv/platform/intr.h"
#include "hv/vm/insn.h"
#include "hv/vm/vm.h"
#include "lib/fmt.h"
#include "lib/x86/cr.h"

static u64 guest_tsc(const struct vm *vm)
{
	return vtsc_guest(&vm->platform.tsc, tsc_read());
}

void vm_intr_before_entry(struct vm *vm)
{
	struct apic *a = &vm->platform.apic;
	struct vcpu *v = &vm->vcpu;
	apic_tick(a, guest_tsc(vm));
	const struct intr_guest g = {
	    .intr_window = vcpu_arch_intr_window_open(v),
	    .nmi_window = a->nmi_pending && vcpu_arch_nmi_window_open(v),
	};
	const struct intr_choice c = intr_choose(a, &g);
	if (c.action == INTR_INJECT_EXTINT) {
		const struct vcpu_event ev = {.type = VCPU_EV_EXTINT, .vector = c.vector};
		vcpu_arch_inject_event(v, &ev);
		vm->intr_injected++;
	} else if (c.action == INTR_INJECT_NMI) {
		const struct vcpu_event ev = {.type = VCPU_EV_NMI, .vector = c.vector};
		vcpu_arch_inject_event(v, &ev);
		vm->nmi_injected++;
	}
	vcpu_arch_request_intr_window(v, c.want_window);
	/* The timer's next expiry, in host TSC for the backend. */
	const u64 next = apic_next_deadline(a);
	vcpu_arch_arm_timer(v, next ? next - vm->platform.tsc.offset : 0);
}

/* ---- the xAPIC page (SDM Vol. 3A, 11.4.1: 32-bit aligned accesses) ---- */

#define OPC_MOV_STORE     0x89 /* MOV r/m32, r32 */
#define OPC_MOV_LOAD      0x8b /* MOV r32, r/m32 */
#define OPC_MOV_IMM       0xc7 /* MOV r/m32, imm32 (/0) */
#define OPC_MOV_LOAD_AX   0xa1 /* MOV EAX, moffs32 */
#define OPC_MOV_STORE_AX  0xa3 /* MOV moffs32, EAX */
#define APIC_ACCESS_BYTES 4

/* What a decoded MOV does with the APIC register. */
struct apic_mov {
	bool store;
	bool imm; /* the stored value is the immediate */
	u8 gpr;   /* the register loaded or stored (SDM numbering) */
};

/* The forms this emulates: a 32-bit MOV between a general register (or an
 * immediate) and memory, no LOCK, REP or VEX. Returns a reason otherwise. */
static const char *apic_mov_form(const struct insn *in, struct apic_mov *m)
{
	if (in->vex || in->lock || in->rep || in->map != INSN_MAP_ONE_BYTE)
		return "not a plain one-byte-opcode MOV";
	if (in->operand_size != APIC_ACCESS_BYTES)
		return "not a 32-bit access (APIC registers are read and written 32 bits at a "
		       "time)";
	switch (in->opcode) {
	case OPC_MOV_STORE:
	case OPC_MOV_LOAD:
		if (in->mem != INSN_MEM_MODRM)
			return "register form";
		m->store = in->opcode == OPC_MOV_STORE;
		m->imm = false;
		m->gpr = in->reg;
		return NULL;
	case OPC_MOV_IMM:
		if (in->mem != INSN_MEM_MODRM || in->reg != 0)
			return "C7 other than MOV r/m32, imm32";
		m->store = true;
		m->imm = true;
		return NULL;
	case OPC_MOV_LOAD_AX:
	case OPC_MOV_STORE_AX:
		m->store = in->opcode == OPC_MOV_STORE_AX;
		m->imm = false;
		m->gpr = INSN_RAX;
		return NULL;
	}
	return "not a MOV form the xAPIC emulation accepts (89, 8B, C7 /0, A1, A3)";
}

enum insn_mode vm_insn_mode(struct vm *vm)
{
	if (vcpu_arch_in_64bit_mode(&vm->vcpu))
		return INSN_MODE_64;
	/* Outside 64-bit mode CS.D sets the default operand and address size (SDM Vol. 3A,
	 * 3.4.5); real mode is 16-bit. */
	u64 base;
	bool db;
	vcpu_arch_code_segment(&vm->vcpu, &base, &db);
	return (vcpu_arch_read_cr(&vm->vcpu, 0) & CR0_PE) && db ? INSN_MODE_32 : INSN_MODE_16;
}

unsigned vm_fetch_insn(struct vm *vm, u64 rip, u8 bytes[INSN_MAX_LENGTH])
{
	unsigned n = 0;
	for (; n < INSN_MAX_LENGTH; n++) {
		u64 gpa;
		if (!vm_linear_to_gpa(vm, rip + n, &gpa) ||
		    !vm_copy_from_guest(vm, &bytes[n], gpa, 1))
			break;
	}
	return n;
}

void vm_apic_mmio(struct vm *vm, const struct vm_exit *e)
{
	struct vcpu *v = &vm->vcpu;
	const u64 rip = vcpu_arch_rip(v), at = vm_insn_linear(vm);
	const u32 off = (u32)(e->gpa & (APIC_PAGE_SIZE - 1));
	if (e->npf.fetch) {
		vm_stop(vm, "instruction fetch from the xAPIC page (GPA 0x%llx, RIP 0x%llx)",
		        e->gpa, rip);
		return;
	}
	u8 bytes[INSN_MAX_LENGTH] = {0}; /* a short read still prints defined bytes */
	const unsigned n = vm_fetch_insn(vm, at, bytes);
	struct insn in;
	const enum insn_error err = insn_decode(bytes, n, vm_insn_mode(vm), &in);
	struct apic_mov m = {0};
	const char *why = err != INSN_OK ? insn_error_name(err) : apic_mov_form(&in, &m);
	u64 *reg = NULL;
	if (!why && !m.imm) {
		reg = vcpu_arch_gpr(v, m.gpr);
		if (!reg)
			why = "RSP as the register operand";
	}
	if (!why && (m.store != e->npf.write))
		why = "the decoded direction differs from the access that exited";
	if (why) {
		vm_stop(vm,
		        "xAPIC %s of offset 0x%x at RIP 0x%llx (bytes %02x %02x %02x %02x): cannot "
		        "emulate: %s",
		        e->npf.write ? "write" : "read", off, rip, bytes[0], bytes[1], bytes[2],
		        bytes[3], why);
		return;
	}
	struct apic *a = &vm->platform.apic;
	if (m.store) {
		const u32 val = m.imm ? (u32)in.imm : (u32)*reg;
		apic_mmio_write(a, off, val, guest_tsc(vm));
		vm->apic_writes++;
	} else {
		/* A 32-bit load zero-extends into the 64-bit register (SDM Vol. 1,
		 * 3.4.1.1); outside 64-bit mode the upper half is invisible. */
		*reg = apic_mmio_read(a, off, guest_tsc(vm));
		vm->apic_reads++;
	}
	struct vm_exit done = *e;
	done.insn_len = in.length;
	vcpu_arch_skip_insn(v, &done);
}

/* ---- CR8 (SDM Vol. 3A, 11.8.6.1: CR8[3:0] is TPR[7:4]; a write clears
 * TPR[3:0]; CR8[63:4] are reserved) ---- */

#define CR8_TPR_BITS  0xfull
#define CR8_TPR_SHIFT 4

bool vm_apic_cr8(struct vm *vm, bool write, u64 *val)
{
	struct apic *a = &vm->platform.apic;
	if (!write) {
		*val = a->tpr >> CR8_TPR_SHIFT & CR8_TPR_BITS;
		return true;
	}
	if (*val & ~CR8_TPR_BITS)
		return false;
	a->tpr = (u32)(*val << CR8_TPR_SHIFT);
	return true;
}

/* ---- HLT (SDM Vol. 2A, HLT: resumes on an interrupt, NMI, INIT, SMI) ---- */

/* Bounded work per exit: the host waits at most this long in one HLT exit.
 * When the guest's next interrupt is later, RIP stays at the HLT, the guest
 * halts again at once and the exit loop runs in between (guest_time=, the
 * host's own work). */
#define HLT_SLICE_PER_S   100          /* 10 ms of TSC a slice */
#define HLT_SLICE_DEFAULT (1ull << 24) /* without a TSC rate */

void vm_hlt(struct vm *vm, const struct vm_exit *e)
{
	struct vcpu *v = &vm->vcpu;
	struct apic *a = &vm->platform.apic;
	const u64 rip = vcpu_arch_rip(v);
	const u64 slice = vm->tsc_hz ? vm->tsc_hz / HLT_SLICE_PER_S : HLT_SLICE_DEFAULT;
	const u64 slice_end = guest_tsc(vm) + slice;
	bool slept = false;
	for (;;) {
		apic_tick(a, guest_tsc(vm));
		u64 wake = 0;
		const enum intr_hlt h = intr_hlt(a, vcpu_arch_interrupts_enabled(v), &wake);
		if (h == INTR_HLT_WAKE) {
			if (slept)
				vm->hlt_sleeps++;
			vcpu_arch_skip_insn(v, e); /* the interrupt returns past the HLT */
			return;                    /* vm_intr_before_entry delivers it */
		}
		if (h != INTR_HLT_SLEEP) {
			vm->state = VM_HALTED;
			fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason),
			             "guest executed HLT with %s (rip 0x%llx)", intr_hlt_name(h),
			             rip);
			return;
		}
		/* The guest sleeps: the host waits for the timer's expiry (it runs
		 * with interrupts off, so it watches the TSC), a slice at most. */
		slept = true;
		const u64 until = wake < slice_end ? wake : slice_end;
		while (guest_tsc(vm) < until)
			cpu_pause();
		if (until < wake)
			return; /* the slice is over: RIP stays at the HLT */
	}
}
