/* VM entry and exit (SDM Vol. 3C, 27 "VM Entries", 28 "VM Exits"). The
 * host RSP in the VMCS is written here, just before entry, so that the exit
 * lands on this stack frame; the exit path saves the guest's general
 * registers into struct guest_regs (arch/x86/vcpu.h) and returns 0. A failed
 * VMLAUNCH/VMRESUME returns 1 (VMfailInvalid) or 2 (VMfailValid). */
/* VMCS encoding of the host RSP field (SDM Vol. 3D, B.4.4); arch/x86/vmx.c
 * asserts it equals VMCS_HOST_RSP. */
#define ENC_HOST_RSP 0x6c14

/* Offsets in struct guest_regs. */
#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 32
#define R_RSI 40
#define R_RDI 48
#define R_R8 56
#define R_R9 64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112

	.text
	.code64

/* int vmx_enter(struct guest_regs *regs, int launched) */
	.global vmx_enter
vmx_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi /* the exit path finds regs here */

	mov $ENC_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe entry_failed_before

	test %esi, %esi
	mov R_RAX(%rdi), %rax
	mov R_RCX(%rdi), %rcx
	mov R_RDX(%rdi), %rdx
	mov R_RBX(%rdi), %rbx
	mov R_RBP(%rdi), %rbp
	mov R_RSI(%rdi), %rsi
	mov R_R8(%rdi), %r8
	mov R_R9(%rdi), %r9
	mov R_R10(%rdi), %r10
	mov R_R11(%rdi), %r11
	mov R_R12(%rdi), %r12
	mov R_R13(%rdi), %r13
	mov R_R14(%rdi), %r14
	mov R_R15(%rdi), %r15
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
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
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
	mov %rcx, R_RCX(%rdi)
	mov %rdx, R_RDX(%rdi)
	mov %rbx, R_RBX(%rdi)
	mov %rbp, R_RBP(%rdi)
	mov %rsi, R_RSI(%rdi)
	mov %r8, R_R8(%rdi)
	mov %r9, R_R9(%rdi)
	mov %r10, R_R10(%rdi)
	mov %r11, R_R11(%rdi)
	mov %r12, R_R12(%rdi)
	mov %r13, R_R13(%rdi)
	mov %r14, R_R14(%rdi)
	mov %r15, R_R15(%rdi)
	pop %rax
	mov %rax, R_RDI(%rdi)
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	xor %eax, %eax
	ret

	.section .note.GNU-stack, "", @progbits
