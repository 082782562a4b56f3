/* World switch (AMD64 APM Vol. 2, 15.5 "VMRUN Instruction", 15.6 "#VMEXIT",
 * 15.17 "Global Interrupt Flag"). VMRUN switches RAX, RSP, RIP, RFLAGS, the
 * control registers, EFER and CS/SS/DS/ES through the VMCB and the host save
 * area (VM_HSAVE_PA); FS, GS, TR, LDTR and the SYSCALL/SYSENTER MSRs are
 * switched here by VMSAVE/VMLOAD, the host's into a page of its own so that
 * the host's TSS (its double-fault IST) survives the guest. The other guest
 * general registers are loaded from and stored back into struct guest_regs
 * (arch/x86/vcpu.h); the guest's RAX and RSP live in the VMCB. GIF is clear from
 * before the host VMSAVE to after the host VMLOAD, so nothing interrupts the
 * switch half done. Every VMRUN ends in a #VMEXIT (an illegal VMCB is
 * VMEXIT_INVALID), so there is no failure path here. */

/* Offsets in struct guest_regs; arch/x86/svm.c asserts them. */
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

/* void svm_enter(struct guest_regs *regs, u64 vmcb_pa, u64 host_save_pa) */
	.global svm_enter
svm_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdx /* the host save page, for the VMLOAD after the exit */
	push %rdi /* regs, for the exit path */

	clgi
	mov %rdx, %rax
	vmsave %rax
	mov %rsi, %rax /* RAX = VMCB physical address for VMLOAD, VMRUN, VMSAVE */
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
	mov R_RDI(%rdi), %rdi /* last: rdi held the pointer */
	vmload %rax
	vmrun %rax
	/* #VMEXIT: RAX, RSP, RIP and RFLAGS are the host's again; the other
	 * general registers still hold the guest's. */
	vmsave %rax
	push %rdi
	mov 8(%rsp), %rdi
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
	pop %rdi /* regs */
	pop %rax /* the host save page */
	vmload %rax
	stgi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.section .note.GNU-stack, "", @progbits
