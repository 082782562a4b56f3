/* A stand-in for the vendor backend (the vcpu_arch_* functions of arch/x86/vcpu.h)
 * in host unit tests of hv/ code that drives a vCPU. The "hardware" state a
 * test wants to set (guest CR3, CPL, RIP) or observe (nested-root reloads,
 * skipped instructions, injected exceptions, dumps) lives in a struct
 * vcpu_stub the test attaches to the vCPU's arch pointer; a vCPU with no
 * stub attached behaves as a CPL-0 guest with CR3 0 and records nothing.
 * uart_write, which hv/vm/exits.c calls for the guest's COM1 bytes, is stubbed
 * here too and records into the attached stub's buffer. Nothing runs a
 * guest: vcpu_arch_run reports a failed entry. */
#ifndef TESTS_UNIT_VCPU_STUB_H
#define TESTS_UNIT_VCPU_STUB_H

#include "arch/x86/vcpu.h"

#define VCPU_STUB_UART_MAX 256

struct vcpu_stub {
	/* Set by the test. */
	u64 cr3;
	u64 rip;
	u64 rsp;
	u64 efer; /* nonzero: vcpu_arch_msr reads it as the guest's EFER */
	unsigned cpl;
	bool not_64bit;   /* the guest runs outside 64-bit mode (compatibility mode, say) */
	bool window_open; /* vcpu_arch_intr_window_open answers this */
	/* Recorded by the backend functions. */
	u64 nested_root;         /* last root passed to vcpu_arch_set_nested_root */
	unsigned set_root_calls; /* nested-table reloads */
	unsigned skipped_insns;  /* vcpu_arch_skip_insn calls */
	unsigned injected;       /* vcpu_arch_inject_exception calls */
	u8 last_vector;          /* of the last injection */
	unsigned events;         /* vcpu_arch_inject_event calls */
	struct vcpu_event last_event;
	bool window_requested; /* the last vcpu_arch_request_intr_window */
	u64 timer_deadline;    /* the last vcpu_arch_arm_timer */
	u64 tsc_offset;        /* the last vcpu_arch_set_tsc_offset */
	u64 tsc_offset_calls;
	unsigned dumps; /* vcpu_arch_dump calls */
	char uart[VCPU_STUB_UART_MAX];
	unsigned uart_len;
};

extern const struct vcpu_ops vcpu_stub_ops;

/* Makes the stub v's backend and s its state; s outlives v's use. */
void vcpu_stub_attach(struct vcpu *v, struct vcpu_stub *s);

#endif
