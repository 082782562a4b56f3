/* Instructions that may fault, each listed in .extable with the address to
 * resume at. The exception handler (arch/x86/exc.c) finds the faulting RIP
 * there, puts vector + 1 in RAX and resumes at the fixup. */

	.text
	.code64

/* int rdmsr_safe(u32 msr, u64 *value) */
	.global rdmsr_safe
rdmsr_safe:
	mov %edi, %ecx
1:	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, (%rsi)
	xor %eax, %eax
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text

/* int wrmsr_safe(u32 msr, u64 value) */
	.global wrmsr_safe
wrmsr_safe:
	mov %edi, %ecx
	mov %rsi, %rax
	mov %rsi, %rdx
	shr $32, %rdx
1:	wrmsr
	xor %eax, %eax
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text

/* int probe_ud2(void) */
	.global probe_ud2
probe_ud2:
	xor %eax, %eax
1:	ud2
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text

/* int probe_noncanonical(void) */
	.global probe_noncanonical
probe_noncanonical:
	xor %eax, %eax
	movabs $0x8000000000000000, %rcx
1:	mov (%rcx), %rcx
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text

	.section .note.GNU-stack, "", @progbits

	.text
/* int xsetbv_safe(u32 xcr, u64 value) */
	.global xsetbv_safe
xsetbv_safe:
	mov %edi, %ecx
	mov %rsi, %rax
	mov %rsi, %rdx
	shr $32, %rdx
1:	xsetbv
	xor %eax, %eax
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text
