/* Multiboot v1 entry: 32-bit protected mode with paging off (Multiboot spec
 * 3.2), into 64-bit long mode (SDM Vol. 3A, 10.8.5 "Initializing IA-32e
 * Mode"), then hv_main(magic, info). The first 4 GiB are identity mapped with
 * 2 MiB pages; hv/ builds the final direct map of all RAM. */
#include "lib/multiboot.h"

#define CR0_PE (1 << 0)
#define CR0_NE (1 << 5)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define PTE_P_RW 0x3
#define PTE_PS 0x80
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define COM1 0x3f8

	.section .multiboot, "a"
	.align 4
mb_header:
	.long MB_HEADER_MAGIC
	.long MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO
	.long -(MB_HEADER_MAGIC + (MB_HDR_PAGE_ALIGN | MB_HDR_MEMORY_INFO))

	.section .text.boot, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	mov %eax, boot_magic
	mov %ebx, boot_info
	mov $boot_stack_top, %esp

	/* Long mode must exist: CPUID.80000001H:EDX.LM[bit 29]. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode

	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 512 x 2 MiB pages. */
	mov $boot_pdpt, %eax
	or $PTE_P_RW, %eax
	mov %eax, boot_pml4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	add $boot_pd, %eax
	or $PTE_P_RW, %eax
	mov %eax, boot_pdpt(, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P_RW | PTE_PS), %eax
	mov %eax, boot_pd(, %ecx, 8)
	mov %ecx, %eax
	shr $11, %eax		/* high dword of the 2 MiB frame address */
	mov %eax, boot_pd + 4(, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	/* GRUB hands over with CD and NW set and NE clear (EMULATORS.md). */
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE | CR0_NE), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $SEL_CODE64, $long_mode

no_long_mode:
	/* No console yet: print a short message on COM1 raw and stop. */
	mov $msg_no_lm, %esi
3:	lodsb
	test %al, %al
	jz 4f
	mov $COM1, %dx
	out %al, %dx
	jmp 3b
4:	hlt
	jmp 4b

	.code64
long_mode:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic, %edi
	mov boot_info, %esi
	call hv_main
5:	cli
	hlt
	jmp 5b

	.section .rodata
msg_no_lm:
	.asciz "FAIL: boot: CPU has no long mode\nSUMMARY: 1 tests, 1 failures, 0 skipped\n"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff /* data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.data
boot_magic: .long 0
boot_info: .long 0

	.bss
	.align 4096
boot_pml4: .space 4096
boot_pdpt: .space 4096
boot_pd: .space 4 * 4096
	.align 16
	.global boot_stack_top
boot_stack: .space 16384
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
