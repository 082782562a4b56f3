#include "tests/unit/vcpu_stub.h"
#include "arch/x86/crash.h"
#include "arch/x86/msr.h"
#include "arch/x86/irq.h"
#include "arch/x86/tsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/x86/uart.h"
#include "hv/mem/nested.h"

#define GPR_COUNT 16 /* RAX .. R15 in the SDM's register numbering */
#define CR3       3

/* uart_write has no vCPU argument: it records into the stub attached last. */
static struct vcpu_stub *last_attached;

void vcpu_stub_attach(struct vcpu *v, struct vcpu_stub *s)
{
	v->ops = &vcpu_stub_ops;
	v->arch = s;
	last_attached = s;
}

static struct vcpu_stub *stub(struct vcpu *v)
{
	return v->arch;
}

static int stub_create(struct vcpu *v, const struct vcpu_start *start, u64 nested_root)
{
	(void)start;
	v->nested_root = nested_root;
	return 0;
}

static int stub_run(struct vcpu *v, struct vm_exit *exit)
{
	(void)v;
	memset(exit, 0, sizeof(*exit));
	exit->kind = VMEXIT_ENTRY_FAIL;
	return -1;
}

static void stub_skip_insn(struct vcpu *v, const struct vm_exit *exit)
{
	if (stub(v)) {
		stub(v)->rip += exit->insn_len;
		stub(v)->skipped_insns++;
	}
}

static void stub_set_nested_root(struct vcpu *v, u64 nested_root)
{
	v->nested_root = nested_root;
	if (stub(v)) {
		stub(v)->nested_root = nested_root;
		stub(v)->set_root_calls++;
	}
}

static void stub_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	(void)has_error, (void)error;
	if (stub(v)) {
		stub(v)->injected++;
		stub(v)->last_vector = vector;
	}
}

static void stub_inject_event(struct vcpu *v, const struct vcpu_event *ev)
{
	if (stub(v)) {
		stub(v)->events++;
		stub(v)->last_event = *ev;
	}
}

static bool stub_intr_window_open(struct vcpu *v)
{
	return stub(v) && stub(v)->window_open;
}

static void stub_request_intr_window(struct vcpu *v, bool on)
{
	if (stub(v))
		stub(v)->window_requested = on;
}

static bool stub_nmi_window_open(struct vcpu *v)
{
	return stub(v) && stub(v)->window_open;
}

static bool stub_interrupts_enabled(struct vcpu *v)
{
	return stub(v) && stub(v)->window_open;
}

static void stub_arm_timer(struct vcpu *v, u64 tsc_deadline)
{
	if (stub(v))
		stub(v)->timer_deadline = tsc_deadline;
}

static bool stub_set_tsc_offset(struct vcpu *v, u64 offset)
{
	if (stub(v)) {
		stub(v)->tsc_offset = offset;
		stub(v)->tsc_offset_calls++;
	}
	return true;
}

static u64 stub_rip(struct vcpu *v)
{
	return stub(v) ? stub(v)->rip : 0;
}

static u64 stub_rsp(struct vcpu *v)
{
	return stub(v) ? stub(v)->rsp : 0;
}

static u64 stub_seg_base(struct vcpu *v, unsigned sreg)
{
	(void)v, (void)sreg;
	return 0;
}

static u64 stub_cr3(struct vcpu *v)
{
	return stub(v) ? stub(v)->cr3 : 0;
}

static unsigned stub_cpl(struct vcpu *v)
{
	return stub(v) ? stub(v)->cpl : 0;
}

static void stub_dump(struct vcpu *v)
{
	if (stub(v))
		stub(v)->dumps++;
}

static u64 *stub_gpr(struct vcpu *v, unsigned n)
{
	u64 *const gpr[GPR_COUNT] = {
	    &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL /* RSP: vendor state */,
	    &v->regs.rbp, &v->regs.rsi, &v->regs.rdi, &v->regs.r8,  &v->regs.r9,
	    &v->regs.r10, &v->regs.r11, &v->regs.r12, &v->regs.r13, &v->regs.r14,
	    &v->regs.r15,
	};
	return n < GPR_COUNT ? gpr[n] : NULL;
}

static bool stub_in_64bit_mode(struct vcpu *v)
{
	return !(stub(v) && stub(v)->not_64bit);
}

/* A flat code segment: base 0, 32-bit outside 64-bit mode. */
static void stub_code_segment(struct vcpu *v, u64 *base, bool *db)
{
	(void)v;
	*base = 0;
	*db = true;
}

static bool stub_write_cr(struct vcpu *v, unsigned cr, u64 val)
{
	(void)v, (void)cr, (void)val;
	return false;
}

static u64 stub_read_cr(struct vcpu *v, unsigned cr)
{
	return cr == CR3 ? stub_cr3(v) : 0;
}

static bool stub_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	/* EFER only when the test gave one (a guest in long mode). */
	if (stub(v) && stub(v)->efer && msr == IA32_EFER && !write) {
		*val = stub(v)->efer;
		return true;
	}
	return false;
}

static bool stub_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	(void)v, (void)xcr, (void)val;
	return false;
}

static const char *stub_exit_name(u32 raw_reason)
{
	(void)raw_reason;
	return "stub-exit";
}

void uart_write(const char *s, size_t n)
{
	struct vcpu_stub *st = last_attached;
	if (!st)
		return;
	for (size_t i = 0; i < n && st->uart_len < sizeof(st->uart); i++)
		st->uart[st->uart_len++] = s[i];
}

const struct vcpu_ops vcpu_stub_ops = {
    .name = "stub",
    .nested_fault_name = "stub nested fault",
    .nested_format = NESTED_FORMAT_EPT,
    .create = stub_create,
    .run = stub_run,
    .skip_insn = stub_skip_insn,
    .set_nested_root = stub_set_nested_root,
    .inject_exception = stub_inject_exception,
    .inject_event = stub_inject_event,
    .intr_window_open = stub_intr_window_open,
    .request_intr_window = stub_request_intr_window,
    .nmi_window_open = stub_nmi_window_open,
    .interrupts_enabled = stub_interrupts_enabled,
    .arm_timer = stub_arm_timer,
    .set_tsc_offset = stub_set_tsc_offset,
    .rip = stub_rip,
    .rsp = stub_rsp,
    .seg_base = stub_seg_base,
    .cr3 = stub_cr3,
    .cpl = stub_cpl,
    .in_64bit_mode = stub_in_64bit_mode,
    .code_segment = stub_code_segment,
    .dump = stub_dump,
    .gpr = stub_gpr,
    .write_cr = stub_write_cr,
    .read_cr = stub_read_cr,
    .msr = stub_msr,
    .xsetbv = stub_xsetbv,
    .exit_name = stub_exit_name,
};

/* Host tests have no PIT: the TSC rate is unknown, as on a platform without
 * one (hv/vm/vm.c then reports cycles). */
u64 tsc_hz_from_pit(unsigned ms)
{
	(void)ms;
	return 0;
}

/* No host interrupts in a host test: nothing taken, no timer to stop. */
const struct irq_counts *irq_counts(void)
{
	static const struct irq_counts none;
	return &none;
}

void irq_timer_stop(void) {}

void irq_test_set(enum irq_test t)
{
	(void)t;
}

u64 irq_host_tick_period(void)
{
	return 0;
}

/* The hypervisor's deliberate faults (crash_test=) have no place in a host
 * test: reaching one is a failure. */
void crash_now(enum crash_kind kind)
{
	fprintf(stderr, "crash_now(%d) reached in a host test\n", (int)kind);
	abort();
}
