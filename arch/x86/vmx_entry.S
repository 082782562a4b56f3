/* VM entry and exit (SDM Vol. 3C, 27 "VM Entries", 28 "VM Exits"). The
 * host RSP in the VMCS is written here, just before entry, so that the exit
 * lands on this stack frame; the exit path saves the guest's general
 * registers into struct guest_regs (arch/x86/vcpu.h) and returns 0. A failed
 * VMLAUNCH/VMRESUME returns 1 (VMfailInvalid) or 2 (VMfailValid). */
/* VMCS encoding of the host RSP field (SDM Vol. 3D, B.4.4); arch/x86/vmx.c
 * asserts it equals VMCS_HOST_RSP. */
#define ENC_HOST_RSP 0x6c14

#include "arch/x86/guest_regs.h"

	.text
	.code64

/* int vmx_enter(struct guest_regs *regs, int launched) */
	.global vmx_enter
vmx_enter:
	PUSH_HOST_CALLEE_SAVED
	push %rdi /* the exit path finds regs here */

	mov $ENC_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe entry_failed_before

	test %esi, %esi
	mov R_RAX(%rdi), %rax
	LOAD_GUEST_GPRS
	mov R_RDI(%rdi), %rdi /* last: rdi held the pointer; flags from test survive mov */
	jnz 1f
	vmlaunch
	jmp entry_failed
1:	vmresume
entry_failed:
	/* Still on the host stack; CF=1 VMfailInvalid, ZF=1 VMfailValid. The
	 * guest registers in the CPU are lost, but they were only loaded. */
	mov $1, %eax
	jc 2f
	mov $2, %eax
2:	pop %rdi
	POP_HOST_CALLEE_SAVED
	ret
entry_failed_before:
	mov $1, %eax
	jc 2b
	mov $2, %eax
	jmp 2b

	.global vmx_exit_entry
vmx_exit_entry:
	push %rdi
	mov 8(%rsp), %rdi
	mov %rax, R_RAX(%rdi)
	STORE_GUEST_GPRS
	pop %rax
	mov %rax, R_RDI(%rdi)
	pop %rdi
	POP_HOST_CALLEE_SAVED
	xor %eax, %eax
	ret

	.section .note.GNU-stack, "", @progbits
