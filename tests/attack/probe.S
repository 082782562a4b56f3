/* The attack kernel's fault probes and hypercall frames (its exception entry
 * is lib/x86/entry.S). A probe runs one instruction that may fault and
 * returns 0 in EAX when it completes; when it faults, its .extable entry
 * sends exc_handle to the fixup with vector + 1 in RAX (lib/x86/exc.h). */
#include "lib/x86/desc.h"
#include "tests/attack/attack_defs.h"

/* INVEPT and INVVPID types (SDM Vol. 3C, 31.3, INVEPT/INVVPID). */
#define INVEPT_SINGLE_CONTEXT  1
#define INVVPID_SINGLE_CONTEXT 1

	.text
	.code64

/* FAULT insn: label 1 is the instruction, label 2 the fixup after it, where
 * EAX is 0 when the instruction completed. */
.macro FAULT insn:vararg
1:	\insn
	xor %eax, %eax
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text
.endm

.macro PROBE name, insn:vararg
	.global \name
\name:
	FAULT \insn
.endm

/* unsigned atk_probe_NAME(void *operand): RDI is a 4 KiB-aligned, zeroed
 * page, the memory operand of the VMX instructions, the VMCB address
 * (RAX) of the SVM ones. */
	PROBE atk_probe_ud2, ud2
	PROBE atk_probe_vmxon, vmxon (%rdi)
	PROBE atk_probe_vmxoff, vmxoff
	PROBE atk_probe_vmptrld, vmptrld (%rdi)
	PROBE atk_probe_vmptrst, vmptrst (%rdi)
	PROBE atk_probe_vmclear, vmclear (%rdi)
	.global atk_probe_vmread
atk_probe_vmread:
	xor %ecx, %ecx /* field encoding 0 */
	FAULT vmread %rcx, %rdx
	.global atk_probe_vmwrite
atk_probe_vmwrite:
	xor %ecx, %ecx
	FAULT vmwrite %rdx, %rcx
	PROBE atk_probe_vmlaunch, vmlaunch
	PROBE atk_probe_vmresume, vmresume
	.global atk_probe_invept
atk_probe_invept:
	mov $INVEPT_SINGLE_CONTEXT, %esi
	FAULT invept (%rdi), %rsi
	.global atk_probe_invvpid
atk_probe_invvpid:
	mov $INVVPID_SINGLE_CONTEXT, %esi
	FAULT invvpid (%rdi), %rsi
	.global atk_probe_vmfunc
atk_probe_vmfunc:
	xor %eax, %eax /* EPTP switching, the only function (SDM Vol. 3C, 26.5.6) */
	xor %ecx, %ecx
	FAULT vmfunc
	.global atk_probe_vmrun
atk_probe_vmrun:
	mov %rdi, %rax
	FAULT vmrun %rax
	.global atk_probe_vmload
atk_probe_vmload:
	mov %rdi, %rax
	FAULT vmload %rax
	.global atk_probe_vmsave
atk_probe_vmsave:
	mov %rdi, %rax
	FAULT vmsave %rax
	PROBE atk_probe_stgi, stgi
	PROBE atk_probe_clgi, clgi
	.global atk_probe_skinit
atk_probe_skinit:
	mov %edi, %eax
	FAULT skinit %eax
	.global atk_probe_invlpga
atk_probe_invlpga:
	mov %rdi, %rax
	mov $1, %ecx /* ASID 1: the guest's own under SVM */
	FAULT invlpga %rax, %ecx
/* The other vendor's hypercall instruction: RAX is HC_VERSION. */
	.global atk_probe_vmcall
atk_probe_vmcall:
	xor %eax, %eax
	FAULT vmcall
	.global atk_probe_vmmcall
atk_probe_vmmcall:
	xor %eax, %eax
	FAULT vmmcall

/* unsigned atk_write_crN(u64 value) */
	PROBE atk_write_cr0, mov %rdi, %cr0
	PROBE atk_write_cr3, mov %rdi, %cr3
	PROBE atk_write_cr4, mov %rdi, %cr4
	PROBE atk_write_cr8, mov %rdi, %cr8

