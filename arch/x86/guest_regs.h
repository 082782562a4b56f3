/* struct guest_regs (arch/x86/vcpu.h) seen from assembly: its offsets, and
 * the instruction sequences both world switches use to load the guest's
 * general registers before entry and store them after the exit
 * (arch/x86/vmx_entry.S, arch/x86/svm_entry.S). RAX, RSP and RDI are left to
 * the callers: VMX loads RAX itself, SVM keeps the guest's RAX in the VMCB,
 * and RDI holds the struct's address until the last load. arch/x86/vmx.c and
 * arch/x86/svm.c assert the offsets against the C struct. */
#ifndef ARCH_X86_GUEST_REGS_H
#define ARCH_X86_GUEST_REGS_H

#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 32
#define R_RSI 40
#define R_RDI 48
#define R_R8  56
#define R_R9  64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112

/* Assembler macros, kept as written: */
/* clang-format off */
#ifdef __ASSEMBLY__
/* Loads RCX, RDX, RBX, RBP, RSI, R8-R15 from the struct at (%rdi). */
.macro LOAD_GUEST_GPRS
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
.endm

/* The host's callee-saved registers (System V AMD64 ABI), kept on the host
 * stack across the guest's run. */
.macro PUSH_HOST_CALLEE_SAVED
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
.endm
.macro POP_HOST_CALLEE_SAVED
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
.endm

/* Stores the same registers into the struct at (%rdi). */
.macro STORE_GUEST_GPRS
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
.endm
#endif
/* clang-format on */

#endif
