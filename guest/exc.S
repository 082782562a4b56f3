/* The guest's exception entry (SDM Vol. 3A, 6.14 "Exception and Interrupt
 * Handling in 64-bit Mode") and its fault probes. Each stub evens out the
 * frame (a zero error code where the CPU pushes none) and pushes its
 * vector; the common path saves the general registers as guest/exc.c's
 * struct guest_exc_frame and calls guest_exc_handle(frame).
 *
 * Each probe runs one instruction expected to fault, with RDI pointing at a
 * 16-byte scratch operand. It returns 0 in EAX when the instruction completes;
 * when it faults, its .extable entry sends guest_exc_handle to the fixup with
 * vector + 1 in RAX. */

/* Vectors whose exceptions push an error code (SDM Vol. 3A, Table 6-1). */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)
#define NONCANONICAL_ADDR 0x8000000000000000
/* INVEPT and INVVPID types (SDM Vol. 3C, 30.3, INVEPT/INVVPID). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVVPID_SINGLE_CONTEXT 1
/* An MSR index no CPU defines (SDM Vol. 4, Table 2-2 has none there). */
#define MSR_UNDEFINED 0xbad

	.text
	.code64

.macro STUB v
gexc_stub_\v:
	.if HAS_ERROR_CODE(\v) == 0
	push $0
	.endif
	push $\v
	jmp gexc_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	STUB \v
.endr

gexc_common:
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
	call guest_exc_handle
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
	.global guest_exc_stubs
guest_exc_stubs:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad gexc_stub_\v
.endr
	.text

/* unsigned NAME(void *operand): PROBE_START, any setup, then PROBE_FAULT on
 * the one instruction that should fault (label 1, its fixup label 2). */
.macro PROBE_START name
	.global \name
\name:
	xor %eax, %eax
.endm

.macro PROBE_FAULT insn:vararg
1:	\insn
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text
.endm

.macro PROBE name, insn:vararg
	PROBE_START \name
	PROBE_FAULT \insn
.endm

	PROBE guest_probe_ud2, ud2
	PROBE_START guest_probe_noncanonical
	movabs $NONCANONICAL_ADDR, %rcx
	PROBE_FAULT mov (%rcx), %rcx
	PROBE_START guest_probe_rdmsr_unknown
	mov $MSR_UNDEFINED, %ecx
	PROBE_FAULT rdmsr
	PROBE guest_probe_vmxon, vmxon (%rdi)
	PROBE guest_probe_vmxoff, vmxoff
	PROBE guest_probe_vmptrld, vmptrld (%rdi)
	PROBE guest_probe_vmptrst, vmptrst (%rdi)
	PROBE guest_probe_vmclear, vmclear (%rdi)
	PROBE_START guest_probe_vmread
	xor %ecx, %ecx /* field encoding 0 */
	PROBE_FAULT vmread %rcx, %rdx
	PROBE_START guest_probe_vmwrite
	xor %ecx, %ecx
	PROBE_FAULT vmwrite %rdx, %rcx
	PROBE guest_probe_vmlaunch, vmlaunch
	PROBE guest_probe_vmresume, vmresume
	PROBE_START guest_probe_invept
	mov $INVEPT_SINGLE_CONTEXT, %esi
	PROBE_FAULT invept (%rdi), %rsi
	PROBE_START guest_probe_invvpid
	mov $INVVPID_SINGLE_CONTEXT, %esi
	PROBE_FAULT invvpid (%rdi), %rsi

	.section .note.GNU-stack, "", @progbits