/* u64 atk_read_cr8(void) */
	.global atk_read_cr8
atk_read_cr8:
	mov %cr8, %rax
	ret

/* unsigned atk_rdmsr(u32 msr, u64 *value): *value only when it completes. */
	.global atk_rdmsr
atk_rdmsr:
	mov %edi, %ecx
1:	rdmsr
	shl $32, %rdx
	mov %eax, %eax
	or %rdx, %rax
	mov %rax, (%rsi)
	xor %eax, %eax
2:	ret
	.section .extable, "a"
	.quad 1b, 2b
	.text

/* unsigned atk_wrmsr(u32 msr, u64 value) */
	.global atk_wrmsr
atk_wrmsr:
	mov %edi, %ecx
	mov %rsi, %rdx
	shr $32, %rdx
	mov %esi, %eax
	FAULT wrmsr

/* unsigned atk_xsetbv(u32 xcr, u64 value) */
	.global atk_xsetbv
atk_xsetbv:
	mov %edi, %ecx
	mov %rsi, %rdx
	shr $32, %rdx
	mov %esi, %eax
	FAULT xsetbv

/* void atk_hvcall_frame(struct hc_frame *f, u64 how): one hypercall with
 * RAX, RDI, RSI, RDX from f, every other general register but RSP, R10 and
 * R11 set from f->canary (canary ^ its SDM number), and every register as
 * the call left it stored in f->after. how: HC_HOW_VMCALL, HC_HOW_VMMCALL,
 * or either with HC_HOW_COMPAT, which makes the call in compatibility mode
 * (a 32-bit code segment of the kernel's GDT), the register values having
 * been loaded in 64-bit mode. */
.macro CANARY reg, n
	mov HC_CANARY(%r10), \reg
	xor $\n, \reg
.endm

	.global atk_hvcall_frame
atk_hvcall_frame:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %r10
	mov %rsi, %r11
	CANARY %rcx, 1
	CANARY %rbx, 3
	CANARY %rbp, 5
	CANARY %r8, 8
	CANARY %r9, 9
	CANARY %r12, 12
	CANARY %r13, 13
	CANARY %r14, 14
	CANARY %r15, 15
	mov HC_RDX(%r10), %rdx
	mov HC_RSI(%r10), %rsi
	mov HC_RDI(%r10), %rdi
	mov HC_RAX(%r10), %rax
	test $HC_HOW_COMPAT, %r11
	jnz .Lcompat
	test $HC_HOW_VMMCALL, %r11
	jnz 1f
	vmcall
	jmp .Lback
1:	vmmcall
	jmp .Lback

.Lcompat:
	push %r10
	push $SEL_CODE32
	test $HC_HOW_VMMCALL, %r11
	jnz 1f
	lea .Lcompat_vmcall(%rip), %r11
	jmp 2f
1:	lea .Lcompat_vmmcall(%rip), %r11
2:	push %r11
	lretq
	.code32
.Lcompat_vmcall:
	vmcall
	jmp 3f
.Lcompat_vmmcall:
	vmmcall
3:	push $SEL_CODE64
	push $.Lcompat_back
	lret
	.code64
.Lcompat_back:
	pop %r10

.Lback:
	mov %rax, HC_AFTER + 0 * 8(%r10)
	mov %rcx, HC_AFTER + 1 * 8(%r10)
	mov %rdx, HC_AFTER + 2 * 8(%r10)
	mov %rbx, HC_AFTER + 3 * 8(%r10)
	mov %rbp, HC_AFTER + 5 * 8(%r10)
	mov %rsi, HC_AFTER + 6 * 8(%r10)
	mov %rdi, HC_AFTER + 7 * 8(%r10)
	mov %r8, HC_AFTER + 8 * 8(%r10)
	mov %r9, HC_AFTER + 9 * 8(%r10)
	mov %r12, HC_AFTER + 12 * 8(%r10)
	mov %r13, HC_AFTER + 13 * 8(%r10)
	mov %r14, HC_AFTER + 14 * 8(%r10)
	mov %r15, HC_AFTER + 15 * 8(%r10)
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .note.GNU-stack, "", @progbits
