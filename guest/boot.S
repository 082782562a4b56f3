/* The test guest's Multiboot v1 entry: from 32-bit protected mode with
 * paging off into long mode over its own boot tables (identity, first 4 GiB,
 * 2 MiB pages), then guest_main(magic, info). guest/paging.c replaces these
 * tables with the ones the workloads use. */
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAGS 0x3 /* page-aligned modules, memory information */
#define CR0_PE (1 << 0)
#define CR0_NE (1 << 5)
#define CR0_PG (1 << 31)
#define CR0_NW (1 << 29)
#define CR0_CD (1 << 30)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define PDE_2M_RW 0x83 /* present, writable, page size */
#define PTE_TABLE 0x3  /* present, writable */

	.section .multiboot, "a"
	.align 4
	.long MB_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MB_HEADER_MAGIC + MB_FLAGS)

	.section .text.boot, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	mov %eax, %edi /* kept across the table setup, which uses eax-edx */
	mov %ebx, %esi
	mov $gboot_stack_top, %esp

	mov $gboot_pdpt + PTE_TABLE, %eax
	mov %eax, gboot_pml4
	mov $gboot_pd + PTE_TABLE, %eax
	xor %ecx, %ecx
1:	mov %eax, gboot_pdpt(, %ecx, 8)
	add $4096, %eax
	inc %ecx
	cmp $4, %ecx
	jne 1b
	mov $PDE_2M_RW, %eax
	xor %edx, %edx /* high dword of each 2 MiB frame */
	xor %ecx, %ecx
2:	mov %eax, gboot_pd(, %ecx, 8)
	mov %edx, gboot_pd + 4(, %ecx, 8)
	add $0x200000, %eax
	adc $0, %edx
	inc %ecx
	cmp $2048, %ecx
	jne 2b

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $gboot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	/* GRUB may hand over with caching disabled (CD and NW set). */
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE | CR0_NE), %eax
	mov %eax, %cr0
	lgdt gboot_gdt_ptr
	ljmp $0x08, $guest_long_mode

	.code64
guest_long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $gboot_stack_top, %rsp
	/* edi = magic, esi = info: already the first two arguments. */
	call guest_main
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.align 16
gboot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 64-bit code */
	.quad 0x00cf92000000ffff /* data */
gboot_gdt_end:
gboot_gdt_ptr:
	.word gboot_gdt_end - gboot_gdt - 1
	.long gboot_gdt

	.bss
	.align 4096
gboot_pml4: .space 4096
gboot_pdpt: .space 4096
gboot_pd: .space 4 * 4096
	.align 16
gboot_stack: .space 32768
gboot_stack_top:

	.section .note.GNU-stack, "", @progbits
