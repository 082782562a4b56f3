/* Exception entry stubs for vectors 0-31 (SDM Vol. 3A, 6.14 "Exception and
 * Interrupt Handling in 64-bit Mode"), built into both kernels. Each stub
 * makes the frame uniform (a zero error code where the CPU pushes none) and
 * pushes its vector; the common path saves the general registers as struct
 * exc_frame (lib/x86/exc.h) and calls exc_handle(frame), the kernel's own.
 * exc_stubs lists the stubs' addresses for the IDT. */

/* Vectors whose exceptions push an error code (SDM Vol. 3A, Table 6-1). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)

	.text
	.code64

.macro STUB v
	.align 16
exc_stub_\v:
	.if HAS_ERROR_CODE(\v) == 0
	push $0
	.endif
	push $\v
	jmp exc_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
.endr

exc_common:
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
	call exc_handle
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
	.global exc_stubs
exc_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc_stub_\v
.endr

	.section .note.GNU-stack, "", @progbits
