/* World switch (AMD64 APM Vol. 2, 15.5 "VMRUN Instruction", 15.6 "#VMEXIT",
 * 15.17 "Global Interrupt Flag"). VMRUN switches RAX, RSP, RIP, RFLAGS, the
 * control registers, EFER and CS/SS/DS/ES through the VMCB and the host save
 * area (VM_HSAVE_PA); FS, GS, TR, LDTR and the SYSCALL/SYSENTER MSRs are
 * switched here by VMSAVE/VMLOAD, the host's into a page of its own so that
 * the host's TSS (its double-fault IST) survives the guest. The other guest
 * general registers are loaded from and stored back into struct guest_regs
 * (arch/x86/vcpu.h); the guest's RAX and RSP live in the VMCB. GIF is clear from
 * before the host VMSAVE to after the host VMLOAD, so nothing interrupts the
 * switch half done; the host's RFLAGS.IF is 1 only from before VMRUN to
 * after the exit, inside that window. Every VMRUN ends in a #VMEXIT (an illegal VMCB is
 * VMEXIT_INVALID), so there is no failure path here. */

#include "arch/x86/guest_regs.h"

	.text
	.code64

/* void svm_enter(struct guest_regs *regs, u64 vmcb_pa, u64 host_save_pa) */
	.global svm_enter
svm_enter:
	PUSH_HOST_CALLEE_SAVED
	push %rdx /* the host save page, for the VMLOAD after the exit */
	push %rdi /* regs, for the exit path */

	clgi
	mov %rdx, %rax
	vmsave %rax
	mov %rsi, %rax /* RAX = VMCB physical address for VMLOAD, VMRUN, VMSAVE */
	LOAD_GUEST_GPRS
	mov R_RDI(%rdi), %rdi /* last: rdi held the pointer */
	vmload %rax
	/* RFLAGS.IF = 1 at VMRUN: with V_INTR_MASKING it is the mask of physical
	 * interrupts in guest mode (15.21.1), so that they exit through the
	 * INTR intercept; GIF = 0 holds them until then. */
	sti
	vmrun %rax
	/* #VMEXIT: RAX, RSP, RIP and RFLAGS are the host's again; the other
	 * general registers still hold the guest's. */
	vmsave %rax
	push %rdi
	mov 8(%rsp), %rdi
	STORE_GUEST_GPRS
	pop %rax
	mov %rax, R_RDI(%rdi)
	pop %rdi /* regs */
	pop %rax /* the host save page */
	vmload %rax
	/* #VMEXIT restored the host's RFLAGS (IF = 1) with GIF = 0: the host
	 * runs with IF = 0, and takes a pending interrupt only where it chooses
	 * (svm.c, host_event); a pending NMI is taken at the STGI. */
	cli
	stgi
	POP_HOST_CALLEE_SAVED
	ret

	.section .note.GNU-stack, "", @progbits
