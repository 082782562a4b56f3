/* Exception entry stubs for vectors 0-31 (SDM Vol. 3A, 6.14 "Exception and
 * Interrupt Handling in 64-bit Mode"). Each stub makes the frame uniform
 * (a zero error code where the CPU pushes none), saves the general
 * registers as struct exc_frame and calls exc_handle(frame). */

/* Vectors whose exceptions push an error code (SDM Table 6-1). */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.code64

.macro STUB v
	.align 16
exc_stub_\v:
	.if HAS_ERR(\v) == 0
	push $0
	.endif
	push $\v
	jmp exc_common
.endm

	.align 16
	.global exc_stubs
exc_stubs:
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
	mov %rsp, %rdi
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

	.section .note.GNU-stack, "", @progbits
