/* The 32-to-64-bit step of the Multiboot entry, shared by arch/x86/boot.S
 * and guest/boot.S (assembly only): from 32-bit protected mode with paging
 * off (Multiboot spec 3.2) into 64-bit long mode (SDM Vol. 3A, 10.8.5
 * "Initializing IA-32e Mode") over boot page tables that identity map the
 * first 4 GiB with 2 MiB pages, and the flat GDT of lib/x86/desc.h. Each
 * kernel later replaces the tables with its own. */
#ifndef LIB_X86_LONG_MODE_H
#define LIB_X86_LONG_MODE_H

#include "lib/multiboot.h"
#include "lib/x86/cr.h"
#include "lib/x86/desc.h"
#include "lib/x86/paging.h"

/* Assembler macros, kept as written: */
/* clang-format off */
#ifdef __ASSEMBLY__
#define BOOT_IDENTITY_GIB 4
#define BOOT_PAGE_SIZE    0x200000 /* 2 MiB */
#define BOOT_PD_ENTRIES   512
#define BOOT_TABLE_SIZE   4096

/* MULTIBOOT_START flags: the image's Multiboot header and the entry point
 * _start, in 32-bit code with interrupts off and DF clear; the loader's EAX
 * (magic) and EBX (info) are untouched. */
.macro MULTIBOOT_START flags
	MULTIBOOT_HEADER \flags
	.section .text.boot, "ax"
	.code32
	.global _start
_start:
	cli
	cld
.endm

/* ENTER_LONG_MODE: with interrupts off. Uses EAX, ECX and EDX only, so EDI
 * and ESI survive (the guest keeps the Multiboot magic and info there).
 * Execution goes on after the macro in 64-bit mode, with DS, ES and SS on
 * SEL_DATA and FS and GS null; RSP is the caller's to set. */
.macro ENTER_LONG_MODE
	/* PML4[0] -> PDPT; PDPT[0..3] -> four PDs of 512 x 2 MiB pages. */
	mov $(boot_pdpt + (PTE_P | PTE_RW)), %eax
	mov %eax, boot_pml4
	mov $(boot_pd + (PTE_P | PTE_RW)), %eax
	xor %ecx, %ecx
.Lboot_pdpt\@:
	mov %eax, boot_pdpt(, %ecx, 8)
	add $BOOT_TABLE_SIZE, %eax
	inc %ecx
	cmp $BOOT_IDENTITY_GIB, %ecx
	jne .Lboot_pdpt\@
	mov $(PTE_P | PTE_RW | PTE_PS), %eax
	xor %edx, %edx /* high dword of each 2 MiB frame */
	xor %ecx, %ecx
.Lboot_pd\@:
	mov %eax, boot_pd(, %ecx, 8)
	mov %edx, boot_pd + 4(, %ecx, 8)
	add $BOOT_PAGE_SIZE, %eax
	adc $0, %edx
	inc %ecx
	cmp $(BOOT_IDENTITY_GIB * BOOT_PD_ENTRIES), %ecx
	jne .Lboot_pd\@

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $IA32_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	/* GRUB hands over with CD and NW set and NE clear (EMULATORS.md). */
	mov %cr0, %eax
	and $~(CR0_CD | CR0_NW), %eax
	or $(CR0_PG | CR0_PE | CR0_NE), %eax
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $SEL_CODE64, $.Lboot_long_mode\@

	.code64
.Lboot_long_mode\@:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs

	.pushsection .rodata
	.align 16
boot_gdt:
	.quad 0
	.quad DESC_CODE64_FLAT
	.quad DESC_DATA_FLAT
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.popsection

	.pushsection .bss
	.align BOOT_TABLE_SIZE
boot_pml4: .space BOOT_TABLE_SIZE
boot_pdpt: .space BOOT_TABLE_SIZE
boot_pd: .space BOOT_IDENTITY_GIB * BOOT_TABLE_SIZE
	.popsection
.endm
#endif
/* clang-format on */

#endif
