/* Interrupt entries of the apic attack (tests/attack/apic.c): each saves the
 * registers the C ABI lets a callee clobber, calls atk_apic_irq(vector) and
 * returns with IRETQ. On entry the CPU has pushed 5 quadwords on a 16-byte
 * aligned stack (SDM Vol. 3A, 6.14.2); 9 more keep the call aligned. */
	.text
	.code64

.macro IRQ_STUB name, vec
	.global \name
\name:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov $\vec, %edi
	cld
	call atk_apic_irq
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	iretq
.endm

	IRQ_STUB atk_irq_nmi, 0x02
	IRQ_STUB atk_irq_ipi, 0x50
	IRQ_STUB atk_irq_ipi_dest, 0x51
	IRQ_STUB atk_irq_oneshot, 0x60
	IRQ_STUB atk_irq_periodic, 0x70
	IRQ_STUB atk_irq_spurious, 0xff

	.section .note.GNU-stack, "", @progbits
