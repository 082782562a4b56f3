/* The guest's fault probes (its exception entry is lib/x86/entry.S).
 * Each probe runs one instruction expected to fault, with RDI pointing at a
 * 16-byte scratch operand. It returns 0 in EAX when the instruction completes;
 * when it faults, its .extable entry sends exc_handle to the fixup with
 * vector + 1 in RAX. */

#define NONCANONICAL_ADDR 0x8000000000000000
/* INVEPT and INVVPID types (SDM Vol. 3C, 30.3, INVEPT/INVVPID). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVVPID_SINGLE_CONTEXT 1
/* An MSR index no CPU defines (SDM Vol. 4, Table 2-2 has none there). */
#define MSR_UNDEFINED 0xbad

	.text
	.code64

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
