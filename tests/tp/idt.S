/* The tp kernel's interrupt entries and faulting probes.
 *
 * Vectors 0-31 and the interrupt vectors of tp.h each have a stub that makes
 * the frame uniform (an error code of 0 where the CPU pushes none, SDM Vol.
 * 3A, Table 6-1), pushes its vector and saves the general registers as
 * struct tp_frame; tp_trap(frame) handles it and may change the saved RIP
 * and RAX before IRETQ.
 *
 * Each probe runs one instruction that may fault. Its address and the
 * address to resume at are listed in section .tp_fixup; tp_trap resumes a
 * fault there with the vector + 1 in RAX, so a probe returns 0 when the
 * instruction completed and vector + 1 when it faulted. */
#include "tests/tp/tp.h"

#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)

	.text
	.code64

.macro STUB v
	.align 16
tp_stub_\v:
	.if HAS_ERROR_CODE(\v) == 0
	push $0
	.endif
	push $\v
	jmp tp_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
.endr

/* An interrupt vector's stub and its row in tp_irq_stubs (vector, entry). */
.macro IRQ_ENTRY v
	.pushsection .rodata.tp_irq, "a"
	.quad \v, tp_stub_\v
	.popsection
	STUB \v
.endm

	.pushsection .rodata.tp_irq, "a"
	.align 8
	.global tp_irq_stubs
tp_irq_stubs:
	.popsection
	IRQ_ENTRY TP_VEC_TIMER
	IRQ_ENTRY TP_VEC_IPI
	IRQ_ENTRY TP_VEC_X2_ICR
	IRQ_ENTRY TP_VEC_X2_SELF
	IRQ_ENTRY TP_VEC_SPURIOUS
	.pushsection .rodata.tp_irq, "a"
	.quad 0, 0 /* the end of the table */
	.popsection

tp_common:
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
	call tp_trap
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

	.section .rodata
	.align 8
	.global tp_stubs
tp_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad tp_stub_\v
.endr

/* After the instruction at label 1 that may fault: its row of .tp_fixup, resuming at label 2. */
.macro FIXUP
	.pushsection .tp_fixup, "a"
	.quad 1b, 2f
	.popsection
.endm

	.text
/* unsigned tp_write_cr0(u64 value) */
	.global tp_write_cr0
tp_write_cr0:
	xor %eax, %eax
1:	mov %rdi, %cr0
	FIXUP
2:	ret

/* unsigned tp_write_cr4(u64 value) */
	.global tp_write_cr4
tp_write_cr4:
	xor %eax, %eax
1:	mov %rdi, %cr4
	FIXUP
2:	ret

/* unsigned tp_xsetbv(u32 xcr, u64 value) */
	.global tp_xsetbv
tp_xsetbv:
	mov %edi, %ecx
	mov %rsi, %rdx
	shr $32, %rdx
	mov %esi, %eax
1:	xsetbv
	xor %eax, %eax
	FIXUP
2:	ret

/* unsigned tp_rdmsr(u32 msr, u64 *value) */
	.global tp_rdmsr
tp_rdmsr:
	mov %edi, %ecx
	xor %eax, %eax
	xor %edx, %edx
1:	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, (%rsi)
	xor %eax, %eax
	FIXUP
2:	ret

/* unsigned tp_wrmsr(u32 msr, u64 value) */
	.global tp_wrmsr
tp_wrmsr:
	mov %edi, %ecx
	mov %rsi, %rdx
	shr $32, %rdx
	mov %esi, %eax
1:	wrmsr
	xor %eax, %eax
	FIXUP
2:	ret

	.section .note.GNU-stack, "", @progbits
