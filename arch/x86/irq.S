/* Entry stubs of the host's own for vectors 32-255 (SDM Vol. 3A, 6.14
 * "Exception and Interrupt Handling in 64-bit Mode"), apart from the
 * exception stubs of lib/x86/entry.S that the guests share. An interrupt
 * pushes no error code: each stub pushes a zero and its vector, so that the
 * frame is struct exc_frame (lib/x86/exc.h), and the common path calls
 * irq_entry(frame) (arch/x86/irq.c). irq_stubs lists the entry points. */

#include "arch/x86/irq.h"

	.text
	.code64

.altmacro
.macro IRQ_STUB v
	.align 16
irq_stub_\v:
	push $0
	push $\v
	jmp irq_common
.endm

.set vec, IRQ_FIRST_VECTOR
.rept IRQ_VECTORS
	IRQ_STUB %vec
	.set vec, vec + 1
.endr

irq_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi /* 22 quadwords from a 16-byte aligned RSP: still aligned */
	cld
	call irq_entry
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp /* vector and error code */
	iretq

/* void irq_iret_to_self(void): an IRET to the next instruction, which ends
 * the blocking of NMIs that a VM exit caused by an NMI leaves in effect
 * (SDM Vol. 3C, "Updating Non-Register State" under VM exits; IRET is what
 * unblocks NMIs, Vol. 3A 6.7.1). */
	.global irq_iret_to_self
irq_iret_to_self:
	mov %rsp, %rax
	mov %ss, %ecx
	push %rcx
	push %rax
	pushfq
	mov %cs, %ecx
	push %rcx
	lea 1f(%rip), %rax
	push %rax
	iretq
1:	ret

	.section .rodata
	.align 8
	.global irq_stubs
irq_stubs:
.macro IRQ_STUB_ADDR v
	.quad irq_stub_\v
.endm
.set vec, IRQ_FIRST_VECTOR
.rept IRQ_VECTORS
	IRQ_STUB_ADDR %vec
	.set vec, vec + 1
.endr

	.section .note.GNU-stack, "", @progbits
